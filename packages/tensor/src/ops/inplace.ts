import { runKernel } from '../dispatch.js';
import { isGradEnabled, markWritten, withGradMode } from '../tape.js';
import type { Tensor } from '../tensor.js';
import { add, cast, div, mul, sub } from './elementwise.js';
import { expand } from './movement.js';
import { asTensor, scalarTensor, type Operand } from './operand.js';
import { defineMethods, type AsMethods } from '../methods.js';

/**
 * Writes `src` (broadcast to target's shape, cast to its dtype) into target's storage, through
 * target's strides, so views see the change. In-place writes are not recorded: they are refused on
 * a leaf that requires grad, or from a source that requires grad, while recording is on.
 */
export function copy_<T extends Tensor>(target: T, src: Operand): T {
  if (target._batch !== null || (typeof src === 'object' && src?._batch != null)) {
    throw new TypeError('copy_: in-place writes into or from a tensor batched by vmap are not supported; compute a new tensor instead');
  }
  if (isGradEnabled() && (target.requiresGrad || (typeof src === 'object' && src.requiresGrad))) {
    throw new TypeError('copy_: in-place writes are not recorded on the tape; do them inside noGrad (or on detached tensors)');
  }
  withGradMode(false, () => {
    let s = typeof src === 'object' ? asTensor(src, 'copy_') : scalarTensor(src, target.dtype);
    s = expand(cast(s, target.dtype), target.shape);
    const values = runKernel('copy', [s], {}, target.shape, target.dtype);
    const dst = target.buf;
    markWritten(dst);
    if (target.isContiguous) {
      dst.set(values.buf, target.offset);
      return;
    }
    // Scatter the contiguous values through the target's own layout.
    const v = values.buf;
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

/** Fills the tensor with one value, in place. */
export function fill_<T extends Tensor>(target: T, value: number | boolean): T { return copy_(target, value); }
/** Sets every element to zero, in place. */
export function zero_<T extends Tensor>(target: T): T { return copy_(target, 0); }
/** target += b, in place. */
export function add_<T extends Tensor>(target: T, b: Operand): T { return copy_(target, add(target, b)); }
/** target -= b, in place. */
export function sub_<T extends Tensor>(target: T, b: Operand): T { return copy_(target, sub(target, b)); }
/** target *= b, in place. */
export function mul_<T extends Tensor>(target: T, b: Operand): T { return copy_(target, mul(target, b)); }
/** target /= b, in place. */
export function div_<T extends Tensor>(target: T, b: Operand): T { return copy_(target, div(target, b)); }

/** The in-place methods (names end in `_`; refused on a tensor that requires grad while recording). */
const METHODS = { copy_, fill_, zero_, add_, sub_, mul_, div_ };
defineMethods(METHODS);

declare module '../tensor.js' {
  interface Tensor extends AsMethods<typeof METHODS> {}
}
