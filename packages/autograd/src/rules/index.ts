import type { Primitive } from '@tapegrad/tensor';
import { elementwiseRules } from './elementwise.js';
import { linalgRules } from './linalg.js';
import { movementRules } from './movement.js';
import { reduceRules } from './reduce.js';
import type { Rule } from './rule.js';

/** Every primitive's VJP rule; a primitive without one is a compile error here. */
export const rules: { [P in Primitive]: Rule<P> } = {
  ...elementwiseRules,
  ...reduceRules,
  ...movementRules,
  ...linalgRules,
};

export { sumTo } from './movement.js';
export type { Rule } from './rule.js';
