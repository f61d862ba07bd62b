import { makeView, runKernel } from '../dispatch.js';
import { promoteTypes, toStored } from '../dtype.js';
import { ShapeError } from '../errors.js';
import { checkIntList, checkShape, checkSize, contiguousStrides, describe, describeList, fmtShape, normAxes, normAxis, sameShape, shapeSize } from '../shape.js';
import { Tensor } from '../tensor.js';
import { checkInteger, checkNumber } from '../validate.js';
import { cast } from './elementwise.js';
import { checkIndex, sliceRange, stridedSlice } from '../internal-ops.js';
import { asTensor, type Operand } from './operand.js';
import { defineMethods, type AsMethods } from '../methods.js';

type Axis = number | readonly number[];

/** A contiguous tensor with the same values: this one when already contiguous, else a recorded copy. */
export function contiguous(x: Tensor): Tensor {
  const t = asTensor(x, 'contiguous');
  return t.isContiguous ? t : clone(t);
}

/** A fresh contiguous copy with its own storage (recorded: gradients pass straight through). */
export function clone(x: Tensor): Tensor {
  const t = asTensor(x, 'clone');
  return runKernel('copy', [t], {}, t.shape, t.dtype);
}

/** Same elements in a new shape (one entry may be -1). A view when the layout allows, else a copy. */
export function reshape(x: Operand, shape: readonly number[]): Tensor {
  const t = asTensor(x, 'reshape');
  const dims = checkIntList(shape, 'reshape', 'a shape');
  let infer = -1;
  let known = 1;
  for (let i = 0; i < dims.length; i++) {
    if (dims[i] === -1) {
      if (infer >= 0) throw new RangeError(`reshape: only one dimension can be -1, got ${fmtShape(dims)}`);
      infer = i;
    } else if (dims[i]! < 0) {
      throw new RangeError(`reshape: expected non-negative sizes (or one -1), got ${fmtShape(dims)}`);
    } else known *= dims[i]!;
  }
  const out = dims.slice();
  if (infer >= 0) {
    if (known === 0 || t.size % known !== 0) throw new ShapeError(`reshape: cannot reshape ${fmtShape(t.shape)} (${t.size} elements) into ${fmtShape(dims)}`);
    out[infer] = t.size / known;
  }
  if (shapeSize(out) !== t.size) throw new ShapeError(`reshape: cannot reshape ${fmtShape(t.shape)} (${t.size} elements) into ${fmtShape(dims)}`);
  checkSize(out, 'reshape');
  if (sameShape(out, t.shape)) return t;
  const strides = viewStrides(t.shape, t.strides, out);
  if (strides !== null) return makeView('reshape', t, { shape: out }, out, strides, t.offset);
  const c = contiguous(t);
  return makeView('reshape', c, { shape: out }, out, contiguousStrides(out), c.offset);
}

/**
 * Strides that show storage laid out as (`shape`, `strides`) in the new shape `to` (same element
 * count, row-major order), or null when no strides can (the reshape must copy). Walks the old dims
 * from the last one in runs that are contiguous with each other (size-1 dims ignored); each run must
 * be split exactly by consecutive new dims, which then step through it at the run's innermost stride.
 */
function viewStrides(shape: readonly number[], strides: readonly number[], to: readonly number[]): number[] | null {
  if (shapeSize(shape) === 0 || shape.length === 0) return contiguousStrides(to);
  const out = new Array<number>(to.length);
  let v = to.length - 1;
  let base = strides[shape.length - 1]!;
  let runSize = 1;
  let viewSize = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    runSize *= shape[d]!;
    const runEnds = d === 0 || (shape[d - 1] !== 1 && strides[d - 1] !== runSize * base);
    if (!runEnds) continue;
    while (v >= 0 && (viewSize < runSize || to[v] === 1)) {
      out[v] = viewSize * base;
      viewSize *= to[v]!;
      v--;
    }
    if (viewSize !== runSize) return null;
    if (d > 0) {
      base = strides[d - 1]!;
      runSize = 1;
      viewSize = 1;
    }
  }
  return v === -1 ? out : null;
}

/** Collapses dims startDim..endDim into one. */
export function flatten(x: Operand, startDim = 0, endDim = -1): Tensor {
  const t = asTensor(x, 'flatten');
  if (t.ndim === 0) return reshape(t, [1]);
  const s = normAxis(startDim, t.ndim, 'flatten');
  const e = normAxis(endDim, t.ndim, 'flatten');
  if (s > e) throw new RangeError(`flatten: startDim ${startDim} comes after endDim ${endDim}`);
  const shape = [...t.shape.slice(0, s), shapeSize(t.shape.slice(s, e + 1)), ...t.shape.slice(e + 1)];
  return reshape(t, shape);
}

/** Removes size-1 dims (only the given ones when `axis` is passed; others are left alone, as PyTorch). */
export function squeeze(x: Operand, axis?: Axis): Tensor {
  const t = asTensor(x, 'squeeze');
  const axes = axis === undefined ? t.shape.map((_, i) => i) : normAxes(axis as number | number[], t.ndim, 'squeeze');
  return reshape(t, t.shape.filter((d, i) => !(d === 1 && axes.includes(i))));
}

/** Inserts a size-1 dim at `axis` (which may be ndim, or negative). */
export function unsqueeze(x: Operand, axis: number): Tensor {
  const t = asTensor(x, 'unsqueeze');
  const a = normAxis(axis, t.ndim + 1, 'unsqueeze');
  const shape = t.shape.slice();
  shape.splice(a, 0, 1);
  checkSize(shape, 'unsqueeze');
  return reshape(t, shape);
}

/** A broadcast view: size-1 dims repeat (stride 0), new leading dims may be added; -1 keeps a size. */
export function expand(x: Operand, shape: readonly number[]): Tensor {
  const t = asTensor(x, 'expand');
  const dims = checkIntList(shape, 'expand', 'a shape');
  const lead = dims.length - t.ndim;
  if (lead < 0) throw new ShapeError(`expand: cannot expand ${fmtShape(t.shape)} to fewer dims ${fmtShape(dims)}`);
  const out = new Array<number>(dims.length);
  const strides = new Array<number>(dims.length);
  for (let i = 0; i < dims.length; i++) {
    const src = i - lead;
    const want = dims[i]!;
    if (src < 0) {
      if (want < 0) throw new ShapeError(`expand: -1 is not allowed for a new leading dim in ${fmtShape(dims)}`);
      out[i] = want;
      strides[i] = 0;
      continue;
    }
    const have = t.shape[src]!;
    if (want === -1 || want === have) {
      out[i] = have;
      strides[i] = t.strides[src]!;
    } else if (have === 1 && want >= 0) {
      out[i] = want;
      strides[i] = 0;
    } else {
      throw new ShapeError(`expand: cannot expand ${fmtShape(t.shape)} to ${fmtShape(dims)} (dim ${i}: ${have} vs ${want})`);
    }
  }
  // A view, but every later op would visit all of its elements: it is held to the size limit too.
  checkSize(out, 'expand');
  if (sameShape(out, t.shape)) return t;
  return makeView('expand', t, { shape: out }, out, strides, t.offset);
}

/** Same as `expand` (NumPy's name). */
export function broadcastTo(x: Operand, shape: readonly number[]): Tensor {
  return expand(x, shape);
}

/** Reorders dims: output dim i is input dim dims[i]. A view. */
export function permute(x: Operand, dims: readonly number[]): Tensor {
  const t = asTensor(x, 'permute');
  const list = checkIntList(dims, 'permute', 'dims');
  if (list.length !== t.ndim) throw new RangeError(`permute: expected ${t.ndim} dims for shape ${fmtShape(t.shape)}, got [${list.join(',')}]`);
  const norm = list.map((d) => normAxis(d, t.ndim, 'permute'));
  if (new Set(norm).size !== norm.length) throw new RangeError(`permute: dims must be a permutation, got [${list.join(',')}]`);
  if (norm.every((d, i) => d === i)) return t;
  return makeView('permute', t, { dims: norm }, norm.map((d) => t.shape[d]!), norm.map((d) => t.strides[d]!), t.offset);
}

/** Swaps two dims. A view. */
export function transpose(x: Operand, dim0: number, dim1: number): Tensor {
  const t = asTensor(x, 'transpose');
  const a = normAxis(dim0, t.ndim, 'transpose');
  const b = normAxis(dim1, t.ndim, 'transpose');
  if (t.ndim === 0) return t; // as PyTorch: a 0-d tensor transposes (0, 0) or (0, -1) to itself
  const dims = t.shape.map((_, i) => i);
  dims[a] = b;
  dims[b] = a;
  return permute(t, dims);
}

/**
 * Python-style slicing of the leading dims: one start/end (and optional step) per dim, negative
 * indices count from the end, out-of-range bounds are clamped. A negative step walks backwards from
 * `start` down to just above `end` (`slice(t, [-1], [-t.shape[0] - 1], [-1])` reverses dim 0). A view.
 *
 * @example
 * slice(t, [1, 0], [3, -1]); // t[1:3, 0:-1]
 */
export function slice(x: Operand, starts: readonly number[], ends: readonly number[], steps?: readonly number[]): Tensor {
  const t = asTensor(x, 'slice');
  const s0 = checkIntList(starts, 'slice', 'starts');
  const e0 = checkIntList(ends, 'slice', 'ends');
  const st0 = steps === undefined ? s0.map(() => 1) : checkIntList(steps, 'slice', 'steps');
  if (s0.length !== e0.length || s0.length !== st0.length) {
    throw new RangeError(`slice: starts, ends and steps must have one entry per dim, got ${s0.length}, ${e0.length} and ${st0.length}`);
  }
  if (s0.length > t.ndim) throw new RangeError(`slice: got ${s0.length} starts for a tensor with ${t.ndim} dims`);
  const fullStarts: number[] = [];
  const fullSteps: number[] = [];
  const lens: number[] = [];
  for (let d = 0; d < t.ndim; d++) {
    const step = d < st0.length ? st0[d]! : 1;
    if (step === 0) throw new RangeError(`slice: steps must not be zero (dim ${d})`);
    const r = sliceRange(t.shape[d]!, d < s0.length ? s0[d]! : null, d < e0.length ? e0[d]! : null, step);
    fullStarts.push(r.start);
    fullSteps.push(step);
    lens.push(r.length);
  }
  return stridedSlice(t, fullStarts, fullSteps, lens);
}

/**
 * Pads (or, with negative widths, crops) from the last dim backwards: [left, right, top, bottom, ...],
 * filling with `value` (PyTorch's F.pad, constant mode).
 */
export function pad(x: Operand, widths: readonly number[], value = 0): Tensor {
  let t = asTensor(x, 'pad');
  const w = checkIntList(widths, 'pad', 'widths');
  if (w.length % 2 !== 0 || w.length / 2 > t.ndim) {
    throw new RangeError(`pad: expected an even number of widths, at most 2 per dim (${2 * t.ndim}), got ${w.length}`);
  }
  // The fill value enters the tensor's storage: converted as creation converts (bool 0/1, int32 checked).
  const fill = toStored(checkNumber(typeof value === 'boolean' ? Number(value) : value, 'pad', 'the value'), t.dtype, 'pad');
  const before = t.shape.map(() => 0);
  const after = t.shape.map(() => 0);
  for (let i = 0; i < w.length / 2; i++) {
    before[t.ndim - 1 - i] = w[2 * i]!;
    after[t.ndim - 1 - i] = w[2 * i + 1]!;
  }
  t.shape.forEach((n, d) => {
    if (n + Math.min(before[d]!, 0) + Math.min(after[d]!, 0) < 0) {
      throw new RangeError(`pad: widths ${describeList(w)} crop more than dim ${d} of ${fmtShape(t.shape)} holds`);
    }
  });
  if (before.some((b) => b < 0) || after.some((a) => a < 0)) {
    const n = t.shape;
    t = slice(t, before.map((b) => Math.max(-b, 0)), after.map((a, d) => n[d]! - Math.max(-a, 0)));
  }
  const starts = before.map((b) => Math.max(b, 0));
  const shape = t.shape.map((n, d) => n + starts[d]! + Math.max(after[d]!, 0));
  if (sameShape(shape, t.shape)) return t;
  return runKernel('pad', [t], { shape, starts, steps: shape.map(() => 1), value: fill }, shape, t.dtype);
}

/** The list of tensors concat and stack take: an array (a TypeError otherwise) that is not empty (a RangeError). */
function checkTensorList(tensors: unknown, op: string): void {
  if (!Array.isArray(tensors)) throw new TypeError(`${op}: expected a non-empty array of tensors, got ${describe(tensors)}`);
  if (tensors.length === 0) throw new RangeError(`${op}: expected a non-empty array of tensors, got an empty array`);
}

/** Joins tensors along an existing axis (all other dims must match; dtypes promote). */
export function concat(tensors: readonly Tensor[], axis = 0): Tensor {
  checkTensorList(tensors, 'concat');
  const ts = tensors.map((t) => asTensor(t, 'concat'));
  const first = ts[0]!;
  ts.forEach((t, i) => {
    if (t.ndim === 0) throw new ShapeError(`concat: a 0-d tensor (input ${i}) cannot be concatenated; use stack, or reshape it to [1]`);
  });
  const ax = normAxis(axis, first.ndim, 'concat');
  let dtype = first.dtype;
  let total = 0;
  for (const t of ts) {
    if (t.ndim !== first.ndim || t.shape.some((d, i) => i !== ax && d !== first.shape[i])) {
      throw new ShapeError(`concat: shapes ${fmtShape(first.shape)} and ${fmtShape(t.shape)} differ outside axis ${ax}`);
    }
    dtype = promoteTypes(dtype, t.dtype);
    total += t.shape[ax]!;
  }
  if (ts.length === 1) return first;
  const shape = first.shape.slice();
  shape[ax] = total;
  checkSize(shape, 'concat');
  return runKernel('concat', ts.map((t) => cast(t, dtype)), { axis: ax }, shape, dtype);
}

/** Joins tensors of one shape along a new axis. */
export function stack(tensors: readonly Tensor[], axis = 0): Tensor {
  checkTensorList(tensors, 'stack');
  const ts = tensors.map((t) => asTensor(t, 'stack'));
  for (const t of ts) {
    if (!sameShape(t.shape, ts[0]!.shape)) throw new ShapeError(`stack: all tensors must have one shape, got ${fmtShape(ts[0]!.shape)} and ${fmtShape(t.shape)}`);
  }
  const ax = normAxis(axis, ts[0]!.ndim + 1, 'stack');
  const shape = ts[0]!.shape.slice();
  shape.splice(ax, 0, ts.length);
  checkSize(shape, 'stack');
  return concat(ts.map((t) => unsqueeze(t, ax)), ax);
}

/**
 * Splits along `axis` into chunks of `size` (the last may be smaller) or into the listed sizes. Views.
 *
 * @example
 * const [a, b] = split(arange(5), [2, 3]); // [0, 1] and [2, 3, 4]
 */
export function split(x: Operand, sizeOrSizes: number | readonly number[], axis = 0): Tensor[] {
  const t = asTensor(x, 'split');
  if (t.ndim === 0) throw new ShapeError('split: a 0-d tensor cannot be split; it needs at least 1 dim');
  const ax = normAxis(axis, t.ndim, 'split');
  const n = t.shape[ax]!;
  let sizes: number[];
  if (typeof sizeOrSizes === 'number') {
    // As PyTorch: a chunk size of 0 only for an empty axis, and an empty axis still gives one (empty) chunk.
    checkInteger(sizeOrSizes, 'split', 'the chunk size', n === 0 ? 0 : 1);
    sizes = [];
    for (let at = 0; at < n; at += sizeOrSizes) sizes.push(Math.min(sizeOrSizes, n - at));
    if (n === 0) sizes.push(0);
  } else {
    sizes = checkIntList(sizeOrSizes, 'split', 'sizes');
    if (sizes.some((s) => s < 0)) throw new RangeError(`split: expected non-negative sizes, got ${describeList(sizes)}`);
    if (sizes.reduce((a, b) => a + b, 0) !== n) {
      throw new ShapeError(`split: sizes [${sizes.join(',')}] do not add up to ${n} (axis ${ax} of ${fmtShape(t.shape)})`);
    }
  }
  const out: Tensor[] = [];
  let at = 0;
  for (const s of sizes) {
    const starts = t.shape.map(() => 0);
    const ends = t.shape.slice();
    starts[ax] = at;
    ends[ax] = at + s;
    out.push(slice(t, starts, ends));
    at += s;
  }
  return out;
}

/**
 * out[i][j] = x[index[i][j]][j] for axis 0 (PyTorch's gather); out has index's shape. A 0-d input
 * takes a 0-d index (0 or -1), as in PyTorch.
 *
 * @example
 * gather(tensor([[1, 2], [3, 4]]), 1, tensor([[0, 0], [1, 0]], { dtype: 'int32' })); // [[1, 1], [4, 3]]
 */
export function gather(x: Operand, axis: number, index: Tensor): Tensor {
  const t = asTensor(x, 'gather');
  const ax = normAxis(axis, t.ndim, 'gather');
  const idx = checkIndex(index, t.shape, ax, 'gather');
  if (t.ndim === 0) return reshape(gather(reshape(t, [1]), 0, reshape(idx, [1])), []);
  return runKernel('gather', [t, idx], { axis: ax }, idx.shape, t.dtype);
}

/** Embeds x into a `value`-filled tensor of `shape` at starts + i * steps (the adjoint of a strided slice). */
export function padStrided(x: Tensor, shape: readonly number[], starts: readonly number[], steps: readonly number[], value = 0): Tensor {
  const t = asTensor(x, 'padStrided');
  const dims = checkShape(shape, 'padStrided');
  const at = checkIntList(starts, 'padStrided', 'starts');
  const by = checkIntList(steps, 'padStrided', 'steps');
  if (dims.length !== t.ndim || at.length !== t.ndim || by.length !== t.ndim) {
    throw new ShapeError(`padStrided: expected a shape, starts and steps with one entry per dim of ${fmtShape(t.shape)}, got ${fmtShape(dims)}, ${describeList(at)} and ${describeList(by)}`);
  }
  t.shape.forEach((n, d) => {
    // Steps may be negative (the adjoint of a flipped slice): the first and last places must both fit.
    const last = at[d]! + (n - 1) * by[d]!;
    if (by[d] === 0 || (n > 0 && (at[d]! < 0 || at[d]! >= dims[d]! || last < 0 || last >= dims[d]!))) {
      throw new ShapeError(`padStrided: ${fmtShape(t.shape)} placed at starts ${describeList(at)} with steps ${describeList(by)} does not fit in ${fmtShape(dims)} (dim ${d})`);
    }
  });
  const fill = toStored(checkNumber(value, 'padStrided', 'the value'), t.dtype, 'padStrided');
  return runKernel('pad', [t], { shape: dims, starts: at.slice(), steps: by.slice(), value: fill }, dims, t.dtype);
}

/** The method form of `concat`: `t.concat(others, axis)` is `concat([t, ...others], axis)`. */
function concatWith(self: Tensor, others: Tensor | readonly Tensor[], axis = 0): Tensor {
  return concat([self, ...(Array.isArray(others) ? others : [others as Tensor])], axis);
}

/** The method form of `stack`: `t.stack(others, axis)` is `stack([t, ...others], axis)`. */
function stackWith(self: Tensor, others: Tensor | readonly Tensor[], axis = 0): Tensor {
  return stack([self, ...(Array.isArray(others) ? others : [others as Tensor])], axis);
}

/** The ops of this file that are also `Tensor` methods. */
const METHODS = {
  reshape, flatten, squeeze, unsqueeze, expand, broadcastTo, permute, transpose, split, slice, gather, pad,
  concat: concatWith, stack: stackWith,
};
defineMethods(METHODS);

declare module '../tensor.js' {
  interface Tensor extends AsMethods<typeof METHODS> {}
}
