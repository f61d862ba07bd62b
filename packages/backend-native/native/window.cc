// unfold2d (im2col) and fold2d (col2im, its adjoint), the loops of the reference kernels
// (packages/tensor/src/backend/js/window.ts) split over the thread pool by (image, channel):
// each plane writes its own part of the output, and fold2d sums every output element in the
// reference's order.
#include <algorithm>
#include <climits>
#include <cstdlib>
#include <type_traits>

#include "iter.h"
#include "tg.h"

namespace tg {
namespace {

// Output elements per chunk of planes below which a window kernel runs on one thread.
constexpr int64_t GRAIN = 1 << 15;

inline int64_t ceil_div(int64_t a, int64_t b) { return a >= 0 ? (a + b - 1) / b : -((-a) / b); }
inline int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

template <class T>
void fill(T* p, int64_t n, T v) {
  for (int64_t q = 0; q < n; q++) p[q] = v;
}

// dst[q] = src[q * step] for q in [0, n), with the usual steps 1 and 2 as constants.
template <class T>
void copy_strided(T* __restrict dst, const T* __restrict src, int64_t n, int64_t step) {
  if (step == 1) {
    for (int64_t q = 0; q < n; q++) dst[q] = src[q];
  } else if (step == 2) {
    for (int64_t q = 0; q < n; q++) dst[q] = src[2 * q];
  } else {
    for (int64_t q = 0; q < n; q++) dst[q] = src[q * step];
  }
}

// dst[k] = mask[k] ? src[k] : pad.
template <class T>
void copy_masked(T* __restrict dst, const T* __restrict src, const uint8_t* __restrict mask, int64_t n, T pad) {
  for (int64_t k = 0; k < n; k++) dst[k] = mask[k] ? src[k] : pad;
}

// dst[k] += src[k] where mask[k]. Elsewhere it adds +0 instead, which leaves every value a sum
// starting from +0 can hold as it is (such a sum is never -0), so the result is the reference's.
template <class T>
void add_masked(T* __restrict dst, const T* __restrict src, const uint8_t* __restrict mask, int64_t n) {
  for (int64_t k = 0; k < n; k++) dst[k] = js_add(dst[k], mask[k] ? src[k] : T(0));
}

// dst[q * dstep] += src[q * sstep] for q in [0, n), as the reference adds.
template <class T>
void add_strided(T* __restrict dst, int64_t dstep, const T* __restrict src, int64_t sstep, int64_t n) {
  if (dstep == 1 && sstep == 1) {
    for (int64_t q = 0; q < n; q++) dst[q] = js_add(dst[q], src[q]);
  } else {
    for (int64_t q = 0; q < n; q++) dst[q * dstep] = js_add(dst[q * dstep], src[q * sstep]);
  }
}

struct Window {
  int64_t kh, kw, sh, sw, ph, pw, dh, dw;
  explicit Window(Attrs& a) {
    auto pair = [&](int64_t& x, int64_t& y, int64_t min, const char* what) {
      std::vector<int64_t> v = a.list();
      if (v.size() != 2 || v[0] < min || v[1] < min) fail(Error::Range, std::string("window: invalid ") + what);
      x = v[0];
      y = v[1];
    };
    pair(kh, kw, 1, "kernel");
    pair(sh, sw, 1, "stride");
    pair(ph, pw, 0, "padding");
    pair(dh, dw, 1, "dilation");
  }
};

inline int64_t window_out(int64_t size, int64_t k, int64_t s, int64_t p, int64_t d) {
  const int64_t num = size + 2 * p - d * (k - 1) - 1;
  return (num >= 0 ? num / s : -((-num + s - 1) / s)) + 1;  // floor division
}

// The output columns ox whose input column ox*s - p + jd lies inside [0, W): [lo, hi).
inline void inside(int64_t W, int64_t OW, int64_t s, int64_t p, int64_t jd, int64_t& lo, int64_t& hi) {
  lo = std::min(OW, std::max<int64_t>(0, ceil_div(p - jd, s)));
  hi = std::max(lo, std::min(OW, floor_div(W - 1 + p - jd, s) + 1));
}

// Where kernel position (i, j) reads or writes, as both kernels walk it: output columns [lo, hi)
// and output rows [ya, yb) fall inside the image; `shift` is the image column of output column
// 0. In a stride-1 window whose output is as wide as the image, with unit steps along rows, an
// output row and its image row are a constant flat distance apart, so the rows [fa, fb) (those
// with a neighbouring row on both sides, where reading |shift| < W elements past a row's ends
// stays inside the plane) go in one flat loop, which `mask` (1 where the column is inside the
// window's reach, per element of the loop) tells what to keep; the other valid rows, one by one.
struct Tap {
  int64_t lo, hi, ya, yb, fa, fb, shift;
  std::vector<uint8_t> mask;
  // image_side: the mask indexes image columns (fold2d writes the image) or output columns.
  Tap(const Window& w, int64_t i, int64_t j, int64_t H, int64_t W, int64_t OH, int64_t OW, bool unit_rows, bool image_side) {
    inside(W, OW, w.sw, w.pw, j * w.dw, lo, hi);
    const int64_t top = w.ph - i * w.dh;  // image row of output row oy: oy * sh - top
    ya = std::min(OH, std::max<int64_t>(0, ceil_div(top, w.sh)));
    yb = std::max(ya, std::min(OH, floor_div(H - 1 + top, w.sh) + 1));
    shift = j * w.dw - w.pw;
    fa = fb = ya;
    if (unit_rows && w.sh == 1 && w.sw == 1 && OW == W && lo < hi && shift > -W && shift < W) {
      fa = std::max(ya, std::max<int64_t>(1, 1 + top));
      fb = std::max(fa, std::min(yb, std::min(OH - 1, H - 1 + top)));
      const int64_t a = image_side ? lo + shift : lo, b = image_side ? hi + shift : hi;
      mask.resize((fb - fa) * W);
      for (int64_t k = 0; k < static_cast<int64_t>(mask.size()); k++) mask[k] = k % W >= a && k % W < b;
    }
  }
  // Whether every window reaches this kernel position inside the image, and the flat loop does
  // not take it: then the planes move through window_offsets.
  bool whole(int64_t OH, int64_t OW) const { return lo == 0 && hi == OW && ya == 0 && yb == OH && fb == fa; }
  // Every kernel position, row-major (the same for every plane, so computed once per call).
  static std::vector<Tap> all(const Window& w, int64_t H, int64_t W, int64_t OH, int64_t OW, bool unit_rows, bool image_side) {
    std::vector<Tap> taps;
    for (int64_t i = 0; i < w.kh; i++)
      for (int64_t j = 0; j < w.kw; j++) taps.emplace_back(w, i, j, H, W, OH, OW, unit_rows, image_side);
    return taps;
  }
};

// The image offset (steps s2 along rows, s3 along columns) of each output position's window,
// from that of the first window, for kernel positions whose windows all lie inside the image
// (pooling without padding). Empty when an offset would not fit in 32 bits.
std::vector<int32_t> window_offsets(const Window& w, int64_t OH, int64_t OW, int64_t s2, int64_t s3) {
  std::vector<int32_t> g;
  if (std::abs((OH - 1) * w.sh * s2) + std::abs((OW - 1) * w.sw * s3) >= INT32_MAX) return g;
  g.resize(OH * OW);
  for (int64_t oy = 0; oy < OH; oy++)
    for (int64_t ox = 0; ox < OW; ox++) g[oy * OW + ox] = static_cast<int32_t>(oy * w.sh * s2 + ox * w.sw * s3);
  return g;
}

void expect_shape(const Call& c, const View& v, std::initializer_list<int64_t> want, const char* what) {
  bool ok = v.ndim == static_cast<int>(want.size());
  int d = 0;
  for (int64_t n : want) ok = ok && v.shape[d++] == n;
  if (!ok) fail(Error::Range, std::string(c.op) + ": " + what + " has shape " + fmt_shape(v) + ", not the one the window gives");
}

}  // namespace

// x [N, C, H, W] (any strides) to columns [N, C*kh*kw, OH*OW], row (c*kh + i)*kw + j, column
// oy*OW + ox; positions in the padding read attrs.padValue.
void k_unfold2d(Call& c) {
  const View& x = c.in.at(0);
  const View& o = c.out;
  const Window w(c.attrs);
  const double pad_value = c.attrs.num();
  if (x.ndim != 4) fail(Error::Range, "unfold2d: expected a 4-D input, got " + fmt_shape(x));
  need_dtype(c, o, x.dtype, "output");
  const int64_t N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3];
  const int64_t s0 = x.strides[0], s1 = x.strides[1], s2 = x.strides[2], s3 = x.strides[3];
  const int64_t OH = window_out(H, w.kh, w.sh, w.ph, w.dh), OW = window_out(W, w.kw, w.sw, w.pw, w.dw);
  if (OH <= 0 || OW <= 0) fail(Error::Range, "unfold2d: the window does not fit input " + fmt_shape(x));
  expect_shape(c, o, {N, C * w.kh * w.kw, OH * OW}, "the output");
  const int64_t plane = w.kh * w.kw * OH * OW;
  const std::vector<Tap> taps = Tap::all(w, H, W, OH, OW, s3 == 1 && s2 == W, false);
  const std::vector<int32_t> gather = window_offsets(w, OH, OW, s2, s3);
  with_type(x.dtype, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    const T* xb = x.ptr<T>();
    T* ob = o.ptr<T>() + o.offset;
    const T pad = store_as<T>(pad_value);
    parallel_for(N * C, std::max<int64_t>(1, GRAIN / std::max<int64_t>(plane, 1)), [&](int64_t lo_nc, int64_t hi_nc) {
      for (int64_t nc = lo_nc; nc < hi_nc; nc++) {
        const T* img = xb + x.offset + (nc / C) * s0 + (nc % C) * s1;
        for (int64_t i = 0; i < w.kh; i++) {
          for (int64_t j = 0; j < w.kw; j++) {
            T* p = ob + nc * plane + (i * w.kw + j) * OH * OW;
            const Tap& t = taps[i * w.kw + j];
            fill(p, t.ya * OW, pad);
            fill(p + t.yb * OW, (OH - t.yb) * OW, pad);
            const int64_t top = w.ph - i * w.dh;
            if (t.fb > t.fa) copy_masked(p + t.fa * OW, img + (t.fa - top) * W + t.shift, t.mask.data(), static_cast<int64_t>(t.mask.size()), pad);
            if (!gather.empty() && t.whole(OH, OW)) {
              // The whole window inside the image (pooling without padding): one indexed copy.
              const T* base = img + (i * w.dh - w.ph) * s2 + t.shift * s3;
              const int32_t* g = gather.data();
              for (int64_t k = 0; k < OH * OW; k++) p[k] = base[g[k]];
              continue;
            }
            for (int64_t oy = t.ya; oy < t.yb; oy++) {
              if (oy == t.fa && t.fb > t.fa) oy = t.fb;
              if (oy >= t.yb) break;
              T* r = p + oy * OW;
              fill(r, t.lo, pad);
              copy_strided(r + t.lo, img + (oy * w.sh - top) * s2 + (t.lo * w.sw + t.shift) * s3, t.hi - t.lo, w.sw * s3);
              fill(r + t.hi, OW - t.hi, pad);
            }
          }
        }
      }
    });
  });
}

// Columns [N, C*kh*kw, OH*OW] (any strides) summed into [N, C, H, W]: every output element adds
// its columns in the reference's order (kernel positions (i, j) row-major).
void k_fold2d(Call& c) {
  const View& cols = c.in.at(0);
  const View& o = c.out;
  const Window w(c.attrs);
  const std::vector<int64_t> size = c.attrs.list();
  need_dtype(c, o, cols.dtype, "output");
  if (o.ndim != 4 || size.size() != 2 || size[0] != o.shape[2] || size[1] != o.shape[3]) fail(Error::Range, "fold2d: output " + fmt_shape(o) + " does not match the output size");
  const int64_t N = o.shape[0], C = o.shape[1], H = o.shape[2], W = o.shape[3];
  const int64_t OH = window_out(H, w.kh, w.sh, w.ph, w.dh), OW = window_out(W, w.kw, w.sw, w.pw, w.dw);
  if (OH <= 0 || OW <= 0) fail(Error::Range, "fold2d: the window does not fit output " + fmt_shape(o));
  expect_shape(c, cols, {N, C * w.kh * w.kw, OH * OW}, "the input");
  const int64_t c0 = cols.strides[0], c1 = cols.strides[1], c2 = cols.strides[2];
  const std::vector<Tap> taps = Tap::all(w, H, W, OH, OW, c2 == 1, true);
  const std::vector<int32_t> scatter = window_offsets(w, OH, OW, W, 1);
  with_type(o.dtype, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    const T* cb = cols.ptr<T>();
    T* ob = o.ptr<T>() + o.offset;
    parallel_for(N * C, std::max<int64_t>(1, GRAIN / std::max<int64_t>(w.kh * w.kw * OH * OW, 1)), [&](int64_t lo_nc, int64_t hi_nc) {
      std::fill(ob + lo_nc * H * W, ob + hi_nc * H * W, T(0));  // outputs are not zeroed beforehand
      for (int64_t nc = lo_nc; nc < hi_nc; nc++) {
        const int64_t n = nc / C, ch = nc % C;
        T* img = ob + nc * H * W;
        for (int64_t i = 0; i < w.kh; i++) {
          for (int64_t j = 0; j < w.kw; j++) {
            const T* src = cb + cols.offset + n * c0 + ((ch * w.kh + i) * w.kw + j) * c1;
            const Tap& t = taps[i * w.kw + j];
            const int64_t top = w.ph - i * w.dh;
            if (t.fb > t.fa) add_masked(img + (t.fa - top) * W, src + t.fa * OW - t.shift, t.mask.data(), static_cast<int64_t>(t.mask.size()));
            if (!scatter.empty() && t.whole(OH, OW)) {
              // Every window inside the image: one indexed loop (distinct places within a kernel position).
              T* base = img + (i * w.dh - w.ph) * W + t.shift;
              const int32_t* g = scatter.data();
              for (int64_t k = 0; k < OH * OW; k++) base[g[k]] = js_add(base[g[k]], src[k * c2]);
              continue;
            }
            for (int64_t oy = t.ya; oy < t.yb; oy++) {
              if (oy == t.fa && t.fb > t.fa) oy = t.fb;
              if (oy >= t.yb) break;
              add_strided(img + (oy * w.sh - top) * W + t.lo * w.sw + t.shift, w.sw, src + (oy * OW + t.lo) * c2, c2, t.hi - t.lo);
            }
          }
        }
      }
    });
  });
}

namespace {

// One tap of Q windows' searches: the tap's value in each window (at its offset `at` in the plane
// `img`, or none where `pos` is -1, in the padding) replaces the window's best so far when larger,
// or when a NaN unless a NaN holds it already. Written as selects over independent windows, so
// that it vectorizes (gathered loads); the restrict pointers say the tables do not overlap.
template <typename T, typename I>
void pool_tap(const T* __restrict img, const I* __restrict at, const int32_t* __restrict pos, T* __restrict best,
              int32_t* __restrict where, int64_t Q) {
  for (int64_t q = 0; q < Q; q++) {
    const int32_t p = pos[q];
    const T v = img[at[q]], m = best[q];
    const bool take = (p >= 0) & ((v > m) | (v != v)) & (m == m);
    best[q] = take ? v : m;
    where[q] = take ? p : where[q];
  }
}

}  // namespace

// Max-pooling's argmax, the reference's loop split over (image, channel) planes: for each window of
// x [N, C, H, W] (any strides) the flat position iy*W + ix of its maximum, taps in window order,
// those outside the image skipped; the first maximum wins ties and a NaN wins outright.
void k_maxPool2dIndices(Call& c) {
  const View& x = c.in.at(0);
  const View& o = c.out;
  const Window w(c.attrs);
  if (x.ndim != 4) fail(Error::Range, "maxPool2dIndices: expected a 4-D input, got " + fmt_shape(x));
  need_dtype(c, o, I32, "output");
  const int64_t N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3];
  const int64_t s0 = x.strides[0], s1 = x.strides[1], s2 = x.strides[2], s3 = x.strides[3];
  const int64_t OH = window_out(H, w.kh, w.sh, w.ph, w.dh), OW = window_out(W, w.kw, w.sw, w.pw, w.dw);
  if (OH <= 0 || OW <= 0) fail(Error::Range, "maxPool2dIndices: the window does not fit input " + fmt_shape(x));
  expect_shape(c, o, {N, C, OH * OW}, "the output");
  // A window wholly in the padding has no maximum (the caller takes another path for those).
  auto check_inside = [](int64_t out, int64_t size, int64_t k, int64_t s, int64_t p, int64_t d) {
    for (int64_t q = 0; q < out; q++) {
      bool any = false;
      for (int64_t a = 0; a < k && !any; a++) any = q * s - p + a * d >= 0 && q * s - p + a * d < size;
      if (!any) fail(Error::Range, "maxPool2dIndices: a window lies wholly in the padding");
    }
  };
  check_inside(OH, H, w.kh, w.sh, w.ph, w.dh);
  check_inside(OW, W, w.kw, w.sw, w.pw, w.dw);
  // Windows go in blocks of whole output rows, about BLOCK windows each. For a block, a table gives
  // each (tap, window) the tap's offset in a plane's storage and its position iy*W + ix, or -1 for
  // a tap in the padding (whose read, at offset 0, is never taken). The tables serve every plane,
  // and the search runs tap by tap across all the block's windows: one long loop of independent
  // windows, which vectorizes (gathered loads) whatever the pooling's shape and strides.
  constexpr int64_t BLOCK = 1024;
  const int64_t taps = w.kh * w.kw;
  const int64_t R = std::max<int64_t>(1, std::min<int64_t>(OH, BLOCK / OW));
  const int64_t span = (H - 1) * std::abs(s2) + (W - 1) * std::abs(s3);
  const int64_t grain = std::max<int64_t>(1, GRAIN / std::max<int64_t>(OH * OW * taps, 1));
  with_type(x.dtype, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    auto search = [&](auto* index_tag) {
      using I = std::remove_pointer_t<decltype(index_tag)>;
      parallel_for(N * C, grain, [&](int64_t lo, int64_t hi) {
        thread_local std::vector<I> off, first_off;
        thread_local std::vector<int32_t> pos, first_pos;
        thread_local std::vector<T> best;
        for (int64_t oy0 = 0; oy0 < OH; oy0 += R) {
          const int64_t Q = std::min(R, OH - oy0) * OW;
          off.resize(static_cast<size_t>(taps * Q));
          pos.resize(static_cast<size_t>(taps * Q));
          first_off.resize(static_cast<size_t>(Q));
          first_pos.resize(static_cast<size_t>(Q));
          best.resize(static_cast<size_t>(Q));
          for (int64_t q = 0; q < Q; q++) {
            const int64_t y0 = (oy0 + q / OW) * w.sh - w.ph, x0 = (q % OW) * w.sw - w.pw;
            first_pos[q] = -1;
            for (int64_t t = taps - 1; t >= 0; t--) {
              const int64_t iy = y0 + (t / w.kw) * w.dh, ix = x0 + (t % w.kw) * w.dw;
              const bool in = iy >= 0 && iy < H && ix >= 0 && ix < W;
              off[t * Q + q] = static_cast<I>(in ? iy * s2 + ix * s3 : 0);
              pos[t * Q + q] = static_cast<int32_t>(in ? iy * W + ix : -1);
              if (in) {
                first_off[q] = off[t * Q + q];
                first_pos[q] = pos[t * Q + q];
              }
            }
          }
          const I* offs = off.data();
          const int32_t* poss = pos.data();
          T* mb = best.data();
          for (int64_t nc = lo; nc < hi; nc++) {
            const T* img = x.ptr<T>() + x.offset + (nc / C) * s0 + (nc % C) * s1;
            int32_t* kb = o.ptr<int32_t>() + o.offset + nc * OH * OW + oy0 * OW;
            // The window's first tap inside the image starts its search; every tap (that one again
            // too, to no effect) then replaces it when larger, or when a NaN unless one holds it.
            for (int64_t q = 0; q < Q; q++) {
              mb[q] = img[first_off[q]];
              kb[q] = first_pos[q];
            }
            for (int64_t t = 0; t < taps; t++) pool_tap(img, offs + t * Q, poss + t * Q, mb, kb, Q);
          }
        }
      });
    };
    if (span <= INT32_MAX) search(static_cast<int32_t*>(nullptr));
    else search(static_cast<int64_t*>(nullptr));
  });
}

}  // namespace tg
