import { full } from '../creation.js';
import { runKernel } from '../dispatch.js';
import { isFloat } from '../dtype.js';
import { describe, fmtShape, normAxis } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { gatherAlong } from './along.js';
import { add, div, eq, gt, sub, where } from './elementwise.js';
import { isnan } from './logical.js';
import { reshape, slice, squeeze } from './movement.js';
import { asTensor, type Operand } from './operand.js';
import { sum } from './reduce.js';
import { defineMethods, type AsMethods } from '../methods.js';
import { checkFlag, checkOptions } from '../validate.js';

/** Options of {@link sort} and {@link argsort}. */
export interface SortOptions {
  /** Largest first (default false). */
  descending?: boolean;
  /**
   * Keep equal elements in their original order (default true). tapegrad's sort is always stable,
   * so `false` gives the same (valid) result.
   */
  stable?: boolean;
}

/** Options of {@link topk}. */
export interface TopkOptions {
  /** The k largest (default true) or the k smallest. */
  largest?: boolean;
  /** In sorted order (default true), or in their original order along the axis. */
  sorted?: boolean;
}

/** The length along a normalized axis (a 0-d tensor is one element along axis 0). */
const lengthAlong = (t: Tensor, ax: number): number => (t.ndim === 0 ? 1 : t.shape[ax]!);

function order(t: Tensor, ax: number, descending: boolean): Tensor {
  return runKernel('argsort', [t], { axis: ax, descending }, t.shape, 'int32');
}

/** Positions [start, end) along `ax` (0-d tensors are returned as they are). */
function narrowAlong(t: Tensor, ax: number, start: number, end: number): Tensor {
  if (t.ndim === 0) return t;
  const starts = t.shape.map((_, d) => (d === ax ? start : 0));
  const ends = t.shape.map((n, d) => (d === ax ? end : n));
  return slice(t, starts, ends);
}

function checkK(k: unknown, lo: number, n: number, ax: number, op: string): number {
  if (typeof k !== 'number' || !Number.isInteger(k)) throw new TypeError(`${op}: expected an integer k, got ${describe(k)}`);
  if (k < lo || k > n) throw new RangeError(`${op}: k = ${k} is out of range for axis ${ax} of size ${n} (expected ${lo}..${n})`);
  return k;
}

/**
 * int32 positions that sort x along `axis` (default the last): stable, so equal elements keep their
 * order; NaN counts as the largest value (last ascending, first descending), as PyTorch.
 */
export function argsort(x: Operand, axis = -1, options: SortOptions = {}): Tensor {
  const t = asTensor(x, 'argsort');
  const opts = checkOptions<SortOptions>(options, 'argsort', ['descending', 'stable']);
  checkFlag(opts.stable, 'argsort', 'stable', true);
  return order(t, normAxis(axis, t.ndim, 'argsort'), checkFlag(opts.descending, 'argsort', 'descending', false));
}

/**
 * Sorts along `axis` (default the last): `[values, indices]` with int32 indices, stable, NaN as the
 * largest value (see {@link argsort}). The gradient of the values goes back to where each came from.
 */
export function sort(x: Operand, axis = -1, options: SortOptions = {}): [Tensor, Tensor] {
  const t = asTensor(x, 'sort');
  const opts = checkOptions<SortOptions>(options, 'sort', ['descending', 'stable']);
  const ax = normAxis(axis, t.ndim, 'sort');
  checkFlag(opts.stable, 'sort', 'stable', true);
  const idx = order(t, ax, checkFlag(opts.descending, 'sort', 'descending', false));
  return [gatherAlong(t, ax, idx), idx];
}

/**
 * The k largest (or smallest) elements along `axis` (default the last): `[values, indices]`,
 * int32 indices. Ties come in their original order (the order of a stable sort). With
 * `{ sorted: false }` the k elements come in their original order along the axis.
 */
export function topk(x: Operand, k: number, axis = -1, options: TopkOptions = {}): [Tensor, Tensor] {
  const t = asTensor(x, 'topk');
  const opts = checkOptions<TopkOptions>(options, 'topk', ['largest', 'sorted']);
  const ax = normAxis(axis, t.ndim, 'topk');
  const n = lengthAlong(t, ax);
  checkK(k, 0, n, ax, 'topk');
  const largest = checkFlag(opts.largest, 'topk', 'largest', true);
  const sorted = checkFlag(opts.sorted, 'topk', 'sorted', true);
  let idx = narrowAlong(order(t, ax, largest), ax, 0, k);
  if (!sorted) idx = gatherAlong(idx, ax, order(idx, ax, false));
  return [gatherAlong(t, ax, idx), idx];
}

/**
 * The k-th smallest element (k from 1) along `axis` (default the last), NaN counting as the largest;
 * the gradient goes to that element (among equal ones, the first in a stable sort).
 */
export function kthvalue(x: Operand, k: number, axis = -1, keepdims = false): Tensor {
  const t = asTensor(x, 'kthvalue');
  const ax = normAxis(axis, t.ndim, 'kthvalue');
  checkK(k, 1, lengthAlong(t, ax), ax, 'kthvalue');
  const v = gatherAlong(t, ax, narrowAlong(order(t, ax, false), ax, k - 1, k));
  return checkFlag(keepdims, 'kthvalue', 'keepdims', false) || t.ndim === 0 ? v : squeeze(v, ax);
}

/** The lower median along `ax`, kept as a size-1 dim: the first NaN when the slice has one. */
function lowerMedian(t: Tensor, ax: number): Tensor {
  const n = lengthAlong(t, ax);
  if (n === 0) throw new RangeError(`median: cannot take the median over axis ${ax} of size 0 in shape ${fmtShape(t.shape)}`);
  const sorted = order(t, ax, false);
  const mid = (n - 1) >> 1;
  if (!isFloat(t.dtype)) return gatherAlong(t, ax, narrowAlong(sorted, ax, mid, mid + 1));
  // NaN sorts last: a slice with NaNs takes its first NaN, at position n - (number of NaNs).
  const nans = sum(isnan(t), ax, true);
  return gatherAlong(t, ax, gatherAlong(sorted, ax, where(gt(nans, 0), sub(n, nans), mid)));
}

/**
 * The lower median (of an even count, the smaller middle value), as PyTorch: over `axis`, or over all
 * elements when it is omitted. A slice holding a NaN has median NaN. Along an axis the gradient goes
 * to the median's element; over all elements it is shared evenly by the elements equal to the median
 * (as PyTorch). The median of no elements is NaN for floats.
 */
export function median(x: Operand, axis?: number, keepdims = false): Tensor {
  const t = asTensor(x, 'median');
  checkFlag(keepdims, 'median', 'keepdims', false);
  if (axis !== undefined && axis !== null) {
    const ax = normAxis(axis, t.ndim, 'median');
    const v = lowerMedian(t, ax);
    return keepdims || t.ndim === 0 ? v : squeeze(v, ax);
  }
  const shape = keepdims ? t.shape.map(() => 1) : [];
  if (t.size === 0 && isFloat(t.dtype)) return full(shape, NaN, { dtype: t.dtype });
  const v = reshape(lowerMedian(reshape(t, [t.size]), 0), []);
  if (!isFloat(t.dtype)) return reshape(v, shape);
  // v + (sum of (x - v) over the elements equal to v) / (their count): exactly v, with the gradient
  // shared among the ties.
  const vd = v.detach();
  const hit = where(isnan(vd), isnan(t), eq(t, vd));
  return reshape(add(vd, div(sum(where(hit, sub(t, vd), 0)), sum(hit))), shape);
}

/** The ops of this file that are also `Tensor` methods. */
const METHODS = { sort, argsort, topk, kthvalue, median };
defineMethods(METHODS);

declare module '../tensor.js' {
  interface Tensor extends AsMethods<typeof METHODS> {}
}
