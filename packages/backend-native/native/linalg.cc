// Factorizations through OpenBLAS's LAPACK (its Fortran symbols): solve (dgetrf + dgetrs), slogdet
// (dgetrf) and cholesky (dpotrf). Each batch entry is copied into float64 column-major scratch
// (whatever the input's dtype and strides), factorized, and rounded into the output once, as the
// reference kernels (packages/tensor/src/backend/js/linalg.ts) do; a failure becomes the same
// LinAlgError, with the batch entry that failed.
#include <algorithm>
#include <string>
#include <vector>

#include "iter.h"
#include "tg.h"

extern "C" {
void dgetrf_(const int* m, const int* n, double* a, const int* lda, int* ipiv, int* info);
void dgetrs_(const char* trans, const int* n, const int* nrhs, const double* a, const int* lda, const int* ipiv, double* b, const int* ldb, int* info, size_t trans_len);
void dgeqrf_(const int* m, const int* n, double* a, const int* lda, double* tau, double* work, const int* lwork, int* info);
void dorgqr_(const int* m, const int* n, const int* k, double* a, const int* lda, const double* tau, double* work, const int* lwork, int* info);
void dpotrf_(const char* uplo, const int* n, double* a, const int* lda, int* info, size_t uplo_len);
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
  // Batch entry i into dst, column-major (leading dimension rows).
  void load(int64_t i, double* dst) const {
    const int64_t o = offs[i];
    for (int64_t c = 0; c < cols; c++)
      for (int64_t r = 0; r < rows; r++) dst[c * rows + r] = load_any(v.data, v.dtype, o + r * rs + c * cs);
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

}  // namespace tg
