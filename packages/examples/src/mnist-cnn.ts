/**
 * A small convolutional network on MNIST with @tapegrad/nn: two Conv2d + ReLU + MaxPool2d blocks
 * and two Linear layers, softmax cross-entropy, Adam and mini-batches from a DataLoader. Trained on
 * the 8,000 training digits of the fixed split, tested on the 2,000 held-out ones.
 *
 *   [N,1,28,28] -conv k x k-> [N,c1,28,28] -pool-> [N,c1,14,14] -conv-> [N,c2,14,14] -pool-> [N,c2,7,7]
 *   -flatten-> [N, c2*49] -linear-> [N, fc] -linear-> [N, 10]
 *
 * Run: npx tsx packages/examples/src/mnist-cnn.ts --help
 */
import { Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential } from 'tapegrad';
import { cli, isMain, withDefaults, type OptionSpecs, type Values } from './util/cli.js';
import type { Log } from './util/output.js';
import { runMnistExample, trainingOptions, type ExampleResult } from './util/train.js';

export const options = {
  channels: { kind: 'numbers', default: [8, 16], help: 'output channels c1,c2 of the two convolutions' },
  kernel: { kind: 'number', default: 3, integer: true, min: 1, help: 'convolution kernel size k (odd; padded to keep 28x28 and 14x14)' },
  fc: { kind: 'number', default: 128, integer: true, min: 1, help: 'units of the hidden linear layer' },
  ...trainingOptions('mnist-cnn', { epochs: 8, lr: 5e-3 }),
} satisfies OptionSpecs;

export type MnistCnnOptions = Values<typeof options> & { log?: Log };

/** The network above; PyTorch's default initialization, seeded. */
export function cnn(channels: readonly number[], kernel: number, fc: number, seed: number): Sequential {
  if (channels.length !== 2) throw new RangeError(`--channels: expected two channel counts c1,c2, got ${channels.join(',')}`);
  if (kernel % 2 !== 1) throw new RangeError(`--kernel: expected an odd kernel size, got ${kernel}`);
  const [c1, c2] = channels as [number, number];
  const padding = (kernel - 1) / 2;
  return new Sequential(
    new Conv2d(1, c1, kernel, { padding, seed: seed * 1000 }), new ReLU(), new MaxPool2d(2),
    new Conv2d(c1, c2, kernel, { padding, seed: seed * 1000 + 1 }), new ReLU(), new MaxPool2d(2),
    new Flatten(),
    new Linear(c2 * 7 * 7, fc, { seed: seed * 1000 + 2 }), new ReLU(),
    new Linear(fc, 10, { seed: seed * 1000 + 3 }),
  );
}

export async function run(given: Partial<MnistCnnOptions> = {}): Promise<ExampleResult> {
  const o = { ...withDefaults(options, given), log: given.log };
  const k = `conv${o.kernel}x${o.kernel}`;
  return runMnistExample('mnist-cnn', 'MNIST CNN', o, cnn(o.channels, o.kernel, o.fc, o.seed),
    `${k}(${o.channels[0]})-pool-${k}(${o.channels[1]})-pool-fc(${o.fc})-fc(10)`, (x) => x.reshape([x.shape[0]!, 1, 28, 28]));
}

if (isMain(import.meta.url)) {
  cli('mnist-cnn.ts', 'A small CNN on MNIST (8,000 training digits, 2,000 held out) with @tapegrad/nn: Conv2d, MaxPool2d, Linear, crossEntropy, Adam, DataLoader.', options, run);
}
