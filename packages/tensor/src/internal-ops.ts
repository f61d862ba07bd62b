/**
 * Ops that tapegrad's own code builds on (other ops, VJP rules) but that are not part of the user
 * API: reached through `@tapegrad/tensor/internal`. Each records through the same choke points
 * (`makeView`, `runKernel`) as a public op, so it is differentiable like one.
 */
import { makeView, runKernel, runKernelInto } from './dispatch.js';
import { ShapeError } from './errors.js';
import { checkShape, describe, fmtShape, normAxis, sameShape } from './shape.js';
import { markWritten, withGradMode } from './tape.js';
import { checkWrite, writableInPlace } from './ops/write-checks.js';
import { Tensor } from './tensor.js';
import { asTensor } from './ops/operand.js';
import { checkDType, isFloat, toStored, type DType } from './dtype.js';
import { checkNumber } from './validate.js';

/**
 * Where Python's `start:stop:step` lands on a dim of size n (null bounds are the defaults): the first
 * index and how many elements it takes. Bounds are clamped; negative ones count from the end.
 */
export function sliceRange(n: number, start: number | null, stop: number | null, step: number): { start: number; length: number } {
  const clampTo = (i: number, lo: number, hi: number): number => Math.min(Math.max(i < 0 ? i + n : i, lo), hi);
  if (step > 0) {
    const s = start === null ? 0 : clampTo(start, 0, n);
    const e = stop === null ? n : clampTo(stop, 0, n);
    return { start: s, length: e > s ? Math.ceil((e - s) / step) : 0 };
  }
  const s = start === null ? n - 1 : clampTo(start, -1, n - 1);
  const e = stop === null ? -1 : clampTo(stop, -1, n - 1);
  return { start: s, length: s > e ? Math.ceil((s - e) / -step) : 0 };
}

/**
 * The view taking, along every dim d, `lens[d]` elements from `starts[d]` in steps of `steps[d]`
 * (negative steps walk backwards, so a flip is a view). The caller has checked the bounds.
 */
export function stridedSlice(x: Tensor, starts: readonly number[], steps: readonly number[], lens: readonly number[]): Tensor {
  let identity = true;
  let offset = x.offset;
  const strides: number[] = [];
  const empty = lens.includes(0);
  for (let d = 0; d < x.ndim; d++) {
    const n = x.shape[d]!;
    if (lens[d] !== n || (n > 1 && (starts[d] !== 0 || steps[d] !== 1))) identity = false;
    strides.push(x.strides[d]! * steps[d]!);
    if (!empty) offset += starts[d]! * x.strides[d]!;
  }
  if (identity) return x;
  return makeView('slice', x, { starts: starts.slice(), steps: steps.slice(), inputShape: x.shape.slice() }, lens.slice(), strides, offset);
}

/** Validates a gather/scatter index: int32, as many dims as the input `shape`, no larger than it off the axis. */
export function checkIndex(index: unknown, shape: readonly number[], ax: number, op: string): Tensor {
  const idx = asTensor(index, op);
  if (idx.dtype !== 'int32') throw new TypeError(`${op}: expected an int32 index tensor, got ${idx.dtype}`);
  if (idx.ndim !== shape.length) throw new ShapeError(`${op}: index ${fmtShape(idx.shape)} must have as many dims as the input ${fmtShape(shape)}`);
  for (let d = 0; d < shape.length; d++) {
    if (d !== ax && idx.shape[d]! > shape[d]!) {
      throw new ShapeError(`${op}: index ${fmtShape(idx.shape)} is larger than the input ${fmtShape(shape)} at dim ${d}`);
    }
  }
  return idx;
}

/**
 * The adjoint of gather (the `scatterAdd` primitive): a zero tensor of `shape` with src[i][j] added
 * at [index[i][j]][j] (axis 0). The public `scatterAdd(t, axis, index, src)` adds this to `t`.
 */
export function scatterAddZeros(src: Tensor, axis: number, index: Tensor, shape: readonly number[]): Tensor {
  const s = asTensor(src, 'scatterAdd');
  const dims = checkShape(shape, 'scatterAdd');
  const ax = normAxis(axis, dims.length, 'scatterAdd');
  const idx = checkIndex(index, dims, ax, 'scatterAdd');
  if (!sameShape(idx.shape, s.shape)) throw new ShapeError(`scatterAdd: src ${fmtShape(s.shape)} must have the index's shape ${fmtShape(idx.shape)}`);
  return runKernel('scatterAdd', [idx, s], { axis: ax, shape: dims }, dims, s.dtype);
}

/** `cast` reporting errors under the name the user called (`to`, `copy_`...). */
export function castAs(op: string, x: Tensor, dtype: DType): Tensor {
  const t = asTensor(x, op);
  if (t.dtype === dtype) return t;
  checkDType(dtype, op);
  if (dtype === 'int32' && isFloat(t.dtype)) {
    const v = t.data();
    for (let i = 0; i < v.length; i++) toStored(v[i]!, 'int32', `${op}: element ${i}`);
  }
  return runKernel('cast', [t], { dtype }, t.shape, dtype);
}

/**
 * (x - mean) / sqrt(var + eps) over the trailing `dims` dims of x (biased variance), in one fused
 * kernel: the normalization step of LayerNorm (nn), before its elementwise scale and shift.
 * Integer inputs compute in float32.
 */
export function layerNorm(x: Tensor, dims: number, eps: number, op = 'layerNorm'): Tensor {
  let t = asTensor(x, op);
  if (!Number.isInteger(dims) || dims < 1 || dims > t.ndim) {
    throw new RangeError(`${op}: expected to normalize over 1..${t.ndim} trailing dims of input ${fmtShape(t.shape)}, got ${String(dims)}`);
  }
  checkNumber(eps, op, 'eps');
  if (!isFloat(t.dtype)) t = castAs(op, t, 'float32');
  return runKernel('layerNorm', [t], { dims, eps }, t.shape, t.dtype);
}

/**
 * x + alpha * y for two float tensors of one shape and dtype, in one pass (each element computed
 * in float64 and stored once): the update step of the optimizers.
 */
export function axpy(x: Tensor, y: Tensor, alpha: number, op = 'axpy'): Tensor {
  checkAxpy(x, y, alpha, op);
  return runKernel('axpy', [x, y], { alpha }, x.shape, x.dtype);
}

/**
 * target += alpha * y in place, in one pass when target owns its contiguous storage and y lies in
 * other storage (else through axpy and a copy). Not recorded: as every in-place write, refused on
 * a tensor that requires grad while recording.
 */
export function axpyInPlace(target: Tensor, y: Tensor, alpha: number, op = 'axpy_'): Tensor {
  checkAxpy(target, y, alpha, op);
  checkWrite(op, target, y);
  if (writableInPlace(target, y)) {
    markWritten(target.buf);
    runKernelInto('axpy', [target, y], { alpha }, target);
    return target;
  }
  return target.copy_(withGradMode(false, () => axpy(target, y, alpha, op)));
}

function checkAxpy(x: unknown, y: unknown, alpha: unknown, op: string): void {
  if (!(x instanceof Tensor) || !(y instanceof Tensor)) throw new TypeError(`${op}: expected two tensors, got ${describe(x)} and ${describe(y)}`);
  if (!isFloat(x.dtype) || x.dtype !== y.dtype) throw new TypeError(`${op}: expected two float tensors of one dtype, got ${x.dtype} and ${y.dtype}`);
  if (!sameShape(x.shape, y.shape)) throw new ShapeError(`${op}: expected two tensors of one shape, got ${fmtShape(x.shape)} and ${fmtShape(y.shape)}`);
  checkNumber(alpha, op, 'alpha');
}
