/**
 * Logistic regression as a one-neuron network, in the course's notation, on real MNIST digits:
 * "is it a 0?" (the course's cat / not-cat, with digits).
 *
 *   X: (n_x, m), one example per column      Y: (1, m), labels 0/1
 *   w: (n_x, 1), b: a scalar                 A = sigmoid(w^T X + b): (1, m)
 *   J(w, b) = -(1/m) sum(Y log A + (1 - Y) log(1 - A))
 *   w := w - alpha dw,  b := b - alpha db   with dw = dJ/dw, db = dJ/db from tapegrad's valueAndGrad()
 *
 * Run: npx tsx packages/examples/src/logistic-regression.ts --help
 */
import { join } from 'node:path';
import { matmul, mean, mul, sigmoid, softplus, sub, tensor, valueAndGrad, zeros, type Tensor } from 'tapegrad';
import { binaryTask, loadMnist } from './data/mnist.js';
import { cli, isMain, withDefaults, type OptionSpecs, type Values } from './util/cli.js';
import { exportGraph } from './util/graph-hook.js';
import { logger, outputDir, shown, writeText, type Log } from './util/output.js';
import { backendDescription } from './util/backend.js';
import { lossCurveSvg } from './util/svg.js';

export const options = {
  digit: { kind: 'number', default: 0, integer: true, min: 0, max: 9, help: 'the positive class: y = 1 when the image shows this digit' },
  lr: { kind: 'number', default: 0.3, min: 0, help: 'learning rate alpha (a hyperparameter; above about 0.4 the first step overshoots)' },
  iterations: { kind: 'number', default: 1000, integer: true, min: 1, help: 'number of gradient-descent iterations (a hyperparameter)' },
  printEvery: { kind: 'number', default: 100, integer: true, min: 1, help: 'print the cost every this many iterations' },
  trainSize: { kind: 'number', default: 8000, integer: true, min: 1, max: 8000, help: 'training examples m used from the 8,000 training digits' },
  testSize: { kind: 'number', default: 2000, integer: true, min: 1, max: 2000, help: 'held-out digits to measure test accuracy on' },
  out: { kind: 'optional-string', help: 'folder for the plots (default packages/examples/out/logistic-regression)' },
  graph: { kind: 'optional-string', help: 'write the computation graph of the cost as interactive HTML' },
  quiet: { kind: 'boolean', default: false, help: 'print nothing' },
} satisfies OptionSpecs;

export type LogisticRegressionOptions = Values<typeof options> & { log?: Log };

export interface LogisticRegressionResult {
  /** The cost J before each iteration and after the last: iterations + 1 values, J[0] at the initial parameters. */
  costs: number[];
  trainAccuracy: number;
  testAccuracy: number;
  /** Accuracy of always answering the majority class ("not a 0") on the test set: the bar to beat. */
  baselineAccuracy: number;
  w: Tensor;
  b: Tensor;
  seconds: number;
  lossCurve: string | null;
}

/** A = sigmoid(w^T X + b): the probability that each example (column of X) is positive. */
export function forward(w: Tensor, b: Tensor, X: Tensor): Tensor {
  return sigmoid(matmul(w.T, X).add(b));
}

/**
 * The cross-entropy cost J(w, b) = -(1/m) sum(Y log A + (1 - Y) log(1 - A)) with A = sigmoid(Z).
 * Written through Z, using log sigmoid(z) = -softplus(-z) and log(1 - sigmoid(z)) = -softplus(z):
 * the same function, but finite when A rounds to exactly 0 or 1 in float32.
 */
export function cost(w: Tensor, b: Tensor, X: Tensor, Y: Tensor): Tensor {
  const Z = matmul(w.T, X).add(b);
  return mean(mul(Y, softplus(Z.neg())).add(mul(sub(1, Y), softplus(Z))));
}

/** Fraction of examples where (A > 0.5) equals the label. */
export function accuracy(A: Tensor, Y: Tensor): number {
  return A.gt(0.5).eq(Y.gt(0.5)).to('float32').mean().item();
}

/** Trains the one-neuron network by plain gradient descent and reports cost and accuracies. */
export async function run(given: Partial<LogisticRegressionOptions> = {}): Promise<LogisticRegressionResult> {
  const o = withDefaults(options, given);
  const log = logger(o.quiet, given.log);
  const t0 = performance.now();
  const data = loadMnist({ trainSize: o.trainSize, testSize: o.testSize });
  const { X, Y } = binaryTask(data.xTrain, data.yTrain, [o.digit]);
  const test = binaryTask(data.xTest, data.yTest, [o.digit]);
  const [nx, m] = X.shape as [number, number];
  log(`is it a ${o.digit}? logistic regression on MNIST: X ${JSON.stringify(X.shape)} (n_x = ${nx}, m = ${m}), Y ${JSON.stringify(Y.shape)}`);

  // Parameters: the course starts logistic regression from zeros (no symmetry to break with one neuron).
  let w = zeros([nx, 1]);
  let b = tensor(0);
  // valueAndGrad(cost) gives J and (dJ/dw, dJ/db) in one forward and one backward pass.
  const costAndGrads = valueAndGrad(cost, { argnums: [0, 1] });
  await exportGraph(() => cost(w.detach().requiresGrad_(true), b.detach().requiresGrad_(true), X, Y), o.graph, log);

  const costs: number[] = [];
  const testCosts: number[] = [];
  const testAt: number[] = [];
  const report = (i: number): void => {
    testCosts.push(cost(w, b, test.X, test.Y).item());
    testAt.push(i);
    log(`cost after iteration ${i}: ${costs[i]!.toFixed(6)}`);
  };
  for (let i = 0; i < o.iterations; i++) {
    const [J, [dw, db]] = costAndGrads(w, b, X, Y) as [Tensor, [Tensor, Tensor]];
    costs.push(J.item());
    if (i % o.printEvery === 0) report(i);
    w = w.sub(dw.mul(o.lr));
    b = b.sub(db.mul(o.lr));
  }
  costs.push(cost(w, b, X, Y).item());
  report(o.iterations);

  const trainAccuracy = accuracy(forward(w, b, X), Y);
  const testAccuracy = accuracy(forward(w, b, test.X), test.Y);
  const positives = test.Y.mean().item();
  const baselineAccuracy = Math.max(positives, 1 - positives);
  const seconds = (performance.now() - t0) / 1000;
  log(`train accuracy: ${(100 * trainAccuracy).toFixed(2)}%`);
  log(`test accuracy:  ${(100 * testAccuracy).toFixed(2)}% (always answering "not a ${o.digit}" scores ${(100 * baselineAccuracy).toFixed(2)}%)`);

  let lossCurve: string | null = null;
  if (o.out !== undefined || !o.quiet) {
    const dir = outputDir('logistic-regression', o.out);
    lossCurve = writeText(join(dir, 'cost.svg'), lossCurveSvg(
      [{ name: 'train J', y: costs, x: costs.map((_, i) => i) }, { name: 'test J', y: testCosts, x: testAt }],
      { title: `logistic regression, is it a ${o.digit}? (alpha = ${o.lr})`, xLabel: 'iteration', yLabel: 'cost J' },
    ));
    log(`cost curve written to ${shown(lossCurve)}`);
  }
  log(`done in ${seconds.toFixed(1)} s on ${backendDescription()}`);
  return { costs, trainAccuracy, testAccuracy, baselineAccuracy, w, b, seconds, lossCurve };
}

if (isMain(import.meta.url)) {
  cli('logistic-regression.ts', 'Logistic regression as a one-neuron network ("is it a 0?") on real MNIST digits, trained by plain gradient descent in the course notation.', options, run);
}
