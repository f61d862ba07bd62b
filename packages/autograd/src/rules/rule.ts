import type { DType, Primitive, PrimitiveAttrs, Tensor } from '@tapegrad/tensor';

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
 * A JVP rule: given one tangent per input (null for an input that carries none: a constant, an
 * index, or an input the differentiated arguments do not reach; at least one is not null), the
 * primal inputs and output and the node's attributes, the output's tangent (null for zero). Written
 * with public tensor ops, so forward mode nests with every other transform.
 */
export type JvpRule<P extends Primitive> = (
  tangents: readonly (Tensor | null)[],
  inputs: readonly Tensor[],
  out: Tensor,
  attrs: PrimitiveAttrs[P],
) => Tensor | null;

/** The logical output of a batched op, as the op decided it. */
export interface LogicalOut { readonly shape: readonly number[]; readonly dtype: DType }

/**
 * A batching rule (vmap): given the physical values of the op's inputs with the position of each
 * one's batch dim (null for an input that is the same for the whole batch), the node's attributes,
 * the logical output and the primitive's name, the physical output and the position of its batch dim.
 * The logical output is the physical one without that dim. Rules call public ops (or `runKernel`)
 * on physical tensors, so vmap nests and composes with the other transforms.
 */
export type BatchRule<P extends Primitive> = (
  args: readonly Tensor[],
  dims: readonly (number | null)[],
  attrs: PrimitiveAttrs[P],
  out: LogicalOut,
  op: P,
) => [Tensor, number];

/**
 * Everything autograd knows about one primitive, side by side: one rule per transform, so a
 * primitive's transforms are read and reviewed in one place and a missing one is a compile error.
 */
export interface PrimitiveRules<P extends Primitive> {
  /** Reverse mode: the inputs' cotangents from the output's. */
  vjp: Rule<P>;
  /** Forward mode: the output's tangent from the inputs'. */
  jvp: JvpRule<P>;
  /** vmap: the op on a batch, computed once on the physical values. */
  batch: BatchRule<P>;
}

/** The rules of a family of primitives; the full table (rules/index.ts) must cover every primitive. */
export type RuleTable<P extends Primitive> = { [K in P]: PrimitiveRules<K> };

/** For ops whose output is piecewise constant or not a float: no gradient flows. */
export const noGradient = (_g: Tensor, inputs: readonly Tensor[]): (Tensor | null)[] => inputs.map(() => null);

/** For ops whose output is piecewise constant or not a float: no tangent. */
export const noTangent = (): null => null;
