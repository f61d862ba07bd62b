import { Generator, ShapeError, zeros, type Tensor } from '@tapegrad/tensor';
import { parameter } from '../module.js';

/** Options every layer with weights accepts: where its initial values come from and their dtype. */
export interface LayerInitOptions {
  /** Draw initial weights from this stream. */
  generator?: Generator;
  /** Draw initial weights from a fresh `new Generator(seed)`: the same seed gives the same layer. */
  seed?: number;
  /** Parameter dtype (default float32). */
  dtype?: 'float32' | 'float64';
}

/** The stream a layer initializes from: opts.generator, a fresh one from opts.seed, or the default (undefined). */
export function initSource(opts: LayerInitOptions): { generator?: Generator } {
  if (opts.generator !== undefined) {
    if (!(opts.generator instanceof Generator)) throw new TypeError('layer options: generator must be a Generator');
    return { generator: opts.generator };
  }
  return opts.seed !== undefined ? { generator: new Generator(opts.seed) } : {};
}

/** A fresh zero parameter of `shape` in the layer's dtype. */
export function newParameter(shape: number[], opts: LayerInitOptions): Tensor {
  const dtype = opts.dtype ?? 'float32';
  if (dtype !== 'float32' && dtype !== 'float64') throw new TypeError(`layer options: dtype must be 'float32' or 'float64', got ${JSON.stringify(dtype)}`);
  return parameter(zeros(shape, { dtype }));
}

/** Validates a size argument: a positive integer (or >= 0 when `allowZero`). */
export function checkSize(v: unknown, layer: string, what: string, allowZero = false): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < (allowZero ? 0 : 1)) {
    throw new RangeError(`${layer}: expected ${what} to be a ${allowZero ? 'non-negative' : 'positive'} integer, got ${String(v)}`);
  }
  return v;
}

export { fmtShape } from '@tapegrad/tensor/internal';

/**
 * Options for the sublayers of a composite layer: a `seed` becomes one generator that every sublayer
 * draws from in turn (rather than each restarting the same stream).
 */
export function sharedInit<O extends LayerInitOptions>(opts: O): O {
  const out: O = { ...opts, ...initSource(opts) };
  delete out.seed;
  return out;
}
