import { join } from 'node:path';
import {
  Adam, CosineAnnealingLR, DataLoader, TensorDataset, backward, crossEntropy, manualSeed, noGrad, type Module, type Tensor,
} from 'tapegrad';
import { BACKEND_OPTION, backendDescription, onBackend } from './backend.js';
import { loadMnist } from '../data/mnist.js';
import type { OptionSpecs, Values } from './cli.js';
import { exportGraph } from './graph-hook.js';
import { logger, outputDir, shown, writeText, type Log } from './output.js';
import { NULL_STREAM, Progress, type ProgressStream } from './progress.js';
import { lossCurveSvg } from './svg.js';

/** What trainClassifier needs: a model mapping a batch of inputs to class logits, and the data. */
export interface TrainSetup {
  name: string;
  model: Module;
  xTrain: Tensor;
  yTrain: Tensor;
  xTest: Tensor;
  yTest: Tensor;
  epochs: number;
  batchSize: number;
  lr: number;
  /** Anneal the learning rate to 0 along a cosine over all epochs (CosineAnnealingLR, stepped per batch). */
  cosine: boolean;
  /** Seeds the shuffling of the mini-batches (and tapegrad's default generator). */
  seed: number;
  log: Log;
  /** Where the progress bar goes (NULL_STREAM for quiet runs). */
  stream: ProgressStream;
  graph?: string | undefined;
  /** Folder for the loss curve, or null to write nothing. */
  outDir: string | null;
}

export interface EpochReport {
  epoch: number;
  trainLoss: number;
  testLoss: number;
  testAccuracy: number;
  seconds: number;
  samplesPerSecond: number;
}

export interface TrainResult {
  epochs: EpochReport[];
  /** The loss of every mini-batch, in order. */
  stepLosses: number[];
  testAccuracy: number;
  /** Wall time of the training loop and evaluations (data loading excluded). */
  seconds: number;
  lossCurve: string | null;
}

/** Test loss and accuracy of `model` on (x, y), in batches, without recording. */
export function evaluate(model: Module, x: Tensor, y: Tensor, batchSize = 500): { loss: number; accuracy: number } {
  const wasTraining = model.training;
  model.eval();
  try {
    return noGrad(() => {
      let lossSum = 0, correct = 0;
      const n = x.shape[0]!;
      for (const [xb, yb] of new DataLoader(new TensorDataset(x, y), { batchSize })) {
        const logits = model.call(xb!);
        lossSum += crossEntropy(logits, yb!, { reduction: 'sum' }).item();
        correct += logits.argmax(1).eq(yb!).to('float32').sum().item();
      }
      return { loss: lossSum / n, accuracy: correct / n };
    });
  } finally {
    model.train(wasTraining);
  }
}

/**
 * Mini-batch training of a classifier with Adam and softmax cross-entropy: a progress bar per
 * epoch, a summary line per epoch (train loss, test loss and accuracy, throughput), and the loss
 * curve as SVG.
 */
export async function trainClassifier(s: TrainSetup): Promise<TrainResult> {
  manualSeed(s.seed);
  const loader = new DataLoader(new TensorDataset(s.xTrain, s.yTrain), { batchSize: s.batchSize, shuffle: true, seed: s.seed });
  const opt = new Adam(s.model.parameters(), { lr: s.lr });
  const sched = s.cosine ? new CosineAnnealingLR(opt, { tMax: s.epochs * loader.length }) : null;
  const stepLosses: number[] = [];
  const epochs: EpochReport[] = [];
  const t0 = performance.now();
  s.model.train();
  for (let epoch = 1; epoch <= s.epochs; epoch++) {
    const te = performance.now();
    const bar = new Progress({ total: loader.length, label: `epoch ${epoch}/${s.epochs}`, stream: s.stream });
    let sum = 0;
    for (const [xb, yb] of loader) {
      const loss = crossEntropy(s.model.call(xb!), yb!);
      if (stepLosses.length === 0) await exportGraph(loss, s.graph, s.log);
      opt.zeroGrad();
      backward(loss);
      opt.step();
      sched?.step();
      const l = loss.item();
      stepLosses.push(l);
      sum += l;
      bar.tick(xb!.shape[0]!, l);
    }
    const trained = bar.done();
    const test = evaluate(s.model, s.xTest, s.yTest);
    const report: EpochReport = {
      epoch,
      trainLoss: sum / loader.length,
      testLoss: test.loss,
      testAccuracy: test.accuracy,
      seconds: (performance.now() - te) / 1000,
      samplesPerSecond: trained.throughput,
    };
    epochs.push(report);
    s.log(`epoch ${epoch}/${s.epochs}: train loss ${report.trainLoss.toFixed(4)}, test loss ${report.testLoss.toFixed(4)}, test accuracy ${(100 * report.testAccuracy).toFixed(2)}% (${report.seconds.toFixed(1)} s, ${Math.round(report.samplesPerSecond)} samples/s)`);
  }
  const seconds = (performance.now() - t0) / 1000;
  let lossCurve: string | null = null;
  if (s.outDir !== null) {
    const perEpoch = loader.length;
    lossCurve = writeText(join(s.outDir, 'loss.svg'), lossCurveSvg([
      { name: 'train (batch)', y: stepLosses, x: stepLosses.map((_, i) => (i + 1) / perEpoch), color: '#9ecae1' },
      { name: 'train (epoch)', y: epochs.map((e) => e.trainLoss), x: epochs.map((e) => e.epoch) },
      { name: 'test', y: epochs.map((e) => e.testLoss), x: epochs.map((e) => e.epoch) },
    ], { title: `${s.name}: cross-entropy loss (test accuracy ${(100 * epochs[epochs.length - 1]!.testAccuracy).toFixed(2)}%)`, xLabel: 'epoch', yLabel: 'loss', logY: true }));
    s.log(`loss curve written to ${shown(lossCurve)}`);
  }
  return { epochs, stepLosses, testAccuracy: epochs[epochs.length - 1]!.testAccuracy, seconds, lossCurve };
}

/** The options every MNIST training example shares, with that example's defaults. */
export function trainingOptions(example: string, defaults: { epochs: number; lr: number }) {
  return {
    epochs: { kind: 'number', default: defaults.epochs, integer: true, min: 1, help: 'passes over the training digits' },
    batchSize: { kind: 'number', default: 64, integer: true, min: 1, help: 'mini-batch size' },
    lr: { kind: 'number', default: defaults.lr, min: 0, help: 'Adam learning rate' },
    cosine: { kind: 'boolean', default: true, help: 'keep the learning rate constant instead of annealing it to 0 along a cosine' },
    seed: { kind: 'number', default: 0, integer: true, min: 0, help: 'seed of the initialization and the batch order' },
    trainSize: { kind: 'number', default: 8000, integer: true, min: 1, max: 8000, help: 'training digits used (of 8,000)' },
    testSize: { kind: 'number', default: 2000, integer: true, min: 1, max: 2000, help: 'held-out digits for the test accuracy (of 2,000)' },
    out: { kind: 'optional-string', help: `folder for the loss curve (default packages/examples/out/${example})` },
    graph: { kind: 'optional-string', help: 'write the computation graph of the first loss as interactive HTML' },
    backend: BACKEND_OPTION,
    quiet: { kind: 'boolean', default: false, help: 'print nothing' },
  } satisfies OptionSpecs;
}

export type TrainingValues = Values<ReturnType<typeof trainingOptions>> & { log?: Log };
export type ExampleResult = TrainResult & { model: Module; parameterCount: number; totalSeconds: number };

/**
 * An MNIST example from its options: loads the split, logs the model's description, trains it with
 * trainClassifier and reports the test accuracy. `toInput` reshapes the [N, 784] images (e.g. to
 * [N, 1, 28, 28] for a CNN).
 */
export async function runMnistExample(example: string, name: string, o: TrainingValues, model: Module, describe: string, toInput: (x: Tensor) => Tensor = (x) => x): Promise<ExampleResult> {
  const log = logger(o.quiet, o.log);
  const t0 = performance.now();
  const data = loadMnist({ trainSize: o.trainSize, testSize: o.testSize });
  const parameterCount = model.parameters().reduce((n, p) => n + p.size, 0);
  const result = await onBackend(o.backend, () => {
    log(`${name} ${describe} (${parameterCount.toLocaleString('en-US')} parameters): ${data.xTrain.shape[0]} training digits, ${data.xTest.shape[0]} held out; Adam lr ${o.lr}, batch ${o.batchSize}, ${o.epochs} epochs; on ${backendDescription()}`);
    return trainClassifier({
    name, model, xTrain: toInput(data.xTrain), yTrain: data.yTrain, xTest: toInput(data.xTest), yTest: data.yTest,
    epochs: o.epochs, batchSize: o.batchSize, lr: o.lr, cosine: o.cosine, seed: o.seed,
    log, stream: o.quiet || o.log !== undefined ? NULL_STREAM : process.stdout, graph: o.graph,
    outDir: o.out !== undefined || !o.quiet ? outputDir(example, o.out) : null,
    });
  });
  const totalSeconds = (performance.now() - t0) / 1000;
  log(`test accuracy: ${(100 * result.testAccuracy).toFixed(2)}% on ${data.xTest.shape[0]} held-out digits (training ${result.seconds.toFixed(1)} s, total ${totalSeconds.toFixed(1)} s)`);
  return { ...result, model, parameterCount, totalSeconds };
}
