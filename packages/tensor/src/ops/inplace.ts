import { runKernel, runKernelInto } from '../dispatch.js';
import { promoteTypes, toStored } from '../dtype.js';
import { ShapeError } from '../errors.js';
import { fmtShape } from '../shape.js';
import { markWritten, withGradMode } from '../tape.js';
import { Tensor } from '../tensor.js';
import { checkWrite, writableInPlace } from './write-checks.js';
import { add, div, mul, sub } from './elementwise.js';
import { castAs } from '../internal-ops.js';
import { expand } from './movement.js';
import { scalarTensor, type Operand } from './operand.js';
import { defineMethods, type AsMethods } from '../methods.js';

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
