import { arange, tensor, zeros } from '../creation.js';
import { makeView } from '../dispatch.js';
import { ShapeError } from '../errors.js';
import { stridedSlice } from '../internal-ops.js';
import { checkInt, checkIntList, checkSize, describe, fmtShape, normAxes, normAxis, shapeSize } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { cast, eq, ge, le, sub, where } from './elementwise.js';
import { indexSelect, select } from './indexing.js';
import { concat, expand, flatten, padStrided, permute, reshape, split, unsqueeze } from './movement.js';
import { asTensor, scalarTensor, type Operand } from './operand.js';
import { sum } from './reduce.js';
import { defineMethods, type AsMethods } from '../methods.js';
import { checkOptions } from '../validate.js';

/** One axis or several. */
type Axes = number | readonly number[];

/** Axes as given (order kept), normalized; repeated axes are an error. */
function axisList(axes: Axes, ndim: number, op: string, what = 'axes'): number[] {
  const list = typeof axes === 'number' ? [axes] : checkIntList(axes, op, what);
  const out = list.map((a) => normAxis(a, ndim, op));
  if (new Set(out).size !== out.length) throw new RangeError(`${op}: repeated axis in [${list.join(',')}]`);
  return out;
}

function atLeast(t: Tensor, ndim: number, op: string): void {
  if (t.ndim < ndim) throw new ShapeError(`${op}: expected a tensor with at least ${ndim} dim${ndim > 1 ? 's' : ''}, got ${fmtShape(t.shape)}`);
}

/**
 * Reverses the order of the elements along `axes`. A view with negative strides: nothing is copied.
 * @example flip(tensor([[1, 2], [3, 4]]), 1)  // [[2, 1], [4, 3]]
 */
export function flip(x: Operand, axes: Axes): Tensor {
  const t = asTensor(x, 'flip');
  if (axes === undefined) throw new TypeError('flip: expected the axes to flip (a number or an array of numbers)');
  const list = normAxes(axes, t.ndim, 'flip');
  return stridedSlice(t, t.shape.map((n, d) => (list.includes(d) ? n - 1 : 0)), t.shape.map((_, d) => (list.includes(d) ? -1 : 1)), t.shape);
}

/**
 * Rotates elements along `axes` by `shifts` places (towards the end for positive shifts); elements
 * pushed off the end come back at the start. Without `axes`, rolls the flattened tensor and
 * restores its shape (PyTorch's `roll`).
 */
export function roll(x: Operand, shifts: number | readonly number[], axes?: Axes): Tensor {
  const t = asTensor(x, 'roll');
  const sh = typeof shifts === 'number' ? [shifts] : checkIntList(shifts, 'roll', 'shifts');
  sh.forEach((s) => checkInt(s, 'roll', 'a shift'));
  if (axes === undefined || axes === null) {
    if (sh.length !== 1) throw new RangeError(`roll: without axes expected one shift, got [${sh.join(',')}]`);
    return reshape(roll(flatten(t), sh[0]!, 0), t.shape);
  }
  const ax = (typeof axes === 'number' ? [axes] : checkIntList(axes, 'roll', 'axes')).map((a) => normAxis(a, t.ndim, 'roll'));
  if (ax.length !== sh.length) throw new RangeError(`roll: expected one shift per axis, got ${sh.length} shifts for ${ax.length} axes`);
  let out = t;
  ax.forEach((a, i) => {
    // A 0-d tensor rolls like one element.
    const n = t.shape[a] ?? 1;
    const k = n === 0 ? 0 : ((sh[i]! % n) + n) % n;
    if (k !== 0) out = concat([narrow(out, a, n - k, k), narrow(out, a, 0, n - k)], a);
  });
  return out;
}

/**
 * Tiles the tensor `reps[d]` times along each dim (PyTorch's `Tensor.repeat`): `reps` has at least
 * one entry per dim; extra leading entries add new leading dims.
 * @example repeat(tensor([1, 2]), [2, 2])  // [[1, 2, 1, 2], [1, 2, 1, 2]]
 */
export function repeat(x: Operand, reps: readonly number[]): Tensor {
  return repeatAs('repeat', asTensor(x, 'repeat'), checkIntList(reps, 'repeat', 'reps'));
}

/** `repeat` under the name of the function the user called. */
function repeatAs(op: string, t: Tensor, r: readonly number[]): Tensor {
  if (r.some((v) => v < 0)) throw new RangeError(`${op}: expected non-negative repetitions, got [${r.join(',')}]`);
  if (r.length < t.ndim) {
    throw new RangeError(`${op}: expected at least one repetition per dim of ${fmtShape(t.shape)} (${t.ndim}), got [${r.join(',')}]`);
  }
  const shape = [...r.slice(t.ndim).map(() => 1), ...t.shape];
  checkSize(shape.map((n, i) => n * r[i]!), op);
  const spread = reshape(t, shape.flatMap((n) => [1, n]));
  return reshape(expand(spread, shape.flatMap((n, i) => [r[i]!, n])), shape.map((n, i) => n * r[i]!));
}

/** NumPy's `tile`: like `repeat`, but fewer `reps` than dims are padded with leading 1s. */
export function tile(x: Operand, reps: readonly number[]): Tensor {
  const t = asTensor(x, 'tile');
  const r = checkIntList(reps, 'tile', 'reps');
  return repeatAs('tile', t, [...t.shape.slice(r.length).map(() => 1), ...r]);
}

/**
 * Repeats each element `repeats` times along `axis` (of the flattened tensor when omitted), keeping
 * the copies together: [1, 2] -> [1, 1, 2, 2]. `repeats` is a number or an int32 tensor with one
 * count per element along the axis.
 */
export function repeatInterleave(x: Operand, repeats: number | Tensor, axis?: number): Tensor {
  let t = asTensor(x, 'repeatInterleave');
  if (axis === undefined || axis === null || t.ndim === 0) {
    if (axis !== undefined && axis !== null) normAxis(axis, 0, 'repeatInterleave');
    t = flatten(t);
    axis = 0;
  }
  const a = normAxis(axis, t.ndim, 'repeatInterleave');
  const n = t.shape[a]!;
  if (typeof repeats === 'number') {
    const r = checkInt(repeats, 'repeatInterleave', 'repeats', 0);
    const shape = t.shape.slice();
    shape.splice(a + 1, 0, r);
    const merged = t.shape.slice();
    merged[a] = n * r;
    checkSize(merged, 'repeatInterleave');
    return reshape(expand(unsqueeze(t, a + 1), shape), merged);
  }
  const reps = asTensor(repeats, 'repeatInterleave');
  if (reps.dtype !== 'int32' || reps.ndim > 1 || (reps.size !== n && reps.size !== 1)) {
    throw new TypeError(`repeatInterleave: expected repeats as a number or an int32 tensor of ${n} counts (or 1), got ${reps.dtype} ${fmtShape(reps.shape)}`);
  }
  const counts = reps.data();
  const index: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = counts[reps.size === 1 ? 0 : i]!;
    if (c < 0) throw new RangeError(`repeatInterleave: expected non-negative repeats, got ${c} at ${i}`);
    for (let k = 0; k < c; k++) index.push(i);
  }
  return indexSelect(t, a, tensor(Int32Array.from(index)));
}

function triangle(op: 'triu' | 'tril', x: Operand, k: number): Tensor {
  const t = asTensor(x, op);
  atLeast(t, 2, op);
  checkInt(k, op, 'the diagonal offset k');
  const n = t.shape[t.ndim - 2]!;
  const m = t.shape[t.ndim - 1]!;
  // Offsets past either edge select all or nothing: clamped, they stay within int32.
  k = Math.max(-n - 1, Math.min(m + 1, k));
  const diff = sub(arange(m, { dtype: 'int32' }), reshape(arange(n, { dtype: 'int32' }), [n, 1]));
  return where(op === 'triu' ? ge(diff, k) : le(diff, k), t, scalarTensor(0, t.dtype, op));
}

/** The upper triangle of the last two dims (on and above diagonal k; k > 0 is above the main one); zeros below. */
export function triu(x: Operand, k = 0): Tensor {
  return triangle('triu', x, k);
}

/** The lower triangle of the last two dims (on and below diagonal k); zeros above. `tril(ones([n, n]))` is a causal mask. */
export function tril(x: Operand, k = 0): Tensor {
  return triangle('tril', x, k);
}

/**
 * A 1-D tensor becomes a square matrix with it on diagonal k (above the main one for k > 0);
 * a 2-D tensor gives its diagonal k as a 1-D tensor (a view).
 */
export function diag(x: Operand, k = 0): Tensor {
  const t = asTensor(x, 'diag');
  checkInt(k, 'diag', 'the diagonal offset k');
  if (t.ndim === 2) return diagonal(t, k);
  if (t.ndim !== 1) throw new ShapeError(`diag: expected a 1-D or 2-D tensor, got ${fmtShape(t.shape)}`);
  const N = t.shape[0]! + Math.abs(k);
  // The result's shape is decided here, so its limit is checked here, under diag's name.
  checkSize([N, N], 'diag');
  return reshape(padStrided(t, [N * N], [k >= 0 ? k : -k * N], [N + 1]), [N, N]);
}

/**
 * The diagonal `offset` (above the main one for offset > 0) of the matrices over `axis1` and
 * `axis2`: those two dims are removed and the diagonal becomes the last dim. A view.
 */
export function diagonal(x: Operand, offset = 0, axis1 = 0, axis2 = 1): Tensor {
  const t = asTensor(x, 'diagonal');
  atLeast(t, 2, 'diagonal');
  checkInt(offset, 'diagonal', 'the offset');
  const a1 = normAxis(axis1, t.ndim, 'diagonal');
  const a2 = normAxis(axis2, t.ndim, 'diagonal');
  if (a1 === a2) throw new RangeError(`diagonal: axis1 and axis2 must differ, got ${axis1} and ${axis2}`);
  const len = Math.max(0, Math.min(t.shape[a1]! + Math.min(offset, 0), t.shape[a2]! - Math.max(offset, 0)));
  const rest = t.shape.map((_, d) => d).filter((d) => d !== a1 && d !== a2);
  const start = len === 0 ? 0 : offset >= 0 ? offset * t.strides[a2]! : -offset * t.strides[a1]!;
  return makeView('diagonal', t, { offset, axis1: a1, axis2: a2 },
    [...rest.map((d) => t.shape[d]!), len], [...rest.map((d) => t.strides[d]!), t.strides[a1]! + t.strides[a2]!], t.offset + start);
}

/** Sum of the main diagonal of a matrix. */
export function trace(x: Operand): Tensor {
  const t = asTensor(x, 'trace');
  if (t.ndim !== 2) throw new ShapeError(`trace: expected a 2-D tensor, got ${fmtShape(t.shape)}`);
  return sum(diagonal(t));
}

/**
 * Splits along `axis` into `n` chunks of ceil(size / n) elements (the last may be smaller, and
 * there may be fewer than n, as PyTorch). Views.
 */
export function chunk(x: Operand, n: number, axis = 0): Tensor[] {
  const t = asTensor(x, 'chunk');
  checkInt(n, 'chunk', 'the number of chunks', 1);
  atLeast(t, 1, 'chunk');
  const a = normAxis(axis, t.ndim, 'chunk');
  const size = Math.ceil(t.shape[a]! / n);
  return size === 0 ? Array.from({ length: n }, () => t) : split(t, size, a);
}

/** The slices along `axis`, each without that axis: `unbind(t)[i]` is `select(t, 0, i)`. Views. */
export function unbind(x: Operand, axis = 0): Tensor[] {
  const t = asTensor(x, 'unbind');
  atLeast(t, 1, 'unbind');
  const a = normAxis(axis, t.ndim, 'unbind');
  return Array.from({ length: t.shape[a]! }, (_, i) => select(t, a, i));
}

/** Moves dims `source` to positions `destination`, the others keeping their order. A view. */
export function movedim(x: Operand, source: Axes, destination: Axes): Tensor {
  const t = asTensor(x, 'movedim');
  const src = axisList(source, t.ndim, 'movedim', 'source');
  const dst = axisList(destination, t.ndim, 'movedim', 'destination');
  if (src.length !== dst.length) throw new RangeError(`movedim: source and destination must have one entry each, got ${src.length} and ${dst.length}`);
  if (t.ndim === 0) return t;
  const perm = new Array<number>(t.ndim).fill(-1);
  src.forEach((s, i) => (perm[dst[i]!] = s));
  const rest = t.shape.map((_, d) => d).filter((d) => !src.includes(d));
  for (let d = 0, k = 0; d < t.ndim; d++) if (perm[d] === -1) perm[d] = rest[k++]!;
  return permute(t, perm);
}

/** `length` elements along `axis` from `start` (negative counts from the end). A view. */
export function narrow(x: Operand, axis: number, start: number, length: number): Tensor {
  const t = asTensor(x, 'narrow');
  atLeast(t, 1, 'narrow');
  const a = normAxis(axis, t.ndim, 'narrow');
  const n = t.shape[a]!;
  checkInt(start, 'narrow', 'start');
  checkInt(length, 'narrow', 'length', 0);
  if (start < -n || start > n) throw new RangeError(`narrow: start ${start} is out of range for axis ${a} of size ${n}`);
  const s = start < 0 ? start + n : start;
  if (s + length > n) throw new RangeError(`narrow: start ${start} + length ${length} exceeds the size ${n} of axis ${a}`);
  return stridedSlice(t, t.shape.map((_, d) => (d === a ? s : 0)), t.shape.map(() => 1), t.shape.map((m, d) => (d === a ? length : m)));
}

/** Splits dim `axis` into several dims of `sizes` (one may be -1, inferred): the inverse of `flatten`. */
export function unflatten(x: Operand, axis: number, sizes: readonly number[]): Tensor {
  const t = asTensor(x, 'unflatten');
  atLeast(t, 1, 'unflatten');
  const a = normAxis(axis, t.ndim, 'unflatten');
  const s = checkIntList(sizes, 'unflatten', 'sizes').slice();
  const n = t.shape[a]!;
  const infer = s.indexOf(-1);
  if (s.some((v, i) => v < 0 && i !== infer) || s.lastIndexOf(-1) !== infer) {
    throw new RangeError(`unflatten: expected non-negative sizes (at most one -1), got [${s.join(',')}]`);
  }
  const known = shapeSize(s.filter((v) => v !== -1));
  if (infer >= 0 && known > 0 && n % known === 0) s[infer] = n / known;
  if (shapeSize(s) !== n || s.includes(-1)) {
    throw new ShapeError(`unflatten: sizes [${sizes.join(',')}] do not multiply to ${n} (axis ${a} of ${fmtShape(t.shape)})`);
  }
  return reshape(t, [...t.shape.slice(0, a), ...s, ...t.shape.slice(a + 1)]);
}

/** Options of `meshgrid`. */
export interface MeshgridOptions {
  /** 'ij' (default): output dim i runs along input i. 'xy': the first two are swapped (Cartesian, NumPy's default). */
  indexing?: 'ij' | 'xy';
}

/** Coordinate grids from 1-D tensors: output k holds input k's values along its own dim, broadcast over the others (views). */
export function meshgrid(tensors: readonly Tensor[], opts: MeshgridOptions = {}): Tensor[] {
  opts = checkOptions<MeshgridOptions>(opts, 'meshgrid', ['indexing']);
  if (!Array.isArray(tensors) || tensors.length === 0) throw new RangeError('meshgrid: expected a non-empty array of tensors');
  const indexing = opts.indexing ?? 'ij';
  if (indexing !== 'ij' && indexing !== 'xy') throw new TypeError(`meshgrid: expected indexing 'ij' or 'xy', got ${describe(indexing)}`);
  const ts = tensors.map((t) => asTensor(t, 'meshgrid'));
  ts.forEach((t) => {
    if (t.ndim > 1) throw new ShapeError(`meshgrid: expected 0-D or 1-D tensors, got ${fmtShape(t.shape)}`);
  });
  const shape = ts.map((t) => t.size);
  const axisOf = ts.map((_, i) => i);
  if (indexing === 'xy' && ts.length >= 2) {
    [shape[0], shape[1]] = [shape[1]!, shape[0]!];
    [axisOf[0], axisOf[1]] = [1, 0];
  }
  return ts.map((t, i) => expand(reshape(t, shape.map((n, d) => (d === axisOf[i] ? n : 1))), shape));
}

/**
 * One-hot encoding of int32 class indices: a new last dim of `numClasses` (max + 1 when -1) with a
 * 1 at each index. int32 in, int32 out.
 */
export function oneHot(indices: Tensor, numClasses = -1): Tensor {
  const t = asTensor(indices, 'oneHot');
  if (t.dtype !== 'int32') throw new TypeError(`oneHot: expected int32 class indices, got ${t.dtype}`);
  checkInt(numClasses, 'oneHot', 'numClasses', -1);
  const v = t.data();
  let hi = -1;
  for (let i = 0; i < v.length; i++) {
    if (v[i]! < 0) throw new RangeError(`oneHot: class index ${v[i]} is negative (expected 0..numClasses-1)`);
    hi = Math.max(hi, v[i]!);
  }
  let n = numClasses;
  if (n === -1) {
    if (t.size === 0) throw new RangeError('oneHot: cannot infer the number of classes from an empty tensor; pass numClasses');
    n = hi + 1;
  } else if (hi >= n) {
    throw new RangeError(`oneHot: class index ${hi} is out of range for ${n} classes (expected 0..${n - 1})`);
  }
  const shape = [...t.shape, n];
  // No indices: no row of classes to build (n itself may be past the limit, the result is empty).
  if (checkSize(shape, 'oneHot') === 0) return zeros(shape, { dtype: 'int32' });
  return cast(eq(unsqueeze(t, -1), arange(n, { dtype: 'int32' })), 'int32');
}

/** The ops of this file that are also `Tensor` methods. */
const METHODS = {
  flip, roll, repeat, tile, repeatInterleave, triu, tril, diag, diagonal, trace, chunk, unbind, movedim, narrow, unflatten, oneHot,
};
defineMethods(METHODS);

declare module '../tensor.js' {
  interface Tensor extends AsMethods<typeof METHODS> {}
}
