import type { PrimitiveAttrs } from '../../primitives.js';
import type { View } from '../backend.js';
import { windowOut } from '../../shape.js';


/**
 * im2col: x [N, C, H, W] (any strides) to columns [N, C*kh*kw, OH*OW], row (c*kh + i)*kw + j,
 * column oy*OW + ox. Positions in the padding read attrs.padValue.
 */
export function unfoldKernel(inputs: readonly View[], out: View, attrs: PrimitiveAttrs['unfold2d']): void {
  const x = inputs[0]!;
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const [s0, s1, s2, s3] = x.strides as [number, number, number, number];
  const [kh, kw] = attrs.kernel, [sh, sw] = attrs.stride, [ph, pw] = attrs.padding, [dh, dw] = attrs.dilation;
  const OH = windowOut(H, kh, sh, ph, dh), OW = windowOut(W, kw, sw, pw, dw);
  const o = out.buf, xb = x.buf, pad = attrs.padValue;
  let p = 0;
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++)
      for (let i = 0; i < kh; i++)
        for (let j = 0; j < kw; j++)
          for (let oy = 0; oy < OH; oy++) {
            const iy = oy * sh - ph + i * dh;
            if (iy < 0 || iy >= H) {
              for (let ox = 0; ox < OW; ox++) o[p++] = pad;
              continue;
            }
            const base = x.offset + n * s0 + c * s1 + iy * s2;
            for (let ox = 0; ox < OW; ox++) {
              const ix = ox * sw - pw + j * dw;
              o[p++] = ix >= 0 && ix < W ? xb[base + ix * s3]! : pad;
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
          for (let oy = 0; oy < OH; oy++) {
            const iy = oy * sh - ph + i * dh;
            if (iy < 0 || iy >= H) continue;
            const outBase = ((n * C + c) * H + iy) * W;
            for (let ox = 0; ox < OW; ox++) {
              const ix = ox * sw - pw + j * dw;
              if (ix >= 0 && ix < W) o[outBase + ix]! += cb[rowBase + (oy * OW + ox) * c2]!;
            }
          }
        }
}
