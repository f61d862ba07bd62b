/**
 * Transforms over functions that close over tensors requiring grad (model parameters): whatever a
 * transform returns stays differentiable with respect to them, at any nesting depth; when nothing
 * outside requires grad, nothing is recorded.
 */
import { describe, expect, it } from 'vitest';
import { Generator, add, matmul, mean, mul, pow, randn, sin, sub, sum, tanh, tensor, type Tensor } from 'tapegrad';
import { backward, enableGrad, grad, noGrad, valueAndGrad, vjp } from '@tapegrad/autograd';

const f64 = (v: number[] | number) => tensor(v, { dtype: 'float64' });

describe('the closure case (issue 8)', () => {
  it('backward through grad(f)(x) reaches the parameter f closes over: w.grad = 16, as PyTorch with create_graph', () => {
    const w = f64([1.5]).requiresGrad_();
    const f = (x: Tensor) => sum(mul(w, mul(x, x)));
    const g = grad(f)(f64([1, 2]));
    expect(g.requiresGrad).toBe(true);
    backward(add(sum(g), sum(mul(w, 10))));
    // d/dw [sum(2 w x) + 10 w] = 2 (1 + 2) + 10
    expect(w.grad!.toArray()).toEqual([16]);
  });

  it('records nothing and keeps nothing when nothing outside requires grad', () => {
    const w = f64([1.5]);
    const f = (x: Tensor) => sum(mul(w, mul(x, x)));
    const [value, g] = valueAndGrad(f)(f64([1, 2]));
    expect(g.requiresGrad).toBe(false);
    expect(g.node).toBeNull();
    expect(value.requiresGrad).toBe(false);
    expect(g.toArray()).toEqual([3, 6]);
  });

  it('the value of valueAndGrad stays attached to the closed-over parameters', () => {
    const w = f64([2]).requiresGrad_();
    const [value] = valueAndGrad((x: Tensor) => sum(mul(w, x)))(f64([1, 2, 3]));
    backward(value);
    expect(w.grad!.toArray()).toEqual([6]);
  });

  it('inside noGrad transforms compute, but their results do not require grad; enableGrad turns recording back on', () => {
    const w = f64([1.5]).requiresGrad_();
    const f = (x: Tensor) => sum(mul(w, mul(x, x)));
    const g = noGrad(() => grad(f)(f64([1, 2])));
    expect(g.toArray()).toEqual([3, 6]);
    expect(g.requiresGrad).toBe(false);
    const h = noGrad(() => enableGrad(() => grad(f)(f64([1, 2]))));
    expect(h.requiresGrad).toBe(true);
    expect(noGrad(() => enableGrad(() => mul(w, 2))).node?.op).toBe('mul');
  });

  it('grad(grad(f)) with a closure: the second derivative depends on the parameter too', () => {
    const w = f64([0.5]).requiresGrad_();
    const x = f64([1.2, -0.7]);
    // f = w^2 x^3 summed: f'' = 6 w^2 x, so d/dw sum(f'') = 12 w sum(x)
    const f = (t: Tensor) => sum(mul(pow(w, 2), pow(t, 3)));
    const d2 = grad((t: Tensor) => sum(grad(f)(t)))(x);
    const want = [6 * 0.25 * 1.2, 6 * 0.25 * -0.7];
    Array.from(d2.data()).forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 12));
    backward(sum(d2));
    expect(w.grad!.item()).toBeCloseTo(12 * 0.5 * 0.5, 12);
  });

  it('an argument that requires grad outside stays differentiable through grad(f)(x)', () => {
    const x = f64([1, 2]).requiresGrad_();
    const w = f64([3]);
    const g = grad((t: Tensor) => sum(mul(w, pow(t, 3))))(x); // 3 w x^2
    backward(sum(g)); // d/dx = 6 w x
    expect(x.grad!.toArray()).toEqual([18, 36]);
  });

  it('grad of a function that calls vjp, over a closure', () => {
    const w = f64([2]).requiresGrad_();
    const u = f64([1, 1]);
    // vjp of x -> w x^2 at x with cotangent u is 2 w x u; its sum's gradient in x is 2 w.
    const h = (x: Tensor) => sum(vjp((t: Tensor) => mul(w, mul(t, t)), x).vjp(u)[0]!);
    const gx = grad(h)(f64([0.3, -0.4]));
    expect(gx.toArray()).toEqual([4, 4]);
    backward(sum(gx)); // d/dw sum(2 w) over two elements = 4
    expect(w.grad!.toArray()).toEqual([4]);
  });

  it('perturbations do not get confused: d/dx [x * d/dy (x y)] = 2x', () => {
    const inner = (x: Tensor) => grad((y: Tensor) => sum(mul(x, y)))(f64([5]));
    expect(grad((x: Tensor) => sum(mul(x, inner(x))))(f64([3])).toArray()).toEqual([6]);
  });
});

describe('a physics-informed loss on u\'\' (tanh MLP closing over its parameters)', () => {
  const gen = new Generator(3);
  const params = [randn([1, 8], { generator: gen, dtype: 'float64' }), randn([8], { generator: gen, dtype: 'float64' }),
    randn([8, 8], { generator: gen, dtype: 'float64' }), randn([8], { generator: gen, dtype: 'float64' }),
    randn([8, 1], { generator: gen, dtype: 'float64' }), randn([1], { generator: gen, dtype: 'float64' })].map((p) => mul(p, 0.7).detach());
  const xs = tensor([[-0.8], [-0.3], [0.1], [0.45], [0.9]], { dtype: 'float64' });

  const loss = (ps: Tensor[]): Tensor => {
    const [W1, b1, W2, b2, W3, b3] = ps as [Tensor, Tensor, Tensor, Tensor, Tensor, Tensor];
    const u = (x: Tensor) => add(matmul(tanh(add(matmul(tanh(add(matmul(x, W1), b1)), W2), b2)), W3), b3);
    // u(x_i) depends on x_i only, so d/dx sum(u) is u'(x_i) at every point (and again for u'').
    const du = (x: Tensor) => grad((t: Tensor) => sum(u(t)))(x);
    const d2u = grad((t: Tensor) => sum(du(t)))(xs);
    return mean(pow(add(d2u, mul(sin(mul(xs, Math.PI)), Math.PI ** 2)), 2));
  };

  it('backward(loss) gives every parameter the gradient central differences give', () => {
    const leaves = params.map((p) => p.detach().requiresGrad_());
    backward(loss(leaves));
    const eps = 1e-6;
    leaves.forEach((p, k) => {
      // The last bias does not reach u'' at all: like PyTorch, it gets no gradient (null).
      const analytic = p.grad === null ? new Float64Array(p.size) : p.grad.data();
      if (k < 5) expect(p.grad, `parameter ${k} got no gradient`).not.toBeNull();
      const base = params[k]!.data();
      for (let j = 0; j < base.length; j++) {
        const at = (delta: number) => {
          const b = Float64Array.from(base);
          b[j]! += delta;
          const ps = params.slice();
          ps[k] = tensor(b, { shape: params[k]!.shape.slice(), dtype: 'float64' });
          return loss(ps).item();
        };
        const numeric = (at(eps) - at(-eps)) / (2 * eps);
        expect(Math.abs(analytic[j]! - numeric), `parameter ${k}[${j}]: ${analytic[j]} vs ${numeric}`).toBeLessThanOrEqual(1e-6 + 1e-5 * Math.abs(numeric));
      }
    });
  });

  it('the loss evaluated on parameters that do not require grad records nothing', () => {
    const l = loss(params);
    expect(l.requiresGrad).toBe(false);
    expect(sub(l, l).item()).toBe(0);
  });
});
