import { describe, expect, it } from 'vitest';
import { arange, manualSeed, tensor, Generator, type Tensor } from '@tapegrad/tensor';
import { DataLoader, TensorDataset, type Dataset } from '@tapegrad/nn';

/** x has rows [10i, 10i+1, 10i+2]; y[i] = i (int32); m[i] = i is even. */
function dataset(n: number): { x: Tensor; y: Tensor; m: Tensor; ds: TensorDataset } {
  const x = arange(n * 3, { dtype: 'float64' }).reshape([n, 3]).add(arange(n, { dtype: 'float64' }).reshape([n, 1]).mul(7));
  const y = arange(n, { dtype: 'int32' });
  const m = tensor(Array.from({ length: n }, (_, i) => i % 2 === 0));
  return { x, y, m, ds: new TensorDataset(x, y, m) };
}

const rowsOf = (x: Tensor): number[][] => x.toArray() as number[][];

describe('TensorDataset', () => {
  it('indexes rows of every tensor, keeping dtypes', () => {
    const { x, ds } = dataset(5);
    expect(ds.length).toBe(5);
    const [xi, yi, mi] = ds.get(3);
    expect(xi!.shape).toEqual([3]);
    expect(xi!.toArray()).toEqual(rowsOf(x)[3]);
    expect(yi!.shape).toEqual([]);
    expect(yi!.dtype).toBe('int32');
    expect(yi!.item()).toBe(3);
    expect(mi!.dtype).toBe('bool');
    expect(mi!.item()).toBe(false);
    expect(ds.get(-1)[1]!.item()).toBe(4);
  });

  it('reads non-contiguous tensors and returns copies', () => {
    const base = arange(12, { dtype: 'float32' }).reshape([3, 4]);
    const ds = new TensorDataset(base.T); // [4, 3], non-contiguous
    expect(ds.get(1)[0]!.toArray()).toEqual([1, 5, 9]);
    const ds2 = new TensorDataset(base);
    const row = ds2.get(0)[0]!;
    row.fill_(-1);
    expect(base.toArray()).toEqual(arange(12).reshape([3, 4]).toArray());
  });

  it('rejects bad arguments with clear errors', () => {
    expect(() => new TensorDataset()).toThrow(/at least one tensor/);
    expect(() => new TensorDataset(tensor([1, 2]), tensor([1, 2, 3]))).toThrow(
      /same size in dimension 0: argument 0 has 2 rows \(shape \[2\]\) but argument 1 has 3 \(shape \[3\]\)/,
    );
    expect(() => new TensorDataset(tensor(1))).toThrow(/argument 0 is 0-d/);
    expect(() => new TensorDataset([1, 2] as unknown as Tensor)).toThrow(/argument 0 must be a Tensor/);
    const { ds } = dataset(3);
    expect(() => ds.get(3)).toThrow(/index 3 out of range for a dataset of 3 samples/);
    expect(() => ds.get(1.5)).toThrow(/out of range/);
  });
});

describe('DataLoader', () => {
  it('yields batches in order, stacked on axis 0, with a short last batch', () => {
    const { x, ds } = dataset(7);
    const loader = new DataLoader(ds, { batchSize: 3 });
    expect(loader.length).toBe(3);
    const batches = [...loader];
    expect(batches.length).toBe(3);
    expect(batches.map((b) => b[0]!.shape)).toEqual([[3, 3], [3, 3], [1, 3]]);
    expect(batches.map((b) => b[1]!.toArray())).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
    expect(batches[2]![2]!.toArray()).toEqual([true]);
    expect(batches[1]![0]!.toArray()).toEqual(rowsOf(x).slice(3, 6));
    expect(batches[0]!.map((t) => t.dtype)).toEqual(['float64', 'int32', 'bool']);
  });

  it('dropLast drops the short batch; batchSize defaults to 1', () => {
    const { ds } = dataset(7);
    const loader = new DataLoader(ds, { batchSize: 3, dropLast: true });
    expect(loader.length).toBe(2);
    expect([...loader].map((b) => b[1]!.toArray())).toEqual([[0, 1, 2], [3, 4, 5]]);
    const ones = new DataLoader(ds);
    expect(ones.length).toBe(7);
    expect([...ones][4]![1]!.shape).toEqual([1]);
    expect(new DataLoader(ds, { batchSize: 7, dropLast: true }).length).toBe(1);
    expect(new DataLoader(ds, { batchSize: 8, dropLast: true }).length).toBe(0);
    expect([...new DataLoader(ds, { batchSize: 8, dropLast: true })]).toEqual([]);
  });

  it('shuffles with a fresh permutation each epoch, reproducibly for a seed', () => {
    const { x, ds } = dataset(20);
    const epoch = (l: DataLoader): number[] => [...l].flatMap((b) => b[1]!.toArray() as number[]);
    const a = new DataLoader(ds, { batchSize: 6, shuffle: true, seed: 42 });
    const b = new DataLoader(ds, { batchSize: 6, shuffle: true, seed: 42 });
    const a1 = epoch(a);
    const a2 = epoch(a);
    expect(a1.slice().sort((p, q) => p - q)).toEqual(Array.from({ length: 20 }, (_, i) => i)); // a permutation
    expect(a1).not.toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(a2).not.toEqual(a1); // each epoch its own order
    expect(epoch(b)).toEqual(a1); // the same seed repeats the same epochs
    expect(epoch(b)).toEqual(a2);
    expect(epoch(new DataLoader(ds, { batchSize: 6, shuffle: true, seed: 43 }))).not.toEqual(a1);
    // Every sample keeps its tensors together.
    for (const [xb, yb] of new DataLoader(ds, { batchSize: 5, shuffle: true, seed: 1 })) {
      const ids = yb!.toArray() as number[];
      expect(rowsOf(xb!)).toEqual(ids.map((i) => rowsOf(x)[i]));
    }
  });

  it('shuffles from a generator, or from the default generator under manualSeed', () => {
    const { ds } = dataset(10);
    const epoch = (l: DataLoader): number[] => [...l].flatMap((b) => b[1]!.toArray() as number[]);
    expect(epoch(new DataLoader(ds, { shuffle: true, generator: new Generator(5) }))).toEqual(epoch(new DataLoader(ds, { shuffle: true, seed: 5 })));
    manualSeed(9);
    const first = epoch(new DataLoader(ds, { shuffle: true, batchSize: 4 }));
    manualSeed(9);
    expect(epoch(new DataLoader(ds, { shuffle: true, batchSize: 4 }))).toEqual(first);
  });

  it('batches any dataset with get(), stacking its samples', () => {
    const squares: Dataset = {
      length: 5,
      get: (i) => [tensor(i), tensor([i, i * i], { dtype: 'int32' })],
    };
    const batches = [...new DataLoader(squares, { batchSize: 2 })];
    expect(batches.map((b) => b[0]!.toArray())).toEqual([[0, 1], [2, 3], [4]]);
    expect(batches[1]![1]!.toArray()).toEqual([[2, 4], [3, 9]]);
    expect(batches[1]![1]!.dtype).toBe('int32');
  });

  it('rejects bad options with clear errors', () => {
    const { ds } = dataset(3);
    expect(() => new DataLoader(ds, { batchSize: 0 })).toThrow(/batchSize must be a positive integer, got 0/);
    expect(() => new DataLoader(ds, { batchSize: 2.5 })).toThrow(/batchSize must be a positive integer/);
    expect(() => new DataLoader(ds, { shuffle: 'yes' as unknown as boolean })).toThrow(/shuffle must be a boolean/);
    expect(() => new DataLoader(ds, { seed: 1, generator: new Generator(1) })).toThrow(/either seed or generator/);
    expect(() => new DataLoader(ds, { seed: -1 })).toThrow(/seed/);
    expect(() => new DataLoader(ds, { batch_size: 2 } as unknown as { batchSize: number })).toThrow(/unknown option 'batch_size'/);
    expect(() => new DataLoader([1, 2] as unknown as Dataset)).toThrow(/expected a dataset with an integer length and a get\(index\) method/);
  });
});
