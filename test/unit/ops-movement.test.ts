import { describe, expect, it } from 'vitest';
import {
  ShapeError, arange, chunk, diag, diagonal, flip, matmul, meshgrid, movedim, narrow, ones, oneHot, repeat, repeatInterleave, reshape,
  roll, slice, sum, tensor, tile, trace, transpose, tril, triu, unbind, unflatten, unsqueeze, zeros, type Tensor,
} from '@tapegrad/tensor';
import { grad } from '@tapegrad/autograd';
import { wasmBackend } from '@tapegrad/backend-wasm';
import { getBackend, setBackend } from '@tapegrad/tensor';

const grid = (): Tensor => arange(12, { dtype: 'float64' }).reshape([3, 4]);
const ints = (v: number[]): Tensor => tensor(Int32Array.from(v));

describe('flip is a view with negative strides', () => {
  it('reverses the chosen axes without copying, and writes go through', () => {
    const t = grid();
    const f = flip(t, [0, -1]);
    expect(f.buf).toBe(t.buf);
    expect(f.strides).toEqual([-4, -1]);
    expect(f.toArray()).toEqual([[11, 10, 9, 8], [7, 6, 5, 4], [3, 2, 1, 0]]);
    slice(f, [0, 0], [1, 1]).fill_(-1);
    expect(t.toArray()).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, -1]]);
    expect(flip(flip(t, 1), 1).toArray()).toEqual(t.toArray());
  });

  it('feeds every kind of kernel: elementwise, reductions, copies, matmul (JS and wasm), gather', () => {
    const t = grid();
    const f = flip(t, 1);
    const dense = tensor(f.data(), { shape: [3, 4] });
    expect(f.add(1).toArray()).toEqual(dense.add(1).toArray());
    expect(sum(f, 1).toArray()).toEqual(sum(dense, 1).toArray());
    expect(f.contiguous().toArray()).toEqual(dense.toArray());
    expect(reshape(f, [12]).toArray()).toEqual(Array.from(dense.data()));
    const b = flip(transpose(grid(), 0, 1), 0);
    const want = matmul(dense, tensor(b.data(), { shape: [4, 3] })).toArray();
    expect(matmul(f, b).toArray()).toEqual(want);
    const f32 = flip(arange(12).reshape([3, 4]), [0, 1]);
    const b32 = flip(arange(12).reshape([4, 3]), 0);
    const prev = getBackend();
    const ref = matmul(f32.contiguous(), b32.contiguous()).toArray();
    setBackend(wasmBackend({ minWork: 0 }));
    try {
      expect(matmul(f32, b32).toArray()).toEqual(ref);
    } finally {
      setBackend(prev);
    }
  });

  it('slice takes negative steps as Python does', () => {
    const v = arange(6);
    expect(slice(v, [-1], [-7], [-1]).toArray()).toEqual([5, 4, 3, 2, 1, 0]);
    expect(slice(v, [4], [0], [-2]).toArray()).toEqual([4, 2]);
    expect(slice(v, [100], [-100], [-3]).toArray()).toEqual([5, 2]);
    expect(slice(v, [1], [4], [-1]).shape).toEqual([0]);
  });

  it('handles 0-d, empty and 1-element tensors, and its gradient flips back', () => {
    expect(flip(tensor(3), []).item()).toBe(3);
    expect(flip(zeros([2, 0, 3]), [0, 1]).shape).toEqual([2, 0, 3]);
    const g = grad((x: Tensor) => sum(flip(x, 0).mul(arange(3, { dtype: 'float64' }))))(tensor([1, 2, 3], { dtype: 'float64' })) as Tensor;
    expect(g.toArray()).toEqual([2, 1, 0]);
    expect(() => flip(grid(), [0, 0])).toThrow(/flip: repeated axis/);
    expect(() => flip(grid(), 2)).toThrow(RangeError);
  });
});

describe('reshape is a view whenever the strides allow', () => {
  it('adding or removing size-1 dims of a transposed view copies nothing; merging its dims does', () => {
    const t = transpose(grid(), 0, 1);
    expect(unsqueeze(t, 1).buf).toBe(t.buf);
    expect(reshape(unsqueeze(t, 1), [4, 3]).buf).toBe(t.buf);
    const merged = reshape(t, [12]);
    expect(merged.buf).not.toBe(t.buf);
    expect(merged.toArray()).toEqual([0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]);
    const s = slice(arange(24).reshape([4, 6]), [0, 0], [4, 6], [2, 1]);
    expect(reshape(s, [2, 2, 3]).buf).toBe(s.buf);
    expect(reshape(s, [2, 2, 3]).toArray()).toEqual([[[0, 1, 2], [3, 4, 5]], [[12, 13, 14], [15, 16, 17]]]);
  });
});

describe('shape and movement ops', () => {
  it('roll rotates along axes (or the flattened tensor), both directions, empty axes included', () => {
    expect(roll(arange(5), 2).toArray()).toEqual([3, 4, 0, 1, 2]);
    expect(roll(arange(5), -7).toArray()).toEqual([2, 3, 4, 0, 1]);
    expect(roll(grid(), [1, -1], [0, -1]).toArray()).toEqual([[9, 10, 11, 8], [1, 2, 3, 0], [5, 6, 7, 4]]);
    expect(roll(zeros([2, 0]), 3, 1).shape).toEqual([2, 0]);
    expect(() => roll(grid(), [1, 2], 0)).toThrow(/roll: expected one shift per axis/);
  });

  it('repeat, tile and repeatInterleave follow PyTorch', () => {
    expect(repeat(tensor([1, 2]), [2, 2]).toArray()).toEqual([[1, 2, 1, 2], [1, 2, 1, 2]]);
    expect(repeat(tensor(7), [3]).toArray()).toEqual([7, 7, 7]);
    expect(repeat(ones([2]), [0, 3]).shape).toEqual([0, 6]);
    expect(tile(tensor([[1, 2]]), [2]).toArray()).toEqual([[1, 2, 1, 2]]);
    expect(tile(tensor([1, 2]), [2, 1]).toArray()).toEqual([[1, 2], [1, 2]]);
    expect(repeatInterleave(tensor([[1, 2], [3, 4]]), 2).toArray()).toEqual([1, 1, 2, 2, 3, 3, 4, 4]);
    expect(repeatInterleave(tensor([[1, 2], [3, 4]]), 2, -1).toArray()).toEqual([[1, 1, 2, 2], [3, 3, 4, 4]]);
    expect(repeatInterleave(tensor([1, 2, 3]), ints([0, 2, 1])).toArray()).toEqual([2, 2, 3]);
    expect(() => repeat(ones([2, 2]), [2])).toThrow(/repeat: expected at least one repetition per dim of \[2,2\]/);
    expect(() => repeatInterleave(ones([3]), ints([1, 2]))).toThrow(/repeatInterleave: expected repeats as a number or an int32 tensor of 3 counts/);
    expect(() => repeatInterleave(ones([2]), ints([1, -1]))).toThrow(RangeError);
  });

  it('triu and tril keep the dtype and batch over leading dims; tril of ones is a causal mask', () => {
    expect(triu(ones([3, 3]), 1).toArray()).toEqual([[0, 1, 1], [0, 0, 1], [0, 0, 0]]);
    expect(tril(ones([2, 3]), -1).toArray()).toEqual([[0, 0, 0], [1, 0, 0]]);
    const mask = tril(ones([3, 3], { dtype: 'bool' }));
    expect(mask.dtype).toBe('bool');
    expect(mask.toArray()).toEqual([[true, false, false], [true, true, false], [true, true, true]]);
    expect(triu(arange(8, { dtype: 'int32' }).reshape([2, 2, 2])).toArray()).toEqual([[[0, 1], [0, 3]], [[4, 5], [0, 7]]]);
    expect(() => triu(ones([3]))).toThrow(ShapeError);
  });

  it('diag, diagonal and trace', () => {
    expect(diag(tensor([1, 2]), 1).toArray()).toEqual([[0, 1, 0], [0, 0, 2], [0, 0, 0]]);
    expect(diag(grid(), -1).toArray()).toEqual([4, 9]);
    expect(diag(zeros([0])).shape).toEqual([0, 0]);
    const t = arange(24).reshape([2, 3, 4]);
    const d = diagonal(t, 1, -1, 1);
    expect(d.buf).toBe(t.buf);
    expect(d.toArray()).toEqual([[4, 9], [16, 21]]);
    expect(diagonal(grid(), 7).shape).toEqual([0]);
    expect(trace(grid()).item()).toBe(15);
    expect(() => diagonal(grid(), 0, 1, -1)).toThrow(/diagonal: axis1 and axis2 must differ/);
    expect(() => trace(zeros([2, 2, 2]))).toThrow(/trace: expected a 2-D tensor, got \[2,2,2\]/);
  });

  it('chunk, unbind, movedim, narrow and unflatten', () => {
    expect(chunk(arange(5), 4).map((c) => c.toArray())).toEqual([[0, 1], [2, 3], [4]]);
    expect(chunk(zeros([0]), 3).map((c) => c.shape)).toEqual([[0], [0], [0]]);
    expect(unbind(grid(), 1).map((c) => c.toArray())).toEqual([[0, 4, 8], [1, 5, 9], [2, 6, 10], [3, 7, 11]]);
    expect(movedim(zeros([2, 3, 4]), 0, -1).shape).toEqual([3, 4, 2]);
    expect(movedim(zeros([2, 3, 4]), [2, 0], [0, 1]).shape).toEqual([4, 2, 3]);
    expect(narrow(grid(), -1, -3, 2).toArray()).toEqual([[1, 2], [5, 6], [9, 10]]);
    expect(narrow(grid(), 0, 3, 0).shape).toEqual([0, 4]);
    expect(unflatten(zeros([2, 12]), -1, [3, -1, 2]).shape).toEqual([2, 3, 2, 2]);
    expect(() => narrow(grid(), 1, 2, 3)).toThrow(/narrow: start 2 \+ length 3 exceeds the size 4 of axis 1/);
    expect(() => narrow(grid(), 1, -5, 1)).toThrow(/narrow: start -5 is out of range for axis 1 of size 4/);
    expect(() => unflatten(zeros([6]), 0, [4, -1])).toThrow(ShapeError);
    expect(() => unbind(tensor(1))).toThrow(ShapeError);
  });

  it('meshgrid in ij and xy order', () => {
    const [a, b] = meshgrid([tensor([1, 2]), tensor([3, 4, 5])]);
    expect(a!.toArray()).toEqual([[1, 1, 1], [2, 2, 2]]);
    expect(b!.toArray()).toEqual([[3, 4, 5], [3, 4, 5]]);
    const [x, y, z] = meshgrid([tensor([1, 2]), tensor([3, 4, 5]), tensor(6)], { indexing: 'xy' });
    expect([x!.shape, y!.shape, z!.shape]).toEqual([[3, 2, 1], [3, 2, 1], [3, 2, 1]]);
    expect(x!.toArray()).toEqual([[[1], [2]], [[1], [2]], [[1], [2]]]);
    expect(() => meshgrid([ones([2])], { indexing: 'yx' as never })).toThrow(TypeError);
  });

  it('oneHot: int32 in, int32 out, with the class count inferred or given', () => {
    const h = oneHot(tensor([[0, 2]], { dtype: 'int32' }));
    expect(h.dtype).toBe('int32');
    expect(h.toArray()).toEqual([[[1, 0, 0], [0, 0, 1]]]);
    expect(oneHot(ints([1]), 4).toArray()).toEqual([[0, 1, 0, 0]]);
    expect(oneHot(ints([]), 2).shape).toEqual([0, 2]);
    expect(() => oneHot(ints([3]), 3)).toThrow(/oneHot: class index 3 is out of range for 3 classes/);
    expect(() => oneHot(ints([-1]))).toThrow(/oneHot: class index -1 is negative/);
    expect(() => oneHot(ints([]))).toThrow(/cannot infer the number of classes/);
    expect(() => oneHot(tensor([1]))).toThrow(/oneHot: expected int32 class indices, got float32/);
  });

  it('are methods too', () => {
    const t = grid();
    expect(t.flip(0).toArray()).toEqual(flip(t, 0).toArray());
    expect(t.tril().toArray()).toEqual(tril(t).toArray());
    expect(t.narrow(1, 1, 2).toArray()).toEqual(narrow(t, 1, 1, 2).toArray());
    expect(t.diagonal().toArray()).toEqual([0, 5, 10]);
    expect(t.trace().item()).toBe(15);
    expect(t.movedim(0, 1).shape).toEqual([4, 3]);
  });
});
