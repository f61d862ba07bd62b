/** noGrad / enableGrad / detectAnomaly: synchronous functions only, and what anomaly mode reports. */
import { describe, expect, it } from 'vitest';
import {
  AnomalyError, add, arange, full, ge, log, matmul, mul, reshape, softmax, sqrt, sub, sum, tensor, where, type Tensor,
} from 'tapegrad';
import { isAnomalyEnabled, isGradEnabled } from '@tapegrad/tensor/internal';
import { backward, detectAnomaly, enableGrad, noGrad, profileOps } from '@tapegrad/autograd';

describe('mode functions take synchronous functions only', () => {
  const cases: [string, (fn: () => unknown) => unknown, () => boolean, boolean][] = [
    ['noGrad', noGrad, isGradEnabled, true],
    ['enableGrad', (fn) => noGrad(() => enableGrad(fn)), isGradEnabled, true],
    ['detectAnomaly', detectAnomaly, isAnomalyEnabled, false],
    ['profileOps', profileOps, () => false, false],
  ];
  for (const [name, run, state, expected] of cases) {
    it(`${name} refuses a function returning a promise with a TypeError, and restores its mode`, async () => {
      let p: Promise<number> | undefined;
      expect(() => run(() => (p = Promise.resolve(1)))).toThrow(TypeError);
      expect(() => run(async () => 1)).toThrow(new RegExp(`^${name}: the function returned a promise`));
      expect(state()).toBe(expected);
      await p;
    });
  }

  it('non-functions are a TypeError naming the call', () => {
    expect(() => noGrad(5 as never)).toThrow(/^noGrad: expected a function, got number 5/);
    expect(() => detectAnomaly('x' as never)).toThrow(TypeError);
  });

  it('enableGrad records inside noGrad; noGrad inside enableGrad does not', () => {
    const w = tensor([1], { dtype: 'float64', requiresGrad: true });
    expect(noGrad(() => enableGrad(() => mul(w, 2))).requiresGrad).toBe(true);
    expect(enableGrad(() => noGrad(() => mul(w, 2))).requiresGrad).toBe(false);
  });
});

describe('detectAnomaly', () => {
  it('a causal -Infinity mask then softmax is not an anomaly, forward or backward', () => {
    const n = 4;
    const scores = reshape(arange(n * n, { dtype: 'float64' }), [n, n]).mul(0.1).detach().requiresGrad_();
    const causal = triangularMask(n);
    const out = detectAnomaly(() => {
      const p = softmax(where(causal, scores, -Infinity), -1);
      backward(sum(mul(p, p)));
      return p;
    });
    expect(out.data().every((v) => Number.isFinite(v))).toBe(true);
    expect(scores.grad!.data().every((v) => Number.isFinite(v))).toBe(true);
  });

  it('log(0) is not an anomaly in the forward pass; its infinite gradient is, in the backward pass', () => {
    const x = tensor([0, 2], { dtype: 'float64', requiresGrad: true });
    expect(detectAnomaly(() => log(x)).toArray()).toEqual([-Infinity, Math.log(2)]);
    expect(() => detectAnomaly(() => backward(sum(log(x))))).toThrow(/^detectAnomaly: backward of 'log' produced Inf in the gradient of input 0/);
  });

  it('reports the op that made a NaN, not the ops that carry it on', () => {
    const x = tensor([-1, 4], { dtype: 'float64' });
    expect(() => detectAnomaly(() => add(sqrt(x), 1))).toThrow(/forward of 'sqrt' produced NaN from inputs without NaN/);
    const withNaN = tensor([NaN, 1], { dtype: 'float64' });
    expect(detectAnomaly(() => add(mul(withNaN, 2), 1)).data()[0]).toBeNaN();
    // inf - inf is made here, from inputs holding no NaN
    expect(() => detectAnomaly(() => sub(full([2], Infinity, { dtype: 'float64' }), Infinity))).toThrow(AnomalyError);
  });

  it('a NaN gradient is named by the op whose VJP made it', () => {
    const x = tensor([0, 1], { dtype: 'float64', requiresGrad: true });
    // d/dx (sqrt(x) * 0) = 0 * inf = NaN at x = 0, made by mul's VJP feeding sqrt's
    expect(() => detectAnomaly(() => backward(sum(mul(sqrt(x), 0))))).toThrow(/backward of 'sqrt' produced NaN/);
    expect(() => detectAnomaly(() => backward(sum(matmul(reshape(x, [1, 2]), full([2, 1], NaN, { dtype: 'float64' })))))).toThrow(AnomalyError);
  });
});

/** The causal mask: position (i, j) is visible when j <= i. */
function triangularMask(n: number): Tensor {
  return ge(reshape(arange(n), [n, 1]), reshape(arange(n), [1, n]));
}
