// Scans (cumsum, cumprod, logcumsumexp, cumargmax, cumargmin) and argsort along one axis, each
// computing exactly what the TypeScript reference does (packages/tensor/src/backend/js/scan.ts and
// sort.ts): running sums and products accumulate in double and are stored in the output's dtype
// (int32 wraps at every step), and argsort is a stable merge sort with NaNs set aside.
#include <algorithm>
#include <limits>
#include <vector>

#include "iter.h"
#include "tg.h"

namespace tg {
namespace {

// Calls line(xo, xs, oo, os, n) for every line of x along `axis` and the same line of o. A 0-d
// tensor is one line of one element.
template <class F>
void for_each_line(const Call& c, const View& x, const View& o, int64_t axis, F&& line) {
  same_shape(c, x, o, "input");
  if (x.ndim > 0 && (axis < 0 || axis >= x.ndim)) {
    fail(Error::Range, std::string(c.op) + ": axis " + std::to_string(axis) + " is out of range for input " + fmt_shape(x));
  }
  const bool has_axis = x.ndim > 0;
  const int64_t n = has_axis ? x.shape[axis] : 1;
  if (n == 0) return;
  const int64_t xs = has_axis ? x.strides[axis] : 0, os = has_axis ? o.strides[axis] : 0;
  std::vector<int64_t> shape(x.shape, x.shape + x.ndim);
  if (has_axis) shape[axis] = 1;
  Rows<2> rows(shape.data(), x.ndim, {o.strides, x.strides}, {o.offset, x.offset});
  rows.run(std::numeric_limits<int64_t>::max(), [&](Rows<2>::Offs p, int64_t m, Rows<2>::Offs s) {
    for (int64_t i = 0; i < m; i++) line(p[1] + i * s[1], xs, p[0] + i * s[0], os, n);
  });
}

// log(exp(a) + exp(b)) without overflow; -Infinity is its identity, NaN propagates.
inline double log_add_exp(double a, double b) {
  const double m = a > b ? a : b;
  if (std::isinf(m)) return a != a || b != b ? NAN : m;
  return m + std::log1p(std::exp(-std::fabs(a - b)));
}

enum class S { Sum, Prod, LogSumExp, ArgMax, ArgMin };

template <S op>
void scan(Call& c) {
  const View& x = c.in.at(0);
  const View& o = c.out;
  const int64_t axis = c.attrs.integer();
  bool reverse = false;
  if constexpr (op != S::ArgMax && op != S::ArgMin) reverse = c.attrs.num() != 0;
  if constexpr (op == S::ArgMax || op == S::ArgMin) {
    if (o.dtype != I32) fail(Error::Type, std::string(c.op) + ": expected an int32 output, got " + dtype_name(o.dtype));
  }
  with_type(x.dtype, [&](auto* itag) {
    using I = std::remove_pointer_t<decltype(itag)>;
    with_type(o.dtype, [&](auto* otag) {
      using O = std::remove_pointer_t<decltype(otag)>;
      const I* xb = x.ptr<I>();
      O* ob = o.ptr<O>();
      for_each_line(c, x, o, axis, [&](int64_t xo, int64_t xs, int64_t oo, int64_t os, int64_t n) {
        if (reverse) {
          xo += (n - 1) * xs, xs = -xs;
          oo += (n - 1) * os, os = -os;
        }
        if constexpr (op == S::Sum || op == S::Prod) {
          if constexpr (std::is_same_v<O, int32_t>) {
            uint32_t acc = op == S::Sum ? 0u : 1u;
            for (int64_t i = 0; i < n; i++) {
              const uint32_t v = static_cast<uint32_t>(to_int32(static_cast<double>(xb[xo + i * xs])));
              acc = op == S::Sum ? acc + v : acc * v;
              ob[oo + i * os] = static_cast<int32_t>(acc);
            }
          } else {
            double acc = op == S::Sum ? 0.0 : 1.0;
            for (int64_t i = 0; i < n; i++) {
              const double v = static_cast<double>(xb[xo + i * xs]);
              acc = op == S::Sum ? acc + v : acc * v;
              ob[oo + i * os] = store_as<O>(acc);
            }
          }
        } else if constexpr (op == S::LogSumExp) {
          double acc = -INFINITY;
          for (int64_t i = 0; i < n; i++) ob[oo + i * os] = store_as<O>(acc = log_add_exp(acc, static_cast<double>(xb[xo + i * xs])));
        } else {
          // The running extreme's position; ties move it (the latest wins); once a NaN is the
          // extreme it stays, and a later NaN takes over.
          double m = NAN;
          int32_t k = 0;
          for (int64_t i = 0; i < n; i++) {
            const double v = static_cast<double>(xb[xo + i * xs]);
            const bool better = op == S::ArgMax ? v >= m : v <= m;
            if (i == 0 || v != v || (m == m && better)) m = v, k = static_cast<int32_t>(i);
            ob[oo + i * os] = store_as<O>(k);
          }
        }
      });
    });
  });
}

// Stable ascending sort of keys[0, n) carrying idx: insertion sort on runs of RUN, then bottom-up
// merges through the scratch (tk, ti); an element moves before another only when strictly smaller.
constexpr int64_t RUN = 16;
void stable_sort(double* keys, int32_t* idx, int64_t n, double* tk, int32_t* ti) {
  for (int64_t lo = 0; lo < n; lo += RUN) {
    const int64_t hi = std::min(lo + RUN, n);
    for (int64_t i = lo + 1; i < hi; i++) {
      const double k = keys[i];
      const int32_t x = idx[i];
      int64_t j = i - 1;
      for (; j >= lo && keys[j] > k; j--) keys[j + 1] = keys[j], idx[j + 1] = idx[j];
      keys[j + 1] = k, idx[j + 1] = x;
    }
  }
  double *sk = keys, *dk = tk;
  int32_t *si = idx, *di = ti;
  for (int64_t width = RUN; width < n; width *= 2) {
    for (int64_t lo = 0; lo < n; lo += 2 * width) {
      const int64_t mid = std::min(lo + width, n), hi = std::min(lo + 2 * width, n);
      int64_t i = lo, j = mid, o = lo;
      while (i < mid && j < hi) {
        if (sk[j] < sk[i]) dk[o] = sk[j], di[o++] = si[j++];
        else dk[o] = sk[i], di[o++] = si[i++];
      }
      for (; i < mid; i++, o++) dk[o] = sk[i], di[o] = si[i];
      for (; j < hi; j++, o++) dk[o] = sk[j], di[o] = si[j];
    }
    std::swap(sk, dk);
    std::swap(si, di);
  }
  if (si != idx) std::copy(si, si + n, idx);
}

}  // namespace

void k_cumsum(Call& c) { scan<S::Sum>(c); }
void k_cumprod(Call& c) { scan<S::Prod>(c); }
void k_logcumsumexp(Call& c) { scan<S::LogSumExp>(c); }
void k_cumargmax(Call& c) { scan<S::ArgMax>(c); }
void k_cumargmin(Call& c) { scan<S::ArgMin>(c); }

// Stable argsort along attrs.axis into int32 positions: NaN is larger than every number (last
// ascending, first descending), -0 equals 0, equal values keep their order in both directions
// (descending sorts -value).
void k_argsort(Call& c) {
  const View& x = c.in.at(0);
  const View& o = c.out;
  const int64_t axis = c.attrs.integer();
  const bool descending = c.attrs.num() != 0;
  if (o.dtype != I32) fail(Error::Type, std::string("argsort: expected an int32 output, got ") + dtype_name(o.dtype));
  const int64_t n = x.ndim > 0 && axis >= 0 && axis < x.ndim ? x.shape[axis] : 1;
  std::vector<double> keys(n), tk(n);
  std::vector<int32_t> idx(n), ti(n), nans(n);
  const double sign = descending ? -1 : 1;
  int32_t* ob = o.ptr<int32_t>();
  with_type(x.dtype, [&](auto* tag) {
    using I = std::remove_pointer_t<decltype(tag)>;
    const I* xb = x.ptr<I>();
    for_each_line(c, x, o, axis, [&](int64_t xo, int64_t xs, int64_t oo, int64_t os, int64_t len) {
      int64_t m = 0, z = 0;
      for (int64_t i = 0; i < len; i++) {
        const double v = static_cast<double>(xb[xo + i * xs]);
        if (v != v) nans[z++] = static_cast<int32_t>(i);
        else keys[m] = sign * v, idx[m++] = static_cast<int32_t>(i);
      }
      stable_sort(keys.data(), idx.data(), m, tk.data(), ti.data());
      const int64_t numbers_at = descending ? z : 0, nans_at = descending ? 0 : m;
      for (int64_t i = 0; i < m; i++) ob[oo + (numbers_at + i) * os] = idx[i];
      for (int64_t i = 0; i < z; i++) ob[oo + (nans_at + i) * os] = nans[i];
    });
  });
}

}  // namespace tg
