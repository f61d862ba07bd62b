// Fused kernels: softmax and logSoftmax along one axis, GELU, layer normalization, and the
// derivative primitives their VJPs call. Each computes what the TypeScript reference computes
// (packages/tensor/src/backend/js/fused.ts) in one pass over each slice: sums accumulate in
// double, exp/erf/tanh come from vmath.h (SLEEF vectors when built with it) on per-thread buffers,
// float32 tensors compute in float there. Slices are split over the thread pool.
#include <algorithm>
#include <limits>
#include <vector>

#include "iter.h"
#include "tg.h"
#include "vmath.h"

namespace tg {
namespace {

// Elements (summed over slices) from which a kernel is split over the pool.
constexpr int64_t PAR_FROM = 1 << 15;
// axpy is memory-bound: threads pay from a smaller size than the elementwise kernels' 2^18.
constexpr int64_t PAR_AXPY = 1 << 16;
// Elements staged per buffer in the elementwise (GELU) kernels.
constexpr int64_t BLOCK = 256;

// Every operand must be a float view of the output's shape and dtype.
void check_operands(const Call& c, int k) {
  if (c.out.dtype != F32 && c.out.dtype != F64) fail(Error::Type, std::string(c.op) + ": expected a float output, got " + dtype_name(c.out.dtype));
  for (int i = 0; i < k; i++) {
    same_shape(c, c.in.at(i), c.out, "input");
    need_dtype(c, c.in.at(i), c.out.dtype, "input");
  }
}

// The slices of K views (the output first, then the inputs) of one shape over the dims `inner`:
// the outer dims walk the slices' starts, and each operand's `offs` hold the offsets of a slice's
// elements (row-major over the inner dims) from its start.
template <int K>
struct Slices {
  std::vector<int64_t> offs[K];
  int64_t n = 1;
  bool unit[K];  // offs[k][i] == i: the slice is contiguous in operand k
  std::vector<int64_t> outer_shape;

  Slices(const std::array<const View*, K>& v, const std::vector<bool>& inner) {
    const View& o = *v[0];
    outer_shape.assign(o.shape, o.shape + o.ndim);
    std::vector<int> dims;
    for (int d = 0; d < o.ndim; d++) {
      if (!inner[d]) continue;
      dims.push_back(d);
      n *= o.shape[d];
      outer_shape[d] = 1;
    }
    for (int k = 0; k < K; k++) {
      offs[k].assign(n, 0);
      // Row-major over the inner dims: the last inner dim moves fastest.
      int64_t step = 1;
      for (int j = static_cast<int>(dims.size()) - 1; j >= 0; j--) {
        const int64_t len = o.shape[dims[j]], st = v[k]->strides[dims[j]];
        for (int64_t i = 0; i < n; i++) offs[k][i] += ((i / step) % len) * st;
        step *= len;
      }
      unit[k] = true;
      for (int64_t i = 0; i < n && unit[k]; i++) unit[k] = offs[k][i] == i;
    }
  }

  // Calls slice(starts) for every slice, on the thread pool when there is enough work.
  template <class F>
  void run(const std::array<const View*, K>& v, F&& slice) const {
    if (n == 0) return;
    std::array<const int64_t*, K> st;
    typename Rows<K>::Offs starts;
    for (int k = 0; k < K; k++) st[k] = v[k]->strides, starts[k] = v[k]->offset;
    Rows<K> rows(outer_shape.data(), v[0]->ndim, st, starts);
    auto walk = [&](int64_t lo, int64_t hi) {
      rows.walk(lo, hi, [&](typename Rows<K>::Offs p, int64_t m, typename Rows<K>::Offs s) {
        typename Rows<K>::Offs b;
        for (int64_t i = 0; i < m; i++) {
          for (int k = 0; k < K; k++) b[k] = p[k] + i * s[k];
          slice(b);
        }
      });
    };
    if (rows.total * n < PAR_FROM) walk(0, rows.total);
    else parallel_for(rows.total, std::max<int64_t>(1, PAR_FROM / 2 / n), walk);
  }

  // Operand k's i-th element of the slice starting at b.
  int64_t at(int k, int64_t b, int64_t i) const { return unit[k] ? b + i : b + offs[k][i]; }
};

// A per-thread buffer of at least n elements of C.
template <class C>
C* scratch(int slot, int64_t n) {
  thread_local std::vector<C> bufs[2];
  if (static_cast<int64_t>(bufs[slot].size()) < n) bufs[slot].resize(n);
  return bufs[slot].data();
}

// Calls f with a null float* or double* for the output's dtype.
template <class F>
void with_float(const View& o, F&& f) {
  if (o.dtype == F32) f(static_cast<float*>(nullptr));
  else f(static_cast<double*>(nullptr));
}

std::vector<bool> axis_mask(const Call& c, int64_t axis) {
  const View& o = c.out;
  if (o.ndim > 0 && (axis < 0 || axis >= o.ndim)) {
    fail(Error::Range, std::string(c.op) + ": axis " + std::to_string(axis) + " is out of range for input " + fmt_shape(o));
  }
  std::vector<bool> inner(o.ndim, false);
  if (o.ndim > 0) inner[axis] = true;
  return inner;
}

// ---- softmax and logSoftmax ----------------------------------------------------------------------

// The larger of m and v, NaN once either is NaN (as the reference's running maximum).
template <class T>
inline T nan_max(T m, T v) { return (v > m || v != v) && m == m ? v : m; }

// Sum of e[0, n) in double, in four interleaved partial sums (softmax is compared with the
// reference within rounding, so the order may differ; the chains run in parallel).
template <class T>
inline double sum4(const T* e, int64_t n) {
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) s0 += e[i], s1 += e[i + 1], s2 += e[i + 2], s3 += e[i + 3];
  for (; i < n; i++) s0 += e[i];
  return (s0 + s1) + (s2 + s3);
}

// softmax / logSoftmax of one slice: x read through xi(i), written through oi(i); e is scratch.
template <bool log, class T, class XI, class OI>
inline void softmax_slice(const T* xb, T* ob, T* e, int64_t n, int64_t np, XI&& xi, OI&& oi) {
  T m0 = -std::numeric_limits<T>::infinity(), m1 = m0;
  int64_t i = 0;
  for (; i + 2 <= n; i += 2) {
    const T a = xb[xi(i)], b = xb[xi(i + 1)];
    e[i] = a, e[i + 1] = b;
    m0 = nan_max(m0, a), m1 = nan_max(m1, b);
  }
  for (; i < n; i++) e[i] = xb[xi(i)], m0 = nan_max(m0, e[i]);
  T m = nan_max(m0, m1);
  // logSoftmax shifts by 0 when the maximum is infinite (or NaN), as logsumexp does: a slice with
  // +Infinity gives -Infinity at its finite entries and NaN at the infinite ones.
  if (log && !std::isfinite(m)) m = 0;
  for (int64_t j = 0; j < n; j++) e[j] -= m;
  std::fill(e + n, e + np, T(0));
  if constexpr (log) {
    // e holds x - m until the exp; the output needs it after.
    T* d = scratch<T>(1, np);
    std::copy(e, e + n, d);
    vmath::exp(e, np);
    const T ls = static_cast<T>(std::log(sum4(e, n)));
    for (int64_t j = 0; j < n; j++) ob[oi(j)] = d[j] - ls;
  } else {
    vmath::exp(e, np);
    const T inv = static_cast<T>(1 / sum4(e, n));
    for (int64_t j = 0; j < n; j++) ob[oi(j)] = e[j] * inv;
  }
}

template <bool log>
void softmax(Call& c) {
  check_operands(c, 1);
  const View &o = c.out, &x = c.in.at(0);
  const std::array<const View*, 2> v{&o, &x};
  const Slices<2> sl(v, axis_mask(c, c.attrs.integer()));
  with_float(o, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    const T* xb = x.ptr<T>();
    T* ob = o.ptr<T>();
    const int64_t n = sl.n, np = vmath::padded(n);
    const bool dense = sl.unit[0] && sl.unit[1];
    sl.run(v, [&](typename Rows<2>::Offs b) {
      T* e = scratch<T>(0, np);
      if (dense) softmax_slice<log>(xb + b[1], ob + b[0], e, n, np, [](int64_t i) { return i; }, [](int64_t i) { return i; });
      else softmax_slice<log>(xb, ob, e, n, np, [&](int64_t i) { return sl.at(1, b[1], i); }, [&](int64_t i) { return sl.at(0, b[0], i); });
    });
  });
}

// softmaxBackward: y (g - sum(g y)); logSoftmaxBackward: g - exp(y) sum(g).
template <bool log>
void softmax_backward(Call& c) {
  check_operands(c, 2);
  const View &o = c.out, &y = c.in.at(0), &g = c.in.at(1);
  const std::array<const View*, 3> v{&o, &y, &g};
  const Slices<3> sl(v, axis_mask(c, c.attrs.integer()));
  with_float(o, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    const T *yb = y.ptr<T>(), *gb = g.ptr<T>();
    T* ob = o.ptr<T>();
    const int64_t n = sl.n, np = vmath::padded(n);
    sl.run(v, [&](typename Rows<3>::Offs b) {
      double s = 0;
      if constexpr (log) {
        T* p = scratch<T>(0, np);
        for (int64_t i = 0; i < n; i++) s += gb[sl.at(2, b[2], i)], p[i] = yb[sl.at(1, b[1], i)];
        std::fill(p + n, p + np, T(0));
        vmath::exp(p, np);
        for (int64_t i = 0; i < n; i++) ob[sl.at(0, b[0], i)] = static_cast<T>(gb[sl.at(2, b[2], i)] - p[i] * s);
      } else {
        for (int64_t i = 0; i < n; i++) s += static_cast<double>(gb[sl.at(2, b[2], i)]) * yb[sl.at(1, b[1], i)];
        for (int64_t i = 0; i < n; i++) {
          const double yv = yb[sl.at(1, b[1], i)];
          ob[sl.at(0, b[0], i)] = static_cast<T>(yv * (gb[sl.at(2, b[2], i)] - s));
        }
      }
    });
  });
}

// ---- GELU ------------------------------------------------------------------------------------------

constexpr double SQRT_2_OVER_PI = 0.79788456080286535588;  // sqrt(2/pi)
constexpr double INV_SQRT_2PI = 0.39894228040143267794;    // 1/sqrt(2 pi)
constexpr double SQRT1_2 = 0.70710678118654752440;
constexpr double GELU_A = 0.044715;

// erf(v) into b, and exp(-v^2) into e unless null, for buffers of padded length n. float32 with
// vector math uses Abramowitz and Stegun's 7.1.26, 1 - t (a1 + t (a2 + ... + t a5)) exp(-v^2) with
// t = 1 / (1 + p |v|), |error| < 1.5e-7 (float32's own rounding is 6e-8 relative): SLEEF's erf costs
// four times its exp, and GELU's derivative needs that exp anyway. Otherwise vmath's erf and exp.
template <class C>
inline void erf_and_gauss(C* b, C* e, int64_t n) {
#ifdef TG_VECTOR_MATH
  if constexpr (std::is_same_v<C, float>) {
    const __m256 one = _mm256_set1_ps(1.0f), sign = _mm256_set1_ps(-0.0f), p = _mm256_set1_ps(0.3275911f);
    const __m256 a1 = _mm256_set1_ps(0.254829592f), a2 = _mm256_set1_ps(-0.284496736f), a3 = _mm256_set1_ps(1.421413741f);
    const __m256 a4 = _mm256_set1_ps(-1.453152027f), a5 = _mm256_set1_ps(1.061405429f);
    for (int64_t i = 0; i < n; i += 8) {
      const __m256 v = _mm256_loadu_ps(b + i);
      const __m256 t = _mm256_div_ps(one, _mm256_add_ps(one, _mm256_mul_ps(p, _mm256_andnot_ps(sign, v))));
      const __m256 g = Sleef_expf8_u10(_mm256_xor_ps(_mm256_mul_ps(v, v), sign));
      __m256 q = _mm256_add_ps(_mm256_mul_ps(a5, t), a4);
      q = _mm256_add_ps(_mm256_mul_ps(q, t), a3);
      q = _mm256_add_ps(_mm256_mul_ps(q, t), a2);
      q = _mm256_add_ps(_mm256_mul_ps(q, t), a1);
      const __m256 r = _mm256_sub_ps(one, _mm256_mul_ps(_mm256_mul_ps(q, t), g));
      _mm256_storeu_ps(b + i, _mm256_or_ps(r, _mm256_and_ps(v, sign)));
      if (e != nullptr) _mm256_storeu_ps(e + i, g);
    }
    return;
  }
#endif
  if (e != nullptr) {
    for (int64_t i = 0; i < n; i++) e[i] = -b[i] * b[i];
    vmath::exp(e, n);
  }
  vmath::erf(b, n);
}

// gelu (backward: g gelu'(x)) over a block of m values of x (and g), padded to mp, into out.
template <bool backward, class C>
inline void gelu_block(const C* x, const C* g, C* out, int64_t m, int64_t mp, bool tanh_form) {
  C* t = scratch<C>(0, mp);
  if (tanh_form) {
    for (int64_t i = 0; i < m; i++) t[i] = (x[i] + x[i] * x[i] * x[i] * C(GELU_A)) * C(SQRT_2_OVER_PI);
    std::fill(t + m, t + mp, C(0));
    vmath::tanh(t, mp);
    for (int64_t i = 0; i < m; i++) {
      if constexpr (backward) {
        const C xv = x[i];
        out[i] = g[i] * (C(0.5) * (1 + t[i]) + C(0.5) * xv * (1 - t[i] * t[i]) * C(SQRT_2_OVER_PI) * (1 + C(3 * GELU_A) * xv * xv));
      } else {
        out[i] = x[i] * C(0.5) * (t[i] + 1);
      }
    }
    return;
  }
  for (int64_t i = 0; i < m; i++) t[i] = x[i] * C(SQRT1_2);
  std::fill(t + m, t + mp, C(0));
  if constexpr (backward) {
    C* e = scratch<C>(1, mp);  // exp(-x^2 / 2)
    erf_and_gauss(t, e, mp);
    for (int64_t i = 0; i < m; i++) out[i] = g[i] * (C(0.5) * (1 + t[i]) + x[i] * e[i] * C(INV_SQRT_2PI));
  } else {
    erf_and_gauss(t, static_cast<C*>(nullptr), mp);
    for (int64_t i = 0; i < m; i++) out[i] = x[i] * C(0.5) * (t[i] + 1);
  }
}

template <bool backward>
void gelu(Call& c) {
  constexpr int K = backward ? 3 : 2;
  check_operands(c, K - 1);
  const View& o = c.out;
  const bool tanh_form = c.attrs.num() != 0;
  std::array<const int64_t*, K> st;
  typename Rows<K>::Offs starts;
  for (int k = 0; k < K; k++) {
    const View& v = k == 0 ? o : c.in.at(k - 1);
    st[k] = v.strides, starts[k] = v.offset;
  }
  Rows<K> rows(o.shape, o.ndim, st, starts);
  with_float(o, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    const T* xb = c.in.at(0).template ptr<T>();
    const T* gb = backward ? c.in.at(1).template ptr<T>() : nullptr;
    T* ob = o.ptr<T>();
    rows.run(PAR_FROM, [&](typename Rows<K>::Offs p, int64_t n, typename Rows<K>::Offs s) {
      alignas(32) T xs[BLOCK], gs[BLOCK], os[BLOCK];
      for (int64_t b0 = 0; b0 < n; b0 += BLOCK) {
        const int64_t m = std::min(BLOCK, n - b0), mp = vmath::padded(m);
        for (int64_t i = 0; i < m; i++) xs[i] = xb[p[1] + (b0 + i) * s[1]];
        if constexpr (backward) {
          for (int64_t i = 0; i < m; i++) gs[i] = gb[p[2] + (b0 + i) * s[2]];
        }
        gelu_block<backward>(xs, gs, os, m, mp, tanh_form);
        for (int64_t i = 0; i < m; i++) ob[p[0] + (b0 + i) * s[0]] = os[i];
      }
    });
  });
}

// ---- layer normalization -----------------------------------------------------------------------------

std::vector<bool> trailing_mask(const Call& c, int64_t dims) {
  const View& o = c.out;
  if (dims < 1 || dims > o.ndim) fail(Error::Range, std::string(c.op) + ": cannot normalize over " + std::to_string(dims) + " trailing dims of " + fmt_shape(o));
  std::vector<bool> inner(o.ndim, false);
  for (int d = static_cast<int>(o.ndim - dims); d < o.ndim; d++) inner[d] = true;
  return inner;
}

// Mean and 1/sqrt(var + eps) (biased variance, two passes in double) of operand k's slice at b.
template <int K, class T>
inline void moments(const Slices<K>& sl, int k, int64_t b, const T* xb, double eps, double& mean, double& r) {
  const int64_t n = sl.n;
  double s = 0;
  for (int64_t i = 0; i < n; i++) s += xb[sl.at(k, b, i)];
  mean = s / n;
  double v = 0;
  for (int64_t i = 0; i < n; i++) {
    const double d = xb[sl.at(k, b, i)] - mean;
    v += d * d;
  }
  r = 1 / std::sqrt(v / n + eps);
}

void layer_norm(Call& c) {
  check_operands(c, 1);
  const View &o = c.out, &x = c.in.at(0);
  const std::array<const View*, 2> v{&o, &x};
  const Slices<2> sl(v, trailing_mask(c, c.attrs.integer()));
  const double eps = c.attrs.num();
  with_float(o, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    const T* xb = x.ptr<T>();
    T* ob = o.ptr<T>();
    sl.run(v, [&](typename Rows<2>::Offs b) {
      double mean, r;
      moments(sl, 1, b[1], xb, eps, mean, r);
      for (int64_t i = 0; i < sl.n; i++) ob[sl.at(0, b[0], i)] = static_cast<T>((xb[sl.at(1, b[1], i)] - mean) * r);
    });
  });
}

void layer_norm_backward(Call& c) {
  check_operands(c, 2);
  const View &o = c.out, &x = c.in.at(0), &g = c.in.at(1);
  const std::array<const View*, 3> v{&o, &x, &g};
  const Slices<3> sl(v, trailing_mask(c, c.attrs.integer()));
  const double eps = c.attrs.num();
  with_float(o, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    const T *xb = x.ptr<T>(), *gb = g.ptr<T>();
    T* ob = o.ptr<T>();
    const int64_t n = sl.n;
    sl.run(v, [&](typename Rows<3>::Offs b) {
      double mean, r;
      moments(sl, 1, b[1], xb, eps, mean, r);
      double sg = 0, sgx = 0;
      for (int64_t i = 0; i < n; i++) {
        const double gv = gb[sl.at(2, b[2], i)];
        sg += gv;
        sgx += gv * ((xb[sl.at(1, b[1], i)] - mean) * r);
      }
      const double mg = sg / n, mgx = sgx / n;
      for (int64_t i = 0; i < n; i++) {
        const double xhat = (xb[sl.at(1, b[1], i)] - mean) * r;
        ob[sl.at(0, b[0], i)] = static_cast<T>(r * (gb[sl.at(2, b[2], i)] - mg - xhat * mgx));
      }
    });
  });
}

// ---- elementwise fused primitives of two operands -------------------------------------------------

// out = f(x, y) for two operands of out's shape and float dtype, each element computed in double
// and rounded once to the output's dtype, as the reference does (no contraction into an FMA: the
// build has -ffp-contract=off). The output may be x itself (an optimizer's in-place update): each
// element of x is read before it is written.
template <class F>
void fused_binary(Call& c, F f) {
  check_operands(c, 2);
  const View& o = c.out;
  const View& x = c.in.at(0);
  const View& y = c.in.at(1);
  Rows<3> rows(o.shape, o.ndim, {o.strides, x.strides, y.strides}, {o.offset, x.offset, y.offset});
  with_float(o, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    const T* xb = x.ptr<T>();
    const T* yb = y.ptr<T>();
    T* ob = o.ptr<T>();
    rows.run(PAR_AXPY, [&](Rows<3>::Offs p, int64_t n, Rows<3>::Offs s) {
      T* out = ob + p[0];
      const T* xs = xb + p[1];
      const T* ys = yb + p[2];
      if (s[0] == 1 && s[1] == 1 && s[2] == 1) {
        for (int64_t i = 0; i < n; i++) out[i] = static_cast<T>(f(static_cast<double>(xs[i]), static_cast<double>(ys[i])));
      } else {
        for (int64_t i = 0; i < n; i++) out[i * s[0]] = static_cast<T>(f(static_cast<double>(xs[i * s[1]]), static_cast<double>(ys[i * s[2]])));
      }
    });
  });
}

// axpy: x + alpha y.
void axpy(Call& c) {
  const double alpha = c.attrs.num();
  fused_binary(c, [alpha](double x, double y) { return x + alpha * y; });
}

// tanh's and sigmoid's VJPs from the output y: [y, g] -> g (1 - y^2) or g y (1 - y).
template <bool sigmoid>
void slope_backward(Call& c) {
  fused_binary(c, [](double y, double g) { return g * (sigmoid ? y * (1 - y) : 1 - y * y); });
}

// relu's VJP from the input x: [x, g] -> g where x > 0, else +0 (a select: g * 0 would give -0,
// or NaN for an infinite g).
void relu_backward(Call& c) {
  fused_binary(c, [](double x, double g) { return x > 0 ? g : 0.0; });
}

}  // namespace

void k_axpy(Call& c) { axpy(c); }
void k_tanhBackward(Call& c) { slope_backward<false>(c); }
void k_sigmoidBackward(Call& c) { slope_backward<true>(c); }
void k_reluBackward(Call& c) { relu_backward(c); }
void k_softmax(Call& c) { softmax<false>(c); }
void k_logSoftmax(Call& c) { softmax<true>(c); }
void k_softmaxBackward(Call& c) { softmax_backward<false>(c); }
void k_logSoftmaxBackward(Call& c) { softmax_backward<true>(c); }
void k_gelu(Call& c) { gelu<false>(c); }
void k_geluBackward(Call& c) { gelu<true>(c); }
void k_layerNorm(Call& c) { layer_norm(c); }
void k_layerNormBackward(Call& c) { layer_norm_backward(c); }

}  // namespace tg
