import { ShapeError } from './errors.js';

/**
 * The most elements any tensor may have, view or not: 2^31 - 1. Indices and storage offsets are
 * int32 (argmax, gather, the JS backend's offset tables), so a larger tensor could not be
 * addressed; far below V8's own typed-array limit, and 8 GiB of float32 already.
 * Every shape a user gives and every shape an op computes is checked against it (`checkSize`).
 */
export const MAX_ELEMENTS = 2 ** 31 - 1;

/** The most dims a tensor may have (a guard against runaway nesting; PyTorch's nested lists stop there too). */
export const MAX_DIMS = 64;

export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (let i = 0; i < shape.length; i++) n *= shape[i]!;
  return n;
}

/** Row-major (C-order) strides of `shape`, in elements: `contiguousStrides([2, 3, 4])` is `[12, 4, 1]`. */
export function contiguousStrides(shape: readonly number[]): number[] {
  checkDims(shape, 'contiguousStrides');
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The element-count limit, checked wherever a shape is decided: a RangeError naming the op, the
 * shape and the limit. Returns the element count.
 */
export function checkSize(shape: readonly number[], op: string): number {
  return limited(shape, shapeSize(shape), op);
}

function limited(shape: readonly number[], n: number, op: string): number {
  if (n > MAX_ELEMENTS) {
    throw new RangeError(`${op}: shape ${fmtShape(shape)} has ${n} elements, more than tapegrad's limit of ${MAX_ELEMENTS} (2^31 - 1) elements per tensor`);
  }
  if (shape.length > MAX_DIMS) throw new RangeError(`${op}: a shape with ${shape.length} dims is more than tapegrad's limit of ${MAX_DIMS} dims`);
  return n;
}

/**
 * Validates a shape given by a user: an array of non-negative integers (a size that is not a number
 * is a TypeError, a negative or fractional one a RangeError), within the limits. Returns a copy.
 */
export function checkShape(shape: unknown, op: string): number[] {
  checkDims(shape, op);
  return (shape as number[]).slice();
}

/** `checkShape` without the copy, for shapes an op only reads. Returns the element count. */
export function checkDims(shape: unknown, op: string): number {
  if (!Array.isArray(shape)) {
    throw new TypeError(`${op}: expected a shape as an array of non-negative integers, got ${describe(shape)}`);
  }
  if (shape.length > MAX_DIMS) throw new RangeError(`${op}: a shape with ${shape.length} dims is more than tapegrad's limit of ${MAX_DIMS} dims`);
  let n = 1;
  for (let i = 0; i < shape.length; i++) {
    const d: unknown = shape[i];
    if (typeof d === 'number' && Number.isInteger(d) && d >= 0) {
      n *= d;
      continue;
    }
    const msg = `${op}: expected a shape of non-negative integers, got ${describeList(shape)}`;
    throw typeof d === 'number' ? new RangeError(msg) : new TypeError(msg);
  }
  return limited(shape as number[], n, op);
}

/** Validates a list of integers given by a user (a shape, starts, reps...), naming the op and what it is. */
export function checkIntList(x: unknown, op: string, what: string): number[] {
  if (!Array.isArray(x) || x.some((v) => typeof v !== 'number' || !Number.isInteger(v))) {
    throw new TypeError(`${op}: expected ${what} as an array of integers, got ${Array.isArray(x) ? describeList(x) : describe(x)}`);
  }
  return x as number[];
}

/** Validates one integer given by a user (an offset, a count...), at least `min`, naming the op and what it is. */
export function checkInt(x: unknown, op: string, what: string, min = -Infinity): number {
  if (typeof x !== 'number' || !Number.isInteger(x) || x < min) {
    throw new RangeError(`${op}: expected ${what} to be an integer${min > -Infinity ? ` >= ${min}` : ''}, got ${describe(x)}`);
  }
  return x;
}

/** A user value as it would read in a message: numbers and strings as written, objects by kind. Never throws. */
export function describe(x: unknown): string {
  switch (typeof x) {
    case 'number': return Number.isNaN(x) ? 'NaN' : String(x);
    case 'string': return JSON.stringify(x.length > 40 ? `${x.slice(0, 40)}...` : x);
    case 'bigint': return `${x}n (a bigint)`;
    case 'symbol': return 'a symbol';
    case 'function': return 'a function';
    case 'boolean': return String(x);
    case 'undefined': return 'undefined';
  }
  if (x === null) return 'null';
  if (Array.isArray(x)) return `array of length ${x.length}`;
  try {
    const name = (x as { constructor?: { name?: unknown } }).constructor?.name;
    if (name === 'Tensor') {
      const t = x as { shape: readonly number[]; dtype: string };
      return `a ${t.dtype} Tensor of shape ${fmtShape(t.shape)}`;
    }
    return typeof name === 'string' && name !== '' ? `${name === 'Object' ? 'an object' : name}` : 'an object';
  } catch {
    return 'an object';
  }
}

/** A short array rendered element by element for messages (`[2,"a",NaN]`). */
export function describeList(xs: readonly unknown[]): string {
  const shown = xs.slice(0, 8).map((v) => (Array.isArray(v) ? '[...]' : describe(v)));
  return `[${shown.join(',')}${xs.length > 8 ? `,... (${xs.length} entries)` : ''}]`;
}

/** NumPy broadcasting of two shapes; throws a ShapeError naming `op`. */
export function broadcastShapes(op: string, a: readonly number[], b: readonly number[]): readonly number[] {
  if (typeof op !== 'string') throw new TypeError(`broadcastShapes: expected the name of the op asking, got ${describe(op)}`);
  checkDims(a, op);
  checkDims(b, op);
  if (sameShape(a, b)) return a;
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(`${op}: cannot broadcast ${fmtShape(a)} with ${fmtShape(b)} (dim ${i}: ${da} vs ${db})`);
    }
    out[i] = da === 1 ? db : da;
  }
  checkSize(out, op);
  return out;
}

/** Normalizes one axis (negative counts from the end). */
export function normAxis(axis: unknown, ndim: number, op: string): number {
  if (typeof axis !== 'number' || !Number.isInteger(axis)) {
    throw new TypeError(`${op}: expected an integer axis, got ${describe(axis)}`);
  }
  const lo = ndim === 0 ? -1 : -ndim;
  const hi = ndim === 0 ? 0 : ndim - 1;
  if (axis < lo || axis > hi) {
    throw new RangeError(`${op}: axis ${axis} is out of range for a tensor with ${ndim} dims (expected ${lo}..${hi})`);
  }
  return axis < 0 ? axis + Math.max(ndim, 1) : axis;
}

/** Normalizes an axis or list of axes; undefined means every axis. Sorted, without duplicates. */
export function normAxes(axis: number | readonly number[] | undefined | null, ndim: number, op: string): number[] {
  if (axis === undefined || axis === null) return Array.from({ length: ndim }, (_, i) => i);
  const list = typeof axis === 'number' ? [axis] : axis;
  if (!Array.isArray(list)) throw new TypeError(`${op}: expected an axis or an array of axes, got ${describe(axis)}`);
  const out = list.map((a) => normAxis(a, ndim, op));
  const set = new Set(out);
  if (set.size !== out.length) throw new RangeError(`${op}: repeated axis in ${describeList(list)}`);
  if (ndim === 0) return [];
  return out.sort((x, y) => x - y);
}

/** The multi-index (row-major) of flat position i in a tensor of the given shape. */
export function unravelIndex(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length).fill(0);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = i % shape[d]!;
    i = Math.floor(i / shape[d]!);
  }
  return idx;
}

/** Output size of a sliding window along one dim (kernel k, stride s, padding p, dilation d). */
export function windowOut(size: number, k: number, s: number, p: number, d: number): number {
  return Math.floor((size + 2 * p - d * (k - 1) - 1) / s) + 1;
}
