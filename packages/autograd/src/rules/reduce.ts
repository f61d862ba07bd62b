import {
  arange, argmax, argmin, div, eq, expand, mul, reshape, sum, where, type ReduceAttrs, type Tensor,
} from '@tapegrad/tensor';
import { noGradient, type RuleTable } from './rule.js';

/** The cotangent of a reduction, with the reduced dims restored as size 1 (keepdims form). */
function keptDims(g: Tensor, x: Tensor, a: ReduceAttrs): Tensor {
  if (a.keepdims) return g;
  return reshape(g, x.shape.map((d, i) => (a.axes.includes(i) ? 1 : d)));
}

/** g spread back over the reduced dims. */
const spread = (g: Tensor, x: Tensor, a: ReduceAttrs): Tensor => expand(keptDims(g, x, a), x.shape);

/**
 * d max: along one axis the whole cotangent goes to the first extreme element (PyTorch's max(dim));
 * over several axes it is shared evenly among tied extremes (PyTorch's amax).
 */
function extremeRule(which: 'max' | 'min') {
  return (g: Tensor, [x]: readonly Tensor[], out: Tensor, a: ReduceAttrs): (Tensor | null)[] => {
    const t = x!;
    const gk = spread(g, t, a);
    if (a.axes.length === 1) {
      const ax = a.axes[0]!;
      const idx = (which === 'max' ? argmax : argmin)(t.detach(), ax, true);
      const iota = reshape(arange(t.shape[ax]!, { dtype: 'int32' }), t.shape.map((d, i) => (i === ax ? d : 1)));
      return [where(eq(iota, idx), gk, 0)];
    }
    const hit = eq(t, keptDims(out.detach(), t, a));
    const count = sum(hit, a.axes, true);
    return [where(hit, div(gk, count), 0)];
  };
}

export const reduceRules: RuleTable<'sum' | 'prod' | 'max' | 'min' | 'argmax' | 'argmin'> = {
  /** d sum(x) = broadcast(g) */
  sum: (g, [x], _, a) => [spread(g, x!, a)],
  /**
   * d prod(x)_i = prod of the other elements: out / x_i where x_i != 0; where x_i is the only zero,
   * the product of the non-zeros; 0 where there are several zeros.
   */
  prod: (g, [x], out, a) => {
    const t = x!;
    const zero = eq(t, 0);
    const nonzeroProd = keptDims(prodOf(where(zero, 1, t), a), t, a);
    const zeros = sum(zero, a.axes, true);
    const others = where(zero, where(eq(zeros, 1), nonzeroProd, 0), div(keptDims(out, t, a), where(zero, 1, t)));
    return [mul(spread(g, t, a), others)];
  },
  max: extremeRule('max'),
  min: extremeRule('min'),
  argmax: noGradient,
  argmin: noGradient,
};

function prodOf(t: Tensor, a: ReduceAttrs): Tensor {
  return t.prod(a.axes, a.keepdims);
}
