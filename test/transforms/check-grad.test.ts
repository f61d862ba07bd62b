/** checkGrad: sane relative errors, second order, forward mode, several outputs. */
import { describe, expect, it } from 'vitest';
import { mul, randn, sign, sin, sum, tanh, type Tensor } from 'tapegrad';
import { checkGrad, defineOp } from '@tapegrad/autograd';

const x = randn([4], { seed: 3, dtype: 'float64' });

describe('checkGrad', () => {
  it('reports a relative error of 1, not 1e300, when the numeric gradient is 0 (a straight-through estimator)', () => {
    const ste = defineOp({ name: 'ste', forward: (t) => sign(t), vjp: (g) => [g] });
    const r = checkGrad((t) => sum(ste(t)), [x]);
    expect(r.ok).toBe(false);
    expect(r.maxRelError).toBe(1);
    expect(r.maxAbsError).toBe(1);
    expect(r.worst).toMatchObject({ mode: 'rev', order: 1, input: 0, analytic: 1, numeric: 0 });
  });

  it('reports 0 when analytic and numeric are both 0, and small relative errors when they agree', () => {
    const r = checkGrad((t) => mul(sin(t), 0), [x]);
    expect(r.ok).toBe(true);
    expect(r.maxRelError).toBe(0);
    expect(checkGrad((t) => tanh(t), [x]).maxRelError).toBeLessThan(1e-8);
  });

  it('order 2 catches a VJP that is right but not differentiable again', () => {
    // The VJP reads a detached input: first derivatives are right, second derivatives are lost.
    const cube = defineOp({ name: 'cube', forward: (t) => mul(mul(t, t), t), vjp: (g, [t]) => [mul(g, mul(mul(t!.detach(), t!.detach()), 3))] });
    expect(checkGrad((t) => cube(t), [x]).ok).toBe(true);
    const r = checkGrad((t) => cube(t), [x], { order: 2 });
    expect(r.ok).toBe(false);
    expect(r.worst!.order).toBe(2);
    const good = defineOp({ name: 'cube', forward: (t) => mul(mul(t, t), t), vjp: (g, [t]) => [mul(g, mul(mul(t!, t!), 3))] });
    expect(checkGrad((t) => good(t), [x], { order: 2, modes: ['rev', 'fwd'] }).ok).toBe(true);
  });

  it("mode 'fwd' checks forward mode, which 'rev' never runs", () => {
    const wrongJvp = defineOp({
      name: 'wrongJvp', forward: (t) => sin(t), vjp: (g, [t]) => [mul(g, t!.cos())], jvp: ([t], [u]) => mul(t!, u!.sin()),
    });
    expect(checkGrad((t) => wrongJvp(t), [x]).ok).toBe(true);
    const r = checkGrad((t) => wrongJvp(t), [x], { modes: ['fwd'] });
    expect(r.ok).toBe(false);
    expect(r.worst).toMatchObject({ mode: 'fwd', order: 1, output: 0 });
  });

  it('checks functions of several inputs and outputs, in both modes, to second order', () => {
    const y = randn([4], { seed: 4, dtype: 'float64' });
    const f = (a: Tensor, b: Tensor): Tensor[] => [mul(sin(a), b), sum(tanh(mul(a, b)))];
    expect(checkGrad(f, [x, y], { order: 2, modes: ['rev', 'fwd'] })).toMatchObject({ ok: true });
  });
});
