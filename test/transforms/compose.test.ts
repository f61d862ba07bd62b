/**
 * Transforms composed in different orders and depths give the numbers a loop or a closed form gives;
 * results require grad exactly when they depend on something outside that does.
 */
import { describe, expect, it } from 'vitest';
import {
  Tensor, add, cos, dropout, exp, matmul, mul, ones, randn, reshape, sin, slice, stack, sum, tanh, tensor, type TypedArray,
} from 'tapegrad';
import { backward, defineOp, grad, hessian, hvp, jacfwd, jacrev, jvp, noGrad, valueAndGrad, vjp, vmap } from '@tapegrad/autograd';

const f64 = (v: number[] | number[][]) => tensor(v, { dtype: 'float64' });
const row = (X: Tensor, i: number): Tensor => reshape(slice(X, [i], [i + 1]), X.shape.slice(1));
function close(a: Tensor | TypedArray, b: Tensor | TypedArray, tol = 1e-12): void {
  const x = a instanceof Tensor ? a.data() : a;
  const y = b instanceof Tensor ? b.data() : b;
  expect(x.length).toBe(y.length);
  for (let i = 0; i < x.length; i++) expect(Math.abs(x[i]! - y[i]!), `element ${i}: ${x[i]} vs ${y[i]}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(y[i]!)));
}

const X = randn([4, 3], { seed: 1, dtype: 'float64' });
const W = randn([3, 2], { seed: 2, dtype: 'float64' });
const net = (x: Tensor): Tensor => sum(tanh(matmul(x, W)));

describe('nesting orders', () => {
  it('grad(vmap(f)): the gradient of a batched sum is the stack of per-row gradients', () => {
    const g = grad((A: Tensor) => sum(vmap(net)(A)))(X);
    close(g, stack([0, 1, 2, 3].map((i) => grad(net)(row(X, i)))));
  });

  it('vmap(jvp(f)): per-row tangents, batched primals and tangents', () => {
    const V = randn([4, 3], { seed: 3, dtype: 'float64' });
    const t = vmap((x: Tensor, v: Tensor) => jvp(net, [x], [v]).tangent)(X, V);
    close(t, stack([0, 1, 2, 3].map((i) => jvp(net, [row(X, i)], [row(V, i)]).tangent)));
  });

  it('jvp(vmap(f)) and jvp(grad(f)) (forward over reverse = Hessian-vector product)', () => {
    const V = randn([4, 3], { seed: 4, dtype: 'float64' });
    close(jvp(vmap(net), [X], [V]).tangent, stack([0, 1, 2, 3].map((i) => jvp(net, [row(X, i)], [row(V, i)]).tangent)));
    const x = row(X, 0), v = row(V, 0);
    const H = hessian(net)(x);
    close(jvp(grad(net), [x], [v]).tangent, matmul(H, v));
    close(hvp(net, [x], [v]).tangent[0]!, matmul(H, v));
  });

  it('grad(jvp(f)) and jvp(jvp(f)): second derivatives of sin', () => {
    const x = f64([0.3, -1.2]);
    const one = ones([2], { dtype: 'float64' });
    // d/dx sum(jvp(sin, x, 1)) = d/dx sum(cos x) = -sin x
    close(grad((t: Tensor) => sum(jvp(sin, [t], [one]).tangent))(x), mul(sin(x), -1));
    close(jvp((t: Tensor) => jvp(sin, [t], [one]).tangent, [x], [one]).tangent, mul(sin(x), -1));
  });

  it('vmap(vmap(f)) over two axes is a double loop; inAxes and outAxes move the batch', () => {
    const A = randn([2, 3, 4], { seed: 5, dtype: 'float64' });
    const f = (v: Tensor): Tensor => mul(sin(v), sum(v));
    const both = vmap(vmap(f, { inAxes: 1, outAxes: 1 }), { inAxes: 0 })(A);
    // Outer: rows A[i] of shape [3, 4]; inner: their columns A[i, :, j], put back as columns.
    expect(both.shape).toEqual([2, 3, 4]);
    for (let i = 0; i < 2; i++) {
      for (let j = 0; j < 4; j++) {
        const column = (T: Tensor): Tensor => reshape(slice(T, [i, 0, j], [i + 1, 3, j + 1]), [3]);
        close(column(both), f(column(A)));
      }
    }
  });

  it('vmap(grad(grad(f))) and grad(vmap(grad(f))): three levels', () => {
    const x = f64([0.1, 0.7, -0.4]);
    const f = (t: Tensor): Tensor => sum(mul(exp(t), sin(t)));
    // f' = e^t (sin t + cos t), f'' = 2 e^t cos t, f''' = 2 e^t (cos t - sin t)
    close(vmap(grad(grad(f)))(x), mul(mul(exp(x), cos(x)), 2));
    close(grad((t: Tensor) => sum(vmap(grad(grad(f)))(t)))(x), mul(mul(exp(x), add(cos(x), mul(sin(x), -1))), 2));
  });

  it('vmap(jacrev), vmap(jacfwd), vmap(hessian) and jacrev(vmap): Jacobians per row, and the block-diagonal one', () => {
    const f = (x: Tensor): Tensor => tanh(matmul(x, W));
    const perRow = stack([0, 1, 2, 3].map((i) => jacrev(f)(row(X, i))));
    close(vmap(jacrev(f))(X), perRow);
    close(vmap(jacfwd(f))(X), perRow);
    const g = (x: Tensor): Tensor => sum(exp(mul(x, x)));
    close(vmap(hessian(g))(X), stack([0, 1, 2, 3].map((i) => hessian(g)(row(X, i)))));
    const J = jacrev(vmap(f))(X); // [4, 2, 4, 3]: row i of the output depends on row i of X only
    expect(J.shape).toEqual([4, 2, 4, 3]);
    for (let i = 0; i < 4; i++) {
      for (let j = 0; j < 4; j++) {
        const block = reshape(slice(J, [i, 0, j, 0], [i + 1, 2, j + 1, 3]), [2, 3]);
        close(block, i === j ? row(perRow, i) : mul(block, 0));
      }
    }
  });

  it('per-sample gradients with unbatched parameters stay differentiable with respect to them', () => {
    const Wp = W.detach().requiresGrad_();
    const loss = (w: Tensor, x: Tensor): Tensor => sum(tanh(matmul(x, w)));
    const perSample = vmap(grad(loss), { inAxes: [null, 0] })(Wp, X);
    expect(perSample.shape).toEqual([4, 3, 2]);
    expect(perSample.requiresGrad).toBe(true);
    backward(sum(mul(perSample, perSample)));
    // Against the same quantity through a loop.
    const Wq = W.detach().requiresGrad_();
    backward(sum(stack([0, 1, 2, 3].map((i) => grad(loss)(Wq, row(X, i)))).mul(stack([0, 1, 2, 3].map((i) => grad(loss)(Wq, row(X, i)))))));
    close(Wp.grad!, Wq.grad!);
  });

  it('vmap closing over a parameter: backward reaches it through the batched ops', () => {
    const Wp = W.detach().requiresGrad_();
    backward(sum(vmap((x: Tensor) => tanh(matmul(x, Wp)))(X)));
    const Wq = W.detach().requiresGrad_();
    backward(sum(tanh(matmul(X, Wq))));
    close(Wp.grad!, Wq.grad!);
  });

  it('multi-output jvp and vjp', () => {
    const x = f64([0.5, -0.25]);
    const v = f64([1, 2]);
    const f = (t: Tensor): Tensor[] => [sin(t), sum(mul(t, t))];
    const { out, tangent } = jvp(f, [x], [v]);
    close(out[0]!, sin(x));
    close(tangent[0]!, mul(cos(x), v));
    close(tangent[1]!, sum(mul(mul(x, 2), v)));
    const back = vjp(f, x);
    const [g] = back.vjp([f64([1, 1]), tensor(3, { dtype: 'float64' })]);
    close(g!, add(cos(x), mul(x, 6)));
  });

  it('hasAux: the auxiliary value comes back beside the gradient, undifferentiated', () => {
    const [g, aux] = grad((t: Tensor) => [sum(mul(t, t)), { norm: sum(t) }] as [Tensor, { norm: Tensor }], { hasAux: true })(f64([1, 2]));
    expect(g.toArray()).toEqual([2, 4]);
    expect(aux.norm.item()).toBe(3);
    expect(aux.norm.requiresGrad).toBe(false);
    const [[value, aux2], gs] = valueAndGrad((a: Tensor, b: Tensor) => [sum(mul(a, b)), 7] as [Tensor, number], { argnums: [0, 1], hasAux: true })(f64([2]), f64([5]));
    expect([value.item(), aux2, gs[0]!.item(), gs[1]!.item()]).toEqual([10, 7, 5, 2]);
  });
});

describe('what transforms record', () => {
  it('nothing requires grad when nothing outside does', () => {
    const v = ones([3], { dtype: 'float64' });
    const x = row(X, 0);
    const r = jvp(net, [x], [v]);
    expect([r.out.requiresGrad, r.tangent.requiresGrad]).toEqual([false, false]);
    expect(vmap(grad(net))(X).requiresGrad).toBe(false);
    expect(jacrev(net)(x).requiresGrad).toBe(false);
    expect(hessian(net)(x).requiresGrad).toBe(false);
  });

  it('a tangent that requires grad makes the jvp differentiable in it', () => {
    const v = f64([1, 2, 3]).requiresGrad_();
    const { tangent } = jvp(net, [row(X, 0)], [v]);
    expect(tangent.requiresGrad).toBe(true);
    backward(tangent);
    close(v.grad!, grad(net)(row(X, 0)));
  });

  it('inside noGrad, vmap, jvp and hessian compute but nothing they return requires grad', () => {
    const Wp = W.detach().requiresGrad_();
    const loss = (x: Tensor): Tensor => sum(tanh(matmul(x, Wp)));
    const [a, b, c] = noGrad(() => [vmap(grad(loss))(X), jvp(loss, [row(X, 0)], [row(X, 1)]).tangent, hessian(loss)(row(X, 0))]);
    expect([a.requiresGrad, b.requiresGrad, c.requiresGrad]).toEqual([false, false, false]);
    close(a, vmap(grad((x: Tensor) => sum(tanh(matmul(x, W)))))(X));
  });
});

describe('vmap specifics', () => {
  it('random functions inside vmap draw once, shared by every element (dropout masks agree across the batch)', () => {
    const Y = ones([5, 40], { dtype: 'float64' });
    const masked = vmap((y: Tensor) => dropout(y, 0.5, true, { seed: 9 }))(Y);
    const first = row(masked, 0).data();
    expect(first.some((v) => v === 0) && first.some((v) => v !== 0)).toBe(true);
    for (let i = 1; i < 5; i++) expect(row(masked, i).data()).toEqual(first);
    // Per-element randomness: draw a batch outside and map over it.
    const keep = dropout(ones([5, 40], { dtype: 'float64' }), 0.5, true, { seed: 9 });
    const own = vmap((y: Tensor, k: Tensor) => mul(y, k))(Y, keep);
    expect(row(own, 1).data()).not.toEqual(row(own, 0).data());
  });

  it('an unbatched output is broadcast along the batch', () => {
    const out = vmap((_x: Tensor) => f64([1, 2]), { outAxes: 1 })(X);
    expect(out.toArray()).toEqual([[1, 1, 1, 1], [2, 2, 2, 2]]);
  });

  it('defineOp ops run once per element inside vmap (their code may read values) and differentiate there too', () => {
    let calls = 0;
    const cube = defineOp({
      name: 'cube',
      forward: (t) => {
        calls++;
        const v = Float64Array.from(t.data(), (a) => a * a * a);
        return tensor(v, { shape: t.shape.slice(), dtype: 'float64' });
      },
      vjp: (g, [t]) => [mul(g, mul(mul(t!, t!), 3))],
    });
    const y = vmap((x: Tensor) => cube(x))(X);
    expect(calls).toBe(4);
    close(y, mul(mul(X, X), X));
    close(vmap(grad((x: Tensor) => sum(cube(x))))(X), mul(mul(X, X), 3));
    close(grad((A: Tensor) => sum(vmap((x: Tensor) => cube(x))(A)))(X), mul(mul(X, X), 3));
    const V = randn([4, 3], { seed: 8, dtype: 'float64' });
    close(vmap((x: Tensor, v: Tensor) => jvp((t: Tensor) => cube(t), [x], [v]).tangent)(X, V), mul(mul(mul(X, X), 3), V));
  });

  it('grad and valueAndGrad are typed by argnums', () => {
    const f = (a: Tensor, b: Tensor): Tensor => sum(mul(a, b));
    const one: Tensor = grad(f)(f64([1]), f64([2]));
    const many: Tensor[] = grad(f, { argnums: [0, 1] })(f64([1]), f64([2]));
    const [value, g]: [Tensor, Tensor] = valueAndGrad(f, { argnums: 1 })(f64([1]), f64([2]));
    // @ts-expect-error a number argnums gives one tensor, not an array
    const wrong: Tensor[] = grad(f, { argnums: 1 })(f64([1]), f64([2]));
    expect([one.item(), many.length, value.item(), g.item(), (wrong as unknown as Tensor).item()]).toEqual([2, 2, 2, 1, 1]);
  });
});
