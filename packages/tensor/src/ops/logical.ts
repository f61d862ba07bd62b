import { isFloat } from '../dtype.js';
import { broadcastShapes, describe, normAxes, sameShape } from '../shape.js';
import { withGradMode } from '../tape.js';
import type { Tensor } from '../tensor.js';
import { zeros, ones } from '../creation.js';
import { abs, eq, le, maximum, minimum, mul, ne, sub } from './elementwise.js';
import { sum } from './reduce.js';
import { asTensor, type Operand } from './operand.js';
import { defineMethods, type AsMethods } from '../methods.js';
import { checkFlag, checkOptions } from '../validate.js';
import { castAs } from '../internal-ops.js';

type Axis = number | readonly number[];

/** Truth values: bool as it is, anything else non-zero (NaN included), as PyTorch's logical ops. */
function truth(x: Operand, op: string): Tensor {
  const t = asTensor(x, op);
  return t.dtype === 'bool' ? t : ne(t, 0);
}

/** Truth values of two operands, checked to broadcast together (naming `op`). */
function truths(a: Operand, b: Operand, op: string): [Tensor, Tensor] {
  const x = truth(a, op);
  const y = truth(b, op);
  broadcastShapes(op, x.shape, y.shape);
  return [x, y];
}

/** True where x is NaN (never for integer and bool tensors). */
export function isnan(x: Operand): Tensor {
  const t = asTensor(x, 'isnan');
  return isFloat(t.dtype) ? ne(t, t) : zeros(t.shape, { dtype: 'bool' });
}

/** True where x is +Infinity or -Infinity. */
export function isinf(x: Operand): Tensor {
  const t = asTensor(x, 'isinf');
  return isFloat(t.dtype) ? eq(abs(t), Infinity) : zeros(t.shape, { dtype: 'bool' });
}

/** True where x is neither NaN nor infinite (always for integer and bool tensors). */
export function isfinite(x: Operand): Tensor {
  const t = asTensor(x, 'isfinite');
  return isFloat(t.dtype) ? eq(sub(t, t), 0) : ones(t.shape, { dtype: 'bool' });
}

/** Elementwise a AND b on truth values (non-zero is true), broadcasting; bool out. */
export function logicalAnd(a: Operand, b: Operand): Tensor { return minimum(...truths(a, b, 'logicalAnd')); }
/** Elementwise a OR b on truth values (non-zero is true), broadcasting; bool out. */
export function logicalOr(a: Operand, b: Operand): Tensor { return maximum(...truths(a, b, 'logicalOr')); }
/** Elementwise a XOR b on truth values (non-zero is true), broadcasting; bool out. */
export function logicalXor(a: Operand, b: Operand): Tensor { return ne(...truths(a, b, 'logicalXor')); }
/** Elementwise NOT: true where x is zero (or false). */
export function logicalNot(x: Operand): Tensor {
  const t = asTensor(x, 'logicalNot');
  return eq(t, t.dtype === 'bool' ? false : 0);
}

/** Whether any element over `axis` (all axes when omitted) is non-zero; false over nothing. */
export function any(x: Operand, axis?: Axis, keepdims = false): Tensor {
  const t = truth(x, 'any');
  return ne(sum(t, normAxes(axis as number | number[] | undefined, t.ndim, 'any'), checkFlag(keepdims, 'any', 'keepdims', false)), 0);
}

/** Whether every element over `axis` (all axes when omitted) is non-zero; true over nothing. */
export function all(x: Operand, axis?: Axis, keepdims = false): Tensor {
  const t = logicalNot(asTensor(x, 'all'));
  return eq(sum(t, normAxes(axis as number | number[] | undefined, t.ndim, 'all'), checkFlag(keepdims, 'all', 'keepdims', false)), 0);
}

/** Tolerances for {@link allclose}. */
export interface AllcloseOptions {
  /** Relative tolerance (default 1e-5). */
  rtol?: number;
  /** Absolute tolerance (default 1e-8). */
  atol?: number;
}

/**
 * Whether |a - b| <= atol + rtol |b| everywhere (broadcasting), as PyTorch: equal infinities are
 * close, NaN is close to nothing. Returns a JS boolean and records nothing.
 */
export function allclose(a: Operand, b: Operand, options: AllcloseOptions = {}): boolean {
  const opts = checkOptions<AllcloseOptions>(options, 'allclose', ['rtol', 'atol']);
  const tol = (v: unknown, name: string, dflt: number): number => {
    if (v === undefined) return dflt;
    if (typeof v !== 'number' || !(v >= 0)) throw new RangeError(`allclose: expected ${name} >= 0, got ${describe(v)}`);
    return v;
  };
  const rtol = tol(opts.rtol, 'rtol', 1e-5);
  const atol = tol(opts.atol, 'atol', 1e-8);
  // Integer operands compare in float32, so a large tolerance never meets int32 arithmetic.
  const toFloat = (t: Tensor): Tensor => (isFloat(t.dtype) ? t : castAs('allclose', t, 'float32'));
  const x = toFloat(asTensor(a, 'allclose'));
  const y = toFloat(asTensor(b, 'allclose'));
  broadcastShapes('allclose', x.shape, y.shape);
  return withGradMode(false, () => {
    const err = abs(sub(x, y));
    const within = minimum(isfinite(err), le(err, mul(abs(y), rtol).add(atol)));
    return Boolean(all(maximum(eq(x, y), within)).item());
  });
}

/** Whether a and b have the same shape and equal values (NaN equals nothing). Returns a JS boolean. */
export function equal(a: Operand, b: Operand): boolean {
  const x = asTensor(a, 'equal');
  const y = asTensor(b, 'equal');
  if (!sameShape(x.shape, y.shape)) return false;
  return Boolean(all(eq(x, y)).item());
}

/** The ops of this file that are also `Tensor` methods. */
const METHODS = { isnan, isinf, isfinite, logicalAnd, logicalOr, logicalXor, logicalNot, any, all, allclose, equal };
defineMethods(METHODS);

declare module '../tensor.js' {
  interface Tensor extends AsMethods<typeof METHODS> {}
}
