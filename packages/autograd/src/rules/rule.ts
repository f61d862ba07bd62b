import type { Primitive, PrimitiveAttrs, Tensor } from '@tapegrad/tensor';

/**
 * A VJP rule: given the cotangent `g` of the output, the primal inputs and output, the node's
 * attributes and which inputs need a gradient, one cotangent per input (null for none/zero).
 * Rules are written with public tensor ops, so with `createGraph` they are recorded too and
 * differentiate again.
 */
export type Rule<P extends Primitive> = (
  g: Tensor,
  inputs: readonly Tensor[],
  out: Tensor,
  attrs: PrimitiveAttrs[P],
  needs: readonly boolean[],
) => (Tensor | null)[];

/** A table of rules for a family of primitives. */
export type RuleTable<P extends Primitive> = { [K in P]: Rule<K> };

/** For ops whose output is piecewise constant or not a float: no gradient flows. */
export const noGradient = (_g: Tensor, inputs: readonly Tensor[]): (Tensor | null)[] => inputs.map(() => null);
