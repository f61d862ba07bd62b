import { runKernel } from '../dispatch.js';
import { isFloat, type DType } from '../dtype.js';
import type { ScanPrimitive } from '../primitives.js';
import { normAxis } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { cast } from './elementwise.js';
import { gatherAlong } from './along.js';
import { asTensor, type Operand } from './operand.js';
import { defineMethods, type AsMethods } from '../methods.js';

function scan(op: 'cumsum' | 'cumprod' | 'logcumsumexp', x: Operand, axis: number, dtype: (d: DType) => DType): Tensor {
  let t = asTensor(x, op);
  const ax = normAxis(axis, t.ndim, op);
  const d = dtype(t.dtype);
  if (op === 'logcumsumexp' && d !== t.dtype) t = cast(t, d);
  return runKernel(op, [t], { axis: ax, reverse: false }, t.shape, d);
}

/** Integer and bool scans give int32 (wrapping), float scans keep their dtype. */
const intOrFloat = (d: DType): DType => (isFloat(d) ? d : 'int32');
const floatOnly = (d: DType): DType => (isFloat(d) ? d : 'float32');

/** Running sums along `axis`: out[i] = x[0] + ... + x[i]. Integers and bools give int32. */
export function cumsum(x: Operand, axis: number): Tensor { return scan('cumsum', x, axis, intOrFloat); }

/**
 * Running products along `axis`: out[i] = x[0] * ... * x[i]. Integers and bools give int32. The
 * gradient is exact at zeros too (it does not divide by x there).
 */
export function cumprod(x: Operand, axis: number): Tensor { return scan('cumprod', x, axis, intOrFloat); }

/**
 * log(exp(x[0]) + ... + exp(x[i])) along `axis`, computed pairwise without overflow (exact at
 * |x| = 1000; -Infinity contributes nothing). Integer inputs compute in float32.
 */
export function logcumsumexp(x: Operand, axis: number): Tensor { return scan('logcumsumexp', x, axis, floatOnly); }

function cumExtreme(op: 'cummax' | 'cummin', prim: Extract<ScanPrimitive, 'cumargmax' | 'cumargmin'>, x: Operand, axis: number): [Tensor, Tensor] {
  const t = asTensor(x, op);
  const ax = normAxis(axis, t.ndim, op);
  const indices = runKernel(prim, [t], { axis: ax }, t.shape, 'int32');
  return [gatherAlong(t, ax, indices), indices];
}

/**
 * Running maximum along `axis`: `[values, indices]`, indices int32. At ties the index is the latest
 * position, and once a NaN is seen the values stay NaN (with the latest NaN's index), as PyTorch.
 * The gradient of the values goes to the element each one came from.
 */
export function cummax(x: Operand, axis: number): [Tensor, Tensor] { return cumExtreme('cummax', 'cumargmax', x, axis); }

/** Running minimum along `axis`: `[values, indices]`, with ties and NaN as in {@link cummax}. */
export function cummin(x: Operand, axis: number): [Tensor, Tensor] { return cumExtreme('cummin', 'cumargmin', x, axis); }

/** The ops of this file that are also `Tensor` methods. */
const METHODS = { cumsum, cumprod, logcumsumexp, cummax, cummin };
defineMethods(METHODS);

declare module '../tensor.js' {
  interface Tensor extends AsMethods<typeof METHODS> {}
}
