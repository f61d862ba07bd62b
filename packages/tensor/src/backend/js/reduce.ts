import type { ReduceAttrs, ReducePrimitive, PrimitiveOf } from '../../primitives.js';
import { collapse, offsetsOf } from './iterate.js';
import type { KernelTable, View } from '../backend.js';

/**
 * Reduces `n` elements starting at `buf[base]`, either at a fixed stride `step` (when the reduced dims
 * collapse to one) or at the listed offsets `inner`. Returns the value (or, for arg-reductions, the index).
 */
type Reducer = (buf: ArrayLike<number>, base: number, step: number, inner: Int32Array | null, n: number) => number;

const at = (inner: Int32Array | null, step: number, j: number): number => (inner === null ? j * step : inner[j]!);

const REDUCERS: { [P in ReducePrimitive]: Reducer } = {
  sum: (buf, base, step, inner, n) => {
    let s = 0;
    if (inner === null) for (let j = 0; j < n; j++) s += buf[base + j * step]!;
    else for (let j = 0; j < n; j++) s += buf[base + inner[j]!]!;
    return s;
  },
  prod: (buf, base, step, inner, n) => {
    let p = 1;
    for (let j = 0; j < n; j++) p *= buf[base + at(inner, step, j)]!;
    return p;
  },
  // NaN wins, as in PyTorch.
  max: (buf, base, step, inner, n) => {
    let m = -Infinity;
    for (let j = 0; j < n; j++) { const v = buf[base + at(inner, step, j)]!; if (v > m || v !== v) { m = v; if (v !== v) break; } }
    return m;
  },
  min: (buf, base, step, inner, n) => {
    let m = Infinity;
    for (let j = 0; j < n; j++) { const v = buf[base + at(inner, step, j)]!; if (v < m || v !== v) { m = v; if (v !== v) break; } }
    return m;
  },
  // The first index of the extreme value; a NaN counts as the extreme.
  argmax: (buf, base, step, inner, n) => {
    let m = -Infinity, k = 0;
    for (let j = 0; j < n; j++) { const v = buf[base + at(inner, step, j)]!; if (v > m || v !== v) { m = v; k = j; if (v !== v) break; } }
    return k;
  },
  argmin: (buf, base, step, inner, n) => {
    let m = Infinity, k = 0;
    for (let j = 0; j < n; j++) { const v = buf[base + at(inner, step, j)]!; if (v < m || v !== v) { m = v; k = j; if (v !== v) break; } }
    return k;
  },
};

/** Reduction kernel over `attrs.axes`; accumulates in float64 and stores into out's dtype. */
export function reduceKernel(op: ReducePrimitive): (inputs: readonly View[], out: View, attrs: ReduceAttrs) => void {
  const f = REDUCERS[op];
  return (inputs, out, attrs) => {
    const x = inputs[0]!;
    const keptShape: number[] = [], keptStrides: number[] = [], redShape: number[] = [], redStrides: number[] = [];
    for (let d = 0; d < x.shape.length; d++) {
      const reduced = attrs.axes.includes(d);
      (reduced ? redShape : keptShape).push(x.shape[d]!);
      (reduced ? redStrides : keptStrides).push(x.strides[d]!);
    }
    const red = collapse(redShape, [redStrides]);
    let n = 1;
    for (const d of redShape) n *= d;
    const single = red.shape.length <= 1;
    const step = red.shape.length === 1 ? red.strides[0]![0]! : 0;
    const inner = single ? null : offsetsOf(redShape, redStrides, 0);
    const outer = offsetsOf(keptShape, keptStrides, x.offset);
    const o = out.buf;
    const xb = x.buf;
    for (let i = 0; i < outer.length; i++) o[i] = f(xb, outer[i]!, step, inner, n);
  };
}

/** The JS kernels of the reductions. */
export const reduceKernels: KernelTable<PrimitiveOf<'reduce'>> = {
  sum: reduceKernel('sum'), prod: reduceKernel('prod'), max: reduceKernel('max'), min: reduceKernel('min'),
  argmax: reduceKernel('argmax'), argmin: reduceKernel('argmin'),
};
