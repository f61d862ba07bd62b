import { allocate, promoteTypes, scalarDType, toStored, type DType } from '../dtype.js';
import { describe } from '../shape.js';
import { Tensor, trustedTensor } from '../tensor.js';

/** What ops accept wherever a tensor operand goes: a tensor or a plain JS scalar. */
export type Operand = Tensor | number | boolean;

/** Zero strides for each rank, shared (strides are never written). */
const ZERO_STRIDES: (readonly number[])[] = [];

/**
 * A constant (the value converted by `toStored`: an int32 that overflows is a RangeError naming
 * `op`): 0-d, or of `shape` as one stored value broadcast through zero strides, which is what
 * `expand` of the 0-d tensor gives, without the view (a constant needs no node).
 */
export function scalarTensor(value: number | boolean, dtype: DType, op: string, shape: readonly number[] = []): Tensor {
  const buf = allocate(dtype, 1);
  buf[0] = toStored(Number(value), dtype, op);
  const n = shape.length;
  const strides = ZERO_STRIDES[n] ?? (ZERO_STRIDES[n] = new Array<number>(n).fill(0));
  return trustedTensor(buf, shape, strides, 0, dtype);
}

/** Validates an operand, naming the op. */
export function checkOperand(x: unknown, op: string): Operand {
  if (x instanceof Tensor || typeof x === 'number' || typeof x === 'boolean') return x;
  throw new TypeError(`${op}: expected a Tensor, number or boolean operand, got ${describe(x)}`);
}

/** A tensor operand as a tensor (scalars become 0-d tensors: booleans bool, numbers float32). */
export function asTensor(x: unknown, op: string): Tensor {
  const v = checkOperand(x, op);
  if (v instanceof Tensor) return v;
  return scalarTensor(v, typeof v === 'boolean' ? 'bool' : 'float32', op);
}

/**
 * Validates a plain number that a composite will combine with tensor `t` (an alpha, a beta): it must
 * fit the dtype they compute in, checked here under the composite's name rather than deep inside.
 */
export function checkScalarFor(t: Tensor, v: number, op: string): void {
  const d = resultDType(t, v);
  toStored(v, d === 'bool' ? 'int32' : d, op);
}

/** The dtype two operands compute in: tensors promote; a scalar follows the tensor (see `scalarDType`). */
export function resultDType(a: Operand, b: Operand): DType {
  if (a instanceof Tensor) {
    if (b instanceof Tensor) return a.dtype === b.dtype ? a.dtype : promoteTypes(a.dtype, b.dtype);
    return promoteTypes(a.dtype, scalarDType(b, a.dtype));
  }
  if (b instanceof Tensor) return promoteTypes(b.dtype, scalarDType(a, b.dtype));
  return typeof a === 'boolean' && typeof b === 'boolean' ? 'bool' : 'float32';
}

