import {
  abs, add, cast, div, eq, exp, gt, log, max, maximum, min, minimum, mul, neg, sub, where, type ScanAttrs, type Tensor,
} from '@tapegrad/tensor';
import { runKernel } from '@tapegrad/tensor/internal';
import { noGradient, type RuleTable } from './rule.js';

/**
 * The scan `op` of x along attrs.axis, in attrs' direction (`same`) or the opposite one: the
 * cotangent of a running sum is a running sum the other way. Recorded like any op, so rules built
 * on it differentiate again.
 */
function scanOf(op: 'cumsum' | 'cumprod' | 'logcumsumexp', x: Tensor, a: ScanAttrs, same: boolean): Tensor {
  return runKernel(op, [x], { axis: a.axis, reverse: same ? a.reverse : !a.reverse }, x.shape, x.dtype);
}

/**
 * d cumprod: x_i's cotangent is sum over j >= i of g_j prod_{m <= j, m != i} x_m. Without zeros
 * that is (reverse cumsum of g out)_i / x_i. With zeros (as PyTorch): positions before the first
 * zero use the same formula (out vanishes from the first zero on); the first zero gets the reverse
 * cumsum of g times the running products with that zero replaced by 1; positions after it get 0.
 */
function cumprodVjp(g: Tensor, [x]: readonly Tensor[], out: Tensor, a: ScanAttrs): (Tensor | null)[] {
  const t = x!;
  const zero = eq(t.detach(), 0);
  const revGOut = scanOf('cumsum', mul(g, out), a, false);
  if (!zero.data().some((z) => z !== 0)) return [div(revGOut, t)];
  const zerosSoFar = scanOf('cumsum', cast(zero, 'int32'), a, true);
  const before = eq(zerosSoFar, 0);
  const first = minimum(zero, eq(zerosSoFar, 1));
  const atFirst = scanOf('cumsum', mul(g, scanOf('cumprod', where(first, 1, t), a, true)), a, false);
  return [where(before, div(revGOut, where(before, t, 1)), where(first, atFirst, 0))];
}

/**
 * d logcumsumexp: x_i's cotangent is sum over j >= i of g_j exp(x_i - out_j). Each term is at most
 * |g_j|, but exp(x_i) and exp(-out_j) separately overflow, so it is summed in the log domain by
 * reverse logcumsumexp (rlcse): with a per-slice constant K > -g (K = -min(g) plus a small margin)
 * it is exp(x_i + rlcse(log(g + K) - out)_i) - exp(x_i + rlcse(log K - out)_i). Both sums are
 * positive, so no log of a negative or of 0 occurs, and the result stays linear (and
 * differentiable) in g, also at g = 0, which splitting g by sign would not.
 */
function logcumsumexpVjp(g: Tensor, [x]: readonly Tensor[], out: Tensor, a: ScanAttrs): (Tensor | null)[] {
  const t = x!;
  if (t.size === 0) return [g];
  const gd = g.detach();
  const axis = t.ndim === 0 ? undefined : a.axis;
  const scale = max(abs(gd), axis, true);
  const k = add(maximum(neg(min(gd, axis, true)), 0), where(gt(scale, 0), mul(scale, MARGIN), 1));
  const part = (w: Tensor): Tensor => exp(add(t, scanOf('logcumsumexp', sub(log(w), out), a, false)));
  return [sub(part(add(g, k)), part(k))];
}

/** How far above -min(g) the shift K stays, relative to max |g|. */
const MARGIN = 2 ** -8;

export const scanRules: RuleTable<'cumsum' | 'cumprod' | 'logcumsumexp' | 'cumargmax' | 'cumargmin'> = {
  /** d cumsum(x) = cumsum of g the other way */
  cumsum: { vjp: (g, _, __, a) => [scanOf('cumsum', g, a, false)] },
  cumprod: { vjp: cumprodVjp },
  logcumsumexp: { vjp: logcumsumexpVjp },
  /** int32 positions: no gradient (cummax's values get theirs through gather) */
  cumargmax: { vjp: noGradient },
  cumargmin: { vjp: noGradient },
};
