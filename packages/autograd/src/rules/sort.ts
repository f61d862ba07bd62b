import { axisBatch } from './batching.js';
import { noGradient, noTangent, type RuleTable } from './rule.js';

export const sortRules: RuleTable<'argsort'> = {
  /** int32 positions: no gradient or tangent (sort's values get theirs through gather) */
  argsort: { vjp: noGradient, jvp: noTangent, batch: axisBatch },
};
