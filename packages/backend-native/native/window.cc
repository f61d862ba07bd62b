// unfold2d (im2col) and fold2d (col2im, its adjoint), the loops of the reference kernels
// (packages/tensor/src/backend/js/window.ts) split over the thread pool by (image, channel):
// each plane writes its own part of the output, and fold2d sums every output element in the
// reference's order.
#include <algorithm>

#include "iter.h"
#include "tg.h"

namespace tg {
namespace {

constexpr int64_t PAR = 1 << 19;

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
  auto ceil_div = [](int64_t a, int64_t b) { return a >= 0 ? (a + b - 1) / b : -((-a) / b); };
  auto floor_div = [](int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); };
  lo = std::min(OW, std::max<int64_t>(0, ceil_div(p - jd, s)));
  hi = std::max(lo, std::min(OW, floor_div(W - 1 + p - jd, s) + 1));
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
  with_type(x.dtype, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    const T* xb = x.ptr<T>();
    T* ob = o.ptr<T>() + o.offset;
    const T pad = store_as<T>(pad_value);
    parallel_for(N * C, std::max<int64_t>(1, PAR / std::max<int64_t>(plane, 1)), [&](int64_t lo_nc, int64_t hi_nc) {
      for (int64_t nc = lo_nc; nc < hi_nc; nc++) {
        const int64_t n = nc / C, ch = nc % C;
        T* p = ob + nc * plane;
        for (int64_t i = 0; i < w.kh; i++) {
          for (int64_t j = 0; j < w.kw; j++) {
            int64_t lo, hi;
            inside(W, OW, w.sw, w.pw, j * w.dw, lo, hi);
            const int64_t step = w.sw * s3;
            // Rows are short (an output row of the image): plain loops, no library calls.
            for (int64_t oy = 0; oy < OH; oy++, p += OW) {
              const int64_t iy = oy * w.sh - w.ph + i * w.dh;
              if (iy < 0 || iy >= H) {
                for (int64_t q = 0; q < OW; q++) p[q] = pad;
                continue;
              }
              for (int64_t q = 0; q < lo; q++) p[q] = pad;
              const T* src = xb + x.offset + n * s0 + ch * s1 + iy * s2 + (lo * w.sw - w.pw + j * w.dw) * s3;
              if (step == 1) {
                for (int64_t q = lo; q < hi; q++) p[q] = src[q - lo];
              } else {
                for (int64_t q = lo; q < hi; q++) p[q] = src[(q - lo) * step];
              }
              for (int64_t q = hi; q < OW; q++) p[q] = pad;
            }
          }
        }
      }
    });
  });
}

// Columns [N, C*kh*kw, OH*OW] (any strides) summed into [N, C, H, W].
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
  with_type(o.dtype, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    const T* cb = cols.ptr<T>();
    T* ob = o.ptr<T>() + o.offset;
    parallel_for(N * C, std::max<int64_t>(1, PAR / std::max<int64_t>(w.kh * w.kw * OH * OW, 1)), [&](int64_t lo_nc, int64_t hi_nc) {
      std::fill(ob + lo_nc * H * W, ob + hi_nc * H * W, T(0));  // outputs are not zeroed beforehand
      for (int64_t nc = lo_nc; nc < hi_nc; nc++) {
        const int64_t n = nc / C, ch = nc % C;
        for (int64_t i = 0; i < w.kh; i++) {
          for (int64_t j = 0; j < w.kw; j++) {
            const int64_t row = cols.offset + n * c0 + ((ch * w.kh + i) * w.kw + j) * c1;
            int64_t lo, hi;
            inside(W, OW, w.sw, w.pw, j * w.dw, lo, hi);
            for (int64_t oy = 0; oy < OH; oy++) {
              const int64_t iy = oy * w.sh - w.ph + i * w.dh;
              if (iy < 0 || iy >= H) continue;
              T* dst = ob + (nc * H + iy) * W - w.pw + j * w.dw;
              const T* src = cb + row + oy * OW * c2;
              if (w.sw == 1 && c2 == 1) {
                for (int64_t ox = lo; ox < hi; ox++) dst[ox] = js_add(dst[ox], src[ox]);
              } else {
                for (int64_t ox = lo; ox < hi; ox++) dst[ox * w.sw] = js_add(dst[ox * w.sw], src[ox * c2]);
              }
            }
          }
        }
      }
    });
  });
}

}  // namespace tg
