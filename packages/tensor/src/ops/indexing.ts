import { arange, tensor } from '../creation.js';
import { runKernel } from '../dispatch.js';
import { ShapeError } from '../errors.js';
import { castAs, checkIndex, scatterAddZeros, sliceRange, stridedSlice } from '../internal-ops.js';
import { checkFlag, checkOptions } from '../validate.js';
import type { ScatterReduce } from '../primitives.js';
import { broadcastShapes, checkInt, describe, fmtShape, normAxis, sameShape, shapeSize } from '../shape.js';
import { Tensor } from '../tensor.js';
import { add, cast, lt, mul, where } from './elementwise.js';
import { expand, gather, permute, reshape } from './movement.js';
import { asTensor, checkOperand, scalarTensor, type Operand } from './operand.js';
import { defineMethods, type AsMethods } from '../methods.js';

/**
 * One entry of an `index` spec: a number (picks one element and drops the axis), a slice string
 * (`':'`, `'1:5'`, `'::-1'`, `'-3:'`), `null` (a new axis of size 1), `'...'` (as many `':'` as
 * needed), an int32 tensor (gathers along its axis) or a bool mask (the places where it is true).
 */
export type IndexSpec = number | string | null | Tensor;

/** An advanced (tensor) index: where its dim sits in the basic view, its values, and the input axis it indexes (for messages). */
interface Advanced { pos: number; index: Tensor; axis: number }

const SLICE = /^\s*([+-]?\d+)?\s*:\s*([+-]?\d+)?\s*(?::\s*([+-]?\d+)?\s*)?$/;

function parseSlice(s: string, op: string): { start: number | null; stop: number | null; step: number } {
  const m = SLICE.exec(s);
  if (m === null) throw new TypeError(`${op}: expected a slice string such as ':', '1:5', '::-1' or '-3:', or '...', got ${JSON.stringify(s)}`);
  const num = (v: string | undefined): number | null => (v === undefined ? null : Number(v));
  const step = num(m[3]) ?? 1;
  if (step === 0) throw new RangeError(`${op}: slice step must not be zero, got ${JSON.stringify(s)}`);
  return { start: num(m[1]), stop: num(m[2]), step };
}

/**
 * An int32 index tensor with its negative entries counted from the end (itself when it has none),
 * after checking every entry against the `n` places of `where`.
 */
function wrapIndex(index: unknown, n: number, op: string, place: string): Tensor {
  const idx = asTensor(index, op);
  if (idx.dtype !== 'int32') throw new TypeError(`${op}: expected an int32 index tensor, got ${idx.dtype}`);
  // Inside vmap the entries are the whole batch's: wrapped with ops, and the gather/scatter kernels
  // refuse an entry still out of range.
  if (idx._batch !== null) return where(lt(idx, 0), add(idx, n), idx);
  const v = idx.data();
  let negative = false;
  for (let i = 0; i < v.length; i++) {
    const k = v[i]!;
    if (k < -n || k >= n) throw new RangeError(`${op}: index ${k} is out of range for ${place} of size ${n}`);
    if (k < 0) negative = true;
  }
  if (!negative) return idx;
  for (let i = 0; i < v.length; i++) if (v[i]! < 0) v[i]! += n;
  return tensor(v, { shape: idx.shape.slice() });
}

/**
 * A mask batched by vmap selects a different number of elements in each batch element, so the
 * results cannot be stacked: refused with a TypeError (a mask shared by the batch is fine).
 */
function refuseBatchedMask(t: Tensor, op: string): void {
  if (t._batch !== null) {
    throw new TypeError(`${op}: a mask (or tensor) batched by vmap selects a different number of elements per batch element, so vmap cannot stack the results; use where() instead, or loop`);
  }
}

/** The coordinates of the non-zero elements of `t` (row-major order), one Int32Array per dim. */
function nonzeroCoords(t: Tensor, op: string): Int32Array[] {
  refuseBatchedMask(t, op);
  const v = t.data();
  let count = 0;
  for (let i = 0; i < v.length; i++) if (v[i] !== 0) count++;
  const coords = t.shape.map(() => new Int32Array(count));
  for (let i = 0, k = 0; i < v.length; i++) {
    if (v[i] === 0) continue;
    for (let d = t.ndim - 1, rem = i; d >= 0; d--) {
      coords[d]![k] = rem % t.shape[d]!;
      rem = Math.floor(rem / t.shape[d]!);
    }
    k++;
  }
  return coords;
}

/** Gathers along `axis` at the (non-negative, int32, any shape) `idx`: that axis becomes idx's dims. */
function takeAlong(v: Tensor, axis: number, idx: Tensor): Tensor {
  const L = idx.size;
  const shape = v.shape.map((n, d) => (d === axis ? L : n));
  const g = gather(v, axis, expand(reshape(idx, v.shape.map((_, d) => (d === axis ? L : 1))), shape));
  return reshape(g, [...v.shape.slice(0, axis), ...idx.shape, ...v.shape.slice(axis + 1)]);
}

/**
 * The advanced part of indexing: the tensors broadcast together to B; their dims are replaced by B,
 * in place when they are adjacent, else in front (NumPy's and PyTorch's rule).
 */
function advancedIndex(v: Tensor, adv: readonly Advanced[], op: string): Tensor {
  const idx = adv.map((a) => wrapIndex(a.index, v.shape[a.pos]!, op, a.axis < 0 ? 'a new axis' : `axis ${a.axis}`));
  if (adv.length === 1) return takeAlong(v, adv[0]!.pos, idx[0]!);
  const B = idx.reduce<readonly number[]>((s, i) => broadcastShapes(op, s, i.shape), []);
  const positions = adv.map((a) => a.pos);
  const rest = v.shape.map((_, d) => d).filter((d) => !positions.includes(d));
  const sizes = positions.map((p) => v.shape[p]!);
  // One linear index into the advanced dims, moved to the front and flattened into one.
  let lin: Tensor = idx[idx.length - 1]!;
  for (let j = idx.length - 2, mult = sizes[j + 1]!; j >= 0; mult *= sizes[j]!, j--) lin = add(lin, mul(idx[j]!, mult));
  const front = reshape(permute(v, [...positions, ...rest]), [shapeSize(sizes), ...rest.map((d) => v.shape[d]!)]);
  const out = takeAlong(front, 0, expand(lin, B));
  const adjacent = positions.every((p, i) => i === 0 || p === positions[i - 1]! + 1);
  if (!adjacent || positions[0] === 0) return out;
  // Adjacent advanced dims stay where they were: the p0 basic dims before them come first again.
  const nb = B.length, p0 = positions[0]!;
  const perm = [...Array.from({ length: p0 }, (_, i) => nb + i), ...Array.from({ length: nb }, (_, i) => i), ...Array.from({ length: out.ndim - nb - p0 }, (_, i) => nb + p0 + i)];
  return permute(out, perm);
}

/** `index` and the place finding of `indexPut`: a basic view (numbers, slices, new axes), then the advanced indices. */
function applyIndex(t: Tensor, spec: readonly IndexSpec[], op: string): Tensor {
  if (!Array.isArray(spec)) {
    throw new TypeError(`${op}: expected an index spec as an array of numbers, slice strings, null, '...' and int32/bool tensors, got ${describe(spec)}`);
  }
  let consumed = 0;
  let ellipses = 0;
  for (const e of spec) {
    if (e === '...') ellipses++;
    else if (e instanceof Tensor) consumed += e.dtype === 'bool' ? e.ndim : 1;
    else if (e !== null) consumed++;
  }
  if (ellipses > 1) throw new RangeError(`${op}: an index spec may hold at most one '...', got ${ellipses}`);
  if (consumed > t.ndim) throw new RangeError(`${op}: too many indices for a tensor of shape ${fmtShape(t.shape)}: the spec indexes ${consumed} dims`);
  const fill = (): IndexSpec[] => Array.from({ length: t.ndim - consumed }, () => ':');
  const entries = ellipses === 0 ? [...spec, ...fill()] : spec.flatMap((e) => (e === '...' ? fill() : [e]));
  const starts = t.shape.map(() => 0);
  const steps = t.shape.map(() => 1);
  const lens = t.shape.slice();
  /** The basic view's dims: the input dim each comes from, -1 for a new axis. */
  const dims: number[] = [];
  const adv: Advanced[] = [];
  let d = 0;
  for (const e of entries) {
    if (e === null) {
      dims.push(-1);
    } else if (typeof e === 'number') {
      const n = t.shape[d]!;
      if (!Number.isInteger(e)) throw new TypeError(`${op}: expected an integer index, got ${describe(e)}`);
      if (e < -n || e >= n) throw new RangeError(`${op}: index ${e} is out of range for axis ${d} of size ${n}`);
      starts[d] = e < 0 ? e + n : e;
      lens[d++] = 1;
    } else if (typeof e === 'string') {
      const s = parseSlice(e, op);
      const r = sliceRange(t.shape[d]!, s.start, s.stop, s.step);
      starts[d] = r.start;
      steps[d] = s.step;
      lens[d] = r.length;
      dims.push(d++);
    } else if (e instanceof Tensor && e.dtype === 'int32') {
      adv.push({ pos: dims.length, index: e, axis: d });
      dims.push(d++);
    } else if (e instanceof Tensor && e.dtype === 'bool') {
      if (e.ndim === 0) {
        // A 0-d mask adds an axis of size 1 and keeps it (true) or empties it (false).
        refuseBatchedMask(e, op);
        adv.push({ pos: dims.length, index: tensor(new Int32Array(e.item() ? 1 : 0)), axis: -1 });
        dims.push(-1);
        continue;
      }
      const covered = t.shape.slice(d, d + e.ndim);
      if (!sameShape(covered, e.shape)) {
        throw new ShapeError(`${op}: a bool mask of shape ${fmtShape(e.shape)} does not match the dims ${fmtShape(covered)} it indexes (from axis ${d} of ${fmtShape(t.shape)})`);
      }
      for (const c of nonzeroCoords(e, op)) {
        adv.push({ pos: dims.length, index: tensor(c), axis: d });
        dims.push(d++);
      }
    } else {
      throw new TypeError(`${op}: expected index spec entries to be numbers, slice strings, null, '...' or int32/bool tensors, got ${e instanceof Tensor ? `a ${e.dtype} tensor` : describe(e)}`);
    }
  }
  const basic = stridedSlice(t, starts, steps, lens);
  const v = reshape(basic, dims.map((s) => (s < 0 ? 1 : basic.shape[s]!)));
  return adv.length === 0 ? v : advancedIndex(v, adv, op);
}

/**
 * PyTorch's indexing, out of place: `index(t, [0, ':', null, idx])` is `t[0, :, None, idx]`. Numbers,
 * slices and new axes give a view; int32 tensors (broadcast together, NumPy rules) and bool masks
 * gather, differentiably in `t`. Negative indices count from the end; an index out of range is a
 * RangeError naming the axis and its size.
 * @example index(x, ['...', '::-1'])   // x flipped along its last axis
 */
export function index(x: Operand, spec: readonly IndexSpec[]): Tensor {
  return applyIndex(asTensor(x, 'index'), spec, 'index');
}

/** Options of `indexPut`. */
export interface IndexPutOptions {
  /** Add the values to the indexed places (duplicates add up) instead of replacing them. */
  accumulate?: boolean;
}

/**
 * A copy of `t` with the places `index(t, spec)` would read set to `values` (broadcast to their
 * shape), or with `values` added there under `{ accumulate: true }`. Differentiable in `t` and
 * `values`. Without accumulate, a place indexed twice takes the last of its values (and only that
 * one gets a gradient).
 */
export function indexPut(x: Operand, spec: readonly IndexSpec[], values: Operand, options: IndexPutOptions = {}): Tensor {
  const t = asTensor(x, 'indexPut');
  const opts = checkOptions<IndexPutOptions>(options, 'indexPut', ['accumulate']);
  const accumulate = checkFlag(opts.accumulate, 'indexPut', 'accumulate', false);
  const places = applyIndex(reshape(arange(t.size, { dtype: 'int32' }), t.shape), spec, 'indexPut');
  const v = values instanceof Tensor ? castAs('indexPut', values, t.dtype) : scalarTensor(checkOperand(values, 'indexPut') as number | boolean, t.dtype, 'indexPut');
  if (!sameShape(broadcastShapes('indexPut', v.shape, places.shape), places.shape)) {
    throw new ShapeError(`indexPut: values ${fmtShape(v.shape)} cannot be broadcast to the indexed shape ${fmtShape(places.shape)}`);
  }
  const n = places.size;
  const out = scatterAs('indexPut', reshape(t, [t.size]), 0, reshape(places, [n]), reshape(expand(v, places.shape), [n]), accumulate ? { reduce: 'sum' } : {});
  return reshape(out, t.shape);
}

/** The slice at position `i` along `axis`, without that axis (`t[:, i]` for axis 1). A view. */
export function select(x: Operand, axis: number, i: number): Tensor {
  const t = asTensor(x, 'select');
  if (t.ndim === 0) throw new ShapeError('select: expected a tensor with at least 1 dim, got []');
  const a = normAxis(axis, t.ndim, 'select');
  const n = t.shape[a]!;
  checkInt(i, 'select', 'the index');
  if (i < -n || i >= n) throw new RangeError(`select: index ${i} is out of range for axis ${a} of size ${n}`);
  const view = stridedSlice(t, t.shape.map((_, d) => (d === a ? (i < 0 ? i + n : i) : 0)), t.shape.map(() => 1), t.shape.map((m, d) => (d === a ? 1 : m)));
  return reshape(view, t.shape.filter((_, d) => d !== a));
}

/** The entries at `index` (int32, 0-D or 1-D) along `axis`, in that order; repeats allowed. */
export function indexSelect(x: Operand, axis: number, index: Tensor): Tensor {
  const t = asTensor(x, 'indexSelect');
  if (t.ndim === 0) throw new ShapeError('indexSelect: expected a tensor with at least 1 dim, got []');
  const a = normAxis(axis, t.ndim, 'indexSelect');
  const idx = wrapIndex(index, t.shape[a]!, 'indexSelect', `axis ${a}`);
  if (idx.ndim > 1) throw new ShapeError(`indexSelect: expected a 0-D or 1-D index, got ${fmtShape(idx.shape)}`);
  return takeAlong(t, a, reshape(idx, [idx.size]));
}

/** The elements of the flattened tensor at `index` (int32, any shape); the result has index's shape. */
export function take(x: Operand, index: Tensor): Tensor {
  const t = asTensor(x, 'take');
  const idx = wrapIndex(index, t.size, 'take', 'the flattened tensor');
  return takeAlong(reshape(t, [t.size]), 0, idx);
}

/** `value` where the bool `mask` is true, `t` elsewhere (mask and t broadcast); keeps t's dtype. */
export function maskedFill(x: Operand, mask: Tensor, value: Operand): Tensor {
  const t = asTensor(x, 'maskedFill');
  const m = asTensor(mask, 'maskedFill');
  if (m.dtype !== 'bool') throw new TypeError(`maskedFill: expected a bool mask, got ${m.dtype}`);
  let v: Tensor;
  if (value instanceof Tensor) {
    if (value.ndim !== 0) throw new ShapeError(`maskedFill: expected a number or a 0-D tensor as the value, got ${fmtShape(value.shape)}`);
    v = castAs('maskedFill', value, t.dtype);
  } else {
    v = scalarTensor(checkOperand(value, 'maskedFill') as number | boolean, t.dtype, 'maskedFill');
  }
  return where(m, v, t);
}

/** The elements of `t` where the bool `mask` is true (both broadcast), as a 1-D tensor in row-major order. */
export function maskedSelect(x: Operand, mask: Tensor): Tensor {
  const t = asTensor(x, 'maskedSelect');
  const m = asTensor(mask, 'maskedSelect');
  if (m.dtype !== 'bool') throw new TypeError(`maskedSelect: expected a bool mask, got ${m.dtype}`);
  const shape = broadcastShapes('maskedSelect', t.shape, m.shape);
  const flat = nonzeroFlat(sameShape(m.shape, shape) ? m : expand(m, shape), 'maskedSelect');
  return take(sameShape(t.shape, shape) ? t : expand(t, shape), flat);
}

/** Flat (row-major) positions of the non-zero elements. */
function nonzeroFlat(t: Tensor, op: string): Tensor {
  refuseBatchedMask(t, op);
  const v = t.data();
  const out: number[] = [];
  for (let i = 0; i < v.length; i++) if (v[i] !== 0) out.push(i);
  return tensor(Int32Array.from(out));
}

/** The coordinates of the non-zero (true, NaN included) elements, int32 [n, ndim], in row-major order. */
export function nonzero(x: Operand): Tensor {
  const t = asTensor(x, 'nonzero');
  const coords = nonzeroCoords(t, 'nonzero');
  const n = coords.length === 0 ? nonzeroFlat(t, 'nonzero').size : coords[0]!.length;
  const out = new Int32Array(n * t.ndim);
  coords.forEach((c, d) => c.forEach((v, k) => (out[k * t.ndim + d] = v)));
  return tensor(out, { shape: [n, t.ndim] });
}

/** Options of `scatter`. */
export interface ScatterOptions {
  /** How values landing on one place combine with it (and each other); replaced when omitted. */
  reduce?: Exclude<ScatterReduce, 'none'>;
  /** Whether a place's own value takes part in the reduction (PyTorch's include_self); default true. */
  includeSelf?: boolean;
}

const REDUCES: readonly ScatterReduce[] = ['sum', 'prod', 'mean', 'amax', 'amin'];

/** The src operand of a scatter: a number fills index's shape; a tensor is cut to index's shape (it may be larger). */
function scatterSource(src: Operand, idx: Tensor, dtype: Tensor['dtype'], op: string): Tensor {
  if (!(src instanceof Tensor)) return expand(scalarTensor(checkOperand(src, op) as number | boolean, dtype, op), idx.shape);
  if (src.ndim !== idx.ndim || src.shape.some((n, d) => n < idx.shape[d]!)) {
    throw new ShapeError(`${op}: src ${fmtShape(src.shape)} must have the index's dims and be at least as large as the index ${fmtShape(idx.shape)}`);
  }
  return stridedSlice(castAs(op, src, dtype), idx.shape.map(() => 0), idx.shape.map(() => 1), idx.shape);
}

/**
 * A copy of `t` with src[i][j] put at [index[i][j]][j] (axis 0; likewise along any axis), PyTorch's
 * scatter and scatter_reduce: replaced by default (a place hit twice keeps the last value), or
 * combined with `{ reduce: 'sum' | 'prod' | 'mean' | 'amax' | 'amin' }`, counting the place's own
 * value unless `includeSelf: false`. Differentiable in `t` and `src` (PyTorch's formulas; ties of
 * amax/amin share the gradient evenly).
 */
export function scatter(x: Operand, axis: number, index: Tensor, src: Operand, opts: ScatterOptions = {}): Tensor {
  return scatterAs('scatter', asTensor(x, 'scatter'), axis, index, src, opts);
}

/** `scatter` under the name of the function the user called. */
function scatterAs(op: string, t: Tensor, axis: number, index: Tensor, src: Operand, options: ScatterOptions): Tensor {
  const opts = checkOptions<ScatterOptions>(options, op, ['reduce', 'includeSelf']);
  const a = normAxis(axis, t.ndim, op);
  // A 0-d tensor takes a 0-d index (0 or -1), as in PyTorch: scatter into its one-element view.
  if (t.ndim === 0) return reshape(scatterAs(op, reshape(t, [1]), 0, reshape(checkIndex(index, [], 0, op), [1]), zeroDim(src), opts), []);
  const idx = checkIndex(index, t.shape, a, op);
  const reduce = opts.reduce ?? 'none';
  if (opts.reduce !== undefined && !REDUCES.includes(opts.reduce)) {
    throw new TypeError(`${op}: expected reduce to be one of ${REDUCES.map((r) => `'${r}'`).join(', ')}, got ${describe(opts.reduce)}`);
  }
  const includeSelf = checkFlag(opts.includeSelf, op, 'includeSelf', true);
  if (t.dtype === 'bool' && (reduce === 'sum' || reduce === 'prod' || reduce === 'mean')) {
    throw new TypeError(`${op}: ${op === 'indexPut' ? 'accumulate' : `reduce '${reduce}'`} needs a numeric tensor, got bool`);
  }
  const s = scatterSource(src, idx, t.dtype, op);
  return runKernel('scatter', [t, idx, s], { axis: a, reduce, includeSelf }, t.shape, t.dtype);
}

/** A 0-d scatter's source as one element (a plain number stays as it is). */
function zeroDim(src: Operand): Operand {
  return src instanceof Tensor && src.ndim === 0 ? reshape(src, [1]) : src;
}

/** PyTorch's scatter_add: a copy of `t` with src[i][j] added at [index[i][j]][j] (axis 0); duplicates add up. */
export function scatterAdd(x: Operand, axis: number, index: Tensor, src: Tensor): Tensor {
  const t = asTensor(x, 'scatterAdd');
  const a = normAxis(axis, t.ndim, 'scatterAdd');
  if (t.ndim === 0) return reshape(scatterAdd(reshape(t, [1]), 0, reshape(checkIndex(index, [], 0, 'scatterAdd'), [1]), zeroDim(src) as Tensor), []);
  const idx = checkIndex(index, t.shape, a, 'scatterAdd');
  return add(t, scatterAddZeros(scatterSource(asTensor(src, 'scatterAdd'), idx, t.dtype, 'scatterAdd'), a, idx, t.shape));
}

/** The ops of this file that are also `Tensor` methods. */
const METHODS = { index, indexPut, select, indexSelect, take, maskedFill, maskedSelect, nonzero, scatter, scatterAdd };
defineMethods(METHODS);

declare module '../tensor.js' {
  interface Tensor extends AsMethods<typeof METHODS> {}
}
