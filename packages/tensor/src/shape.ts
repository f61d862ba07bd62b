import { ShapeError } from './errors.js';

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

/** Validates a shape given by a user: an array of non-negative integers. Returns a copy. */
export function checkShape(shape: unknown, op: string): number[] {
  if (!Array.isArray(shape)) {
    throw new TypeError(`${op}: expected a shape as an array of non-negative integers, got ${describe(shape)}`);
  }
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) {
      throw new RangeError(`${op}: expected a shape of non-negative integers, got [${shape.map(describe).join(',')}]`);
    }
  }
  return shape.slice() as number[];
}

/** Validates a list of integers given by a user (a shape, starts, reps...), naming the op and what it is. */
export function checkIntList(x: unknown, op: string, what: string): number[] {
  if (!Array.isArray(x) || x.some((v) => typeof v !== 'number' || !Number.isInteger(v))) {
    throw new TypeError(`${op}: expected ${what} as an array of integers, got ${Array.isArray(x) ? `[${x.map(describe).join(',')}]` : describe(x)}`);
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

export function describe(x: unknown): string {
  if (typeof x === 'number') return Number.isNaN(x) ? 'NaN' : String(x);
  if (typeof x === 'string') return JSON.stringify(x);
  if (Array.isArray(x)) return `array of length ${x.length}`;
  if (x === null) return 'null';
  if (typeof x === 'object') return (x as object).constructor?.name ?? 'object';
  return String(x);
}

/** NumPy broadcasting of two shapes; throws a ShapeError naming `op`. */
export function broadcastShapes(op: string, a: readonly number[], b: readonly number[]): readonly number[] {
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
  if (ndim === 0) return [];
  const set = new Set(out);
  if (set.size !== out.length) throw new RangeError(`${op}: repeated axis in [${list.join(',')}]`);
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
