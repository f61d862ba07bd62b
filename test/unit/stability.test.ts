import { describe, expect, it } from 'vitest';
import { add, logSoftmax, logsumexp, matmul, mul, randn, softmax, sum, tanh, tensor, type Tensor } from '@tapegrad/tensor';
import { grad } from '@tapegrad/autograd';

const f64 = (v: number[]) => tensor(v, { dtype: 'float64' });
const close = (a: number, b: number, tol = 1e-12) => expect(Math.abs(a - b)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(b)));

describe('softmax, logSoftmax and logsumexp at |x| = 1000', () => {
  it('give exact values where the naive formulas overflow to Inf/NaN', () => {
    const big = f64([1000, 1001, 1002]);
    const e = [Math.exp(-2), Math.exp(-1), 1];
    const z = e[0]! + e[1]! + e[2]!;
    (softmax(big, 0).toArray() as number[]).forEach((v, i) => close(v, e[i]! / z));
    (logSoftmax(big, 0).toArray() as number[]).forEach((v, i) => close(v, Math.log(e[i]! / z)));
    close(logsumexp(big, 0).item(), 1002 + Math.log(z));
    close(logsumexp(f64([-1000, -1000]), 0).item(), -1000 + Math.LN2);
    expect(logSoftmax(f64([-1000, 1000]), 0).toArray()).toEqual([-2000, 0]);
    expect(logsumexp(f64([-Infinity, -Infinity]), 0).item()).toBe(-Infinity);
  });

  it('have finite, exact gradients there too', () => {
    const x = f64([1000, -1000, 999]);
    const g = grad((t: Tensor) => logsumexp(t, 0))(x) as Tensor;
    const s = softmax(x, 0).toArray() as number[];
    (g.toArray() as number[]).forEach((v, i) => close(v, s[i]!));
    const w = f64([0.3, -0.2, 0.5]);
    const gl = grad((t: Tensor) => sum(mul(logSoftmax(t, 0), w)))(x) as Tensor;
    // d/dx_j sum_i w_i (x_i - lse) = w_j - softmax_j * sum(w)
    (gl.toArray() as number[]).forEach((v, j) => close(v, [0.3, -0.2, 0.5][j]! - s[j]! * 0.6));
  });
});

describe('third derivatives of a small MLP loss with respect to its inputs', () => {
  it('the derivative of the Hessian-vector product matches finite differences of it', () => {
    const W1 = randn([3, 5], { seed: 21, dtype: 'float64' });
    const W2 = randn([5, 1], { seed: 22, dtype: 'float64' });
    const loss = (x: Tensor) => sum(tanh(matmul(tanh(matmul(x, W1)), W2)));
    const v = randn([2, 3], { seed: 23, dtype: 'float64' });
    const u = randn([2, 3], { seed: 24, dtype: 'float64' });
    // s(x) = <v, H(x) v>; its gradient is the third derivative contracted twice with v.
    const hvp = (x: Tensor) => grad((t: Tensor) => sum(mul(grad(loss)(t) as Tensor, v)))(x) as Tensor;
    const s = (x: Tensor) => sum(mul(hvp(x), v));
    const x0 = randn([2, 3], { seed: 25, dtype: 'float64' });
    const third = sum(mul(grad(s)(x0) as Tensor, u)).item();
    const eps = 1e-4;
    const fd = (s(add(x0, mul(u, eps))).item() - s(add(x0, mul(u, -eps))).item()) / (2 * eps);
    close(third, fd, 1e-6);
    expect(Math.abs(third)).toBeGreaterThan(1e-3);
  });
});
