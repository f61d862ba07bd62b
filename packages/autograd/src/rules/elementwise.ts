import {
  add, cast, cos, div, eq, exp, gt, log, lt, mul, neg, pow, sign, sin, sub, where, type Tensor,
} from '@tapegrad/tensor';
import { noGradient, type RuleTable } from './rule.js';

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
