import {
  arange, argmax, argmin, div, eq, expand, mul, onesLike, pad, permute, reshape, slice, sum, where, type ReduceAttrs, type Tensor,
} from '@tapegrad/tensor';
import { reduceBatch } from './batching.js';
import { noGradient, noTangent, type RuleTable } from './rule.js';

/** The cotangent of a reduction, with the reduced dims restored as size 1 (keepdims form). */
function keptDims(g: Tensor, x: Tensor, a: ReduceAttrs): Tensor {
  if (a.keepdims) return g;
  return reshape(g, x.shape.map((d, i) => (a.axes.includes(i) ? 1 : d)));
}

/** g spread back over the reduced dims. */
const spread = (g: Tensor, x: Tensor, a: ReduceAttrs): Tensor => expand(keptDims(g, x, a), x.shape);

/** Where the extreme of each reduced slice is, as the rules share it out (see `extremeRule`). */
function extremeWeights(which: 'max' | 'min', t: Tensor, out: Tensor, a: ReduceAttrs): { mask: Tensor; count: Tensor | null } {
  if (a.axes.length === 1) {
    const ax = a.axes[0]!;
    const idx = (which === 'max' ? argmax : argmin)(t.detach(), ax, true);
    const iota = reshape(arange(t.shape[ax]!, { dtype: 'int32' }), t.shape.map((d, i) => (i === ax ? d : 1)));
    return { mask: eq(iota, idx), count: null };
  }
  const hit = eq(t, keptDims(out.detach(), t, a));
  return { mask: hit, count: sum(hit, a.axes, true) };
}

/**
 * d max: along one axis the whole cotangent goes to the first extreme element (PyTorch's max(dim));
 * over several axes it is shared evenly among tied extremes (PyTorch's amax).
 */
function extremeRule(which: 'max' | 'min') {
  return (g: Tensor, [x]: readonly Tensor[], out: Tensor, a: ReduceAttrs): (Tensor | null)[] => {
    const gk = spread(g, x!, a);
    const { mask, count } = extremeWeights(which, x!, out, a);
    return [where(mask, count === null ? gk : div(gk, count), 0)];
  };
}

/** The tangent of max/min: the extreme element's tangent (the mean of the tied extremes' over several axes). */
function extremeTangent(which: 'max' | 'min') {
  return ([t]: readonly (Tensor | null)[], [x]: readonly Tensor[], out: Tensor, a: ReduceAttrs): Tensor => {
    const { mask, count } = extremeWeights(which, x!, out, a);
    const picked = sum(where(mask, count === null ? t! : div(t!, count), 0), a.axes, true);
    return reshape(picked, out.shape);
  };
}

export const reduceRules: RuleTable<'sum' | 'prod' | 'max' | 'min' | 'argmax' | 'argmin'> = {
  /** d sum(x) = broadcast(g) */
  sum: { vjp: (g, [x], _, a) => [spread(g, x!, a)], jvp: ([t], _, __, a) => sum(t!, a.axes, a.keepdims), batch: reduceBatch },
  /**
   * d prod(x)_i = prod of the other elements, computed without division (exclusive products), so it
   * is exact (and differentiable again) at zeros and needs no look at the values.
   */
  prod: {
    vjp: (g, [x], _, a) => [mul(spread(g, x!, a), exclusiveProducts(x!, a.axes))],
    jvp: ([t], [x], _, a) => sum(mul(t!, exclusiveProducts(x!, a.axes)), a.axes, a.keepdims),
    batch: reduceBatch,
  },
  max: { vjp: extremeRule('max'), jvp: extremeTangent('max'), batch: reduceBatch },
  min: { vjp: extremeRule('min'), jvp: extremeTangent('min'), batch: reduceBatch },
  argmax: { vjp: noGradient, jvp: noTangent, batch: reduceBatch },
  argmin: { vjp: noGradient, jvp: noTangent, batch: reduceBatch },
};

/** Each element's product of the other elements of its slice over `axes`: (product before it) * (product after it). */
function exclusiveProducts(t: Tensor, axes: readonly number[]): Tensor {
  const kept = t.shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const perm = [...kept, ...axes];
  const moved = permute(t, perm);
  const m = axes.reduce((n, ax) => n * t.shape[ax]!, 1);
  if (m <= 1) return onesLike(t);
  const rows = reshape(moved, [...kept.map((i) => t.shape[i]!), m]);
  const others = reshape(mul(shift(scanProd(rows, 1), 1), shift(scanProd(rows, -1), -1)), moved.shape);
  const inv = new Array<number>(perm.length);
  perm.forEach((d, i) => (inv[d] = i));
  return permute(others, inv);
}

/** Moves values along the last axis by k places (0 < |k| < length; towards the end when k > 0), filling with 1. */
function shift(x: Tensor, k: number): Tensor {
  const last = x.ndim - 1;
  const starts = x.shape.map(() => 0);
  const ends = x.shape.slice();
  if (k > 0) ends[last] = x.shape[last]! - k;
  else starts[last] = -k;
  return pad(slice(x, starts, ends), k > 0 ? [k, 0] : [0, -k], 1);
}

/** Running products along the last axis, forwards (dir 1) or backwards (dir -1), in log2(length) doubling steps. */
function scanProd(x: Tensor, dir: 1 | -1): Tensor {
  const n = x.shape[x.ndim - 1]!;
  for (let s = 1; s < n; s *= 2) x = mul(x, shift(x, dir * s));
  return x;
}
