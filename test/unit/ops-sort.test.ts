/**
 * Sorting: PyTorch's stable order for ties (both directions), NaN as the largest value, -0 equal to
 * 0, integer and bool inputs, 0-d and empty tensors, k bounds, the lower median with NaN, and where
 * gradients go (expected values are what PyTorch 1.13 gives for the same inputs).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { argsort, kthvalue, median, mul, sort, sum, tensor, topk, zeros, type Tensor } from '@tapegrad/tensor';
import { grad } from '@tapegrad/autograd';

const f64 = (v: number[] | number[][]): Tensor => tensor(v, { dtype: 'float64' });
const values = (t: Tensor): number[] => Array.from(t.data());
const pullback = (f: (t: Tensor) => Tensor, x: Tensor, u: Tensor): number[] => values(grad((t: Tensor) => sum(mul(f(t), u)))(x) as Tensor);
const withNaN = f64([3, NaN, 1, 3, NaN, 2, 1]);

describe('sort and argsort', () => {
  it('are stable and put NaN last ascending, first descending, as PyTorch', () => {
    const [v, i] = sort(withNaN);
    expect(values(v)).toEqual([1, 1, 2, 3, 3, NaN, NaN]);
    expect(values(i)).toEqual([2, 6, 5, 0, 3, 1, 4]);
    expect(i.dtype).toBe('int32');
    const [w, j] = sort(withNaN, -1, { descending: true });
    expect(values(w)).toEqual([NaN, NaN, 3, 3, 2, 1, 1]);
    expect(values(j)).toEqual([1, 4, 0, 3, 5, 2, 6]);
    expect(values(argsort(withNaN, 0, { descending: true }))).toEqual(values(j));
    expect(values(sort(withNaN, 0, { stable: false })[1])).toEqual(values(i));
  });

  it('treat -0 as equal to 0 and sort along any axis of a 2-D tensor', () => {
    const t = f64([[0, -0, 1, 0], [2, NaN, -1, 2]]);
    expect(sort(t, 1)[1].toArray()).toEqual([[0, 1, 3, 2], [2, 0, 3, 1]]);
    const [v, i] = sort(t, -2, { descending: true });
    expect(i.toArray()).toEqual([[1, 1, 0, 1], [0, 0, 1, 0]]);
    expect(values(v)).toEqual([2, NaN, 1, 2, 0, -0, -1, 0]);
  });

  it('sort integers and bools in their dtype', () => {
    const [v, i] = sort(tensor([3, 1, 2], { dtype: 'int32' }));
    expect([v.dtype, values(v), values(i)]).toEqual(['int32', [1, 2, 3], [1, 2, 0]]);
    const [b, k] = sort(tensor([true, false, true, false]));
    expect([b.toArray(), values(k)]).toEqual([[false, false, true, true], [1, 3, 0, 2]]);
  });

  it('take 0-d and empty tensors', () => {
    const [v, i] = sort(f64([3]).reshape([]));
    expect([v.shape, v.item(), i.item()]).toEqual([[], 3, 0]);
    expect(sort(zeros([0, 3]), 0)[0].shape).toEqual([0, 3]);
    expect(argsort(zeros([2, 0])).shape).toEqual([2, 0]);
  });

  it('send the gradient of each sorted value back to its element', () => {
    expect(pullback((t) => sort(t, 0, { descending: true })[0], f64([3, 1, 2]), f64([10, 20, 30]))).toEqual([10, 30, 20]);
  });

  it('check their arguments, naming the op', () => {
    expect(() => sort(zeros([2, 3]), 2)).toThrow(/^sort: axis 2 is out of range for a tensor with 2 dims/);
    expect(() => argsort(zeros([2]), 0, { descending: 1 as never })).toThrow(/^argsort: expected descending to be true or false, got 1/);
    expect(() => sort(zeros([2]), 0, { stable: 'yes' as never })).toThrow(/^sort: expected stable to be true or false/);
  });
});

describe('argsort on long lines with many ties, NaNs and signed zeros', () => {
  /** The reference: a comparator sort by (value, NaN largest, then position). */
  const reference = (v: number[], descending: boolean): number[] => v.map((_, i) => i).sort((i, j) => {
    const a = v[i]!, b = v[j]!;
    if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) === Number.isNaN(b) ? i - j : (Number.isNaN(a) === descending ? -1 : 1);
    return a === b ? i - j : (a < b) === descending ? 1 : -1;
  });
  const value = fc.oneof(fc.integer({ min: -5, max: 5 }), fc.constantFrom(NaN, -0, Infinity, -Infinity), fc.double({ noNaN: true }));

  it('matches a comparator sort, both directions (runs of every length, so every merge level)', () => {
    fc.assert(fc.property(fc.array(value, { maxLength: 300, size: 'max' }), fc.boolean(), (v, descending) => {
      expect(values(argsort(f64(v), 0, { descending }))).toEqual(reference(v, descending));
    }), { seed: 99, numRuns: 60 });
  });

  it('sorts every line of a 2-D tensor along either axis', () => {
    fc.assert(fc.property(fc.array(value, { minLength: 40, maxLength: 40 }), (v) => {
      const t = f64(v).reshape([8, 5]);
      const rows = argsort(t, 1).toArray() as number[][];
      rows.forEach((r, k) => expect(r).toEqual(reference(v.slice(5 * k, 5 * k + 5), false)));
      const cols = argsort(t, 0, { descending: true }).transpose(0, 1).toArray() as number[][];
      cols.forEach((c, k) => expect(c).toEqual(reference(v.filter((_, i) => i % 5 === k), true)));
    }), { seed: 7, numRuns: 30 });
  });
});

describe('topk', () => {
  const ties = f64([1, 2, 2, 2, 1, 3, 3]);
  it('returns the k largest or smallest, ties in their original (stable-sort) order', () => {
    const [v, i] = topk(ties, 4);
    expect([values(v), values(i)]).toEqual([[3, 3, 2, 2], [5, 6, 1, 2]]);
    const [s, j] = topk(ties, 4, 0, { largest: false });
    expect([values(s), values(j)]).toEqual([[1, 1, 2, 2], [0, 4, 1, 2]]);
    expect(values(topk(withNaN, 3)[0])).toEqual([NaN, NaN, 3]);
    expect(values(topk(withNaN, 3, -1, { largest: false })[1])).toEqual([2, 6, 5]);
  });

  it('unsorted, keeps the k elements in their original order', () => {
    const [v, i] = topk(f64([5, 1, 4, 2, 3]), 3, 0, { sorted: false });
    expect([values(v), values(i)]).toEqual([[5, 4, 3], [0, 2, 4]]);
    const [w, j] = topk(f64([[5, 1, 4], [0, 9, 8]]), 2, 1, { largest: false, sorted: false });
    expect([w.toArray(), j.toArray()]).toEqual([[[1, 4], [0, 8]], [[1, 2], [0, 2]]]);
  });

  it('takes k from 0 to the axis length, and 0-d tensors', () => {
    expect(topk(f64([1, 2]), 0)[0].shape).toEqual([0]);
    expect(topk(zeros([0, 3]), 2, 1)[0].shape).toEqual([0, 2]);
    expect(topk(f64([3]).reshape([]), 1)[0].item()).toBe(3);
    expect(() => topk(f64([1, 2]), 3)).toThrow(/^topk: k = 3 is out of range for axis 0 of size 2 \(expected 0\.\.2\)/);
    expect(() => topk(f64([1, 2]), 1.5)).toThrow(/^topk: expected an integer k, got 1.5/);
    expect(() => topk(f64([1, 2]), 1, 0, { largest: 'no' as never })).toThrow(TypeError);
  });
});

describe('kthvalue', () => {
  it('is the k-th smallest (k from 1), NaN counting as the largest', () => {
    expect(kthvalue(f64([3, NaN, 1, 2]), 4).item()).toBeNaN();
    expect(kthvalue(f64([3, NaN, 1, 2]), 2).item()).toBe(2);
    expect(kthvalue(f64([[3, 1, 2], [NaN, 0, 5]]), 2, 1, true).toArray()).toEqual([[2], [5]]);
    expect(kthvalue(f64([[3, 1, 2], [NaN, 0, 5]]), 1, 0).toArray()).toEqual([3, 0, 2]);
    expect(f64([4, 2]).kthvalue(1).item()).toBe(2);
  });

  it('checks k against the axis, naming the op', () => {
    expect(() => kthvalue(f64([1, 2]), 3)).toThrow(/^kthvalue: k = 3 is out of range for axis 0 of size 2 \(expected 1\.\.2\)/);
    expect(() => kthvalue(f64([1, 2]), 0)).toThrow(RangeError);
    expect(() => kthvalue(zeros([2, 0]), 1)).toThrow(/^kthvalue: k = 1 is out of range for axis 1 of size 0/);
  });
});

describe('median', () => {
  it('is the lower median, over everything or along an axis', () => {
    expect(median(f64([4, 1, 3, 2])).item()).toBe(2);
    expect(median(f64([[4, 1, 3, 2], [9, 8, 7, 6]]), 1).toArray()).toEqual([2, 7]);
    expect(median(f64([[4, 1], [3, 2]]), 0, true).toArray()).toEqual([[3, 1]]);
    expect(median(f64([[4, 1], [3, 2]]), undefined, true).shape).toEqual([1, 1]);
    expect(median(tensor([[3, 1, 2, 4], [5, 0, 5, 7]], { dtype: 'int32' }), 1).toArray()).toEqual([2, 5]);
    expect(median(f64([5]).reshape([]), 0).item()).toBe(5);
    expect(f64([3, 1, 2]).median().item()).toBe(2);
  });

  it('is NaN for a slice holding a NaN, as PyTorch', () => {
    expect(median(f64([1, NaN, 2])).item()).toBeNaN();
    expect(values(median(f64([[1, NaN, 2, NaN], [4, 3, 2, 1]]), 1))).toEqual([NaN, 2]);
  });

  it('over everything shares the gradient among ties (and NaNs); along an axis it goes to one element', () => {
    expect(pullback((t) => median(t), f64([1, 2, 2, 2, 3]), f64([1]).reshape([]))).toEqual([0, 1 / 3, 1 / 3, 1 / 3, 0]);
    expect(pullback((t) => median(t), f64([[1, NaN, 2, NaN], [4, 3, 2, 1]]), f64([1]).reshape([]))).toEqual([0, 0.5, 0, 0.5, 0, 0, 0, 0]);
    expect(pullback((t) => median(t, 0), f64([1, 2, 2, 3]), f64([1]).reshape([]))).toEqual([0, 1, 0, 0]);
  });

  it('of no elements is NaN (floats), and an error along an empty axis', () => {
    expect(median(zeros([0])).item()).toBeNaN();
    expect(() => median(zeros([2, 0]), 1)).toThrow(/^median: cannot take the median over axis 1 of size 0 in shape \[2,0\]/);
    expect(() => median(tensor([], { dtype: 'int32' }))).toThrow(RangeError);
    expect(() => median(zeros([2]), 1)).toThrow(/^median: axis 1 is out of range/);
  });
});
