/**
 * The research set's predicates: NaN/Inf tests, logical ops on truth values, any/all reductions,
 * allclose and equal, on every dtype and on empty, 0-d and broadcast operands.
 */
import { describe, expect, it } from 'vitest';
import {
  all, allclose, any, equal, isfinite, isinf, isnan, logicalAnd, logicalNot, logicalOr, logicalXor, tensor, zeros, type Tensor,
} from '@tapegrad/tensor';

const f64 = (v: number[]): Tensor => tensor(v, { dtype: 'float64' });
const i32 = (v: number[]): Tensor => tensor(v, { dtype: 'int32' });
const special = [NaN, Infinity, -Infinity, 0, -1.5];

describe('isnan, isinf, isfinite', () => {
  it('classify float32 and float64 values, bool out', () => {
    for (const t of [tensor(special), f64(special)]) {
      expect(isnan(t).toArray()).toEqual([true, false, false, false, false]);
      expect(isinf(t).toArray()).toEqual([false, true, true, false, false]);
      expect(isfinite(t).toArray()).toEqual([false, false, false, true, true]);
      expect(isnan(t).dtype).toBe('bool');
    }
  });

  it('integers and bools are never NaN or infinite', () => {
    for (const t of [i32([1, -2147483648]), tensor([true, false])]) {
      expect(isnan(t).toArray()).toEqual([false, false]);
      expect(isinf(t).toArray()).toEqual([false, false]);
      expect(isfinite(t).toArray()).toEqual([true, true]);
    }
  });

  it('work on 0-d and empty tensors and as methods', () => {
    expect(isnan(f64([NaN]).reshape([])).item()).toBe(true);
    expect(isinf(zeros([2, 0])).shape).toEqual([2, 0]);
    expect(f64([Infinity]).isfinite().toArray()).toEqual([false]);
  });
});

describe('logical ops', () => {
  it('treat non-zero (NaN included) as true, broadcast, and return bool', () => {
    const a = tensor([1, 0, NaN, -2]);
    const b = i32([2, 1, 1, 0]);
    expect(logicalAnd(a, b).toArray()).toEqual([true, false, true, false]);
    expect(logicalOr(a, b).toArray()).toEqual([true, true, true, true]);
    expect(logicalXor(a, b).toArray()).toEqual([false, true, false, true]);
    expect(logicalNot(a).toArray()).toEqual([false, true, false, false]);
    expect(logicalAnd(a, b).dtype).toBe('bool');
    expect(logicalOr(tensor([[true], [false]]), tensor([false, false, true])).toArray()).toEqual([[true, true, true], [false, false, true]]);
    expect(logicalNot(tensor([true, false])).toArray()).toEqual([false, true]);
    expect(logicalAnd(tensor([1, 0]), true).toArray()).toEqual([true, false]);
    expect(a.logicalXor(0).toArray()).toEqual([true, false, true, true]);
  });
});

describe('any and all', () => {
  const m = tensor([[0, 0, 1], [0, 0, 0]]);
  it('reduce over all axes, one axis (negative too) or several, with keepdims', () => {
    expect(any(m).item()).toBe(true);
    expect(all(m).item()).toBe(false);
    expect(any(m, 1).toArray()).toEqual([true, false]);
    expect(any(m, -2).toArray()).toEqual([false, false, true]);
    expect(all(tensor([[1, 2], [0, 3]]), 0, true).toArray()).toEqual([[false, true]]);
    expect(all(tensor([[1, 2], [0, 3]]), [0, 1]).toArray()).toEqual(false);
    expect(m.any(1, true).shape).toEqual([2, 1]);
    expect(all(f64([NaN, 1])).item()).toBe(true);
  });

  it('any over nothing is false and all over nothing is true, as PyTorch', () => {
    expect(any(zeros([0])).item()).toBe(false);
    expect(all(zeros([0])).item()).toBe(true);
    expect(any(zeros([2, 0]), 1).toArray()).toEqual([false, false]);
    expect(all(zeros([0, 3]), 0).toArray()).toEqual([true, true, true]);
    expect(all(tensor(0)).item()).toBe(false);
  });

  it('name the op in their errors', () => {
    expect(() => any(m, 2)).toThrow(/^any: axis 2 is out of range for a tensor with 2 dims/);
    expect(() => all(m, [0, 0])).toThrow(/^all: repeated axis/);
    expect(() => logicalAnd(zeros([2]), zeros([3]))).toThrow(/^logicalAnd: cannot broadcast \[2\] with \[3\]/);
    expect(() => allclose(zeros([2]), zeros([3]))).toThrow(/^allclose: cannot broadcast/);
  });
});

describe('allclose and equal', () => {
  it('allclose: |a - b| <= atol + rtol |b|, equal infinities close, NaN never', () => {
    expect(allclose(f64([1, 2]), f64([1 + 1e-6, 2]))).toBe(true);
    expect(allclose(f64([1, 2]), f64([1 + 1e-4, 2]))).toBe(false);
    expect(allclose(f64([0]), f64([1e-9]))).toBe(true);
    expect(allclose(f64([0]), f64([1e-7]))).toBe(false);
    expect(allclose(f64([Infinity, -Infinity]), f64([Infinity, -Infinity]))).toBe(true);
    expect(allclose(f64([1]), f64([Infinity]))).toBe(false);
    expect(allclose(f64([Infinity]), f64([-Infinity]))).toBe(false);
    expect(allclose(f64([NaN]), f64([NaN]))).toBe(false);
    expect(allclose(f64([1, 1.05]), 1, { rtol: 0.1 })).toBe(true);
    expect(allclose(f64([1, 1.05]), 1, { rtol: 0, atol: 0.01 })).toBe(false);
    expect(allclose(tensor([[1], [2]]), tensor([1, 1]))).toBe(false);
    expect(allclose(i32([3]), f64([3]))).toBe(true);
    expect(f64([1]).allclose(f64([1]))).toBe(true);
  });

  it('allclose returns a boolean for tensors that require grad, and checks its tolerances', () => {
    const x = f64([1, 2]).requiresGrad_(true);
    expect(typeof allclose(x, x)).toBe('boolean');
    expect(() => allclose(x, x, { rtol: -1 })).toThrow(/^allclose: expected rtol >= 0, got -1/);
  });

  it('equal: same shape and equal values', () => {
    expect(equal(f64([1, 2]), f64([1, 2]))).toBe(true);
    expect(equal(f64([1, 2]), f64([1, 3]))).toBe(false);
    expect(equal(f64([1, 2]), f64([1, 2]).reshape([2, 1]))).toBe(false);
    expect(equal(f64([NaN]), f64([NaN]))).toBe(false);
    expect(equal(i32([1, 2]), f64([1, 2]))).toBe(true);
    expect(equal(zeros([0]), zeros([0]))).toBe(true);
    expect(f64([5]).equal(f64([5]))).toBe(true);
  });
});
