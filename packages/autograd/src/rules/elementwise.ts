import {
  add, cast, cos, cosh, div, eq, exp, floor, gt, hypot, log, lt, mul, neg, pow, sign, sin, sinh, sqrt, sub, trunc, where,
  type Tensor,
} from '@tapegrad/tensor';
import { noGradient, type RuleTable } from './rule.js';

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

/** (1 - x)(1 + x): 1 - x^2 without cancellation near |x| = 1. */
const oneMinusSquare = (x: Tensor): Tensor => mul(sub(1, x), add(1, x));

/** d/db of a - b q(a / b), for fmod (q = trunc) and remainder (q = floor): da = g, db = -g q(a / b). */
function modRule(q: (x: Tensor) => Tensor) {
  return (g: Tensor, [a, b]: readonly Tensor[], _: Tensor, __: unknown, needs: readonly boolean[]): (Tensor | null)[] =>
    [needs[0] ? g : null, needs[1] ? neg(mul(g, q(div(a!, b!)))) : null];
}

export const elementwiseRules: RuleTable<Elementwise> = {
  /** d(-x) = -dx */
  neg: { vjp: (g) => [neg(g)] },
  /** d|x| = sign(x) dx (0 at 0) */
  abs: { vjp: (g, [x]) => [mul(g, sign(x!))] },
  /** sign is piecewise constant */
  sign: { vjp: noGradient },
  /** d exp(x) = exp(x) dx: reuses the output */
  exp: { vjp: (g, _, out) => [mul(g, out)] },
  /** d log(x) = dx / x */
  log: { vjp: (g, [x]) => [div(g, x!)] },
  /** d log1p(x) = dx / (1 + x) */
  log1p: { vjp: (g, [x]) => [div(g, add(x!, 1))] },
  /** d sqrt(x) = dx / (2 sqrt(x)) */
  sqrt: { vjp: (g, _, out) => [div(g, mul(out, 2))] },
  /** d sin(x) = cos(x) dx */
  sin: { vjp: (g, [x]) => [mul(g, cos(x!))] },
  /** d cos(x) = -sin(x) dx */
  cos: { vjp: (g, [x]) => [neg(mul(g, sin(x!)))] },
  /** d tanh(x) = (1 - tanh(x)^2) dx */
  tanh: { vjp: (g, _, out) => [mul(g, sub(1, mul(out, out)))] },
  /** d sigmoid(x) = s (1 - s) dx */
  sigmoid: { vjp: (g, _, out) => [mul(g, mul(out, sub(1, out)))] },
  /** d relu(x) = [x > 0] dx */
  relu: { vjp: (g, [x]) => [masked(gt(x!, 0), g)] },
  /** d erf(x) = 2/sqrt(pi) exp(-x^2) dx */
  erf: { vjp: (g, [x]) => [mul(g, mul(exp(neg(mul(x!, x!))), 2 / Math.sqrt(Math.PI)))] },
  floor: { vjp: noGradient }, ceil: { vjp: noGradient }, round: { vjp: noGradient }, trunc: { vjp: noGradient },
  /** d asin(x) = dx / sqrt(1 - x^2) */
  asin: { vjp: (g, [x]) => [div(g, sqrt(oneMinusSquare(x!)))] },
  /** d acos(x) = -dx / sqrt(1 - x^2) */
  acos: { vjp: (g, [x]) => [neg(div(g, sqrt(oneMinusSquare(x!))))] },
  /** d atan(x) = dx / (1 + x^2) */
  atan: { vjp: (g, [x]) => [div(g, add(mul(x!, x!), 1))] },
  /** d sinh(x) = cosh(x) dx */
  sinh: { vjp: (g, [x]) => [mul(g, cosh(x!))] },
  /** d cosh(x) = sinh(x) dx */
  cosh: { vjp: (g, [x]) => [mul(g, sinh(x!))] },
  /** d asinh(x) = dx / sqrt(x^2 + 1), as hypot(x, 1) so it never overflows */
  asinh: { vjp: (g, [x]) => [div(g, hypot(x!, 1))] },
  /** d acosh(x) = dx / sqrt((x - 1)(x + 1)) */
  acosh: { vjp: (g, [x]) => [div(g, sqrt(mul(sub(x!, 1), add(x!, 1))))] },
  /** d atanh(x) = dx / (1 - x^2) */
  atanh: { vjp: (g, [x]) => [div(g, oneMinusSquare(x!))] },
  /** d erfc(x) = -2/sqrt(pi) exp(-x^2) dx */
  erfc: { vjp: (g, [x]) => [mul(g, mul(exp(neg(mul(x!, x!))), -2 / Math.sqrt(Math.PI)))] },
  /** d expm1(x) = exp(x) dx = (out + 1) dx */
  expm1: { vjp: (g, _, out) => [mul(g, add(out, 1))] },
  /** d log2(x) = dx / (x ln 2) */
  log2: { vjp: (g, [x]) => [div(g, mul(x!, Math.LN2))] },
  /** d log10(x) = dx / (x ln 10) */
  log10: { vjp: (g, [x]) => [div(g, mul(x!, Math.LN10))] },
  /** d atan2(a, b) = (b da - a db) / (a^2 + b^2) */
  atan2: { vjp: (g, [a, b], _, __, needs) => {
    const s = div(g, add(mul(a!, a!), mul(b!, b!)));
    return [needs[0] ? mul(s, b!) : null, needs[1] ? neg(mul(s, a!)) : null];
  } },
  /** d fmod(a, b) = da - trunc(a / b) db */
  fmod: { vjp: modRule(trunc) },
  /** d remainder(a, b) = da - floor(a / b) db */
  remainder: { vjp: modRule(floor) },
  /** d hypot(a, b) = (a da + b db) / hypot(a, b) */
  hypot: { vjp: (g, [a, b], out, _, needs) => [needs[0] ? mul(g, div(a!, out)) : null, needs[1] ? mul(g, div(b!, out)) : null] },
  /** a cast's cotangent is cast back */
  cast: { vjp: (g, [x]) => [cast(g, x!.dtype)] },
  /** a copy passes the cotangent through */
  copy: { vjp: (g) => [g] },
  /** d(a + b) = da + db */
  add: { vjp: (g) => [g, g] },
  /** d(a - b) = da - db */
  sub: { vjp: (g, _, __, ___, needs) => [g, needs[1] ? neg(g) : null] },
  /** d(ab) = b da + a db */
  mul: { vjp: (g, [a, b], _, __, needs) => [needs[0] ? mul(g, b!) : null, needs[1] ? mul(g, a!) : null] },
  /** d(a/b) = da / b - (a/b) db / b */
  div: { vjp: (g, [, b], out, _, needs) => [needs[0] ? div(g, b!) : null, needs[1] ? neg(div(mul(g, out), b!)) : null] },
  /** d(a^b) = b a^(b-1) da + a^b log(a) db (each term 0 where b = 0, resp. a = 0, as PyTorch) */
  pow: { vjp: (g, [a, b], out, _, needs) => [
    needs[0] ? mul(g, where(eq(b!, 0), 0, mul(b!, pow(a!, sub(b!, 1))))) : null,
    needs[1] ? mul(g, where(eq(a!, 0), 0, mul(out, log(a!)))) : null,
  ] },
  /** d max(a, b) goes to the larger operand, split evenly at ties */
  maximum: { vjp: (g, [a, b], _, __, needs) => winnerSplit(g, a!, b!, gt(a!, b!), needs) },
  /** d min(a, b) goes to the smaller operand, split evenly at ties */
  minimum: { vjp: (g, [a, b], _, __, needs) => winnerSplit(g, a!, b!, lt(a!, b!), needs) },
  eq: { vjp: noGradient }, ne: { vjp: noGradient }, lt: { vjp: noGradient }, le: { vjp: noGradient }, gt: { vjp: noGradient }, ge: { vjp: noGradient },
  /** d where(c, a, b) = where(c, da, db) */
  where: { vjp: (g, [c], _, __, needs) => [null, needs[1] ? masked(c!, g) : null, needs[2] ? where(c!, 0, g) : null] },
};
