import type { TypedArray } from '../../dtype.js';
import type { PrimitiveOf, ScanPrimitive } from '../../primitives.js';
import { forEachLine } from './iterate.js';
import type { KernelTable, View } from '../backend.js';

/**
 * One line of a scan: reads n elements of x from xo at stride xs and writes n running results to
 * o from oo at stride os (negative strides walk a line backwards).
 */
type ScanLine = (x: TypedArray, xo: number, xs: number, o: TypedArray, oo: number, os: number, n: number) => void;

/** log(exp(a) + exp(b)) without overflow; -Infinity is its identity, NaN propagates. */
function logAddExp(a: number, b: number): number {
  const m = a > b ? a : b;
  if (m === Infinity || m === -Infinity) return a !== a || b !== b ? NaN : m;
  return m + Math.log1p(Math.exp(-Math.abs(a - b)));
}

/** The running extreme's position: `better(v, m)` says whether v replaces the extreme m (ties do: the latest wins). */
function argLine(better: (v: number, m: number) => boolean): ScanLine {
  return (x, xo, xs, o, oo, os, n) => {
    let m = NaN;
    let k = 0;
    for (let i = 0; i < n; i++) {
      const v = x[xo + i * xs]!;
      // Once a NaN is the extreme it stays (a later NaN takes over), as PyTorch.
      if (i === 0 || v !== v || (m === m && better(v, m))) { m = v; k = i; }
      o[oo + i * os] = k;
    }
  };
}

const LINES: { [P in ScanPrimitive]: ScanLine } = {
  cumsum: (x, xo, xs, o, oo, os, n) => {
    let s = 0;
    if (o instanceof Int32Array) for (let i = 0; i < n; i++) o[oo + i * os] = s = (s + x[xo + i * xs]!) | 0;
    else for (let i = 0; i < n; i++) o[oo + i * os] = s += x[xo + i * xs]!;
  },
  cumprod: (x, xo, xs, o, oo, os, n) => {
    let p = 1;
    if (o instanceof Int32Array) for (let i = 0; i < n; i++) o[oo + i * os] = p = Math.imul(p, x[xo + i * xs]!);
    else for (let i = 0; i < n; i++) o[oo + i * os] = p *= x[xo + i * xs]!;
  },
  logcumsumexp: (x, xo, xs, o, oo, os, n) => {
    let s = -Infinity;
    for (let i = 0; i < n; i++) o[oo + i * os] = s = logAddExp(s, x[xo + i * xs]!);
  },
  cumargmax: argLine((v, m) => v >= m),
  cumargmin: argLine((v, m) => v <= m),
};

/**
 * Scan kernel along `attrs.axis`: every line of x (any strides) into the same line of the
 * contiguous output. Running sums and products accumulate in float64 and are stored in out's dtype
 * (int32 wraps).
 */
export function scanKernel(op: ScanPrimitive): (inputs: readonly View[], out: View, attrs: { axis: number; reverse?: boolean }) => void {
  const line = LINES[op];
  return (inputs, out, attrs) => {
    const x = inputs[0]!;
    const xb = x.buf, ob = out.buf;
    if (attrs.reverse === true) forEachLine(x, out, attrs.axis, (xo, xs, oo, os, n) => line(xb, xo + (n - 1) * xs, -xs, ob, oo + (n - 1) * os, -os, n));
    else forEachLine(x, out, attrs.axis, (xo, xs, oo, os, n) => line(xb, xo, xs, ob, oo, os, n));
  };
}

/** The JS kernels of the scans. */
export const scanKernels: KernelTable<PrimitiveOf<'scan'>> = {
  cumsum: scanKernel('cumsum'), cumprod: scanKernel('cumprod'), logcumsumexp: scanKernel('logcumsumexp'),
  cumargmax: scanKernel('cumargmax'), cumargmin: scanKernel('cumargmin'),
};
