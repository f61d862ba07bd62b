import { noGradient, type RuleTable } from './rule.js';

export const sortRules: RuleTable<'argsort'> = {
  /** int32 positions: no gradient (sort's values get theirs through gather) */
  argsort: { vjp: noGradient },
};
