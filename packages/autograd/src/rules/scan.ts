import {
  abs, add, cast, div, eq, exp, gt, log, max, maximum, min, minimum, mul, neg, sub, where, type ScanAttrs, type Tensor,
} from '@tapegrad/tensor';
import { runKernel } from '@tapegrad/tensor/internal';
import { axisBatch } from './batching.js';
import { noGradient, noTangent, type RuleTable } from './rule.js';

/**
 * The scan `op` of x along attrs.axis, in attrs' direction (`same`) or the opposite one: the
 * cotangent of a running sum is a running sum the other way. Recorded like any op, so rules built
 * on it differentiate again.
 */
function scanOf(op: 'cumsum' | 'cumprod' | 'logcumsumexp', x: Tensor, a: ScanAttrs, same: boolean): Tensor {
  return runKernel(op, [x], { axis: a.axis, reverse: same ? a.reverse : !a.reverse }, x.shape, x.dtype);
}

/** Where x is 0, and the running count of zeros along the scan (int32). */
function zerosAlong(x: Tensor, a: ScanAttrs): { zero: Tensor; before: Tensor; first: Tensor } {
  const zero = eq(x.detach(), 0);
  const zerosSoFar = scanOf('cumsum', cast(zero, 'int32'), a, true);
  return { zero, before: eq(zerosSoFar, 0), first: minimum(zero, eq(zerosSoFar, 1)) };
}

/**
 * d cumprod: x_i's cotangent is sum over j >= i of g_j prod_{m <= j, m != i} x_m. Positions before
 * the first zero take (reverse cumsum of g out)_i / x_i (out vanishes from the first zero on); the
 * first zero gets the reverse cumsum of g times the running products with that zero replaced by 1;
 * positions after it get 0 (as PyTorch). Written without looking at the values, so it runs on
 * batched tensors inside vmap.
 */
function cumprodVjp(g: Tensor, [x]: readonly Tensor[], out: Tensor, a: ScanAttrs): (Tensor | null)[] {
  const t = x!;
  const { before, first } = zerosAlong(t, a);
  const revGOut = scanOf('cumsum', mul(g, out), a, false);
  const atFirst = scanOf('cumsum', mul(g, scanOf('cumprod', where(first, 1, t), a, true)), a, false);
  return [where(before, div(revGOut, where(before, t, 1)), where(first, atFirst, 0))];
}

/**
 * The tangent of cumprod: out_j sum_{i <= j} t_i / x_i up to the first zero; from the first zero
 * (at k) on, t_k times the running product with x_k replaced by 1 (which vanishes from a second zero on).
 */
function cumprodJvp([t]: readonly (Tensor | null)[], [x]: readonly Tensor[], out: Tensor, a: ScanAttrs): Tensor {
  const { before, first } = zerosAlong(x!, a);
  const upToZero = mul(out, scanOf('cumsum', div(t!, where(before, x!, 1)), a, true));
  const fromZero = mul(scanOf('cumsum', where(first, t!, 0), a, true), scanOf('cumprod', where(first, 1, x!), a, true));
  return where(before, upToZero, fromZero);
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
  const k = shift(g, t.ndim === 0 ? undefined : a.axis);
  const part = (w: Tensor): Tensor => exp(add(t, scanOf('logcumsumexp', sub(log(w), out), a, false)));
  return [sub(part(add(g, k)), part(k))];
}

/**
 * The tangent of logcumsumexp: sum over i <= j of t_i exp(x_i - out_j), summed in the log domain as
 * in the VJP: with K > -t per slice, exp(lcse(x + log(t + K))_j - out_j) - K, since lcse(x) = out.
 */
function logcumsumexpJvp([t]: readonly (Tensor | null)[], [x]: readonly Tensor[], out: Tensor, a: ScanAttrs): Tensor {
  if (x!.size === 0) return t!;
  const k = shift(t!, x!.ndim === 0 ? undefined : a.axis);
  return sub(exp(sub(scanOf('logcumsumexp', add(x!, log(add(t!, k))), a, true), out)), k);
}

/** A per-slice constant K > -min(v), K > 0 (v detached: the rules' results do not depend on K). */
function shift(v: Tensor, axis: number | undefined): Tensor {
  const d = v.detach();
  const scale = max(abs(d), axis, true);
  return add(maximum(neg(min(d, axis, true)), 0), where(gt(scale, 0), mul(scale, MARGIN), 1));
}

/** How far above -min(g) the shift K stays, relative to max |g|. */
const MARGIN = 2 ** -8;

export const scanRules: RuleTable<'cumsum' | 'cumprod' | 'logcumsumexp' | 'cumargmax' | 'cumargmin'> = {
  /** d cumsum(x) = cumsum of g the other way; the tangent is the cumsum of the tangent */
  cumsum: { vjp: (g, _, __, a) => [scanOf('cumsum', g, a, false)], jvp: ([t], _, __, a) => scanOf('cumsum', t!, a, true), batch: axisBatch },
  cumprod: { vjp: cumprodVjp, jvp: cumprodJvp, batch: axisBatch },
  logcumsumexp: { vjp: logcumsumexpVjp, jvp: logcumsumexpJvp, batch: axisBatch },
  /** int32 positions: no gradient (cummax's values get theirs through gather) */
  cumargmax: { vjp: noGradient, jvp: noTangent, batch: axisBatch },
  cumargmin: { vjp: noGradient, jvp: noTangent, batch: axisBatch },
};
