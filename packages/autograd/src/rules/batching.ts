/**
 * Batching rules shared by whole families of primitives, and the helpers the others use. A rule
 * moves batch dims to the front (a permuted view, never a copy) and broadcasts an unbatched operand
 * along a new front dim (a stride-0 view), then runs the same primitive once on the physical values.
 */
import { add, diagonal, expand, padStrided, permute, reshape, type KernelPrimitive, type PrimitiveAttrs, type ReduceAttrs, type Tensor } from '@tapegrad/tensor';
import { runKernel, stridedSlice, type ReducePrimitive } from '@tapegrad/tensor/internal';
import type { BatchRule, LogicalOut } from './rule.js';

/** The batch size: the length of the batch dim of the first batched argument. */
export function batchSize(args: readonly Tensor[], dims: readonly (number | null)[]): number {
  for (let i = 0; i < args.length; i++) if (dims[i] !== null) return args[i]!.shape[dims[i]!]!;
  throw new Error('batching rule called without a batched argument');
}

/** `x` with dim `from` moved to position `to` (a view). */
export function moveDim(x: Tensor, from: number, to: number): Tensor {
  if (from === to) return x;
  const order = x.shape.map((_, i) => i).filter((i) => i !== from);
  order.splice(to, 0, from);
  return permute(x, order);
}

/** `x` with its batch dim first; an unbatched `x` broadcast to a batch of `n` (both views). */
export function front(x: Tensor, dim: number | null, n: number): Tensor {
  if (dim === null) return expand(x, [n, ...x.shape]);
  return moveDim(x, dim, 0);
}

/** Every argument with its batch dim first, for a batch of the arguments' size. */
function allFront(args: readonly Tensor[], dims: readonly (number | null)[]): [Tensor[], number] {
  const n = batchSize(args, dims);
  return [args.map((x, i) => front(x, dims[i]!, n)), n];
}

/** Runs `op` once over the whole batch, with the batch as a new first dim of the output. */
function onBatch<P extends KernelPrimitive>(op: P, xs: Tensor[], attrs: PrimitiveAttrs[P], n: number, out: LogicalOut): [Tensor, number] {
  return [runKernel(op, xs, attrs, [n, ...out.shape], out.dtype), 0];
}

/** Every elementwise primitive (unary, binary, compare, convert, select): the same op on [batch, ...shape]. */
export const elementwiseBatch = <P extends KernelPrimitive>(args: readonly Tensor[], dims: readonly (number | null)[], attrs: PrimitiveAttrs[P], out: LogicalOut, op: P): [Tensor, number] => {
  const [xs, n] = allFront(args, dims);
  return onBatch(op, xs, attrs, n, out);
};

/** Every reduction: the same reduction over the axes shifted past the batch dim. */
export const reduceBatch = <P extends ReducePrimitive>(args: readonly Tensor[], dims: readonly (number | null)[], a: ReduceAttrs, out: LogicalOut, op: P): [Tensor, number] => {
  const [xs, n] = allFront(args, dims);
  return onBatch<ReducePrimitive>(op, xs, { axes: a.axes.map((d) => d + 1), keepdims: a.keepdims }, n, out);
};

/** Primitives whose attributes name one axis and that treat the other dims alike. */
type AxisPrimitive =
  | 'concat' | 'gather' | 'scatter' | 'cumsum' | 'cumprod' | 'logcumsumexp' | 'cumargmax' | 'cumargmin' | 'argsort'
  | 'softmax' | 'logSoftmax' | 'softmaxBackward' | 'logSoftmaxBackward';

/**
 * Movement, scan, sort and softmax-like primitives whose attributes name one axis: the axis shifted past the batch
 * dim. A 0-d operand (axis 0 of a 0-d tensor) gets a length-1 dim to work along, dropped after.
 */
export const axisBatch = <P extends AxisPrimitive>(args: readonly Tensor[], dims: readonly (number | null)[], a: PrimitiveAttrs[P], out: LogicalOut, op: P): [Tensor, number] => {
  const [xs, n] = allFront(args, dims);
  const attrs = { ...(a as { axis: number }), axis: (a as { axis: number }).axis + 1 } as PrimitiveAttrs[P];
  if (out.shape.length > 0) return onBatch<AxisPrimitive>(op, xs, attrs, n, out);
  const y = runKernel<AxisPrimitive>(op, xs.map((x) => reshape(x, [n, 1])), attrs, [n, 1], out.dtype);
  return [reshape(y, [n]), 0];
};

/** diagonal: the batch dim stays in front (the diagonal dim goes last), the two axes shift past it. */
export const diagonalBatch: BatchRule<'diagonal'> = ([x], [d], a) =>
  [diagonal(front(x!, d!, 0), a.offset, a.axis1 + 1, a.axis2 + 1), 0];

/**
 * Primitives that treat all dims but the last two as batch dims already (the linalg factorizations):
 * the same op with the vmap batch as one more leading dim, as for elementwise primitives.
 */
export const leadingBatch = elementwiseBatch;

/** scatterAdd: the axis shifted, the batch prepended to the target shape. */
export const scatterAddBatch: BatchRule<'scatterAdd'> = (args, dims, a, out) => {
  const [xs, n] = allFront(args, dims);
  return onBatch('scatterAdd', xs, { axis: a.axis + 1, shape: [n, ...a.shape] }, n, out);
};

/** The sliding-window primitives: the batch folded into their own batch dim N (a reshape), and back. */
export const windowBatch = <P extends 'unfold2d' | 'fold2d' | 'maxPool2dIndices'>(args: readonly Tensor[], dims: readonly (number | null)[], a: PrimitiveAttrs[P], out: LogicalOut, op: P): [Tensor, number] => {
  const [[x], n] = allFront(args, dims);
  const folded = reshape(x!, [n * x!.shape[1]!, ...x!.shape.slice(2)]);
  const y = runKernel(op, [folded], a, [n * out.shape[0]!, ...out.shape.slice(1)], out.dtype);
  return [reshape(y, [n, ...out.shape]), 0];
};

/** reshape: the batch kept in front. */
export const reshapeBatch: BatchRule<'reshape'> = ([x], [d], a) => {
  const f = front(x!, d!, 0);
  return [reshape(f, [f.shape[0]!, ...a.shape]), 0];
};

/** permute: the batch kept in front, the other dims permuted after it. */
export const permuteBatch: BatchRule<'permute'> = ([x], [d], a) => [permute(front(x!, d!, 0), [0, ...a.dims.map((k) => k + 1)]), 0];

/** expand: new leading dims go after the batch dim, then the usual broadcast. */
export const expandBatch: BatchRule<'expand'> = ([x], [d], a) => {
  const f = front(x!, d!, 0);
  const n = f.shape[0]!;
  const lead = a.shape.length - (f.ndim - 1);
  const r = lead > 0 ? reshape(f, [n, ...new Array<number>(lead).fill(1), ...f.shape.slice(1)]) : f;
  return [expand(r, [n, ...a.shape]), 0];
};

/** slice: the whole batch, then the same window of every element. */
export const sliceBatch: BatchRule<'slice'> = ([x], [d], a, out) => {
  const f = front(x!, d!, 0);
  return [stridedSlice(f, [0, ...a.starts], [1, ...a.steps], [f.shape[0]!, ...out.shape]), 0];
};

/** pad: every element embedded alike. */
export const padBatch: BatchRule<'pad'> = ([x], [d], a) => {
  const f = front(x!, d!, 0);
  return [padStrided(f, [f.shape[0]!, ...a.shape], [0, ...a.starts], [1, ...a.steps], a.value), 0];
};

/**
 * matmul (operands already broadcast to one batch shape [..., M, K] @ [..., K, N]). When only one
 * operand is batched, the batch is folded into its rows (or columns), so the whole batch is one
 * larger product against the shared operand; when both are, it is one more batch dim.
 */
export const matmulBatch: BatchRule<'matmul'> = ([a, b], [da, db], _, out) => {
  const r = out.shape.length;
  const batch = out.shape.slice(0, r - 2);
  const [M, N] = [out.shape[r - 2]!, out.shape[r - 1]!];
  if (db === null) {
    const am = moveDim(a!, da!, r - 2);
    const n = am.shape[r - 2]!;
    const y = runKernel('matmul', [reshape(am, [...batch, n * M, am.shape[r]!]), b!], {}, [...batch, n * M, N], out.dtype);
    return [reshape(y, [...batch, n, M, N]), r - 2];
  }
  if (da === null) {
    const bm = moveDim(b!, db, r - 1);
    const n = bm.shape[r - 1]!;
    const y = runKernel('matmul', [a!, reshape(bm, [...batch, bm.shape[r - 2]!, n * N])], {}, [...batch, M, n * N], out.dtype);
    return [reshape(y, [...batch, M, n, N]), r - 1];
  }
  const [xs, n] = allFront([a!, b!], [da, db]);
  return onBatch('matmul', xs, {}, n, out);
};

/** Sums two optional tangents (null is zero). */
export function addTangents(a: Tensor | null, b: Tensor | null): Tensor | null {
  if (a === null) return b;
  if (b === null) return a;
  return add(a, b);
}
