import { runKernel } from '../dispatch.js';
import { isFloat, type DType } from '../dtype.js';
import type { ReducePrimitive } from '../primitives.js';
import { describe, normAxes, normAxis } from '../shape.js';
import { isGradEnabled } from '../tape.js';
import type { Tensor } from '../tensor.js';
import { checkFlag, checkNumber, checkOptions } from '../validate.js';
import { abs, cast, div, eq, log, mul, pow, sqrt, square, sub, where, add, lt, exp } from './elementwise.js';
import { gather, reshape, squeeze } from './movement.js';
import { asTensor, type Operand } from './operand.js';
import { defineMethods, type AsMethods } from '../methods.js';

type Axis = number | readonly number[];

function reducedShape(shape: readonly number[], axes: readonly number[], keepdims: boolean): number[] {
  const out: number[] = [];
  for (let d = 0; d < shape.length; d++) {
    if (!axes.includes(d)) out.push(shape[d]!);
    else if (keepdims) out.push(1);
  }
  return out;
}

/**
 * The arguments every reduction takes, validated under the name the user called: the axes (sorted,
 * all when omitted) and keepdims. `nonEmpty` ops (max, min, arg-reductions) refuse a size-0 axis.
 */
function reduceArgs(op: string, x: Tensor, axis: unknown, keepdims: unknown, nonEmpty = false): [number[], boolean] {
  const axes = normAxes(axis as number | number[] | undefined, x.ndim, op);
  const keep = checkFlag(keepdims, op, 'keepdims', false);
  if (nonEmpty) {
    for (const a of axes) {
      if (x.shape[a] === 0) throw new RangeError(`${op}: cannot reduce over axis ${a} of size 0 in shape [${x.shape.join(',')}]`);
    }
  }
  return [axes, keep];
}

function reduce(op: ReducePrimitive, x: Tensor, axis: Axis | undefined, keepdims: boolean, dtype: DType): Tensor {
  const [axes, keep] = reduceArgs(op, x, axis, keepdims, op !== 'sum' && op !== 'prod');
  return runKernel(op, [x], { axes, keepdims: keep }, reducedShape(x.shape, axes, keep), dtype);
}

/** Integer and bool sums are int32, float sums keep their dtype. */
const sumDType = (d: DType): DType => (isFloat(d) ? d : 'int32');

/** Sum over `axis` (all axes when omitted). */
export function sum(x: Operand, axis?: Axis, keepdims = false): Tensor {
  const t = asTensor(x, 'sum');
  return reduce('sum', t, axis, keepdims, sumDType(t.dtype));
}

/** Product over `axis` (all axes when omitted); the gradient is exact at zeros. */
export function prod(x: Operand, axis?: Axis, keepdims = false): Tensor {
  const t = asTensor(x, 'prod');
  return reduce('prod', t, axis, keepdims, sumDType(t.dtype));
}

/**
 * max and min. With one axis given as a number (PyTorch's `max(dim)`) the gradient goes to the one
 * element `argmax` picks, the first extreme: recorded as a gather of that element, so the tape says
 * which. Over all axes or a list of axes (PyTorch's `max()` and `amax`) the reduction primitive's
 * rule shares the gradient evenly among tied extremes, whatever the rank.
 */
function extreme(op: 'max' | 'min', x: Operand, axis: Axis | undefined, keepdims: boolean): Tensor {
  const t = asTensor(x, op);
  if (typeof axis !== 'number' || t.ndim === 0 || !t.requiresGrad || !isGradEnabled()) return reduce(op, t, axis, keepdims, t.dtype);
  const [[ax], keep] = reduceArgs(op, t, axis, keepdims, true) as [[number], boolean];
  const at = gather(t, ax, argReduce(op === 'max' ? 'argmax' : 'argmin', t.detach(), ax, true));
  return keep ? at : squeeze(at, ax);
}

/** Largest value over `axis` (all axes when omitted); see `extreme` for how ties share the gradient. */
export function max(x: Operand, axis?: Axis, keepdims = false): Tensor {
  return extreme('max', x, axis, keepdims);
}

/** Smallest value over `axis`; gradient as for `max`. */
export function min(x: Operand, axis?: Axis, keepdims = false): Tensor {
  return extreme('min', x, axis, keepdims);
}

function argReduce(op: 'argmax' | 'argmin', x: Operand, axis: number | undefined, keepdims: boolean): Tensor {
  const t = asTensor(x, op);
  if (axis === undefined || axis === null) {
    const keep = checkFlag(keepdims, op, 'keepdims', false);
    const flat = reduce(op, reshape(t, [t.size]), 0, false, 'int32');
    return keep ? reshape(flat, t.shape.map(() => 1)) : flat;
  }
  return reduce(op, t, normAxis(axis, t.ndim, op), keepdims, 'int32');
}

/** int32 index of the first maximum along `axis` (of the flattened tensor when omitted). */
export function argmax(x: Operand, axis?: number, keepdims = false): Tensor { return argReduce('argmax', x, axis, keepdims); }
/** int32 index of the first minimum along `axis` (of the flattened tensor when omitted). */
export function argmin(x: Operand, axis?: number, keepdims = false): Tensor { return argReduce('argmin', x, axis, keepdims); }

function countOf(t: Tensor, axes: readonly number[]): number {
  let n = 1;
  for (const a of axes) n *= t.shape[a]!;
  return n;
}

function asFloat(x: Operand, op: string): Tensor {
  const t = asTensor(x, op);
  return isFloat(t.dtype) ? t : cast(t, 'float32');
}

/** Arithmetic mean over `axis`. */
export function mean(x: Operand, axis?: Axis, keepdims = false): Tensor {
  const t = asFloat(x, 'mean');
  const [axes, keep] = reduceArgs('mean', t, axis, keepdims);
  return div(sum(t, axes, keep), countOf(t, axes));
}

/** Options of `var` and `std`. */
export interface VarOptions { /** Subtracted from the count in the divisor; 1 (unbiased) by default, as PyTorch. */ correction?: number }

/** Variance over `axis`, unbiased by default (`{ correction: 1 }`). */
export function variance(x: Operand, axis?: Axis, keepdims = false, opts: VarOptions = {}): Tensor {
  return varianceAs('var', x, axis, keepdims, opts);
}

/** The body of var and std, reporting errors under `op`. */
function varianceAs(op: string, x: Operand, axis: Axis | undefined, keepdims: boolean, opts: VarOptions): Tensor {
  const t = asFloat(x, op);
  const [axes, keep] = reduceArgs(op, t, axis, keepdims);
  const o = checkOptions<VarOptions>(opts, op, ['correction']);
  const correction = checkNumber(o.correction ?? 1, op, 'correction', true);
  const centered = sub(t, mean(t, axes, true));
  return div(sum(square(centered), axes, keep), Math.max(countOf(t, axes) - correction, 0));
}

/**
 * sqrt whose gradient is 0 where its input is 0 (instead of Inf times a zero, NaN): the gradient
 * PyTorch gives std and norm at 0. The zero branch of the `where` sees a 1, never a 0.
 */
function sqrtZeroSafe(v: Tensor): Tensor {
  const zero = eq(v, 0);
  return where(zero, 0, sqrt(where(zero, 1, v)));
}

/** Standard deviation: sqrt of `var`; its gradient is 0 where it is 0 (a constant slice), as PyTorch. */
export function std(x: Operand, axis?: Axis, keepdims = false, opts: VarOptions = {}): Tensor {
  return sqrtZeroSafe(varianceAs('std', x, axis, keepdims, opts));
}

/**
 * log(sum(exp(x))) over `axis`, shifted by the (constant) maximum so it is exact at |x| = 1000.
 * An all -Infinity slice gives -Infinity, not NaN.
 */
export function logsumexp(x: Operand, axis?: Axis, keepdims = false): Tensor {
  const t = asFloat(x, 'logsumexp');
  const [axes, keep] = reduceArgs('logsumexp', t, axis, keepdims);
  if (countOf(t, axes) === 0) {
    // Nothing to sum: log(0) = -Infinity, as PyTorch (no maximum to shift by).
    const r = log(sum(exp(t), axes, true));
    return keep ? r : squeeze(r, axes);
  }
  const m0 = max(t.detach(), axes, true);
  const m = where(lt(abs(m0), Infinity), m0, 0);
  const r = add(log(sum(exp(sub(t, m)), axes, true)), m);
  return keep ? r : squeeze(r, axes);
}

/**
 * p-norm over `axis` (p = 2 by default; 1, Infinity and any p > 0 as well). Its gradient is 0 where
 * the norm is 0, as PyTorch's.
 */
export function norm(x: Operand, p = 2, axis?: Axis, keepdims = false): Tensor {
  const t = asFloat(x, 'norm');
  if (typeof p !== 'number') throw new TypeError(`norm: expected p to be a number, got ${describe(p)}`);
  if (!(p > 0)) throw new RangeError(`norm: expected p > 0 (or Infinity), got ${describe(p)}`);
  const [axes, keep] = reduceArgs('norm', t, axis, keepdims);
  // Infinity-norm: a list of axes shares the gradient among ties, like amax; nothing to reduce is 0.
  if (p === Infinity) return countOf(t, axes) === 0 ? sum(abs(t), axes, keep) : max(abs(t), axes, keep);
  if (p === 1) return sum(abs(t), axes, keep);
  if (p === 2) return sqrtZeroSafe(sum(mul(t, t), axes, keep));
  const s = sum(pow(abs(t), p), axes, keep);
  const zero = eq(s, 0);
  return where(zero, 0, pow(where(zero, 1, s), 1 / p));
}

/** The ops of this file that are also `Tensor` methods (`var` is `variance`). */
const METHODS = { sum, mean, max, min, prod, var: variance, std, logsumexp, argmax, argmin, norm };
defineMethods(METHODS);

declare module '../tensor.js' {
  interface Tensor extends AsMethods<typeof METHODS> {}
}
