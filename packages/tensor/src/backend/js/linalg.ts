import type { PrimitiveOf } from '../../primitives.js';
import { LinAlgError } from '../../errors.js';
import { unravelIndex } from '../../shape.js';
import { gemm, gemmInt32 } from './matmul.js';
import { offsetsOf } from './iterate.js';
import { choleskyFactor, householderQR, jacobiEigh, jacobiSVD, luFactor, luSolve } from './factorize.js';
import type { KernelTable, View } from '../backend.js';

/**
 * Batched matmul: a [..., M, K] @ b [..., K, N] with equal (already broadcast) batch dims, any strides.
 * One gemm call per batch entry; gemm reads the strides directly, so transposed views are not copied.
 */
export function matmulKernel(inputs: readonly View[], out: View): void {
  const [a, b] = inputs as [View, View];
  const nd = out.shape.length;
  const M = out.shape[nd - 2]!, N = out.shape[nd - 1]!, K = a.shape[nd - 1]!;
  const batch = out.shape.slice(0, nd - 2);
  const aOffs = offsetsOf(batch, a.strides.slice(0, nd - 2), a.offset);
  const bOffs = offsetsOf(batch, b.strides.slice(0, nd - 2), b.offset);
  const ars = a.strides[nd - 2]!, acs = a.strides[nd - 1]!, brs = b.strides[nd - 2]!, bcs = b.strides[nd - 1]!;
  for (let i = 0; i < aOffs.length; i++) {
    if (out.buf instanceof Int32Array) {
      gemmInt32(a.buf as Int32Array, aOffs[i]!, ars, acs, b.buf as Int32Array, bOffs[i]!, brs, bcs, out.buf, i * M * N, M, K, N);
    } else {
      gemm(a.buf as Float32Array, aOffs[i]!, ars, acs, b.buf as Float32Array, bOffs[i]!, brs, bcs, out.buf as Float32Array, i * M * N, M, K, N);
    }
  }
}

// ---- factorizations: each batch entry is copied into float64 scratch, factorized, written back ----

/** The matrices of a [..., rows, cols] view: its batch shape, one storage offset per batch entry, and a loader. */
function matrices(v: View): { batch: number[]; offs: Int32Array; rows: number; cols: number; load(i: number, dst: Float64Array): Float64Array } {
  const nd = v.shape.length;
  const rows = v.shape[nd - 2]!, cols = v.shape[nd - 1]!;
  const rs = v.strides[nd - 2]!, cs = v.strides[nd - 1]!;
  const batch = v.shape.slice(0, nd - 2);
  const offs = offsetsOf(batch, v.strides.slice(0, nd - 2), v.offset);
  const buf = v.buf;
  return {
    batch, offs, rows, cols,
    load(i, dst) {
      const o = offs[i]!;
      for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) dst[r * cols + c] = buf[o + r * rs + c * cs]!;
      return dst;
    },
  };
}

const NOT_FINITE = 'the iteration did not converge: the matrix has NaN or infinite entries';

/** X = A^{-1} B for A [..., n, n], B [..., n, k]: LU with partial pivoting. Throws LinAlgError for a singular A. */
function solveKernel(inputs: readonly View[], out: View): void {
  const A = matrices(inputs[0]!);
  const B = matrices(inputs[1]!);
  const n = A.rows, k = B.cols;
  const a = new Float64Array(n * n), x = new Float64Array(n * k), piv = new Int32Array(n);
  for (let i = 0; i < A.offs.length; i++) {
    const zero = luFactor(A.load(i, a), n, piv);
    if (zero >= 0) throw new LinAlgError(`the matrix is singular (U[${zero},${zero}] = 0 in its LU factorization)`, unravelIndex(i, A.batch));
    luSolve(a, n, piv, B.load(i, x), k);
    out.buf.set(x, i * n * k);
  }
}

/** [sign(det A), log|det A|] per matrix, from the LU factorization; a singular A gives [0, -Infinity]. */
function slogdetKernel(inputs: readonly View[], out: View): void {
  const A = matrices(inputs[0]!);
  const n = A.rows;
  const a = new Float64Array(n * n), piv = new Int32Array(n);
  for (let i = 0; i < A.offs.length; i++) {
    luFactor(A.load(i, a), n, piv);
    let sign = 1;
    let logabs = 0;
    for (let j = 0; j < n; j++) {
      const d = a[j * n + j]!;
      if (piv[j] !== j) sign = -sign;
      if (d < 0) sign = -sign;
      if (d === 0) sign = 0;
      logabs += Math.log(Math.abs(d));
    }
    if (logabs !== logabs) sign = NaN;
    out.buf[2 * i] = sign;
    out.buf[2 * i + 1] = logabs;
  }
}

/** Lower Cholesky factor of each matrix (read from its lower triangle). Throws LinAlgError when one is not positive definite. */
function choleskyKernel(inputs: readonly View[], out: View): void {
  const A = matrices(inputs[0]!);
  const n = A.rows;
  const a = new Float64Array(n * n);
  for (let i = 0; i < A.offs.length; i++) {
    const bad = choleskyFactor(A.load(i, a), n);
    if (bad >= 0) throw new LinAlgError(`the matrix is not positive definite (its leading minor of order ${bad + 1} is not)`, unravelIndex(i, A.batch));
    out.buf.set(a, i * n * n);
  }
}

/** Reduced QR, packed per matrix as [m + k, n]: Q in rows :m (first k columns, the rest 0), R in rows m:. */
function qrKernel(inputs: readonly View[], out: View): void {
  const A = matrices(inputs[0]!);
  const m = A.rows, n = A.cols, k = Math.min(m, n);
  const a = new Float64Array(m * n), q = new Float64Array(m * k), r = new Float64Array(k * n);
  const per = (m + k) * n;
  for (let i = 0; i < A.offs.length; i++) {
    householderQR(A.load(i, a), m, n, q, r);
    const base = i * per;
    for (let row = 0; row < m; row++) {
      for (let c = 0; c < n; c++) out.buf[base + row * n + c] = c < k ? q[row * k + c]! : 0;
    }
    out.buf.set(r, base + m * n);
  }
}

/** Symmetric eigendecomposition (lower triangle), packed per matrix as [n + 1, n]: ascending eigenvalues, then V (eigenvectors as columns). */
function eighKernel(inputs: readonly View[], out: View): void {
  const A = matrices(inputs[0]!);
  const n = A.rows;
  const a = new Float64Array(n * n), w = new Float64Array(n), vt = new Float64Array(n * n);
  const per = (n + 1) * n;
  for (let i = 0; i < A.offs.length; i++) {
    if (!jacobiEigh(A.load(i, a), n, w, vt)) throw new LinAlgError(NOT_FINITE, unravelIndex(i, A.batch));
    const base = i * per;
    out.buf.set(w, base);
    for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) out.buf[base + (r + 1) * n + c] = vt[c * n + r]!;
  }
}

/**
 * Reduced SVD with descending singular values. computeUV: packed per matrix as [m + 1 + k, n]
 * (U in rows :m, first k columns; S in row m, first k entries; Vh in rows m + 1:; the rest 0).
 * Otherwise the singular values only, [k].
 */
function svdKernel(inputs: readonly View[], out: View, attrs: { computeUV: boolean }): void {
  const A = matrices(inputs[0]!);
  const m = A.rows, n = A.cols, k = Math.min(m, n);
  const a = new Float64Array(m * n), s = new Float64Array(k);
  const u = attrs.computeUV ? new Float64Array(m * k) : null;
  const vh = attrs.computeUV ? new Float64Array(k * n) : null;
  const per = attrs.computeUV ? (m + 1 + k) * n : k;
  if (attrs.computeUV) out.buf.fill(0);
  for (let i = 0; i < A.offs.length; i++) {
    if (!jacobiSVD(A.load(i, a), m, n, s, u, vh)) throw new LinAlgError(NOT_FINITE, unravelIndex(i, A.batch));
    const base = i * per;
    if (!attrs.computeUV) {
      out.buf.set(s, base);
      continue;
    }
    for (let row = 0; row < m; row++) for (let c = 0; c < k; c++) out.buf[base + row * n + c] = u![row * k + c]!;
    out.buf.set(s, base + m * n);
    out.buf.set(vh!, base + (m + 1) * n);
  }
}

/** The JS kernels of the linear-algebra primitives. */
export const linalgKernels: KernelTable<PrimitiveOf<'linalg'>> = {
  matmul: matmulKernel,
  solve: solveKernel,
  slogdet: slogdetKernel,
  cholesky: choleskyKernel,
  qr: qrKernel,
  eigh: eighKernel,
  svd: svdKernel,
};
