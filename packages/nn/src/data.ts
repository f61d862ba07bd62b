import { Generator, ShapeError, randint, randperm, stack, Tensor } from '@tapegrad/tensor';
import { noGrad } from '@tapegrad/autograd';
import { checkSeed, describe } from '@tapegrad/tensor/internal';

/**
 * Anything a DataLoader can batch: `length` samples, each an array of tensors. `getBatch`, when
 * present, gathers many samples at once (each tensor of the result has the batch on axis 0);
 * without it the loader stacks the samples' tensors.
 */
export interface Dataset {
  readonly length: number;
  get(index: number): Tensor[];
  getBatch?(indices: readonly number[]): Tensor[];
}

/**
 * Samples are rows: sample i is `[t0[i], t1[i], ...]`, one row of each tensor along axis 0. All
 * tensors must have the same first dimension. Samples and batches are copies, off the tape.
 *
 * @example
 * const ds = new TensorDataset(x, y);          // x: [100, 4], y: [100]
 * const [xi, yi] = ds.get(0);                  // shapes [4] and []
 */
export class TensorDataset implements Dataset {
  readonly tensors: readonly Tensor[];
  readonly length: number;
  private readonly rows: Tensor[];

  constructor(...tensors: Tensor[]) {
    if (tensors.length === 0) throw new RangeError('TensorDataset: expected at least one tensor');
    for (const [i, t] of tensors.entries()) {
      if (!(t instanceof Tensor)) throw new TypeError(`TensorDataset: argument ${i} must be a Tensor, got ${describe(t)}`);
      if (t.ndim === 0) throw new RangeError(`TensorDataset: argument ${i} is 0-d; each tensor needs a first dimension to index samples by`);
    }
    const n = tensors[0]!.shape[0]!;
    for (const [i, t] of tensors.entries()) {
      if (t.shape[0] !== n) {
        throw new ShapeError(`TensorDataset: every tensor must have the same size in dimension 0: argument 0 has ${n} rows (shape [${tensors[0]!.shape.join(',')}]) but argument ${i} has ${t.shape[0]} (shape [${t.shape.join(',')}])`);
      }
    }
    this.tensors = tensors.slice();
    this.length = n;
    // Contiguous, detached views (a copy only when a tensor is not contiguous) to read rows from.
    this.rows = noGrad(() => tensors.map((t) => t.detach().contiguous()));
  }

  private checkIndex(index: unknown): number {
    const n = this.length;
    if (typeof index !== 'number' || !Number.isInteger(index) || index < -n || index >= n) {
      throw new RangeError(`TensorDataset: index ${describe(index)} out of range for a dataset of ${n} samples`);
    }
    return index < 0 ? index + n : index;
  }

  /** Sample `index` (negative counts from the end): one row of each tensor. */
  get(index: number): Tensor[] {
    const i = this.checkIndex(index);
    return this.getBatch([i]).map((t) => t.reshape(t.shape.slice(1)));
  }

  /** The rows at `indices`, gathered into one tensor per dataset tensor (batch on axis 0). */
  getBatch(indices: readonly number[]): Tensor[] {
    const idx = indices.map((i) => this.checkIndex(i));
    return this.rows.map((src) => {
      const rowShape = src.shape.slice(1);
      const out = Tensor.empty([idx.length, ...rowShape], src.dtype);
      const rowSize = out.size / Math.max(idx.length, 1);
      if (rowSize > 0) {
        for (const [j, i] of idx.entries()) {
          const from = src.offset + i * rowSize;
          out.buf.set(src.buf.subarray(from, from + rowSize), j * rowSize);
        }
      }
      return out;
    });
  }
}

/** DataLoader options. */
export interface DataLoaderOptions {
  /** Samples per batch (default 1). */
  batchSize?: number;
  /** Visit samples in a fresh random order each epoch (default false). */
  shuffle?: boolean;
  /** Seeds the shuffling: the same seed gives the same sequence of epoch orders. */
  seed?: number;
  /** Or an explicit random stream to shuffle with. */
  generator?: Generator;
  /** Drop the last batch when it is smaller than batchSize (default false). */
  dropLast?: boolean;
}

const LOADER_KEYS = ['batchSize', 'shuffle', 'seed', 'generator', 'dropLast'];

/**
 * Iterates over a dataset in batches: each iteration (epoch) yields arrays of batch tensors, the
 * samples' tensors stacked on axis 0. With `shuffle`, every epoch draws a fresh permutation from the
 * loader's generator, so a seeded loader repeats the same sequence of epochs. Without a seed or
 * generator, each epoch's order is drawn from tapegrad's default generator (see `manualSeed`).
 *
 * @example
 * const loader = new DataLoader(new TensorDataset(x, y), { batchSize: 32, shuffle: true, seed: 0 });
 * for (const [xb, yb] of loader) { ... }
 */
export class DataLoader implements Iterable<Tensor[]> {
  readonly dataset: Dataset;
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  private readonly generator: Generator | null;

  constructor(dataset: Dataset, opts: DataLoaderOptions = {}) {
    if (typeof dataset !== 'object' || dataset === null || typeof dataset.get !== 'function' || !Number.isInteger(dataset.length) || dataset.length < 0) {
      throw new TypeError(`DataLoader: expected a dataset with an integer length and a get(index) method, got ${describe(dataset)}`);
    }
    if (typeof opts !== 'object' || opts === null) throw new TypeError(`DataLoader: expected an options object, got ${describe(opts)}`);
    for (const k of Object.keys(opts)) {
      if (!LOADER_KEYS.includes(k)) throw new TypeError(`DataLoader: unknown option '${k}'; expected some of ${LOADER_KEYS.join(', ')}`);
    }
    const { batchSize = 1, shuffle = false, dropLast = false, seed, generator } = opts;
    if (typeof batchSize !== 'number' || !Number.isInteger(batchSize) || batchSize < 1) {
      throw new RangeError(`DataLoader: batchSize must be a positive integer, got ${describe(batchSize)}`);
    }
    if (typeof shuffle !== 'boolean') throw new TypeError(`DataLoader: shuffle must be a boolean, got ${describe(shuffle)}`);
    if (typeof dropLast !== 'boolean') throw new TypeError(`DataLoader: dropLast must be a boolean, got ${describe(dropLast)}`);
    if (seed !== undefined && generator !== undefined) throw new TypeError('DataLoader: pass either seed or generator, not both');
    if (generator !== undefined && !(generator instanceof Generator)) throw new TypeError(`DataLoader: generator must be a Generator, got ${describe(generator)}`);
    this.dataset = dataset;
    this.batchSize = batchSize;
    this.shuffle = shuffle;
    this.dropLast = dropLast;
    this.generator = generator ?? (seed !== undefined ? new Generator(checkSeed(seed, 'DataLoader', 'the seed')) : null);
  }

  /** The number of batches per epoch. */
  get length(): number {
    const n = this.dataset.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** This epoch's sample order: 0..n-1, or a fresh Fisher-Yates permutation when shuffling. */
  private order(): number[] {
    const n = this.dataset.length;
    if (!this.shuffle) return Array.from({ length: n }, (_, i) => i);
    const g = this.generator ?? new Generator(randint(0, 2147483647, []).item());
    return Array.from(randperm(n, { generator: g }).data());
  }

  private collate(indices: number[]): Tensor[] {
    const ds = this.dataset;
    if (typeof ds.getBatch === 'function') return ds.getBatch(indices);
    const samples = indices.map((i) => ds.get(i));
    const width = samples[0]!.length;
    for (const [k, s] of samples.entries()) {
      if (!Array.isArray(s) || s.length !== width) {
        throw new TypeError(`DataLoader: sample ${indices[k]} has ${Array.isArray(s) ? s.length : 'no'} tensors, sample ${indices[0]} has ${width}`);
      }
    }
    return noGrad(() => Array.from({ length: width }, (_, c) => stack(samples.map((s) => s[c]!), 0)));
  }

  *[Symbol.iterator](): Iterator<Tensor[]> {
    const order = this.order();
    const b = this.batchSize;
    const count = this.length;
    for (let k = 0; k < count; k++) yield this.collate(order.slice(k * b, Math.min((k + 1) * b, order.length)));
  }
}
