import { describe, expect, it } from 'vitest';
import {
  add, exp, log, matmul, mul, pow, randn, sigmoid, sin, softplus, sqrt, sub, sum, tanh, tensor, AnomalyError, ShapeError, Tensor, div,
} from '@tapegrad/tensor';
import { backward, checkGrad, defineOp, detectAnomaly, grad, jvp, valueAndGrad, vjp } from '@tapegrad/autograd';

const s = (v: number) => tensor(v, { dtype: 'float64' });
const d = (f: (t: Tensor) => Tensor) => (x: Tensor) => grad((t: Tensor) => sum(f(t)))(x) as Tensor;
const closeTo = (a: number, b: number, tol = 1e-12) => expect(Math.abs(a - b)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(b)));

describe('higher-order derivatives through grad(grad(f))', () => {
  const x = 0.7;
  const cases: [string, (t: Tensor) => Tensor, number[]][] = [
    ['tanh', tanh, (() => { const t = Math.tanh(x); const s1 = 1 - t * t; return [s1, -2 * t * s1, (-2 + 6 * t * t) * s1]; })()],
    ['sigmoid', sigmoid, (() => { const g = 1 / (1 + Math.exp(-x)); const g1 = g * (1 - g); return [g1, g1 * (1 - 2 * g), g1 * (1 - 6 * g + 6 * g * g)]; })()],
    ['exp', exp, [Math.exp(x), Math.exp(x), Math.exp(x)]],
    ['sin', sin, [Math.cos(x), -Math.sin(x), -Math.cos(x)]],
    ['x^3', (t) => pow(t, 3), [3 * x * x, 6 * x, 6]],
    ['softplus', (t) => softplus(t), (() => { const g = 1 / (1 + Math.exp(-x)); return [g, g * (1 - g), g * (1 - g) * (1 - 2 * g)]; })()],
  ];
  for (const [name, f, [d1, d2, d3]] of cases) {
    it(`${name}: first, second and third derivatives match the closed forms`, () => {
      closeTo(d(f)(s(x)).item(), d1!);
      closeTo(d(d(f))(s(x)).item(), d2!);
      closeTo(d(d(d(f)))(s(x)).item(), d3!);
    });
  }

  it('the Hessian-vector product of a small MLP loss w.r.t. its inputs matches finite differences of the gradient', () => {
    const W1 = randn([3, 4], { seed: 1, dtype: 'float64' });
    const W2 = randn([4, 1], { seed: 2, dtype: 'float64' });
    const loss = (x: Tensor) => sum(mul(tanh(matmul(tanh(matmul(x, W1)), W2)), 1.5));
    const x0 = randn([2, 3], { seed: 3, dtype: 'float64' });
    const v = randn([2, 3], { seed: 4, dtype: 'float64' });
    const hvp = grad((x: Tensor) => sum(mul(grad(loss)(x) as Tensor, v)))(x0) as Tensor;
    const eps = 1e-5;
    const gp = grad(loss)(add(x0, mul(v, eps))) as Tensor;
    const gm = grad(loss)(add(x0, mul(v, -eps))) as Tensor;
    const fd = div(gp.sub(gm), 2 * eps).data();
    const an = hvp.data();
    for (let i = 0; i < an.length; i++) closeTo(an[i]!, fd[i]!, 1e-7);
  });

  it('backward with createGraph gives differentiable .grad', () => {
    const x = s(1.3).requiresGrad_();
    backward(pow(x, 4), undefined, { createGraph: true });
    const g1 = x.grad!;
    closeTo(g1.item(), 4 * 1.3 ** 3);
    x.grad = null;
    backward(g1);
    closeTo(x.grad!.item(), 12 * 1.3 ** 2);
  });
});

describe('transforms', () => {
  it('valueAndGrad returns the value and per-argnum gradients', () => {
    const f = (a: Tensor, b: Tensor) => sum(mul(a, b));
    const [v, gs] = valueAndGrad(f, { argnums: [0, 1] })(s(2), s(5));
    expect(v.item()).toBe(10);
    expect((gs as Tensor[]).map((g) => g.item())).toEqual([5, 2]);
    expect((grad(f, { argnums: 1 })(s(2), s(5)) as Tensor).item()).toBe(2);
    expect(() => grad(f, { argnums: 2 })(s(2), s(5))).toThrow(RangeError);
  });

  it('grad refuses non-scalar outputs and integer arguments with clear errors', () => {
    expect(() => grad((t: Tensor) => mul(t, 2))(tensor([1, 2]))).toThrow(/one-element float32\/float64 tensor, got shape \[2\]/);
    expect(() => grad((t: Tensor) => sum(t))(tensor([1], { dtype: 'int32' }))).toThrow(/float32\/float64/);
  });

  it('an argument the output does not depend on gets a zero gradient', () => {
    const g = grad((a: Tensor, _b: Tensor) => sum(a), { argnums: [0, 1] })(s(1), tensor([1, 2], { dtype: 'float64' })) as Tensor[];
    expect(g[1]!.toArray()).toEqual([0, 0]);
  });

  it('vjp and jvp agree: <u, J v> = <J^T u, v>', () => {
    const A = randn([3, 4], { seed: 5, dtype: 'float64' });
    const f = (x: Tensor) => tanh(matmul(A, x));
    const x = randn([4], { seed: 6, dtype: 'float64' });
    const v = randn([4], { seed: 7, dtype: 'float64' });
    const u = randn([3], { seed: 8, dtype: 'float64' });
    const { out, tangent } = jvp(f, [x], [v]);
    const back = vjp(f, x);
    expect(back.out.toArray()).toEqual(out.toArray());
    const [jtu] = back.vjp(u);
    closeTo(sum(mul(u, tangent)).item(), sum(mul(jtu!, v)).item(), 1e-12);
  });

  it('backward needs gradOutput for non-scalar outputs, of the right shape', () => {
    const x = tensor([1, 2], { dtype: 'float64', requiresGrad: true });
    expect(() => backward(mul(x, 2))).toThrow(/non-scalar output \(shape \[2\]\) needs gradOutput/);
    expect(() => backward(mul(x, 2), tensor([1, 2, 3]))).toThrow(ShapeError);
    expect(() => backward(tensor([1]))).toThrow(/does not require grad/);
    backward(mul(x, 2), tensor([1, 10], { dtype: 'float64' }));
    expect(x.grad!.toArray()).toEqual([2, 20]);
  });

  it('walks a 100,000-op chain without overflowing the stack', () => {
    const x = s(1).requiresGrad_();
    let y: Tensor = x;
    for (let i = 0; i < 100_000; i++) y = add(y, 1e-6);
    backward(y);
    expect(x.grad!.item()).toBe(1);
  });
});

describe('defineOp, checkGrad, detectAnomaly', () => {
  const cube = defineOp({
    name: 'cube',
    forward: (x) => mul(mul(x, x), x),
    vjp: (g, [x]) => [mul(g, mul(mul(x!, x!), 3))],
  });

  it('a user op differentiates like a built-in, to higher order', () => {
    expect(cube(s(2)).item()).toBe(8);
    expect(cube(s(2).requiresGrad_()).node!.op).toBe('cube');
    expect(d(cube)(s(2)).item()).toBe(12);
    expect(d(d(cube))(s(2)).item()).toBe(12);
  });

  it('checkGrad passes a right VJP and catches a wrong one', () => {
    const x = randn([5], { seed: 9, dtype: 'float64' });
    expect(checkGrad((t) => cube(t), [x]).ok).toBe(true);
    const wrong = defineOp({ name: 'wrongCube', forward: (t) => mul(mul(t, t), t), vjp: (g, [t]) => [mul(g, mul(t!, t!))] });
    const r = checkGrad((t) => wrong(t), [x]);
    expect(r.ok).toBe(false);
    expect(r.worst).toBeDefined();
  });

  it('a VJP returning the wrong shape is a ShapeError naming the op', () => {
    const bad = defineOp({ name: 'badShape', forward: (t) => mul(t, 2), vjp: (g) => [sum(g)] });
    expect(() => backward(sum(bad(tensor([1, 2], { dtype: 'float64', requiresGrad: true }))))).toThrow(/backward of 'badShape': the gradient for input 0 has shape \[\], expected \[2\]/);
  });

  it('detectAnomaly names the op whose forward first made a NaN, or whose backward first made a NaN/Inf', () => {
    const x = tensor([0, 1], { dtype: 'float64', requiresGrad: true });
    expect(() => detectAnomaly(() => log(sub(x, 1)))).toThrow(AnomalyError);
    expect(() => detectAnomaly(() => log(sub(x, 1)))).toThrow(/forward of 'log' produced NaN from inputs without NaN/);
    expect(() => detectAnomaly(() => backward(sum(sqrt(x))))).toThrow(/backward of 'sqrt' produced Inf/);
    // Outside detectAnomaly nothing is checked.
    expect(log(sub(x, 1)).toArray()).toEqual([NaN, -Infinity]);
  });
});

describe('leaf gradients own their storage', () => {
  const leaf = (v: number[]) => tensor(v, { requiresGrad: true });
  const storages = (...ts: Tensor[]) => new Set(ts.map((t) => t.buf.buffer)).size;

  it('gives two leaves that one add feeds separate .grad storage', () => {
    const a = leaf([1, 2]), b = leaf([3, 4]);
    backward(sum(mul(add(a, b), 3)));
    expect(storages(a.grad!, b.grad!)).toBe(2);
    a.grad!.zero_();
    expect(Array.from(b.grad!.data())).toEqual([3, 3]);
  });

  it('never hands the user’s gradOutput, a graph tensor or another leaf’s grad over as a .grad', () => {
    const a = leaf([1, 2]), b = leaf([5, 6]);
    const seed = tensor([1, 1]);
    const y = add(a, b.reshape([2]));
    backward(y, seed);
    expect(storages(a.grad!, b.grad!, seed, y, a, b)).toBe(6);
    seed.fill_(7);
    expect(Array.from(a.grad!.data())).toEqual([1, 1]);
  });

  it('takes a fresh whole gradient without a copy, and copies a view of one', () => {
    const w = leaf([1, 2, 3, 4]);
    const x = tensor([[1, 2], [3, 4]]);
    const w2 = w.reshape([2, 2]);
    backward(sum(matmul(x, w2.transpose(0, 1))));
    expect(w.grad!.isContiguous && w.grad!.offset === 0 && w.grad!.size === w.grad!.buf.length).toBe(true);
    expect(Array.from(w.grad!.data())).toEqual([4, 6, 4, 6]);
    const v = leaf([1, 2, 3]);
    backward(sum(mul(v.narrow(0, 0, 2), 2)));
    expect(Array.from(v.grad!.data())).toEqual([2, 2, 0]);
  });

  it('copies every leaf gradient when a user-defined VJP is in the graph', () => {
    const held = tensor([9, 9]);
    const passThrough = defineOp({ name: 'passThrough', forward: (x: Tensor) => mul(x, 1), vjp: () => [held] });
    const a = leaf([1, 2]);
    backward(sum(passThrough(a)));
    expect(a.grad!.buf.buffer).not.toBe(held.buf.buffer);
    a.grad!.zero_();
    expect(Array.from(held.data())).toEqual([9, 9]);
  });
});
