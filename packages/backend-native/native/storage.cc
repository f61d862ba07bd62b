// Output storage that comes back for reuse.
//
// A tensor's memory is owned by its JavaScript ArrayBuffer and freed when the garbage collector
// finds the buffer unreachable. Left to the system allocator, every large output of a training
// step is a fresh mmap: the kernel that writes it first takes a page fault per 4 KiB page, and
// the memory goes back to the system at the next collection, so the next step faults it all in
// again (a third of a transformer step's time was spent in the kernel that way).
//
// Here outputs are blocks of a size class kept in free lists: the ArrayBuffer is created over a
// block with a V8 backing-store deleter that puts the block back on its list when the collector
// frees the buffer (on whichever thread V8 sweeps on, hence the mutex). A later output of that
// class reuses the block, whose pages are already mapped. Blocks are never handed out twice:
// a block is on a free list only after V8 has released the only ArrayBuffer over it. The lists
// hold at most CACHE_LIMIT bytes; beyond that a released block goes back to the system.
//
// N-API has no way to give an ArrayBuffer a synchronous deleter (napi_create_external_arraybuffer
// defers its finalizer to the event loop, so a synchronous training loop would never get its
// memory back), so this one function uses V8's API. A napi_value is Node's handle to a
// v8::Local, the same pointer, which is how the result goes back through N-API.
#include <node_api.h>
#include <v8.h>

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace tg {
namespace {

constexpr size_t ALIGN = 64;              // a cache line, and an AVX-512 vector
constexpr size_t CACHE_LIMIT = size_t(1) << 30;

std::mutex mu;
std::unordered_map<size_t, std::vector<void*>> free_lists;
size_t cached = 0;

// Small outputs share classes of 256 bytes, large ones of a page.
size_t size_class(size_t bytes) {
  const size_t step = bytes < (size_t(64) << 10) ? 256 : 4096;
  return (bytes + step - 1) / step * step;
}

void* take(size_t cls) {
  {
    std::lock_guard<std::mutex> lk(mu);
    auto it = free_lists.find(cls);
    if (it != free_lists.end() && !it->second.empty()) {
      void* p = it->second.back();
      it->second.pop_back();
      cached -= cls;
      return p;
    }
  }
  void* p = nullptr;
  return posix_memalign(&p, ALIGN, cls) == 0 ? p : nullptr;
}

// V8's deleter: the ArrayBuffer over `data` is gone; its block goes back on its list.
void give_back(void* data, size_t, void* cls_as_pointer) {
  const size_t cls = reinterpret_cast<size_t>(cls_as_pointer);
  {
    std::lock_guard<std::mutex> lk(mu);
    if (cached + cls <= CACHE_LIMIT) {
      free_lists[cls].push_back(data);
      cached += cls;
      return;
    }
  }
  std::free(data);
}

}  // namespace

// allocate(bytes): an ArrayBuffer of `bytes` uninitialized bytes from the pool.
napi_value Allocate(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value arg;
  double bytes = -1;
  napi_get_cb_info(env, info, &argc, &arg, nullptr, nullptr);
  if (argc < 1 || napi_get_value_double(env, arg, &bytes) != napi_ok || !(bytes >= 1 && bytes <= 9007199254740992.0) || bytes != static_cast<double>(static_cast<size_t>(bytes))) {
    napi_throw_range_error(env, nullptr, "native allocate: expected a positive whole number of bytes");
    return nullptr;
  }
  const size_t n = static_cast<size_t>(bytes), cls = size_class(n);
  void* p = take(cls);
  if (p == nullptr) {
    napi_throw_range_error(env, nullptr, ("native allocate: out of memory for " + std::to_string(n) + " bytes").c_str());
    return nullptr;
  }
  std::unique_ptr<v8::BackingStore> store = v8::ArrayBuffer::NewBackingStore(p, n, give_back, reinterpret_cast<void*>(cls));
  v8::Local<v8::Value> buffer = v8::ArrayBuffer::New(v8::Isolate::GetCurrent(), std::move(store));
  napi_value result;
  static_assert(sizeof(result) == sizeof(buffer), "napi_value is a v8::Local");
  std::memcpy(&result, &buffer, sizeof(result));
  return result;
}

// The bytes the free lists hold (for tests and diagnostics).
size_t pooled_bytes() {
  std::lock_guard<std::mutex> lk(mu);
  return cached;
}

}  // namespace tg
