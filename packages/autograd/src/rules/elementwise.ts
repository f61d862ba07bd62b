import {
  add, cast, cos, div, eq, exp, gt, log, lt, mul, neg, pow, sign, sin, sub, where, zerosLike, type Tensor,
} from '@tapegrad/tensor';
import { addTangents, elementwiseBatch } from './batching.js';
import { noGradient, noTangent, type RuleTable } from './rule.js';

type Elementwise =
  | 'neg' | 'abs' | 'sign' | 'exp' | 'log' | 'log1p' | 'sqrt' | 'sin' | 'cos' | 'tanh' | 'sigmoid' | 'relu' | 'erf'
  | 'cast' | 'copy' | 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum'
  | 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge' | 'where';

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
  /** d tanh(x) = (1 - tanh(x)^2) dx */
  tanh: { vjp: (g, _, out) => [mul(g, sub(1, mul(out, out)))], jvp: ([t], _, out) => mul(t!, sub(1, mul(out, out))), batch },
  /** d sigmoid(x) = s (1 - s) dx */
  sigmoid: { vjp: (g, _, out) => [mul(g, mul(out, sub(1, out)))], jvp: ([t], _, out) => mul(t!, mul(out, sub(1, out))), batch },
  /** d relu(x) = [x > 0] dx */
  relu: { vjp: (g, [x]) => [masked(gt(x!, 0), g)], jvp: ([t], [x]) => masked(gt(x!, 0), t!), batch },
  /** d erf(x) = 2/sqrt(pi) exp(-x^2) dx */
  erf: { vjp: (g, [x]) => [mul(g, erfSlope(x!))], jvp: ([t], [x]) => mul(t!, erfSlope(x!)), batch },
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

