/**
 * Factorizations: linalg.cholesky, linalg.qr, linalg.eigh, linalg.svd, and linalg.lstsq (by QR).
 * Each factorization is one primitive whose output packs all its results (a tape node has one
 * output, see primitives.ts); the functions here return views of that output, so the gradient of
 * any combination of the results reaches the primitive's rule as one packed cotangent.
 */
import { runKernel } from '../dispatch.js';
import { LinAlgError, ShapeError } from '../errors.js';
import { physicalOf, type Tensor } from '../tensor.js';
import { abs, le, mul } from './elementwise.js';
import { any } from './logical.js';
import { max, min } from './reduce.js';
import { diagonal } from './rearrange.js';
import { matmul } from './linalg.js';
import { batchOf, block, floatInput, mT, namedLinAlg, rowOf, squareInput, atBatch } from './linalg-common.js';
import { broadcastPair, isVectorRhs, solveMatrices } from './linalg-solve.js';
import { squeeze, unsqueeze } from './movement.js';
import { describe, fmtShape, unravelIndex } from '../shape.js';

/** Options of {@link cholesky}. */
export interface CholeskyOptions {
  /** Return the upper factor U = L^T (A = U^T U) instead of L. Default false. */
  upper?: boolean;
}

/**
 * Cholesky factor of a symmetric positive-definite matrix (or of each in a batch [..., n, n]):
 * lower-triangular L with A = L L^T (or, with `{ upper: true }`, U = L^T with A = U^T U).
 * Only the lower triangle of A is read. Throws a `LinAlgError` naming the batch entry when a
 * matrix is not positive definite.
 */
export function cholesky(A: Tensor, opts: CholeskyOptions = {}): Tensor {
  const op = 'linalg.cholesky';
  const a = squareInput(A, op);
  if (typeof opts !== 'object' || opts === null) throw new TypeError(`${op}: expected an options object, got ${describe(opts)}`);
  const upper = opts.upper ?? false;
  if (typeof upper !== 'boolean') throw new TypeError(`${op}: expected upper to be a boolean, got ${describe(upper)}`);
  const L = namedLinAlg(op, () => runKernel('cholesky', [a], {}, a.shape, a.dtype));
  return upper ? mT(L) : L;
}

/**
 * Reduced QR factorization `[Q, R]` of A [..., m, n], k = min(m, n): Q [..., m, k] with
 * orthonormal columns and upper-triangular R [..., k, n], A = Q R. Householder reflections with
 * LAPACK's sign convention, as PyTorch: R's diagonal entries may be negative.
 */
export function qr(A: Tensor): [Tensor, Tensor] {
  const a = floatInput(A, 'linalg.qr', 'A');
  const [m, n] = a.shape.slice(-2) as [number, number];
  const k = Math.min(m, n);
  const packed = runKernel('qr', [a], {}, [...batchOf(a), m + k, n], a.dtype);
  return [block(packed, 0, m, 0, k), block(packed, m, m + k, 0, n)];
}

/**
 * Eigendecomposition of a real symmetric matrix (or of each in a batch [..., n, n]):
 * `[eigenvalues, eigenvectors]`, the eigenvalues [..., n] in ascending order and the eigenvectors
 * as the columns of [..., n, n], so A = V diag(w) V^T. Only the lower triangle of A is read.
 *
 * Each eigenvector is of unit length with its largest-magnitude entry positive (PyTorch makes
 * another choice: compare sign-invariant quantities such as V diag(w) V^T or |V|). The gradient
 * assumes distinct eigenvalues: it divides by their differences, so at a repeated eigenvalue it is
 * infinite or NaN unless the loss depends only on the eigenvalues or on the repeated eigenspace as
 * a whole (see docs/guides/linalg.md).
 */
export function eigh(A: Tensor): [Tensor, Tensor] {
  const op = 'linalg.eigh';
  const a = squareInput(A, op);
  const n = a.shape[a.ndim - 1]!;
  const packed = namedLinAlg(op, () => runKernel('eigh', [a], {}, [...batchOf(a), n + 1, n], a.dtype));
  return [rowOf(packed, 0, n), block(packed, 1, n + 1, 0, n)];
}

/**
 * Reduced singular value decomposition `[U, S, Vh]` of A [..., m, n], k = min(m, n):
 * U [..., m, k] and Vh [..., k, n] with orthonormal columns / rows and the singular values
 * S [..., k] in descending order, A = U diag(S) Vh. One-sided Jacobi rotations.
 *
 * Each column of U has its largest-magnitude entry positive (Vh's rows follow); PyTorch's signs
 * may differ, so compare sign-invariant quantities (U diag(S) Vh, |U|). The gradient assumes
 * distinct singular values, and nonzero ones when m != n (it divides by S_i^2 - S_j^2 and by S);
 * a loss of S alone (a norm, say) is best written with `matrixNorm`, whose gradient needs neither.
 */
export function svd(A: Tensor): [Tensor, Tensor, Tensor] {
  const op = 'linalg.svd';
  const a = floatInput(A, op, 'A');
  const [m, n] = a.shape.slice(-2) as [number, number];
  const k = Math.min(m, n);
  const packed = namedLinAlg(op, () => runKernel('svd', [a], { computeUV: true }, [...batchOf(a), m + 1 + k, n], a.dtype));
  return [block(packed, 0, m, 0, k), rowOf(packed, m, k), block(packed, m + 1, m + 1 + k, 0, n)];
}

/**
 * The singular values alone [..., k], descending. Its gradient, U diag(gS) Vh, is defined even for
 * repeated or zero singular values (the rule recomputes U and Vh). Used by the spectral norms.
 */
export function svdvals(A: Tensor, op = 'linalg.svdvals'): Tensor {
  const a = floatInput(A, op, 'A');
  const [m, n] = a.shape.slice(-2) as [number, number];
  return namedLinAlg(op, () => runKernel('svd', [a], { computeUV: false }, [...batchOf(a), Math.min(m, n)], a.dtype));
}

/**
 * Least-squares solution X of A X = B for a full-rank A [..., m, n]: the X minimizing
 * ||A X - B|| when m >= n, and the minimum-norm solution of the underdetermined system when
 * m < n. B is [..., m, k] or a batch of vectors [..., m] (as in `linalg.solve`); batch dims
 * broadcast. Solved through the QR factorization of A (or of A^T when m < n), never through the
 * normal equations, so the error grows with cond(A), not cond(A)^2.
 *
 * Throws a `LinAlgError` when A is rank-deficient to working precision: some |R_ii| is at most
 * max(m, n) * eps * max |R_ii| (eps of A's dtype; PyTorch's default rcond).
 */
export function lstsq(A: Tensor, B: Tensor): Tensor {
  const op = 'linalg.lstsq';
  const a0 = floatInput(A, op, 'A');
  let b0 = floatInput(B, op, 'B', 1);
  const vector = isVectorRhs(a0, b0);
  if (vector) b0 = unsqueeze(b0, -1);
  const [m, n] = a0.shape.slice(-2) as [number, number];
  if (b0.shape[b0.ndim - 2] !== m) {
    throw new ShapeError(`${op}: A ${fmtShape(a0.shape)} and B ${fmtShape(b0.shape)} do not fit (B needs ${m} rows)`);
  }
  const [a, b] = broadcastPair(op, a0, b0);
  let x: Tensor;
  if (m >= n) {
    const [Q, R] = qr(a);
    checkFullRank(op, R, Math.max(m, n));
    x = solveMatrices(op, R, matmul(mT(Q), b));
  } else {
    // A^T = Q R, so A = R^T Q^T: the minimum-norm solution is Q R^{-T} B.
    const [Q, R] = qr(mT(a));
    checkFullRank(op, R, Math.max(m, n));
    x = matmul(Q, solveMatrices(op, mT(R), b));
  }
  return vector ? squeeze(x, -1) : x;
}

/** Throws when some |R_ii| <= size * eps * max |R_jj| (per matrix of the batch). */
function checkFullRank(op: string, R: Tensor, size: number): void {
  const k = R.shape[R.ndim - 1]!;
  if (k === 0) return;
  const eps = R.dtype === 'float32' ? 2 ** -23 : 2 ** -52;
  if (R._batch !== null) {
    // Inside vmap: the same test with ops, each batch element against its own largest |R_jj|.
    const d = abs(diagonal(R, 0, -2, -1));
    if (physicalOf(any(le(min(d, -1), mul(max(d, -1), size * eps)))).data().some((b) => b !== 0)) {
      throw new LinAlgError(`${op}: A does not have full rank (rank < ${k} to working precision) in some element of the vmap batch`, null);
    }
    return;
  }
  const r = R.data();
  const batch = batchOf(R);
  const count = r.length / (k * k);
  for (let i = 0; i < count; i++) {
    let big = 0, small = Infinity;
    for (let j = 0; j < k; j++) {
      const v = Math.abs(r[i * k * k + j * k + j]!);
      big = Math.max(big, v);
      small = Math.min(small, v);
    }
    if (small <= size * eps * big) {
      const idx = unravelIndex(i, batch);
      throw new LinAlgError(`${op}: A does not have full rank (rank < ${k} to working precision)${atBatch(idx)}`, idx);
    }
  }
}
