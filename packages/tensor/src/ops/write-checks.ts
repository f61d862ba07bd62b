import { isFloat } from '../dtype.js';
import { ShapeError } from '../errors.js';
import { broadcastShapes, describe, fmtShape, sameShape } from '../shape.js';
import { isAnomalyEnabled, isGradEnabled } from '../tape.js';
import { Tensor } from '../tensor.js';
import { checkOperand, type Operand } from './operand.js';

// The checks every in-place write goes through: the public in-place methods (inplace.ts) and the
// optimizers' axpyInPlace (internal-ops.ts). Not re-exported by the package entry.

/**
 * Validates an in-place write under the name of the method the user called: the target can be
 * written (not a tensor that requires grad while recording), the source is an operand, and its
 * shape broadcasts to the target's without growing it.
 */
export function checkWrite(op: string, target: Tensor, src: unknown): Operand {
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
 * Whether `target op= v` can run its kernel straight into target's storage: a float target that
 * owns all of its contiguous storage, and an operand of its dtype in other storage (or a number),
 * so the result has target's dtype and no element is read after it is written. Anomaly mode
 * takes the general path, which checks the result before writing it.
 */
export function writableInPlace(target: Tensor, v: Operand): boolean {
  if (!isFloat(target.dtype) || isAnomalyEnabled() || target.offset !== 0 || target.size !== target.buf.length || !target.isContiguous) return false;
  return v instanceof Tensor ? v.dtype === target.dtype && v.buf.buffer !== target.buf.buffer : true;
}
