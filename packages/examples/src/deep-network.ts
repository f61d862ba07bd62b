/**
 * A deep L-layer network in the course's notation, with the layer sizes and activations as
 * options: the course's parameters (W[l], b[l]) are learned, its hyperparameters (alpha, the
 * number of iterations, L, n[l], g[l], the initialization) are the command line.
 *
 *   for l = 1..L:  Z[l] = W[l] A[l-1] + b[l],  A[l] = g[l](Z[l]),  with A[0] = X: (n[0], m)
 *   J = -(1/m) sum(Y log A[L] + (1 - Y) log(1 - A[L]))
 *   W[l] := W[l] - alpha dW[l],  b[l] := b[l] - alpha db[l]   (dW[l], db[l] from valueAndGrad)
 *
 * The task is binary, on real MNIST digits: y = 1 when the digit is in --positive.
 *
 * Run: npx tsx packages/examples/src/deep-network.ts --help
 */
import { join } from 'node:path';
import {
  Generator, leakyRelu, matmul, mean, mul, noGrad, randn, relu, sigmoid, softplus, sub, tanh, valueAndGrad, zeros, type Tensor,
} from 'tapegrad';
import { binaryTask, loadMnist } from './data/mnist.js';
import { accuracy } from './logistic-regression.js';
import { cli, isMain, withDefaults, type OptionSpecs, type Values } from './util/cli.js';
import { exportGraph } from './util/graph-hook.js';
import { logger, outputDir, shown, writeText, type Log } from './util/output.js';
import { NULL_STREAM, Progress } from './util/progress.js';
import { backendDescription } from './util/backend.js';
import { lossCurveSvg } from './util/svg.js';

/** The activations g[l] a layer can use. */
export const ACTIVATIONS = {
  relu: (z: Tensor) => relu(z),
  'leaky-relu': (z: Tensor) => leakyRelu(z, 0.01),
  tanh: (z: Tensor) => tanh(z),
  sigmoid: (z: Tensor) => sigmoid(z),
  linear: (z: Tensor) => z,
} as const;
export type Activation = keyof typeof ACTIVATIONS;

/** How W[l] is drawn: all are randn(n[l], n[l-1]) times a scale. */
export const INITS = {
  /** 1 / sqrt(n[l-1]): what the course's deep-network assignment uses. */
  course: (nPrev: number) => 1 / Math.sqrt(nPrev),
  /** sqrt(2 / n[l-1]): He initialization, for ReLU layers. */
  he: (nPrev: number) => Math.sqrt(2 / nPrev),
  /** 0.01: the small init of the shallow network, too small for deep ones (try it). */
  small: () => 0.01,
} as const;

export const options = {
  layers: { kind: 'numbers', default: [784, 20, 7, 5, 1], help: 'layer sizes n[0],...,n[L]: the input size 784 first, 1 output unit last' },
  activations: { kind: 'strings', default: ['relu', 'relu', 'relu', 'sigmoid'], help: `g[1],...,g[L], one per layer after the input (${Object.keys(ACTIVATIONS).join(', ')}); g[L] must be sigmoid` },
  lr: { kind: 'number', default: 0.0075, min: 0, help: 'learning rate alpha' },
  iterations: { kind: 'number', default: 2500, integer: true, min: 1, help: 'gradient-descent iterations' },
  init: { kind: 'string', default: 'course', choices: Object.keys(INITS), help: 'weight initialization scale: course = 1/sqrt(n[l-1]), he = sqrt(2/n[l-1]), small = 0.01' },
  seed: { kind: 'number', default: 1, integer: true, min: 0, help: 'seed of the initialization' },
  positive: { kind: 'numbers', default: [0], help: 'digits that count as y = 1 (e.g. 3,5,8)' },
  trainSize: { kind: 'number', default: 2000, integer: true, min: 1, max: 8000, help: 'training examples m (of the 8,000 training digits; plain gradient descent uses all m every iteration)' },
  testSize: { kind: 'number', default: 2000, integer: true, min: 1, max: 2000, help: 'held-out digits for the test accuracy' },
  printEvery: { kind: 'number', default: 100, integer: true, min: 1, help: 'print the cost every this many iterations' },
  out: { kind: 'optional-string', help: 'folder for the plots (default packages/examples/out/deep-network)' },
  graph: { kind: 'optional-string', help: 'write the computation graph of the cost as interactive HTML' },
  quiet: { kind: 'boolean', default: false, help: 'print nothing' },
} satisfies OptionSpecs;

export type DeepNetworkOptions = Values<typeof options> & { log?: Log };

/** W[1], b[1], ..., W[L], b[L] in that order. */
export type DeepParams = Tensor[];

export interface DeepNetworkResult {
  costs: number[];
  trainAccuracy: number;
  testAccuracy: number;
  baselineAccuracy: number;
  params: DeepParams;
  parameterCount: number;
  seconds: number;
  lossCurve: string | null;
}

/** Checks the architecture hyperparameters and returns the activation of each layer. */
export function checkArchitecture(layers: readonly number[], activations: readonly string[]): Activation[] {
  if (layers.length < 2 || layers.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new RangeError(`--layers: expected at least two positive integer sizes n[0],...,n[L], got ${layers.join(',')}`);
  }
  if (activations.length !== layers.length - 1) {
    throw new RangeError(`--activations: expected ${layers.length - 1} activations (one per layer after the input) for --layers ${layers.join(',')}, got ${activations.length}`);
  }
  for (const a of activations) {
    if (!(a in ACTIVATIONS)) throw new RangeError(`--activations: unknown activation "${a}"; expected one of ${Object.keys(ACTIVATIONS).join(', ')}`);
  }
  if (activations[activations.length - 1] !== 'sigmoid' || layers[layers.length - 1] !== 1) {
    throw new RangeError('the output layer must be one sigmoid unit (the cost is the binary cross-entropy): end --layers with 1 and --activations with sigmoid');
  }
  return activations as Activation[];
}

/** W[l] = randn(n[l], n[l-1]) * scale, b[l] = zeros(n[l], 1). */
export function initDeep(layers: readonly number[], init: keyof typeof INITS, seed: number): DeepParams {
  const generator = new Generator(seed);
  const params: DeepParams = [];
  for (let l = 1; l < layers.length; l++) {
    params.push(randn([layers[l]!, layers[l - 1]!], { generator }).mul(INITS[init](layers[l - 1]!)));
    params.push(zeros([layers[l]!, 1]));
  }
  return params;
}

/** Z[L] = W[L] A[L-1] + b[L]: the output layer before its sigmoid, after L - 1 hidden layers. */
function lastZ(params: DeepParams, g: readonly Activation[], X: Tensor): Tensor {
  let A = X;
  const L = params.length / 2;
  for (let l = 1; l < L; l++) A = ACTIVATIONS[g[l - 1]!](matmul(params[2 * l - 2]!, A).add(params[2 * l - 1]!));
  return matmul(params[2 * L - 2]!, A).add(params[2 * L - 1]!);
}

/** Forward propagation: A[L] = Y-hat, of shape (1, m). */
export function forwardDeep(params: DeepParams, g: readonly Activation[], X: Tensor): Tensor {
  return sigmoid(lastZ(params, g, X));
}

/** The cross-entropy cost J, through Z[L] (stable in float32; see logistic-regression.ts). */
export function costDeep(params: DeepParams, g: readonly Activation[], X: Tensor, Y: Tensor): Tensor {
  const Z = lastZ(params, g, X);
  return mean(mul(Y, softplus(Z.neg())).add(mul(sub(1, Y), softplus(Z))));
}

/** Trains the L-layer network by batch gradient descent and reports costs and accuracies. */
export async function run(given: Partial<DeepNetworkOptions> = {}): Promise<DeepNetworkResult> {
  const o = withDefaults(options, given);
  const log = logger(o.quiet, given.log);
  const g = checkArchitecture(o.layers, o.activations);
  const t0 = performance.now();
  const data = loadMnist({ trainSize: o.trainSize, testSize: o.testSize });
  const { X, Y } = binaryTask(data.xTrain, data.yTrain, o.positive);
  const test = binaryTask(data.xTest, data.yTest, o.positive);
  if (X.shape[0] !== o.layers[0]) throw new RangeError(`--layers: n[0] must be the input size ${X.shape[0]}, got ${o.layers[0]}`);
  const L = o.layers.length - 1;

  let params = initDeep(o.layers, o.init as keyof typeof INITS, o.seed);
  const parameterCount = params.reduce((n, p) => n + p.size, 0);
  log(`is it a ${o.positive.join(' or ')}? an L = ${L} layer network on MNIST, X ${JSON.stringify(X.shape)}, Y ${JSON.stringify(Y.shape)}`);
  log(`parameters (learned): ${params.map((p, i) => `${i % 2 === 0 ? 'W' : 'b'}[${(i >> 1) + 1}] (${p.shape.join(',')})`).join(', ')}: ${parameterCount.toLocaleString('en-US')} numbers`);
  log(`hyperparameters (chosen): alpha = ${o.lr}, iterations = ${o.iterations}, L = ${L}, n = [${o.layers.join(', ')}], g = [${g.join(', ')}], init = ${o.init}`);

  const costAndGrads = valueAndGrad((...ps: Tensor[]) => costDeep(ps, g, X, Y), { argnums: params.map((_, i) => i) });
  await exportGraph(() => costDeep(params.map((p) => p.detach().requiresGrad_(true)), g, X, Y), o.graph, log);

  const quietBar = o.quiet || given.log !== undefined;
  const bar = new Progress({ total: o.iterations, label: 'gradient descent', stream: quietBar ? NULL_STREAM : process.stdout, silentWithoutTty: true });
  const say = quietBar ? log : (line: string) => bar.print(line);
  const costs: number[] = [];
  for (let i = 0; i < o.iterations; i++) {
    const [J, grads] = costAndGrads(...params) as [Tensor, Tensor[]];
    costs.push(J.item());
    if (!Number.isFinite(costs[i]!)) throw new RangeError(`the cost became ${costs[i]} at iteration ${i}: lower --lr`);
    if (i % o.printEvery === 0) say(`cost after iteration ${i}: ${costs[i]!.toFixed(6)}`);
    params = params.map((p, k) => p.sub(grads[k]!.mul(o.lr)));
    bar.tick(X.shape[1]!, costs[i]);
  }
  bar.done();
  const finalCost = noGrad(() => costDeep(params, g, X, Y).item());
  costs.push(finalCost);
  log(`cost after iteration ${o.iterations}: ${finalCost.toFixed(6)}`);

  const [trainAccuracy, testAccuracy] = noGrad(() => [accuracy(forwardDeep(params, g, X), Y), accuracy(forwardDeep(params, g, test.X), test.Y)]);
  const positives = test.Y.mean().item();
  const baselineAccuracy = Math.max(positives, 1 - positives);
  const seconds = (performance.now() - t0) / 1000;
  log(`train accuracy: ${(100 * trainAccuracy).toFixed(2)}%`);
  log(`test accuracy:  ${(100 * testAccuracy).toFixed(2)}% (always answering the majority class scores ${(100 * baselineAccuracy).toFixed(2)}%)`);

  let lossCurve: string | null = null;
  if (o.out !== undefined || !o.quiet) {
    const dir = outputDir('deep-network', o.out);
    lossCurve = writeText(join(dir, 'cost.svg'), lossCurveSvg([{ name: 'train J', y: costs, x: costs.map((_, i) => i) }], {
      title: `L = ${L} network [${o.layers.join(', ')}], alpha = ${o.lr}`, xLabel: 'iteration', yLabel: 'cost J',
    }));
    log(`cost curve written to ${shown(lossCurve)}`);
  }
  log(`done in ${seconds.toFixed(1)} s on ${backendDescription()}`);
  return { costs, trainAccuracy, testAccuracy, baselineAccuracy, params, parameterCount, seconds, lossCurve };
}

if (isMain(import.meta.url)) {
  cli('deep-network.ts', 'An L-layer network with configurable layer sizes and activations, trained by gradient descent in the course notation on a binary MNIST task.', options, run);
}
