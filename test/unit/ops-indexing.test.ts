import { describe, expect, it } from 'vitest';
import {
  ShapeError, arange, gt, index, indexPut, indexSelect, maskedFill, maskedSelect, nonzero, ones, scatter, scatterAdd, select, sum, take,
  tensor, zeros, type Tensor,
} from '@tapegrad/tensor';
import { grad } from '@tapegrad/autograd';

const cube = (): Tensor => arange(24, { dtype: 'float64' }).reshape([2, 3, 4]);
const ints = (v: unknown): Tensor => tensor(v as number[], { dtype: 'int32' });

describe('index: PyTorch basic indexing (a view)', () => {
  it('numbers drop axes, slices keep them, null adds one, ... fills in; negative numbers count from the end', () => {
    const t = cube();
    const v = index(t, [-1, '1:', null, '::-2']);
    expect(v.buf).toBe(t.buf);
    expect(v.shape).toEqual([2, 1, 2]);
    expect(v.toArray()).toEqual([[[19, 17]], [[23, 21]]]);
    expect(index(t, ['...', 0]).shape).toEqual([2, 3]);
    expect(index(t, [0, '...', null]).shape).toEqual([3, 4, 1]);
    expect(index(t, []).toArray()).toEqual(t.toArray());
    expect(index(t, ['-2:', ':10', '3:1']).shape).toEqual([2, 3, 0]);
  });

  it('works on 0-d tensors', () => {
    const s = tensor(3);
    expect(index(s, []).item()).toBe(3);
    expect(index(s, [null, '...']).toArray()).toEqual([3]);
    expect(index(s, [tensor(true)]).toArray()).toEqual([3]);
    expect(index(s, [tensor(false)]).shape).toEqual([0]);
  });
});

describe('index: advanced indexing (gathers)', () => {
  it('one int tensor replaces its axis by its own dims, negative entries count from the end', () => {
    const t = cube();
    expect(index(t, [':', ints([[2, -3]])]).shape).toEqual([2, 1, 2, 4]);
    expect(index(t, [1, ':', ints([-1, 0])]).toArray()).toEqual([[15, 12], [19, 16], [23, 20]]);
    expect(index(t, [':', ints(1)]).toArray()).toEqual(index(t, [':', 1]).toArray());
  });

  it('several broadcast together; adjacent ones stay in place, separated ones go first', () => {
    const t = cube();
    expect(index(t, [':', ints([[0], [2]]), ints([1, 3])]).shape).toEqual([2, 2, 2]);
    expect(index(t, [':', ints([0, 2]), ints([1, 3])]).toArray()).toEqual([[1, 11], [13, 23]]);
    // Separated by a slice: the broadcast dims come first (t[i, :, j] with i, j of shape [2]).
    expect(index(t, [ints([0, 1]), ':', ints([3, 0])]).toArray()).toEqual([[3, 7, 11], [12, 16, 20]]);
    // A number between them is applied first and does not separate them (PyTorch).
    expect(index(t, [ints([0, 1]), 1, ints([0, 1])]).toArray()).toEqual([4, 17]);
    // A new axis does separate them.
    expect(index(t, [ints([0, 1]), null, ints([0, 1])]).shape).toEqual([2, 1, 4]);
  });

  it('bool masks select where true, over as many dims as they have', () => {
    const t = cube();
    expect(index(t, [gt(t, 20)]).toArray()).toEqual([21, 22, 23]);
    expect(index(t, [1, tensor([true, false, true])]).toArray()).toEqual([[12, 13, 14, 15], [20, 21, 22, 23]]);
    expect(index(t, [':', tensor([[true, false, false, true], [false, false, false, false], [false, true, false, false]])]).toArray())
      .toEqual([[0, 3, 9], [12, 15, 21]]);
    expect(index(t, [zeros([2], { dtype: 'bool' })]).shape).toEqual([0, 3, 4]);
  });

  it('handles empty dims and empty index tensors', () => {
    expect(index(zeros([2, 0, 3]), [':', ':', ints([1, 2])]).shape).toEqual([2, 0, 2]);
    expect(index(arange(5), [ints([])]).shape).toEqual([0]);
  });

  it('sends the gradient back to the indexed places, adding up repeats', () => {
    const g = grad((x: Tensor) => sum(index(x, [ints([0, 2, 0, -1])])))(tensor([1, 2, 3], { dtype: 'float64' })) as Tensor;
    expect(g.toArray()).toEqual([2, 0, 2]);
  });

  it('rejects bad specs with errors naming the op, the axis and the bound', () => {
    const t = ones([2, 3]);
    expect(() => index(t, [':', ints([3])])).toThrow(/^index: index 3 is out of range for axis 1 of size 3$/);
    expect(() => index(t, [-3])).toThrow(/^index: index -3 is out of range for axis 0 of size 2$/);
    expect(() => index(t, [0, 0, 0])).toThrow(/index: too many indices for a tensor of shape \[2,3\]/);
    expect(() => index(t, ['...', '...'])).toThrow(/at most one '\.\.\.'/);
    expect(() => index(t, ['1:2:0'])).toThrow(/slice step must not be zero/);
    expect(() => index(t, ['a'])).toThrow(TypeError);
    expect(() => index(t, [0.5])).toThrow(TypeError);
    expect(() => index(t, [ones([1])])).toThrow(/int32\/bool tensors, got a float32 tensor/);
    expect(() => index(t, [tensor([true, false, true])])).toThrow(ShapeError);
    expect(() => index(t, [ints([0, 1]), ints([0, 1, 2])])).toThrow(/index: cannot broadcast \[2\] with \[3\]/);
    expect(() => index(t, 0 as never)).toThrow(TypeError);
  });
});

describe('indexPut', () => {
  it('replaces, broadcasting the values, and never touches its input', () => {
    const t = zeros([2, 3]);
    expect(indexPut(t, [':', 1], tensor([5, 6])).toArray()).toEqual([[0, 5, 0], [0, 6, 0]]);
    expect(indexPut(t, [gt(arange(6).reshape([2, 3]), 3)], 7).toArray()).toEqual([[0, 0, 0], [0, 7, 7]]);
    expect(t.toArray()).toEqual([[0, 0, 0], [0, 0, 0]]);
    expect(indexPut(tensor(1), [], 5).item()).toBe(5);
    expect(indexPut(arange(4, { dtype: 'int32' }), [ints([0])], 9).toArray()).toEqual([9, 1, 2, 3]);
    // A plain number is not rounded through float32 on its way into a float64 tensor.
    expect(indexPut(zeros([2], { dtype: 'float64' }), [0], 0.1).toArray()).toEqual([0.1, 0]);
    expect(maskedFill(zeros([1], { dtype: 'float64' }), tensor([true]), 0.1).toArray()).toEqual([0.1]);
    expect(scatter(zeros([1], { dtype: 'float64' }), 0, ints([0]), 0.1).toArray()).toEqual([0.1]);
  });

  it('with accumulate, duplicate places add up; without, the last value wins and alone gets a gradient', () => {
    expect(indexPut(zeros([2, 3]), [ints([0, 0, 1, 0])], tensor(1), { accumulate: true }).toArray()).toEqual([[3, 3, 3], [1, 1, 1]]);
    expect(indexPut(zeros([4]), [ints([1, 1, 1])], tensor([1, 2, 3])).toArray()).toEqual([0, 3, 0, 0]);
    const v = tensor([1, 2, 3], { dtype: 'float64' });
    const [gx, gv] = grad((x: Tensor, w: Tensor) => sum(indexPut(x, [ints([1, 1, 2])], w).mul(tensor([1, 10, 100, 1000], { dtype: 'float64' }))), { argnums: [0, 1] })(
      zeros([4], { dtype: 'float64' }), v) as Tensor[];
    expect(gx!.toArray()).toEqual([1, 0, 0, 1000]);
    expect(gv!.toArray()).toEqual([0, 10, 100]);
    const gAcc = grad((w: Tensor) => sum(indexPut(zeros([4], { dtype: 'float64' }), [ints([1, 1, 2])], w, { accumulate: true }).mul(tensor([1, 10, 100, 1000], { dtype: 'float64' }))))(v) as Tensor;
    expect(gAcc.toArray()).toEqual([10, 10, 100]);
  });

  it('rejects values that do not broadcast to the indexed shape', () => {
    expect(() => indexPut(zeros([2, 3]), [0], ones([2]))).toThrow(ShapeError);
    expect(() => indexPut(zeros([2, 3]), [0], ones([2, 3]))).toThrow(/indexPut: values \[2,3\] cannot be broadcast to the indexed shape \[3\]/);
  });
});

describe('select, indexSelect, take, maskedFill, maskedSelect, nonzero', () => {
  it('select is a view; indexSelect and take gather with negative indices', () => {
    const t = cube();
    const s = select(t, -2, -1);
    expect(s.buf).toBe(t.buf);
    expect(s.toArray()).toEqual([[8, 9, 10, 11], [20, 21, 22, 23]]);
    expect((indexSelect(t, 2, ints([3, -4, 3])).toArray() as number[][][])[0]).toEqual([[3, 0, 3], [7, 4, 7], [11, 8, 11]]);
    expect(indexSelect(t, 0, ints(1)).shape).toEqual([1, 3, 4]);
    expect(take(t, ints([[0, -1], [5, 5]])).toArray()).toEqual([[0, 23], [5, 5]]);
    expect(() => select(t, 0, 2)).toThrow(/^select: index 2 is out of range for axis 0 of size 2$/);
    expect(() => indexSelect(t, 1, ints([-4]))).toThrow(/^indexSelect: index -4 is out of range for axis 1 of size 3$/);
    expect(() => take(t, ints([24]))).toThrow(/^take: index 24 is out of range for the flattened tensor of size 24$/);
    expect(() => indexSelect(t, 0, ints([[0]]))).toThrow(ShapeError);
  });

  it('maskedFill broadcasts and keeps the dtype; maskedSelect gives a 1-D tensor', () => {
    const m = tensor([true, false, true]);
    expect(maskedFill(arange(3, { dtype: 'int32' }), m, 7.9).toArray()).toEqual([7, 1, 7]);
    expect(maskedFill(zeros([2, 3]), m, -Infinity).toArray()).toEqual([[-Infinity, 0, -Infinity], [-Infinity, 0, -Infinity]]);
    expect(maskedFill(zeros([3]), tensor([[true, false, false], [false, false, true]]), 1).shape).toEqual([2, 3]);
    expect(maskedSelect(arange(3), tensor([[true, false, true], [false, true, false]])).toArray()).toEqual([0, 2, 1]);
    expect(maskedSelect(zeros([0]), tensor([true]).reshape([1])).shape).toEqual([0]);
    expect(() => maskedFill(zeros([3]), ones([3]), 1)).toThrow(/maskedFill: expected a bool mask, got float32/);
    expect(() => maskedFill(zeros([3]), m, ones([2]))).toThrow(ShapeError);
  });

  it('nonzero lists coordinates, int32 [n, ndim], NaN counting as non-zero', () => {
    const nz = nonzero(tensor([[0, 1], [NaN, 0]]));
    expect(nz.dtype).toBe('int32');
    expect(nz.toArray()).toEqual([[0, 1], [1, 0]]);
    expect(nonzero(tensor(5)).shape).toEqual([1, 0]);
    expect(nonzero(zeros([0, 2])).shape).toEqual([0, 2]);
  });
});

describe('scatter and scatterAdd', () => {
  const idx = ints([[0, 1, 0], [2, 0, 0]]);
  const src = tensor([[1, 2, 3], [4, 5, 6]], { dtype: 'float64' });
  const base = (): Tensor => tensor([[10, 10, 10], [10, 10, 10], [10, 10, 10]], { dtype: 'float64' });

  it('combines with every reduction, with and without the place itself', () => {
    expect(scatter(base(), 0, idx, src).toArray()).toEqual([[1, 5, 6], [10, 2, 10], [4, 10, 10]]);
    expect(scatter(base(), 0, idx, src, { reduce: 'sum' }).toArray()).toEqual([[11, 15, 19], [10, 12, 10], [14, 10, 10]]);
    expect(scatter(base(), 0, idx, src, { reduce: 'sum', includeSelf: false }).toArray()).toEqual([[1, 5, 9], [10, 2, 10], [4, 10, 10]]);
    expect(scatter(base(), 0, idx, src, { reduce: 'prod' }).toArray()).toEqual([[10, 50, 180], [10, 20, 10], [40, 10, 10]]);
    expect(scatter(base(), 0, idx, src, { reduce: 'mean' }).toArray()).toEqual([[5.5, 7.5, 19 / 3], [10, 6, 10], [7, 10, 10]]);
    expect(scatter(base(), 0, idx, src, { reduce: 'mean', includeSelf: false }).toArray()).toEqual([[1, 5, 4.5], [10, 2, 10], [4, 10, 10]]);
    expect(scatter(base(), 0, idx, src, { reduce: 'amax' }).toArray()).toEqual([[10, 10, 10], [10, 10, 10], [10, 10, 10]]);
    expect(scatter(base(), 0, idx, src, { reduce: 'amax', includeSelf: false }).toArray()).toEqual([[1, 5, 6], [10, 2, 10], [4, 10, 10]]);
    expect(scatter(base(), 0, idx, src, { reduce: 'amin' }).toArray()).toEqual([[1, 5, 3], [10, 2, 10], [4, 10, 10]]);
    expect(scatter(tensor([[4, 5], [6, 7]], { dtype: 'int32' }), 0, ints([[0, 0]]), ints([[1, 2]]), { reduce: 'mean' }).toArray()).toEqual([[2, 3], [6, 7]]);
    expect(scatter(zeros([3]), 0, ints([2, 0]), 7).toArray()).toEqual([7, 0, 7]);
  });

  it('scatterAdd takes PyTorch\'s argument order and adds duplicates; src may be larger than the index', () => {
    expect(scatterAdd(base(), 0, idx, src).toArray()).toEqual(scatter(base(), 0, idx, src, { reduce: 'sum' }).toArray());
    expect(scatterAdd(zeros([3]), 0, ints([0, 0]), tensor([1, 2, 100])).toArray()).toEqual([3, 0, 0]);
    expect(scatterAdd(zeros([2]), -1, ints([-1]), tensor([5])).toArray()).toEqual([0, 5]);
  });

  it('gives the product of the other values as the gradient of a zero (prod)', () => {
    const g = grad((s: Tensor) => sum(scatter(tensor([2, 1], { dtype: 'float64' }), 0, ints([0, 0, 0, 1]), s, { reduce: 'prod' })))(
      tensor([0, 3, 5, 7], { dtype: 'float64' })) as Tensor;
    expect(g.toArray()).toEqual([30, 0, 0, 1]);
  });

  it('rejects bad indices, shapes and options, naming the op', () => {
    expect(() => scatter(base(), 1, ints([[3]]), src)).toThrow(/^scatter: index 3 is out of range for axis 1 of size 3$/);
    expect(() => scatter(base(), 0, ints([0]), src)).toThrow(ShapeError);
    expect(() => scatter(base(), 0, idx, ones([1, 3]))).toThrow(/scatter: src \[1,3\] must have the index's dims and be at least as large/);
    expect(() => scatter(base(), 0, idx, src, { reduce: 'max' as never })).toThrow(/scatter: expected reduce to be one of/);
    expect(() => scatter(zeros([2], { dtype: 'bool' }), 0, ints([0]), true, { reduce: 'sum' })).toThrow(TypeError);
    expect(() => scatterAdd(base(), 0, tensor([[0]]), src)).toThrow(/scatterAdd: expected an int32 index tensor, got float32/);
    expect(() => scatterAdd(base(), 0, ints([[5]]), src)).toThrow(/^scatterAdd: index 5 is out of range for axis 0 of size 3$/);
  });

  it('are methods too', () => {
    expect(base().scatter(0, idx, src).toArray()).toEqual(scatter(base(), 0, idx, src).toArray());
    expect(cube().index([0, 0]).toArray()).toEqual([0, 1, 2, 3]);
    expect(cube().select(2, 0).shape).toEqual([2, 3]);
    expect(zeros([2]).maskedFill(tensor([true, false]), 1).toArray()).toEqual([1, 0]);
  });
});
