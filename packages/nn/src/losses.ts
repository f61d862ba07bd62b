import {
  ShapeError, Tensor, abs, add, div, exp, gather, gt, log, log1p, logSoftmax, lt, maximum, mean, mul, ne, neg, reshape,
  squeeze, sub, sum, unsqueeze, where,
} from '@tapegrad/tensor';
import { defineOp } from '@tapegrad/autograd';
import { fmtShape, isFloat, describe } from '@tapegrad/tensor/internal';

/*
 * Loss functions with PyTorch's formulas, defaults and reductions. Prediction and target must have
 * one shape and one float dtype (tapegrad does not broadcast losses: a [N, 1] prediction against an
 * [N] target is a ShapeError, not a silent [N, N] loss).
 */

/** How a loss combines its per-element values: 'mean' (the default), 'sum', or 'none' (the unreduced tensor). */
export type Reduction = 'mean' | 'sum' | 'none';
/** Options every loss takes: the {@link Reduction} (default 'mean'). */
export interface LossOptions { reduction?: Reduction }

function checkTensor(x: unknown, loss: string, what: string): Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`${loss}: expected the ${what} to be a Tensor, got ${x === null ? 'null' : typeof x}`);
  return x;
}

/** Prediction and target of a pointwise loss: both float, one dtype, one shape. */
function checkPair(pred: unknown, target: unknown, loss: string): [Tensor, Tensor] {
  const p = checkTensor(pred, loss, 'prediction');
  const t = checkTensor(target, loss, 'target');
  if (!isFloat(p.dtype) || p.dtype !== t.dtype) {
    throw new TypeError(`${loss}: expected prediction and target of one float dtype, got ${p.dtype} ${fmtShape(p.shape)} and ${t.dtype} ${fmtShape(t.shape)}`);
  }
  if (p.ndim !== t.ndim || p.shape.some((d, i) => d !== t.shape[i])) {
    throw new ShapeError(`${loss}: prediction ${fmtShape(p.shape)} and target ${fmtShape(t.shape)} must have the same shape`);
  }
  return [p, t];
}

/** An optional per-element (or per-class) weight: float, the loss's dtype. */
function checkWeight(w: unknown, like: Tensor, loss: string, what: string): Tensor | null {
  if (w === undefined || w === null) return null;
  const t = checkTensor(w, loss, what);
  if (t.dtype !== like.dtype) throw new TypeError(`${loss}: expected ${what} of dtype ${like.dtype}, got ${t.dtype}`);
  return t;
}

/** A loss's options: undefined or an object (the loss checks each option it reads). */
function checkLossOptions(opts: unknown, loss: string): void {
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts) || opts instanceof Tensor) throw new TypeError(`${loss}: expected an options object, got ${describe(opts)}`);
}

function checkReduction(reduction: unknown, name: string): Reduction {
  const r = reduction ?? 'mean';
  if (r !== 'mean' && r !== 'sum' && r !== 'none') {
    throw new TypeError(`${name}: reduction must be 'mean', 'sum' or 'none', got ${describe(reduction)}`);
  }
  return r;
}

function reduce(loss: Tensor, reduction: Reduction | undefined, name: string): Tensor {
  const r = checkReduction(reduction, name);
  return r === 'mean' ? mean(loss) : r === 'sum' ? sum(loss) : loss;
}

/** Mean (or sum, or elementwise) absolute error |pred - target|. */
export function l1Loss(pred: Tensor, target: Tensor, opts: LossOptions = {}): Tensor {
  checkLossOptions(opts, 'l1Loss');
  const [p, t] = checkPair(pred, target, 'l1Loss');
  return reduce(abs(sub(p, t)), opts.reduction, 'l1Loss');
}

/** Mean (or sum, or elementwise) squared error (pred - target)^2. */
export function mseLoss(pred: Tensor, target: Tensor, opts: LossOptions = {}): Tensor {
  checkLossOptions(opts, 'mseLoss');
  const [p, t] = checkPair(pred, target, 'mseLoss');
  const d = sub(p, t);
  return reduce(mul(d, d), opts.reduction, 'mseLoss');
}

/** Huber loss: 0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta), with d = pred - target (delta = 1 by default). */
export function huberLoss(pred: Tensor, target: Tensor, opts: LossOptions & { delta?: number } = {}): Tensor {
  checkLossOptions(opts, 'huberLoss');
  const [p, t] = checkPair(pred, target, 'huberLoss');
  const delta = opts.delta ?? 1;
  if (typeof delta !== 'number' || !(delta > 0)) throw new RangeError(`huberLoss: delta must be positive, got ${describe(delta)}`);
  const d = sub(p, t);
  const a = abs(d);
  const loss = where(lt(a, delta), mul(mul(d, d), 0.5), mul(sub(a, 0.5 * delta), delta));
  return reduce(loss, opts.reduction, 'huberLoss');
}

/** Smooth L1: 0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta (beta = 1 by default; beta = 0 is L1). */
export function smoothL1Loss(pred: Tensor, target: Tensor, opts: LossOptions & { beta?: number } = {}): Tensor {
  checkLossOptions(opts, 'smoothL1Loss');
  const [p, t] = checkPair(pred, target, 'smoothL1Loss');
  const beta = opts.beta ?? 1;
  if (typeof beta !== 'number' || !(beta >= 0)) throw new RangeError(`smoothL1Loss: beta must be >= 0, got ${describe(beta)}`);
  const d = sub(p, t);
  const a = abs(d);
  if (beta === 0) return reduce(a, opts.reduction, 'smoothL1Loss');
  const loss = where(lt(a, beta), div(mul(mul(d, d), 0.5), beta), sub(a, 0.5 * beta));
  return reduce(loss, opts.reduction, 'smoothL1Loss');
}

/** max(log(x), -100), without computing log(0) = -Infinity on the way (which anomaly mode would report). */
function clampedLog(x: Tensor, log1mx: boolean): Tensor {
  const ok = log1mx ? lt(x, 1) : gt(x, 0);
  const safe = where(ok, x, log1mx ? 0 : 1);
  return where(ok, maximum(log1mx ? log1p(neg(safe)) : log(safe), -100), -100);
}

/**
 * Elementwise -(y log p + (1 - y) log(1 - p)) with each log clamped at -100, as one op whose
 * gradients are PyTorch's: (p - y) / max(p (1 - p), 1e-12) for p and log(1 - p) - log(p) for y.
 * (Differentiating the clamped formula instead would give 0 * inf = NaN at p = 0 or 1.)
 */
const bceElementwise = defineOp({
  name: 'binaryCrossEntropy',
  forward(p: Tensor, y: Tensor): Tensor {
    return neg(add(mul(y, clampedLog(p, false)), mul(sub(1, y), clampedLog(p, true))));
  },
  vjp(g: Tensor, [p, y]: Tensor[]): (Tensor | null)[] {
    const gp = div(mul(g, sub(p!, y!)), maximum(mul(p!, sub(1, p!)), 1e-12));
    const gy = y!.requiresGrad ? mul(g, sub(log1p(neg(p!)), log(p!))) : null;
    return [gp, gy];
  },
});

/**
 * Binary cross-entropy of probabilities `pred` in [0, 1] against targets in [0, 1], logs clamped at
 * -100 as PyTorch (so p = 0 or 1 gives a finite loss). Optional `weight` rescales each element
 * (broadcast to the prediction's shape).
 */
export function binaryCrossEntropy(pred: Tensor, target: Tensor, opts: LossOptions & { weight?: Tensor } = {}): Tensor {
  checkLossOptions(opts, 'binaryCrossEntropy');
  const [p, y] = checkPair(pred, target, 'binaryCrossEntropy');
  const w = checkWeight(opts.weight, p, 'binaryCrossEntropy', 'weight');
  // Inside vmap the values are the batch's, not readable one element at a time: the check is skipped.
  const v = p._batch === null ? p.data() : [];
  for (let i = 0; i < v.length; i++) {
    if (!(v[i]! >= 0 && v[i]! <= 1)) throw new RangeError(`binaryCrossEntropy: every prediction must be in [0, 1], got ${v[i]} (apply sigmoid first, or use binaryCrossEntropyWithLogits)`);
  }
  let loss = bceElementwise(p, y);
  if (w !== null) loss = mul(loss, w);
  return reduce(loss, opts.reduction, 'binaryCrossEntropy');
}

/**
 * Binary cross-entropy on logits z: (1 - y) z + lw * softplus(-z) with lw = 1 + (posWeight - 1) y,
 * written as max(-z, 0) + log1p(exp(-|z|)) so it is exact at |z| = 1000. `posWeight` (broadcast over
 * the last dim, one per class) weighs positive examples; `weight` rescales each element.
 */
export function binaryCrossEntropyWithLogits(logits: Tensor, target: Tensor, opts: LossOptions & { weight?: Tensor; posWeight?: Tensor } = {}): Tensor {
  checkLossOptions(opts, 'binaryCrossEntropyWithLogits');
  const [z, y] = checkPair(logits, target, 'binaryCrossEntropyWithLogits');
  const w = checkWeight(opts.weight, z, 'binaryCrossEntropyWithLogits', 'weight');
  const pw = checkWeight(opts.posWeight, z, 'binaryCrossEntropyWithLogits', 'posWeight');
  const softplusNeg = add(maximum(neg(z), 0), log1p(exp(neg(abs(z)))));
  const lw = pw === null ? null : add(mul(sub(pw, 1), y), 1);
  let loss = add(mul(sub(1, y), z), lw === null ? softplusNeg : mul(lw, softplusNeg));
  if (w !== null) loss = mul(loss, w);
  return reduce(loss, opts.reduction, 'binaryCrossEntropyWithLogits');
}

/** Options of {@link nllLoss}: the reduction, a per-class weight, an ignored target index. */
export interface NllLossOptions extends LossOptions {
  /** A weight per class [C]. */
  weight?: Tensor;
  /** Targets equal to this contribute nothing, to the sum or to the mean's divisor (default -100). */
  ignoreIndex?: number;
}

/** Checks class-index targets against [N, C, d...] scores; returns the class axis. */
function checkClassTargets(scores: Tensor, target: Tensor, loss: string, ignoreIndex: number): number {
  if (!isFloat(scores.dtype)) throw new TypeError(`${loss}: expected float scores, got ${scores.dtype}`);
  if (target.dtype !== 'int32') {
    throw new TypeError(`${loss}: expected int32 class indices as the target (or float class probabilities of the input's shape), got ${target.dtype} ${fmtShape(target.shape)}`);
  }
  if (scores.ndim === 0) throw new ShapeError(`${loss}: expected input [C] or [N, C, ...], got ${fmtShape(scores.shape)}`);
  const axis = scores.ndim === 1 ? 0 : 1;
  const want = scores.shape.filter((_, i) => i !== axis);
  if (target.ndim !== want.length || target.shape.some((d, i) => d !== want[i])) {
    throw new ShapeError(`${loss}: input ${fmtShape(scores.shape)} needs a target of shape ${fmtShape(want)}, got ${fmtShape(target.shape)}`);
  }
  const C = scores.shape[axis]!;
  // Inside vmap (a batched target) the values are not read here; the gather kernel still refuses an
  // index out of range.
  const v = target._batch === null ? target.data() : [];
  for (let i = 0; i < v.length; i++) {
    if (v[i] !== ignoreIndex && (v[i]! < 0 || v[i]! >= C)) throw new RangeError(`${loss}: target ${v[i]} is out of bounds for ${C} classes`);
  }
  return axis;
}

function checkClassWeight(w: unknown, scores: Tensor, axis: number, loss: string): Tensor | null {
  const t = checkWeight(w, scores, loss, 'weight');
  if (t !== null && (t.ndim !== 1 || t.shape[0] !== scores.shape[axis])) {
    throw new ShapeError(`${loss}: expected a weight per class [${scores.shape[axis]}], got ${fmtShape(t.shape)} for input ${fmtShape(scores.shape)}`);
  }
  return t;
}

/**
 * The per-sample picked scores and weights of a class-index loss, ignoring `ignoreIndex`:
 * returns [-w[t] * scores[t], w[t]] (w[t] = 0 for ignored targets, 1 without weights).
 */
function pick(scores: Tensor, target: Tensor, axis: number, weight: Tensor | null, ignoreIndex: number): [Tensor, Tensor] {
  const keep = ne(target, ignoreIndex);
  const safe = where(keep, target, 0);
  const picked = squeeze(gather(scores, axis, unsqueeze(safe, axis)), axis);
  let w: Tensor = where(keep, 1, 0);
  w = w.to(scores.dtype);
  if (weight !== null) w = mul(w, reshape(gather(weight, 0, reshape(safe, [safe.size])), safe.shape));
  return [neg(mul(picked, w)), w];
}

/**
 * Negative log-likelihood of log-probabilities [N, C] (or [C], or [N, C, d1, ...]) at int32 class
 * indices [N] (or [], or [N, d1, ...]). The mean divides by the total weight of the non-ignored
 * targets, as PyTorch.
 */
export function nllLoss(logProbs: Tensor, target: Tensor, opts: NllLossOptions = {}): Tensor {
  checkLossOptions(opts, 'nllLoss');
  const lp = checkTensor(logProbs, 'nllLoss', 'input');
  const t = checkTensor(target, 'nllLoss', 'target');
  const ignore = opts.ignoreIndex ?? -100;
  const axis = checkClassTargets(lp, t, 'nllLoss', ignore);
  const weight = checkClassWeight(opts.weight, lp, axis, 'nllLoss');
  const [losses, w] = pick(lp, t, axis, weight, ignore);
  const reduction = checkReduction(opts.reduction, 'nllLoss');
  if (reduction === 'mean') return div(sum(losses), sum(w));
  return reduce(losses, reduction, 'nllLoss');
}

/** Options of {@link crossEntropy}: those of {@link nllLoss}, plus label smoothing. */
export interface CrossEntropyOptions extends NllLossOptions {
  /** Mixes the target with the uniform distribution: (1 - s) target + s / C (default 0). */
  labelSmoothing?: number;
}

/**
 * Cross-entropy of raw logits [N, C] (or [C], or [N, C, d1, ...]) against int32 class indices
 * (log-softmax + NLL, computed with log-sum-exp so large logits are exact), or against float class
 * probabilities of the logits' shape. Options as PyTorch: per-class `weight`, `ignoreIndex`,
 * `labelSmoothing`, `reduction`.
 */
export function crossEntropy(logits: Tensor, target: Tensor, opts: CrossEntropyOptions = {}): Tensor {
  checkLossOptions(opts, 'crossEntropy');
  const z = checkTensor(logits, 'crossEntropy', 'logits');
  const t = checkTensor(target, 'crossEntropy', 'target');
  const s = opts.labelSmoothing ?? 0;
  if (typeof s !== 'number' || !(s >= 0 && s <= 1)) throw new RangeError(`crossEntropy: labelSmoothing must be in [0, 1], got ${describe(s)}`);
  const reduction = checkReduction(opts.reduction, 'crossEntropy');
  if (isFloat(t.dtype)) return softCrossEntropy(z, t, opts, s, reduction);
  const ignore = opts.ignoreIndex ?? -100;
  const axis = checkClassTargets(z, t, 'crossEntropy', ignore);
  const weight = checkClassWeight(opts.weight, z, axis, 'crossEntropy');
  const lp = logSoftmax(z, axis);
  const [losses, w] = pick(lp, t, axis, weight, ignore);
  const nll = reduction === 'mean' ? div(sum(losses), sum(w)) : reduce(losses, reduction, 'crossEntropy');
  if (s === 0) return nll;
  // Label smoothing: the uniform part -sum_c w_c log p_c / C, masked and normalized like the NLL.
  const C = z.shape[axis]!;
  const wl = weight === null ? lp : mul(lp, reshape(weight, z.shape.map((d, i) => (i === axis ? d : 1))));
  const keep = ne(t, ignore);
  const smooth = where(keep, neg(sum(wl, axis)), 0);
  const uniform = reduction === 'mean' ? div(sum(smooth), sum(w)) : reduce(smooth, reduction, 'crossEntropy');
  return add(mul(nll, 1 - s), mul(uniform, s / C));
}

/** Cross-entropy against class probabilities: -sum_c w_c q_c log p_c, the mean over samples. */
function softCrossEntropy(z: Tensor, q: Tensor, opts: CrossEntropyOptions, s: number, reduction: Reduction): Tensor {
  if (z.dtype !== q.dtype) throw new TypeError(`crossEntropy: expected probability targets of the logits' dtype ${z.dtype}, got ${q.dtype}`);
  if (z.ndim !== q.ndim || z.shape.some((d, i) => d !== q.shape[i])) {
    throw new ShapeError(`crossEntropy: probability targets ${fmtShape(q.shape)} must have the logits' shape ${fmtShape(z.shape)} (use int32 targets for class indices)`);
  }
  if (z.ndim === 0) throw new ShapeError(`crossEntropy: expected logits [C] or [N, C, ...], got ${fmtShape(z.shape)}`);
  const axis = z.ndim === 1 ? 0 : 1;
  const C = z.shape[axis]!;
  const weight = checkClassWeight(opts.weight, z, axis, 'crossEntropy');
  const target = s === 0 ? q : add(mul(q, 1 - s), s / C);
  let terms = mul(logSoftmax(z, axis), target);
  if (weight !== null) terms = mul(terms, reshape(weight, z.shape.map((d, i) => (i === axis ? d : 1))));
  return reduce(neg(sum(terms, axis)), reduction, 'crossEntropy');
}
