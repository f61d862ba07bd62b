import { runKernel } from '../dispatch.js';
import { promoteTypes } from '../dtype.js';
import { ShapeError } from '../errors.js';
import { checkSize, fmtShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { cast, mul } from './elementwise.js';
import { expand, reshape, squeeze, unsqueeze } from './movement.js';
import { asTensor } from './operand.js';
import { defineMethods, type AsMethods } from '../methods.js';

/**
 * Matrix product with PyTorch semantics: 1-D @ 1-D is a dot product, a 1-D operand is treated as a
 * row (left) or column (right) vector and that dim removed from the result, and N-D operands are
 * batches of matrices whose batch dims broadcast.
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  let x = asTensor(a, 'matmul');
  let y = asTensor(b, 'matmul');
  if (x.ndim === 0 || y.ndim === 0) {
    throw new ShapeError(`matmul: both operands need at least 1 dim, got ${fmtShape(x.shape)} and ${fmtShape(y.shape)}`);
  }
  const xVec = x.ndim === 1;
  const yVec = y.ndim === 1;
  const K = x.shape[x.ndim - 1]!;
  const K2 = yVec ? y.shape[0]! : y.shape[y.ndim - 2]!;
  if (K !== K2) throw new ShapeError(`matmul: cannot multiply ${fmtShape(x.shape)} by ${fmtShape(y.shape)} (inner dims ${K} != ${K2})`);
  let dtype = promoteTypes(x.dtype, y.dtype);
  if (dtype === 'bool') dtype = 'int32';
  x = cast(x, dtype);
  y = cast(y, dtype);
  const batch = batchShape(x.shape, y.shape, xVec, yVec);
  if (xVec) x = unsqueeze(x, 0);
  if (yVec) y = unsqueeze(y, 1);
  const M = x.shape[x.ndim - 2]!;
  const N = y.shape[y.ndim - 1]!;
  // Every operand the product builds (both broadcast inputs and the output) within the size limit, under matmul's name.
  for (const s of [[...batch, M, K], [...batch, K, N], [...batch, M, N]]) checkSize(s, 'matmul');
  x = expand(x, [...batch, M, K]);
  y = expand(y, [...batch, K, N]);
  let out = runKernel('matmul', [x, y], {}, [...batch, M, N], x.dtype);
  if (xVec && yVec) return reshape(out, []);
  if (xVec) out = squeeze(out, out.ndim - 2);
  if (yVec) out = squeeze(out, out.ndim - 1);
  return out;
}

/** The broadcast batch dims of a matmul; a mismatch is reported with both full shapes. */
function batchShape(a: readonly number[], b: readonly number[], aVec: boolean, bVec: boolean): number[] {
  const ba = aVec ? [] : a.slice(0, -2);
  const bb = bVec ? [] : b.slice(0, -2);
  const n = Math.max(ba.length, bb.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const da = ba[ba.length - n + i] ?? 1;
    const db = bb[bb.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(`matmul: cannot multiply ${fmtShape(a)} by ${fmtShape(b)}: batch dims ${fmtShape(ba)} and ${fmtShape(bb)} do not broadcast (${da} vs ${db})`);
    }
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** Inner product of two 1-D tensors. */
export function dot(a: Tensor, b: Tensor): Tensor {
  const x = asTensor(a, 'dot');
  const y = asTensor(b, 'dot');
  if (x.ndim !== 1 || y.ndim !== 1 || x.shape[0] !== y.shape[0]) {
    throw new ShapeError(`dot: expected two 1-D tensors of one length, got ${fmtShape(x.shape)} and ${fmtShape(y.shape)}`);
  }
  return matmul(x, y);
}

/** Outer product of two 1-D tensors: [n] x [m] -> [n, m]. */
export function outer(a: Tensor, b: Tensor): Tensor {
  const x = asTensor(a, 'outer');
  const y = asTensor(b, 'outer');
  if (x.ndim !== 1 || y.ndim !== 1) throw new ShapeError(`outer: expected two 1-D tensors, got ${fmtShape(x.shape)} and ${fmtShape(y.shape)}`);
  checkSize([x.shape[0]!, y.shape[0]!], 'outer');
  return mul(unsqueeze(x, 1), unsqueeze(y, 0));
}

/** The ops of this file that are also `Tensor` methods. */
const METHODS = { matmul, dot, outer };
defineMethods(METHODS);

declare module '../tensor.js' {
  interface Tensor extends AsMethods<typeof METHODS> {}
}
