// Elementwise kernels: unary, binary, comparisons, where, copy and cast. Each computes exactly what
// the TypeScript reference does (see packages/tensor/src/backend/js/elementwise.ts): arithmetic,
// comparisons and moves in the element type (IEEE rounding makes float32 results identical to
// JavaScript's compute-in-double-then-round), transcendental functions through vmath.h, and every
// other dtype combination through double with JavaScript's store conversions.
#include <algorithm>

#include "iter.h"
#include "tg.h"
#include "vmath.h"

namespace tg {
namespace {

// Elements from which an op is split over the thread pool. Memory-bound ops lose much when the
// second thread is slow to wake (a shared machine), so they are split from 64K elements, where the
// pool's workers are usually still polling from the kernel before (a*b+c on 100K and 200K float32:
// 67 and 131 us on one thread, 48 and 77 on two); transcendental ones pay for it from 32K.
constexpr int64_t PAR_CHEAP = 1 << 16;
constexpr int64_t PAR_COSTLY = 1 << 15;
// Elements staged per buffer in the vectorized paths.
constexpr int64_t BLOCK = 256;

// ---- unary ----------------------------------------------------------------------------------------

enum class U {
  Neg, Abs, Sign, Relu, Sqrt, Floor, Ceil, Round, Trunc,  // exactly rounded
  Exp, Log, Log1p, Sin, Cos, Tanh, Sigmoid, Erf, Asin, Acos, Atan, Sinh, Cosh, Asinh, Acosh, Atanh, Erfc, Expm1, Log2, Log10
};

// Ops that IEEE arithmetic rounds exactly, so they run in the element type.
constexpr bool exact(U op) { return op <= U::Trunc; }
// Ops whose int32 result JavaScript computes without leaving int32 range (modulo 2^32).
constexpr bool int_exact(U op) { return op != U::Sqrt && exact(op); }

template <U op, class T>
inline T exact1(T x) {
  if constexpr (op == U::Neg) return -x;
  if constexpr (op == U::Abs) return std::fabs(x);
  if constexpr (op == U::Sign) return x > 0 ? T(1) : x < 0 ? T(-1) : x;  // keeps -0 and NaN
  if constexpr (op == U::Relu) return x <= 0 ? T(0) : x;                 // NaN stays NaN
  if constexpr (op == U::Sqrt) return std::sqrt(x);
  if constexpr (op == U::Floor) return std::floor(x);
  if constexpr (op == U::Ceil) return std::ceil(x);
  if constexpr (op == U::Round) return std::nearbyint(x);  // halves to even (the default rounding mode), keeps -0
  if constexpr (op == U::Trunc) return std::trunc(x);
}

template <U op>
inline int32_t int1(int32_t x) {
  const uint32_t u = static_cast<uint32_t>(x);
  if constexpr (op == U::Neg) return static_cast<int32_t>(0u - u);
  if constexpr (op == U::Abs) return x < 0 ? static_cast<int32_t>(0u - u) : x;
  if constexpr (op == U::Sign) return x > 0 ? 1 : x < 0 ? -1 : 0;
  if constexpr (op == U::Relu) return x <= 0 ? 0 : x;
  return x;  // floor, ceil, round, trunc: integers are their own
}

// Applies op in place to a buffer of padded length (a multiple of vmath::VEC).
template <U op, class C>
inline void apply(C* b, int64_t n) {
  if constexpr (exact(op)) {
    for (int64_t i = 0; i < n; i++) b[i] = exact1<op>(b[i]);
  } else if constexpr (op == U::Exp) vmath::exp(b, n);
  else if constexpr (op == U::Log) vmath::log(b, n);
  else if constexpr (op == U::Log1p) vmath::log1p(b, n);
  else if constexpr (op == U::Sin) vmath::sin(b, n);
  else if constexpr (op == U::Cos) vmath::cos(b, n);
  else if constexpr (op == U::Tanh) vmath::tanh(b, n);
  else if constexpr (op == U::Sigmoid) vmath::sigmoid(b, n);
  else if constexpr (op == U::Erf) vmath::erf(b, n);
  else if constexpr (op == U::Asin) vmath::asin(b, n);
  else if constexpr (op == U::Acos) vmath::acos(b, n);
  else if constexpr (op == U::Atan) vmath::atan(b, n);
  else if constexpr (op == U::Sinh) vmath::sinh(b, n);
  else if constexpr (op == U::Cosh) vmath::cosh(b, n);
  else if constexpr (op == U::Asinh) vmath::asinh(b, n);
  else if constexpr (op == U::Acosh) vmath::acosh(b, n);
  else if constexpr (op == U::Atanh) vmath::atanh(b, n);
  else if constexpr (op == U::Erfc) vmath::erfc(b, n);
  else if constexpr (op == U::Expm1) vmath::expm1(b, n);
  else if constexpr (op == U::Log2) vmath::log2(b, n);
  else if constexpr (op == U::Log10) vmath::log10(b, n);
}

template <U op>
void unary(Call& c) {
  const View& x = c.in.at(0);
  const View& o = c.out;
  same_shape(c, x, o, "input");
  Rows<2> rows(o.shape, o.ndim, {o.strides, x.strides}, {o.offset, x.offset});
  const int64_t par = exact(op) ? PAR_CHEAP : PAR_COSTLY;
  // Exact ops in the element type, straight from input to output.
  if (x.dtype == o.dtype && (x.dtype == F32 || x.dtype == F64 || (x.dtype == I32 && int_exact(op)))) {
    if constexpr (exact(op)) {
      auto typed = [&](auto* tag) {
        using T = std::remove_pointer_t<decltype(tag)>;
        T* ob = o.ptr<T>();
        const T* xb = x.ptr<T>();
        rows.run(par, [&](Rows<2>::Offs p, int64_t n, Rows<2>::Offs s) {
          T* out = ob + p[0];
          const T* in = xb + p[1];
          auto f = [](T v) {
            if constexpr (std::is_same_v<T, int32_t>) return int1<op>(v);
            else return exact1<op>(v);
          };
          if (s[0] == 1 && s[1] == 1) {
            for (int64_t i = 0; i < n; i++) out[i] = f(in[i]);
          } else {
            for (int64_t i = 0; i < n; i++) out[i * s[0]] = f(in[i * s[1]]);
          }
        });
      };
      if (x.dtype == F32) typed(static_cast<float*>(nullptr));
      else if (x.dtype == F64) typed(static_cast<double*>(nullptr));
      else typed(static_cast<int32_t*>(nullptr));
      return;
    }
  }
  // Everything else through a buffer: float32 to float32 computes in float, the rest in double.
  auto buffered = [&](auto* tag) {
    using C = std::remove_pointer_t<decltype(tag)>;
    rows.run(par, [&](Rows<2>::Offs p, int64_t n, Rows<2>::Offs s) {
      alignas(32) C buf[BLOCK];
      for (int64_t b0 = 0; b0 < n; b0 += BLOCK) {
        const int64_t m = std::min(BLOCK, n - b0), mp = vmath::padded(m);
        if constexpr (std::is_same_v<C, float>) {
          const float* in = x.ptr<float>() + p[1] + b0 * s[1];
          for (int64_t i = 0; i < m; i++) buf[i] = in[i * s[1]];
        } else {
          for (int64_t i = 0; i < m; i++) buf[i] = load_any(x.data, x.dtype, p[1] + (b0 + i) * s[1]);
        }
        for (int64_t i = m; i < mp; i++) buf[i] = 0;
        apply<op>(buf, mp);
        if constexpr (std::is_same_v<C, float>) {
          float* out = o.ptr<float>() + p[0] + b0 * s[0];
          for (int64_t i = 0; i < m; i++) out[i * s[0]] = buf[i];
        } else if (o.dtype == F64) {
          double* out = o.ptr<double>() + p[0] + b0 * s[0];
          for (int64_t i = 0; i < m; i++) out[i * s[0]] = buf[i];
        } else {
          for (int64_t i = 0; i < m; i++) store_any(o.data, o.dtype, p[0] + (b0 + i) * s[0], buf[i]);
        }
      }
    });
  };
  if (x.dtype == F32 && o.dtype == F32) buffered(static_cast<float*>(nullptr));
  else buffered(static_cast<double*>(nullptr));
}

// ---- binary -----------------------------------------------------------------------------------------

enum class B { Add, Sub, Mul, Div, Pow, Atan2, Hypot, Fmod, Remainder, Max, Min, Eq, Ne, Lt, Le, Gt, Ge };

constexpr bool compare(B op) { return op >= B::Eq; }
constexpr bool costly(B op) { return op == B::Pow || op == B::Atan2 || op == B::Hypot || op == B::Fmod || op == B::Remainder; }

// Integer fmod and remainder by zero have no value: the same RangeError as the reference, raised
// before any thread starts.
template <B op>
void check_divisors(const View& b, const View& o) {
  if constexpr (op == B::Fmod || op == B::Remainder) {
    if (o.dtype != I32) return;
    Rows<1> rows(o.shape, o.ndim, {b.strides}, {b.offset});
    bool zero = false;
    rows.run(INT64_MAX, [&](Rows<1>::Offs p, int64_t n, Rows<1>::Offs s) {
      for (int64_t i = 0; i < n && !zero; i++) zero = load_any(b.data, b.dtype, p[0] + i * s[0]) == 0;
    });
    if (zero) fail(Error::Range, std::string(op == B::Fmod ? "fmod" : "remainder") + ": integer division by zero");
  }
}

// JavaScript's a ** b where C's pow differs: a NaN exponent always gives NaN, and so does
// (+-1) ** (+-Infinity).
inline double js_pow(double a, double b) {
  if (b != b) return b;
  if (std::isinf(b) && std::fabs(a) == 1) return NAN;
  return std::pow(a, b);
}

template <B op, class T>
inline auto bin(T x, T y) {
  if constexpr (op == B::Eq) return uint8_t(x == y);
  else if constexpr (op == B::Ne) return uint8_t(x != y);
  else if constexpr (op == B::Lt) return uint8_t(x < y);
  else if constexpr (op == B::Le) return uint8_t(x <= y);
  else if constexpr (op == B::Gt) return uint8_t(x > y);
  else if constexpr (op == B::Ge) return uint8_t(x >= y);
  else if constexpr (op == B::Max) return (x > y || x != x) ? x : y;  // NaN propagates
  else if constexpr (op == B::Min) return (x < y || x != x) ? x : y;
  else if constexpr (std::is_same_v<T, int32_t>) {
    // int32 arithmetic wraps modulo 2^32, as JavaScript's stores into an Int32Array do
    // (Math.imul for mul); division and pow go through double.
    const uint32_t a = static_cast<uint32_t>(x), b = static_cast<uint32_t>(y);
    if constexpr (op == B::Add) return static_cast<int32_t>(a + b);
    else if constexpr (op == B::Sub) return static_cast<int32_t>(a - b);
    else if constexpr (op == B::Mul) return static_cast<int32_t>(a * b);
    else if constexpr (op == B::Div) return to_int32(static_cast<double>(x) / y);
    // Divisors were checked non-zero (check_divisors); x % -1 is 0, also for INT32_MIN.
    else if constexpr (op == B::Fmod) return y == -1 ? 0 : x % y;
    else if constexpr (op == B::Remainder) {
      const int32_t r = y == -1 ? 0 : x % y;
      return r != 0 && (r < 0) != (y < 0) ? r + y : r;  // opposite signs: no overflow
    }
    else if constexpr (op == B::Atan2) return to_int32(std::atan2(x, y));
    else if constexpr (op == B::Hypot) return to_int32(std::hypot(x, y));
    else return to_int32(js_pow(x, y));
  } else {
    if constexpr (op == B::Add) return T(x + y);
    else if constexpr (op == B::Sub) return T(x - y);
    else if constexpr (op == B::Mul) return T(x * y);
    else if constexpr (op == B::Div) return T(x / y);
    else if constexpr (op == B::Fmod) return T(std::fmod(x, y));  // exact, the dividend's sign (JavaScript's %)
    else if constexpr (op == B::Remainder) {
      // The divisor's sign; the correction is added in double and rounded, as JavaScript does.
      const T r = std::fmod(x, y);
      return r != 0 && (r < 0) != (y < 0) ? T(static_cast<double>(r) + static_cast<double>(y)) : r;
    }
    else if constexpr (op == B::Atan2) return T(std::atan2(static_cast<double>(x), static_cast<double>(y)));
    else if constexpr (op == B::Hypot) return T(std::hypot(static_cast<double>(x), static_cast<double>(y)));
    else return T(js_pow(x, y));  // float32 too: pow of the float32 values in double, then rounded
  }
}

// The same op on doubles, stored into any dtype (the rare mixed paths).
template <B op>
inline double bin_double(double x, double y, DType out) {
  if constexpr (op == B::Mul) {
    if (out == I32) return static_cast<int32_t>(static_cast<uint32_t>(to_int32(x)) * static_cast<uint32_t>(to_int32(y)));
  }
  return static_cast<double>(bin<op, double>(x, y));
}

template <B op, class T, class O>
void binary_rows(const Rows<3>& rows, const View& a, const View& b, const View& o) {
  const T* ab = a.ptr<T>();
  const T* bb = b.ptr<T>();
  O* ob = o.ptr<O>();
  rows.run(costly(op) ? PAR_COSTLY : PAR_CHEAP, [&](Rows<3>::Offs p, int64_t n, Rows<3>::Offs s) {
    O* out = ob + p[0];
    const T* x = ab + p[1];
    const T* y = bb + p[2];
    if (s[0] == 1 && s[1] == 1 && s[2] == 1) {
      for (int64_t i = 0; i < n; i++) out[i] = bin<op>(x[i], y[i]);
    } else if (s[0] == 1 && s[1] == 1 && s[2] == 0) {
      const T v = y[0];
      for (int64_t i = 0; i < n; i++) out[i] = bin<op>(x[i], v);
    } else if (s[0] == 1 && s[1] == 0 && s[2] == 1) {
      const T v = x[0];
      for (int64_t i = 0; i < n; i++) out[i] = bin<op>(v, y[i]);
    } else {
      for (int64_t i = 0; i < n; i++) out[i * s[0]] = bin<op>(x[i * s[1]], y[i * s[2]]);
    }
  });
}

template <B op>
void binary(Call& c) {
  const View& a = c.in.at(0);
  const View& b = c.in.at(1);
  const View& o = c.out;
  same_shape(c, a, o, "first operand");
  same_shape(c, b, o, "second operand");
  check_divisors<op>(b, o);
  Rows<3> rows(o.shape, o.ndim, {o.strides, a.strides, b.strides}, {o.offset, a.offset, b.offset});
  if (a.dtype == b.dtype) {
    if constexpr (compare(op)) {
      if (o.dtype == BOOL) {
        with_type(a.dtype, [&](auto* tag) { binary_rows<op, std::remove_pointer_t<decltype(tag)>, uint8_t>(rows, a, b, o); });
        return;
      }
    } else if (a.dtype == o.dtype) {
      if (a.dtype == F32) return binary_rows<op, float, float>(rows, a, b, o);
      if (a.dtype == F64) return binary_rows<op, double, double>(rows, a, b, o);
      if (a.dtype == I32) return binary_rows<op, int32_t, int32_t>(rows, a, b, o);
      if constexpr (op == B::Max || op == B::Min) return binary_rows<op, uint8_t, uint8_t>(rows, a, b, o);
    }
  }
  rows.run(PAR_CHEAP, [&](Rows<3>::Offs p, int64_t n, Rows<3>::Offs s) {
    for (int64_t i = 0; i < n; i++) {
      double v = bin_double<op>(load_any(a.data, a.dtype, p[1] + i * s[1]), load_any(b.data, b.dtype, p[2] + i * s[2]), o.dtype);
      store_any(o.data, o.dtype, p[0] + i * s[0], v);
    }
  });
}

}  // namespace

// ---- the kernels in the table -------------------------------------------------------------------

void k_neg(Call& c) { unary<U::Neg>(c); }
void k_abs(Call& c) { unary<U::Abs>(c); }
void k_sign(Call& c) { unary<U::Sign>(c); }
void k_relu(Call& c) { unary<U::Relu>(c); }
void k_sqrt(Call& c) { unary<U::Sqrt>(c); }
void k_exp(Call& c) { unary<U::Exp>(c); }
void k_log(Call& c) { unary<U::Log>(c); }
void k_log1p(Call& c) { unary<U::Log1p>(c); }
void k_sin(Call& c) { unary<U::Sin>(c); }
void k_cos(Call& c) { unary<U::Cos>(c); }
void k_tanh(Call& c) { unary<U::Tanh>(c); }
void k_sigmoid(Call& c) { unary<U::Sigmoid>(c); }
void k_erf(Call& c) { unary<U::Erf>(c); }
void k_floor(Call& c) { unary<U::Floor>(c); }
void k_ceil(Call& c) { unary<U::Ceil>(c); }
void k_round(Call& c) { unary<U::Round>(c); }
void k_trunc(Call& c) { unary<U::Trunc>(c); }
void k_asin(Call& c) { unary<U::Asin>(c); }
void k_acos(Call& c) { unary<U::Acos>(c); }
void k_atan(Call& c) { unary<U::Atan>(c); }
void k_sinh(Call& c) { unary<U::Sinh>(c); }
void k_cosh(Call& c) { unary<U::Cosh>(c); }
void k_asinh(Call& c) { unary<U::Asinh>(c); }
void k_acosh(Call& c) { unary<U::Acosh>(c); }
void k_atanh(Call& c) { unary<U::Atanh>(c); }
void k_erfc(Call& c) { unary<U::Erfc>(c); }
void k_expm1(Call& c) { unary<U::Expm1>(c); }
void k_log2(Call& c) { unary<U::Log2>(c); }
void k_log10(Call& c) { unary<U::Log10>(c); }

void k_add(Call& c) { binary<B::Add>(c); }
void k_sub(Call& c) { binary<B::Sub>(c); }
void k_mul(Call& c) { binary<B::Mul>(c); }
void k_div(Call& c) { binary<B::Div>(c); }
void k_pow(Call& c) { binary<B::Pow>(c); }
void k_atan2(Call& c) { binary<B::Atan2>(c); }
void k_hypot(Call& c) { binary<B::Hypot>(c); }
void k_fmod(Call& c) { binary<B::Fmod>(c); }
void k_remainder(Call& c) { binary<B::Remainder>(c); }
void k_maximum(Call& c) { binary<B::Max>(c); }
void k_minimum(Call& c) { binary<B::Min>(c); }
void k_eq(Call& c) { binary<B::Eq>(c); }
void k_ne(Call& c) { binary<B::Ne>(c); }
void k_lt(Call& c) { binary<B::Lt>(c); }
void k_le(Call& c) { binary<B::Le>(c); }
void k_gt(Call& c) { binary<B::Gt>(c); }
void k_ge(Call& c) { binary<B::Ge>(c); }

// where(cond, a, b): a where cond is true. A non-bool condition is JavaScript-truthy (NaN is not).
void k_where(Call& c) {
  const View& cond = c.in.at(0);
  const View& a = c.in.at(1);
  const View& b = c.in.at(2);
  const View& o = c.out;
  same_shape(c, cond, o, "condition");
  same_shape(c, a, o, "first branch");
  same_shape(c, b, o, "second branch");
  Rows<4> rows(o.shape, o.ndim, {o.strides, cond.strides, a.strides, b.strides}, {o.offset, cond.offset, a.offset, b.offset});
  if (cond.dtype == BOOL && a.dtype == o.dtype && b.dtype == o.dtype) {
    // A move: copy the element bits (by size), whatever the dtype.
    auto moved = [&](auto* tag) {
      using T = std::remove_pointer_t<decltype(tag)>;
      const uint8_t* cb = cond.ptr<uint8_t>();
      const T* ab = a.ptr<T>();
      const T* bb = b.ptr<T>();
      T* ob = o.ptr<T>();
      rows.run(PAR_CHEAP, [&](Rows<4>::Offs p, int64_t n, Rows<4>::Offs s) {
        T* out = ob + p[0];
        const uint8_t* c = cb + p[1];
        const T* x = ab + p[2];
        const T* y = bb + p[3];
        // Dense rows, with either branch possibly a broadcast value (step 0), as in relu's and
        // max-pooling's gradients; anything else element by element. Both branches are loaded
        // before choosing, so the choice is a blend, not a branch (conditions are random).
        auto dense = [out, c, x, y, n](auto xs, auto ys) {
          for (int64_t i = 0; i < n; i++) {
            const T u = x[i * xs], v = y[i * ys];
            out[i] = c[i] ? u : v;
          }
        };
        if (s[0] == 1 && s[1] == 1 && (s[2] | s[3]) >= 0 && s[2] <= 1 && s[3] <= 1) {
          if (s[2] == 1 && s[3] == 1) dense(std::integral_constant<int, 1>(), std::integral_constant<int, 1>());
          else if (s[2] == 1) dense(std::integral_constant<int, 1>(), std::integral_constant<int, 0>());
          else if (s[3] == 1) dense(std::integral_constant<int, 0>(), std::integral_constant<int, 1>());
          else dense(std::integral_constant<int, 0>(), std::integral_constant<int, 0>());
        } else {
          for (int64_t i = 0; i < n; i++) {
            const T u = x[i * s[2]], v = y[i * s[3]];
            out[i * s[0]] = c[i * s[1]] ? u : v;
          }
        }
      });
    };
    const int64_t size = dtype_bytes(o.dtype);
    if (size == 8) moved(static_cast<uint64_t*>(nullptr));
    else if (size == 4) moved(static_cast<uint32_t*>(nullptr));
    else moved(static_cast<uint8_t*>(nullptr));
    return;
  }
  rows.run(PAR_CHEAP, [&](Rows<4>::Offs p, int64_t n, Rows<4>::Offs s) {
    for (int64_t i = 0; i < n; i++) {
      const double t = load_any(cond.data, cond.dtype, p[1] + i * s[1]);
      const bool pick = t != 0 && t == t;
      const double v = pick ? load_any(a.data, a.dtype, p[2] + i * s[2]) : load_any(b.data, b.dtype, p[3] + i * s[3]);
      store_any(o.data, o.dtype, p[0] + i * s[0], v);
    }
  });
}

// copy and cast: a strided read into the output. Same dtype moves bits; a cast to bool is
// `value !== 0` (NaN is true); every other conversion is JavaScript's typed-array store.
// A transposition (the input's inner stride is not 1 where the output's is) copied row by row
// reads one element per cache line; tiles of TILE x TILE read and write whole lines.
template <class Bits>
bool transposed_copy(const Rows<2>& rows, const View& x, const View& o) {
  constexpr int64_t TILE = 32;
  if (rows.shape.size() != 2 || rows.strides[1][0] != 1 || rows.strides[1][1] == 1 || rows.strides[0][0] != rows.shape[1]) return false;
  const int64_t R = rows.shape[0], L = rows.shape[1], ri = rows.strides[0][1], li = rows.strides[1][1];
  Bits* ob = reinterpret_cast<Bits*>(o.ptr<uint8_t>() + o.offset * sizeof(Bits));
  const Bits* xb = reinterpret_cast<const Bits*>(x.ptr<uint8_t>()) + x.offset;
  const int64_t tiles_r = (R + TILE - 1) / TILE;
  auto range = [&](int64_t lo, int64_t hi) {
    for (int64_t t = lo; t < hi; t++) {
      const int64_t i0 = t * TILE, i1 = std::min(R, i0 + TILE);
      for (int64_t j0 = 0; j0 < L; j0 += TILE) {
        const int64_t j1 = std::min(L, j0 + TILE);
        for (int64_t i = i0; i < i1; i++)
          for (int64_t j = j0; j < j1; j++) ob[i * L + j] = xb[i * ri + j * li];
      }
    }
  };
  if (R * L < PAR_CHEAP) range(0, tiles_r);
  else parallel_for(tiles_r, 1, range);
  return true;
}

void k_copy(Call& c) {
  const View& x = c.in.at(0);
  const View& o = c.out;
  same_shape(c, x, o, "input");
  Rows<2> rows(o.shape, o.ndim, {o.strides, x.strides}, {o.offset, x.offset});
  if (x.dtype == o.dtype) {
    const int64_t size = dtype_bytes(o.dtype);
    if (size == 8 ? transposed_copy<uint64_t>(rows, x, o) : size == 4 ? transposed_copy<uint32_t>(rows, x, o) : transposed_copy<uint8_t>(rows, x, o)) return;
  }
  const bool to_bool = o.dtype == BOOL && x.dtype != BOOL;
  with_type(x.dtype, [&](auto* itag) {
    using I = std::remove_pointer_t<decltype(itag)>;
    with_type(o.dtype, [&](auto* otag) {
      using O = std::remove_pointer_t<decltype(otag)>;
      const I* xb = x.ptr<I>();
      O* ob = o.ptr<O>();
      rows.run(PAR_CHEAP, [&](Rows<2>::Offs p, int64_t n, Rows<2>::Offs s) {
        O* out = ob + p[0];
        const I* in = xb + p[1];
        if constexpr (std::is_same_v<I, O>) {
          if (s[0] == 1 && s[1] == 1) {
            std::memcpy(out, in, n * sizeof(O));
            return;
          }
          // Bits, not values: a float NaN is copied as it is.
          using Bits = std::conditional_t<sizeof(O) == 8, uint64_t, std::conditional_t<sizeof(O) == 4, uint32_t, uint8_t>>;
          Bits* ov = reinterpret_cast<Bits*>(out);
          const Bits* iv = reinterpret_cast<const Bits*>(in);
          for (int64_t i = 0; i < n; i++) ov[i * s[0]] = iv[i * s[1]];
        } else {
          if (to_bool) {
            for (int64_t i = 0; i < n; i++) out[i * s[0]] = static_cast<double>(in[i * s[1]]) != 0 ? 1 : 0;
          } else if (s[0] == 1 && s[1] == 1) {
            for (int64_t i = 0; i < n; i++) out[i] = store_as<O>(static_cast<double>(in[i]));
          } else {
            for (int64_t i = 0; i < n; i++) out[i * s[0]] = store_as<O>(static_cast<double>(in[i * s[1]]));
          }
        }
      });
    });
  });
}

void k_cast(Call& c) {
  c.attrs.integer();  // the target dtype, which is out's
  k_copy(c);
}

}  // namespace tg
