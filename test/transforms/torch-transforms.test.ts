/**
 * Transforms against PyTorch (float64 fixtures from test/torch/make_transform_fixtures.py): a
 * physics-informed loss on u'' whose parameter gradients PyTorch computes with create_graph=True,
 * Hessians of an MLP loss from torch.autograd.functional.hessian, per-sample gradients.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  add, matmul, mean, mul, pow, reshape, sin, softplus, squeeze, stack, sub, sum, tanh, tensor, type Tensor, type TypedArray,
} from 'tapegrad';
import { backward, grad, hessian, hvp, jacfwd, jacrev, vmap } from '@tapegrad/autograd';

interface Json { shape: number[]; data: number[] }
const fixtures = JSON.parse(readFileSync(new URL('../fixtures/transforms-torch.json', import.meta.url), 'utf8')) as {
  pinn: { params: Json[]; x: Json; loss: number; grads: Json[] };
  hessian: { params: Json[]; x: Json; y: Json; loss: number; blocks: Json[][] };
  per_sample: { params: Json[]; x: Json; y: Json; grads: Json[] };
};
const t64 = (j: Json): Tensor => tensor(Float64Array.from(j.data), { shape: j.shape, dtype: 'float64' });

function expectClose(got: Tensor, want: Json, what: string, rtol = 1e-10, atol = 1e-12): void {
  expect(got.shape, `${what}: shape`).toEqual(want.shape);
  const g: TypedArray = got.data();
  want.data.forEach((w, i) => {
    expect(Math.abs(g[i]! - w), `${what}[${i}]: ${g[i]} vs PyTorch ${w}`).toBeLessThanOrEqual(atol + rtol * Math.abs(w));
  });
}

/** A tanh (or other) MLP over parameters [W1, b1, W2, b2, ...], no activation after the last layer. */
function mlp(ps: readonly Tensor[], x: Tensor, act: (t: Tensor) => Tensor): Tensor {
  let h = x;
  for (let i = 0; i < ps.length; i += 2) {
    h = add(matmul(h, ps[i]!), ps[i + 1]!);
    if (i + 2 < ps.length) h = act(h);
  }
  return h;
}

describe("a physics-informed loss on u'' matches PyTorch's create_graph=True gradients", () => {
  const fx = fixtures.pinn;
  const x = t64(fx.x);
  const boundaryPoints = tensor([[-1], [1]], { dtype: 'float64' });
  const lossWith = (ps: Tensor[], d2u: (u: (t: Tensor) => Tensor) => Tensor): Tensor => {
    const u = (t: Tensor): Tensor => mlp(ps, t, tanh);
    const residual = add(d2u(u), mul(sin(mul(x, Math.PI)), Math.PI ** 2));
    return add(mean(pow(residual, 2)), mean(pow(u(boundaryPoints), 2)));
  };

  it('u\'\' by grad(grad(.)) of the summed network (each u(x_i) depends on x_i only)', () => {
    const ps = fx.params.map((p) => t64(p).requiresGrad_());
    const loss = lossWith(ps, (u) => {
      const du = (t: Tensor): Tensor => grad((s: Tensor) => sum(u(s)))(t);
      return grad((t: Tensor) => sum(du(t)))(x);
    });
    expect(loss.item()).toBeCloseTo(fx.loss, 12);
    backward(loss);
    ps.forEach((p, i) => expectClose(p.grad!, fx.grads[i]!, `parameter ${i}`));
  });

  it("u'' per point by vmap(grad(grad(u))), closing over the parameters", () => {
    const ps = fx.params.map((p) => t64(p).requiresGrad_());
    const loss = lossWith(ps, (u) => {
      const uAt = (t: Tensor): Tensor => squeeze(u(reshape(t, [1, 1])));
      return reshape(vmap(grad(grad(uAt)))(reshape(x, [-1])), [-1, 1]);
    });
    expect(loss.item()).toBeCloseTo(fx.loss, 12);
    backward(loss);
    ps.forEach((p, i) => expectClose(p.grad!, fx.grads[i]!, `parameter ${i}`));
  });
});

describe("Hessians of an MLP loss match torch.autograd.functional.hessian", () => {
  const fx = fixtures.hessian;
  const ps = fx.params.map(t64);
  const x = t64(fx.x);
  const y = t64(fx.y);
  const loss = (W1: Tensor, b1: Tensor, W2: Tensor, b2: Tensor): Tensor => mean(pow(sub(mlp([W1, b1, W2, b2], x, tanh), y), 2));
  const argnums = [0, 1, 2, 3];

  it('hessian(f) block by block', () => {
    const H = hessian(loss, { argnums })(...(ps as [Tensor, Tensor, Tensor, Tensor]));
    fx.blocks.forEach((row, i) => row.forEach((b, j) => expectClose(H[i]![j]!, b, `H[${i}][${j}]`)));
  });

  it('every composition of jacfwd and jacrev gives the same Hessian (jacfwd(jacrev(f)) = hessian(f))', () => {
    const args = ps as [Tensor, Tensor, Tensor, Tensor];
    const H = hessian(loss, { argnums })(...args);
    const compositions = {
      'jacfwd(jacrev)': jacfwd(jacrev(loss, { argnums }), { argnums }),
      'jacrev(jacrev)': jacrev(jacrev(loss, { argnums }), { argnums }),
      'jacrev(jacfwd)': jacrev(jacfwd(loss, { argnums }), { argnums }),
      'jacfwd(jacfwd)': jacfwd(jacfwd(loss, { argnums }), { argnums }),
    };
    for (const [name, h] of Object.entries(compositions)) {
      const blocks = h(...args) as Tensor[][];
      fx.blocks.forEach((row, i) => row.forEach((b, j) => expectClose(blocks[i]![j]!, b, `${name} [${i}][${j}]`)));
      blocks.forEach((row, i) => row.forEach((blk, j) => expectClose(blk, { shape: H[i]![j]!.shape.slice(), data: Array.from(H[i]![j]!.data()) }, `${name} vs hessian [${i}][${j}]`, 1e-12, 1e-14)));
    }
  });

  it('hvp(f) is the Hessian times the vector', () => {
    const vs = ps.map((p) => mul(p, 0.3).add(0.1));
    const { out, tangent } = hvp(loss, ps, vs);
    expect(out.item()).toBeCloseTo(fx.loss, 13);
    fx.blocks.forEach((row, i) => {
      const n = ps[i]!.size;
      let hv = tensor(new Float64Array(n), { dtype: 'float64' });
      row.forEach((b, j) => {
        hv = add(hv, matmul(reshape(t64(b), [n, ps[j]!.size]), reshape(vs[j]!, [-1])));
      });
      expectClose(reshape(tangent[i]!, [-1]), { shape: [n], data: Array.from(hv.data()) }, `H v, block row ${i}`);
    });
  });
});

describe('per-sample gradients: vmap(grad(loss), { inAxes: [null, ..., 0, 0] })', () => {
  const fx = fixtures.per_sample;
  const ps = fx.params.map(t64) as [Tensor, Tensor, Tensor, Tensor];
  const X = t64(fx.x);
  const Y = t64(fx.y);
  const loss = (W1: Tensor, b1: Tensor, W2: Tensor, b2: Tensor, xi: Tensor, yi: Tensor): Tensor =>
    sum(pow(sub(mlp([W1, b1, W2, b2], xi, softplus), yi), 2));
  const argnums = [0, 1, 2, 3];

  it('match PyTorch (a loop over examples, which functorch.vmap agrees with) and a tapegrad loop', () => {
    const perSample = vmap(grad(loss, { argnums }), { inAxes: [null, null, null, null, 0, 0] })(...ps, X, Y) as Tensor[];
    perSample.forEach((g, k) => expectClose(g, fx.grads[k]!, `per-sample gradient ${k}`));
    const n = X.shape[0]!;
    const rows = Array.from({ length: n }, (_, i) => grad(loss, { argnums })(...ps, X.slice([i], [i + 1]).reshape([3]), Y.slice([i], [i + 1]).reshape([1])));
    perSample.forEach((g, k) => expectClose(g, { shape: g.shape.slice(), data: Array.from(stack(rows.map((r) => r[k]!), 0).data()) }, `vs loop ${k}`, 1e-13, 1e-15));
  });

  it('chunkSize gives the same result in pieces, and the parameters stay unbatched inputs', () => {
    const whole = vmap(grad(loss, { argnums }), { inAxes: [null, null, null, null, 0, 0] })(...ps, X, Y) as Tensor[];
    const chunked = vmap(grad(loss, { argnums }), { inAxes: [null, null, null, null, 0, 0], chunkSize: 4 })(...ps, X, Y) as Tensor[];
    chunked.forEach((g, k) => expect(g.toArray()).toEqual(whole[k]!.toArray()));
    expect(whole[0]!.shape).toEqual([6, 3, 5]);
  });
});
