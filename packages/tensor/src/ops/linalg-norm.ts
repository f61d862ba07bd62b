/** Norms: linalg.vectorNorm and linalg.matrixNorm, composites of reductions (and of svdvals for the spectral ones). */
import { ShapeError } from '../errors.js';
import { describe, fmtShape, normAxes, normAxis } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { abs, cast, eq, ne, pow, sqrt, where, mul } from './elementwise.js';
import { permute, unsqueeze } from './movement.js';
import { max, min, sum } from './reduce.js';
import { floatInput } from './linalg-common.js';
import { checkFlag } from '../validate.js';
import { svdvals } from './linalg-factor.js';

type Axis = number | readonly number[];

/** s^e, with value 0 and gradient 0 where s = 0 (where s^e itself would give an infinite or NaN gradient). */
function rootSafe(s: Tensor, e: number): Tensor {
  const zero = eq(s, 0);
  const safe = where(zero, 1, s);
  return where(zero, 0, e === 0.5 ? sqrt(safe) : pow(safe, e));
}

/**
 * Vector norm of x over `axis` (every element when omitted), PyTorch's `linalg.vector_norm`:
 * `ord` 2 (default) is sqrt(sum x^2), Infinity is max |x|, -Infinity min |x|, 0 counts the nonzero
 * entries, and any other p is (sum |x|^p)^(1/p). With `keepdims` the reduced axes stay as size 1.
 * The gradient at x = 0 is 0 (a subgradient) rather than NaN.
 */
export function vectorNorm(x: Tensor, ord = 2, axis?: Axis, keepdims = false): Tensor {
  const op = 'linalg.vectorNorm';
  const t = floatInput(x, op, 'x', 0);
  if (typeof ord !== 'number' || Number.isNaN(ord)) throw new TypeError(`${op}: expected ord to be a number (or Infinity), got ${describe(ord)}`);
  const axes = normAxes(axis as number | number[] | undefined, t.ndim, op);
  checkFlag(keepdims, op, 'keepdims', false);
  if (Math.abs(ord) === Infinity && axes.some((a) => t.shape[a] === 0)) {
    throw new ShapeError(`${op}: the ${ord}-norm over an empty axis is not defined (shape ${fmtShape(t.shape)}, axes [${axes.join(',')}])`);
  }
  if (ord === 2) return rootSafe(sum(mul(t, t), axis, keepdims), 0.5);
  if (ord === 1) return sum(abs(t), axis, keepdims);
  if (ord === Infinity) return max(abs(t), axis, keepdims);
  if (ord === -Infinity) return min(abs(t), axis, keepdims);
  if (ord === 0) return cast(sum(ne(t, 0), axis, keepdims), t.dtype);
  const a = abs(t);
  // For 0 < p < 1, |x|^p has an infinite slope at 0: take 0 there (PyTorch does the same).
  const powered = ord > 0 ? rootSafe(a, ord) : pow(a, ord);
  const s = sum(powered, axis, keepdims);
  return ord > 0 ? rootSafe(s, 1 / ord) : pow(s, 1 / ord);
}

/** The orders {@link matrixNorm} accepts. */
export type MatrixNormOrd = 'fro' | 'nuc' | 1 | -1 | 2 | -2 | number;

/**
 * Matrix norm over the two axes `axis` (default the last two), PyTorch's `linalg.matrix_norm`:
 * `'fro'` (default) sqrt(sum of squares), `'nuc'` the sum of singular values, 2 / -2 the largest /
 * smallest singular value, 1 / -1 the largest / smallest column sum of |A|, Infinity / -Infinity
 * the largest / smallest row sum. With `keepdims` the two axes stay as size 1. The spectral norms
 * ('nuc', 2, -2) have the gradient U diag(g) Vh, defined also for repeated singular values.
 */
export function matrixNorm(A: Tensor, ord: MatrixNormOrd = 'fro', axis: readonly [number, number] = [-2, -1], keepdims = false): Tensor {
  const op = 'linalg.matrixNorm';
  const t = floatInput(A, op, 'A');
  checkFlag(keepdims, op, 'keepdims', false);
  if (!Array.isArray(axis) || axis.length !== 2) throw new TypeError(`${op}: expected axis to be a pair of axes, got ${describe(axis)}`);
  const a0 = normAxis(axis[0], t.ndim, op);
  const a1 = normAxis(axis[1], t.ndim, op);
  if (a0 === a1) throw new RangeError(`${op}: expected two different axes, got [${axis.join(', ')}] for shape ${fmtShape(t.shape)}`);
  const rest = t.shape.map((_, i) => i).filter((i) => i !== a0 && i !== a1);
  const m = permute(t, [...rest, a0, a1]);
  if (ord !== 'fro' && ord !== 'nuc' && t.shape[a0]! * t.shape[a1]! === 0) {
    throw new ShapeError(`${op}: the ${describe(ord)}-norm of an empty matrix is not defined (shape ${fmtShape(t.shape)})`);
  }
  let r: Tensor;
  switch (ord) {
    case 'fro': r = vectorNorm(m, 2, [-2, -1]); break;
    case 'nuc': r = sum(svdvals(m, op), -1); break;
    case 2: r = max(svdvals(m, op), -1); break;
    case -2: r = min(svdvals(m, op), -1); break;
    case 1: r = max(sum(abs(m), -2), -1); break;
    case -1: r = min(sum(abs(m), -2), -1); break;
    case Infinity: r = max(sum(abs(m), -1), -1); break;
    case -Infinity: r = min(sum(abs(m), -1), -1); break;
    default: throw new RangeError(`${op}: unsupported ord ${describe(ord)} (expected 'fro', 'nuc', 1, -1, 2, -2, Infinity or -Infinity)`);
  }
  if (!keepdims) return r;
  for (const d of [a0, a1].sort((x, y) => x - y)) r = unsqueeze(r, d);
  return r;
}
