// Reductions (sum prod max min argmax argmin) over any axes of a strided input. Each output adds
// its elements in the reference's order (row-major over the reduced dims) into a float64
// accumulator, so results are identical to the TypeScript kernels, whatever the layout. Two loop
// orders: one output at a time, or, when the outputs are contiguous in the input (a reduction over
// a leading axis), a block of outputs at once with the reduced elements outermost, which the
// compiler vectorizes without reordering any output's sum.
#include <algorithm>
#include <climits>
#include <limits>
#include <type_traits>

#include "iter.h"
#include "tg.h"

namespace tg {
namespace {

enum class R { Sum, Prod, Max, Min, ArgMax, ArgMin };

constexpr bool arg(R op) { return op == R::ArgMax || op == R::ArgMin; }
// Input elements from which a reduction is split over the thread pool (a chunk has at least
// half as many).
constexpr int64_t PAR = 1 << 16;
// Fewest outputs of a block when blocks are narrowed for the threads: each output's sum is one
// chain of dependent adds, so a block needs several side by side to keep the adder busy.
constexpr int64_t MIN_STRIDED = 8;
constexpr int64_t MIN_CONTIGUOUS = 64;
// Outputs accumulated together in the block order: contiguous ones, and strided ones (whose
// chains interleave while their cache lines stay in L1).
constexpr int64_t BLOCK = 512;
constexpr int64_t INTERLEAVE = 32;
constexpr int GROUP = 8;

// Sums and products accumulate in float64 (as the reference does); extremes compare in the
// element type, which is exact, so a block of float32 outputs fills a whole vector register.
template <R op, class T>
using Acc = std::conditional_t<op == R::Sum || op == R::Prod, double, T>;

template <R op, class A>
constexpr A start() {
  if constexpr (op == R::Sum) return 0;
  if constexpr (op == R::Prod) return 1;
  if constexpr (std::is_floating_point_v<A>) {
    if constexpr (op == R::Max || op == R::ArgMax) return -std::numeric_limits<A>::infinity();
    return std::numeric_limits<A>::infinity();
  }
  if constexpr (op == R::Max || op == R::ArgMax) return std::numeric_limits<A>::lowest();
  return std::numeric_limits<A>::max();
}

// Folds element v (the j-th of its output) into (m, k). The first NaN wins and stays, as in the
// reference (which stops at it). For integers, starting at the type's extreme instead of
// -Infinity picks the same element: a first element equal to the start is only taken if nothing
// beats it, and the index stays 0 either way.
template <R op, class A, class K>
inline void fold(A& m, K& k, A v, K j) {
  if constexpr (op == R::Sum) m += v;
  else if constexpr (op == R::Prod) m *= v;
  else {
    // Branch-free, so that a block of outputs vectorizes.
    const bool better = (op == R::Max || op == R::ArgMax) ? v > m : v < m;
    const bool take = better | ((v != v) & (m == m));
    m = take ? v : m;
    if constexpr (arg(op)) k = take ? j : k;
  }
}

// Merges dims of a single strided operand that are contiguous (and drops size-1 dims).
void collapse1(std::vector<int64_t>& shape, std::vector<int64_t>& strides) {
  std::vector<int64_t> s, t;
  for (size_t d = 0; d < shape.size(); d++) {
    if (shape[d] == 1) continue;
    if (!s.empty() && t.back() == strides[d] * shape[d]) {
      s.back() *= shape[d];
      t.back() = strides[d];
    } else {
      s.push_back(shape[d]);
      t.push_back(strides[d]);
    }
  }
  shape.swap(s);
  strides.swap(t);
}

template <R op, class T>
void reduce_typed(const View& x, const View& o, const std::vector<int64_t>& kshape, const std::vector<int64_t>& kstr,
                  const std::vector<int64_t>& rshape, const std::vector<int64_t>& rstr) {
  using A = Acc<op, T>;
  const T* xb = x.ptr<T>();
  int64_t outputs = 1, count = 1;
  for (int64_t n : kshape) outputs *= n;
  for (int64_t n : rshape) count *= n;
  // Offsets of the reduced elements, in order, as rows: every output walks the same ones.
  Rows<1> red(rshape.data(), static_cast<int>(rshape.size()), {rstr.data()}, {0});
  const bool one_row = rshape.size() <= 1;
  const int64_t rstep = rshape.empty() ? 0 : rstr.back();
  // Stores the result of output i: straight into an output of the kernel's own type (the input's,
  // int32 for arg*), through store_any otherwise; both convert as a typed-array store does.
  const bool typed_out = arg(op) ? o.dtype == I32 : o.dtype == x.dtype;
  auto store = [&](int64_t i, A m, int64_t k) {
    if (typed_out) {
      if constexpr (arg(op)) o.ptr<int32_t>()[o.offset + i] = static_cast<int32_t>(k);
      else o.ptr<T>()[o.offset + i] = store_as<T>(static_cast<double>(m));
    } else {
      store_any(o.data, o.dtype, o.offset + i, arg(op) ? static_cast<double>(k) : static_cast<double>(m));
    }
  };

  // Block order: a block of outputs along the innermost kept dim accumulates together, the reduced
  // elements in the outer loop: each output still adds its elements in order, but the block's
  // independent chains run side by side (vectorized when that dim is contiguous).
  int64_t width = kshape.empty() ? 0 : kstr.back() == 1 ? BLOCK : INTERLEAVE;
  const bool block_order = !kshape.empty() && kshape.back() >= 4 && count > 1 && (kstr.back() == 1 || count >= 8) && count <= INT32_MAX;
  if (!block_order) {
    Rows<1> kept(kshape.data(), static_cast<int>(kshape.size()), {kstr.data()}, {x.offset});
    const int64_t grain = std::max<int64_t>(1, PAR / 2 / std::max<int64_t>(count, 1));
    auto range = [&](int64_t lo, int64_t hi) {
      int64_t i = lo;
      kept.walk(lo, hi, [&](Rows<1>::Offs p, int64_t n, Rows<1>::Offs s) {
        for (int64_t q = 0; q < n; q++, i++) {
          const T* base = xb + p[0] + q * s[0];
          A m = start<op, A>();
          int64_t k = 0;
          if (one_row) {
            for (int64_t j = 0; j < count; j++) fold<op>(m, k, static_cast<A>(base[j * rstep]), j);
          } else {
            int64_t j = 0;
            red.walk(0, count, [&](Rows<1>::Offs rp, int64_t rn, Rows<1>::Offs rs) {
              for (int64_t t = 0; t < rn; t++, j++) fold<op>(m, k, static_cast<A>(base[rp[0] + t * rs[0]]), j);
            });
          }
          store(i, m, k);
        }
      });
    };
    if (outputs * count < PAR) range(0, outputs);
    else parallel_for(outputs, grain, range);
    return;
  }

  const int64_t inner = kshape.back(), istep = kstr.back();
  std::vector<int64_t> oshape(kshape.begin(), kshape.end() - 1), ostr(kstr.begin(), kstr.end() - 1);
  Rows<1> outer(oshape.data(), static_cast<int>(oshape.size()), {ostr.data()}, {x.offset});
  const bool parallel = outputs * count >= PAR && pool_threads() > 1;
  // Too few blocks to keep every thread busy (a few channels of a big tensor): narrower blocks,
  // down to MIN_STRIDED or MIN_CONTIGUOUS outputs (no output's sum is ever split, so a few long
  // sums stay on one thread: their chains, not the threads, bound the time).
  const int64_t wanted = 2 * pool_threads();
  if (parallel && outer.total * ((inner + width - 1) / width) < wanted) {
    const int64_t per = (wanted + outer.total - 1) / outer.total;
    width = std::min(width, std::max<int64_t>(istep == 1 ? MIN_CONTIGUOUS : MIN_STRIDED, (inner + per - 1) / per));
  }
  const int64_t blocks = (inner + width - 1) / width;
  const int64_t tasks = outer.total * blocks;
  auto range = [&](int64_t lo, int64_t hi) {
    A m[BLOCK];
    int32_t k[BLOCK];
    for (int64_t t = lo; t < hi; t++) {
      const int64_t ob = t / blocks, j0 = (t % blocks) * width, w = std::min(width, inner - j0);
      int64_t base = 0;
      outer.walk(ob, ob + 1, [&](Rows<1>::Offs p, int64_t, Rows<1>::Offs) { base = p[0]; });
      const T* xp = xb + base + j0 * istep;
      if (istep == 1) {
        for (int64_t q = 0; q < w; q++) m[q] = start<op, A>(), k[q] = 0;
        int32_t j = 0;
        red.walk(0, count, [&](Rows<1>::Offs rp, int64_t rn, Rows<1>::Offs rs) {
          for (int64_t r = 0; r < rn; r++, j++) {
            const T* row = xp + rp[0] + r * rs[0];
            for (int64_t q = 0; q < w; q++) fold<op>(m[q], k[q], static_cast<A>(row[q]), j);
          }
        });
      } else {
        // Strided outputs (a channel's sum over batch and pixels): GROUP chains at a time, held in
        // registers, since each is as long as the reduction. A group short of GROUP outputs
        // repeats its first in the spare chains and drops their results.
        for (int64_t q0 = 0; q0 < w; q0 += GROUP) {
          A gm[GROUP];
          int32_t gk[GROUP];
          int64_t at[GROUP];
          for (int g = 0; g < GROUP; g++) gm[g] = start<op, A>(), gk[g] = 0, at[g] = (q0 + g < w ? q0 + g : q0) * istep;
          int32_t j = 0;
          red.walk(0, count, [&](Rows<1>::Offs rp, int64_t rn, Rows<1>::Offs rs) {
            for (int64_t r = 0; r < rn; r++, j++) {
              const T* row = xp + rp[0] + r * rs[0];
              for (int g = 0; g < GROUP; g++) fold<op>(gm[g], gk[g], static_cast<A>(row[at[g]]), j);
            }
          });
          for (int64_t g = 0; g < GROUP && q0 + g < w; g++) m[q0 + g] = gm[g], k[q0 + g] = gk[g];
        }
      }
      const int64_t first = ob * inner + j0;
      for (int64_t q = 0; q < w; q++) store(first + q, m[q], k[q]);
    }
  };
  if (!parallel) range(0, tasks);
  else parallel_for(tasks, std::max<int64_t>(1, PAR / 2 / std::max<int64_t>(count * std::min(inner, width), 1)), range);
}

template <R op>
void reduce(Call& c) {
  const View& x = c.in.at(0);
  const View& o = c.out;
  const std::vector<int64_t> axes = c.attrs.list();
  c.attrs.integer();  // keepdims: out's shape already says it
  std::vector<bool> reduced(x.ndim, false);
  for (int64_t a : axes) {
    if (a < 0 || a >= x.ndim || reduced[a]) fail(Error::Range, std::string(c.op) + ": invalid axes for an input of shape " + fmt_shape(x));
    reduced[a] = true;
  }
  std::vector<int64_t> kshape, kstr, rshape, rstr;
  for (int d = 0; d < x.ndim; d++) {
    (reduced[d] ? rshape : kshape).push_back(x.shape[d]);
    (reduced[d] ? rstr : kstr).push_back(x.strides[d]);
  }
  int64_t outputs = 1, count = 1;
  for (int64_t n : kshape) outputs *= n;
  for (int64_t n : rshape) count *= n;
  if (outputs != o.size()) fail(Error::Range, std::string(c.op) + ": output shape " + fmt_shape(o) + " does not match input " + fmt_shape(x) + " reduced");
  if (outputs == 0) return;
  if (count == 0 && op != R::Sum && op != R::Prod) fail(Error::Range, std::string(c.op) + ": cannot reduce over an axis of size 0");
  collapse1(kshape, kstr);
  collapse1(rshape, rstr);
  with_type(x.dtype, [&](auto* tag) { reduce_typed<op, std::remove_pointer_t<decltype(tag)>>(x, o, kshape, kstr, rshape, rstr); });
}

}  // namespace

void k_sum(Call& c) { reduce<R::Sum>(c); }
void k_prod(Call& c) { reduce<R::Prod>(c); }
void k_max(Call& c) { reduce<R::Max>(c); }
void k_min(Call& c) { reduce<R::Min>(c); }
void k_argmax(Call& c) { reduce<R::ArgMax>(c); }
void k_argmin(Call& c) { reduce<R::ArgMin>(c); }

}  // namespace tg
