/**
 * A multilayer perceptron on MNIST with @tapegrad/nn: Linear layers and ReLU, softmax
 * cross-entropy, Adam and mini-batches from a DataLoader. Trained on the 8,000 training digits
 * of the fixed split, tested on the 2,000 held-out ones.
 *
 * Run: npx tsx packages/examples/src/mnist-mlp.ts --help
 */
import { Linear, ReLU, Sequential, type Module } from 'tapegrad';
import { cli, isMain, withDefaults, type OptionSpecs, type Values } from './util/cli.js';
import type { Log } from './util/output.js';
import { runMnistExample, trainingOptions, type ExampleResult } from './util/train.js';

export const options = {
  hidden: { kind: 'numbers', default: [128], help: 'sizes of the hidden layers, e.g. 256,128' },
  ...trainingOptions('mnist-mlp', { epochs: 10, lr: 5e-3 }),
} satisfies OptionSpecs;

export type MnistMlpOptions = Values<typeof options> & { log?: Log };

/** 784 -> hidden... -> 10, ReLU between layers; PyTorch's default initialization, seeded. */
export function mlp(hidden: readonly number[], seed: number): Sequential {
  const sizes = [784, ...hidden, 10];
  const layers: Module[] = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    layers.push(new Linear(sizes[i]!, sizes[i + 1]!, { seed: seed * 1000 + i }));
    if (i + 2 < sizes.length) layers.push(new ReLU());
  }
  return new Sequential(...layers);
}

export async function run(given: Partial<MnistMlpOptions> = {}): Promise<ExampleResult> {
  const o = { ...withDefaults(options, given), log: given.log };
  return runMnistExample('mnist-mlp', 'MNIST MLP', o, mlp(o.hidden, o.seed), [784, ...o.hidden, 10].join('-'));
}

if (isMain(import.meta.url)) {
  cli('mnist-mlp.ts', 'An MLP on MNIST (8,000 training digits, 2,000 held out) with @tapegrad/nn: Linear, ReLU, crossEntropy, Adam, DataLoader.', options, run);
}
