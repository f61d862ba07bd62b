// Vectorized transcendental functions over buffers, from SLEEF when the build found it (TG_SLEEF)
// on an AVX machine, plain libm otherwise. Every function works in place on a buffer whose length
// is a multiple of VEC (callers pad it), so a value gives the same result wherever it sits in a
// tensor: dense and strided inputs agree bit for bit.
#pragma once

#include <cmath>
#include <cstdint>

#if defined(TG_SLEEF) && defined(__AVX__)
#include <immintrin.h>
#include <sleef.h>
#define TG_VECTOR_MATH 1
#endif

namespace tg {
namespace vmath {

constexpr int64_t VEC = 8;  // buffer lengths are padded to a multiple of this

// n rounded up to a multiple of VEC: the length of a buffer that holds n values for these functions.
inline int64_t padded(int64_t n) { return (n + VEC - 1) / VEC * VEC; }

#ifdef TG_VECTOR_MATH

#define TG_SLEEF_PAIR(name, d4, f8)                                                                      \
  inline void name(double* b, int64_t n) {                                                               \
    for (int64_t i = 0; i < n; i += 4) _mm256_storeu_pd(b + i, d4(_mm256_loadu_pd(b + i)));              \
  }                                                                                                      \
  inline void name(float* b, int64_t n) {                                                                \
    for (int64_t i = 0; i < n; i += 8) _mm256_storeu_ps(b + i, f8(_mm256_loadu_ps(b + i)));              \
  }
TG_SLEEF_PAIR(exp, Sleef_expd4_u10, Sleef_expf8_u10)
TG_SLEEF_PAIR(log, Sleef_logd4_u10, Sleef_logf8_u10)
TG_SLEEF_PAIR(log1p, Sleef_log1pd4_u10, Sleef_log1pf8_u10)
TG_SLEEF_PAIR(sin, Sleef_sind4_u10, Sleef_sinf8_u10)
TG_SLEEF_PAIR(cos, Sleef_cosd4_u10, Sleef_cosf8_u10)
TG_SLEEF_PAIR(tanh, Sleef_tanhd4_u10, Sleef_tanhf8_u10)
TG_SLEEF_PAIR(erf, Sleef_erfd4_u10, Sleef_erff8_u10)
TG_SLEEF_PAIR(asin, Sleef_asind4_u10, Sleef_asinf8_u10)
TG_SLEEF_PAIR(acos, Sleef_acosd4_u10, Sleef_acosf8_u10)
TG_SLEEF_PAIR(atan, Sleef_atand4_u10, Sleef_atanf8_u10)
TG_SLEEF_PAIR(sinh, Sleef_sinhd4_u10, Sleef_sinhf8_u10)
TG_SLEEF_PAIR(cosh, Sleef_coshd4_u10, Sleef_coshf8_u10)
TG_SLEEF_PAIR(asinh, Sleef_asinhd4_u10, Sleef_asinhf8_u10)
TG_SLEEF_PAIR(acosh, Sleef_acoshd4_u10, Sleef_acoshf8_u10)
TG_SLEEF_PAIR(atanh, Sleef_atanhd4_u10, Sleef_atanhf8_u10)
TG_SLEEF_PAIR(erfc, Sleef_erfcd4_u15, Sleef_erfcf8_u15)
TG_SLEEF_PAIR(expm1, Sleef_expm1d4_u10, Sleef_expm1f8_u10)
TG_SLEEF_PAIR(log2, Sleef_log2d4_u10, Sleef_log2f8_u10)
TG_SLEEF_PAIR(log10, Sleef_log10d4_u10, Sleef_log10f8_u10)
#undef TG_SLEEF_PAIR

// 1/(1+exp(-x)) for x >= 0 and e/(1+e), e = exp(x), below: exp(-|x|) serves both branches.
inline void sigmoid(double* b, int64_t n) {
  const __m256d one = _mm256_set1_pd(1.0), sign = _mm256_set1_pd(-0.0);
  for (int64_t i = 0; i < n; i += 4) {
    __m256d x = _mm256_loadu_pd(b + i);
    __m256d e = Sleef_expd4_u10(_mm256_or_pd(x, sign));  // exp(-|x|)
    __m256d den = _mm256_add_pd(one, e);
    __m256d pos = _mm256_cmp_pd(x, _mm256_setzero_pd(), _CMP_GE_OQ);
    _mm256_storeu_pd(b + i, _mm256_blendv_pd(_mm256_div_pd(e, den), _mm256_div_pd(one, den), pos));
  }
}
inline void sigmoid(float* b, int64_t n) {
  const __m256 one = _mm256_set1_ps(1.0f), sign = _mm256_set1_ps(-0.0f);
  for (int64_t i = 0; i < n; i += 8) {
    __m256 x = _mm256_loadu_ps(b + i);
    __m256 e = Sleef_expf8_u10(_mm256_or_ps(x, sign));
    __m256 den = _mm256_add_ps(one, e);
    __m256 pos = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GE_OQ);
    _mm256_storeu_ps(b + i, _mm256_blendv_ps(_mm256_div_ps(e, den), _mm256_div_ps(one, den), pos));
  }
}

#else  // libm, one element at a time; float32 computes in double and rounds, as JavaScript does

#define TG_LIBM(name, fn)                                                              \
  inline void name(double* b, int64_t n) {                                             \
    for (int64_t i = 0; i < n; i++) b[i] = fn(b[i]);                                   \
  }                                                                                    \
  inline void name(float* b, int64_t n) {                                              \
    for (int64_t i = 0; i < n; i++) b[i] = static_cast<float>(fn(static_cast<double>(b[i]))); \
  }
TG_LIBM(exp, std::exp)
TG_LIBM(log, std::log)
TG_LIBM(log1p, std::log1p)
TG_LIBM(sin, std::sin)
TG_LIBM(cos, std::cos)
TG_LIBM(tanh, std::tanh)
TG_LIBM(erf, std::erf)
TG_LIBM(asin, std::asin)
TG_LIBM(acos, std::acos)
TG_LIBM(atan, std::atan)
TG_LIBM(sinh, std::sinh)
TG_LIBM(cosh, std::cosh)
TG_LIBM(asinh, std::asinh)
TG_LIBM(acosh, std::acosh)
TG_LIBM(atanh, std::atanh)
TG_LIBM(erfc, std::erfc)
TG_LIBM(expm1, std::expm1)
TG_LIBM(log2, std::log2)
TG_LIBM(log10, std::log10)
inline double sigmoid1(double v) {
  if (v >= 0) return 1 / (1 + std::exp(-v));
  double e = std::exp(v);
  return e / (1 + e);
}
TG_LIBM(sigmoid, sigmoid1)
#undef TG_LIBM

#endif

// Which implementation this build uses, for nativeInfo().
inline const char* implementation() {
#ifdef TG_VECTOR_MATH
  return "SLEEF (AVX, 1-ulp functions)";
#else
  return "libm (scalar)";
#endif
}

}  // namespace vmath
}  // namespace tg
