import {
  add, cast, cos, cosh, div, eq, exp, floor, gt, hypot, log, lt, mul, neg, pow, sign, sin, sinh, sqrt, sub, trunc, where, zerosLike,
  type Tensor,
} from '@tapegrad/tensor';
import type { UnaryPrimitive } from '@tapegrad/tensor/internal';
import { addTangents, elementwiseBatch } from './batching.js';
import { fused } from './fused.js';
import { noGradient, noTangent, type PrimitiveRules, type RuleTable } from './rule.js';

type Elementwise =
  | 'neg' | 'abs' | 'sign' | 'exp' | 'log' | 'log1p' | 'sqrt' | 'sin' | 'cos' | 'tanh' | 'sigmoid' | 'relu' | 'erf'
  | 'cast' | 'copy' | 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum'
  | 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge' | 'where'
  | 'floor' | 'ceil' | 'round' | 'trunc' | 'asin' | 'acos' | 'atan' | 'sinh' | 'cosh' | 'asinh' | 'acosh' | 'atanh'
  | 'erfc' | 'expm1' | 'log2' | 'log10' | 'atan2' | 'fmod' | 'remainder' | 'hypot';

/** g where `mask`, 0 elsewhere. */
const masked = (mask: Tensor, g: Tensor): Tensor => where(mask, g, 0);

/** Splits g between two operands of maximum/minimum: all to `a` where it wins, half each at ties. */
function winnerSplit(g: Tensor, a: Tensor, b: Tensor, aWins: Tensor, needs: readonly boolean[]): (Tensor | null)[] {
  const ga = where(aWins, g, where(eq(a, b), mul(g, 0.5), 0));
  return [needs[0] ? ga : null, needs[1] ? sub(g, ga) : null];
}

/** A tangent scaled by a factor (null stays null). */
const scaled = (t: Tensor | null, k: () => Tensor): Tensor | null => (t === null ? null : mul(t, k()));

/** The tangent of maximum/minimum: that of the winning operand, the mean of both at ties (as the VJP splits). */
function winnerTangent([ta, tb]: readonly (Tensor | null)[], a: Tensor, b: Tensor, aWins: Tensor): Tensor {
  const za = ta ?? zerosLike(a);
  const zb = tb ?? zerosLike(b);
  return where(aWins, za, where(eq(a, b), mul(add(za, zb), 0.5), zb));
}

/** d erf(x) / dx = 2/sqrt(pi) exp(-x^2) */
const erfSlope = (x: Tensor): Tensor => mul(exp(neg(mul(x, x))), 2 / Math.sqrt(Math.PI));
/** d(a^b)/da = b a^(b-1), 0 where b = 0 */
const powBase = (a: Tensor, b: Tensor): Tensor => where(eq(b, 0), 0, mul(b, pow(a, sub(b, 1))));
/** d(a^b)/db = a^b log(a), 0 where a = 0 */
const powExponent = (a: Tensor, out: Tensor): Tensor => where(eq(a, 0), 0, mul(out, log(a)));

const batch = elementwiseBatch;

/** (1 - x)(1 + x): 1 - x^2 without cancellation near |x| = 1. */
const oneMinusSquare = (x: Tensor): Tensor => mul(sub(1, x), add(1, x));

/** a - b q(a / b), for fmod (q = trunc) and remainder (q = floor): d = da - q(a / b) db. */
function modRules(q: (x: Tensor) => Tensor): PrimitiveRules<'fmod' | 'remainder'> {
  return {
    vjp: (g, [a, b], _, __, needs) => [needs[0] ? g : null, needs[1] ? neg(mul(g, q(div(a!, b!)))) : null],
    jvp: ([ta, tb], [a, b]) => (tb ? (ta ? sub(ta, mul(tb, q(div(a!, b!)))) : neg(mul(tb, q(div(a!, b!))))) : ta!),
    batch,
  };
}

/** A unary primitive whose derivative is `slope(x, out)`: d f(x) = slope dx. */
function times(slope: (x: Tensor, out: Tensor) => Tensor): PrimitiveRules<UnaryPrimitive> {
  return { vjp: (g, [x], out) => [mul(g, slope(x!, out))], jvp: ([t], [x], out) => mul(t!, slope(x!, out)), batch };
}

/** A unary primitive whose derivative is 1 / `denominator(x)`: d f(x) = dx / denominator. */
function over(denominator: (x: Tensor) => Tensor): PrimitiveRules<UnaryPrimitive> {
  return { vjp: (g, [x]) => [div(g, denominator(x!))], jvp: ([t], [x]) => div(t!, denominator(x!)), batch };
}

export const elementwiseRules: RuleTable<Elementwise> = {
  /** d(-x) = -dx */
  neg: { vjp: (g) => [neg(g)], jvp: ([t]) => neg(t!), batch },
  /** d|x| = sign(x) dx (0 at 0) */
  abs: { vjp: (g, [x]) => [mul(g, sign(x!))], jvp: ([t], [x]) => mul(t!, sign(x!)), batch },
  /** sign is piecewise constant */
  sign: { vjp: noGradient, jvp: noTangent, batch },
  /** d exp(x) = exp(x) dx: reuses the output */
  exp: { vjp: (g, _, out) => [mul(g, out)], jvp: ([t], _, out) => mul(t!, out), batch },
  /** d log(x) = dx / x */
  log: { vjp: (g, [x]) => [div(g, x!)], jvp: ([t], [x]) => div(t!, x!), batch },
  /** d log1p(x) = dx / (1 + x) */
  log1p: { vjp: (g, [x]) => [div(g, add(x!, 1))], jvp: ([t], [x]) => div(t!, add(x!, 1)), batch },
  /** d sqrt(x) = dx / (2 sqrt(x)) */
  sqrt: { vjp: (g, _, out) => [div(g, mul(out, 2))], jvp: ([t], _, out) => div(t!, mul(out, 2)), batch },
  /** d sin(x) = cos(x) dx */
  sin: { vjp: (g, [x]) => [mul(g, cos(x!))], jvp: ([t], [x]) => mul(t!, cos(x!)), batch },
  /** d cos(x) = -sin(x) dx */
  cos: { vjp: (g, [x]) => [neg(mul(g, sin(x!)))], jvp: ([t], [x]) => neg(mul(t!, sin(x!))), batch },
  /** d tanh(x) = (1 - tanh(x)^2) dx, one fused kernel from the output */
  tanh: { vjp: (g, _, out) => [fused('tanhBackward', [out, g], {}, g)], jvp: ([t], _, out) => fused('tanhBackward', [out, t!], {}, out), batch },
  /** d sigmoid(x) = s (1 - s) dx, one fused kernel from the output */
  sigmoid: { vjp: (g, _, out) => [fused('sigmoidBackward', [out, g], {}, g)], jvp: ([t], _, out) => fused('sigmoidBackward', [out, t!], {}, out), batch },
  /** d relu(x) = [x > 0] dx */
  relu: { vjp: (g, [x]) => [fused('reluBackward', [x!, g], {}, g)], jvp: ([t], [x]) => fused('reluBackward', [x!, t!], {}, t!), batch },
  /** d erf(x) = 2/sqrt(pi) exp(-x^2) dx */
  erf: times(erfSlope),
  /** rounding is piecewise constant */
  floor: { vjp: noGradient, jvp: noTangent, batch }, ceil: { vjp: noGradient, jvp: noTangent, batch },
  round: { vjp: noGradient, jvp: noTangent, batch }, trunc: { vjp: noGradient, jvp: noTangent, batch },
  /** d asin(x) = dx / sqrt(1 - x^2) */
  asin: over((x) => sqrt(oneMinusSquare(x))),
  /** d acos(x) = -dx / sqrt(1 - x^2) */
  acos: over((x) => neg(sqrt(oneMinusSquare(x)))),
  /** d atan(x) = dx / (1 + x^2) */
  atan: over((x) => add(mul(x, x), 1)),
  /** d sinh(x) = cosh(x) dx */
  sinh: times((x) => cosh(x)),
  /** d cosh(x) = sinh(x) dx */
  cosh: times((x) => sinh(x)),
  /** d asinh(x) = dx / sqrt(x^2 + 1), as hypot(x, 1) so it never overflows */
  asinh: over((x) => hypot(x, 1)),
  /** d acosh(x) = dx / sqrt((x - 1)(x + 1)) */
  acosh: over((x) => sqrt(mul(sub(x, 1), add(x, 1)))),
  /** d atanh(x) = dx / (1 - x^2) */
  atanh: over(oneMinusSquare),
  /** d erfc(x) = -2/sqrt(pi) exp(-x^2) dx */
  erfc: times((x) => neg(erfSlope(x))),
  /** d expm1(x) = exp(x) dx = (out + 1) dx */
  expm1: times((_, out) => add(out, 1)),
  /** d log2(x) = dx / (x ln 2) */
  log2: over((x) => mul(x, Math.LN2)),
  /** d log10(x) = dx / (x ln 10) */
  log10: over((x) => mul(x, Math.LN10)),
  /** d atan2(a, b) = (b da - a db) / (a^2 + b^2) */
  atan2: {
    vjp: (g, [a, b], _, __, needs) => {
      const s = div(g, add(mul(a!, a!), mul(b!, b!)));
      return [needs[0] ? mul(s, b!) : null, needs[1] ? neg(mul(s, a!)) : null];
    },
    jvp: ([ta, tb], [a, b]) => div(addTangents(scaled(ta, () => b!), scaled(tb, () => neg(a!)))!, add(mul(a!, a!), mul(b!, b!))),
    batch,
  },
  /** d fmod(a, b) = da - trunc(a / b) db */
  fmod: modRules(trunc),
  /** d remainder(a, b) = da - floor(a / b) db */
  remainder: modRules(floor),
  /** d hypot(a, b) = (a da + b db) / hypot(a, b) */
  hypot: {
    vjp: (g, [a, b], out, _, needs) => [needs[0] ? mul(g, div(a!, out)) : null, needs[1] ? mul(g, div(b!, out)) : null],
    jvp: ([ta, tb], [a, b], out) => addTangents(scaled(ta, () => div(a!, out)), scaled(tb, () => div(b!, out))),
    batch,
  },
  /** a cast's cotangent is cast back; its tangent is cast along */
  cast: { vjp: (g, [x]) => [cast(g, x!.dtype)], jvp: ([t], _, __, a) => cast(t!, a.dtype), batch },
  /** a copy passes the cotangent (and the tangent) through */
  copy: { vjp: (g) => [g], jvp: ([t]) => t!, batch },
  /** d(a + b) = da + db */
  add: { vjp: (g) => [g, g], jvp: ([ta, tb]) => addTangents(ta, tb), batch },
  /** d(a - b) = da - db */
  sub: { vjp: (g, _, __, ___, needs) => [g, needs[1] ? neg(g) : null], jvp: ([ta, tb]) => (tb ? (ta ? sub(ta, tb) : neg(tb)) : ta!), batch },
  /** d(ab) = b da + a db */
  mul: {
    vjp: (g, [a, b], _, __, needs) => [needs[0] ? mul(g, b!) : null, needs[1] ? mul(g, a!) : null],
    jvp: ([ta, tb], [a, b]) => addTangents(scaled(ta, () => b!), scaled(tb, () => a!)),
    batch,
  },
  /** d(a/b) = da / b - (a/b) db / b */
  div: {
    vjp: (g, [, b], out, _, needs) => [needs[0] ? div(g, b!) : null, needs[1] ? neg(div(mul(g, out), b!)) : null],
    jvp: ([ta, tb], [, b], out) => {
      const fromA = ta ? div(ta, b!) : null;
      return tb ? (fromA ? sub(fromA, div(mul(tb, out), b!)) : neg(div(mul(tb, out), b!))) : fromA;
    },
    batch,
  },
  /** d(a^b) = b a^(b-1) da + a^b log(a) db (each term 0 where b = 0, resp. a = 0, as PyTorch) */
  pow: {
    vjp: (g, [a, b], out, _, needs) => [needs[0] ? mul(g, powBase(a!, b!)) : null, needs[1] ? mul(g, powExponent(a!, out)) : null],
    jvp: ([ta, tb], [a, b], out) => addTangents(scaled(ta, () => powBase(a!, b!)), scaled(tb, () => powExponent(a!, out))),
    batch,
  },
  /** d max(a, b) goes to the larger operand, split evenly at ties */
  maximum: { vjp: (g, [a, b], _, __, needs) => winnerSplit(g, a!, b!, gt(a!, b!), needs), jvp: (ts, [a, b]) => winnerTangent(ts, a!, b!, gt(a!, b!)), batch },
  /** d min(a, b) goes to the smaller operand, split evenly at ties */
  minimum: { vjp: (g, [a, b], _, __, needs) => winnerSplit(g, a!, b!, lt(a!, b!), needs), jvp: (ts, [a, b]) => winnerTangent(ts, a!, b!, lt(a!, b!)), batch },
  eq: { vjp: noGradient, jvp: noTangent, batch },
  ne: { vjp: noGradient, jvp: noTangent, batch },
  lt: { vjp: noGradient, jvp: noTangent, batch },
  le: { vjp: noGradient, jvp: noTangent, batch },
  gt: { vjp: noGradient, jvp: noTangent, batch },
  ge: { vjp: noGradient, jvp: noTangent, batch },
  /** d where(c, a, b) = where(c, da, db) */
  where: {
    vjp: (g, [c], _, __, needs) => [null, needs[1] ? masked(c!, g) : null, needs[2] ? where(c!, 0, g) : null],
    jvp: ([, ta, tb], [c]) => where(c!, ta ?? 0, tb ?? 0),
    batch,
  },
};

