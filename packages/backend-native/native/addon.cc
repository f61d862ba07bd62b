// The N-API boundary. JavaScript calls run(id, out, ...inputs) with the tensors' own typed arrays;
// their shapes, strides, offsets and the kernel's attributes travel in one Float64Array (the
// scratch, registered once with setScratch), so a call passes no JavaScript arrays or objects.
// Kernels read and write the typed arrays' memory in place during the call and keep no pointer
// after it returns; nothing is copied in or out and nothing outlives the call but the scratch.
//
// Scratch layout: [used, then per view (out first, then the inputs): dtype, offset, ndim,
// shape..., strides..., then the attributes]; `used` counts the doubles after it. The dtype code
// comes from the JavaScript side, which checks it against the typed array's element size, so
// asking N-API for the array's type (a chain of a dozen type tests) is not needed.
#include <node_api.h>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <cstdlib>
#include <string>
#include <vector>

#include "pool.h"
#include "tg.h"
#include "vmath.h"

namespace tg {

std::string blas_info();
void set_blas_threads(int n);

const char* dtype_name(DType d) {
  static const char* names[] = {"float32", "float64", "int32", "bool"};
  return names[d];
}

void fail(Error::Kind kind, const std::string& message) { throw Error{kind, message}; }
void fail_linalg(const std::string& message, int64_t batch) { throw Error{Error::LinAlg, message, batch}; }

std::string fmt_shape(const View& v) {
  std::string s = "[";
  for (int d = 0; d < v.ndim; d++) s += (d ? "," : "") + std::to_string(v.shape[d]);
  return s + "]";
}

void same_shape(const Call& c, const View& a, const View& b, const char* what) {
  bool ok = a.ndim == b.ndim;
  for (int d = 0; ok && d < a.ndim; d++) ok = a.shape[d] == b.shape[d];
  if (!ok) fail(Error::Range, std::string(c.op) + ": " + what + " has shape " + fmt_shape(a) + ", expected " + fmt_shape(b));
}

const View& Inputs::at(size_t i) const {
  if (i >= size()) fail(Error::Range, "native kernel: expected at least " + std::to_string(i + 1) + " inputs, got " + std::to_string(size()));
  return (*this)[i];
}

void need_dtype(const Call& c, const View& v, DType d, const char* what) {
  if (v.dtype != d) fail(Error::Type, std::string(c.op) + ": expected " + what + " of dtype " + dtype_name(d) + ", got " + dtype_name(v.dtype));
}

double Attrs::num() {
  if (at_ >= n_) fail(Error::Range, "native kernel: missing attribute");
  return p_[at_++];
}

int64_t Attrs::integer() {
  double v = num();
  if (!(v == std::trunc(v) && std::fabs(v) <= 9007199254740992.0)) fail(Error::Range, "native kernel: expected an integer attribute, got " + std::to_string(v));
  return static_cast<int64_t>(v);
}

std::vector<int64_t> Attrs::list() {
  int64_t n = integer();
  if (n < 0 || n > n_ - at_) fail(Error::Range, "native kernel: malformed list attribute");
  std::vector<int64_t> v(n);
  for (int64_t i = 0; i < n; i++) v[i] = integer();
  return v;
}

namespace {

// The allocation policy in force (set once, when the first thread loads the addon).
const char* malloc_state = "";

// Per JavaScript thread (the main thread, or each worker_threads Worker that loads the addon).
struct Scratch {
  napi_ref ref = nullptr;
  double* data = nullptr;
  size_t length = 0;
};
thread_local Scratch scratch;

// Shapes and strides of the views of one call, as integers (reused from call to call).
thread_local std::vector<int64_t> dims;

napi_value throw_error(napi_env env, Error::Kind kind, const std::string& msg, int64_t batch = -1) {
  // A LinAlgError travels as an Error whose code names the batch entry; the JavaScript side
  // (src/index.ts) rethrows it as tapegrad's LinAlgError.
  if (kind == Error::LinAlg) napi_throw_error(env, ("TG_LINALG:" + std::to_string(batch)).c_str(), msg.c_str());
  else if (kind == Error::Type) napi_throw_type_error(env, nullptr, msg.c_str());
  else if (kind == Error::Range) napi_throw_range_error(env, nullptr, msg.c_str());
  else napi_throw_error(env, nullptr, msg.c_str());
  return nullptr;
}

// Reads one view's geometry from the scratch at `at`, into `dims` at `d`; checks that every
// element it covers lies inside its typed array.
void read_view(const char* op, const char* which, View& v, size_t& at, size_t end, size_t& d) {
  auto integer = [&](double x) {
    if (!(x == std::trunc(x) && std::fabs(x) <= 9007199254740992.0)) fail(Error::Range, std::string(op) + ": malformed view in the native call");
    return static_cast<int64_t>(x);
  };
  if (at + 3 > end) fail(Error::Range, std::string(op) + ": malformed native call");
  const int64_t code = integer(scratch.data[at]);
  if (code < F32 || code > BOOL) fail(Error::Range, std::string(op) + ": unknown dtype code in the native call");
  v.dtype = static_cast<DType>(code);
  v.offset = integer(scratch.data[at + 1]);
  const int64_t nd = integer(scratch.data[at + 2]);
  at += 3;
  if (nd < 0 || at + 2 * static_cast<size_t>(nd) > end) fail(Error::Range, std::string(op) + ": malformed native call");
  v.ndim = static_cast<int>(nd);
  for (int64_t i = 0; i < 2 * nd; i++) dims[d + i] = integer(scratch.data[at + i]);
  at += 2 * nd;
  d += 2 * nd;
  __int128 lo = v.offset, hi = v.offset;
  bool empty = false;
  const size_t base = d - 2 * nd;
  for (int64_t i = 0; i < nd; i++) {
    const int64_t n = dims[base + i], s = dims[base + nd + i];
    if (n < 0) fail(Error::Range, std::string(op) + ": negative dimension in " + which);
    if (n == 0) empty = true;
    const __int128 span = static_cast<__int128>(n - 1) * s;
    if (span < 0) lo += span;
    else hi += span;
  }
  if (!empty && (lo < 0 || hi >= v.length)) {
    fail(Error::Range, std::string(op) + ": the " + which + " view reaches outside its storage (elements " + std::to_string(static_cast<int64_t>(lo)) + ".." +
                           std::to_string(static_cast<int64_t>(hi)) + " of " + std::to_string(v.length) + ")");
  }
}

napi_value Run(napi_env env, napi_callback_info info) {
  napi_value stack[8];
  std::vector<napi_value> heap;
  size_t argc = 8;
  napi_value* argv = stack;
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc > 8) {
    heap.resize(argc);
    argv = heap.data();
    napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  }
  int32_t id = -1;
  if (argc < 2 || napi_get_value_int32(env, argv[0], &id) != napi_ok || id < 0 || id >= KERNEL_COUNT) {
    return throw_error(env, Error::Type, "native run: expected a kernel id, an output and the inputs");
  }
  const KernelEntry& k = KERNELS[id];
  if (scratch.data == nullptr) return throw_error(env, Error::Plain, "native run: no scratch registered");
  try {
    const double used = scratch.data[0];
    if (!(used >= 0 && used < scratch.length)) fail(Error::Range, std::string(k.name) + ": malformed native call");
    const size_t end = 1 + static_cast<size_t>(used), nviews = argc - 1;
    Call call{k.name, View{}, {}, Attrs(nullptr, 0)};
    call.in.resize(nviews - 1);
    if (dims.size() < scratch.length) dims.resize(scratch.length);
    size_t at = 1, d = 0;
    for (size_t i = 0; i < nviews; i++) {
      View& v = i == 0 ? call.out : call.in[i - 1];
      size_t length;
      void* data;
      if (napi_get_typedarray_info(env, argv[1 + i], nullptr, &length, &data, nullptr, nullptr) != napi_ok) {
        fail(Error::Type, std::string(k.name) + ": expected typed arrays as storage");
      }
      v.data = data;
      v.length = static_cast<int64_t>(length);
      const size_t first = d;
      read_view(k.name, i == 0 ? "output" : "input", v, at, end, d);
      v.shape = &dims[first];
      v.strides = &dims[first + v.ndim];
    }
    if (!call.out.dense()) fail(Error::Range, std::string(k.name) + ": the output must be contiguous");
    call.attrs = Attrs(scratch.data + at, static_cast<int64_t>(end - at));
    k.fn(call);
  } catch (const Error& e) {
    return throw_error(env, e.kind, e.message, e.batch);
  } catch (const std::exception& e) {
    return throw_error(env, Error::Plain, std::string(k.name) + ": " + e.what());
  }
  return nullptr;
}

napi_value SetScratch(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value arg;
  napi_get_cb_info(env, info, &argc, &arg, nullptr, nullptr);
  napi_typedarray_type type;
  size_t length;
  void* data;
  if (argc < 1 || napi_get_typedarray_info(env, arg, &type, &length, &data, nullptr, nullptr) != napi_ok || type != napi_float64_array) {
    return throw_error(env, Error::Type, "setScratch: expected a Float64Array");
  }
  // The reference keeps the array (and so its memory) alive while the addon points into it.
  if (scratch.ref != nullptr) napi_delete_reference(env, scratch.ref);
  napi_create_reference(env, arg, 1, &scratch.ref);
  scratch.data = static_cast<double*>(data);
  scratch.length = length;
  return nullptr;
}

napi_value Kernels(napi_env env, napi_callback_info) {
  napi_value list;
  napi_create_array_with_length(env, KERNEL_COUNT, &list);
  for (int i = 0; i < KERNEL_COUNT; i++) {
    napi_value pair, name, attrs;
    napi_create_array_with_length(env, 2, &pair);
    napi_create_string_utf8(env, KERNELS[i].name, NAPI_AUTO_LENGTH, &name);
    napi_create_string_utf8(env, KERNELS[i].attrs, NAPI_AUTO_LENGTH, &attrs);
    napi_set_element(env, pair, 0, name);
    napi_set_element(env, pair, 1, attrs);
    napi_set_element(env, list, i, pair);
  }
  return list;
}

napi_value Info(napi_env env, napi_callback_info) {
  napi_value obj, v;
  napi_create_object(env, &obj);
  napi_create_string_utf8(env, blas_info().c_str(), NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, obj, "blas", v);
  napi_create_string_utf8(env, vmath::implementation(), NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, obj, "vectorMath", v);
  napi_create_int32(env, pool_threads(), &v);
  napi_set_named_property(env, obj, "threads", v);
  napi_create_string_utf8(env, malloc_state, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, obj, "memory", v);
  return obj;
}

napi_value SetThreads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value arg;
  int32_t n = 0;
  napi_get_cb_info(env, info, &argc, &arg, nullptr, nullptr);
  if (argc < 1 || napi_get_value_int32(env, arg, &n) != napi_ok || n < 1) return throw_error(env, Error::Range, "setThreads: expected a positive integer");
  set_pool_threads(n);
  set_blas_threads(n);
  return nullptr;
}

// Where large tensors' memory comes from. Node allocates an ArrayBuffer's memory with malloc, and
// glibc serves allocations past its mmap threshold (128 KiB, raised as such blocks are freed, up
// to 32 MiB) with a fresh mmap each, which it unmaps on free: every large output of every op then
// costs a page fault per 4 KiB page when its kernel first writes it, and a training step faults
// in all of its activations again. With a high mmap threshold and trim threshold, freed blocks
// stay in the heap and the next outputs reuse their mapped pages, as PyTorch's tensors reuse
// theirs. The heap then keeps up to TRIM_KEPT free bytes rather than returning them to the
// system. A process that sets glibc's malloc tunables or MALLOC_*_ variables keeps its own
// policy. Returns the policy applied, for nativeInfo().
const char* malloc_policy() {
#ifdef __GLIBC__
  constexpr int MMAP_FROM = 256 << 20;  // only allocations past 256 MiB get a mapping of their own
  constexpr int TRIM_KEPT = 1 << 30;
  const bool user = std::getenv("GLIBC_TUNABLES") != nullptr || std::getenv("MALLOC_MMAP_THRESHOLD_") != nullptr || std::getenv("MALLOC_TRIM_THRESHOLD_") != nullptr;
  if (user) return "the environment's";
  if (mallopt(M_MMAP_THRESHOLD, MMAP_FROM) == 1 && mallopt(M_TRIM_THRESHOLD, TRIM_KEPT) == 1) return "glibc, heap up to 256 MiB blocks, 1 GiB kept";
  return "glibc defaults";
#else
  return "system defaults";
#endif
}

napi_value Init(napi_env env, napi_value exports) {
  const napi_property_descriptor props[] = {
      {"run", nullptr, Run, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setScratch", nullptr, SetScratch, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"kernels", nullptr, Kernels, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"info", nullptr, Info, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setThreads", nullptr, SetThreads, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  static const char* const policy = malloc_policy();
  malloc_state = policy;
  if (const char* t = std::getenv("TAPEGRAD_NUM_THREADS")) {
    int n = std::atoi(t);
    if (n >= 1) {
      set_pool_threads(n);
      set_blas_threads(n);
    }
  }
  return exports;
}

}  // namespace
}  // namespace tg

NAPI_MODULE(NODE_GYP_MODULE_NAME, tg::Init)
