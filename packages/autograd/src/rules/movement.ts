import {
  fold2d, gather, padStrided, permute, reshape, scatterAdd, slice, sum, unfold2d, type Tensor,
} from '@tapegrad/tensor';
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

export const movementRules: RuleTable<Movement> = {
  /** reshape back */
  reshape: { vjp: (g, [x]) => [reshape(g, x!.shape)] },
  /** permute by the inverse permutation */
  permute: { vjp: (g, _, __, a) => {
    const inv = new Array<number>(a.dims.length);
    a.dims.forEach((d, i) => (inv[d] = i));
    return [permute(g, inv)];
  } },
  /** d expand(x) = sumTo(g, x.shape): the only place broadcasting is undone */
  expand: { vjp: (g, [x]) => [sumTo(g, x!.shape)] },
  /** d slice(x) = g embedded in zeros at the sliced positions */
  slice: { vjp: (g, _, __, a) => [padStrided(g, a.inputShape, a.starts, a.steps, 0)] },
  /** d pad(x) = the slice of g where x was written */
  pad: { vjp: (g, [x], _, a) => [slice(g, a.starts, a.starts.map((s, d) => s + (x!.shape[d]! - 1) * a.steps[d]! + 1), a.steps)] },
  /** d concat = each input's band of g */
  concat: { vjp: (g, inputs, _, a) => {
    let at = 0;
    return inputs.map((x) => {
      const starts = g.shape.map(() => 0);
      const ends = g.shape.slice();
      starts[a.axis] = at;
      at += x.shape[a.axis]!;
      ends[a.axis] = at;
      return slice(g, starts, ends);
    });
  } },
  /** d gather(x, index) = scatterAdd of g at index */
  gather: { vjp: (g, [x, index], _, a) => [scatterAdd(g, a.axis, index!, x!.shape), null] },
  /** d scatterAdd(index, src) = gather of g at index */
  scatterAdd: { vjp: (g, [index], _, a) => [null, gather(g, a.axis, index!)] },
  /** d unfold = fold (col2im) */
  unfold2d: { vjp: (g, [x], _, a) => [fold2d(g, [x!.shape[2]!, x!.shape[3]!], a.kernel, { stride: a.stride, padding: a.padding, dilation: a.dilation })] },
  /** d fold = unfold */
  fold2d: { vjp: (g, _, __, a) => [unfold2d(g, a.kernel, { stride: a.stride, padding: a.padding, dilation: a.dilation })] },
};

