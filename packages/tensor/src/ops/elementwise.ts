import { runKernel } from '../dispatch.js';
import { checkDType, isFloat, toStored, type DType } from '../dtype.js';
import type { BinaryPrimitive, ComparePrimitive, UnaryPrimitive } from '../primitives.js';
import { broadcastShapes, describe, sameShape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { checkNumber, checkOptions } from '../validate.js';
import { expand } from './movement.js';
import { asTensor, checkOperand, checkScalarFor, resultDType, scalarTensor, type Operand } from './operand.js';

const NONE = {} as Record<string, never>;

/**
 * Converts to `dtype` (a recorded op; the identity when already of that dtype). Floats truncate
 * toward zero into int32, and a NaN, an infinity or a value outside int32 is a RangeError (the
 * conversion would have no meaningful result); non-zero is true.
 */
export function cast(x: Tensor, dtype: DType): Tensor {
  return castAs('cast', x, dtype);
}

/** `cast` reporting errors under the name the user called (`to`, `copy_`...). */
export function castAs(op: string, x: Tensor, dtype: DType): Tensor {
  const t = asTensor(x, op);
  if (t.dtype === dtype) return t;
  checkDType(dtype, op);
  if (dtype === 'int32' && isFloat(t.dtype)) {
    const v = t.data();
    for (let i = 0; i < v.length; i++) toStored(v[i]!, 'int32', `${op}: element ${i}`);
  }
  return runKernel('cast', [t], { dtype }, t.shape, dtype);
}

function operandAs(x: Operand, dtype: DType, op: string): Tensor {
  return x instanceof Tensor ? castAs(op, x, dtype) : scalarTensor(x, dtype, op);
}

function broadcastTo(x: Tensor, shape: readonly number[]): Tensor {
  return sameShape(x.shape, shape) ? x : expand(x, shape);
}

/** Brings two operands to one dtype and one shape (broadcasting by explicit, recorded `expand`). */
function align(op: string, a: Operand, b: Operand, dtype: DType): [Tensor, Tensor, readonly number[]] {
  const x = operandAs(checkOperand(a, op), dtype, op);
  const y = operandAs(checkOperand(b, op), dtype, op);
  const shape = broadcastShapes(op, x.shape, y.shape);
  return [broadcastTo(x, shape), broadcastTo(y, shape), shape];
}

function binary(op: BinaryPrimitive, a: Operand, b: Operand): Tensor {
  // The common case first: two float tensors of one dtype and shape need no promotion or broadcast.
  if (a instanceof Tensor && b instanceof Tensor && a.dtype === b.dtype && isFloat(a.dtype) && sameShape(a.shape, b.shape)) {
    return runKernel(op, [a, b], NONE, a.shape, a.dtype);
  }
  let dtype = resultDType(checkOperand(a, op), checkOperand(b, op));
  if (dtype === 'bool' && op !== 'maximum' && op !== 'minimum') dtype = 'int32';
  if (op === 'div' && !isFloat(dtype)) dtype = 'float32';
  if (op === 'pow' && dtype === 'int32' && typeof b === 'number' && b < 0) {
    throw new RangeError(`pow: integers to negative integer powers are not allowed (got exponent ${b}); cast the base to a float dtype first`);
  }
  const [x, y, shape] = align(op, a, b, dtype);
  return runKernel(op, [x, y], NONE, shape, dtype);
}

function compare(op: ComparePrimitive, a: Operand, b: Operand): Tensor {
  const [x, y, shape] = align(op, a, b, resultDType(checkOperand(a, op), checkOperand(b, op)));
  return runKernel(op, [x, y], NONE, shape, 'bool');
}

/** Float-valued unary op: integer inputs compute in float32. */
function unaryFloat(op: UnaryPrimitive, x: Operand): Tensor {
  let t = asTensor(x, op);
  if (!isFloat(t.dtype)) t = cast(t, 'float32');
  return runKernel(op, [t], NONE, t.shape, t.dtype);
}

/** Sign-like unary op that keeps integer dtypes (bool computes as int32). */
function unaryKeep(op: UnaryPrimitive, x: Operand): Tensor {
  let t = asTensor(x, op);
  if (t.dtype === 'bool') t = cast(t, 'int32');
  return runKernel(op, [t], NONE, t.shape, t.dtype);
}

/** a + b, broadcasting. */
export function add(a: Operand, b: Operand): Tensor { return binary('add', a, b); }
/** a - b, broadcasting. */
export function sub(a: Operand, b: Operand): Tensor { return binary('sub', a, b); }
/** a * b, broadcasting. */
export function mul(a: Operand, b: Operand): Tensor { return binary('mul', a, b); }
/** a / b, broadcasting; integer operands divide in float32. */
export function div(a: Operand, b: Operand): Tensor { return binary('div', a, b); }
/** a ** b, broadcasting. */
export function pow(a: Operand, b: Operand): Tensor { return binary('pow', a, b); }
/** Elementwise larger value (NaN propagates); at ties the gradient is split evenly. */
export function maximum(a: Operand, b: Operand): Tensor { return binary('maximum', a, b); }
/** Elementwise smaller value (NaN propagates); at ties the gradient is split evenly. */
export function minimum(a: Operand, b: Operand): Tensor { return binary('minimum', a, b); }

export function eq(a: Operand, b: Operand): Tensor { return compare('eq', a, b); }
export function ne(a: Operand, b: Operand): Tensor { return compare('ne', a, b); }
export function lt(a: Operand, b: Operand): Tensor { return compare('lt', a, b); }
export function le(a: Operand, b: Operand): Tensor { return compare('le', a, b); }
export function gt(a: Operand, b: Operand): Tensor { return compare('gt', a, b); }
export function ge(a: Operand, b: Operand): Tensor { return compare('ge', a, b); }

export function neg(x: Operand): Tensor { return unaryKeep('neg', x); }
export function abs(x: Operand): Tensor { return unaryKeep('abs', x); }
/** -1, 0 or 1 (NaN stays NaN); its gradient is zero. */
export function sign(x: Operand): Tensor { return unaryKeep('sign', x); }
export function relu(x: Operand): Tensor { return unaryKeep('relu', x); }
export function exp(x: Operand): Tensor { return unaryFloat('exp', x); }
export function log(x: Operand): Tensor { return unaryFloat('log', x); }
/** log(1 + x), accurate near 0. */
export function log1p(x: Operand): Tensor { return unaryFloat('log1p', x); }
export function sqrt(x: Operand): Tensor { return unaryFloat('sqrt', x); }
export function sin(x: Operand): Tensor { return unaryFloat('sin', x); }
export function cos(x: Operand): Tensor { return unaryFloat('cos', x); }
export function tanh(x: Operand): Tensor { return unaryFloat('tanh', x); }
/** 1 / (1 + exp(-x)), computed without overflow on either side. */
export function sigmoid(x: Operand): Tensor { return unaryFloat('sigmoid', x); }
/** The Gauss error function. */
export function erf(x: Operand): Tensor { return unaryFloat('erf', x); }

/** 1 / sqrt(x). */
export function rsqrt(x: Operand): Tensor { return div(1, sqrt(asTensor(x, 'rsqrt'))); }
/** x * x. */
export function square(x: Operand): Tensor { const t = asTensor(x, 'square'); return mul(t, t); }

/** where(cond, a, b): a where cond is true, else b; all three broadcast. */
export function where(cond: Operand, a: Operand, b: Operand): Tensor {
  let c = asTensor(cond, 'where');
  if (c.dtype !== 'bool') c = ne(c, 0);
  const dtype = resultDType(checkOperand(a, 'where'), checkOperand(b, 'where'));
  const x = operandAs(a, dtype, 'where');
  const y = operandAs(b, dtype, 'where');
  const shape = broadcastShapes('where', broadcastShapes('where', c.shape, x.shape), y.shape);
  return runKernel('where', [broadcastTo(c, shape), broadcastTo(x, shape), broadcastTo(y, shape)], NONE, shape, dtype);
}

/** x for x > 0, alpha * x otherwise (PyTorch's default alpha = 0.01). */
export function leakyRelu(x: Operand, alpha = 0.01): Tensor {
  const t = asTensor(x, 'leakyRelu');
  checkScalarFor(t, checkNumber(alpha, 'leakyRelu', 'alpha'), 'leakyRelu');
  return where(gt(t, 0), t, mul(t, alpha));
}

export interface SoftplusOptions { beta?: number; threshold?: number }
/**
 * log(1 + exp(beta x)) / beta, as max(z, 0) + log1p(exp(-|z|)) with z = beta x: never overflows,
 * and the even split of `maximum` at z = 0 gives the exact derivative 1/2 there.
 * Above `threshold` (z > 20 by default) it is x itself, as in PyTorch.
 */
export function softplus(x: Operand, opts: SoftplusOptions = {}): Tensor {
  const t = asTensor(x, 'softplus');
  const o = checkOptions<SoftplusOptions>(opts, 'softplus', ['beta', 'threshold']);
  const beta = checkNumber(o.beta ?? 1, 'softplus', 'beta', true);
  const threshold = checkNumber(o.threshold ?? 20, 'softplus', 'threshold');
  if (beta === 0) throw new RangeError('softplus: expected a non-zero beta');
  checkScalarFor(t, beta, 'softplus');
  const z = beta === 1 ? t : mul(t, beta);
  let y = add(maximum(z, 0), log1p(exp(neg(abs(z)))));
  if (beta !== 1) y = div(y, beta);
  return where(gt(z, threshold), t, y);
}

/**
 * x for x > 0, alpha (exp(x) - 1) otherwise. The negative branch sees min(x, 0) only, so a large
 * positive x never overflows exp (and never turns a zero gradient into NaN).
 */
export function elu(x: Operand, alpha = 1): Tensor {
  const t = asTensor(x, 'elu');
  checkNumber(alpha, 'elu', 'alpha');
  const pos = gt(t, 0);
  const negPart = mul(sub(exp(where(pos, 0, t)), 1), alpha);
  return where(pos, t, negPart);
}

export interface GeluOptions { approximate?: 'none' | 'tanh' }
/** x Phi(x) with the exact erf form; `{ approximate: 'tanh' }` for the tanh approximation. */
export function gelu(x: Operand, opts: GeluOptions = {}): Tensor {
  const t = asTensor(x, 'gelu');
  opts = checkOptions<GeluOptions>(opts, 'gelu', ['approximate']);
  if (opts.approximate === 'tanh') {
    const inner = mul(add(t, mul(mul(mul(t, t), t), 0.044715)), Math.sqrt(2 / Math.PI));
    return mul(mul(t, 0.5), add(tanh(inner), 1));
  }
  if (opts.approximate !== undefined && opts.approximate !== 'none') {
    throw new TypeError(`gelu: expected approximate 'none' or 'tanh', got ${describe(opts.approximate)}`);
  }
  return mul(mul(t, 0.5), add(erf(mul(t, Math.SQRT1_2)), 1));
}

/**
 * Limits values to [min, max] (either may be omitted or null; max wins when min > max); the gradient
 * is 1 inside, bounds included. A NaN bound gives NaN where it applies, as a NaN tensor bound does in PyTorch.
 */
export function clamp(x: Operand, min?: Operand | null, max?: Operand | null): Tensor {
  let t = asTensor(x, 'clamp');
  const lo = min === undefined || min === null ? null : checkOperand(min, 'clamp');
  const hi = max === undefined || max === null ? null : checkOperand(max, 'clamp');
  // Every shape and dtype question is settled here, under clamp's name, before the ops below run.
  let shape = t.shape;
  for (const b of [lo, hi]) if (b instanceof Tensor) shape = broadcastShapes('clamp', shape, b.shape);
  for (const b of [lo, hi]) if (typeof b === 'number') toStored(b, resultDType(t, b), 'clamp');
  if (lo !== null) t = where(outside(lt(t, lo), lo), lo, t);
  if (hi !== null) t = where(outside(gt(t, hi), hi), hi, t);
  return t;
}

/** Where a clamp bound replaces the value: past the bound, or the bound is NaN. */
function outside(past: Tensor, bound: Operand): Operand {
  if (typeof bound === 'number') return bound !== bound ? true : past;
  if (typeof bound === 'boolean' || bound.dtype === 'bool' || bound.dtype === 'int32') return past;
  return maximum(past, ne(bound, bound));
}
