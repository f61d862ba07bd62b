import type { TypedArray } from '../../dtype.js';
import type { BinaryPrimitive, ComparePrimitive, PrimitiveOf, UnaryPrimitive } from '../../primitives.js';
import { erf, erfc } from './erf.js';
import { forEachRow } from './iterate.js';
import type { KernelTable, View } from '../backend.js';

type A = TypedArray;
/** One strided input row into one contiguous output row. */
type UnaryRow = (x: A, xo: number, xs: number, o: A, oo: number, n: number) => void;
/** Two strided input rows into one contiguous output row. */
type BinaryRow = (a: A, ao: number, as: number, b: A, bo: number, bs: number, o: A, oo: number, n: number) => void;

const UNARY: { [P in UnaryPrimitive]: UnaryRow } = {
  neg: (x, xo, xs, o, oo, n) => { for (let i = 0; i < n; i++) o[oo + i] = -x[xo + i * xs]; },
  abs: (x, xo, xs, o, oo, n) => { for (let i = 0; i < n; i++) o[oo + i] = Math.abs(x[xo + i * xs]); },
  sign: (x, xo, xs, o, oo, n) => { for (let i = 0; i < n; i++) { const v = x[xo + i * xs]; o[oo + i] = v > 0 ? 1 : v < 0 ? -1 : v; } },
  exp: (x, xo, xs, o, oo, n) => { for (let i = 0; i < n; i++) o[oo + i] = Math.exp(x[xo + i * xs]); },
  log: (x, xo, xs, o, oo, n) => { for (let i = 0; i < n; i++) o[oo + i] = Math.log(x[xo + i * xs]); },
  log1p: (x, xo, xs, o, oo, n) => { for (let i = 0; i < n; i++) o[oo + i] = Math.log1p(x[xo + i * xs]); },
  sqrt: (x, xo, xs, o, oo, n) => { for (let i = 0; i < n; i++) o[oo + i] = Math.sqrt(x[xo + i * xs]); },
  sin: (x, xo, xs, o, oo, n) => { for (let i = 0; i < n; i++) o[oo + i] = Math.sin(x[xo + i * xs]); },
  cos: (x, xo, xs, o, oo, n) => { for (let i = 0; i < n; i++) o[oo + i] = Math.cos(x[xo + i * xs]); },
  tanh: (x, xo, xs, o, oo, n) => { for (let i = 0; i < n; i++) o[oo + i] = Math.tanh(x[xo + i * xs]); },
  // Stable on both sides: never exponentiates a large positive number.
  sigmoid: (x, xo, xs, o, oo, n) => {
    for (let i = 0; i < n; i++) {
      const v = x[xo + i * xs];
      if (v >= 0) o[oo + i] = 1 / (1 + Math.exp(-v));
      else { const e = Math.exp(v); o[oo + i] = e / (1 + e); }
    }
  },
  // NaN stays NaN, as in PyTorch.
  relu: (x, xo, xs, o, oo, n) => { for (let i = 0; i < n; i++) { const v = x[xo + i * xs]; o[oo + i] = v <= 0 ? 0 : v; } },
  erf: (x, xo, xs, o, oo, n) => { for (let i = 0; i < n; i++) o[oo + i] = erf(x[xo + i * xs]); },
  floor: (x, xo, xs, o, oo, n) => { for (let i = 0; i < n; i++) o[oo + i] = Math.floor(x[xo + i * xs]); },
  ceil: (x, xo, xs, o, oo, n) => { for (let i = 0; i < n; i++) o[oo + i] = Math.ceil(x[xo + i * xs]); },
  // Halves go to the even neighbour, as in PyTorch (Math.round sends them up).
  round: (x, xo, xs, o, oo, n) => {
    for (let i = 0; i < n; i++) {
      const v = x[xo + i * xs];
      let r = Math.round(v);
      if (r - v === 0.5 && r % 2 !== 0) r -= 1;
      o[oo + i] = r;
    }
  },
  trunc: (x, xo, xs, o, oo, n) => { for (let i = 0; i < n; i++) o[oo + i] = Math.trunc(x[xo + i * xs]); },
  asin: (x, xo, xs, o, oo, n) => { for (let i = 0; i < n; i++) o[oo + i] = Math.asin(x[xo + i * xs]); },
  acos: (x, xo, xs, o, oo, n) => { for (let i = 0; i < n; i++) o[oo + i] = Math.acos(x[xo + i * xs]); },
  atan: (x, xo, xs, o, oo, n) => { for (let i = 0; i < n; i++) o[oo + i] = Math.atan(x[xo + i * xs]); },
  sinh: (x, xo, xs, o, oo, n) => { for (let i = 0; i < n; i++) o[oo + i] = Math.sinh(x[xo + i * xs]); },
  cosh: (x, xo, xs, o, oo, n) => { for (let i = 0; i < n; i++) o[oo + i] = Math.cosh(x[xo + i * xs]); },
  asinh: (x, xo, xs, o, oo, n) => { for (let i = 0; i < n; i++) o[oo + i] = Math.asinh(x[xo + i * xs]); },
  acosh: (x, xo, xs, o, oo, n) => { for (let i = 0; i < n; i++) o[oo + i] = Math.acosh(x[xo + i * xs]); },
  atanh: (x, xo, xs, o, oo, n) => { for (let i = 0; i < n; i++) o[oo + i] = Math.atanh(x[xo + i * xs]); },
  erfc: (x, xo, xs, o, oo, n) => { for (let i = 0; i < n; i++) o[oo + i] = erfc(x[xo + i * xs]); },
  expm1: (x, xo, xs, o, oo, n) => { for (let i = 0; i < n; i++) o[oo + i] = Math.expm1(x[xo + i * xs]); },
  log2: (x, xo, xs, o, oo, n) => { for (let i = 0; i < n; i++) o[oo + i] = Math.log2(x[xo + i * xs]); },
  log10: (x, xo, xs, o, oo, n) => { for (let i = 0; i < n; i++) o[oo + i] = Math.log10(x[xo + i * xs]); },
};

/** Integer fmod/remainder by zero has no value: an error, as in PyTorch. */
function checkDivisor(op: string, o: A, b: A, bo: number, bs: number, n: number): void {
  if (!(o instanceof Int32Array)) return;
  for (let i = 0; i < n; i++) if (b[bo + i * bs] === 0) throw new RangeError(`${op}: integer division by zero`);
}

// add/sub/mul/div carry a unit-stride loop too: they are the hot ones, and V8 vectorizes nothing
// but it does hoist bounds checks much better without the stride multiply.
const BINARY: { [P in BinaryPrimitive | ComparePrimitive]: BinaryRow } = {
  add: (a, ao, as, b, bo, bs, o, oo, n) => {
    if (as === 1 && bs === 1) for (let i = 0; i < n; i++) o[oo + i] = a[ao + i] + b[bo + i];
    else for (let i = 0; i < n; i++) o[oo + i] = a[ao + i * as] + b[bo + i * bs];
  },
  sub: (a, ao, as, b, bo, bs, o, oo, n) => {
    if (as === 1 && bs === 1) for (let i = 0; i < n; i++) o[oo + i] = a[ao + i] - b[bo + i];
    else for (let i = 0; i < n; i++) o[oo + i] = a[ao + i * as] - b[bo + i * bs];
  },
  mul: (a, ao, as, b, bo, bs, o, oo, n) => {
    if (o instanceof Int32Array) for (let i = 0; i < n; i++) o[oo + i] = Math.imul(a[ao + i * as], b[bo + i * bs]);
    else if (as === 1 && bs === 1) for (let i = 0; i < n; i++) o[oo + i] = a[ao + i] * b[bo + i];
    else for (let i = 0; i < n; i++) o[oo + i] = a[ao + i * as] * b[bo + i * bs];
  },
  div: (a, ao, as, b, bo, bs, o, oo, n) => {
    if (as === 1 && bs === 1) for (let i = 0; i < n; i++) o[oo + i] = a[ao + i] / b[bo + i];
    else for (let i = 0; i < n; i++) o[oo + i] = a[ao + i * as] / b[bo + i * bs];
  },
  pow: (a, ao, as, b, bo, bs, o, oo, n) => { for (let i = 0; i < n; i++) o[oo + i] = a[ao + i * as] ** b[bo + i * bs]; },
  // NaN propagates, as in PyTorch.
  maximum: (a, ao, as, b, bo, bs, o, oo, n) => {
    for (let i = 0; i < n; i++) { const x = a[ao + i * as], y = b[bo + i * bs]; o[oo + i] = x > y || x !== x ? x : y; }
  },
  minimum: (a, ao, as, b, bo, bs, o, oo, n) => {
    for (let i = 0; i < n; i++) { const x = a[ao + i * as], y = b[bo + i * bs]; o[oo + i] = x < y || x !== x ? x : y; }
  },
  atan2: (a, ao, as, b, bo, bs, o, oo, n) => { for (let i = 0; i < n; i++) o[oo + i] = Math.atan2(a[ao + i * as], b[bo + i * bs]); },
  // The result takes the dividend's sign (C's fmod; JavaScript's %).
  fmod: (a, ao, as, b, bo, bs, o, oo, n) => {
    checkDivisor('fmod', o, b, bo, bs, n);
    for (let i = 0; i < n; i++) o[oo + i] = a[ao + i * as] % b[bo + i * bs];
  },
  // The result takes the divisor's sign (Python's %).
  remainder: (a, ao, as, b, bo, bs, o, oo, n) => {
    checkDivisor('remainder', o, b, bo, bs, n);
    for (let i = 0; i < n; i++) {
      const y = b[bo + i * bs];
      const r = a[ao + i * as] % y;
      o[oo + i] = r !== 0 && r < 0 !== y < 0 ? r + y : r;
    }
  },
  hypot: (a, ao, as, b, bo, bs, o, oo, n) => { for (let i = 0; i < n; i++) o[oo + i] = Math.hypot(a[ao + i * as], b[bo + i * bs]); },
  eq: (a, ao, as, b, bo, bs, o, oo, n) => { for (let i = 0; i < n; i++) o[oo + i] = a[ao + i * as] === b[bo + i * bs] ? 1 : 0; },
  ne: (a, ao, as, b, bo, bs, o, oo, n) => { for (let i = 0; i < n; i++) o[oo + i] = a[ao + i * as] !== b[bo + i * bs] ? 1 : 0; },
  lt: (a, ao, as, b, bo, bs, o, oo, n) => { for (let i = 0; i < n; i++) o[oo + i] = a[ao + i * as] < b[bo + i * bs] ? 1 : 0; },
  le: (a, ao, as, b, bo, bs, o, oo, n) => { for (let i = 0; i < n; i++) o[oo + i] = a[ao + i * as] <= b[bo + i * bs] ? 1 : 0; },
  gt: (a, ao, as, b, bo, bs, o, oo, n) => { for (let i = 0; i < n; i++) o[oo + i] = a[ao + i * as] > b[bo + i * bs] ? 1 : 0; },
  ge: (a, ao, as, b, bo, bs, o, oo, n) => { for (let i = 0; i < n; i++) o[oo + i] = a[ao + i * as] >= b[bo + i * bs] ? 1 : 0; },
};

/** Unary kernel: `out` is contiguous with x's shape. */
export function unaryKernel(op: UnaryPrimitive): (inputs: readonly View[], out: View) => void {
  const f = UNARY[op];
  return (inputs, out) => {
    const x = inputs[0]!;
    const ob = out.buf;
    if (isDense(x)) {
      f(x.buf, x.offset, 1, ob, 0, out.buf.length);
      return;
    }
    forEachRow(x.shape, [out.strides, x.strides], [0, x.offset], (offs, len, steps) => f(x.buf, offs[1]!, steps[1]!, ob, offs[0]!, len));
  };
}

/**
 * Dense loops for the hot arithmetic ops, unrolled by 8. The Float32Array and Float64Array sets are
 * the same code written twice on purpose: V8 keeps type feedback per function literal, so a single
 * loop that sees both array types runs about 2.5x slower than two that each see one.
 */
type Dense<A> = (a: A, ao: number, b: A, bo: number, o: A, n: number) => void;
interface DenseSet<A> { add: Dense<A>; sub: Dense<A>; mul: Dense<A>; div: Dense<A> }
const DENSE_F32: DenseSet<Float32Array> = {
  add(a, ao, b, bo, o, n) {
    let i = 0;
    for (; i + 8 <= n; i += 8) { const p = ao + i, q = bo + i; o[i] = a[p]! + b[q]!; o[i + 1] = a[p + 1]! + b[q + 1]!; o[i + 2] = a[p + 2]! + b[q + 2]!; o[i + 3] = a[p + 3]! + b[q + 3]!; o[i + 4] = a[p + 4]! + b[q + 4]!; o[i + 5] = a[p + 5]! + b[q + 5]!; o[i + 6] = a[p + 6]! + b[q + 6]!; o[i + 7] = a[p + 7]! + b[q + 7]!; }
    for (; i < n; i++) o[i] = a[ao + i]! + b[bo + i]!;
  },
  sub(a, ao, b, bo, o, n) {
    let i = 0;
    for (; i + 8 <= n; i += 8) { const p = ao + i, q = bo + i; o[i] = a[p]! - b[q]!; o[i + 1] = a[p + 1]! - b[q + 1]!; o[i + 2] = a[p + 2]! - b[q + 2]!; o[i + 3] = a[p + 3]! - b[q + 3]!; o[i + 4] = a[p + 4]! - b[q + 4]!; o[i + 5] = a[p + 5]! - b[q + 5]!; o[i + 6] = a[p + 6]! - b[q + 6]!; o[i + 7] = a[p + 7]! - b[q + 7]!; }
    for (; i < n; i++) o[i] = a[ao + i]! - b[bo + i]!;
  },
  mul(a, ao, b, bo, o, n) {
    let i = 0;
    for (; i + 8 <= n; i += 8) { const p = ao + i, q = bo + i; o[i] = a[p]! * b[q]!; o[i + 1] = a[p + 1]! * b[q + 1]!; o[i + 2] = a[p + 2]! * b[q + 2]!; o[i + 3] = a[p + 3]! * b[q + 3]!; o[i + 4] = a[p + 4]! * b[q + 4]!; o[i + 5] = a[p + 5]! * b[q + 5]!; o[i + 6] = a[p + 6]! * b[q + 6]!; o[i + 7] = a[p + 7]! * b[q + 7]!; }
    for (; i < n; i++) o[i] = a[ao + i]! * b[bo + i]!;
  },
  div(a, ao, b, bo, o, n) {
    let i = 0;
    for (; i + 8 <= n; i += 8) { const p = ao + i, q = bo + i; o[i] = a[p]! / b[q]!; o[i + 1] = a[p + 1]! / b[q + 1]!; o[i + 2] = a[p + 2]! / b[q + 2]!; o[i + 3] = a[p + 3]! / b[q + 3]!; o[i + 4] = a[p + 4]! / b[q + 4]!; o[i + 5] = a[p + 5]! / b[q + 5]!; o[i + 6] = a[p + 6]! / b[q + 6]!; o[i + 7] = a[p + 7]! / b[q + 7]!; }
    for (; i < n; i++) o[i] = a[ao + i]! / b[bo + i]!;
  },
};
const DENSE_F64: DenseSet<Float64Array> = {
  add(a, ao, b, bo, o, n) {
    let i = 0;
    for (; i + 8 <= n; i += 8) { const p = ao + i, q = bo + i; o[i] = a[p]! + b[q]!; o[i + 1] = a[p + 1]! + b[q + 1]!; o[i + 2] = a[p + 2]! + b[q + 2]!; o[i + 3] = a[p + 3]! + b[q + 3]!; o[i + 4] = a[p + 4]! + b[q + 4]!; o[i + 5] = a[p + 5]! + b[q + 5]!; o[i + 6] = a[p + 6]! + b[q + 6]!; o[i + 7] = a[p + 7]! + b[q + 7]!; }
    for (; i < n; i++) o[i] = a[ao + i]! + b[bo + i]!;
  },
  sub(a, ao, b, bo, o, n) {
    let i = 0;
    for (; i + 8 <= n; i += 8) { const p = ao + i, q = bo + i; o[i] = a[p]! - b[q]!; o[i + 1] = a[p + 1]! - b[q + 1]!; o[i + 2] = a[p + 2]! - b[q + 2]!; o[i + 3] = a[p + 3]! - b[q + 3]!; o[i + 4] = a[p + 4]! - b[q + 4]!; o[i + 5] = a[p + 5]! - b[q + 5]!; o[i + 6] = a[p + 6]! - b[q + 6]!; o[i + 7] = a[p + 7]! - b[q + 7]!; }
    for (; i < n; i++) o[i] = a[ao + i]! - b[bo + i]!;
  },
  mul(a, ao, b, bo, o, n) {
    let i = 0;
    for (; i + 8 <= n; i += 8) { const p = ao + i, q = bo + i; o[i] = a[p]! * b[q]!; o[i + 1] = a[p + 1]! * b[q + 1]!; o[i + 2] = a[p + 2]! * b[q + 2]!; o[i + 3] = a[p + 3]! * b[q + 3]!; o[i + 4] = a[p + 4]! * b[q + 4]!; o[i + 5] = a[p + 5]! * b[q + 5]!; o[i + 6] = a[p + 6]! * b[q + 6]!; o[i + 7] = a[p + 7]! * b[q + 7]!; }
    for (; i < n; i++) o[i] = a[ao + i]! * b[bo + i]!;
  },
  div(a, ao, b, bo, o, n) {
    let i = 0;
    for (; i + 8 <= n; i += 8) { const p = ao + i, q = bo + i; o[i] = a[p]! / b[q]!; o[i + 1] = a[p + 1]! / b[q + 1]!; o[i + 2] = a[p + 2]! / b[q + 2]!; o[i + 3] = a[p + 3]! / b[q + 3]!; o[i + 4] = a[p + 4]! / b[q + 4]!; o[i + 5] = a[p + 5]! / b[q + 5]!; o[i + 6] = a[p + 6]! / b[q + 6]!; o[i + 7] = a[p + 7]! / b[q + 7]!; }
    for (; i < n; i++) o[i] = a[ao + i]! / b[bo + i]!;
  },
};

/** Binary kernel: both inputs already have out's shape (broadcast ones through zero strides). */
export function binaryKernel(op: BinaryPrimitive | ComparePrimitive): (inputs: readonly View[], out: View) => void {
  const f = BINARY[op];
  const f32 = op in DENSE_F32 ? DENSE_F32[op as keyof DenseSet<Float32Array>] : null;
  const f64 = op in DENSE_F64 ? DENSE_F64[op as keyof DenseSet<Float64Array>] : null;
  return (inputs, out) => {
    const a = inputs[0]!;
    const b = inputs[1]!;
    const ob = out.buf;
    const as = flatStep(a);
    const bs = flatStep(b);
    if (as === 1 && bs === 1 && a.dtype === out.dtype && b.dtype === out.dtype) {
      if (f32 !== null && ob instanceof Float32Array) return f32(a.buf as Float32Array, a.offset, b.buf as Float32Array, b.offset, ob, ob.length);
      if (f64 !== null && ob instanceof Float64Array) return f64(a.buf as Float64Array, a.offset, b.buf as Float64Array, b.offset, ob, ob.length);
    }
    if (as >= 0 && bs >= 0) {
      f(a.buf, a.offset, as, b.buf, b.offset, bs, ob, 0, ob.length);
      return;
    }
    forEachRow(out.shape, [out.strides, a.strides, b.strides], [0, a.offset, b.offset], (offs, len, steps) =>
      f(a.buf, offs[1]!, steps[1]!, b.buf, offs[2]!, steps[2]!, ob, offs[0]!, len),
    );
  };
}

/** where(cond, a, b), all three already broadcast to out's shape. */
export function whereKernel(inputs: readonly View[], out: View): void {
  const [c, a, b] = inputs as [View, View, View];
  const o = out.buf;
  const row = (oo: number, co: number, cs: number, ao: number, as: number, bo: number, bs: number, n: number): void => {
    const cb = c.buf, ab = a.buf, bb = b.buf;
    for (let i = 0; i < n; i++) o[oo + i] = cb[co + i * cs] ? ab[ao + i * as]! : bb[bo + i * bs]!;
  };
  const cs = flatStep(c), as = flatStep(a), bs = flatStep(b);
  if (cs >= 0 && as >= 0 && bs >= 0) {
    row(0, c.offset, cs, a.offset, as, b.offset, bs, o.length);
    return;
  }
  forEachRow(out.shape, [out.strides, c.strides, a.strides, b.strides], [0, c.offset, a.offset, b.offset], (offs, n, st) =>
    row(offs[0]!, offs[1]!, st[1]!, offs[2]!, st[2]!, offs[3]!, st[3]!, n),
  );
}

/**
 * The single stride that walks a view in row-major order: 1 when it is dense, 0 when it is one
 * value broadcast everywhere (a scalar operand), -1 otherwise.
 */
function flatStep(v: View): number {
  if (isDense(v)) return 1;
  for (let d = 0; d < v.strides.length; d++) if (v.strides[d] !== 0 && v.shape[d] !== 1) return -1;
  return 0;
}

/** True when a view covers its storage densely in row-major order from its offset. */
export function isDense(v: View): boolean {
  let s = 1;
  for (let d = v.shape.length - 1; d >= 0; d--) {
    const n = v.shape[d]!;
    if (n !== 1 && v.strides[d] !== s) return false;
    s *= n;
  }
  return true;
}

/** The JS kernels of the elementwise primitives. */
export const elementwiseKernels: KernelTable<PrimitiveOf<'unary' | 'binary' | 'compare' | 'select'>> = {
  neg: unaryKernel('neg'), abs: unaryKernel('abs'), sign: unaryKernel('sign'), exp: unaryKernel('exp'),
  log: unaryKernel('log'), log1p: unaryKernel('log1p'), sqrt: unaryKernel('sqrt'), sin: unaryKernel('sin'),
  cos: unaryKernel('cos'), tanh: unaryKernel('tanh'), sigmoid: unaryKernel('sigmoid'), relu: unaryKernel('relu'),
  erf: unaryKernel('erf'), floor: unaryKernel('floor'), ceil: unaryKernel('ceil'), round: unaryKernel('round'),
  trunc: unaryKernel('trunc'), asin: unaryKernel('asin'), acos: unaryKernel('acos'), atan: unaryKernel('atan'),
  sinh: unaryKernel('sinh'), cosh: unaryKernel('cosh'), asinh: unaryKernel('asinh'), acosh: unaryKernel('acosh'),
  atanh: unaryKernel('atanh'), erfc: unaryKernel('erfc'), expm1: unaryKernel('expm1'), log2: unaryKernel('log2'),
  log10: unaryKernel('log10'),
  add: binaryKernel('add'), sub: binaryKernel('sub'), mul: binaryKernel('mul'), div: binaryKernel('div'),
  pow: binaryKernel('pow'), maximum: binaryKernel('maximum'), minimum: binaryKernel('minimum'),
  atan2: binaryKernel('atan2'), fmod: binaryKernel('fmod'), remainder: binaryKernel('remainder'), hypot: binaryKernel('hypot'),
  eq: binaryKernel('eq'), ne: binaryKernel('ne'), lt: binaryKernel('lt'), le: binaryKernel('le'),
  gt: binaryKernel('gt'), ge: binaryKernel('ge'),
  where: whereKernel,
};
