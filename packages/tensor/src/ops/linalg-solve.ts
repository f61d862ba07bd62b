/**
 * Linear systems and determinants: linalg.solve, linalg.inv, linalg.slogdet, linalg.det. The
 * primitives are `solve` (LU with partial pivoting) and `slogdet`; `inv` solves against the
 * identity and `det` is sign * exp(log|det|).
 */
import { eye } from '../creation.js';
import { runKernel } from '../dispatch.js';
import { promoteTypes } from '../dtype.js';
import { ShapeError } from '../errors.js';
import { broadcastShapes, fmtShape, sameShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { cast, exp, mul } from './elementwise.js';
import { expand, squeeze, unsqueeze } from './movement.js';
import { batchOf, floatInput, lastAt, namedLinAlg, squareInput } from './linalg-common.js';

/**
 * True when B is a batch of vectors for a batch of matrices A (PyTorch's rule): B is 1-D, or B has
 * one dim fewer than A and the shape of A without its last dim.
 */
export function isVectorRhs(A: Tensor, B: Tensor): boolean {
  return B.ndim === 1 || (B.ndim === A.ndim - 1 && sameShape(B.shape, A.shape.slice(0, -1)));
}

/** A and B (matrices: [..., r, c]) cast to one float dtype and expanded to one batch shape. */
export function broadcastPair(op: string, A: Tensor, B: Tensor): [Tensor, Tensor] {
  const dtype = promoteTypes(A.dtype, B.dtype);
  const batch = broadcastShapes(op, batchOf(A), batchOf(B));
  const a = cast(A, dtype), b = cast(B, dtype);
  return [expand(a, [...batch, ...a.shape.slice(-2)]), expand(b, [...batch, ...b.shape.slice(-2)])];
}

/** X = A^{-1} B for a batch of square A [..., n, n] and matrices B [..., n, k] (batch dims broadcast); errors name `op`. */
export function solveMatrices(op: string, A: Tensor, B: Tensor): Tensor {
  const n = A.shape[A.ndim - 1]!;
  if (B.shape[B.ndim - 2] !== n) throw new ShapeError(`${op}: A ${fmtShape(A.shape)} and B ${fmtShape(B.shape)} do not fit (B needs ${n} rows)`);
  const [a, b] = broadcastPair(op, A, B);
  return namedLinAlg(op, () => runKernel('solve', [a, b], {}, b.shape, b.dtype));
}

/**
 * Solves A X = B for X. A is a square matrix or a batch of them [..., n, n]; B is [..., n, k]
 * (matrices) or [..., n] (vectors: B is 1-D, or has A's shape without its last dim), and the
 * batch dims broadcast. LU factorization with partial pivoting.
 *
 * Throws a `LinAlgError` naming the batch entry when a matrix is singular (a zero pivot). A matrix
 * that is only nearly singular is solved, with an error as large as its condition number says.
 *
 * ```ts
 * const x = linalg.solve(tensor([[3, 1], [1, 2]]), tensor([9, 8])); // [2, 3]
 * ```
 */
export function solve(A: Tensor, B: Tensor): Tensor {
  const op = 'linalg.solve';
  const a = squareInput(A, op);
  let b = floatInput(B, op, 'B', 1);
  const vector = isVectorRhs(a, b);
  if (vector) b = unsqueeze(b, -1);
  const x = solveMatrices(op, a, b);
  return vector ? squeeze(x, -1) : x;
}

/**
 * The inverse of a square matrix (or of each in a batch [..., n, n]): `solve(A, I)`.
 * Throws a `LinAlgError` when a matrix is singular. Prefer `linalg.solve(A, B)` to `inv(A) @ B`.
 */
export function inv(A: Tensor): Tensor {
  const op = 'linalg.inv';
  const a = squareInput(A, op);
  const n = a.shape[a.ndim - 1]!;
  return solveMatrices(op, a, expand(eye(n, { dtype: a.dtype }), a.shape));
}

/**
 * Sign and natural log of the absolute value of the determinant, `[sign, logabsdet]`, each of the
 * batch shape: det(A) = sign * exp(logabsdet) without overflow. A singular matrix gives
 * `[0, -Infinity]` (not an error). Differentiable in `logabsdet` (gradient A^{-T}) where A is
 * nonsingular; `sign` is piecewise constant. The empty matrix has sign 1 and logabsdet 0.
 */
export function slogdet(A: Tensor): [Tensor, Tensor] {
  const a = squareInput(A, 'linalg.slogdet');
  const packed = runKernel('slogdet', [a], {}, [...batchOf(a), 2], a.dtype);
  return [lastAt(packed, 0), lastAt(packed, 1)];
}

/**
 * Determinant of a square matrix (or of each in a batch), as sign * exp(logabsdet) from
 * `linalg.slogdet`. Its gradient (det(A) A^{-T}) needs A nonsingular: backpropagating through the
 * determinant of an exactly singular matrix throws a `LinAlgError`.
 */
export function det(A: Tensor): Tensor {
  const [sign, logabsdet] = slogdet(squareInput(A, 'linalg.det'));
  return mul(sign, exp(logabsdet));
}
