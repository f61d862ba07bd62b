import {
  add, exp, mean, mul, neg, rsqrt, sub, sum, tanh, type PrimitiveAttrs, type Tensor,
} from '@tapegrad/tensor';
import { runKernel, type PrimitiveOf } from '@tapegrad/tensor/internal';
import { addTangents, axisBatch, elementwiseBatch } from './batching.js';
import type { RuleTable } from './rule.js';

type Fused = PrimitiveOf<'fused'>;

/** The fused primitive `op` on `inputs`, shaped and typed like `like` (every fused primitive keeps its shape). */
export function fused<P extends Fused>(op: P, inputs: Tensor[], attrs: PrimitiveAttrs[P], like: Tensor): Tensor {
  return runKernel(op, inputs, attrs, like.shape, like.dtype);
}

/** sum along the attrs' axis, kept as size 1. */
const sumAlong = (x: Tensor, { axis }: { axis: number }): Tensor => sum(x, axis, true);

// ---- softmax and logSoftmax ----------------------------------------------------------------------

/** softmaxBackward's input cotangents: y gets h (g - sum(g y)) - g sum(h y), g gets softmaxBackward(y, h). */
function softmaxBackwardVjp(h: Tensor, [y, g]: readonly Tensor[], _out: Tensor, a: PrimitiveAttrs['softmaxBackward'], needs: readonly boolean[]): (Tensor | null)[] {
  return [
    needs[0] ? sub(mul(h, sub(g!, sumAlong(mul(g!, y!), a))), mul(g!, sumAlong(mul(h, y!), a))) : null,
    needs[1] ? fused('softmaxBackward', [y!, h], a, h) : null,
  ];
}

/** logSoftmaxBackward's: y gets -h exp(y) sum(g), g gets h - sum(h exp(y)). */
function logSoftmaxBackwardVjp(h: Tensor, [y, g]: readonly Tensor[], _out: Tensor, a: PrimitiveAttrs['logSoftmaxBackward'], needs: readonly boolean[]): (Tensor | null)[] {
  const p = exp(y!);
  return [needs[0] ? neg(mul(mul(h, p), sumAlong(g!, a))) : null, needs[1] ? sub(h, sumAlong(mul(h, p), a)) : null];
}

// ---- GELU ----------------------------------------------------------------------------------------

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const GELU_A = 0.044715;

/**
 * GELU's second derivative. Exact: phi(x) (2 - x^2). Tanh form, with u = c (x + a x^3) and
 * s = 1 - tanh(u)^2: s (u' - x tanh(u) u'^2 + x u'' / 2), u' = c (1 + 3 a x^2), u'' = 6 a c x.
 */
function geluSecond(x: Tensor, tanhForm: boolean): Tensor {
  const x2 = mul(x, x);
  if (!tanhForm) return mul(mul(exp(mul(x2, -0.5)), INV_SQRT_2PI), sub(2, x2));
  const t = tanh(mul(add(x, mul(mul(x2, x), GELU_A)), SQRT_2_OVER_PI));
  const du = mul(add(mul(x2, 3 * GELU_A), 1), SQRT_2_OVER_PI);
  const s = sub(1, mul(t, t));
  return mul(s, add(sub(du, mul(mul(x, t), mul(du, du))), mul(x2, 3 * GELU_A * SQRT_2_OVER_PI)));
}

// ---- layer normalization ---------------------------------------------------------------------------

/** The trailing attrs.dims axes of x. */
const normAxes = (x: Tensor, { dims }: PrimitiveAttrs['layerNorm']): number[] => Array.from({ length: dims }, (_, i) => x.ndim - dims + i);

/** Per-slice pieces of layerNormBackward's derivatives: xhat, r = 1/sqrt(var + eps), and mean over the slice. */
function normParts(x: Tensor, a: PrimitiveAttrs['layerNorm']): { xhat: Tensor; r: Tensor; avg: (t: Tensor) => Tensor } {
  const axes = normAxes(x, a);
  return {
    xhat: fused('layerNorm', [x], a, x),
    r: rsqrt(add(x.var(axes, true, { correction: 0 }), a.eps)),
    avg: (t) => mean(t, axes, true),
  };
}

/**
 * B(x, g) = layerNormBackward is linear in g, with dB/dg = B(x, .) symmetric. In x (xhat = layerNorm(x),
 * r = 1/sqrt(var + eps), c = mean(g xhat)): dB = -r (mean(xhat dx) B + c B(x, dx) + xhat mean(g B(x, dx))),
 * so x's cotangent is -r (mean(h B) xhat + c B(x, h) + mean(h xhat) B).
 */
function layerNormBackwardVjp(h: Tensor, [x, g]: readonly Tensor[], out: Tensor, a: PrimitiveAttrs['layerNorm'], needs: readonly boolean[]): (Tensor | null)[] {
  const bh = fused('layerNormBackward', [x!, h], a, h);
  if (!needs[0]) return [null, bh];
  const { xhat, r, avg } = normParts(x!, a);
  const inner = add(add(mul(avg(mul(h, out)), xhat), mul(avg(mul(g!, xhat)), bh)), mul(avg(mul(h, xhat)), out));
  return [neg(mul(r, inner)), needs[1] ? bh : null];
}

function layerNormBackwardJvp([tx, tg]: readonly (Tensor | null)[], [x, g]: readonly Tensor[], out: Tensor, a: PrimitiveAttrs['layerNorm']): Tensor | null {
  const fromG = tg === null ? null : fused('layerNormBackward', [x!, tg!], a, out);
  if (tx === null) return fromG;
  const { xhat, r, avg } = normParts(x!, a);
  const btx = fused('layerNormBackward', [x!, tx!], a, out);
  const inner = add(add(mul(avg(mul(xhat, tx!)), out), mul(avg(mul(g!, xhat)), btx)), mul(xhat, avg(mul(g!, btx))));
  return addTangents(fromG, neg(mul(r, inner)));
}

/** The fused primitives' rules: each forward's VJP is its fused derivative primitive, whose own rules use public ops. */
export const fusedRules: RuleTable<Fused> = {
  softmax: {
    /** d softmax = softmaxBackward(y, g) = y (g - sum(g y)), a symmetric map of g */
    vjp: (g, _x, out, a) => [fused('softmaxBackward', [out, g], a, out)],
    jvp: ([t], _x, out, a) => fused('softmaxBackward', [out, t!], a, out),
    batch: axisBatch,
  },
  logSoftmax: {
    /** d logSoftmax = logSoftmaxBackward(y, g) = g - exp(y) sum(g) */
    vjp: (g, _x, out, a) => [fused('logSoftmaxBackward', [out, g], a, out)],
    jvp: ([t], _x, out, a) => sub(t!, sumAlong(mul(exp(out), t!), a)),
    batch: axisBatch,
  },
  softmaxBackward: {
    vjp: softmaxBackwardVjp,
    jvp: ([ty, tg], [y, g], out, a) => addTangents(
      tg === null ? null : fused('softmaxBackward', [y!, tg!], a, out),
      ty === null ? null : sub(mul(ty!, sub(g!, sumAlong(mul(g!, y!), a))), mul(y!, sumAlong(mul(g!, ty!), a))),
    ),
    batch: axisBatch,
  },
  logSoftmaxBackward: {
    vjp: logSoftmaxBackwardVjp,
    jvp: ([ty, tg], [y, g], _out, a) => {
      const p = exp(y!);
      return addTangents(
        tg === null ? null : sub(tg!, mul(p, sumAlong(tg!, a))),
        ty === null ? null : neg(mul(mul(ty!, p), sumAlong(g!, a))),
      );
    },
    batch: axisBatch,
  },
  gelu: {
    /** d gelu = g gelu'(x) = geluBackward(x, g) */
    vjp: (g, [x], _out, a) => [fused('geluBackward', [x!, g], a, g)],
    jvp: ([t], [x], out, a) => fused('geluBackward', [x!, t!], a, out),
    batch: elementwiseBatch,
  },
  geluBackward: {
    /** d (g gelu'(x)) = h g gelu''(x) dx + h gelu'(x) dg */
    vjp: (h, [x, g], _out, a, needs) => [
      needs[0] ? mul(mul(h, g!), geluSecond(x!, a.tanh)) : null,
      needs[1] ? fused('geluBackward', [x!, h], a, h) : null,
    ],
    jvp: ([tx, tg], [x, g], out, a) => addTangents(
      tg === null ? null : fused('geluBackward', [x!, tg!], a, out),
      tx === null ? null : mul(mul(tx!, g!), geluSecond(x!, a.tanh)),
    ),
    batch: elementwiseBatch,
  },
  layerNorm: {
    /** d layerNorm = layerNormBackward(x, g) = r (g - mean(g) - xhat mean(g xhat)) */
    vjp: (g, [x], _out, a) => [fused('layerNormBackward', [x!, g], a, g)],
    jvp: ([t], [x], out, a) => fused('layerNormBackward', [x!, t!], a, out),
    batch: elementwiseBatch,
  },
  layerNormBackward: {
    vjp: layerNormBackwardVjp,
    jvp: layerNormBackwardJvp,
    batch: elementwiseBatch,
  },
  /** d (g (1 - y^2)) = -2 y g dy + (1 - y^2) dg */
  tanhBackward: {
    vjp: (h, [y, g], _out, a, needs) => [
      needs[0] ? mul(mul(h, g!), mul(y!, -2)) : null,
      needs[1] ? fused('tanhBackward', [y!, h], a, h) : null,
    ],
    jvp: ([ty, tg], [y, g], out, a) => addTangents(
      tg === null ? null : fused('tanhBackward', [y!, tg!], a, out),
      ty === null ? null : mul(mul(ty!, g!), mul(y!, -2)),
    ),
    batch: elementwiseBatch,
  },
  /** d (g y (1 - y)) = g (1 - 2 y) dy + y (1 - y) dg */
  sigmoidBackward: {
    vjp: (h, [y, g], _out, a, needs) => [
      needs[0] ? mul(mul(h, g!), sub(1, mul(y!, 2))) : null,
      needs[1] ? fused('sigmoidBackward', [y!, h], a, h) : null,
    ],
    jvp: ([ty, tg], [y, g], out, a) => addTangents(
      tg === null ? null : fused('sigmoidBackward', [y!, tg!], a, out),
      ty === null ? null : mul(mul(ty!, g!), sub(1, mul(y!, 2))),
    ),
    batch: elementwiseBatch,
  },
  /** d (g [x > 0]) = [x > 0] dg: the mask is piecewise constant in x */
  reluBackward: {
    vjp: (h, [x], _out, a, needs) => [null, needs[1] ? fused('reluBackward', [x!, h], a, h) : null],
    jvp: ([, tg], [x], out, a) => (tg === null ? null : fused('reluBackward', [x!, tg!], a, out)),
    batch: elementwiseBatch,
  },
  /** d (x + alpha y) = dx + alpha dy */
  axpy: {
    vjp: (g, _xy, _out, { alpha }, needs) => [needs[0] ? g : null, needs[1] ? mul(g, alpha) : null],
    jvp: ([tx, ty], _xy, _out, { alpha }) => addTangents(tx, ty === null ? null : mul(ty, alpha)),
    batch: elementwiseBatch,
  },
};
