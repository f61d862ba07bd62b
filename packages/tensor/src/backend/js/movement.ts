import { contiguousStrides } from '../../shape.js';
import type { PrimitiveAttrs, PrimitiveOf, ScatterReduce } from '../../primitives.js';
import { isDense } from './elementwise.js';
import { forEachRow, offsetsOf } from './iterate.js';
import type { KernelTable, View } from '../backend.js';

/** Copies a strided view into a strided destination of the same shape, converting values to bool when asked. */
function stridedCopy(src: View, dst: View['buf'], dstOffset: number, dstStrides: readonly number[], toBool: boolean): void {
  const s = src.buf;
  forEachRow(src.shape, [dstStrides, src.strides], [dstOffset, src.offset], (offs, n, st) => {
    const doff = offs[0]!, ds = st[0]!, soff = offs[1]!, ss = st[1]!;
    if (toBool) for (let i = 0; i < n; i++) dst[doff + i * ds] = s[soff + i * ss] !== 0 ? 1 : 0;
    else for (let i = 0; i < n; i++) dst[doff + i * ds] = s[soff + i * ss]!;
  });
}

/** Contiguous copy (`copy`) and dtype conversion (`cast`: floats truncate toward zero into int32, non-zero is true). */
export function copyKernel(inputs: readonly View[], out: View): void {
  const x = inputs[0]!;
  const toBool = out.dtype === 'bool' && x.dtype !== 'bool';
  if (!toBool && isDense(x)) {
    const src = x.buf.subarray(x.offset, x.offset + out.buf.length);
    if (x.dtype === out.dtype) out.buf.set(src);
    else for (let i = 0; i < src.length; i++) out.buf[i] = src[i]!;
    return;
  }
  stridedCopy(x, out.buf, 0, out.strides, toBool);
}

/** Writes x into a `value`-filled output at positions starts + i * steps (the adjoint of a strided slice). */
export function padKernel(inputs: readonly View[], out: View, attrs: PrimitiveAttrs['pad']): void {
  const x = inputs[0]!;
  if (attrs.value !== 0) out.buf.fill(attrs.value);
  const cs = out.strides;
  let off = 0;
  const strides = cs.map((s, d) => {
    off += attrs.starts[d]! * s;
    return s * attrs.steps[d]!;
  });
  stridedCopy(x, out.buf, off, strides, false);
}

/** Concatenation along attrs.axis: each input is copied into its band of the output. */
export function concatKernel(inputs: readonly View[], out: View, attrs: PrimitiveAttrs['concat']): void {
  let at = 0;
  const step = out.strides[attrs.axis]!;
  for (const x of inputs) {
    stridedCopy(x, out.buf, at * step, out.strides, false);
    at += x.shape[attrs.axis]!;
  }
}

/**
 * Visits every element of `index` (int32, any strides) with its position's offset into a tensor of
 * strides `tStrides` (axis excluded) and its own flat output position.
 */
function eachIndexed(index: View, axis: number, tStrides: readonly number[], axisLen: number, op: string, fn: (flat: number, tOff: number, ix: number) => void): void {
  const shape = index.shape;
  const nd = shape.length;
  const idx = new Array<number>(nd).fill(0);
  let n = 1;
  for (const d of shape) n *= d;
  let iOff = index.offset;
  let tOff = 0;
  for (let flat = 0; flat < n; flat++) {
    let ix = index.buf[iOff]!;
    if (ix < -axisLen || ix >= axisLen) {
      throw new RangeError(`${op}: index ${ix} is out of range for axis ${axis} of size ${axisLen}`);
    }
    if (ix < 0) ix += axisLen;
    fn(flat, tOff, ix);
    for (let d = nd - 1; d >= 0; d--) {
      idx[d]!++;
      iOff += index.strides[d]!;
      if (d !== axis) tOff += tStrides[d]!;
      if (idx[d]! < shape[d]!) break;
      iOff -= index.strides[d]! * shape[d]!;
      if (d !== axis) tOff -= tStrides[d]! * shape[d]!;
      idx[d] = 0;
    }
  }
}

/** out[..., i, ...] = x[..., index[..., i, ...], ...] along attrs.axis (inputs: x, index). */
export function gatherKernel(inputs: readonly View[], out: View, attrs: PrimitiveAttrs['gather']): void {
  const [x, index] = inputs as [View, View];
  const xb = x.buf, o = out.buf, ax = attrs.axis, as = x.strides[ax]!;
  eachIndexed(index, ax, x.strides, x.shape[ax]!, 'gather', (flat, tOff, ix) => {
    o[flat] = xb[x.offset + tOff + ix * as]!;
  });
}

/** The adjoint of gather: zeros of attrs.shape with src added at the indexed positions (inputs: index, src). */
export function scatterAddKernel(inputs: readonly View[], out: View, attrs: PrimitiveAttrs['scatterAdd']): void {
  const [index, src] = inputs as [View, View];
  const os = contiguousStrides(attrs.shape), ax = attrs.axis, o = out.buf, sb = src.buf;
  // src is read in index order: its offsets, walked alongside index.
  const srcOffsets = offsetsOf(src.shape, src.strides, src.offset);
  eachIndexed(index, ax, os, attrs.shape[ax]!, 'scatterAdd', (flat, tOff, ix) => {
    o[tOff + ix * os[ax]!]! += sb[srcOffsets[flat]!]!;
  });
}

/** Where a place starts from when `includeSelf` is false: the identity of its reduction. */
const SCATTER_START: Record<ScatterReduce, number> = { none: 0, sum: 0, prod: 1, mean: 0, amax: -Infinity, amin: Infinity };

/**
 * out = self with src[i][j] combined into place [index[i][j]][j] (axis 0) by attrs.reduce: replaced
 * (`none`: the last write in index order wins), summed, multiplied, averaged (integers round down)
 * or the larger/smaller kept (NaN wins). Without `includeSelf` a place that receives values starts
 * from them alone. Inputs: self, index, src (src has index's shape).
 */
export function scatterKernel(inputs: readonly View[], out: View, attrs: PrimitiveAttrs['scatter']): void {
  const [self, index, src] = inputs as [View, View, View];
  copyKernel([self], out);
  const o = out.buf, sb = src.buf, ax = attrs.axis, os = out.strides, step = os[ax]!, reduce = attrs.reduce;
  const srcOffsets = offsetsOf(src.shape, src.strides, src.offset);
  const places = new Int32Array(srcOffsets.length);
  eachIndexed(index, ax, os, out.shape[ax]!, 'scatter', (flat, tOff, ix) => { places[flat] = tOff + ix * step; });
  const n = places.length;
  if (!attrs.includeSelf && reduce !== 'none') for (let i = 0; i < n; i++) o[places[i]!] = SCATTER_START[reduce];
  switch (reduce) {
    case 'none': for (let i = 0; i < n; i++) o[places[i]!] = sb[srcOffsets[i]!]!; break;
    case 'sum': case 'mean': for (let i = 0; i < n; i++) o[places[i]!]! += sb[srcOffsets[i]!]!; break;
    case 'prod': for (let i = 0; i < n; i++) o[places[i]!]! *= sb[srcOffsets[i]!]!; break;
    case 'amax': for (let i = 0; i < n; i++) { const p = places[i]!, v = sb[srcOffsets[i]!]!; if (v > o[p]! || v !== v) o[p] = v; } break;
    case 'amin': for (let i = 0; i < n; i++) { const p = places[i]!, v = sb[srcOffsets[i]!]!; if (v < o[p]! || v !== v) o[p] = v; } break;
  }
  if (reduce !== 'mean') return;
  const counts = new Int32Array(o.length);
  for (let i = 0; i < n; i++) counts[places[i]!]!++;
  const floor = out.dtype === 'int32';
  for (let p = 0; p < counts.length; p++) {
    if (counts[p] === 0) continue;
    const q = o[p]! / (counts[p]! + (attrs.includeSelf ? 1 : 0));
    o[p] = floor ? Math.floor(q) : q;
  }
}

/** The JS kernels of the copying and movement primitives. */
export const movementKernels: KernelTable<PrimitiveOf<'convert' | 'movement'>> = {
  cast: copyKernel, copy: copyKernel,
  pad: padKernel, concat: concatKernel, gather: gatherKernel, scatterAdd: scatterAddKernel, scatter: scatterKernel,
};
