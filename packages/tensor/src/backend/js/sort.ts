import type { PrimitiveAttrs, PrimitiveOf } from '../../primitives.js';
import { forEachLine } from './iterate.js';
import type { KernelTable, View } from '../backend.js';

/** Runs this short are insertion-sorted before merging. */
const RUN = 16;

/**
 * Stable ascending sort of keys[0, n) carrying idx along: insertion sort on runs of RUN, then
 * bottom-up merges between (keys, idx) and the scratch (tk, ti). Equal keys never swap (an element
 * moves before another only when strictly smaller), so the sort is stable without tie-breaks.
 */
function stableSort(keys: Float64Array, idx: Int32Array, n: number, tk: Float64Array, ti: Int32Array): void {
  for (let lo = 0; lo < n; lo += RUN) {
    const hi = Math.min(lo + RUN, n);
    for (let i = lo + 1; i < hi; i++) {
      const k = keys[i]!, x = idx[i]!;
      let j = i - 1;
      for (; j >= lo && keys[j]! > k; j--) {
        keys[j + 1] = keys[j]!;
        idx[j + 1] = idx[j]!;
      }
      keys[j + 1] = k;
      idx[j + 1] = x;
    }
  }
  let sk = keys, si = idx, dk = tk, di = ti;
  for (let width = RUN; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = Math.min(lo + width, n), hi = Math.min(lo + 2 * width, n);
      let i = lo, j = mid, o = lo;
      while (i < mid && j < hi) {
        if (sk[j]! < sk[i]!) { dk[o] = sk[j]!; di[o++] = si[j++]!; } else { dk[o] = sk[i]!; di[o++] = si[i++]!; }
      }
      for (; i < mid; i++, o++) { dk[o] = sk[i]!; di[o] = si[i]!; }
      for (; j < hi; j++, o++) { dk[o] = sk[j]!; di[o] = si[j]!; }
    }
    [sk, dk] = [dk, sk];
    [si, di] = [di, si];
  }
  if (si !== idx) idx.set(si.subarray(0, n));
}

/**
 * Stable argsort along `attrs.axis`: each line of the output holds the int32 positions that order
 * that line of x. NaN counts as larger than every number (last ascending, first descending); equal
 * values keep their original order in both directions, and -0 equals 0. NaNs are set aside in
 * their order, the rest sorted by value (descending: by -value, which keeps ties in order).
 */
export function argsortKernel(inputs: readonly View[], out: View, attrs: PrimitiveAttrs['argsort']): void {
  const x = inputs[0]!;
  const n = x.shape[attrs.axis] ?? 1;
  const keys = new Float64Array(n), idx = new Int32Array(n), tk = new Float64Array(n), ti = new Int32Array(n);
  const nans = new Int32Array(n);
  const sign = attrs.descending ? -1 : 1;
  const xb = x.buf, ob = out.buf;
  forEachLine(x, out, attrs.axis, (xo, xs, oo, os) => {
    let m = 0, z = 0;
    for (let i = 0; i < n; i++) {
      const v = xb[xo + i * xs]!;
      if (v !== v) nans[z++] = i;
      else { keys[m] = sign * v; idx[m++] = i; }
    }
    stableSort(keys, idx, m, tk, ti);
    // Ascending: numbers, then NaNs; descending: NaNs, then numbers.
    const numbersAt = attrs.descending ? z : 0, nansAt = attrs.descending ? 0 : m;
    for (let i = 0; i < m; i++) ob[oo + (numbersAt + i) * os] = idx[i]!;
    for (let i = 0; i < z; i++) ob[oo + (nansAt + i) * os] = nans[i]!;
  });
}

/** The JS kernels of the sorting primitives. */
export const sortKernels: KernelTable<PrimitiveOf<'sort'>> = { argsort: argsortKernel };
