import {
  concat, expand, fold2d, gather, padStrided, permute, reshape, scatterAdd, slice, sum, unfold2d, zerosLike, type Tensor, type WindowAttrs,
} from '@tapegrad/tensor';
import {
  axisBatch, expandBatch, padBatch, permuteBatch, reshapeBatch, scatterAddBatch, sliceBatch, windowBatch,
} from './batching.js';
import { type RuleTable } from './rule.js';

/**
 * Un-broadcasting, in one place: sums g (of a broadcast shape) back down to `shape`, over the
 * leading dims that broadcasting added and the dims where `shape` has size 1.
 */
export function sumTo(g: Tensor, shape: readonly number[]): Tensor {
  const lead = g.ndim - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.ndim; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  }
  const s = axes.length > 0 ? sum(g, axes, true) : g;
  return reshape(s, shape);
}

type Movement = 'reshape' | 'permute' | 'expand' | 'slice' | 'pad' | 'concat' | 'gather' | 'scatterAdd' | 'unfold2d' | 'fold2d';

/** The window options the sliding-window primitives share. */
const windowOpts = (a: WindowAttrs) => ({ stride: a.stride, padding: a.padding, dilation: a.dilation });

/** The ends that make `slice` take the window `starts`/`steps` of the length `shape` gives. */
const endsOf = (starts: readonly number[], steps: readonly number[], shape: readonly number[]): number[] =>
  starts.map((s, d) => s + (shape[d]! - 1) * steps[d]! + 1);

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
    jvp: ([t], _, out, a) => slice(t!, a.starts, endsOf(a.starts, a.steps, out.shape), a.steps),
    batch: sliceBatch,
  },
  /** d pad(x) = the slice of g where x was written; the padding's tangent is 0 */
  pad: {
    vjp: (g, [x], _, a) => [slice(g, a.starts, endsOf(a.starts, a.steps, x!.shape), a.steps)],
    jvp: ([t], _, __, a) => padStrided(t!, a.shape, a.starts, a.steps, 0),
    batch: padBatch,
  },
  /** d concat = each input's band of g */
  concat: {
    vjp: (g, inputs, _, a) => {
      let at = 0;
      return inputs.map((x) => {
        const starts = g.shape.map(() => 0);
        const ends = g.shape.slice();
        starts[a.axis] = at;
        at += x.shape[a.axis]!;
        ends[a.axis] = at;
        return slice(g, starts, ends);
      });
    },
    jvp: (ts, inputs, _, a) => concat(ts.map((t, i) => t ?? zerosLike(inputs[i]!)), a.axis),
    batch: axisBatch,
  },
  /** d gather(x, index) = scatterAdd of g at index */
  gather: {
    vjp: (g, [x, index], _, a) => [scatterAdd(g, a.axis, index!, x!.shape), null],
    jvp: ([t], [, index], _, a) => gather(t!, a.axis, index!),
    batch: axisBatch,
  },
  /** d scatterAdd(index, src) = gather of g at index */
  scatterAdd: {
    vjp: (g, [index], _, a) => [null, gather(g, a.axis, index!)],
    jvp: ([, t], [index], _, a) => scatterAdd(t!, a.axis, index!, a.shape),
    batch: scatterAddBatch,
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
};
