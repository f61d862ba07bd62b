import { runKernel, runKernelInto } from '../dispatch.js';
import { isFloat, promoteTypes, toStored } from '../dtype.js';
import { ShapeError } from '../errors.js';
import { broadcastShapes, describe, fmtShape, sameShape } from '../shape.js';
import { isAnomalyEnabled, isGradEnabled, markWritten, withGradMode } from '../tape.js';
import { Tensor } from '../tensor.js';
import { add, div, mul, sub } from './elementwise.js';
import { castAs } from '../internal-ops.js';
import { expand } from './movement.js';
import { checkOperand, scalarTensor, type Operand } from './operand.js';
import { defineMethods, type AsMethods } from '../methods.js';

/**
 * Validates an in-place write under the name of the method the user called: the target can be
 * written (not a tensor that requires grad while recording), the source is an operand, and its
 * shape broadcasts to the target's without growing it.
 */
function checkWrite(op: string, target: Tensor, src: unknown): Operand {
  if (!(target instanceof Tensor)) throw new TypeError(`${op}: expected a Tensor to write into, got ${describe(target)}`);
  const s = checkOperand(src, op);
  if (target._batch !== null || (s instanceof Tensor && s._batch !== null)) {
    throw new TypeError(`${op}: in-place writes into or from a tensor batched by vmap are not supported; compute a new tensor instead`);
  }
  if (isGradEnabled() && (target.requiresGrad || (s instanceof Tensor && s.requiresGrad))) {
    throw new TypeError(`${op}: in-place writes are not recorded on the tape; do them inside noGrad (or on detached tensors)`);
  }
  if (overlaps(target)) {
    throw new TypeError(`${op}: several elements of the target share one storage slot (a broadcast view, strides ${fmtShape(target.strides)}); write into a clone() instead`);
  }
  if (s instanceof Tensor && !sameShape(broadcastShapes(op, target.shape, s.shape), target.shape)) {
    throw new ShapeError(`${op}: a value of shape ${fmtShape(s.shape)} cannot be written into a tensor of shape ${fmtShape(target.shape)}`);
  }
  return s;
}

/**
 * Whether two elements of t sit at one storage offset: with the dims of size > 1 ordered by stride,
 * each stride must step past everything the smaller ones span. (Views tapegrad makes overlap only
 * through expand's zero strides; the check is exact for every layout its views produce.)
 */
function overlaps(t: Tensor): boolean {
  if (t.size === 0) return false;
  const dims = t.shape.map((n, d) => [Math.abs(t.strides[d]!), n] as const).filter(([, n]) => n > 1).sort((a, b) => a[0] - b[0]);
  let span = 0;
  for (const [s, n] of dims) {
    if (s <= span) return true;
    span += s * (n - 1);
  }
  return false;
}

/**
 * Writes `src` (broadcast to target's shape, cast to its dtype) into target's storage, through
 * target's strides, so views see the change. In-place writes are not recorded: they are refused on
 * a leaf that requires grad, or from a source that requires grad, while recording is on.
 */
export function copy_<T extends Tensor>(target: T, src: Operand): T {
  return copyAs('copy_', target, src);
}

/** `copy_` under the name of the function the user called (copy_, fill_, zero_, add_...), for messages. */
function copyAs<T extends Tensor>(op: string, target: T, src: unknown): T {
  const value = checkWrite(op, target, src);
  if (op === 'fill_' && value instanceof Tensor && value.ndim !== 0) {
    throw new ShapeError(`fill_: expected a number, a boolean or a 0-d tensor, got a tensor of shape ${fmtShape(value.shape)}`);
  }
  withGradMode(false, () => {
    let s = value instanceof Tensor ? value : scalarTensor(value, target.dtype, op);
    s = expand(castAs(op, s, target.dtype), target.shape);
    const dst = target.buf;
    // A contiguous source of the target's dtype (an in-place op's fresh result) is copied as it is.
    const values = s.isContiguous && s.buf.buffer !== dst.buffer ? s : runKernel('copy', [s], {}, target.shape, target.dtype);
    markWritten(dst);
    if (target.isContiguous) {
      dst.set(values.buf.subarray(values.offset, values.offset + values.size), target.offset);
      return;
    }
    // Scatter the contiguous values through the target's own layout.
    const v = values.buf.subarray(values.offset, values.offset + values.size);
    const strides = target.strides;
    const shape = target.shape;
    const idx = new Array<number>(shape.length).fill(0);
    let off = target.offset;
    for (let i = 0; i < v.length; i++) {
      dst[off] = v[i]!;
      for (let d = shape.length - 1; d >= 0; d--) {
        idx[d]!++;
        off += strides[d]!;
        if (idx[d]! < shape[d]!) break;
        off -= strides[d]! * shape[d]!;
        idx[d] = 0;
      }
    }
  });
  return target;
}

/**
 * `target op= b` for add_, sub_, mul_ and div_: computes f(target, b) and writes it back. As in
 * PyTorch, a result of a higher dtype than the target (a float into int32, an int into bool) is
 * refused rather than truncated.
 */
function inplace<T extends Tensor>(op: keyof typeof KERNEL_OF, target: T, b: unknown, f: (a: Tensor, b: Operand) => Tensor): T {
  const v = checkWrite(op, target, b);
  // An integer operand that the target's dtype cannot hold is refused here, under this method's name.
  if (typeof v === 'number' && Number.isInteger(v)) toStored(v, target.dtype === 'bool' ? 'int32' : target.dtype, op);
  if (writableInPlace(target, v)) {
    withGradMode(false, () => {
      const y = expand(v instanceof Tensor ? v : scalarTensor(v, target.dtype, op), target.shape);
      markWritten(target.buf);
      runKernelInto(KERNEL_OF[op], [target, y], {}, target);
    });
    return target;
  }
  const r = withGradMode(false, () => f(target, v));
  if (promoteTypes(r.dtype, target.dtype) !== target.dtype) {
    throw new TypeError(`${op}: the result has dtype ${r.dtype}, which cannot be written into a ${target.dtype} tensor in place; use the out-of-place op`);
  }
  return copyAs(op, target, r);
}

/** The kernel behind each in-place arithmetic method. */
const KERNEL_OF = { add_: 'add', sub_: 'sub', mul_: 'mul', div_: 'div' } as const;

/**
 * Whether `target op= v` can run its kernel straight into target's storage: a float target that
 * owns all of its contiguous storage, and an operand of its dtype in other storage (or a number),
 * so the result has target's dtype and no element is read after it is written. Anomaly mode
 * takes the general path, which checks the result before writing it.
 */
function writableInPlace(target: Tensor, v: Operand): boolean {
  if (!isFloat(target.dtype) || isAnomalyEnabled() || target.offset !== 0 || target.size !== target.buf.length || !target.isContiguous) return false;
  return v instanceof Tensor ? v.dtype === target.dtype && v.buf.buffer !== target.buf.buffer : true;
}

/** Fills the tensor with one value (a number, a boolean or a 0-d tensor), in place. */
export function fill_<T extends Tensor>(target: T, value: number | boolean | Tensor): T { return copyAs('fill_', target, value); }
/** Sets every element to zero, in place. */
export function zero_<T extends Tensor>(target: T): T { return copyAs('zero_', target, 0); }
/** target += b, in place. */
export function add_<T extends Tensor>(target: T, b: Operand): T { return inplace('add_', target, b, add); }
/** target -= b, in place. */
export function sub_<T extends Tensor>(target: T, b: Operand): T { return inplace('sub_', target, b, sub); }
/** target *= b, in place. */
export function mul_<T extends Tensor>(target: T, b: Operand): T { return inplace('mul_', target, b, mul); }
/** target /= b, in place. */
export function div_<T extends Tensor>(target: T, b: Operand): T { return inplace('div_', target, b, div); }

/** The in-place methods (names end in `_`; refused on a tensor that requires grad while recording). */
const METHODS = { copy_, fill_, zero_, add_, sub_, mul_, div_ };
defineMethods(METHODS);

declare module '../tensor.js' {
  interface Tensor extends AsMethods<typeof METHODS> {}
}
