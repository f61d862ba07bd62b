/**
 * Scans: dtypes, axes (negative too), 0-d and empty tensors, PyTorch's ties and NaN rules for
 * cummax/cummin, and gradients where the simple formulas fail (cumprod at zeros, logcumsumexp at
 * large magnitudes), against values PyTorch 1.13 gives for the same inputs.
 */
import { describe, expect, it } from 'vitest';
import { cummax, cummin, cumprod, cumsum, logcumsumexp, mul, sum, tensor, zeros, type Tensor } from '@tapegrad/tensor';
import { grad } from '@tapegrad/autograd';

const f64 = (v: number[] | number[][]): Tensor => tensor(v, { dtype: 'float64' });
const values = (t: Tensor): number[] => Array.from(t.data());
/** The gradient of <f(x), u>. */
const pullback = (f: (t: Tensor) => Tensor, x: Tensor, u: Tensor): Tensor => grad((t: Tensor) => sum(mul(f(t), u)))(x) as Tensor;
const closeTo = (a: number[], b: number[], tol = 1e-12): void => a.forEach((v, i) => expect(Math.abs(v - b[i]!)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(b[i]!))));

describe('cumsum and cumprod', () => {
  it('run along any axis, negative ones included', () => {
    const x = f64([[1, 2, 3], [4, 5, 6]]);
    expect(cumsum(x, 0).toArray()).toEqual([[1, 2, 3], [5, 7, 9]]);
    expect(cumsum(x, -1).toArray()).toEqual([[1, 3, 6], [4, 9, 15]]);
    expect(cumprod(x, 1).toArray()).toEqual([[1, 2, 6], [4, 20, 120]]);
    expect(x.cumprod(-2).toArray()).toEqual([[1, 2, 3], [4, 10, 18]]);
  });

  it('keep float dtypes; integers and bools give int32 (wrapping at 2^31)', () => {
    expect(cumsum(tensor([1.5]), 0).dtype).toBe('float32');
    expect(cumsum(tensor([true, true, false]), 0).toArray()).toEqual([1, 2, 2]);
    expect(cumsum(tensor([true]), 0).dtype).toBe('int32');
    expect(cumprod(tensor([2, 3, 4], { dtype: 'int32' }), 0).toArray()).toEqual([2, 6, 24]);
    expect(cumsum(tensor([2 ** 31 - 1, 1], { dtype: 'int32' }), 0).toArray()).toEqual([2 ** 31 - 1, -(2 ** 31)]);
    expect(logcumsumexp(tensor([0, 0], { dtype: 'int32' }), 0).dtype).toBe('float32');
  });

  it('take 0-d tensors (axis 0 or -1) and empty ones', () => {
    expect(cumsum(f64([2.5]).reshape([]), 0).item()).toBe(2.5);
    expect(cumprod(f64([2.5]).reshape([]), -1).shape).toEqual([]);
    expect(cumsum(zeros([0, 3]), 0).shape).toEqual([0, 3]);
    expect(cumsum(zeros([2, 0]), 0).shape).toEqual([2, 0]);
    expect(cummax(zeros([0]), 0)[1].shape).toEqual([0]);
  });

  it('check their axis, naming the op', () => {
    expect(() => cumsum(zeros([2, 3]), 2)).toThrow(/^cumsum: axis 2 is out of range for a tensor with 2 dims \(expected -2\.\.1\)/);
    expect(() => cumprod(zeros([2]), undefined as never)).toThrow(/^cumprod: expected an integer axis, got undefined/);
    expect(() => cummin(zeros([2]), -2)).toThrow(/^cummin: axis -2 is out of range/);
  });

  it('cumprod has PyTorch gradients at zeros, along either axis', () => {
    const x = f64([[2, 0, 3, 0, 4], [1, 2, 0, 3, 5]]);
    const u = f64([[1, 2, 3, 4, 5], [-1, 0.5, 2, 1, 3]]);
    expect(pullback((t) => cumprod(t, 1), x, u).toArray()).toEqual([[1, 22, 0, 0, 0], [0, 0.5, 100, 0, 0]]);
    expect(pullback((t) => cumprod(t, 0), x, u).toArray()).toEqual([[0, 3, 3, 7, 20], [-2, 0, 6, 0, 12]]);
  });
});

describe('logcumsumexp', () => {
  it('is exact at large magnitudes and takes infinities', () => {
    closeTo(values(logcumsumexp(f64([1000, -1000, 999, 1001]), 0)), [1000, 1000, 1000.3132616875182, 1001.4076059644444]);
    expect(values(logcumsumexp(f64([-Infinity, -Infinity, 0, Infinity, 1]), 0))).toEqual([-Infinity, -Infinity, 0, Infinity, Infinity]);
    expect(values(logcumsumexp(f64([1, NaN, 2]), 0))).toEqual([1, NaN, NaN]);
  });

  it('has finite, accurate gradients there (PyTorch: [1.3155..., 0, 0.8518..., 0.3326...])', () => {
    const g = pullback((t) => logcumsumexp(t, 0), f64([1000, -1000, 999, 1001]), f64([1, -2, 3, 0.5]));
    closeTo(values(g), [1.3155399714176654, 0, 0.8518395506952604, 0.33262047788741317]);
  });

  it('keeps float32 gradients at large magnitudes within float32 rounding of the float64 ones', () => {
    const u = [1, -2, 3, 0.5];
    const g64 = values(pullback((t) => logcumsumexp(t, 0), f64([100, -100, 90, 101]), f64(u)));
    const g32 = values(pullback((t) => logcumsumexp(t, 0), tensor([100, -100, 90, 101]), tensor(u)));
    // |x| ~ 100 costs 100 * 2^-24 in each exponent; PyTorch's float32 gradient is off by 3e-6 here.
    g32.forEach((v, i) => expect(Math.abs(v - g64[i]!)).toBeLessThanOrEqual(1e-5 * Math.abs(g64[i]!) + 1e-30));
  });

  it('has a zero gradient for a zero cotangent (it is linear in the cotangent)', () => {
    const g = pullback((t) => logcumsumexp(t, 0), f64([0.5, -1, 2]), zeros([3], { dtype: 'float64' }));
    expect(values(g)).toEqual([0, 0, 0]);
  });
});

describe('cummax and cummin', () => {
  it('take the latest index at ties and stay NaN after a NaN (with the latest NaN index), as PyTorch', () => {
    const [v, i] = cummax(f64([1, 1, 0, 2, NaN, 1, NaN, 5]), 0);
    expect(values(v)).toEqual([1, 1, 1, 2, NaN, NaN, NaN, NaN]);
    expect(values(i)).toEqual([0, 1, 1, 3, 4, 4, 6, 6]);
    expect(i.dtype).toBe('int32');
    const [w, j] = cummin(f64([1, 1, 2, 0, NaN, 1, NaN, -5]), 0);
    expect(values(w)).toEqual([1, 1, 1, 0, NaN, NaN, NaN, NaN]);
    expect(values(j)).toEqual([0, 1, 1, 3, 4, 4, 6, 6]);
  });

  it('run along an axis of a 2-D tensor and on integers, 0-d tensors and as methods', () => {
    const [v, i] = cummax(tensor([[3, 1], [2, 5], [4, 4]], { dtype: 'int32' }), 0);
    expect(v.toArray()).toEqual([[3, 1], [3, 5], [4, 5]]);
    expect(v.dtype).toBe('int32');
    expect(i.toArray()).toEqual([[0, 0], [0, 1], [2, 1]]);
    const [s, k] = cummin(f64([7]).reshape([]), -1);
    expect([s.shape, s.item(), k.item()]).toEqual([[], 7, 0]);
    expect(values(f64([2, 1, 3]).cummin(0)[0])).toEqual([2, 1, 1]);
  });

  it('send the gradient of each value to the element it came from', () => {
    const g = pullback((t) => cummax(t, 0)[0], f64([1, 3, 2, 5]), f64([1, 2, 4, 8]));
    expect(values(g)).toEqual([1, 6, 0, 8]);
  });
});
