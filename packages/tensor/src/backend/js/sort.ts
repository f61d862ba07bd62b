import type { PrimitiveAttrs, PrimitiveOf } from '../../primitives.js';
import { forEachLine } from './iterate.js';
import type { KernelTable, View } from '../backend.js';

/**
 * Stable argsort along `attrs.axis`: each line of the output holds the int32 positions that order
 * that line of x. NaN counts as larger than every number (last ascending, first descending); equal
 * values keep their original order in both directions, and -0 equals 0.
 */
export function argsortKernel(inputs: readonly View[], out: View, attrs: PrimitiveAttrs['argsort']): void {
  const x = inputs[0]!;
  const n = x.shape[attrs.axis] ?? 1;
  const vals = new Float64Array(n);
  const idx = new Int32Array(n);
  const sign = attrs.descending ? -1 : 1;
  const cmp = (i: number, j: number): number => {
    const a = vals[i]!, b = vals[j]!;
    if (a < b) return -sign;
    if (a > b) return sign;
    const an = a !== a, bn = b !== b;
    if (an !== bn) return an ? sign : -sign;
    return i - j;
  };
  const xb = x.buf, ob = out.buf;
  forEachLine(x, out, attrs.axis, (xo, xs, oo, os) => {
    for (let i = 0; i < n; i++) {
      vals[i] = xb[xo + i * xs]!;
      idx[i] = i;
    }
    idx.sort(cmp);
    for (let i = 0; i < n; i++) ob[oo + i * os] = idx[i]!;
  });
}

/** The JS kernels of the sorting primitives. */
export const sortKernels: KernelTable<PrimitiveOf<'sort'>> = { argsort: argsortKernel };
