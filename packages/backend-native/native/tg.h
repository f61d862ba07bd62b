// Core types of the native backend: dtypes, strided views over the tensors' own typed arrays,
// kernel attributes, errors, and JavaScript's number conversions (a kernel computes what the
// TypeScript reference computes, so it stores values the way a typed-array store does).
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

namespace tg {

// A vector whose first N elements live inline: the views, dims and rows of a call need no heap
// allocation at the ranks tensors usually have. Not copyable (it points into itself).
template <class T, size_t N>
class SmallVec {
 public:
  SmallVec() = default;
  SmallVec(const SmallVec&) = delete;
  SmallVec& operator=(const SmallVec&) = delete;
  void push_back(const T& v) {
    if (data_ != inline_) {
      heap_.resize(n_);
      heap_.push_back(v);
      data_ = heap_.data();
    } else if (n_ < N) {
      inline_[n_] = v;
    } else {
      heap_.assign(inline_, inline_ + n_);
      heap_.push_back(v);
      data_ = heap_.data();
    }
    n_++;
  }
  void resize(size_t n) {
    while (n_ < n) push_back(T());
    n_ = n;
  }
  size_t size() const { return n_; }
  bool empty() const { return n_ == 0; }
  T& operator[](size_t i) { return data_[i]; }
  const T& operator[](size_t i) const { return data_[i]; }
  T& back() { return data_[n_ - 1]; }
  const T& back() const { return data_[n_ - 1]; }
  T* begin() { return data_; }
  T* end() { return data_ + n_; }
  const T* begin() const { return data_; }
  const T* end() const { return data_ + n_; }
  T* data() { return data_; }
  const T* data() const { return data_; }

 private:
  T inline_[N];
  std::vector<T> heap_;
  T* data_ = inline_;
  size_t n_ = 0;
};

// Storage types, in the order of the TypeScript DType names (bool is one byte per element).
enum DType : int { F32 = 0, F64 = 1, I32 = 2, BOOL = 3 };
const char* dtype_name(DType d);
inline int64_t dtype_bytes(DType d) { return d == F64 ? 8 : d == BOOL ? 1 : 4; }

// A kernel failure: `kind` chooses the JavaScript error class it becomes.
struct Error {
  enum Kind { Type, Range, Plain, LinAlg } kind;
  std::string message;
  int64_t batch = -1;  // LinAlg: the flat index of the batch entry that failed
};
[[noreturn]] void fail(Error::Kind kind, const std::string& message);
// A LinAlgError on the JavaScript side, for batch entry `batch` (flat, row-major).
[[noreturn]] void fail_linalg(const std::string& message, int64_t batch);

// A strided window onto a typed array, as a kernel sees it. `data` points at the array's first
// element (N-API's napi_get_typedarray_info already adds the array's byte offset); nothing is
// copied, and the pointer is only valid during the kernel call.
struct View {
  void* data = nullptr;
  int64_t length = 0;  // elements in the typed array (bounds of every access)
  DType dtype = F32;
  int64_t offset = 0;
  int ndim = 0;
  const int64_t* shape = nullptr;
  const int64_t* strides = nullptr;

  int64_t size() const {
    int64_t n = 1;
    for (int d = 0; d < ndim; d++) n *= shape[d];
    return n;
  }
  bool dense() const {  // row-major without gaps from `offset`
    int64_t s = 1;
    for (int d = ndim - 1; d >= 0; d--) {
      if (shape[d] != 1 && strides[d] != s) return false;
      s *= shape[d];
    }
    return true;
  }
  template <class T> T* ptr() const { return static_cast<T*>(data); }
};

// The attributes of a call, in the order the kernel table lists their names; numbers are read
// one by one, a list is its length followed by its elements (see src/index.ts, encodeAttr).
class Attrs {
 public:
  Attrs(const double* p, int64_t n) : p_(p), n_(n) {}
  double num();
  int64_t integer();
  std::vector<int64_t> list();

 private:
  const double* p_;
  int64_t n_;
  int64_t at_ = 0;
};

// The views a kernel reads, with a check that the call brought as many as the kernel needs.
class Inputs : public SmallVec<View, 8> {
 public:
  const View& at(size_t i) const;
};

struct Call {
  const char* op;
  View out;
  Inputs in;
  Attrs attrs;
};

using KernelFn = void (*)(Call&);
// One row of the kernel table (kernels.cc): the primitive's name, its kernel, and the names of the
// attributes the JavaScript side encodes for it (space-separated, in reading order).
struct KernelEntry {
  const char* name;
  KernelFn fn;
  const char* attrs;
};
extern const KernelEntry KERNELS[];
extern const int KERNEL_COUNT;

// ---- JavaScript's conversions on typed-array stores -------------------------------------------

// ToInt32: NaN and infinities give 0, otherwise truncation toward zero, modulo 2^32.
inline int32_t to_int32(double d) {
  if (d > -2147483649.0 && d < 2147483648.0) return static_cast<int32_t>(d);
  if (!std::isfinite(d)) return 0;
  double m = std::fmod(std::trunc(d), 4294967296.0);
  if (m < 0) m += 4294967296.0;
  return static_cast<int32_t>(static_cast<uint32_t>(m));
}
// ToUint8 (a bool tensor's byte): truncation modulo 256, NaN and infinities give 0.
inline uint8_t to_uint8(double d) {
  if (d >= 0 && d < 256.0) return static_cast<uint8_t>(d);
  return static_cast<uint8_t>(static_cast<uint32_t>(to_int32(d)));
}

template <class T> inline T store_as(double v);
template <> inline float store_as<float>(double v) { return static_cast<float>(v); }
template <> inline double store_as<double>(double v) { return v; }
template <> inline int32_t store_as<int32_t>(double v) { return to_int32(v); }
template <> inline uint8_t store_as<uint8_t>(double v) { return to_uint8(v); }

// a + b stored into T as JavaScript does (floats add in their own precision, which IEEE rounding
// makes identical to adding in double and rounding; integers wrap like a typed-array store).
template <class T> inline T js_add(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) return a + b;
  else return store_as<T>(static_cast<double>(a) + static_cast<double>(b));
}

// Element access by runtime dtype, for the rare (int32/bool/mixed) paths.
inline double load_any(const void* p, DType d, int64_t i) {
  switch (d) {
    case F32: return static_cast<const float*>(p)[i];
    case F64: return static_cast<const double*>(p)[i];
    case I32: return static_cast<const int32_t*>(p)[i];
    default: return static_cast<const uint8_t*>(p)[i];
  }
}
inline void store_any(void* p, DType d, int64_t i, double v) {
  switch (d) {
    case F32: static_cast<float*>(p)[i] = static_cast<float>(v); break;
    case F64: static_cast<double*>(p)[i] = v; break;
    case I32: static_cast<int32_t*>(p)[i] = to_int32(v); break;
    default: static_cast<uint8_t*>(p)[i] = to_uint8(v); break;
  }
}

// Calls f with a null pointer of the C++ element type of d (for dispatching templates).
template <class F> inline void with_type(DType d, F&& f) {
  switch (d) {
    case F32: f(static_cast<float*>(nullptr)); break;
    case F64: f(static_cast<double*>(nullptr)); break;
    case I32: f(static_cast<int32_t*>(nullptr)); break;
    default: f(static_cast<uint8_t*>(nullptr)); break;
  }
}

// ---- checks shared by kernels -------------------------------------------------------------------

std::string fmt_shape(const View& v);
// Throws unless a and b have the same shape.
void same_shape(const Call& c, const View& a, const View& b, const char* what);
// Throws unless v has the given dtype.
void need_dtype(const Call& c, const View& v, DType d, const char* what);

}  // namespace tg
