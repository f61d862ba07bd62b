// Movement that copies: pad (strided embedding), concat, gather, scatterAdd. Values are moved as
// they are (bits) when the dtypes match, and converted as a typed-array store otherwise.
// gather and scatterAdd split their index positions over the pool (scatterAdd by its leading dim,
// off the axis, so that repeated indices still add up in the reference's order), and report the
// first out-of-range index in index order, as the reference does.
#include <algorithm>
#include <climits>
#include <mutex>

#include "iter.h"
#include "tg.h"

namespace tg {
namespace {

constexpr int64_t PAR = 1 << 20;

// Copies src (any strides) into dst storage at dst_off with dst_strides, same shape as src.
void strided_copy(const View& src, void* dst, DType dd, int64_t dst_off, const int64_t* dst_strides) {
  Rows<2> rows(src.shape, src.ndim, {dst_strides, src.strides}, {dst_off, src.offset});
  if (src.dtype == dd) {
    auto moved = [&](auto* tag) {
      using T = std::remove_pointer_t<decltype(tag)>;
      T* o = static_cast<T*>(dst);
      const T* s = src.ptr<T>();
      rows.run(PAR, [&](Rows<2>::Offs p, int64_t n, Rows<2>::Offs st) {
        if (st[0] == 1 && st[1] == 1) std::memcpy(o + p[0], s + p[1], n * sizeof(T));
        else for (int64_t i = 0; i < n; i++) o[p[0] + i * st[0]] = s[p[1] + i * st[1]];
      });
    };
    const int64_t size = dtype_bytes(dd);
    if (size == 8) moved(static_cast<uint64_t*>(nullptr));
    else if (size == 4) moved(static_cast<uint32_t*>(nullptr));
    else moved(static_cast<uint8_t*>(nullptr));
    return;
  }
  rows.run(PAR, [&](Rows<2>::Offs p, int64_t n, Rows<2>::Offs st) {
    for (int64_t i = 0; i < n; i++) store_any(dst, dd, p[0] + i * st[0], load_any(src.data, src.dtype, p[1] + i * st[1]));
  });
}

void fill(const View& o, double value) {
  with_type(o.dtype, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    std::fill(o.ptr<T>() + o.offset, o.ptr<T>() + o.offset + o.size(), store_as<T>(value));
  });
}

// Offset of index element positions into a tensor with strides `t` (the gather/scatter axis
// excluded): index and that tensor share every dim but the axis.
std::vector<int64_t> without_axis(const int64_t* strides, int ndim, int64_t axis) {
  std::vector<int64_t> s(strides, strides + ndim);
  s[axis] = 0;
  return s;
}

// Checks what gather/scatterAdd need: index is int32, has t's rank and fits in t off the axis.
int64_t check_index(const Call& c, const View& index, const View& t, int64_t axis) {
  need_dtype(c, index, I32, "index");
  if (axis < 0 || axis >= t.ndim || index.ndim != t.ndim) {
    fail(Error::Range, std::string(c.op) + ": index " + fmt_shape(index) + " does not fit " + fmt_shape(t) + " along axis " + std::to_string(axis));
  }
  for (int d = 0; d < t.ndim; d++) {
    if (d != axis && index.shape[d] > t.shape[d]) fail(Error::Range, std::string(c.op) + ": index " + fmt_shape(index) + " is larger than " + fmt_shape(t) + " at dim " + std::to_string(d));
  }
  return t.shape[axis];
}

[[noreturn]] void out_of_range(const Call& c, int32_t ix, int64_t axis, int64_t len) {
  fail(Error::Range, std::string(c.op) + ": index " + std::to_string(ix) + " is out of range for axis " + std::to_string(axis) + " of size " + std::to_string(len));
}

// Index positions per chunk of gather and scatterAdd on the pool.
constexpr int64_t INDEX_GRAIN = 1 << 15;

// The first out-of-range index, in index order, that the chunks of a parallel walk met (each
// chunk stops at its first).
class FirstBad {
 public:
  // Whether ix is inside an axis of length len; if not, notes it at index position pos and
  // sets stop (the chunk ends there).
  bool valid(int32_t ix, int64_t len, int64_t pos, bool& stop) {
    if (ix >= -len && ix < len) return true;
    std::lock_guard<std::mutex> lk(mu_);
    if (pos < pos_) pos_ = pos, ix_ = ix;
    stop = true;
    return false;
  }
  void raise_if_any(const Call& c, int64_t axis, int64_t len) const {
    if (pos_ != INT64_MAX) out_of_range(c, ix_, axis, len);
  }

 private:
  std::mutex mu_;
  int64_t pos_ = INT64_MAX;
  int32_t ix_ = 0;
};

}  // namespace

// Writes x into a `value`-filled output at positions starts + i * steps (the adjoint of a strided slice).
void k_pad(Call& c) {
  const View& x = c.in.at(0);
  const View& o = c.out;
  const std::vector<int64_t> shape = c.attrs.list(), starts = c.attrs.list(), steps = c.attrs.list();
  const double value = c.attrs.num();
  if (static_cast<int64_t>(shape.size()) != o.ndim || static_cast<int64_t>(starts.size()) != x.ndim || static_cast<int64_t>(steps.size()) != x.ndim || x.ndim != o.ndim) {
    fail(Error::Range, "pad: attributes do not match input " + fmt_shape(x) + " and output " + fmt_shape(o));
  }
  std::vector<int64_t> strides(o.ndim);
  int64_t off = o.offset;
  const bool empty = x.size() == 0;
  for (int d = 0; d < o.ndim; d++) {
    if (shape[d] != o.shape[d]) fail(Error::Range, "pad: output shape " + fmt_shape(o) + " differs from the attribute shape");
    const int64_t last = starts[d] + (x.shape[d] - 1) * steps[d];
    if (!empty && (starts[d] < 0 || starts[d] >= o.shape[d] || last < 0 || last >= o.shape[d])) {
      fail(Error::Range, "pad: input " + fmt_shape(x) + " placed at starts/steps does not fit in the output " + fmt_shape(o));
    }
    off += starts[d] * o.strides[d];
    strides[d] = o.strides[d] * steps[d];
  }
  // The output is not zeroed beforehand: fill it all (+0 for a zero value, as the reference's
  // zeroed output has).
  fill(o, value == 0 ? 0.0 : value);
  if (!empty) strided_copy(x, o.data, o.dtype, off, strides.data());
}

// Concatenation along attrs.axis: each input is copied into its band of the output.
void k_concat(Call& c) {
  const View& o = c.out;
  const int64_t axis = c.attrs.integer();
  if (axis < 0 || axis >= o.ndim) fail(Error::Range, "concat: axis " + std::to_string(axis) + " is out of range for output " + fmt_shape(o));
  int64_t at = 0;
  for (const View& x : c.in) {
    bool fits = x.ndim == o.ndim;
    for (int d = 0; fits && d < o.ndim; d++) fits = d == axis || x.shape[d] == o.shape[d];
    if (!fits) fail(Error::Range, "concat: input " + fmt_shape(x) + " does not fit output " + fmt_shape(o) + " along axis " + std::to_string(axis));
    at += x.shape[axis];
  }
  if (at != o.shape[axis]) fail(Error::Range, "concat: inputs add up to " + std::to_string(at) + " along axis " + std::to_string(axis) + ", the output has " + std::to_string(o.shape[axis]));
  at = 0;
  for (const View& x : c.in) {
    strided_copy(x, o.data, o.dtype, o.offset + at * o.strides[axis], o.strides);
    at += x.shape[axis];
  }
}

// out[..., i, ...] = x[..., index[..., i, ...], ...] along attrs.axis (inputs: x, index).
void k_gather(Call& c) {
  const View& x = c.in.at(0);
  const View& index = c.in.at(1);
  const View& o = c.out;
  const int64_t axis = c.attrs.integer();
  const int64_t len = check_index(c, index, x, axis);
  same_shape(c, index, o, "index");
  need_dtype(c, o, x.dtype, "output");
  const std::vector<int64_t> ts = without_axis(x.strides, x.ndim, axis);
  const int64_t as = x.strides[axis];
  Rows<2> rows(index.shape, index.ndim, {index.strides, ts.data()}, {index.offset, x.offset});
  const int32_t* ib = index.ptr<int32_t>();
  with_type(x.dtype, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    const T* xb = x.ptr<T>();
    T* ob = o.ptr<T>() + o.offset;
    FirstBad bad;
    parallel_for(rows.total, INDEX_GRAIN, [&](int64_t lo, int64_t hi) {
      int64_t flat = lo;
      bool stop = false;
      rows.walk(lo, hi, [&](Rows<2>::Offs p, int64_t n, Rows<2>::Offs s) {
        if (stop) return;
        T* out = ob + flat;
        for (int64_t i = 0; i < n; i++) {
          const int32_t ix = ib[p[0] + i * s[0]];
          if (!bad.valid(ix, len, flat + i, stop)) return;
          out[i] = xb[p[1] + i * s[1] + (ix < 0 ? ix + len : ix) * as];
        }
        flat += n;
      });
    });
    bad.raise_if_any(c, axis, len);
  });
}

// The adjoint of gather: zeros of attrs.shape with src added at the indexed positions (inputs: index, src).
void k_scatterAdd(Call& c) {
  const View& index = c.in.at(0);
  const View& src = c.in.at(1);
  const View& o = c.out;
  const int64_t axis = c.attrs.integer();
  const std::vector<int64_t> shape = c.attrs.list();
  if (static_cast<int64_t>(shape.size()) != o.ndim || !std::equal(shape.begin(), shape.end(), o.shape)) {
    fail(Error::Range, "scatterAdd: output shape " + fmt_shape(o) + " differs from the attribute shape");
  }
  const int64_t len = check_index(c, index, o, axis);
  same_shape(c, src, index, "src");
  const std::vector<int64_t> ts = without_axis(o.strides, o.ndim, axis);
  const int64_t os = o.strides[axis];
  Rows<3> rows(index.shape, index.ndim, {index.strides, ts.data(), src.strides}, {index.offset, o.offset, src.offset});
  const int32_t* ib = index.ptr<int32_t>();
  fill(o, 0);  // outputs are not zeroed beforehand
  with_type(o.dtype, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    T* ob = o.ptr<T>();
    // src of the output's dtype (the gradient of a gather) is read as T; any other through load_any.
    const T* sb = src.dtype == o.dtype ? src.ptr<T>() : nullptr;
    // Index positions that differ along the leading dim (off the axis) write different places:
    // blocks of them run on the pool, each in index order.
    const int64_t outer = axis != 0 && index.ndim > 0 ? index.shape[0] : 1;
    const int64_t inner = outer > 0 ? rows.total / outer : 0;
    FirstBad bad;
    parallel_for(outer, std::max<int64_t>(1, INDEX_GRAIN / std::max<int64_t>(inner, 1)), [&](int64_t lo, int64_t hi) {
      int64_t flat = lo * inner;
      bool stop = false;
      rows.walk(lo * inner, hi * inner, [&](Rows<3>::Offs p, int64_t n, Rows<3>::Offs s) {
        if (stop) return;
        for (int64_t i = 0; i < n; i++) {
          const int32_t ix = ib[p[0] + i * s[0]];
          if (!bad.valid(ix, len, flat + i, stop)) return;
          T& dst = ob[p[1] + i * s[1] + (ix < 0 ? ix + len : ix) * os];
          const double v = sb ? static_cast<double>(sb[p[2] + i * s[2]]) : load_any(src.data, src.dtype, p[2] + i * s[2]);
          dst = store_as<T>(static_cast<double>(dst) + v);
        }
        flat += n;
      });
    });
    bad.raise_if_any(c, axis, len);
  });
}

// How scatter combines the values landing on one place (the order of SCATTER_REDUCE in src/index.ts).
enum class Reduce { None, Sum, Prod, Mean, Amax, Amin };

// out = self with src combined into the places index names along attrs.axis (inputs: self, index,
// src): replaced (the last write in index order wins), summed, multiplied, averaged (int32 rounds
// down) or the larger/smaller kept (NaN wins). Without includeSelf a place that receives values
// starts from its reduction's identity. Every step computes in double and stores in out's dtype, as
// the reference's typed-array updates do.
void k_scatter(Call& c) {
  const View& self = c.in.at(0);
  const View& index = c.in.at(1);
  const View& src = c.in.at(2);
  const View& o = c.out;
  const int64_t axis = c.attrs.integer();
  const int64_t code = c.attrs.integer();
  const bool include_self = c.attrs.num() != 0;
  if (code < 0 || code > static_cast<int64_t>(Reduce::Amin)) fail(Error::Range, "scatter: unknown reduction code " + std::to_string(code));
  const Reduce reduce = static_cast<Reduce>(code);
  same_shape(c, self, o, "self");
  same_shape(c, src, index, "src");
  const int64_t len = check_index(c, index, o, axis);
  // Every place and src offset first, in index order, so a bad index fails before any update.
  const std::vector<int64_t> ts = without_axis(o.strides, o.ndim, axis);
  const int64_t step = o.strides[axis];
  Rows<3> rows(index.shape, index.ndim, {index.strides, ts.data(), src.strides}, {index.offset, o.offset, src.offset});
  const int32_t* ib = index.ptr<int32_t>();
  std::vector<int64_t> places, from;
  places.reserve(rows.total);
  from.reserve(rows.total);
  rows.walk(0, rows.total, [&](Rows<3>::Offs p, int64_t n, Rows<3>::Offs s) {
    for (int64_t i = 0; i < n; i++) {
      const int32_t ix = ib[p[0] + i * s[0]];
      if (ix < -len || ix >= len) out_of_range(c, ix, axis, len);
      places.push_back(p[1] + i * s[1] + (ix < 0 ? ix + len : ix) * step);
      from.push_back(p[2] + i * s[2]);
    }
  });
  strided_copy(self, o.data, o.dtype, o.offset, o.strides);
  const size_t n = places.size();
  with_type(o.dtype, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    T* ob = o.ptr<T>();
    auto value = [&](size_t i) { return load_any(src.data, src.dtype, from[i]); };
    if (!include_self && reduce != Reduce::None) {
      const double start = reduce == Reduce::Prod ? 1 : reduce == Reduce::Amax ? -INFINITY : reduce == Reduce::Amin ? INFINITY : 0;
      for (size_t i = 0; i < n; i++) ob[places[i]] = store_as<T>(start);
    }
    for (size_t i = 0; i < n; i++) {
      T& dst = ob[places[i]];
      const double v = value(i), d = static_cast<double>(dst);
      switch (reduce) {
        case Reduce::None: dst = store_as<T>(v); break;
        case Reduce::Sum: case Reduce::Mean: dst = store_as<T>(d + v); break;
        case Reduce::Prod: dst = store_as<T>(d * v); break;
        case Reduce::Amax: if (v > d || v != v) dst = store_as<T>(v); break;
        case Reduce::Amin: if (v < d || v != v) dst = store_as<T>(v); break;
      }
    }
    if (reduce != Reduce::Mean) return;
    std::vector<int32_t> counts(o.offset + o.size(), 0);
    for (size_t i = 0; i < n; i++) counts[places[i]]++;
    const bool floor = o.dtype == I32;
    for (size_t p = 0; p < counts.size(); p++) {
      if (counts[p] == 0) continue;
      const double q = static_cast<double>(ob[p]) / (counts[p] + (include_self ? 1 : 0));
      ob[p] = store_as<T>(floor ? std::floor(q) : q);
    }
  });
}

}  // namespace tg
