import {
  div, eq, expand, mul, ne, onesLike, pad, permute, reshape, slice, sum, where, type ReduceAttrs, type Tensor,
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

/**
 * The elements of each reduced slice equal to the result (NaN counting as equal to a NaN result),
 * and how many there are: max and min share their derivative evenly among them.
 */
function extremeWeights(x: Tensor, out: Tensor, a: ReduceAttrs): { hit: Tensor; count: Tensor } {
  const o = keptDims(out.detach(), x, a);
  const hit = where(ne(o, o), ne(x, x), eq(x, o));
  return { hit, count: sum(hit, a.axes, true) };
}

/**
 * d max (and min) over any set of axes: shared evenly among the elements equal to the result, as
 * PyTorch's amax and max(). The max op records a gather instead when one axis is given as a number,
 * so that form gives the whole gradient to one element.
 */
function extremeRule(g: Tensor, [x]: readonly Tensor[], out: Tensor, a: ReduceAttrs): (Tensor | null)[] {
  const { hit, count } = extremeWeights(x!, out, a);
  return [where(hit, div(spread(g, x!, a), count), 0)];
}

/** The tangent of max/min: the mean of the tangents of the elements equal to the result. */
function extremeTangent([t]: readonly (Tensor | null)[], [x]: readonly Tensor[], out: Tensor, a: ReduceAttrs): Tensor {
  const { hit, count } = extremeWeights(x!, out, a);
  return sum(where(hit, div(t!, count), 0), a.axes, a.keepdims);
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
  max: { vjp: extremeRule, jvp: extremeTangent, batch: reduceBatch },
  min: { vjp: extremeRule, jvp: extremeTangent, batch: reduceBatch },
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
