/**
 * A deliberately simple reference for the fuzz suite: tensors as { shape, data, dtype } with
 * row-major plain numbers, read straight from a Tensor's storage through its strides, and ops
 * written as the textbook loops (NumPy broadcasting, PyTorch dtype promotion). Nothing here calls
 * a tapegrad op, so an answer that agrees with it was not copied from the code under test.
 */
import type { DType, Tensor } from '@tapegrad/tensor';

export interface Ref {
  shape: number[];
  data: number[];
  dtype: DType;
}

/** Thrown by a reference op for arguments the real op must refuse. */
export class Refuse extends Error {}

const RANK: Record<DType, number> = { bool: 0, int32: 1, float32: 2, float64: 3 };
export const isFloatType = (d: DType): boolean => d === 'float32' || d === 'float64';
export const promote = (a: DType, b: DType): DType => (RANK[a] >= RANK[b] ? a : b);
export const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** Rounds a float64 result the way storage of `dtype` holds it. */
export function stored(v: number, dtype: DType): number {
  if (dtype === 'float32') return Math.fround(v);
  if (dtype === 'int32') return v | 0;
  if (dtype === 'bool') return v !== 0 ? 1 : 0;
  return v;
}

/** Every multi-index of `shape`, row-major. */
export function indices(shape: readonly number[]): number[][] {
  const out: number[][] = [];
  const n = size(shape);
  const idx = shape.map(() => 0);
  for (let k = 0; k < n; k++) {
    out.push(idx.slice());
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
  return out;
}

const flatIndex = (shape: readonly number[], idx: readonly number[]): number => idx.reduce((o, v, d) => o * shape[d]! + v, 0);

/** A tensor's elements read from its storage through shape, strides and offset. */
export function read(t: Tensor): Ref {
  const data = indices(t.shape).map((idx) => t.buf[t.offset + idx.reduce((o, v, d) => o + v * t.strides[d]!, 0)]!);
  return { shape: t.shape.slice(), data, dtype: t.dtype };
}

export const ref = (shape: number[], data: number[], dtype: DType): Ref => ({ shape, data: data.map((v) => stored(v, dtype)), dtype });

/** A plain JS scalar as the reference sees it in an op with a tensor of dtype `t` (PyTorch's rule). */
export function scalarType(v: number | boolean, t: DType): DType {
  if (typeof v === 'boolean') return t;
  if (isFloatType(t)) return t;
  if (!Number.isInteger(v)) return 'float32';
  return t === 'bool' ? 'int32' : t;
}

export type Operand = Ref | number | boolean;

function asRef(x: Operand, dtype: DType): Ref {
  if (typeof x === 'object') return x;
  return { shape: [], data: [stored(Number(x), dtype)], dtype };
}

/** The dtype two operands compute in. */
export function resultType(a: Operand, b: Operand): DType {
  if (typeof a === 'object' && typeof b === 'object') return promote(a.dtype, b.dtype);
  if (typeof a === 'object') return promote(a.dtype, scalarType(b as number | boolean, a.dtype));
  if (typeof b === 'object') return promote(b.dtype, scalarType(a, b.dtype));
  return typeof a === 'boolean' && typeof b === 'boolean' ? 'bool' : 'float32';
}

export function broadcast(...shapes: number[][]): number[] {
  const n = Math.max(0, ...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    let d = 1;
    for (const s of shapes) {
      const v = s[s.length - n + i] ?? 1;
      if (v !== 1 && d !== 1 && v !== d) throw new Refuse('broadcast');
      if (v !== 1) d = v;
    }
    out.push(d);
  }
  return out;
}

/** The element of `x` that broadcasts to position `idx` of a tensor of rank idx.length. */
function at(x: Ref, idx: readonly number[]): number {
  const lead = idx.length - x.shape.length;
  return x.data[flatIndex(x.shape, x.shape.map((d, i) => (d === 1 ? 0 : idx[lead + i]!)))]!;
}

/** Elementwise map over broadcast operands, computed in float64 and stored in `dtype`. */
export function zipWith(operands: Ref[], dtype: DType, f: (...v: number[]) => number): Ref {
  const shape = broadcast(...operands.map((o) => o.shape));
  return ref(shape, indices(shape).map((idx) => f(...operands.map((o) => at(o, idx)))), dtype);
}

const UNARY_FLOAT: Record<string, (v: number) => number> = {
  exp: Math.exp, log: Math.log, log1p: Math.log1p, sqrt: Math.sqrt, sin: Math.sin, cos: Math.cos, tanh: Math.tanh,
  sigmoid: (v) => 1 / (1 + Math.exp(-v)), rsqrt: (v) => 1 / Math.sqrt(v),
  asin: Math.asin, acos: Math.acos, atan: Math.atan, sinh: Math.sinh, cosh: Math.cosh, asinh: Math.asinh, acosh: Math.acosh,
  atanh: Math.atanh, expm1: Math.expm1, log2: Math.log2, log10: Math.log10,
};
const UNARY_KEEP: Record<string, (v: number) => number> = {
  neg: (v) => -v, abs: Math.abs, sign: (v) => (v > 0 ? 1 : v < 0 ? -1 : v), relu: (v) => (v > 0 ? v : v !== v ? v : 0),
  floor: Math.floor, ceil: Math.ceil, trunc: Math.trunc,
  // Halves to the even neighbour.
  round: (v) => {
    const r = Math.round(v);
    return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
  },
};

export function unary(op: string, x: Ref): Ref {
  if (op in UNARY_FLOAT) return zipWith([x], isFloatType(x.dtype) ? x.dtype : 'float32', UNARY_FLOAT[op]!);
  return zipWith([x], x.dtype === 'bool' ? 'int32' : x.dtype, UNARY_KEEP[op]!);
}

const BINARY: Record<string, (a: number, b: number) => number> = {
  add: (a, b) => a + b, sub: (a, b) => a - b, mul: (a, b) => a * b, div: (a, b) => a / b, pow: (a, b) => a ** b,
  maximum: (a, b) => (a !== a || b !== b ? NaN : Math.max(a, b)), minimum: (a, b) => (a !== a || b !== b ? NaN : Math.min(a, b)),
  atan2: Math.atan2, hypot: (a, b) => Math.hypot(a, b), fmod: (a, b) => a % b,
  remainder: (a, b) => {
    const r = a % b;
    return r !== 0 && r < 0 !== b < 0 ? r + b : r;
  },
};
const COMPARE: Record<string, (a: number, b: number) => boolean> = {
  eq: (a, b) => a === b, ne: (a, b) => a !== b, lt: (a, b) => a < b, le: (a, b) => a <= b, gt: (a, b) => a > b, ge: (a, b) => a >= b,
};

export function binary(op: string, a: Operand, b: Operand): Ref {
  let dtype = resultType(a, b);
  if (op in COMPARE) {
    return zipWith([asRef(a, dtype), asRef(b, dtype)], 'bool', (x, y) => (COMPARE[op]!(x, y) ? 1 : 0));
  }
  if (dtype === 'bool' && op !== 'maximum' && op !== 'minimum') dtype = 'int32';
  if ((op === 'div' || op === 'atan2' || op === 'hypot') && !isFloatType(dtype)) dtype = 'float32';
  if ((op === 'fmod' || op === 'remainder') && dtype === 'int32' && zipWith([asRef(b, dtype)], dtype, (v) => v).data.includes(0)) throw new Refuse('integer division by zero');
  if (op === 'pow' && dtype === 'int32' && typeof b === 'number' && b < 0) throw new Refuse('negative integer power');
  const x = asRef(a, dtype);
  const y = asRef(b, dtype);
  // Operands are converted to the computing dtype first (a float32 tensor next to a float64 one is exact).
  const cx = { ...x, data: x.data.map((v) => stored(v, dtype)) };
  const cy = { ...y, data: y.data.map((v) => stored(v, dtype)) };
  if (op === 'mul' && dtype === 'int32') return zipWith([cx, cy], dtype, (p, q) => Math.imul(p, q));
  return zipWith([cx, cy], dtype, BINARY[op]!);
}

/** Normalized, sorted axes (all when undefined); a repeated or out-of-range axis refuses. */
export function axesOf(axis: number | number[] | undefined, ndim: number): number[] {
  if (axis === undefined) return Array.from({ length: ndim }, (_, i) => i);
  const list = typeof axis === 'number' ? [axis] : axis;
  const lo = ndim === 0 ? -1 : -ndim;
  const hi = ndim === 0 ? 0 : ndim - 1;
  const out = list.map((a) => {
    if (a < lo || a > hi) throw new Refuse('axis');
    return a < 0 ? a + Math.max(ndim, 1) : a;
  });
  if (new Set(out).size !== out.length) throw new Refuse('repeated axis');
  return ndim === 0 ? [] : out.sort((p, q) => p - q);
}

/** Groups the elements of x by their position outside `axes`: one list per output element. */
export function groups(x: Ref, axes: readonly number[], keepdims: boolean): { shape: number[]; lists: number[][] } {
  const shape = x.shape.flatMap((d, i) => (axes.includes(i) ? (keepdims ? [1] : []) : [d]));
  const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const lists: number[][] = Array.from({ length: size(shape) }, () => []);
  indices(x.shape).forEach((idx, k) => lists[flatIndex(kept, idx.map((v, i) => (axes.includes(i) ? 0 : v)))]!.push(x.data[k]!));
  return { shape, lists };
}

const sumOf = (v: number[]): number => v.reduce((a, b) => a + b, 0);
const extremeOf = (v: number[], pick: (a: number, b: number) => boolean): number => {
  let m = v[0]!;
  for (const x of v) {
    if (x !== x) return x;
    if (pick(x, m)) m = x;
  }
  return m;
};

export function reduce(op: string, x: Ref, axis: number | number[] | undefined, keepdims: boolean, extra?: number): Ref {
  const axes = axesOf(axis, x.shape.length);
  const { shape, lists } = groups(x, axes, keepdims);
  const float = isFloatType(x.dtype) ? x.dtype : 'float32';
  const intType = isFloatType(x.dtype) ? x.dtype : 'int32';
  if ((op === 'max' || op === 'min') && (lists.some((l) => l.length === 0) || axes.some((a) => x.shape[a] === 0))) throw new Refuse('empty');
  switch (op) {
    case 'sum': return ref(shape, lists.map(sumOf), intType);
    case 'prod': return ref(shape, lists.map((l) => l.reduce((a, b) => a * b, 1)), intType);
    case 'max': return ref(shape, lists.map((l) => extremeOf(l, (a, b) => a > b)), x.dtype);
    case 'min': return ref(shape, lists.map((l) => extremeOf(l, (a, b) => a < b)), x.dtype);
    case 'mean': return ref(shape, lists.map((l) => sumOf(l) / l.length), float);
    case 'var': case 'std': {
      const c = extra ?? 1;
      const v = lists.map((l) => {
        const m = sumOf(l) / l.length;
        return sumOf(l.map((e) => (e - m) ** 2)) / Math.max(l.length - c, 0);
      });
      return ref(shape, op === 'std' ? v.map(Math.sqrt) : v, float);
    }
    case 'logsumexp': return ref(shape, lists.map((l) => {
      const m = l.length === 0 ? 0 : Math.max(...l);
      const s = Number.isFinite(m) ? m : 0;
      return Math.log(sumOf(l.map((e) => Math.exp(e - s)))) + s;
    }), float);
    case 'norm': {
      const p = extra ?? 2;
      return ref(shape, lists.map((l) => (p === Infinity ? Math.max(0, ...l.map(Math.abs)) : sumOf(l.map((e) => Math.abs(e) ** p)) ** (1 / p))), float);
    }
  }
  throw new Error(`reference: no reduction ${op}`);
}

/** argmax/argmin: the first extreme (a NaN wins) along one axis, or of the flattened tensor. */
export function argReduce(op: 'argmax' | 'argmin', x: Ref, axis: number | undefined, keepdims: boolean): Ref {
  const flat = axis === undefined;
  const src = flat ? { ...x, shape: [size(x.shape)] } : x;
  const axes = axesOf(flat ? 0 : axis, src.shape.length);
  const { shape, lists } = groups(src, axes, keepdims && !flat);
  if (lists.some((l) => l.length === 0) || axes.some((a) => src.shape[a] === 0)) throw new Refuse('empty');
  const data = lists.map((l) => {
    let k = 0;
    for (let i = 0; i < l.length; i++) {
      if (l[i] !== l[i]) return i;
      if (op === 'argmax' ? l[i]! > l[k]! : l[i]! < l[k]!) k = i;
    }
    return k;
  });
  return ref(flat && keepdims ? x.shape.map(() => 1) : shape, data, 'int32');
}

export function permute(x: Ref, dims: number[]): Ref {
  const shape = dims.map((d) => x.shape[d]!);
  return { shape, data: indices(shape).map((idx) => x.data[flatIndex(x.shape, dims.map((_, i) => idx[dims.indexOf(i)]!))]!), dtype: x.dtype };
}

export function reshape(x: Ref, shape: number[]): Ref {
  if (size(shape) !== x.data.length) throw new Refuse('reshape');
  return { ...x, shape };
}

export function expand(x: Ref, shape: number[]): Ref {
  const lead = shape.length - x.shape.length;
  if (lead < 0) throw new Refuse('expand');
  const target = shape.map((d, i) => (d === -1 && i >= lead ? x.shape[i - lead]! : d));
  x.shape.forEach((d, i) => {
    if (d !== 1 && d !== target[lead + i]) throw new Refuse('expand');
  });
  return { shape: target, data: indices(target).map((idx) => at(x, idx)), dtype: x.dtype };
}

/** Python slicing of the leading dims (positive steps). */
export function slice(x: Ref, starts: number[], ends: number[], steps?: number[]): Ref {
  const picks = x.shape.map((n, d) => {
    if (d >= starts.length) return Array.from({ length: n }, (_, i) => i);
    const c = (i: number): number => Math.min(Math.max(i < 0 ? i + n : i, 0), n);
    const out: number[] = [];
    for (let i = c(starts[d]!); i < c(ends[d]!); i += steps?.[d] ?? 1) out.push(i);
    return out;
  });
  const shape = picks.map((p) => p.length);
  return { shape, data: indices(shape).map((idx) => x.data[flatIndex(x.shape, idx.map((v, d) => picks[d]![v]!))]!), dtype: x.dtype };
}

/** Constant padding from the last dim backwards; negative widths crop. */
export function pad(x: Ref, widths: number[], value: number): Ref {
  const nd = x.shape.length;
  const before = x.shape.map(() => 0);
  const after = x.shape.map(() => 0);
  for (let i = 0; i < widths.length / 2; i++) {
    before[nd - 1 - i] = widths[2 * i]!;
    after[nd - 1 - i] = widths[2 * i + 1]!;
  }
  if (x.shape.some((n, d) => n + Math.min(before[d]!, 0) + Math.min(after[d]!, 0) < 0)) throw new Refuse('crop');
  const shape = x.shape.map((n, d) => n + before[d]! + after[d]!);
  const data = indices(shape).map((idx) => {
    const src = idx.map((v, d) => v - before[d]!);
    return src.every((v, d) => v >= 0 && v < x.shape[d]!) ? x.data[flatIndex(x.shape, src)]! : stored(value, x.dtype);
  });
  return { shape, data, dtype: x.dtype };
}

export function concat(xs: Ref[], axis: number): Ref {
  const first = xs[0]!;
  if (xs.some((x) => x.shape.length === 0)) throw new Refuse('0-d');
  const [ax] = axesOf(axis, first.shape.length);
  const dtype = xs.map((x) => x.dtype).reduce(promote);
  for (const x of xs) {
    if (x.shape.length !== first.shape.length || x.shape.some((d, i) => i !== ax && d !== first.shape[i])) throw new Refuse('concat');
  }
  const shape = first.shape.slice();
  shape[ax!] = xs.reduce((a, x) => a + x.shape[ax!]!, 0);
  const data = indices(shape).map((idx) => {
    let k = idx[ax!]!;
    for (const x of xs) {
      if (k < x.shape[ax!]!) return x.data[flatIndex(x.shape, idx.map((v, d) => (d === ax ? k : v)))]!;
      k -= x.shape[ax!]!;
    }
    throw new Error('unreachable');
  });
  return { shape, data, dtype };
}

export function gather(x: Ref, axis: number, index: Ref): Ref {
  if (x.shape.length === 0) {
    const i = index.data[0]!;
    if (i !== 0 && i !== -1) throw new Refuse('index');
    return { shape: [], data: [x.data[0]!], dtype: x.dtype };
  }
  const [ax] = axesOf(axis, x.shape.length);
  if (index.shape.length !== x.shape.length || index.shape.some((d, i) => i !== ax && d > x.shape[i]!)) throw new Refuse('index shape');
  const n = x.shape[ax!]!;
  const data = indices(index.shape).map((idx, k) => {
    let i = index.data[k]!;
    if (i < -n || i >= n) throw new Refuse('index range');
    if (i < 0) i += n;
    return x.data[flatIndex(x.shape, idx.map((v, d) => (d === ax ? i : v)))]!;
  });
  return { shape: index.shape.slice(), data, dtype: x.dtype };
}

export function matmul(a: Ref, b: Ref): Ref {
  if (a.shape.length === 0 || b.shape.length === 0) throw new Refuse('0-d');
  let dtype = promote(a.dtype, b.dtype);
  if (dtype === 'bool') dtype = 'int32';
  const av = a.shape.length === 1;
  const bv = b.shape.length === 1;
  const A = av ? { ...a, shape: [1, a.shape[0]!] } : a;
  const B = bv ? { ...b, shape: [b.shape[0]!, 1] } : b;
  const [M, K] = A.shape.slice(-2) as [number, number];
  const [K2, N] = B.shape.slice(-2) as [number, number];
  if (K !== K2) throw new Refuse('inner');
  const batch = broadcast(A.shape.slice(0, -2), B.shape.slice(0, -2));
  const shape = [...batch, M, N];
  const data = indices(shape).map((idx) => {
    const bi = idx.slice(0, -2);
    const [i, j] = idx.slice(-2) as [number, number];
    let s = 0;
    for (let k = 0; k < K; k++) {
      const x = at({ ...A, shape: A.shape }, [...bi, i, k]);
      const y = at({ ...B, shape: B.shape }, [...bi, k, j]);
      s += stored(x, dtype) * stored(y, dtype);
    }
    return s;
  });
  let out = ref(shape, data, dtype);
  if (av) out = { ...out, shape: out.shape.filter((_, d) => d !== out.shape.length - 2) };
  if (bv) out = { ...out, shape: out.shape.slice(0, -1) };
  return out;
}

/** softmax (exp(x - max) / sum) or logSoftmax (x - logsumexp) along one axis. */
export function softmax(x: Ref, axis: number, log: boolean): Ref {
  const [ax] = axesOf(axis, x.shape.length);
  const dtype = isFloatType(x.dtype) ? x.dtype : 'float32';
  const along = ax === undefined ? [] : [ax];
  const { lists } = groups(x, along, true);
  const kept = x.shape.map((d, i) => (i === ax ? 1 : d));
  const data = indices(x.shape).map((idx, k) => {
    const l = lists[flatIndex(kept, idx.map((v, i) => (i === ax ? 0 : v)))]!;
    const v = x.data[k]!;
    if (log) {
      const m = Math.max(...l);
      const s = Number.isFinite(m) ? m : 0;
      return v - (Math.log(sumOf(l.map((e) => Math.exp(e - s)))) + s);
    }
    const m = extremeOf(l, (a, b) => a > b);
    return Math.exp(v - m) / sumOf(l.map((e) => Math.exp(e - m)));
  });
  return ref(x.shape.slice(), data, dtype);
}
