import type { PrimitiveAttrs, PrimitiveOf, WindowAttrs } from '../../primitives.js';
import { windowOut } from '../../shape.js';
import type { KernelTable, View } from '../backend.js';


/**
 * The output columns ox whose input column ix = ox*s - p + j*d lies inside [0, W): [lo, hi).
 * Computing the range once per kernel tap keeps the bounds test out of the inner loops.
 */
function insideRange(W: number, OW: number, s: number, p: number, jd: number): [number, number] {
  const lo = Math.min(OW, Math.max(0, Math.ceil((p - jd) / s)));
  const hi = Math.max(lo, Math.min(OW, Math.floor((W - 1 + p - jd) / s) + 1));
  return [lo, hi];
}

/** An image batch x [N, C, H, W]: its dims and strides, the window's settings and the output's size. */
function imageWindows(x: View, a: WindowAttrs) {
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const [s0, s1, s2, s3] = x.strides as [number, number, number, number];
  const [kh, kw] = a.kernel, [sh, sw] = a.stride, [ph, pw] = a.padding, [dh, dw] = a.dilation;
  return { N, C, H, W, s0, s1, s2, s3, kh, kw, sh, sw, ph, pw, dh, dw, OH: windowOut(H, kh, sh, ph, dh), OW: windowOut(W, kw, sw, pw, dw) };
}

/**
 * im2col: x [N, C, H, W] (any strides) to columns [N, C*kh*kw, OH*OW], row (c*kh + i)*kw + j,
 * column oy*OW + ox. Positions in the padding read attrs.padValue.
 */
export function unfoldKernel(inputs: readonly View[], out: View, attrs: PrimitiveAttrs['unfold2d']): void {
  const x = inputs[0]!;
  const { N, C, H, W, s0, s1, s2, s3, kh, kw, sh, sw, ph, pw, dh, dw, OH, OW } = imageWindows(x, attrs);
  const o = out.buf, xb = x.buf, pad = attrs.padValue;
  let p = 0;
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++)
      for (let i = 0; i < kh; i++)
        for (let j = 0; j < kw; j++) {
          const [lo, hi] = insideRange(W, OW, sw, pw, j * dw);
          const step = sw * s3;
          for (let oy = 0; oy < OH; oy++) {
            const iy = oy * sh - ph + i * dh;
            if (iy < 0 || iy >= H) {
              o.fill(pad, p, p + OW);
              p += OW;
              continue;
            }
            if (lo > 0) o.fill(pad, p, p + lo);
            let src = x.offset + n * s0 + c * s1 + iy * s2 + (lo * sw - pw + j * dw) * s3;
            for (let q = p + lo, end = p + hi; q < end; q++, src += step) o[q] = xb[src]!;
            if (hi < OW) o.fill(pad, p + hi, p + OW);
            p += OW;
          }
        }
}

/** col2im, the adjoint of unfold: columns [N, C*kh*kw, OH*OW] (any strides) summed into [N, C, H, W]. */
export function foldKernel(inputs: readonly View[], out: View, attrs: PrimitiveAttrs['fold2d']): void {
  const cols = inputs[0]!;
  const [N, C, H, W] = out.shape as [number, number, number, number];
  const [c0, c1, c2] = cols.strides as [number, number, number];
  const [kh, kw] = attrs.kernel, [sh, sw] = attrs.stride, [ph, pw] = attrs.padding, [dh, dw] = attrs.dilation;
  const OH = windowOut(H, kh, sh, ph, dh), OW = windowOut(W, kw, sw, pw, dw);
  const o = out.buf, cb = cols.buf;
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++)
      for (let i = 0; i < kh; i++)
        for (let j = 0; j < kw; j++) {
          const rowBase = cols.offset + n * c0 + ((c * kh + i) * kw + j) * c1;
          const [lo, hi] = insideRange(W, OW, sw, pw, j * dw);
          for (let oy = 0; oy < OH; oy++) {
            const iy = oy * sh - ph + i * dh;
            if (iy < 0 || iy >= H) continue;
            const outBase = ((n * C + c) * H + iy) * W - pw + j * dw;
            const colBase = rowBase + oy * OW * c2;
            for (let ox = lo; ox < hi; ox++) o[outBase + ox * sw]! += cb[colBase + ox * c2]!;
          }
        }
}

/**
 * Max-pooling's argmax: for each window of x [N, C, H, W] (any strides), the flat position
 * iy*W + ix of its maximum, taps in window order (i, j) row-major, outside the image skipped. The
 * first maximum wins ties and a NaN wins outright, as argmax; a window with no tap inside the image
 * is an error (the op never asks for one).
 */
export function maxPool2dIndicesKernel(inputs: readonly View[], out: View, attrs: PrimitiveAttrs['maxPool2dIndices']): void {
  const x = inputs[0]!;
  const { N, C, H, W, s0, s1, s2, s3, kh, kw, sh, sw, ph, pw, dh, dw, OH, OW } = imageWindows(x, attrs);
  const o = out.buf, xb = x.buf;
  let q = 0;
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++) {
      const plane = x.offset + n * s0 + c * s1;
      for (let oy = 0; oy < OH; oy++)
        for (let ox = 0; ox < OW; ox++, q++) {
          let k = -1, m = 0;
          search: for (let i = 0; i < kh; i++) {
            const iy = oy * sh - ph + i * dh;
            if (iy < 0 || iy >= H) continue;
            for (let j = 0; j < kw; j++) {
              const ix = ox * sw - pw + j * dw;
              if (ix < 0 || ix >= W) continue;
              const v = xb[plane + iy * s2 + ix * s3]!;
              if (k < 0 || v > m || v !== v) {
                m = v;
                k = iy * W + ix;
                if (v !== v) break search;
              }
            }
          }
          if (k < 0) throw new RangeError(`maxPool2dIndices: window (${oy}, ${ox}) lies wholly in the padding`);
          o[q] = k;
        }
    }
}

/** The JS kernels of the sliding-window primitives. */
export const windowKernels: KernelTable<PrimitiveOf<'window'>> = { unfold2d: unfoldKernel, fold2d: foldKernel, maxPool2dIndices: maxPool2dIndicesKernel };
