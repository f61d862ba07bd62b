import { describe, expect, it } from 'vitest';
import { arange, eye, full, linspace, ones, tensor, zeros, ShapeError } from '@tapegrad/tensor';

describe('tensor()', () => {
  it('reads nested arrays row-major and infers the shape', () => {
    const t = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(t.shape).toEqual([2, 3]);
    expect(t.dtype).toBe('float32');
    expect(Array.from(t.data())).toEqual([1, 2, 3, 4, 5, 6]);
    expect(t.toArray()).toEqual([[1, 2, 3], [4, 5, 6]]);
  });

  it('gives numbers float32, booleans bool, and keeps typed array types', () => {
    expect(tensor(3).dtype).toBe('float32');
    expect(tensor(3).shape).toEqual([]);
    expect(tensor([true, false]).dtype).toBe('bool');
    expect(tensor([true, false]).toArray()).toEqual([true, false]);
    expect(tensor(new Float64Array([1, 2])).dtype).toBe('float64');
    expect(tensor(new Int32Array([1, 2])).dtype).toBe('int32');
    expect(tensor(new Uint8Array([0, 3])).toArray()).toEqual([false, true]);
    expect(tensor([1.7, -1.7], { dtype: 'int32' }).toArray()).toEqual([1, -1]);
  });

  it('copies its input: later changes to the source do not leak in', () => {
    const src = new Float32Array([1, 2, 3]);
    const t = tensor(src);
    src[0] = 100;
    expect(t.toArray()).toEqual([1, 2, 3]);
  });

  it('shapes flat data with opts.shape and refuses a size mismatch', () => {
    expect(tensor([1, 2, 3, 4, 5, 6], { shape: [3, 2] }).toArray()).toEqual([[1, 2], [3, 4], [5, 6]]);
    expect(() => tensor([1, 2, 3], { shape: [2, 2] })).toThrow(ShapeError);
  });

  it('rejects ragged arrays, non-numeric leaves, unknown dtypes and unsupported typed arrays', () => {
    expect(() => tensor([[1, 2], [3]])).toThrow(/ragged.*expected length 2 at \[1\], got 1/);
    expect(() => tensor([[1, 2], 3] as never)).toThrow(TypeError);
    expect(() => tensor([1, 'a'] as never)).toThrow(/expected numbers or booleans, got "a" at \[1\]/);
    expect(() => tensor([1], { dtype: 'float16' as never })).toThrow(/unknown dtype "float16"/);
    expect(() => tensor(new Int16Array(2) as never)).toThrow(TypeError);
  });

  it('validates shapes: negative, fractional and NaN sizes are errors', () => {
    expect(() => zeros([2, -1])).toThrow(RangeError);
    expect(() => zeros([1.5])).toThrow(RangeError);
    expect(() => zeros([NaN])).toThrow(/NaN/);
    expect(() => zeros('3' as never)).toThrow(TypeError);
  });

  it('item() returns the value of one-element tensors only', () => {
    expect(tensor([[7]]).item()).toBe(7);
    expect(tensor(true).item()).toBe(true);
    expect(() => tensor([1, 2]).item()).toThrow(/one-element.*\[2\]/);
  });
});

describe('creation functions', () => {
  it('zeros, ones, full, eye', () => {
    expect(zeros([2]).toArray()).toEqual([0, 0]);
    expect(ones([1, 2], { dtype: 'int32' }).dtype).toBe('int32');
    expect(full([2], 2.5).toArray()).toEqual([2.5, 2.5]);
    expect(full([1], true).dtype).toBe('bool');
    expect(eye(3).toArray()).toEqual([[1, 0, 0], [0, 1, 0], [0, 0, 1]]);
    expect(eye(2, 3).shape).toEqual([2, 3]);
  });

  it('arange is float32 by default and follows start/stop/step', () => {
    expect(arange(4).toArray()).toEqual([0, 1, 2, 3]);
    expect(arange(1, 2, 0.25).toArray()).toEqual([1, 1.25, 1.5, 1.75]);
    expect(arange(5, 0, -2).toArray()).toEqual([5, 3, 1]);
    expect(arange(3).dtype).toBe('float32');
    expect(arange(3, { dtype: 'int32' }).dtype).toBe('int32');
    expect(() => arange(0, 1, 0)).toThrow(RangeError);
  });

  it('linspace includes both ends exactly', () => {
    const t = linspace(-1, 1, 5, { dtype: 'float64' });
    expect(t.toArray()).toEqual([-1, -0.5, 0, 0.5, 1]);
    expect((linspace(0, 0.3, 7, { dtype: 'float64' }).toArray() as number[])[6]).toBe(0.3);
  });

  it('requiresGrad only for float dtypes', () => {
    expect(zeros([2], { requiresGrad: true }).requiresGrad).toBe(true);
    expect(() => zeros([2], { dtype: 'int32', requiresGrad: true })).toThrow(/only float32\/float64/);
  });
});
