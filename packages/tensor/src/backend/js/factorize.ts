/**
 * Dense matrix factorizations in float64 for the JS linear-algebra kernels. Every routine works on
 * one matrix held row-major in a Float64Array (the kernels copy each batch entry in, whatever the
 * input's dtype and strides, and round the results into the output once at the end), so float32
 * inputs are factorized in float64 too.
 *
 * - {@link luFactor} / {@link luSolve}: LU with partial pivoting (row swaps), Doolittle order.
 * - {@link choleskyFactor}: A = L L^T from the lower triangle.
 * - {@link householderQR}: reduced QR by Householder reflections, with LAPACK's sign convention
 *   (each reflection sends the column to -sign(a_jj) * |column|, so R's diagonal may be negative).
 * - {@link jacobiEigh}: symmetric eigendecomposition by the cyclic Jacobi method (rotations until
 *   the off-diagonal part is negligible against the diagonal), accurate to a few ulps of |A|.
 * - {@link jacobiSVD}: one-sided (Hestenes) Jacobi SVD: plane rotations orthogonalize the columns
 *   directly, never forming A^T A, so small singular values keep their relative accuracy.
 */

/** Most sweeps a Jacobi method may take; both converge quadratically, in well under 20 in practice. */
const MAX_SWEEPS = 60;
const EPS = Number.EPSILON;

/** Euclidean norm of n values x[off + i * step], scaled so that it neither overflows nor underflows. */
function norm2(x: Float64Array, off: number, n: number, step: number): number {
  let scale = 0;
  for (let i = 0, p = off; i < n; i++, p += step) scale = Math.max(scale, Math.abs(x[p]!));
  if (scale === 0 || !Number.isFinite(scale)) return scale;
  let ss = 0;
  for (let i = 0, p = off; i < n; i++, p += step) {
    const v = x[p]! / scale;
    ss += v * v;
  }
  return scale * Math.sqrt(ss);
}

/**
 * LU factorization with partial pivoting, in place: a (n x n, row-major) becomes L (unit lower,
 * below the diagonal) and U (on and above it); piv[k] is the row swapped with row k at step k.
 * Returns the first k with U[k, k] = 0 (the matrix is singular), or -1. A NaN pivot is taken as
 * it is, so NaN inputs give NaN results rather than an error.
 */
export function luFactor(a: Float64Array, n: number, piv: Int32Array): number {
  let singular = -1;
  for (let k = 0; k < n; k++) {
    let p = k;
    let best = Math.abs(a[k * n + k]!);
    for (let i = k + 1; i < n; i++) {
      const v = Math.abs(a[i * n + k]!);
      if (v > best || v !== v) {
        best = v;
        p = i;
        if (v !== v) break;
      }
    }
    piv[k] = p;
    if (p !== k) {
      for (let j = 0; j < n; j++) {
        const t = a[k * n + j]!;
        a[k * n + j] = a[p * n + j]!;
        a[p * n + j] = t;
      }
    }
    const d = a[k * n + k]!;
    if (d === 0) {
      if (singular < 0) singular = k;
      continue;
    }
    for (let i = k + 1; i < n; i++) {
      const l = a[i * n + k]! / d;
      a[i * n + k] = l;
      if (l === 0) continue;
      for (let j = k + 1; j < n; j++) a[i * n + j] = a[i * n + j]! - l * a[k * n + j]!;
    }
  }
  return singular;
}

/** Solves A X = B in place (b: n x k row-major becomes X) from luFactor's output of a nonsingular A. */
export function luSolve(lu: Float64Array, n: number, piv: Int32Array, b: Float64Array, k: number): void {
  for (let i = 0; i < n; i++) {
    const p = piv[i]!;
    if (p !== i) {
      for (let j = 0; j < k; j++) {
        const t = b[i * k + j]!;
        b[i * k + j] = b[p * k + j]!;
        b[p * k + j] = t;
      }
    }
  }
  // L Y = P B (unit diagonal), then U X = Y.
  for (let i = 0; i < n; i++) {
    for (let r = 0; r < i; r++) {
      const l = lu[i * n + r]!;
      if (l === 0) continue;
      for (let j = 0; j < k; j++) b[i * k + j] = b[i * k + j]! - l * b[r * k + j]!;
    }
  }
  for (let i = n - 1; i >= 0; i--) {
    for (let r = i + 1; r < n; r++) {
      const u = lu[i * n + r]!;
      if (u === 0) continue;
      for (let j = 0; j < k; j++) b[i * k + j] = b[i * k + j]! - u * b[r * k + j]!;
    }
    const d = lu[i * n + i]!;
    for (let j = 0; j < k; j++) b[i * k + j] = b[i * k + j]! / d;
  }
}

/**
 * Cholesky factorization in place from the lower triangle of a (n x n): the lower triangle becomes
 * L with A = L L^T and the strict upper triangle is zeroed. Returns the first j whose leading minor
 * of order j + 1 is not positive definite (or is NaN), or -1.
 */
export function choleskyFactor(a: Float64Array, n: number): number {
  for (let j = 0; j < n; j++) {
    let d = a[j * n + j]!;
    for (let k = 0; k < j; k++) d -= a[j * n + k]! * a[j * n + k]!;
    if (!(d > 0)) return j;
    const ljj = Math.sqrt(d);
    a[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let s = a[i * n + j]!;
      for (let k = 0; k < j; k++) s -= a[i * n + k]! * a[j * n + k]!;
      a[i * n + j] = s / ljj;
    }
    for (let i = 0; i < j; i++) a[i * n + j] = 0;
  }
  return -1;
}

/**
 * Reduced QR by Householder reflections: a (m x n, destroyed) = q (m x k) r (k x n), k = min(m, n).
 * Reflection j maps column j below the diagonal onto beta e_j with beta = -sign(a_jj) |column|
 * (LAPACK's convention; +|column| when a_jj = 0), and is skipped when that part is already zero.
 */
export function householderQR(a: Float64Array, m: number, n: number, q: Float64Array, r: Float64Array): void {
  const k = Math.min(m, n);
  const tau = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    const alpha = a[j * n + j]!;
    const xnorm = norm2(a, (j + 1) * n + j, m - j - 1, n);
    if (xnorm === 0) continue; // tau = 0: the reflection is the identity
    const beta = (alpha >= 0 ? -1 : 1) * Math.hypot(alpha, xnorm);
    tau[j] = (beta - alpha) / beta;
    const scale = 1 / (alpha - beta);
    for (let i = j + 1; i < m; i++) a[i * n + j] = a[i * n + j]! * scale;
    a[j * n + j] = beta;
    // Apply H = I - tau v v^T (v = [1, a[j+1:, j]]) to the remaining columns.
    for (let c = j + 1; c < n; c++) {
      let w = a[j * n + c]!;
      for (let i = j + 1; i < m; i++) w += a[i * n + j]! * a[i * n + c]!;
      w *= tau[j]!;
      a[j * n + c] = a[j * n + c]! - w;
      for (let i = j + 1; i < m; i++) a[i * n + c] = a[i * n + c]! - w * a[i * n + j]!;
    }
  }
  for (let i = 0; i < k; i++) {
    for (let c = 0; c < n; c++) r[i * n + c] = c >= i ? a[i * n + c]! : 0;
  }
  // Q = H_0 H_1 ... H_{k-1} applied to the first k columns of the identity, last reflection first.
  q.fill(0, 0, m * k);
  for (let i = 0; i < k; i++) q[i * k + i] = 1;
  for (let j = k - 1; j >= 0; j--) {
    const t = tau[j]!;
    if (t === 0) continue;
    for (let c = j; c < k; c++) {
      let w = q[j * k + c]!;
      for (let i = j + 1; i < m; i++) w += a[i * n + j]! * q[i * k + c]!;
      w *= t;
      q[j * k + c] = q[j * k + c]! - w;
      for (let i = j + 1; i < m; i++) q[i * k + c] = q[i * k + c]! - w * a[i * n + j]!;
    }
  }
}

/** Flips the sign of row i of x (length len) when its entry of largest magnitude (the first, on ties) is negative. */
function largestPositive(x: Float64Array, off: number, len: number): boolean {
  let best = 0;
  let at = off;
  for (let p = off; p < off + len; p++) {
    if (Math.abs(x[p]!) > best) {
      best = Math.abs(x[p]!);
      at = p;
    }
  }
  if (!(x[at]! < 0)) return false;
  for (let p = off; p < off + len; p++) x[p] = -x[p]!;
  return true;
}

/**
 * Symmetric eigendecomposition by cyclic Jacobi rotations. Reads the lower triangle of a (n x n,
 * destroyed). Writes the eigenvalues in ascending order to w and the eigenvectors as the ROWS of vt
 * (n x n: vt[j] belongs to w[j]), each of unit length with its largest-magnitude entry positive.
 * Returns false, without iterating, when an entry of the lower triangle is NaN or infinite.
 */
export function jacobiEigh(a: Float64Array, n: number, w: Float64Array, vt: Float64Array): boolean {
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) if (!Number.isFinite(a[i * n + j]!)) return false;
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) a[i * n + j] = a[j * n + i]!;
  vt.fill(0, 0, n * n);
  for (let i = 0; i < n; i++) vt[i * n + i] = 1;
  let converged = n <= 1;
  for (let sweep = 0; sweep < MAX_SWEEPS && !converged; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += Math.abs(a[p * n + q]!);
    if (off === 0) {
      converged = true;
      break;
    }
    if (!Number.isFinite(off)) return false;
    // Early sweeps rotate only the large entries; later ones everything not yet negligible.
    const threshold = sweep < 3 ? (0.2 * off) / (n * n) : 0;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q]!;
        const app = a[p * n + p]!;
        const aqq = a[q * n + q]!;
        const g = 100 * Math.abs(apq);
        // Negligible against both diagonal entries: set it to zero without rotating.
        if (sweep > 3 && Math.abs(app) + g === Math.abs(app) && Math.abs(aqq) + g === Math.abs(aqq)) {
          a[p * n + q] = 0;
          a[q * n + p] = 0;
          continue;
        }
        if (Math.abs(apq) <= threshold || apq === 0) continue;
        rotateSymmetric(a, vt, n, p, q);
      }
    }
  }
  if (!converged) return false;
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => a[i * n + i]! - a[j * n + j]!);
  const v = vt.slice(0, n * n);
  for (let r = 0; r < n; r++) {
    const i = order[r]!;
    w[r] = a[i * n + i]!;
    vt.set(v.subarray(i * n, i * n + n), r * n);
    largestPositive(vt, r * n, n);
  }
  return true;
}

/** One Jacobi rotation zeroing a[p, q] (symmetric a, both triangles kept), accumulated into the rows p and q of vt. */
function rotateSymmetric(a: Float64Array, vt: Float64Array, n: number, p: number, q: number): void {
  const apq = a[p * n + q]!;
  const h = a[q * n + q]! - a[p * n + p]!;
  let t: number;
  if (Math.abs(h) + 100 * Math.abs(apq) === Math.abs(h)) {
    t = apq / h; // tan(theta) ~ apq / h when apq << h (theta^2 would overflow)
  } else {
    const theta = (0.5 * h) / apq;
    t = 1 / (Math.abs(theta) + Math.sqrt(1 + theta * theta));
    if (theta < 0) t = -t;
  }
  const c = 1 / Math.sqrt(1 + t * t);
  const s = t * c;
  const tau = s / (1 + c);
  a[p * n + p] = a[p * n + p]! - t * apq;
  a[q * n + q] = a[q * n + q]! + t * apq;
  a[p * n + q] = 0;
  a[q * n + p] = 0;
  for (let r = 0; r < n; r++) {
    if (r === p || r === q) continue;
    const arp = a[r * n + p]!;
    const arq = a[r * n + q]!;
    const np = arp - s * (arq + tau * arp);
    const nq = arq + s * (arp - tau * arq);
    a[r * n + p] = np;
    a[p * n + r] = np;
    a[r * n + q] = nq;
    a[q * n + r] = nq;
  }
  for (let r = 0; r < n; r++) {
    const vp = vt[p * n + r]!;
    const vq = vt[q * n + r]!;
    vt[p * n + r] = vp - s * (vq + tau * vp);
    vt[q * n + r] = vq + s * (vp - tau * vq);
  }
}

/**
 * Reduced SVD by one-sided Jacobi: a (m x n, row-major, read only) = U diag(s) Vh with k = min(m, n)
 * singular values in descending order. Writes s (k), and when u and vh are given, u (m x k) and
 * vh (k x n). Each left singular vector (column of U) has its largest-magnitude entry positive;
 * the columns of U for zero singular values complete U's columns to an orthonormal set.
 * Returns false when an entry is NaN or infinite (or when the rotations did not converge, which
 * only sums of squares that overflow, around |a| > 1e77, make happen).
 */
export function jacobiSVD(a: Float64Array, m: number, n: number, s: Float64Array, u: Float64Array | null, vh: Float64Array | null): boolean {
  for (let i = 0; i < m * n; i++) if (!Number.isFinite(a[i]!)) return false;
  // Rotate the columns of the taller orientation: G's rows are the columns of A (or of A^T).
  const tall = m >= n;
  const rows = tall ? m : n; // length of each rotated column
  const cols = tall ? n : m; // number of columns, = k
  const g = new Float64Array(cols * rows);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      if (tall) g[j * rows + i] = a[i * n + j]!;
      else g[i * rows + j] = a[i * n + j]!;
    }
  }
  const wantVectors = u !== null && vh !== null;
  const vt = wantVectors ? new Float64Array(cols * cols) : null;
  if (vt) for (let i = 0; i < cols; i++) vt[i * cols + i] = 1;
  const tol = EPS * rows;
  let converged = cols <= 1;
  for (let sweep = 0; sweep < MAX_SWEEPS && !converged; sweep++) {
    let rotated = false;
    for (let p = 0; p < cols; p++) {
      for (let q = p + 1; q < cols; q++) {
        let alpha = 0, beta = 0, gamma = 0;
        for (let i = 0, ip = p * rows, iq = q * rows; i < rows; i++, ip++, iq++) {
          const x = g[ip]!, y = g[iq]!;
          alpha += x * x;
          beta += y * y;
          gamma += x * y;
        }
        if (!(Math.abs(gamma) > tol * Math.sqrt(alpha * beta))) {
          if (gamma !== gamma || !Number.isFinite(alpha * beta)) return false;
          continue;
        }
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = Math.abs(zeta) > 1e150 ? 1 / (2 * zeta) : (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const sn = c * t;
        rotatePair(g, p * rows, q * rows, rows, c, sn);
        if (vt) rotatePair(vt, p * cols, q * cols, cols, c, sn);
      }
    }
    if (!rotated) converged = true;
  }
  if (!converged) return false;
  const norms = Array.from({ length: cols }, (_, j) => norm2(g, j * rows, rows, 1));
  const order = norms.map((_, j) => j).sort((i, j) => norms[j]! - norms[i]!);
  for (let r = 0; r < cols; r++) s[r] = norms[order[r]!]!;
  if (!wantVectors) return true;
  // The unit columns G_j / s_j are one side's singular vectors, V's rows the other's.
  const gu = new Float64Array(cols * rows);
  const gv = new Float64Array(cols * cols);
  for (let r = 0; r < cols; r++) {
    const j = order[r]!;
    const sj = norms[j]!;
    if (sj > 0) for (let i = 0; i < rows; i++) gu[r * rows + i] = g[j * rows + i]! / sj;
    gv.set(vt!.subarray(j * cols, j * cols + cols), r * cols);
  }
  for (let r = 0; r < cols; r++) if (!(norms[order[r]!]! > 0)) completeOrthonormal(gu, r, rows, cols);
  // Sign: U's columns have their largest entry positive (U's columns are gu's rows when tall, gv's otherwise).
  for (let r = 0; r < cols; r++) {
    const flipped = tall ? largestPositive(gu, r * rows, rows) : largestPositive(gv, r * cols, cols);
    if (flipped) {
      if (tall) for (let i = 0; i < cols; i++) gv[r * cols + i] = -gv[r * cols + i]!;
      else for (let i = 0; i < rows; i++) gu[r * rows + i] = -gu[r * rows + i]!;
    }
  }
  // tall:  A = Gu^T diag(s) Gv   -> U[i][r] = gu[r][i], Vh[r][j] = gv[r][j]
  // wide:  A^T = Gu^T diag(s) Gv -> U[i][r] = gv[r][i], Vh[r][j] = gu[r][j]
  const k = cols;
  for (let r = 0; r < k; r++) {
    for (let i = 0; i < m; i++) u![i * k + r] = tall ? gu[r * rows + i]! : gv[r * cols + i]!;
    for (let j = 0; j < n; j++) vh![r * n + j] = tall ? gv[r * cols + j]! : gu[r * rows + j]!;
  }
  return true;
}

/** x_p' = c x_p - s x_q, x_q' = s x_p + c x_q over len entries of two rows of x. */
function rotatePair(x: Float64Array, p: number, q: number, len: number, c: number, s: number): void {
  for (let i = 0; i < len; i++) {
    const xp = x[p + i]!, xq = x[q + i]!;
    x[p + i] = c * xp - s * xq;
    x[q + i] = s * xp + c * xq;
  }
}

/**
 * Fills row r of x (count rows of length len, the others orthonormal or zero) with a unit vector
 * orthogonal to every other nonzero row: the standard basis vector with the largest component
 * left after projecting out those rows (Gram-Schmidt, twice for accuracy).
 */
function completeOrthonormal(x: Float64Array, r: number, len: number, count: number): void {
  const cand = new Float64Array(len);
  let bestNorm = -1;
  let best: Float64Array | null = null;
  for (let e = 0; e < len; e++) {
    cand.fill(0);
    cand[e] = 1;
    for (let pass = 0; pass < 2; pass++) {
      for (let o = 0; o < count; o++) {
        if (o === r) continue;
        let d = 0;
        for (let i = 0; i < len; i++) d += x[o * len + i]! * cand[i]!;
        if (d !== 0) for (let i = 0; i < len; i++) cand[i] = cand[i]! - d * x[o * len + i]!;
      }
    }
    const nrm = norm2(cand, 0, len, 1);
    if (nrm > bestNorm) {
      bestNorm = nrm;
      best = cand.map((v) => v / nrm);
      if (nrm > 0.5) break;
    }
  }
  x.set(best!, r * len);
}
