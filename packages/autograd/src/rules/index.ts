import type { Primitive } from '@tapegrad/tensor';
import { elementwiseRules } from './elementwise.js';
import { fusedRules } from './fused.js';
import { linalgRules } from './linalg.js';
import { movementRules } from './movement.js';
import { reduceRules } from './reduce.js';
import { scanRules } from './scan.js';
import { sortRules } from './sort.js';
import type { PrimitiveRules } from './rule.js';

/** Every primitive's rules; a primitive without an entry is a compile error here. */
export const rules: { [P in Primitive]: PrimitiveRules<P> } = {
  ...elementwiseRules,
  ...reduceRules,
  ...movementRules,
  ...linalgRules,
  ...scanRules,
  ...sortRules,
  ...fusedRules,
};

/**
 * Primitives whose VJP reads only the shapes (and dtypes) of its inputs and output, never their
 * values: writing into those tensors in place after the op cannot change its gradient.
 */
export const SHAPE_ONLY_VJP: ReadonlySet<string> = new Set<Primitive>([
  'add', 'sub', 'neg', 'sum', 'copy', 'cast', 'reshape', 'permute', 'expand', 'slice', 'diagonal', 'pad', 'concat', 'unfold2d', 'fold2d',
]);

export { sumTo } from './movement.js';
export type { Rule, JvpRule, BatchRule, PrimitiveRules } from './rule.js';
