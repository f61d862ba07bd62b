import {
  add, arange, cast, concat, diagonal, div, eq, expand, fold2d, full, gather, gt, maximum, movedim, mul, onesLike, padStrided, permute, reshape,
  scatter, sum, unfold2d, where, zerosLike, ShapeError, Tensor, type PrimitiveAttrs, type ScatterAttrs, type WindowAttrs,
} from '@tapegrad/tensor';
import { checkShape, describe, fmtShape, scatterAddZeros, stridedSlice } from '@tapegrad/tensor/internal';
import {
  addTangents, axisBatch, diagonalBatch, expandBatch, padBatch, permuteBatch, reshapeBatch, scatterAddBatch, sliceBatch, windowBatch,
} from './batching.js';
import { noGradient, noTangent, type RuleTable } from './rule.js';

/**
 * Un-broadcasting, in one place: sums g (of a broadcast shape) back down to `shape`, over the
 * leading dims that broadcasting added and the dims where `shape` has size 1.
 */
export function sumTo(g: Tensor, shape: readonly number[]): Tensor {
  if (!(g instanceof Tensor)) throw new TypeError(`sumTo: expected a Tensor to sum, got ${describe(g)}`);
  checkShape(shape, 'sumTo');
  const lead = g.ndim - shape.length;
  if (lead < 0 || shape.some((d, i) => d !== 1 && d !== g.shape[lead + i])) {
    throw new ShapeError(`sumTo: a tensor of shape ${fmtShape(g.shape)} is not a broadcast of shape ${fmtShape(shape)}, so it cannot be summed back to it`);
  }
  const axes: number[] = [];
  for (let i = 0; i < g.ndim; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  }
  const s = axes.length > 0 ? sum(g, axes, true) : g;
  return reshape(s, shape);
}

type Movement = 'reshape' | 'permute' | 'expand' | 'slice' | 'diagonal' | 'pad' | 'concat' | 'gather' | 'scatterAdd' | 'scatter' | 'unfold2d' | 'fold2d' | 'maxPool2dIndices';

/** The window options the sliding-window primitives share. */
const windowOpts = (a: WindowAttrs) => ({ stride: a.stride, padding: a.padding, dilation: a.dilation });

export const movementRules: RuleTable<Movement> = {
  /** reshape back */
  reshape: { vjp: (g, [x]) => [reshape(g, x!.shape)], jvp: ([t], _, __, a) => reshape(t!, a.shape), batch: reshapeBatch },
  /** permute by the inverse permutation */
  permute: {
    vjp: (g, _, __, a) => {
      const inv = new Array<number>(a.dims.length);
      a.dims.forEach((d, i) => (inv[d] = i));
      return [permute(g, inv)];
    },
    jvp: ([t], _, __, a) => permute(t!, a.dims),
    batch: permuteBatch,
  },
  /** d expand(x) = sumTo(g, x.shape): the only place broadcasting is undone */
  expand: { vjp: (g, [x]) => [sumTo(g, x!.shape)], jvp: ([t], _, __, a) => expand(t!, a.shape), batch: expandBatch },
  /** d slice(x) = g embedded in zeros at the sliced positions */
  slice: {
    vjp: (g, _, __, a) => [padStrided(g, a.inputShape, a.starts, a.steps, 0)],
    jvp: ([t], _, out, a) => stridedSlice(t!, a.starts, a.steps, out.shape),
    batch: sliceBatch,
  },
  /** d diagonal(x) = g written back onto that diagonal of a zero tensor; the tangent is the same diagonal of the input's */
  diagonal: {
    vjp: (g, [x], _, a) => [diagonalEmbed(g, x!.shape, a)],
    jvp: ([t], _, __, a) => diagonal(t!, a.offset, a.axis1, a.axis2),
    batch: diagonalBatch,
  },
  /** d pad(x) = the (strided) slice of g where x was written; the padding's tangent is 0 */
  pad: {
    vjp: (g, [x], _, a) => [stridedSlice(g, a.starts, a.steps, x!.shape)],
    jvp: ([t], _, __, a) => padStrided(t!, a.shape, a.starts, a.steps, 0),
    batch: padBatch,
  },
  /** d concat = each input's band of g */
  concat: {
    vjp: (g, inputs, _, a) => {
      let at = 0;
      return inputs.map((x) => {
        const starts = g.shape.map((_, d) => (d === a.axis ? at : 0));
        at += x.shape[a.axis]!;
        return stridedSlice(g, starts, g.shape.map(() => 1), x.shape);
      });
    },
    jvp: (ts, inputs, _, a) => concat(ts.map((t, i) => t ?? zerosLike(inputs[i]!)), a.axis),
    batch: axisBatch,
  },
  /** d gather(x, index) = scatterAdd of g at index */
  gather: {
    vjp: (g, [x, index], _, a) => [scatterAddZeros(g, a.axis, index!, x!.shape), null],
    jvp: ([t], [, index], _, a) => gather(t!, a.axis, index!),
    batch: axisBatch,
  },
  /** d scatterAdd(index, src) = gather of g at index */
  scatterAdd: {
    vjp: (g, [index], _, a) => [null, gather(g, a.axis, index!)],
    jvp: ([, t], [index], _, a) => scatterAddZeros(t!, a.axis, index!, a.shape),
    batch: scatterAddBatch,
  },
  /** d scatter: see scatterVjp (PyTorch's formulas for each reduction) and scatterJvp */
  scatter: {
    vjp: (g, [self, index, src], out, a, needs) => scatterVjp(g, self!, index!, src!, out, a, needs),
    jvp: (ts, [self, index, src], out, a) => scatterJvp(ts, self!, index!, src!, out, a),
    batch: axisBatch,
  },
  /** d unfold = fold (col2im); the padding's tangent is 0 */
  unfold2d: {
    vjp: (g, [x], _, a) => [fold2d(g, [x!.shape[2]!, x!.shape[3]!], a.kernel, windowOpts(a))],
    jvp: ([t], _, __, a) => unfold2d(t!, a.kernel, windowOpts(a)),
    batch: windowBatch,
  },
  /** d fold = unfold */
  fold2d: {
    vjp: (g, _, __, a) => [unfold2d(g, a.kernel, windowOpts(a))],
    jvp: ([t], _, __, a) => fold2d(t!, a.outputSize, a.kernel, windowOpts(a)),
    batch: windowBatch,
  },
  /** int32 positions: no gradient, no tangent */
  maxPool2dIndices: { vjp: noGradient, jvp: noTangent, batch: windowBatch },
};


/** Zeros of `shape` with g (of diagonal(x, offset, axis1, axis2)'s shape) on that diagonal: a strided pad of the flattened matrices. */
function diagonalEmbed(g: Tensor, shape: readonly number[], a: PrimitiveAttrs['diagonal']): Tensor {
  const rest = shape.map((_, d) => d).filter((d) => d !== a.axis1 && d !== a.axis2);
  const n1 = shape[a.axis1]!, n2 = shape[a.axis2]!;
  const lead = rest.map((d) => shape[d]!);
  const start = a.offset >= 0 ? a.offset : -a.offset * n2;
  const flat = padStrided(g, [...lead, n1 * n2], [...lead.map(() => 0), start], [...lead.map(() => 1), n2 + 1]);
  return movedim(reshape(flat, [...lead, n1, n2]), [lead.length, lead.length + 1], [a.axis1, a.axis2]);
}

/**
 * The cotangents of scatter(self, axis, index, src) for each way of combining (`null` for index):
 * - none: self's places that were overwritten get nothing; each src value gets g at its place if it
 *   was the last written there (the one the output kept), else nothing.
 * - sum: g for self (0 at places that dropped self), g gathered at src's places.
 * - mean: g / n shared by the n values averaged at a place.
 * - amax/amin: g shared evenly by the values equal to the result (self included when it took part).
 * - prod: g times the product of the other values at the place: out / value where the value is
 *   non-zero, and for a value that is its place's only zero the product recomputed with it as 1, so
 *   zeros get the exact gradient.
 */
function scatterVjp(g: Tensor, self: Tensor, index: Tensor, src: Tensor, out: Tensor, a: ScatterAttrs, needs: readonly boolean[]): (Tensor | null)[] {
  const [gSelf, gSrc] = scatterCotangents(g, self, index, src, out, a);
  return [needs[0] ? gSelf() : null, null, needs[2] ? gSrc() : null];
}

/**
 * The tangent of scatter: every element of self and of src lands on one place of the output, with
 * the weight the VJP gives it for a cotangent of ones (so ties, duplicates and zeros are treated as
 * the VJP treats them).
 */
function scatterJvp([tSelf, , tSrc]: readonly (Tensor | null)[], self: Tensor, index: Tensor, src: Tensor, out: Tensor, a: ScatterAttrs): Tensor | null {
  const [dSelf, dSrc] = scatterCotangents(onesLike(out), self, index, src, out, a);
  return addTangents(tSelf ? mul(tSelf, dSelf()) : null, tSrc ? scatterAddZeros(mul(tSrc, dSrc()), a.axis, index, out.shape) : null);
}

/** The two cotangents of scatterVjp, computed only when called. */
function scatterCotangents(g: Tensor, self: Tensor, index: Tensor, src: Tensor, out: Tensor, a: ScatterAttrs): [() => Tensor, () => Tensor] {
  const { axis, includeSelf } = a;
  const at = (t: Tensor): Tensor => gather(t, axis, index);
  const hits = scatterAddZeros(onesLike(src), axis, index, self.shape);
  const hit = gt(hits, 0);
  const dropped = (): Tensor => (includeSelf ? g : where(hit, 0, g));
  switch (a.reduce) {
    case 'none': {
      const order = reshape(arange(index.size, { dtype: 'int32' }), index.shape);
      const last = scatter(full(self.shape, -1, { dtype: 'int32' }), axis, index, order);
      return [() => where(hit, 0, g), () => where(eq(at(last), order), at(g), 0)];
    }
    case 'sum':
      return [dropped, () => at(g)];
    case 'mean': {
      const share = div(g, maximum(add(hits, includeSelf ? 1 : 0), 1));
      return [includeSelf ? () => share : dropped, () => at(share)];
    }
    case 'amax': case 'amin': {
      const selfWins = includeSelf ? eq(self, out) : eq(hits, 0);
      const srcWins = eq(src, at(out));
      const count = add(cast(selfWins, g.dtype), scatterAddZeros(cast(srcWins, g.dtype), axis, index, self.shape));
      const share = div(g, maximum(count, 1));
      return [() => where(selfWins, share, 0), () => where(srcWins, at(share), 0)];
    }
    case 'prod':
      return [
        includeSelf ? () => mul(g, scatter(onesLike(self), axis, index, src, { reduce: 'prod' })) : dropped,
        () => {
          const zero = eq(src, 0);
          const lone = where(zero, eq(at(scatterAddZeros(cast(zero, g.dtype), axis, index, self.shape)), 1), false);
          const others = scatter(self, axis, index, where(lone, 1, src), { reduce: 'prod', includeSelf });
          return where(lone, at(mul(g, others)), div(at(mul(g, out)), where(zero, 1, src)));
        },
      ];
  }
}
