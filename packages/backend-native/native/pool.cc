#include "pool.h"

#include <sched.h>

#include <atomic>
#include <chrono>
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

// After a task a worker polls for this long for the next one before it sleeps: the next kernel of
// an expression (after the caller's last chunk, the return to JavaScript and the allocation of its
// output) then starts without a wake-up, while an idle pool gives the cores back to OpenBLAS and
// to other processes soon after. Measured in time, not in pause instructions, whose length varies
// tenfold between CPUs. 5 us was too short on Zen 5: a*b+c, the MLP and the transformer step each
// ran about 10% faster at 25-50 us (see the package README).
constexpr std::chrono::microseconds SPIN{50};

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

// A job's chunks are handed out through one atomic word, the ticket: job number (32 bits),
// chunk count (16 bits) and next chunk (16 bits). A thread claims a chunk by advancing the
// ticket with a compare-and-swap, which fails once the job has changed, so a worker that wakes
// late never touches a job it has no chunk of. The caller waits only for claimed chunks to
// finish, never for a worker the system has not scheduled yet: it takes the chunks itself.
constexpr uint64_t job_of(uint64_t t) { return t >> 32; }
constexpr uint64_t count_of(uint64_t t) { return (t >> 16) & 0xffff; }
constexpr uint64_t next_of(uint64_t t) { return t & 0xffff; }

class Pool {
 public:
  void run(int threads, int64_t n, int64_t chunk, const std::function<void(int64_t, int64_t)>& fn) {
    ensure(threads - 1);
    fn_ = &fn;
    n_ = n;
    chunk_ = chunk;
    const uint64_t chunks = static_cast<uint64_t>((n + chunk - 1) / chunk);
    done_.store(0, std::memory_order_relaxed);
    error_ = nullptr;
    const uint64_t job = job_of(ticket_.load(std::memory_order_relaxed)) + 1;
    {
      std::lock_guard<std::mutex> lk(mu_);
      ticket_.store((job << 32) | (chunks << 16), std::memory_order_release);
    }
    if (sleepers_.load(std::memory_order_acquire) > 0) cv_.notify_all();
    in_task = true;
    work(job);
    in_task = false;
    while (done_.load(std::memory_order_acquire) != chunks) cpu_relax();
    fn_ = nullptr;
    if (error_) std::rethrow_exception(error_);
  }

 private:
  void ensure(int workers) {
    while (static_cast<int>(workers_.size()) < workers) {
      // A new worker starts from the current job number, read here: one that only starts running
      // after the next job is published must still see that job as new.
      uint64_t seen = job_of(ticket_.load(std::memory_order_acquire));
      workers_.emplace_back([this, seen] { loop(seen); });
    }
  }

  // Claims and runs chunks of `job` until none are left (or the job is another one).
  void work(uint64_t job) {
    uint64_t t = ticket_.load(std::memory_order_acquire);
    for (;;) {
      if (job_of(t) != job || next_of(t) >= count_of(t)) return;
      if (!ticket_.compare_exchange_weak(t, t + 1, std::memory_order_acq_rel, std::memory_order_acquire)) continue;
      const int64_t lo = static_cast<int64_t>(next_of(t)) * chunk_, hi = std::min(n_, lo + chunk_);
      try {
        (*fn_)(lo, hi);
      } catch (...) {
        std::lock_guard<std::mutex> lk(err_mu_);
        if (!error_) error_ = std::current_exception();
      }
      done_.fetch_add(1, std::memory_order_release);
      t = ticket_.load(std::memory_order_acquire);
    }
  }

  void loop(uint64_t seen) {
    in_task = true;
    for (;;) {
      uint64_t job = seen;
      const auto until = std::chrono::steady_clock::now() + SPIN;
      for (int i = 1; (job = job_of(ticket_.load(std::memory_order_acquire))) == seen; i++) {
        cpu_relax();
        if (i % 16 == 0 && std::chrono::steady_clock::now() >= until) break;
      }
      if (job == seen) {
        std::unique_lock<std::mutex> lk(mu_);
        sleepers_.fetch_add(1, std::memory_order_acq_rel);
        cv_.wait(lk, [&] { return job_of(ticket_.load(std::memory_order_acquire)) != seen; });
        sleepers_.fetch_sub(1, std::memory_order_acq_rel);
        job = job_of(ticket_.load(std::memory_order_acquire));
      }
      seen = job;
      work(job);
    }
  }

  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<int> sleepers_{0};
  std::atomic<uint64_t> ticket_{0};
  std::atomic<uint64_t> done_{0};
  const std::function<void(int64_t, int64_t)>* fn_ = nullptr;
  int64_t n_ = 0, chunk_ = 1;
  std::mutex err_mu_;
  std::exception_ptr error_;
};

std::atomic<int> threads_setting{0};

Pool& pool() {
  // Never destroyed (its threads sleep until the process exits).
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
  // One job at a time: a second JavaScript thread (a Worker) arriving meanwhile runs inline.
  static std::mutex busy;
  std::unique_lock<std::mutex> lk(busy, std::try_to_lock);
  if (!lk.owns_lock()) {
    fn(0, n);
    return;
  }
  // Several chunks per thread, so that a thread the system delays holds up nobody for long.
  int64_t chunk = (n + 8 * threads - 1) / (8 * threads);
  if (chunk < grain) chunk = grain;
  if ((n + chunk - 1) / chunk > 0xffff) chunk = (n + 0xfffe) / 0xffff;
  pool().run(threads, n, chunk, fn);
}

}  // namespace tg
