import { runKernel } from '../dispatch.js';
import { isFloat, type DType } from '../dtype.js';
import type { ReducePrimitive } from '../primitives.js';
import { normAxes, normAxis } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { abs, cast, div, log, mul, pow, sqrt, square, sub, where, add, lt, exp } from './elementwise.js';
import { reshape, squeeze } from './movement.js';
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

function reduce(op: ReducePrimitive, x: Tensor, axis: Axis | undefined, keepdims: boolean, dtype: DType): Tensor {
  const axes = normAxes(axis as number | number[] | undefined, x.ndim, op);
  if (op !== 'sum' && op !== 'prod') {
    for (const a of axes) {
      if (x.shape[a] === 0) throw new RangeError(`${op}: cannot reduce over axis ${a} of size 0 in shape [${x.shape.join(',')}]`);
    }
  }
  return runKernel(op, [x], { axes, keepdims }, reducedShape(x.shape, axes, keepdims), dtype);
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

/** Largest value over `axis`. Along one axis the gradient goes to the first maximum (as PyTorch's max(dim)); over several, it is shared by ties. */
export function max(x: Operand, axis?: Axis, keepdims = false): Tensor {
  const t = asTensor(x, 'max');
  return reduce('max', t, axis, keepdims, t.dtype);
}

/** Smallest value over `axis`; gradient as for `max`. */
export function min(x: Operand, axis?: Axis, keepdims = false): Tensor {
  const t = asTensor(x, 'min');
  return reduce('min', t, axis, keepdims, t.dtype);
}

function argReduce(op: 'argmax' | 'argmin', x: Operand, axis: number | undefined, keepdims: boolean): Tensor {
  const t = asTensor(x, op);
  if (axis === undefined || axis === null) {
    const flat = reduce(op, reshape(t, [t.size]), 0, false, 'int32');
    return keepdims ? reshape(flat, t.shape.map(() => 1)) : flat;
  }
  return reduce(op, t, normAxis(axis, t.ndim, op), keepdims, 'int32');
}

/** int32 index of the first maximum along `axis` (of the flattened tensor when omitted). */
export function argmax(x: Operand, axis?: number, keepdims = false): Tensor { return argReduce('argmax', x, axis, keepdims); }
/** int32 index of the first minimum along `axis` (of the flattened tensor when omitted). */
export function argmin(x: Operand, axis?: number, keepdims = false): Tensor { return argReduce('argmin', x, axis, keepdims); }

function countOf(t: Tensor, axis: Axis | undefined, op: string): number {
  let n = 1;
  for (const a of normAxes(axis as number | number[] | undefined, t.ndim, op)) n *= t.shape[a]!;
  return n;
}

function asFloat(x: Operand, op: string): Tensor {
  const t = asTensor(x, op);
  return isFloat(t.dtype) ? t : cast(t, 'float32');
}

/** Arithmetic mean over `axis`. */
export function mean(x: Operand, axis?: Axis, keepdims = false): Tensor {
  const t = asFloat(x, 'mean');
  const n = countOf(t, axis, 'mean');
  return div(sum(t, axis, keepdims), n);
}

/** Options of `var` and `std`. */
export interface VarOptions { /** Subtracted from the count in the divisor; 1 (unbiased) by default, as PyTorch. */ correction?: number }

/** Variance over `axis`, unbiased by default (`{ correction: 1 }`). */
export function variance(x: Operand, axis?: Axis, keepdims = false, opts: VarOptions = {}, op = 'var'): Tensor {
  const t = asFloat(x, op);
  const n = countOf(t, axis, op);
  const centered = sub(t, mean(t, axis, true));
  return div(sum(square(centered), axis, keepdims), Math.max(n - (opts.correction ?? 1), 0));
}

/** Standard deviation: sqrt of `var`. */
export function std(x: Operand, axis?: Axis, keepdims = false, opts: VarOptions = {}): Tensor {
  return sqrt(variance(x, axis, keepdims, opts, 'std'));
}

/**
 * log(sum(exp(x))) over `axis`, shifted by the (constant) maximum so it is exact at |x| = 1000.
 * An all -Infinity slice gives -Infinity, not NaN.
 */
export function logsumexp(x: Operand, axis?: Axis, keepdims = false): Tensor {
  const t = asFloat(x, 'logsumexp');
  const axes = normAxes(axis as number | number[] | undefined, t.ndim, 'logsumexp');
  const m0 = max(t.detach(), axes, true);
  const m = where(lt(abs(m0), Infinity), m0, 0);
  const r = add(log(sum(exp(sub(t, m)), axes, true)), m);
  return keepdims ? r : squeeze(r, axes);
}

/** p-norm over `axis` (p = 2 by default; 1, Infinity and any p > 0 as well). */
export function norm(x: Operand, p = 2, axis?: Axis, keepdims = false): Tensor {
  const t = asFloat(x, 'norm');
  if (typeof p !== 'number' || !(p > 0)) throw new RangeError(`norm: expected p > 0 (or Infinity), got ${p}`);
  normAxes(axis as number | number[] | undefined, t.ndim, 'norm');
  if (p === 2) return sqrt(sum(mul(t, t), axis, keepdims));
  if (p === 1) return sum(abs(t), axis, keepdims);
  if (p === Infinity) return max(abs(t), axis, keepdims);
  return pow(sum(pow(abs(t), p), axis, keepdims), 1 / p);
}

/** The ops of this file that are also `Tensor` methods (`var` is `variance`). */
const METHODS = { sum, mean, max, min, prod, var: variance, std, logsumexp, argmax, argmin, norm };
defineMethods(METHODS);

declare module '../tensor.js' {
  interface Tensor extends AsMethods<typeof METHODS> {}
}
