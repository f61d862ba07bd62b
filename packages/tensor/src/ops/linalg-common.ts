/**
 * Shared by the `linalg` namespace's files: argument checks, the views that unpack a
 * factorization's packed output, and the renaming of kernel errors after the function called.
 */
import { isFloat } from '../dtype.js';
import { LinAlgError, ShapeError } from '../errors.js';
import { fmtShape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { slice, squeeze, transpose } from './movement.js';
import { asTensor } from './operand.js';

/** A float tensor with at least `minDims` dims (a batch of matrices by default), or a TypeError/ShapeError naming the op. */
export function floatInput(x: unknown, op: string, what: string, minDims = 2): Tensor {
  const t = asTensor(x, op);
  if (!isFloat(t.dtype)) throw new TypeError(`${op}: expected a float32 or float64 tensor for ${what}, got ${t.dtype}`);
  if (t.ndim < minDims) {
    const want = minDims === 2 ? 'a matrix or a batch of matrices [..., m, n]' : `at least ${minDims} dims`;
    throw new ShapeError(`${op}: expected ${what} to be ${want}, got shape ${fmtShape(t.shape)}`);
  }
  return t;
}

/** A float batch of square matrices [..., n, n]. */
export function squareInput(x: unknown, op: string, what = 'A'): Tensor {
  const t = floatInput(x, op, what);
  const n = t.shape[t.ndim - 1]!;
  if (t.shape[t.ndim - 2] !== n) throw new ShapeError(`${op}: expected ${what} to be square [..., n, n], got shape ${fmtShape(t.shape)}`);
  return t;
}

/** The batch dims (all but the last two) of a batch of matrices. */
export const batchOf = (t: Tensor): number[] => t.shape.slice(0, -2);

/** The last two dims swapped (a view). */
export const mT = (t: Tensor): Tensor => transpose(t, -1, -2);

/** The block rows r0:r1, columns c0:c1 of every matrix of a batch (a view). */
export function block(t: Tensor, r0: number, r1: number, c0: number, c1: number): Tensor {
  const lead = batchOf(t);
  return slice(t, [...lead.map(() => 0), r0, c0], [...lead, r1, c1]);
}

/** Row r of every matrix of a batch, first `cols` entries: [..., cols] (a view). */
export const rowOf = (t: Tensor, r: number, cols: number): Tensor => squeeze(block(t, r, r + 1, 0, cols), t.ndim - 2);

/** Entry i of the last dim: [..., n] -> [...] (a view). */
export function lastAt(t: Tensor, i: number): Tensor {
  const lead = t.shape.slice(0, -1);
  return squeeze(slice(t, [...lead.map(() => 0), i], [...lead, i + 1]), t.ndim - 1);
}

/**
 * Runs `f`, renaming a LinAlgError thrown by a kernel after the function the user called:
 * `linalg.inv: the matrix is singular (...)`, with the batch index when there is a batch.
 */
export function namedLinAlg<T>(op: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (!(e instanceof LinAlgError)) throw e;
    throw new LinAlgError(`${op}: ${e.message}${atBatch(e.batchIndex)}`, e.batchIndex);
  }
}

/** ` (batch index [i, j])` for a matrix of a batch, nothing for a single matrix. */
export const atBatch = (idx: readonly number[] | null): string => (idx !== null && idx.length > 0 ? ` (batch index [${idx.join(', ')}])` : '');
