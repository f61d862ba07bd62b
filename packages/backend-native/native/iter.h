// Row-by-row walks over several strided operands of one shape, as the reference kernels do:
// neighbouring dims that are contiguous in every operand merge, size-1 dims drop, so a broadcast
// or sliced operation is usually one or a few long rows. A walk can start and stop at any flat
// index, which is how the thread pool splits work.
#pragma once

#include <array>
#include <cstdint>

#include "pool.h"
#include "tg.h"

namespace tg {

template <int K>
struct Rows {
  using Offs = std::array<int64_t, K>;
  SmallVec<int64_t, 8> shape;  // collapsed dims, outermost first
  SmallVec<Offs, 8> strides;   // strides[d][k]: operand k's stride along collapsed dim d
  Offs start{};
  int64_t total = 1;

  // shape: the common shape; strides[k]: operand k's strides; starts[k]: its offset.
  Rows(const int64_t* shp, int nd, const std::array<const int64_t*, K>& st, const Offs& starts) : start(starts) {
    for (int d = 0; d < nd; d++) {
      int64_t n = shp[d];
      total *= n;
      if (n == 1) continue;
      if (!shape.empty()) {
        bool merge = true;
        for (int k = 0; k < K && merge; k++) merge = strides.back()[k] == st[k][d] * n;
        if (merge) {
          shape.back() *= n;
          for (int k = 0; k < K; k++) strides.back()[k] = st[k][d];
          continue;
        }
      }
      shape.push_back(n);
      Offs s;
      for (int k = 0; k < K; k++) s[k] = st[k][d];
      strides.push_back(s);
    }
  }

  int64_t row_length() const { return shape.empty() ? 1 : shape.back(); }
  Offs steps() const {
    Offs s{};
    if (!shape.empty()) s = strides.back();
    return s;
  }

  // Calls row(offs, n, steps) for the elements with flat (row-major) index in [lo, hi).
  template <class F>
  void walk(int64_t lo, int64_t hi, F&& row) const {
    if (lo >= hi) return;
    const int nd = static_cast<int>(shape.size());
    const int64_t len = row_length();
    const Offs st = steps();
    // Position of lo: its row's multi-index over the outer dims, and its column.
    SmallVec<int64_t, 8> idx;
    idx.resize(nd > 1 ? nd - 1 : 0);
    Offs base = start;
    int64_t r = lo / len, j = lo % len;
    for (int d = nd - 2; d >= 0; d--) {
      idx[d] = r % shape[d];
      r /= shape[d];
      for (int k = 0; k < K; k++) base[k] += idx[d] * strides[d][k];
    }
    int64_t pos = lo;
    for (;;) {
      int64_t n = len - j;
      if (n > hi - pos) n = hi - pos;
      Offs o;
      for (int k = 0; k < K; k++) o[k] = base[k] + j * st[k];
      row(o, n, st);
      pos += n;
      if (pos >= hi) return;
      j = 0;
      for (int d = nd - 2; d >= 0; d--) {
        for (int k = 0; k < K; k++) base[k] += strides[d][k];
        if (++idx[d] < shape[d]) break;
        for (int k = 0; k < K; k++) base[k] -= strides[d][k] * shape[d];
        idx[d] = 0;
      }
    }
  }

  // Walks everything, on the thread pool when there are at least `parallel_from` elements.
  template <class F>
  void run(int64_t parallel_from, F&& row) const {
    if (total == 0) return;
    if (total < parallel_from) {
      walk(0, total, row);
      return;
    }
    parallel_for(total, parallel_from / 2, [&](int64_t lo, int64_t hi) { walk(lo, hi, row); });
  }
};

}  // namespace tg
