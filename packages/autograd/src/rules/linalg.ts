import { matmul, transpose } from '@tapegrad/tensor';
import { addTangents, matmulBatch } from './batching.js';
import { type RuleTable } from './rule.js';

export const linalgRules: RuleTable<'matmul'> = {
  /** d(AB) = dA B + A dB, so gA = g B^T and gB = A^T g (batch dims already aligned by expand) */
  matmul: {
    vjp: (g, [a, b], _, __, needs) => [
      needs[0] ? matmul(g, transpose(b!, -1, -2)) : null,
      needs[1] ? matmul(transpose(a!, -1, -2), g) : null,
    ],
    jvp: ([ta, tb], [a, b]) => addTangents(ta === null ? null : matmul(ta, b!), tb === null ? null : matmul(a!, tb)),
    batch: matmulBatch,
  },
};
