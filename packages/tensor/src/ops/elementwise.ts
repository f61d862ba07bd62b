import { runKernel } from '../dispatch.js';
import { checkDType, isFloat, toStored, type DType } from '../dtype.js';
import type { BinaryPrimitive, ComparePrimitive, UnaryPrimitive } from '../primitives.js';
import { broadcastShapes, describe, sameShape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { checkNumber, checkOptions } from '../validate.js';
import { expand } from './movement.js';
import { asTensor, checkOperand, checkScalarFor, resultDType, scalarTensor, type Operand } from './operand.js';
import { defineMethods, type AsMethods } from '../methods.js';
import { castAs } from '../internal-ops.js';

const NONE = {} as Record<string, never>;

/**
 * Converts to `dtype` (a recorded op; the identity when already of that dtype). Floats truncate
 * toward zero into int32, and a NaN, an infinity or a value outside int32 is a RangeError (the
 * conversion would have no meaningful result); non-zero is true.
 */
export function cast(x: Tensor, dtype: DType): Tensor {
  return castAs('cast', x, dtype);
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

/** Binary ops whose result is a float even for integer operands. */
const FLOAT_BINARY: ReadonlySet<BinaryPrimitive> = new Set(['div', 'atan2', 'hypot']);

function binary(op: BinaryPrimitive, a: Operand, b: Operand): Tensor {
  // The common cases first: two float tensors of one dtype and shape need no promotion or
  // broadcast, and a float tensor with a plain scalar computes in the tensor's dtype and shape.
  if (a instanceof Tensor) {
    if (b instanceof Tensor) {
      if (a.dtype === b.dtype && isFloat(a.dtype) && sameShape(a.shape, b.shape)) return runKernel(op, [a, b], NONE, a.shape, a.dtype);
    } else if (isFloat(a.dtype) && (typeof b === 'number' || typeof b === 'boolean')) {
      return runKernel(op, [a, scalarTensor(b, a.dtype, op, a.shape)], NONE, a.shape, a.dtype);
    }
  } else if (b instanceof Tensor && isFloat(b.dtype) && (typeof a === 'number' || typeof a === 'boolean')) {
    return runKernel(op, [scalarTensor(a, b.dtype, op, b.shape), b], NONE, b.shape, b.dtype);
  }
  let dtype = resultDType(checkOperand(a, op), checkOperand(b, op));
  if (dtype === 'bool' && op !== 'maximum' && op !== 'minimum') dtype = 'int32';
  if (FLOAT_BINARY.has(op) && !isFloat(dtype)) dtype = 'float32';
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

/**
 * Elementwise a == b, broadcasting (operands promote to one dtype first); bool out, not differentiable. NaN
 * equals nothing.
 */
export function eq(a: Operand, b: Operand): Tensor { return compare('eq', a, b); }
/** Elementwise a != b, broadcasting; bool out (true wherever a NaN is involved). */
export function ne(a: Operand, b: Operand): Tensor { return compare('ne', a, b); }
/** Elementwise a < b, broadcasting; bool out. Use it as a mask: `where(lt(x, 0), 0, x)`. */
export function lt(a: Operand, b: Operand): Tensor { return compare('lt', a, b); }
/** Elementwise a <= b, broadcasting; bool out. */
export function le(a: Operand, b: Operand): Tensor { return compare('le', a, b); }
/** Elementwise a > b, broadcasting; bool out. */
export function gt(a: Operand, b: Operand): Tensor { return compare('gt', a, b); }
/** Elementwise a >= b, broadcasting; bool out. */
export function ge(a: Operand, b: Operand): Tensor { return compare('ge', a, b); }

/** -x. Integer dtypes are kept (bool computes as int32). */
export function neg(x: Operand): Tensor { return unaryKeep('neg', x); }
/** |x|. Integer dtypes are kept (bool computes as int32); the gradient at 0 is 0. */
export function abs(x: Operand): Tensor { return unaryKeep('abs', x); }
/** -1, 0 or 1 (NaN stays NaN); its gradient is zero. */
export function sign(x: Operand): Tensor { return unaryKeep('sign', x); }
/** max(x, 0). Integer dtypes are kept; the gradient is 1 where x > 0 and 0 elsewhere (0 at x = 0, as PyTorch). */
export function relu(x: Operand): Tensor { return unaryKeep('relu', x); }
/** e to the power x; integer inputs give float32. */
export function exp(x: Operand): Tensor { return unaryFloat('exp', x); }
/** Natural logarithm: -Infinity at 0, NaN below; integer inputs give float32. */
export function log(x: Operand): Tensor { return unaryFloat('log', x); }
/** log(1 + x), accurate near 0. */
export function log1p(x: Operand): Tensor { return unaryFloat('log1p', x); }
/** Square root: NaN below 0, and an infinite gradient at 0; integer inputs give float32. */
export function sqrt(x: Operand): Tensor { return unaryFloat('sqrt', x); }
/** Sine (radians); integer inputs give float32. */
export function sin(x: Operand): Tensor { return unaryFloat('sin', x); }
/** Cosine (radians); integer inputs give float32. */
export function cos(x: Operand): Tensor { return unaryFloat('cos', x); }
/** Hyperbolic tangent; integer inputs give float32. Its gradient reuses the output: 1 - tanh(x)^2. */
export function tanh(x: Operand): Tensor { return unaryFloat('tanh', x); }
/** 1 / (1 + exp(-x)), computed without overflow on either side. */
export function sigmoid(x: Operand): Tensor { return unaryFloat('sigmoid', x); }
/** The Gauss error function. */
export function erf(x: Operand): Tensor { return unaryFloat('erf', x); }

/** Largest integer <= x (integer dtypes are kept); its gradient is zero. */
export function floor(x: Operand): Tensor { return unaryKeep('floor', x); }
/** Smallest integer >= x (integer dtypes are kept); its gradient is zero. */
export function ceil(x: Operand): Tensor { return unaryKeep('ceil', x); }
/** Nearest integer, halves to the even one as PyTorch (`round(2.5)` is 2); its gradient is zero. */
export function round(x: Operand): Tensor { return unaryKeep('round', x); }
/** x with its fractional part dropped (towards zero); its gradient is zero. */
export function trunc(x: Operand): Tensor { return unaryKeep('trunc', x); }
/** Inverse sine, in [-pi/2, pi/2]; NaN outside [-1, 1]. */
export function asin(x: Operand): Tensor { return unaryFloat('asin', x); }
/** Inverse cosine, in [0, pi]; NaN outside [-1, 1]. */
export function acos(x: Operand): Tensor { return unaryFloat('acos', x); }
/** Inverse tangent, in (-pi/2, pi/2). */
export function atan(x: Operand): Tensor { return unaryFloat('atan', x); }
/** Hyperbolic sine. */
export function sinh(x: Operand): Tensor { return unaryFloat('sinh', x); }
/** Hyperbolic cosine. */
export function cosh(x: Operand): Tensor { return unaryFloat('cosh', x); }
/** Inverse hyperbolic sine. */
export function asinh(x: Operand): Tensor { return unaryFloat('asinh', x); }
/** Inverse hyperbolic cosine; NaN below 1. */
export function acosh(x: Operand): Tensor { return unaryFloat('acosh', x); }
/** Inverse hyperbolic tangent; +-Infinity at +-1, NaN outside [-1, 1]. */
export function atanh(x: Operand): Tensor { return unaryFloat('atanh', x); }
/** 1 - erf(x), accurate where it is tiny (large x) too. */
export function erfc(x: Operand): Tensor { return unaryFloat('erfc', x); }
/** exp(x) - 1, accurate near 0. */
export function expm1(x: Operand): Tensor { return unaryFloat('expm1', x); }
/** Base-2 logarithm (exact at powers of 2). */
export function log2(x: Operand): Tensor { return unaryFloat('log2', x); }
/** Base-10 logarithm (exact at powers of 10). */
export function log10(x: Operand): Tensor { return unaryFloat('log10', x); }

/** The angle of the point (b, a): atan2(a, b) in [-pi, pi], broadcasting; integer operands give float32. */
export function atan2(a: Operand, b: Operand): Tensor { return binary('atan2', a, b); }
/** Remainder of a / b with the sign of a (C's fmod), broadcasting; an integer division by zero throws. */
export function fmod(a: Operand, b: Operand): Tensor { return binary('fmod', a, b); }
/** Remainder of a / b with the sign of b (Python's %), broadcasting; an integer division by zero throws. */
export function remainder(a: Operand, b: Operand): Tensor { return binary('remainder', a, b); }
/** sqrt(a^2 + b^2) without overflow or underflow, broadcasting; integer operands give float32. */
export function hypot(a: Operand, b: Operand): Tensor { return binary('hypot', a, b); }

/** 1 / sqrt(x). */
export function rsqrt(x: Operand): Tensor { return div(1, sqrt(asTensor(x, 'rsqrt'))); }
/** x * x. */
export function square(x: Operand): Tensor { const t = asTensor(x, 'square'); return mul(t, t); }

/**
 * where(cond, a, b): a where cond is true, else b; all three broadcast.
 *
 * @example
 * where(gt(x, 0), x, 0); // relu(x)
 */
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

/**
 * Options of {@link softplus}: `beta` (default 1) and the `threshold` on beta x above which it returns x
 * (default 20).
 */
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

/** Options of {@link gelu}: `approximate` is 'none' (the exact erf form, default) or 'tanh'. */
export interface GeluOptions { approximate?: 'none' | 'tanh' }
/** x Phi(x) with the exact erf form; `{ approximate: 'tanh' }` for the tanh approximation (one fused kernel). */
export function gelu(x: Operand, opts: GeluOptions = {}): Tensor {
  let t = asTensor(x, 'gelu');
  opts = checkOptions<GeluOptions>(opts, 'gelu', ['approximate']);
  if (opts.approximate !== undefined && opts.approximate !== 'none' && opts.approximate !== 'tanh') {
    throw new TypeError(`gelu: expected approximate 'none' or 'tanh', got ${describe(opts.approximate)}`);
  }
  if (!isFloat(t.dtype)) t = cast(t, 'float32');
  return runKernel('gelu', [t], { tanh: opts.approximate === 'tanh' }, t.shape, t.dtype);
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

/** 1 / x; integer inputs give float32. */
export function reciprocal(x: Operand): Tensor { return div(1, asTensor(x, 'reciprocal')); }

/** x * sigmoid(x) (also called swish). */
export function silu(x: Operand): Tensor {
  const t = asTensor(x, 'silu');
  return mul(t, sigmoid(t));
}

/** x * tanh(softplus(x)); softplus never overflows, so neither does mish. */
export function mish(x: Operand): Tensor {
  const t = asTensor(x, 'mish');
  return mul(t, tanh(softplus(t)));
}

/**
 * log(exp(a) + exp(b)), broadcasting, as max(a, b) + log1p(exp(-|a - b|)): exact at |a|, |b| = 1000.
 * Where a - b is not finite (an infinite operand, or NaN) the result is max(a, b), so
 * logaddexp(-Infinity, -Infinity) is -Infinity, with gradient 1/2 to each (the limit along a = b),
 * and no NaN reaches a gradient from the branch not taken.
 */
export function logaddexp(a: Operand, b: Operand): Tensor {
  const x = asTensor(a, 'logaddexp');
  const y = asTensor(b, 'logaddexp');
  broadcastShapes('logaddexp', x.shape, y.shape);
  const d = sub(isFloat(x.dtype) ? x : cast(x, 'float32'), y);
  const dd = d.detach();
  const finite = eq(sub(dd, dd), 0);
  const m = maximum(x, y);
  return where(finite, add(m, log1p(exp(neg(abs(where(finite, d, 0)))))), m);
}

/**
 * start + weight (end - start), broadcasting; `weight` is a number or a tensor. As PyTorch, a weight of
 * 0.5 or more computes end - (1 - weight)(end - start), so weight 1 gives `end` exactly.
 */
export function lerp(start: Operand, end: Operand, weight: Operand): Tensor {
  const a = asTensor(start, 'lerp');
  const b = asTensor(end, 'lerp');
  const w = asTensor(weight, 'lerp');
  broadcastShapes('lerp', broadcastShapes('lerp', a.shape, b.shape), w.shape);
  const diff = sub(b, a);
  if (typeof weight === 'number') return weight < 0.5 ? add(a, mul(diff, weight)) : sub(b, mul(diff, 1 - weight));
  return where(lt(w, 0.5), add(a, mul(w, diff)), sub(b, mul(diff, sub(1, w))));
}

/** Replacement values for {@link nanToNum}. */
export interface NanToNumOptions {
  /** What NaN becomes (default 0). */
  nan?: number;
  /** What +Infinity becomes (default: the largest finite value of the dtype). */
  posinf?: number;
  /** What -Infinity becomes (default: the most negative finite value of the dtype). */
  neginf?: number;
}

const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * NaN, +Infinity and -Infinity replaced by finite numbers (see {@link NanToNumOptions}); integer and
 * bool tensors are returned as they are. The gradient passes where x is finite and is 0 elsewhere.
 */
export function nanToNum(x: Operand, options: NanToNumOptions = {}): Tensor {
  const t = asTensor(x, 'nanToNum');
  const opts = checkOptions<NanToNumOptions>(options, 'nanToNum', ['nan', 'posinf', 'neginf']);
  const big = t.dtype === 'float32' ? FLOAT32_MAX : Number.MAX_VALUE;
  const value = (v: unknown, name: string, dflt: number): number => {
    if (v === undefined) return dflt;
    if (typeof v !== 'number') throw new TypeError(`nanToNum: expected a number for ${name}, got ${describe(v)}`);
    return v;
  };
  const nan = value(opts.nan, 'nan', 0);
  const posinf = value(opts.posinf, 'posinf', big);
  const neginf = value(opts.neginf, 'neginf', -big);
  if (!isFloat(t.dtype)) return t;
  const td = t.detach();
  return where(ne(td, td), nan, where(eq(td, Infinity), posinf, where(eq(td, -Infinity), neginf, t)));
}

/** The ops of this file that are also `Tensor` methods (`t.add(b)` is `add(t, b)`). */
const METHODS = {
  add, sub, mul, div, pow, maximum, minimum, neg, abs, sign, exp, log, log1p, sqrt, rsqrt, square, sin, cos, tanh,
  sigmoid, relu, leakyRelu, softplus, elu, gelu, erf, clamp, eq, ne, lt, le, gt, ge, where, cast,
  floor, ceil, round, trunc, asin, acos, atan, sinh, cosh, asinh, acosh, atanh, erfc, expm1, log2, log10, atan2, fmod,
  remainder, hypot, reciprocal, silu, mish, logaddexp, lerp, nanToNum,
};
defineMethods(METHODS);

declare module '../tensor.js' {
  interface Tensor extends AsMethods<typeof METHODS> {}
}
