import type { TypedArray } from '../../dtype.js';
import type { AxpyAttrs, FusedPrimitive, GeluAttrs, LayerNormAttrs } from '../../primitives.js';
import { erf } from './erf.js';
import { offsetsOf } from './iterate.js';
import { isDense } from './elementwise.js';
import type { Kernel, KernelTable, View } from '../backend.js';

/**
 * Calls `slice(starts, n)` for every slice of the views (one shape) over the dims `inner`: `starts[k]`
 * is view k's storage offset of the slice's first element, and `offs[k][i]` (given once, with the
 * slice length n) the offset of its i-th element (row-major over the inner dims) from that start.
 */
function forEachSlice(views: readonly View[], inner: readonly number[], slice: (starts: number[], offs: Int32Array[], n: number) => void): void {
  const shape = views[0]!.shape;
  const isInner = (d: number): boolean => inner.includes(d);
  const pick = (a: readonly number[], keep: boolean): number[] => a.filter((_, d) => isInner(d) === keep);
  const offs = views.map((v) => offsetsOf(pick(shape, true), pick(v.strides, true), 0));
  const n = offs[0]!.length;
  if (n === 0) return;
  const lines = views.map((v) => offsetsOf(pick(shape, false), pick(v.strides, false), v.offset));
  const starts = views.map(() => 0);
  for (let l = 0; l < lines[0]!.length; l++) {
    for (let k = 0; k < views.length; k++) starts[k] = lines[k]![l]!;
    slice(starts, offs, n);
  }
}

/** The largest element of a slice (NaN if it holds one). */
function sliceMax(x: TypedArray, xo: number, xi: Int32Array, n: number): number {
  let m = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = x[xo + xi[i]!]!;
    if (v > m || v !== v) m = v;
    if (m !== m) break;
  }
  return m;
}

/** softmax (log: logSoftmax) along attrs.axis, in float64, shifted by the slice's maximum (logSoftmax: if finite). */
function softmaxKernel(log: boolean): Kernel<'softmax' | 'logSoftmax'> {
  return ([x], out, { axis }) => {
    const xb = x!.buf, ob = out.buf;
    let e = new Float64Array(0);
    forEachSlice([x!, out], [axis], ([xo, oo], [xi, oi], n) => {
      if (e.length < n) e = new Float64Array(n);
      const max = sliceMax(xb, xo!, xi!, n);
      // logSoftmax shifts by 0 when the maximum is infinite (or NaN), as logsumexp does: a slice
      // with +Infinity gives -Infinity at its finite entries and NaN at the infinite ones.
      const m = log && !Number.isFinite(max) ? 0 : max;
      let s = 0;
      for (let i = 0; i < n; i++) s += e[i] = Math.exp(xb[xo! + xi![i]!]! - m);
      if (log) {
        const ls = Math.log(s);
        for (let i = 0; i < n; i++) ob[oo! + oi![i]!] = xb[xo! + xi![i]!]! - m - ls;
      } else {
        for (let i = 0; i < n; i++) ob[oo! + oi![i]!] = e[i]! / s;
      }
    });
  };
}

/** softmax's VJP y (g - sum(g y)) (log: logSoftmax's, g - exp(y) sum(g)) along attrs.axis. */
function softmaxBackwardKernel(log: boolean): Kernel<'softmaxBackward' | 'logSoftmaxBackward'> {
  return ([y, g], out, { axis }) => {
    const yb = y!.buf, gb = g!.buf, ob = out.buf;
    forEachSlice([y!, g!, out], [axis], ([yo, go, oo], [yi, gi, oi], n) => {
      let s = 0;
      if (log) {
        for (let i = 0; i < n; i++) s += gb[go! + gi![i]!]!;
        for (let i = 0; i < n; i++) ob[oo! + oi![i]!] = gb[go! + gi![i]!]! - Math.exp(yb[yo! + yi![i]!]!) * s;
      } else {
        for (let i = 0; i < n; i++) s += gb[go! + gi![i]!]! * yb[yo! + yi![i]!]!;
        for (let i = 0; i < n; i++) {
          const yv = yb[yo! + yi![i]!]!;
          ob[oo! + oi![i]!] = yv * (gb[go! + gi![i]!]! - s);
        }
      }
    });
  };
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const GELU_A = 0.044715;

/** sqrt(2/pi) (x + 0.044715 x^3): the tanh approximation's argument. */
const tanhArg = (x: number): number => (x + x * x * x * GELU_A) * SQRT_2_OVER_PI;

/** GELU of one value: x/2 (1 + erf(x/sqrt 2)), or x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
export function gelu1(x: number, tanh: boolean): number {
  return x * 0.5 * ((tanh ? Math.tanh(tanhArg(x)) : erf(x * Math.SQRT1_2)) + 1);
}

/** GELU's derivative at x: Phi(x) + x phi(x), or the tanh approximation's. */
export function geluDerivative(x: number, tanh: boolean): number {
  if (!tanh) return 0.5 * (1 + erf(x * Math.SQRT1_2)) + x * Math.exp(-0.5 * x * x) * INV_SQRT_2PI;
  const t = Math.tanh(tanhArg(x));
  return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * SQRT_2_OVER_PI * (1 + 3 * GELU_A * x * x);
}

/** Elementwise over one or two views of out's shape: out = f(x) or f(x, g). */
function geluKernel(backward: boolean): Kernel<'gelu' | 'geluBackward'> {
  return (inputs, out, { tanh }: GeluAttrs) => {
    const ob = out.buf;
    const xb = inputs[0]!.buf, gb = backward ? inputs[1]!.buf : xb;
    const all = out.shape.map((_, d) => d);
    forEachSlice(backward ? [inputs[0]!, inputs[1]!, out] : [inputs[0]!, out], all, (starts, offs, n) => {
      const xo = starts[0]!, xi = offs[0]!, oo = starts[starts.length - 1]!, oi = offs[offs.length - 1]!;
      if (!backward) {
        for (let i = 0; i < n; i++) ob[oo + oi[i]!] = gelu1(xb[xo + xi[i]!]!, tanh);
        return;
      }
      const go = starts[1]!, gi = offs[1]!;
      for (let i = 0; i < n; i++) ob[oo + oi[i]!] = gb[go + gi[i]!]! * geluDerivative(xb[xo + xi[i]!]!, tanh);
    });
  };
}

/** The trailing `dims` dims of a view of rank nd. */
const trailing = (nd: number, dims: number): number[] => Array.from({ length: dims }, (_, i) => nd - dims + i);

/** Mean and 1/sqrt(var + eps) (biased variance, two passes) of one slice. */
function moments(x: TypedArray, xo: number, xi: Int32Array, n: number, eps: number): [number, number] {
  let s = 0;
  for (let i = 0; i < n; i++) s += x[xo + xi[i]!]!;
  const mean = s / n;
  let v = 0;
  for (let i = 0; i < n; i++) {
    const d = x[xo + xi[i]!]! - mean;
    v += d * d;
  }
  return [mean, 1 / Math.sqrt(v / n + eps)];
}

const layerNormKernel: Kernel<'layerNorm'> = ([x], out, { dims, eps }: LayerNormAttrs) => {
  const xb = x!.buf, ob = out.buf;
  forEachSlice([x!, out], trailing(out.shape.length, dims), ([xo, oo], [xi, oi], n) => {
    const [mean, r] = moments(xb, xo!, xi!, n, eps);
    for (let i = 0; i < n; i++) ob[oo! + oi![i]!] = (xb[xo! + xi![i]!]! - mean) * r;
  });
};

const layerNormBackwardKernel: Kernel<'layerNormBackward'> = ([x, g], out, { dims, eps }: LayerNormAttrs) => {
  const xb = x!.buf, gb = g!.buf, ob = out.buf;
  forEachSlice([x!, g!, out], trailing(out.shape.length, dims), ([xo, go, oo], [xi, gi, oi], n) => {
    const [mean, r] = moments(xb, xo!, xi!, n, eps);
    let sg = 0, sgx = 0;
    for (let i = 0; i < n; i++) {
      const gv = gb[go! + gi![i]!]!;
      sg += gv;
      sgx += gv * ((xb[xo! + xi![i]!]! - mean) * r);
    }
    const mg = sg / n, mgx = sgx / n;
    for (let i = 0; i < n; i++) {
      const xhat = (xb[xo! + xi![i]!]! - mean) * r;
      ob[oo! + oi![i]!] = r * (gb[go! + gi![i]!]! - mg - xhat * mgx);
    }
  });
};

/** x + alpha y elementwise, computed in float64 and stored once in out's dtype. */
const axpyKernel: Kernel<'axpy'> = ([x, y], out, { alpha }: AxpyAttrs) => {
  const xb = x!.buf, yb = y!.buf, ob = out.buf;
  forEachSlice([x!, y!, out], out.shape.map((_, d) => d), ([xo, yo, oo], [xi, yi, oi], n) => {
    for (let i = 0; i < n; i++) ob[oo! + oi![i]!] = xb[xo! + xi![i]!]! + alpha * yb[yo! + yi![i]!]!;
  });
};

/**
 * [y, g] -> f(y, g) elementwise, in float64: an activation's VJP from its output (tanh, sigmoid) or
 * its input (relu) y and the cotangent g.
 */
function vjpKernel(f: (y: number, g: number) => number): Kernel<'tanhBackward' | 'sigmoidBackward' | 'reluBackward'> {
  return ([y, g], out) => {
    const yb = y!.buf, gb = g!.buf, ob = out.buf;
    if (isDense(y!) && isDense(g!)) {
      // The common case (a cotangent and an output of one layout), without the per-call offset tables.
      const yo = y!.offset, go = g!.offset;
      for (let i = 0; i < ob.length; i++) ob[i] = f(yb[yo + i]!, gb[go + i]!);
      return;
    }
    forEachSlice([y!, g!, out], out.shape.map((_, d) => d), ([yo, go, oo], [yi, gi, oi], n) => {
      for (let i = 0; i < n; i++) ob[oo! + oi![i]!] = f(yb[yo! + yi![i]!]!, gb[go! + gi![i]!]!);
    });
  };
}

/** The JS kernels of the fused primitives: float64 arithmetic throughout, stored in out's dtype. */
export const fusedKernels: KernelTable<FusedPrimitive> = {
  softmax: softmaxKernel(false),
  logSoftmax: softmaxKernel(true),
  softmaxBackward: softmaxBackwardKernel(false),
  logSoftmaxBackward: softmaxBackwardKernel(true),
  gelu: geluKernel(false),
  geluBackward: geluKernel(true),
  layerNorm: layerNormKernel,
  layerNormBackward: layerNormBackwardKernel,
  axpy: axpyKernel,
  tanhBackward: vjpKernel((y, g) => g * (1 - y * y)),
  sigmoidBackward: vjpKernel((y, g) => g * (y * (1 - y))),
  // g itself where x > 0 and +0 elsewhere (not g * 0, which is -0, or NaN for an infinite g), as where() gives.
  reluBackward: vjpKernel((x, g) => (x > 0 ? g : 0)),
};
