/**
 * A shallow network (one tanh hidden layer) on the course's planar "flower" data, next to
 * logistic regression on the same points: the network bends its decision boundary around the
 * petals, a single neuron can only draw a straight line.
 *
 *   Z1 = W1 X + b1   (n_h, m)     A1 = tanh(Z1)
 *   Z2 = W2 A1 + b2  (1, m)       A2 = sigmoid(Z2)
 *   J = -(1/m) sum(Y log A2 + (1 - Y) log(1 - A2))
 *   backward(J) fills W1.grad, b1.grad, W2.grad, b2.grad; then W := W - alpha dW
 *
 * Run: npx tsx packages/examples/src/shallow-network.ts --help
 */
import { join } from 'node:path';
import { Generator, backward, matmul, mean, mul, noGrad, randn, relu, sigmoid, softplus, sub, tanh, tensor, zeros, type Tensor } from 'tapegrad';
import { flowerData } from './data/flower.js';
import { accuracy as binaryAccuracy, cost as logisticCost, forward as logisticForward } from './logistic-regression.js';
import { cli, isMain, withDefaults, type OptionSpecs, type Values } from './util/cli.js';
import { exportGraph } from './util/graph-hook.js';
import { logger, outputDir, shown, writeText, type Log } from './util/output.js';
import { backendDescription } from './util/backend.js';
import { decisionBoundarySvg, lossCurveSvg, makeGrid, paddedRange } from './util/svg.js';

const ACTIVATIONS = ['tanh', 'relu', 'sigmoid'] as const;
type Activation = (typeof ACTIVATIONS)[number];

export const options = {
  hiddenUnits: { kind: 'number', default: 4, integer: true, min: 1, help: 'n_h, units in the hidden layer (a hyperparameter)' },
  activation: { kind: 'string', default: 'tanh', choices: ACTIVATIONS, help: 'g[1], the hidden layer\'s activation' },
  lr: { kind: 'number', default: 1.2, min: 0, help: 'learning rate alpha' },
  iterations: { kind: 'number', default: 5000, integer: true, min: 1, help: 'gradient-descent iterations' },
  printEvery: { kind: 'number', default: 1000, integer: true, min: 1, help: 'print the costs every this many iterations' },
  m: { kind: 'number', default: 400, integer: true, min: 2, help: 'number of training points (even)' },
  seed: { kind: 'number', default: 1, integer: true, min: 0, help: 'seed of the flower data set (the test set uses seed + 1)' },
  initSeed: { kind: 'number', default: 2, integer: true, min: 0, help: 'seed of the random initialization' },
  initScale: { kind: 'number', default: 0.01, min: 0, help: 'W = randn * scale (the course\'s small random init)' },
  out: { kind: 'optional-string', help: 'folder for the plots (default packages/examples/out/shallow-network)' },
  graph: { kind: 'optional-string', help: 'write the computation graph of the cost as interactive HTML' },
  quiet: { kind: 'boolean', default: false, help: 'print nothing' },
} satisfies OptionSpecs;

export type ShallowNetworkOptions = Values<typeof options> & { log?: Log };

/** The parameters of the two-layer network, as in the course. */
export interface ShallowParams { W1: Tensor; b1: Tensor; W2: Tensor; b2: Tensor }

export interface ShallowNetworkResult {
  network: { costs: number[]; trainAccuracy: number; testAccuracy: number };
  logistic: { costs: number[]; trainAccuracy: number; testAccuracy: number };
  params: ShallowParams;
  seconds: number;
  files: string[];
}

function g1(activation: Activation, Z: Tensor): Tensor {
  return activation === 'tanh' ? tanh(Z) : activation === 'relu' ? relu(Z) : sigmoid(Z);
}

/** Forward propagation: A2 = sigmoid(W2 g(W1 X + b1) + b2), of shape (1, m). */
export function forwardShallow(p: ShallowParams, X: Tensor, activation: Activation = 'tanh'): Tensor {
  const A1 = g1(activation, matmul(p.W1, X).add(p.b1));
  return sigmoid(matmul(p.W2, A1).add(p.b2));
}

/** The cross-entropy cost of the network (through Z2, stable in float32; see logistic-regression.ts). */
export function costShallow(p: ShallowParams, X: Tensor, Y: Tensor, activation: Activation = 'tanh'): Tensor {
  const A1 = g1(activation, matmul(p.W1, X).add(p.b1));
  const Z2 = matmul(p.W2, A1).add(p.b2);
  return mean(mul(Y, softplus(Z2.neg())).add(mul(sub(1, Y), softplus(Z2))));
}

/** Small random weights (break the symmetry between hidden units), zero biases. */
export function initShallow(nx: number, nh: number, ny: number, seed: number, scale: number): ShallowParams {
  const generator = new Generator(seed);
  return {
    W1: randn([nh, nx], { generator }).mul(scale).requiresGrad_(true),
    b1: zeros([nh, 1], { requiresGrad: true }),
    W2: randn([ny, nh], { generator }).mul(scale).requiresGrad_(true),
    b2: zeros([ny, 1], { requiresGrad: true }),
  };
}

/** Trains both models on the flower, writes the decision boundaries and costs, and reports accuracies. */
export async function run(given: Partial<ShallowNetworkOptions> = {}): Promise<ShallowNetworkResult> {
  const o = withDefaults(options, given);
  const log = logger(o.quiet, given.log);
  const act = o.activation as Activation;
  const t0 = performance.now();
  const train = flowerData({ m: o.m, seed: o.seed });
  const test = flowerData({ m: o.m, seed: o.seed + 1 });
  const { X, Y } = train;
  log(`flower data: X ${JSON.stringify(X.shape)}, Y ${JSON.stringify(Y.shape)}; one hidden layer of ${o.hiddenUnits} ${act} units vs logistic regression`);

  // The shallow network: leaves that require grad, backward() fills their .grad.
  const p = initShallow(2, o.hiddenUnits, 1, o.initSeed, o.initScale);
  const params = [p.W1, p.b1, p.W2, p.b2];
  // Logistic regression on the same data (the cost of logistic-regression.ts), trained the same way.
  const w = zeros([2, 1]).requiresGrad_(true);
  const b = tensor(0).requiresGrad_(true);

  const netCosts: number[] = [];
  const lrCosts: number[] = [];
  for (let i = 0; i <= o.iterations; i++) {
    const J = costShallow(p, X, Y, act);
    const Jlr = logisticCost(w, b, X, Y);
    if (i === 0) await exportGraph(J, o.graph, log);
    netCosts.push(J.item());
    lrCosts.push(Jlr.item());
    if (i % o.printEvery === 0 || i === o.iterations) {
      log(`iteration ${String(i).padStart(5)}: network cost ${netCosts[i]!.toFixed(6)}   logistic regression cost ${lrCosts[i]!.toFixed(6)}`);
    }
    if (i === o.iterations) break;
    backward(J);
    backward(Jlr);
    noGrad(() => {
      for (const t of [...params, w, b]) {
        t.sub_(t.grad!.mul(o.lr));
        t.grad = null;
      }
    });
  }

  const evaluate = (d: { X: Tensor; Y: Tensor }): [number, number] => noGrad(() => [
    binaryAccuracy(forwardShallow(p, d.X, act), d.Y),
    binaryAccuracy(logisticForward(w, b, d.X), d.Y),
  ]);
  const [netTrain, lrTrain] = evaluate(train);
  const [netTest, lrTest] = evaluate(test);
  const seconds = (performance.now() - t0) / 1000;
  const pct = (x: number): string => `${(100 * x).toFixed(1)}%`.padStart(6);
  log(`                      train   test (a new flower, seed ${o.seed + 1})`);
  log(`logistic regression  ${pct(lrTrain)} ${pct(lrTest)}`);
  log(`shallow network      ${pct(netTrain)} ${pct(netTest)}`);
  log(netTest > lrTest
    ? `the ${o.hiddenUnits}-unit hidden layer beats logistic regression by ${(100 * (netTest - lrTest)).toFixed(1)} points on unseen points`
    : 'the network did not beat logistic regression this time: try more iterations or hidden units');

  const files: string[] = [];
  if (o.out !== undefined || !o.quiet) {
    const dir = outputDir('shallow-network', o.out);
    const grid = makeGrid(paddedRange(train.x1, 1), paddedRange(train.x2, 1));
    const gridX = tensor(Float64Array.from([...grid.xs, ...grid.ys]), { shape: [2, grid.xs.length] }).to('float32');
    const points = { x: train.x1, y: train.x2, label: train.labels };
    const netProbs = noGrad(() => forwardShallow(p, gridX, act).data());
    const lrProbs = noGrad(() => logisticForward(w, b, gridX).data());
    files.push(writeText(join(dir, 'shallow-network-boundary.svg'), decisionBoundarySvg(grid, netProbs, points, { title: `one hidden layer, n_h = ${o.hiddenUnits} (${act}): train ${pct(netTrain).trim()}` })));
    files.push(writeText(join(dir, 'logistic-regression-boundary.svg'), decisionBoundarySvg(grid, lrProbs, points, { title: `logistic regression: train ${pct(lrTrain).trim()}` })));
    files.push(writeText(join(dir, 'cost.svg'), lossCurveSvg(
      [{ name: 'shallow network', y: netCosts, x: netCosts.map((_, i) => i) }, { name: 'logistic regression', y: lrCosts, x: lrCosts.map((_, i) => i) }],
      { title: 'cost J on the flower data', xLabel: 'iteration', yLabel: 'cost J' },
    )));
    for (const f of files) log(`wrote ${shown(f)}`);
  }
  log(`done in ${seconds.toFixed(1)} s on ${backendDescription()}`);
  return {
    network: { costs: netCosts, trainAccuracy: netTrain, testAccuracy: netTest },
    logistic: { costs: lrCosts, trainAccuracy: lrTrain, testAccuracy: lrTest },
    params: p,
    seconds,
    files,
  };
}

if (isMain(import.meta.url)) {
  cli('shallow-network.ts', 'A one-hidden-layer (tanh) network on the course\'s planar flower data set, compared with logistic regression; writes decision-boundary plots.', options, run);
}
