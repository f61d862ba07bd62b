// A small fork-join thread pool for the kernels that are not GEMM (OpenBLAS threads those itself).
#pragma once

#include <cstdint>
#include <functional>

namespace tg {

// Threads a parallel_for uses, the calling thread included (1 means everything runs inline).
int pool_threads();
// Sets it (at least 1); takes effect from the next parallel_for.
void set_pool_threads(int n);

// Splits [0, n) into contiguous chunks of at least `grain` indices and runs fn(lo, hi) on each,
// on the calling thread and the pool's workers, returning when all chunks are done. Runs inline
// when there is one chunk, one thread, or when called from inside a pool task. An exception
// thrown by fn is rethrown on the calling thread once every chunk has finished.
void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

}  // namespace tg
