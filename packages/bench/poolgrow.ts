import * as tg from 'tapegrad';
import { pooledBytes } from '@tapegrad/tensor/internal';
import { cases as allCases } from './src/cases.js';
for (const id of ['cnn_step', 'transformer_step', 'mlp_step']) {
  const c = (allCases as any[]).find((x) => x.id === id);
  const r = c.tapegrad(tg);
  const out: string[] = [];
  for (let i = 1; i <= 60; i++) { r.run(); if (i % 15 === 0) out.push((pooledBytes() / 1e6).toFixed(1)); }
  console.log(id, 'free MB after 15/30/45/60 steps:', out.join(' '));
}
