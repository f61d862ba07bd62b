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

/**
 * Everything autograd knows about one primitive, side by side: its VJP (reverse mode). Forward-mode
 * and batching rules join it here, so a primitive's transforms are read and reviewed in one place.
 */
export interface PrimitiveRules<P extends Primitive> {
  /** Reverse mode: the inputs' cotangents from the output's. */
  vjp: Rule<P>;
}

/** The rules of a family of primitives; the full table (rules/index.ts) must cover every primitive. */
export type RuleTable<P extends Primitive> = { [K in P]: PrimitiveRules<K> };

/** For ops whose output is piecewise constant or not a float: no gradient flows. */
export const noGradient = (_g: Tensor, inputs: readonly Tensor[]): (Tensor | null)[] => inputs.map(() => null);
