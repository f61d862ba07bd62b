import { describe, expect, it } from 'vitest';
import { add, arange, concat, exp, expand, matmul, pad, permute, reshape, slice, split, stack, sum, tensor, transpose } from '@tapegrad/tensor';

const grid = () => arange(12, { dtype: 'float64' }).reshape([3, 4]);

describe('views share storage', () => {
  it('reshape, transpose, permute, expand and slice are views of one buffer', () => {
    const t = grid();
    const small = tensor([1, 2]);
    expect(expand(small, [3, 2]).buf).toBe(small.buf);
    expect(permute(t, [1, 0]).buf).toBe(t.buf);
    expect(reshape(t, [4, 3]).buf).toBe(t.buf);
    expect(transpose(t, 0, 1).buf).toBe(t.buf);
    expect(slice(t, [1], [3]).buf).toBe(t.buf);
    expect(split(t, 2, 1)[1]!.buf).toBe(t.buf);
  });

  it('writes through a view show in the base tensor (and reads see them)', () => {
    const t = grid();
    const col = slice(t, [0, 1], [3, 2]);
    col.fill_(-1);
    expect(t.toArray()).toEqual([[0, -1, 2, 3], [4, -1, 6, 7], [8, -1, 10, 11]]);
  });

  it('slices with steps and negative bounds like Python, clamping out-of-range bounds', () => {
    const t = grid();
    expect(slice(t, [0, 0], [3, 4], [2, 3]).toArray()).toEqual([[0, 3], [8, 11]]);
    expect(slice(t, [-1], [100]).toArray()).toEqual([[8, 9, 10, 11]]);
    expect(slice(t, [2], [1]).shape).toEqual([0, 4]);
    expect(() => slice(t, [0], [1], [0])).toThrow(RangeError);
  });

  it('ops read non-contiguous inputs correctly', () => {
    const t = grid();
    const tt = transpose(t, 0, 1);
    expect(add(tt, 1).toArray()).toEqual([[1, 5, 9], [2, 6, 10], [3, 7, 11], [4, 8, 12]]);
    expect(sum(tt, 1).toArray()).toEqual([12, 15, 18, 21]);
    expect(exp(slice(t, [0, 0], [3, 4], [1, 2])).toArray()).toEqual([[0, 2], [4, 6], [8, 10]].map((r) => r.map(Math.exp)));
    expect(matmul(tt, t).toArray()).toEqual(matmul(tt.contiguous(), t).toArray());
    // A non-contiguous tensor reshaped must be copied, in the right order.
    expect(reshape(tt, [12]).toArray()).toEqual([0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]);
  });

  it('concat, stack, split and pad move data as documented', () => {
    const a = tensor([[1, 2]]);
    const b = tensor([[3, 4]]);
    expect(concat([a, b], 0).toArray()).toEqual([[1, 2], [3, 4]]);
    expect(concat([a, b], 1).toArray()).toEqual([[1, 2, 3, 4]]);
    expect(stack([tensor([1, 2]), tensor([3, 4])], 1).toArray()).toEqual([[1, 3], [2, 4]]);
    expect(split(tensor([1, 2, 3, 4, 5]), 2).map((t) => t.toArray())).toEqual([[1, 2], [3, 4], [5]]);
    expect(split(tensor([1, 2, 3]), [1, 2]).map((t) => t.toArray())).toEqual([[1], [2, 3]]);
    expect(pad(tensor([[1, 2]]), [1, 0, 0, 1], 9).toArray()).toEqual([[9, 1, 2], [9, 9, 9]]);
    expect(pad(tensor([1, 2, 3, 4]), [-1, -2]).toArray()).toEqual([2]);
  });

  it('no op mutates its inputs', () => {
    const x = grid();
    const before = Array.from(x.data());
    transpose(x, 0, 1).contiguous();
    add(x, x);
    sum(x, 0);
    exp(x);
    concat([x, x]);
    pad(x, [1, 1]);
    matmul(x, transpose(x, 0, 1));
    expect(Array.from(x.data())).toEqual(before);
  });
});
