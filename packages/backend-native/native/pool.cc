#include "pool.h"

#include <sched.h>

#include <atomic>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
static inline void cpu_relax() { _mm_pause(); }
#else
static inline void cpu_relax() { std::this_thread::yield(); }
#endif

namespace tg {
namespace {

// After finishing a task a worker polls this many times (a few tens of microseconds) for the next
// one before it sleeps: back-to-back kernels then start without a wake-up, while an idle pool
// gives both cores back to OpenBLAS and to other processes almost at once.
constexpr int SPIN = 4000;

int default_threads() {
#ifdef __linux__
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
#endif
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

thread_local bool in_task = false;

class Pool {
 public:
  ~Pool() {
    {
      std::lock_guard<std::mutex> lk(mu_);
      stop_.store(true, std::memory_order_release);
      word_.fetch_add(1 << 8, std::memory_order_release);
    }
    cv_.notify_all();
    for (auto& t : workers_) t.join();
  }

  void run(int threads, int64_t n, int64_t chunk, const std::function<void(int64_t, int64_t)>& fn) {
    ensure(threads - 1);
    fn_ = &fn;
    n_ = n;
    chunk_ = chunk;
    chunks_ = (n + chunk - 1) / chunk;
    next_.store(0, std::memory_order_relaxed);
    error_ = nullptr;
    const int helpers = static_cast<int>(std::min<int64_t>(threads - 1, chunks_ - 1));
    active_.store(helpers, std::memory_order_relaxed);
    {
      // The job's number and how many workers it wants are published together, in one word.
      std::lock_guard<std::mutex> lk(mu_);
      uint64_t w = word_.load(std::memory_order_relaxed);
      word_.store((((w >> 8) + 1) << 8) | static_cast<uint64_t>(helpers), std::memory_order_release);
    }
    cv_.notify_all();
    in_task = true;
    work();
    in_task = false;
    while (active_.load(std::memory_order_acquire) != 0) cpu_relax();
    fn_ = nullptr;
    if (error_) std::rethrow_exception(error_);
  }

 private:
  void ensure(int workers) {
    while (static_cast<int>(workers_.size()) < workers) {
      // The worker starts from the current job number, read here: a thread that only starts
      // running after the next job is published must still see that job as new.
      int id = static_cast<int>(workers_.size());
      uint64_t seen = word_.load(std::memory_order_acquire) >> 8;
      workers_.emplace_back([this, id, seen] { loop(id, seen); });
    }
  }

  void work() {
    for (;;) {
      int64_t i = next_.fetch_add(1, std::memory_order_relaxed);
      if (i >= chunks_) return;
      int64_t lo = i * chunk_, hi = std::min(n_, lo + chunk_);
      try {
        (*fn_)(lo, hi);
      } catch (...) {
        std::lock_guard<std::mutex> lk(err_mu_);
        if (!error_) error_ = std::current_exception();
      }
    }
  }

  void loop(int id, uint64_t seen) {
    in_task = true;
    for (;;) {
      uint64_t w = 0;
      for (int i = 0; i < SPIN && ((w = word_.load(std::memory_order_acquire)) >> 8) == seen; i++) cpu_relax();
      if ((w >> 8) == seen) {
        std::unique_lock<std::mutex> lk(mu_);
        cv_.wait(lk, [&] { return (word_.load(std::memory_order_acquire) >> 8) != seen; });
        w = word_.load(std::memory_order_acquire);
      }
      seen = w >> 8;
      if (stop_.load(std::memory_order_acquire)) return;
      // Only the first `helpers` workers take part in this job; the others go back to waiting.
      // A worker counted in a job is waited for, so the job cannot end (and be replaced) before it.
      if (id < static_cast<int>(w & 0xff)) {
        work();
        active_.fetch_sub(1, std::memory_order_release);
      }
    }
  }

  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<uint64_t> word_{0};  // job number << 8 | workers wanted
  std::atomic<bool> stop_{false};
  const std::function<void(int64_t, int64_t)>* fn_ = nullptr;
  int64_t n_ = 0, chunk_ = 1, chunks_ = 0;
  std::atomic<int64_t> next_{0};
  std::atomic<int> active_{0};
  std::mutex err_mu_;
  std::exception_ptr error_;
};

int threads_setting = 0;

Pool& pool() {
  // Never destroyed: joining threads while the process exits would only slow the exit down.
  static Pool* p = new Pool();
  return *p;
}

}  // namespace

int pool_threads() {
  if (threads_setting == 0) threads_setting = default_threads();
  return threads_setting;
}

void set_pool_threads(int n) { threads_setting = n < 1 ? 1 : n > 256 ? 256 : n; }

void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  const int threads = pool_threads();
  if (grain < 1) grain = 1;
  if (threads <= 1 || in_task || n < 2 * grain) {
    fn(0, n);
    return;
  }
  // A few chunks per thread, so a thread the OS delays does not hold up the others for long.
  int64_t chunk = (n + 4 * threads - 1) / (4 * threads);
  if (chunk < grain) chunk = grain;
  pool().run(threads, n, chunk, fn);
}

}  // namespace tg
