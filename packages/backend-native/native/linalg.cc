// Factorizations through OpenBLAS's LAPACK (its Fortran symbols): solve (dgetrf + dgetrs), slogdet
// (dgetrf), cholesky (dpotrf), qr (dgeqrf + dorgqr), eigh (dsyevd) and svd (dgesvj). Each batch entry is copied into float64 column-major scratch
// (whatever the input's dtype and strides), factorized, and rounded into the output once, as the
// reference kernels (packages/tensor/src/backend/js/linalg.ts) do; a failure becomes the same
// LinAlgError, with the batch entry that failed.
#include <algorithm>
#include <string>
#include <vector>

#include "iter.h"
#include "pool.h"
#include "tg.h"

extern "C" {
void dgetrf_(const int* m, const int* n, double* a, const int* lda, int* ipiv, int* info);
void dgetrs_(const char* trans, const int* n, const int* nrhs, const double* a, const int* lda, const int* ipiv, double* b, const int* ldb, int* info, size_t trans_len);
void dgeqrf_(const int* m, const int* n, double* a, const int* lda, double* tau, double* work, const int* lwork, int* info);
void dorgqr_(const int* m, const int* n, const int* k, double* a, const int* lda, const double* tau, double* work, const int* lwork, int* info);
void dpotrf_(const char* uplo, const int* n, double* a, const int* lda, int* info, size_t uplo_len);
void dsyevd_(const char* jobz, const char* uplo, const int* n, double* a, const int* lda, double* w, double* work, const int* lwork,
             int* iwork, const int* liwork, int* info, size_t jobz_len, size_t uplo_len);
void dgesvj_(const char* joba, const char* jobu, const char* jobv, const int* m, const int* n, double* a, const int* lda, double* sva,
             const int* mv, double* v, const int* ldv, double* work, const int* lwork, int* info, size_t joba_len, size_t jobu_len,
             size_t jobv_len);
}

namespace tg {
namespace {

// The matrices of a [..., rows, cols] view: one storage offset per batch entry, in row-major order.
struct Matrices {
  std::vector<int64_t> offs;
  int64_t rows, cols, rs, cs;
  const View& v;

  Matrices(const Call& c, const View& view) : v(view) {
    if (v.ndim < 2) fail(Error::Range, std::string(c.op) + ": expected a batch of matrices, got " + fmt_shape(v));
    rows = v.shape[v.ndim - 2], cols = v.shape[v.ndim - 1];
    rs = v.strides[v.ndim - 2], cs = v.strides[v.ndim - 1];
    Rows<1> batch(v.shape, v.ndim - 2, {v.strides}, {v.offset});
    batch.walk(0, batch.total, [&](Rows<1>::Offs p, int64_t n, Rows<1>::Offs s) {
      for (int64_t i = 0; i < n; i++) offs.push_back(p[0] + i * s[0]);
    });
  }
  // Batch entry i into dst, column-major (leading dimension rows); transposed: its transpose
  // column-major (that is, the matrix row-major).
  void load(int64_t i, double* dst, bool transposed = false) const {
    const int64_t o = offs[i];
    for (int64_t c = 0; c < cols; c++)
      for (int64_t r = 0; r < rows; r++) dst[transposed ? r * cols + c : c * rows + r] = load_any(v.data, v.dtype, o + r * rs + c * cs);
  }
};

void need_float_out(const Call& c) {
  if (c.out.dtype != F32 && c.out.dtype != F64) fail(Error::Type, std::string(c.op) + ": expected a float32 or float64 output, got " + dtype_name(c.out.dtype));
}

void need_square(const Call& c, const Matrices& a) {
  if (a.rows != a.cols) fail(Error::Range, std::string(c.op) + ": expected square matrices, got " + fmt_shape(a.v));
  if (a.rows > 46340) fail(Error::Range, std::string(c.op) + ": matrices of order " + std::to_string(a.rows) + " are too large for LAPACK's int32 sizes");
}

void need_out_size(const Call& c, int64_t size) {
  if (c.out.size() != size) fail(Error::Range, std::string(c.op) + ": output " + fmt_shape(c.out) + " does not hold " + std::to_string(size) + " values");
}

}  // namespace

// X = A^{-1} B for A [..., n, n], B [..., n, k]: LU with partial pivoting. A singular A is a LinAlgError.
void k_solve(Call& c) {
  const Matrices A(c, c.in.at(0)), B(c, c.in.at(1));
  need_square(c, A);
  need_float_out(c);
  const int n = static_cast<int>(A.rows), k = static_cast<int>(B.cols);
  if (B.rows != n || B.offs.size() != A.offs.size()) fail(Error::Range, std::string("solve: right-hand sides ") + fmt_shape(B.v) + " do not fit matrices " + fmt_shape(A.v));
  const int64_t count = static_cast<int64_t>(A.offs.size());
  need_out_size(c, count * n * k);
  std::vector<double> a(static_cast<size_t>(n) * n), x(static_cast<size_t>(n) * k);
  std::vector<int> piv(n);
  const View& o = c.out;
  for (int64_t i = 0; i < count; i++) {
    if (n > 0 && k > 0) {
      A.load(i, a.data());
      B.load(i, x.data());
      int info = 0;
      dgetrf_(&n, &n, a.data(), &n, piv.data(), &info);
      if (info > 0) {
        fail_linalg("the matrix is singular (U[" + std::to_string(info - 1) + "," + std::to_string(info - 1) + "] = 0 in its LU factorization)", i);
      }
      dgetrs_("N", &n, &k, a.data(), &n, piv.data(), x.data(), &n, &info, 1);
    }
    const int64_t base = o.offset + i * n * k;
    for (int64_t r = 0; r < n; r++)
      for (int64_t col = 0; col < k; col++) store_any(o.data, o.dtype, base + r * k + col, x[col * n + r]);
  }
}

// [sign(det A), log|det A|] per matrix from the LU factorization; a singular A gives [0, -Infinity].
void k_slogdet(Call& c) {
  const Matrices A(c, c.in.at(0));
  need_square(c, A);
  need_float_out(c);
  const int n = static_cast<int>(A.rows);
  const int64_t count = static_cast<int64_t>(A.offs.size());
  need_out_size(c, count * 2);
  std::vector<double> a(static_cast<size_t>(n) * n);
  std::vector<int> piv(n);
  const View& o = c.out;
  for (int64_t i = 0; i < count; i++) {
    double sign = 1, logabs = 0;
    if (n > 0) {
      A.load(i, a.data());
      int info = 0;
      dgetrf_(&n, &n, a.data(), &n, piv.data(), &info);
      for (int j = 0; j < n; j++) {
        const double d = a[static_cast<size_t>(j) * n + j];
        if (piv[j] != j + 1) sign = -sign;
        if (d < 0) sign = -sign;
        if (d == 0) sign = 0;
        logabs += std::log(std::fabs(d));
      }
    }
    if (logabs != logabs) sign = NAN;
    store_any(o.data, o.dtype, o.offset + 2 * i, sign);
    store_any(o.data, o.dtype, o.offset + 2 * i + 1, logabs);
  }
}

// Lower Cholesky factor of each matrix (from its lower triangle); one that is not positive definite
// (or has NaN) is a LinAlgError.
void k_cholesky(Call& c) {
  const Matrices A(c, c.in.at(0));
  need_square(c, A);
  need_float_out(c);
  const int n = static_cast<int>(A.rows);
  const int64_t count = static_cast<int64_t>(A.offs.size());
  need_out_size(c, count * n * n);
  std::vector<double> a(static_cast<size_t>(n) * n);
  const View& o = c.out;
  for (int64_t i = 0; i < count; i++) {
    if (n == 0) continue;
    A.load(i, a.data());
    int info = 0;
    dpotrf_("L", &n, a.data(), &n, &info, 1);
    // OpenBLAS stops at a pivot <= 0 but not at a NaN one, which spreads to the diagonal from
    // there on: the first NaN on it is the first leading minor that is not positive definite.
    for (int j = 0; info == 0 && j < n; j++) {
      if (a[static_cast<size_t>(j) * n + j] != a[static_cast<size_t>(j) * n + j]) info = j + 1;
    }
    if (info > 0) fail_linalg("the matrix is not positive definite (its leading minor of order " + std::to_string(info) + " is not)", i);
    const int64_t base = o.offset + i * n * n;
    for (int64_t r = 0; r < n; r++)
      for (int64_t col = 0; col < n; col++) store_any(o.data, o.dtype, base + r * n + col, col <= r ? a[col * n + r] : 0.0);
  }
}

// Reduced QR (dgeqrf, then dorgqr for Q), packed per matrix as [m + k, n], k = min(m, n): Q in
// rows :m (first k columns, the rest 0), R in rows m:. LAPACK's reflections are the reference's
// (beta = -sign(a_jj) |column|, none where the column is already zero), so the signs agree.
void k_qr(Call& c) {
  const Matrices A(c, c.in.at(0));
  need_float_out(c);
  if (A.rows > 46340 || A.cols > 46340) fail(Error::Range, "qr: matrices " + fmt_shape(A.v) + " are too large for LAPACK's int32 sizes");
  const int m = static_cast<int>(A.rows), n = static_cast<int>(A.cols), k = std::min(m, n);
  const int64_t count = static_cast<int64_t>(A.offs.size()), per = static_cast<int64_t>(m + k) * n;
  need_out_size(c, count * per);
  std::vector<double> a(static_cast<size_t>(m) * n), tau(std::max(k, 1));
  const int lwork = std::max(n, 1) * 64;
  std::vector<double> work(lwork);
  const View& o = c.out;
  for (int64_t i = 0; i < count; i++) {
    const int64_t base = o.offset + i * per;
    if (k == 0) {
      for (int64_t j = 0; j < per; j++) store_any(o.data, o.dtype, base + j, 0.0);
      continue;
    }
    A.load(i, a.data());
    int info = 0;
    dgeqrf_(&m, &n, a.data(), &m, tau.data(), work.data(), &lwork, &info);
    // R first (its upper triangle), then Q over the reflectors.
    for (int64_t r = 0; r < k; r++)
      for (int64_t col = 0; col < n; col++) store_any(o.data, o.dtype, base + (m + r) * n + col, col >= r ? a[col * m + r] : 0.0);
    dorgqr_(&m, &k, &k, a.data(), &m, tau.data(), work.data(), &lwork, &info);
    for (int64_t r = 0; r < m; r++)
      for (int64_t col = 0; col < n; col++) store_any(o.data, o.dtype, base + r * n + col, col < k ? a[col * m + r] : 0.0);
  }
}


// ---- eigh and svd ---------------------------------------------------------------------------------
//
// LAPACK's results are unique up to the sign of each eigenvector / singular pair (for distinct
// eigenvalues and singular values), so the kernels apply the reference's sign rule to them (see
// jacobiEigh and jacobiSVD in packages/tensor/src/backend/js/factorize.ts). A matrix with a NaN or
// infinite entry (among those read) is the reference's LinAlgError, reported for the first such
// batch entry before any work; the matrices are then spread over the pool, one LAPACK call each.

void set_blas_threads(int n);  // matmul.cc

namespace {

const char* const NOT_FINITE = "the iteration did not converge: the matrix has NaN or infinite entries";

// The first batch entry with a non-finite entry of the matrix (of its lower triangle when
// `lower`), or -1.
int64_t first_not_finite(const Matrices& A, bool lower) {
  const View& v = A.v;
  for (size_t i = 0; i < A.offs.size(); i++) {
    for (int64_t r = 0; r < A.rows; r++)
      for (int64_t col = 0; col < (lower ? std::min(r + 1, A.cols) : A.cols); col++)
        if (!std::isfinite(load_any(v.data, v.dtype, A.offs[i] + r * A.rs + col * A.cs))) return static_cast<int64_t>(i);
  }
  return -1;
}

// The reference's sign rule: negates x[0], x[step], ... (len values) when the entry of largest
// magnitude (the first, on ties) is negative. Returns whether it did.
bool largest_positive(double* x, int64_t len, int64_t step) {
  double best = 0;
  int64_t at = 0;
  for (int64_t j = 0; j < len; j++) {
    if (std::fabs(x[j * step]) > best) best = std::fabs(x[j * step]), at = j;
  }
  if (!(len > 0 && x[at * step] < 0)) return false;
  for (int64_t j = 0; j < len; j++) x[j * step] = -x[j * step];
  return true;
}

// Runs one(i, scratch) for every batch entry, on the pool when the batch has several matrices of
// some size (`flops` per matrix, roughly); one(...) returns LAPACK's info. A nonzero info fails
// for the first batch entry that had one.
//
// OpenBLAS runs single-threaded meanwhile, and the batch is what is spread over threads: on the
// dev machine (2 shared cores) OpenBLAS's threads made dsyevd and dgesvj slower, not faster, from
// n = 64 (3x) to n = 400, and pool threads calling them at once contend for OpenBLAS's (up to 15x
// slower). Afterwards OpenBLAS gets the addon's thread count back (setThreads sets both).
template <class Scratch, class One>
void each_matrix(int64_t count, int64_t flops, const std::string& routine, One one) {
  struct OneBlasThread {
    OneBlasThread() { set_blas_threads(1); }
    ~OneBlasThread() { set_blas_threads(pool_threads()); }
  } single;
  std::vector<int> infos(count, 0);
  parallel_for(count, std::max<int64_t>(1, (int64_t{1} << 16) / std::max<int64_t>(flops, 1)), [&](int64_t lo, int64_t hi) {
    thread_local Scratch s;
    for (int64_t i = lo; i < hi; i++) infos[i] = one(i, s);
  });
  for (int64_t i = 0; i < count; i++) {
    if (infos[i] != 0) fail_linalg("the iteration did not converge (LAPACK " + routine + " returned info " + std::to_string(infos[i]) + ")", i);
  }
}

struct EighScratch {
  std::vector<double> a, w, work;
  std::vector<int> iwork;
};

struct SvdScratch {
  std::vector<double> g, s, v, work, cand, best;
};

// The Euclidean norm of x[0..len), scaled against overflow and underflow as the reference's norm2.
double norm2(const double* x, int64_t len) {
  double scale = 0;
  for (int64_t j = 0; j < len; j++) scale = std::fmax(scale, std::fabs(x[j]));
  if (scale == 0 || !std::isfinite(scale)) return scale;
  double ss = 0;
  for (int64_t j = 0; j < len; j++) {
    const double t = x[j] / scale;
    ss += t * t;
  }
  return scale * std::sqrt(ss);
}

// Column r of x (count contiguous columns of length len, the others orthonormal or zero) becomes a
// unit vector orthogonal to the others, chosen as the reference's completeOrthonormal does: the
// standard basis vector with the largest component left after projecting out the other columns
// (twice), the first with more than 0.5 of it.
void complete_orthonormal(double* x, int64_t r, int64_t len, int64_t count, std::vector<double>& cand, std::vector<double>& best) {
  cand.resize(len), best.resize(len);
  double best_norm = -1;
  for (int64_t e = 0; e < len; e++) {
    std::fill(cand.begin(), cand.end(), 0.0);
    cand[e] = 1;
    for (int pass = 0; pass < 2; pass++) {
      for (int64_t o = 0; o < count; o++) {
        if (o == r) continue;
        const double* y = x + o * len;
        double d = 0;
        for (int64_t j = 0; j < len; j++) d += y[j] * cand[j];
        if (d != 0) for (int64_t j = 0; j < len; j++) cand[j] = cand[j] - d * y[j];
      }
    }
    const double nrm = norm2(cand.data(), len);
    if (nrm > best_norm) {
      best_norm = nrm;
      for (int64_t j = 0; j < len; j++) best[j] = cand[j] / nrm;
      if (nrm > 0.5) break;
    }
  }
  std::copy(best.begin(), best.end(), x + r * len);
}

}  // namespace

// Symmetric eigendecomposition from the lower triangle (dsyevd), packed per matrix as [n + 1, n]:
// the eigenvalues in ascending order in row 0, the eigenvectors as the columns of rows 1:, each of
// unit length with its largest-magnitude entry positive.
void k_eigh(Call& c) {
  const Matrices A(c, c.in.at(0));
  need_square(c, A);
  need_float_out(c);
  const int n = static_cast<int>(A.rows);
  const int64_t count = static_cast<int64_t>(A.offs.size()), per = static_cast<int64_t>(n + 1) * n;
  need_out_size(c, count * per);
  const int64_t bad = first_not_finite(A, true);
  if (bad >= 0) fail_linalg(NOT_FINITE, bad);
  if (n == 0 || count == 0) return;
  // Workspace sizes, asked once for the call.
  int lwork = -1, liwork = -1, info = 0, iq = 0;
  double wq = 0, dummy = 0;
  dsyevd_("V", "L", &n, &dummy, &n, &dummy, &wq, &lwork, &iq, &liwork, &info, 1, 1);
  lwork = std::max(1, static_cast<int>(wq)), liwork = std::max(1, iq);
  const View& o = c.out;
  each_matrix<EighScratch>(count, static_cast<int64_t>(n) * n * n, "dsyevd", [&](int64_t i, EighScratch& s) {
    s.a.resize(static_cast<size_t>(n) * n), s.w.resize(n), s.work.resize(lwork), s.iwork.resize(liwork);
    A.load(i, s.a.data());
    int err = 0;
    dsyevd_("V", "L", &n, s.a.data(), &n, s.w.data(), s.work.data(), &lwork, s.iwork.data(), &liwork, &err, 1, 1);
    if (err != 0) return err;
    const int64_t base = o.offset + i * per;
    for (int64_t j = 0; j < n; j++) {
      double* v = s.a.data() + j * n;  // eigenvector j, contiguous (column-major)
      largest_positive(v, n, 1);
      store_any(o.data, o.dtype, base + j, s.w[j]);
      for (int64_t r = 0; r < n; r++) store_any(o.data, o.dtype, base + (r + 1) * n + j, v[r]);
    }
    return 0;
  });
}

// Reduced SVD, k = min(m, n), singular values descending, by LAPACK's one-sided Jacobi (dgesvj),
// the reference's method: its rotations orthogonalize the columns of A (or of A^T when m < n)
// without forming A^T A, so small singular values keep their relative accuracy, and exactly
// dependent columns give singular values of exactly 0. computeUV: packed per matrix as
// [m + 1 + k, n] (U in rows :m, first k columns; S in row m, first k entries; Vh in rows m + 1:;
// zeros elsewhere), each column of U with its largest-magnitude entry positive (Vh's row follows);
// the singular vectors of the longer side for zero singular values complete it to an orthonormal
// set as in the reference. Otherwise the singular values alone, [k], computed the same way (so they
// are the same bits as svd's).
void k_svd(Call& c) {
  const Matrices A(c, c.in.at(0));
  const bool uv = c.attrs.num() != 0;
  need_float_out(c);
  if (A.rows > 46340 || A.cols > 46340) fail(Error::Range, "svd: matrices " + fmt_shape(A.v) + " are too large for LAPACK's int32 sizes");
  const int m = static_cast<int>(A.rows), n = static_cast<int>(A.cols), k = std::min(m, n);
  const int64_t count = static_cast<int64_t>(A.offs.size()), per = uv ? static_cast<int64_t>(m + 1 + k) * n : k;
  need_out_size(c, count * per);
  const int64_t bad = first_not_finite(A, false);
  if (bad >= 0) fail_linalg(NOT_FINITE, bad);
  const View& o = c.out;
  if (k == 0) {
    for (int64_t j = 0; j < count * per; j++) store_any(o.data, o.dtype, o.offset + j, 0.0);
    return;
  }
  // G (rows x k, column-major) is A when tall, A^T when wide: G = L diag(s) R^T, with L's columns
  // the singular vectors of the longer side.
  const bool tall = m >= n;
  const int rows = std::max(m, n), mv = 0, lwork = std::max(6, m + n);
  each_matrix<SvdScratch>(count, static_cast<int64_t>(rows) * k * k * 8, "dgesvj", [&](int64_t i, SvdScratch& s) {
    s.g.resize(static_cast<size_t>(rows) * k), s.s.resize(k), s.v.resize(static_cast<size_t>(k) * k), s.work.resize(lwork);
    A.load(i, s.g.data(), !tall);
    int err = 0;
    dgesvj_("G", "U", "V", &rows, &k, s.g.data(), &rows, s.s.data(), &mv, s.v.data(), &k, s.work.data(), &lwork, &err, 1, 1, 1);
    if (err != 0) return err;
    const double scale = s.work[0];  // the singular values are scale * sva
    for (int64_t r = 0; r < k; r++) s.s[r] *= scale;
    const int64_t base = o.offset + i * per;
    if (!uv) {
      for (int64_t j = 0; j < k; j++) store_any(o.data, o.dtype, base + j, s.s[j]);
      return 0;
    }
    for (int64_t r = 0; r < k; r++) {
      if (!(s.s[r] > 0)) complete_orthonormal(s.g.data(), r, rows, k, s.cand, s.best);
    }
    // U's column r and Vh's row r, both contiguous: columns of G and of V.
    double* U = tall ? s.g.data() : s.v.data();
    double* Vh = tall ? s.v.data() : s.g.data();
    for (int64_t r = 0; r < k; r++) {
      if (largest_positive(U + r * m, m, 1)) {
        for (int64_t j = 0; j < n; j++) Vh[r * n + j] = -Vh[r * n + j];
      }
    }
    for (int64_t r = 0; r < m; r++)
      for (int64_t col = 0; col < n; col++) store_any(o.data, o.dtype, base + r * n + col, col < k ? U[col * m + r] : 0.0);
    for (int64_t col = 0; col < n; col++) store_any(o.data, o.dtype, base + m * n + col, col < k ? s.s[col] : 0.0);
    for (int64_t r = 0; r < k; r++)
      for (int64_t col = 0; col < n; col++) store_any(o.data, o.dtype, base + (m + 1 + r) * n + col, Vh[r * n + col]);
    return 0;
  });
}

}  // namespace tg
