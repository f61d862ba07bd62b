// Batched matmul: float32/float64 through CBLAS (OpenBLAS), int32 as a plain loop that wraps like
// the reference. Strided operands go to BLAS as they are whenever one of their strides is 1
// (a transposed view becomes a transposed-operand call, as in every matmul gradient); any other
// layout is packed into a contiguous scratch first. Batches of matrices (attention heads,
// convolution over a batch of images) and single products up to HUGE_GEMM run as
// single-threaded GEMMs: spread over the thread pool, a large product cut into slices of rows
// or columns; only larger single products run on OpenBLAS's own threads.
#include <cblas.h>
#ifdef TG_DNNL
#include <omp.h>
#include <oneapi/dnnl/dnnl.h>
#endif

#include <algorithm>
#include <climits>
#include <type_traits>

#include "iter.h"
#include "tg.h"

namespace tg {
namespace {

// Multiply-adds per matrix below which OpenBLAS runs a GEMM on one thread (65536 * 4, its
// GEMM_MULTITHREAD_THRESHOLD), so such matrices are better spread over the pool instead.
constexpr int64_t SMALL_GEMM = 262144;
// Multiply-adds of a single product from which OpenBLAS's own threads run it (sharing packed
// panels pays there, as on a 1024^3 product); smaller products and batches are split over the
// pool. At 2^26 a transformer's [1024,128]x[128,512] products went to OpenBLAS's threads and ran
// at 46-64 GFLOP/s inside a training step, against 150+ as two slices on the pool.
constexpr int64_t HUGE_GEMM = int64_t(1) << 28;
// Fewest rows or columns, and multiply-adds, of a slice of one product: every slice packs its
// own copy of the operand it shares, which only pays on large slices (a [64,784]x[784,128]
// product runs faster whole on one thread than in four slices on two).
constexpr int64_t MIN_SLICE = 16;
constexpr int64_t MIN_SLICE_WORK = int64_t(1) << 22;

// float32 products go to oneDNN's GEMM when the build found it: its kernels are generated for the
// CPU at hand (AVX-512 where there is one), where OpenBLAS runs the kernels its CPU detection, or
// OPENBLAS_CORETYPE, picks. Each call runs on the thread that makes it: the pool splits the work,
// and oneDNN's OpenMP is held to one thread on every thread that calls it. Except for a transposed
// b with fewer than DNNL_TRANS_B_ROWS rows of output: there oneDNN 2.6 was up to 30x slower than
// OpenBLAS with operands not in cache (64 products [16,196]x[196,72]^T: 2.25 ms against 0.16; a
// convolution's weight gradient), and as fast or faster from 128 rows on (an MLP's x W^T).
constexpr int DNNL_TRANS_B_ROWS = 128;
constexpr bool DNNL_SGEMM =
#ifdef TG_DNNL
    true;
#else
    false;
#endif

inline void gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int m, int n, int k, const float* a, int lda, const float* b, int ldb, float* c, int ldc) {
#ifdef TG_DNNL
  thread_local const bool serial = (omp_set_num_threads(1), true);
  (void)serial;
  if ((tb == CblasNoTrans || m >= DNNL_TRANS_B_ROWS) &&
      dnnl_sgemm(ta == CblasNoTrans ? 'N' : 'T', tb == CblasNoTrans ? 'N' : 'T', m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, ldc) == dnnl_success) {
    return;
  }
#endif
  cblas_sgemm(CblasRowMajor, ta, tb, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, ldc);
}
inline void gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int m, int n, int k, const double* a, int lda, const double* b, int ldb, double* c, int ldc) {
  cblas_dgemm(CblasRowMajor, ta, tb, m, n, k, 1.0, a, lda, b, ldb, 0.0, c, ldc);
}

// How BLAS can read a rows x cols matrix with strides (rs, cs) in place: row-major (NoTrans) when
// its columns are contiguous, the transpose of a row-major matrix (Trans) when its rows are.
bool blas_layout(int64_t rs, int64_t cs, int64_t rows, int64_t cols, CBLAS_TRANSPOSE& t, int64_t& ld) {
  if ((cs == 1 || cols == 1) && (rows == 1 || rs >= std::max<int64_t>(cols, 1))) {
    t = CblasNoTrans;
    ld = rows == 1 ? std::max<int64_t>(cols, 1) : rs;
  } else if ((rs == 1 || rows == 1) && (cols == 1 || cs >= std::max<int64_t>(rows, 1))) {
    t = CblasTrans;
    ld = cols == 1 ? std::max<int64_t>(rows, 1) : cs;
  } else {
    return false;
  }
  return ld <= INT_MAX;
}

template <class T>
struct Operand {
  const T* p;
  CBLAS_TRANSPOSE t;
  int ld;
};

// The matrix at base as BLAS reads it: in place, or packed row-major into `scratch`.
template <class T>
Operand<T> operand(const T* base, int64_t rs, int64_t cs, int64_t rows, int64_t cols, std::vector<T>& scratch) {
  CBLAS_TRANSPOSE t;
  int64_t ld;
  if (blas_layout(rs, cs, rows, cols, t, ld)) return {base, t, static_cast<int>(ld)};
  scratch.resize(rows * cols);
  for (int64_t i = 0; i < rows; i++)
    for (int64_t j = 0; j < cols; j++) scratch[i * cols + j] = base[i * rs + j * cs];
  return {scratch.data(), CblasNoTrans, static_cast<int>(std::max<int64_t>(cols, 1))};
}

// OpenBLAS runs on one thread for the duration of a matmul call that the pool splits, and gets
// its thread count back afterwards (LAPACK calls elsewhere keep using its threads).
class SerialBlas {
 public:
  SerialBlas() {
#ifdef OPENBLAS_VERSION
    saved_ = openblas_get_num_threads();
    if (saved_ > 1) openblas_set_num_threads(1);
#endif
  }
  ~SerialBlas() {
#ifdef OPENBLAS_VERSION
    if (saved_ > 1) openblas_set_num_threads(saved_);
#endif
  }
  SerialBlas(const SerialBlas&) = delete;
  SerialBlas& operator=(const SerialBlas&) = delete;

 private:
  int saved_ = 1;
};

template <class T>
void float_matmul(const View& a, const View& b, const View& o, const std::vector<std::array<int64_t, 2>>& offs,
                  int64_t M, int64_t K, int64_t N, int64_t ars, int64_t acs, int64_t brs, int64_t bcs) {
  const T* ab = a.ptr<T>();
  const T* bb = b.ptr<T>();
  T* ob = o.ptr<T>() + o.offset;
  const int64_t batch = static_cast<int64_t>(offs.size());
  const int64_t mnk = M * N * K;
  // Work is cut into units: a whole matrix product, or a slice of one along its larger output
  // dim (rows of M or columns of N), one per thread (each slice packs the shared operand again, so
  // more slices cost more than they balance: at 256^3, four slices gave 0.86x torch's GFLOP/s and
  // two 0.94x). The caller takes units itself, so a thread the system holds back delays only the
  // unit it has claimed, where OpenBLAS's own threads split a GEMM in fixed halves and wait for
  // both (milliseconds on a busy machine, against 0.1 ms of work for a Linear layer's product).
  const int threads = pool_threads();
  const bool huge = mnk >= HUGE_GEMM && batch == 1 && !(DNNL_SGEMM && std::is_same_v<T, float>);
  const bool split_m = M >= N;
  const int64_t dim = split_m ? M : N;
  int64_t slices = 1;
  if (threads > 1 && !huge && mnk > SMALL_GEMM && batch < 2 * threads) {
    const int64_t want = (threads + batch - 1) / batch;
    slices = std::max<int64_t>(1, std::min({want, dim / MIN_SLICE, mnk / MIN_SLICE_WORK}));
  }
  auto unit = [&](int64_t u) {
    thread_local std::vector<T> sa, sb;
    const int64_t i = u / slices, s = u % slices;
    const int64_t lo = dim * s / slices, hi = dim * (s + 1) / slices;
    const int64_t m = split_m ? hi - lo : M, n = split_m ? N : hi - lo;
    const T* ap = ab + offs[i][0] + (split_m ? lo * ars : 0);
    const T* bp = bb + offs[i][1] + (split_m ? 0 : lo * bcs);
    T* c = ob + i * M * N + (split_m ? lo * N : lo);
    if (K == 0) {
      for (int64_t r = 0; r < m; r++) std::fill(c + r * N, c + r * N + n, T(0));
      return;
    }
    Operand<T> x = operand(ap, ars, acs, m, K, sa);
    Operand<T> y = operand(bp, brs, bcs, K, n, sb);
    gemm(x.t, y.t, static_cast<int>(m), static_cast<int>(n), static_cast<int>(K), x.p, x.ld, y.p, y.ld, c, static_cast<int>(N));
  };
  const int64_t units = batch * slices;
  if (huge) {
    unit(0);
    return;
  }
  SerialBlas serial;  // a product too small to slice runs whole on the calling thread
  if (units == 1 || threads == 1) {
    for (int64_t u = 0; u < units; u++) unit(u);
    return;
  }
  const int64_t per_unit = std::max<int64_t>(mnk / slices, 1);
  parallel_for(units, std::max<int64_t>(1, SMALL_GEMM / per_unit), [&](int64_t lo, int64_t hi) {
    for (int64_t u = lo; u < hi; u++) unit(u);
  });
}

// int32: sums of products modulo 2^32, as Math.imul and `| 0` give in the reference.
void int_matmul(const View& a, const View& b, const View& o, const std::vector<std::array<int64_t, 2>>& offs,
                int64_t M, int64_t K, int64_t N, int64_t ars, int64_t acs, int64_t brs, int64_t bcs) {
  const int32_t* ab = a.ptr<int32_t>();
  const int32_t* bb = b.ptr<int32_t>();
  int32_t* ob = o.ptr<int32_t>() + o.offset;
  const int64_t rows = static_cast<int64_t>(offs.size()) * M;
  parallel_for(rows, std::max<int64_t>(1, (1 << 15) / std::max<int64_t>(N * K, 1)), [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; r++) {
      const int64_t i = r / M, row = r % M;
      const int32_t* ar = ab + offs[i][0] + row * ars;
      for (int64_t j = 0; j < N; j++) {
        uint32_t s = 0;
        const int32_t* bc = bb + offs[i][1] + j * bcs;
        for (int64_t k = 0; k < K; k++) s += static_cast<uint32_t>(ar[k * acs]) * static_cast<uint32_t>(bc[k * brs]);
        ob[r * N + j] = static_cast<int32_t>(s);
      }
    }
  });
}

}  // namespace

// a [..., M, K] @ b [..., K, N] with equal (already broadcast) batch dims, any strides.
void k_matmul(Call& c) {
  const View& a = c.in.at(0);
  const View& b = c.in.at(1);
  const View& o = c.out;
  const int nd = o.ndim;
  bool ok = nd >= 2 && a.ndim == nd && b.ndim == nd;
  for (int d = 0; ok && d < nd - 2; d++) ok = a.shape[d] == o.shape[d] && b.shape[d] == o.shape[d];
  const int64_t M = ok ? o.shape[nd - 2] : 0, N = ok ? o.shape[nd - 1] : 0, K = ok ? a.shape[nd - 1] : 0;
  ok = ok && a.shape[nd - 2] == M && b.shape[nd - 2] == K && b.shape[nd - 1] == N;
  if (!ok) fail(Error::Range, "matmul: cannot multiply " + fmt_shape(a) + " by " + fmt_shape(b) + " into " + fmt_shape(o));
  if (a.dtype != o.dtype || b.dtype != o.dtype || o.dtype == BOOL) {
    fail(Error::Type, std::string("matmul: expected float32, float64 or int32 operands of the output's dtype, got ") + dtype_name(a.dtype) + ", " + dtype_name(b.dtype) + " into " + dtype_name(o.dtype));
  }
  if (M > INT_MAX || N > INT_MAX || K > INT_MAX) fail(Error::Range, "matmul: matrices too large for BLAS: " + fmt_shape(o));
  // Offsets of every batch entry's matrices, in row-major batch order.
  Rows<2> batch(o.shape, nd - 2, {a.strides, b.strides}, {a.offset, b.offset});
  std::vector<std::array<int64_t, 2>> offs;
  offs.reserve(batch.total);
  batch.walk(0, batch.total, [&](Rows<2>::Offs p, int64_t n, Rows<2>::Offs s) {
    for (int64_t i = 0; i < n; i++) offs.push_back({p[0] + i * s[0], p[1] + i * s[1]});
  });
  if (M == 0 || N == 0 || offs.empty()) return;
  const int64_t ars = a.strides[nd - 2], acs = a.strides[nd - 1], brs = b.strides[nd - 2], bcs = b.strides[nd - 1];
  // A batch of matrices times one matrix (a Linear layer on [batch, seq, features]) is one GEMM
  // when the batch's rows follow each other at a's row stride: [batch * M, K] @ [K, N].
  const int64_t entries = static_cast<int64_t>(offs.size());
  if (entries > 1 && entries * M <= INT_MAX) {
    bool merged = true;
    for (int64_t i = 1; merged && i < entries; i++) merged = offs[i][1] == offs[0][1] && offs[i][0] == offs[0][0] + i * M * ars;
    if (merged) {
      offs.resize(1);
      if (o.dtype == F32) return float_matmul<float>(a, b, o, offs, entries * M, K, N, ars, acs, brs, bcs);
      if (o.dtype == F64) return float_matmul<double>(a, b, o, offs, entries * M, K, N, ars, acs, brs, bcs);
      return int_matmul(a, b, o, offs, entries * M, K, N, ars, acs, brs, bcs);
    }
  }
  if (o.dtype == F32) float_matmul<float>(a, b, o, offs, M, K, N, ars, acs, brs, bcs);
  else if (o.dtype == F64) float_matmul<double>(a, b, o, offs, M, K, N, ars, acs, brs, bcs);
  else int_matmul(a, b, o, offs, M, K, N, ars, acs, brs, bcs);
}

// Which BLAS this build calls, for nativeInfo().
std::string blas_info() {
#ifdef OPENBLAS_VERSION
  std::string info = std::string("OpenBLAS ") + openblas_get_config() + " (" + openblas_get_corename() + ", " + std::to_string(openblas_get_num_threads()) + " threads)";
#else
  std::string info = "CBLAS";
#endif
#ifdef TG_DNNL
  const dnnl_version_t* v = dnnl_version();
  const dnnl_cpu_isa_t isa = dnnl_get_effective_cpu_isa();
  const char* name = isa == dnnl_cpu_isa_avx512_core_amx ? "avx512_core_amx" : isa == dnnl_cpu_isa_avx512_core_bf16 ? "avx512_core_bf16"
                   : isa == dnnl_cpu_isa_avx512_core_vnni ? "avx512_core_vnni" : isa == dnnl_cpu_isa_avx512_core ? "avx512_core"
                   : isa == dnnl_cpu_isa_avx2_vnni ? "avx2_vnni" : isa == dnnl_cpu_isa_avx2 ? "avx2" : isa == dnnl_cpu_isa_avx ? "avx" : "sse41";
  info += "; float32 GEMM: oneDNN " + std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch) + " (" + name + ")";
#endif
  return info;
}

void set_blas_threads(int n) {
#ifdef OPENBLAS_VERSION
  openblas_set_num_threads(n);
#else
  (void)n;
#endif
}

}  // namespace tg
