import {
  div, eq, expand, mul, ne, onesLike, pad, permute, reshape, slice, sum, where, type ReduceAttrs, type Tensor,
} from '@tapegrad/tensor';
import { noGradient, type RuleTable } from './rule.js';

/** The cotangent of a reduction, with the reduced dims restored as size 1 (keepdims form). */
function keptDims(g: Tensor, x: Tensor, a: ReduceAttrs): Tensor {
  if (a.keepdims) return g;
  return reshape(g, x.shape.map((d, i) => (a.axes.includes(i) ? 1 : d)));
}

/** g spread back over the reduced dims. */
const spread = (g: Tensor, x: Tensor, a: ReduceAttrs): Tensor => expand(keptDims(g, x, a), x.shape);

/**
 * d max (and min) over any set of axes: shared evenly among the elements equal to the result (NaN
 * counting as equal to a NaN result), as PyTorch's amax and max(). The max op records a gather
 * instead when one axis is given as a number, so that form gives the whole gradient to one element.
 */
function extremeRule(g: Tensor, [x]: readonly Tensor[], out: Tensor, a: ReduceAttrs): (Tensor | null)[] {
  const t = x!;
  const o = keptDims(out.detach(), t, a);
  const hit = where(ne(o, o), ne(t, t), eq(t, o));
  const count = sum(hit, a.axes, true);
  return [where(hit, div(spread(g, t, a), count), 0)];
}

export const reduceRules: RuleTable<'sum' | 'prod' | 'max' | 'min' | 'argmax' | 'argmin'> = {
  /** d sum(x) = broadcast(g) */
  sum: { vjp: (g, [x], _, a) => [spread(g, x!, a)] },
  /**
   * d prod(x)_i = prod of the other elements: out / x_i when x has no zero; otherwise the exclusive
   * products, computed without division so they stay exact (and differentiable again) at zeros.
   */
  prod: { vjp: (g, [x], out, a) => {
    const t = x!;
    const others = eq(t, 0).data().some((z) => z !== 0) ? exclusiveProducts(t, a.axes) : div(keptDims(out, t, a), t);
    return [mul(spread(g, t, a), others)];
  } },
  max: { vjp: extremeRule },
  min: { vjp: extremeRule },
  argmax: { vjp: noGradient },
  argmin: { vjp: noGradient },
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
