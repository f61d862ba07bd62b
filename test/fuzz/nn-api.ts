/**
 * The fuzz table for @tapegrad/nn: layers (constructor and call), losses, optimizers (constructor
 * and a step whose gradients may be junk), lr schedules, initializers, DataLoader/TensorDataset and
 * the safetensors bytes functions. Layers and optimizers are built fresh for every case, so no case
 * sees state another left behind.
 */
import fc from 'fast-check';
import * as N from '@tapegrad/nn';
import { Module } from '@tapegrad/nn';
import { Generator, Tensor, tensor, type DType } from '@tapegrad/tensor';
import { floatTensorArb, shapeArb, tensorArb } from './args.js';
import type { ApiEntry } from './contract.js';

type Args = unknown[];
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Ctor = new (...a: any[]) => any;

const entries: ApiEntry[] = [];
const nn = N as unknown as Record<string, Ctor & ((...a: unknown[]) => unknown)>;
const seeded = { seed: 1 };

/** A float input of `shape` now and then, or any float tensor (ranks 0-3, often the wrong shape). */
const inputArb = (...shapes: number[][]): fc.Arbitrary<Tensor> =>
  fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...shapes).chain((s) => floatTensorArb({ shape: fc.constant(s), noGrad: true })) }, { weight: 1, arbitrary: floatTensorArb({ shape: shapeArb(0, 3) }) });

/**
 * A layer: `new Name(...ctor)` with well-formed (and junk) constructor arguments, and a call of a
 * freshly built `new Name(...fixed)` on inputs. `deterministic: false` for layers that draw random numbers.
 */
function layer(name: string, ctor: fc.Arbitrary<Args>, fixed: Args, input: fc.Arbitrary<Args>, more: Partial<ApiEntry> = {}): void {
  const C = nn[name]!;
  entries.push({ id: `new ${name}`, names: [name], args: ctor, call: (...a: unknown[]) => new C(...a), deterministic: false });
  entries.push({
    id: `${name}#call`, names: [name], args: input, ...more,
    call: (...xs: unknown[]) => (new C(...fixed) as Module).call(...(xs as [])),
  });
}
const one = (a: fc.Arbitrary<unknown>): fc.Arbitrary<Args> => a.map((x) => [x]);
const size = fc.integer({ min: 0, max: 4 });
const pos = fc.integer({ min: 1, max: 4 });

layer('Linear', fc.tuple(size, size, fc.constantFrom(undefined, seeded, { bias: false }, { dtype: 'float64' as DType })), [3, 2, seeded], one(inputArb([3], [2, 3], [2, 4])));
layer('Identity', fc.constant([]), [], one(inputArb([2])));
layer('Sequential', fc.constant([]).map(() => [new N.Linear(2, 2, seeded), new N.ReLU()]), [new N.Linear(2, 2, seeded), new N.Tanh()], one(inputArb([2], [3, 2])));
layer('Flatten', fc.tuple(fc.integer({ min: -2, max: 2 }), fc.integer({ min: -2, max: 2 })), [1, -1], one(inputArb([2, 3, 2])));
layer('Unflatten', fc.tuple(fc.integer({ min: -2, max: 2 }), fc.constantFrom([2, 3], [-1, 2], [6])), [1, [2, 3]], one(inputArb([2, 6])));
for (const name of ['ReLU', 'Tanh', 'Sigmoid', 'SiLU', 'Mish', 'Hardswish', 'Softsign']) layer(name, fc.constant([]), [], one(inputArb([2, 3])));
layer('LeakyReLU', fc.tuple(fc.constantFrom(0.01, 0.2)), [0.1], one(inputArb([2, 3])));
layer('ELU', fc.tuple(fc.constantFrom(1, 0.5)), [1], one(inputArb([2, 3])));
layer('Softplus', fc.tuple(fc.constantFrom(undefined, {}, { beta: 2 })), [{}], one(inputArb([2, 3])));
layer('GELU', fc.tuple(fc.constantFrom(undefined, {}, { approximate: 'tanh' })), [{}], one(inputArb([2, 3])));
layer('Softmax', fc.tuple(fc.integer({ min: -2, max: 1 })), [-1], one(inputArb([2, 3])));
layer('LogSoftmax', fc.tuple(fc.integer({ min: -2, max: 1 })), [-1], one(inputArb([2, 3])));
layer('PReLU', fc.tuple(fc.constantFrom(1, 3), fc.constantFrom(0.25, 0.1)), [3], one(inputArb([2, 3])));
layer('Hardtanh', fc.tuple(fc.constantFrom(-1, -2), fc.constantFrom(1, 2)), [-1, 1], one(inputArb([2, 3])));
layer('Dropout', fc.tuple(fc.constantFrom(0, 0.5, 1), fc.constantFrom(undefined, seeded)), [0.5, seeded], one(inputArb([2, 3])), { deterministic: false });
layer('BatchNorm1d', fc.tuple(pos, fc.constantFrom(undefined, {}, { affine: false })), [3], one(inputArb([2, 3], [2, 3, 4])));
layer('BatchNorm2d', fc.tuple(pos, fc.constantFrom(undefined, {})), [2], one(inputArb([2, 2, 3, 3])));
layer('LayerNorm', fc.tuple(fc.constantFrom(3, [3], [2, 3])), [3], one(inputArb([2, 3], [3])));
layer('RMSNorm', fc.tuple(fc.constantFrom(3, [3])), [3], one(inputArb([2, 3])));
layer('GroupNorm', fc.tuple(fc.constantFrom(1, 2), fc.constantFrom(2, 4)), [2, 4], one(inputArb([2, 4, 3])));
layer('InstanceNorm1d', fc.tuple(pos), [2], one(inputArb([1, 2, 4])));
layer('InstanceNorm2d', fc.tuple(pos), [2], one(inputArb([1, 2, 3, 3])));
layer('Embedding', fc.tuple(size, size, fc.constantFrom(undefined, seeded)), [5, 2, seeded], one(fc.oneof(tensorArb({ shape: shapeArb(0, 2), dtypes: ['int32'] }).map((t) => t.abs()), tensorArb())));
layer('Conv1d', fc.tuple(pos, pos, fc.integer({ min: 1, max: 3 }), fc.constantFrom(undefined, seeded, { stride: 2, padding: 1 })), [2, 3, 2, seeded], one(inputArb([1, 2, 5], [2, 5])));
layer('Conv2d', fc.tuple(pos, pos, fc.constantFrom(1, 2, [1, 2]), fc.constantFrom(undefined, seeded, { stride: 2, padding: 1 })), [2, 3, 2, seeded], one(inputArb([1, 2, 4, 4], [2, 3, 3])));
layer('ConvTranspose1d', fc.tuple(pos, pos, fc.integer({ min: 1, max: 3 }), fc.constantFrom(undefined, seeded, { stride: 2 })), [2, 3, 2, seeded], one(inputArb([1, 2, 3])));
layer('ConvTranspose2d', fc.tuple(pos, pos, fc.constantFrom(1, 2), fc.constantFrom(undefined, seeded, { stride: 2 })), [2, 3, 2, seeded], one(inputArb([1, 2, 3, 3])));
layer('MaxPool2d', fc.tuple(fc.constantFrom(1, 2, [2, 1]), fc.constantFrom(undefined, {}, { stride: 1 })), [2], one(inputArb([1, 2, 4, 4])));
layer('AvgPool2d', fc.tuple(fc.constantFrom(1, 2, [2, 1]), fc.constantFrom(undefined, {}, { stride: 1 })), [2], one(inputArb([1, 2, 4, 4])));
layer('MaxPool1d', fc.tuple(fc.constantFrom(1, 2), fc.constantFrom(undefined, {}, { stride: 1 })), [2], one(inputArb([1, 2, 4])));
layer('AvgPool1d', fc.tuple(fc.constantFrom(1, 2), fc.constantFrom(undefined, {}, { stride: 1 })), [2], one(inputArb([1, 2, 4])));
layer('AdaptiveAvgPool2d', fc.tuple(fc.constantFrom(1, 2, [2, null])), [2], one(inputArb([1, 2, 4, 4])));
layer('AdaptiveMaxPool2d', fc.tuple(fc.constantFrom(1, 2, [2, null])), [2], one(inputArb([1, 2, 4, 4])));
layer('Upsample', fc.tuple(fc.constantFrom({ scaleFactor: 2 }, { size: 3 }, { size: [2, 2], mode: 'bilinear' })), [{ scaleFactor: 2 }], one(inputArb([1, 1, 2, 2])));
for (const name of ['RNN', 'LSTM', 'GRU']) {
  layer(name, fc.tuple(pos, pos, fc.constantFrom(undefined, seeded, { numLayers: 2, seed: 1 })), [3, 2, seeded], one(inputArb([2, 1, 3], [4, 3])));
}
layer('MultiheadAttention', fc.tuple(fc.constantFrom(4, 2), fc.constantFrom(1, 2), fc.constantFrom(undefined, seeded)), [4, 2, seeded],
  fc.tuple(inputArb([3, 4], [1, 3, 4]), inputArb([3, 4], [1, 3, 4]), inputArb([3, 4], [1, 3, 4])));
layer('TransformerEncoderLayer', fc.tuple(fc.constantFrom(4), fc.constantFrom(1, 2), fc.constantFrom(undefined, { seed: 1, dropout: 0 })), [4, 2, { seed: 1, dropout: 0, dimFeedforward: 8 }], one(inputArb([3, 4], [1, 3, 4])));
layer('TransformerDecoderLayer', fc.tuple(fc.constantFrom(4), fc.constantFrom(1, 2), fc.constantFrom(undefined, { seed: 1, dropout: 0 })), [4, 2, { seed: 1, dropout: 0, dimFeedforward: 8 }], fc.tuple(inputArb([3, 4]), inputArb([2, 4])));
const enc = (): N.TransformerEncoderLayer => new N.TransformerEncoderLayer(4, 2, { seed: 1, dropout: 0, dimFeedforward: 8 });
const dec = (): N.TransformerDecoderLayer => new N.TransformerDecoderLayer(4, 2, { seed: 1, dropout: 0, dimFeedforward: 8 });
layer('TransformerEncoder', fc.tuple(fc.constant(null).map(enc), fc.constantFrom(1, 2)), [enc(), 2], one(inputArb([3, 4])));
layer('TransformerDecoder', fc.tuple(fc.constant(null).map(dec), fc.constantFrom(1, 2)), [dec(), 2], fc.tuple(inputArb([3, 4]), inputArb([2, 4])));
entries.push({
  id: 'scaledDotProductAttention', names: ['scaledDotProductAttention'], call: N.scaledDotProductAttention,
  args: fc.tuple(inputArb([2, 3]), inputArb([2, 3]), inputArb([2, 3]), fc.constantFrom(undefined, {}, { isCausal: true })),
});

// ---- losses -----------------------------------------------------------------------------------------

const pairArb = fc.tuple(shapeArb(0, 2)).chain(([s]) => fc.tuple(floatTensorArb({ shape: fc.constant(s) }), floatTensorArb({ shape: fc.constant(s), noGrad: true })));
const lossOpts = fc.constantFrom(undefined, {}, { reduction: 'sum' }, { reduction: 'none' });
for (const name of ['l1Loss', 'mseLoss', 'huberLoss', 'smoothL1Loss', 'binaryCrossEntropyWithLogits']) {
  entries.push({ id: name, names: [name], call: nn[name]!, args: fc.tuple(pairArb, lossOpts).map(([[a, b], o]) => [a, b, o]) });
}
entries.push({ id: 'binaryCrossEntropy', names: ['binaryCrossEntropy'], call: N.binaryCrossEntropy, args: fc.tuple(pairArb, lossOpts).map(([[a, b], o]) => [a.sigmoid(), b.sigmoid(), o]) });
const classArgs = fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })).chain(([n, c]) =>
  fc.tuple(floatTensorArb({ shape: fc.constant([n, c]) }), fc.array(fc.integer({ min: -1, max: c }), { minLength: n, maxLength: n }).map((v) => tensor(Int32Array.from(v))), lossOpts));
for (const name of ['nllLoss', 'crossEntropy']) entries.push({ id: name, names: [name], call: nn[name]!, args: classArgs });

// ---- optimizers and schedules -------------------------------------------------------------------------

/** A parameter and what its .grad is set to before the step: a gradient, or something wrong. */
const gradArb = fc.tuple(fc.constantFrom<number[]>([2], [2, 3]), fc.constantFrom<(s: number[]) => unknown>(
  (s) => tensor(new Float32Array(s.reduce((a, b) => a * b, 1)).fill(0.5), { shape: s }),
  () => null,
  () => 'a',
  () => tensor([1, 2, 3, 4, 5]),
  (s) => tensor(new Float64Array(s.reduce((a, b) => a * b, 1)).fill(0.5), { shape: s }),
  () => 3,
)).map(([s, g]) => [s, g(s)] as const);
const OPTIMIZERS: Record<string, object> = { SGD: { lr: 0.1, momentum: 0.9 }, Adam: {}, AdamW: {}, RMSprop: {}, Adagrad: {}, NAdam: {}, RAdam: {} };
/** A parameter of shape s ([2] when junk replaced the shape). */
const param = (s: unknown): Tensor => {
  const shape = Array.isArray(s) && s.every((d) => d === 2 || d === 3) ? (s as number[]) : [2];
  return N.parameter(tensor(new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(1), { shape: shape.slice() }));
};
for (const [name, opts] of Object.entries(OPTIMIZERS)) {
  const C = nn[name]!;
  entries.push({
    id: `new ${name}`, names: [name], deterministic: false,
    args: fc.tuple(fc.constantFrom([2], [2, 3]).map((s) => [param(s)]), fc.constantFrom(opts, { ...opts, lr: -1 }, { ...opts, weightDecay: 0.1 })),
    call: (ps: unknown, o: unknown) => new C(ps, o),
  });
  entries.push({
    id: `${name}#step`, names: [`${name}.step`], args: gradArb.map(([s, g]) => [s, g]), deterministic: false,
    call: (s: unknown, g: unknown) => {
      const p = param(s);
      const opt = new C([p], opts) as N.Optimizer<N.BaseHyper>;
      (p as { grad: unknown }).grad = g;
      opt.step();
      return p;
    },
  });
}
entries.push({
  id: 'LBFGS#step', names: ['LBFGS.step', 'LBFGS'], args: gradArb.map(([s, g]) => [s, g]), deterministic: false,
  call: (s: unknown, g: unknown) => {
    const p = param(s);
    const opt = new N.LBFGS([p], { maxIter: 2 });
    return opt.step(() => {
      (p as { grad: unknown }).grad = g;
      return tensor(1);
    });
  },
});
entries.push({ id: 'new LBFGS', names: ['LBFGS'], args: fc.tuple(fc.constant(null).map(() => [param([2])]), fc.constantFrom(undefined, {}, { lr: 0.5, maxIter: 3 })), call: (ps, o) => new N.LBFGS(ps, o), deterministic: false });

const sgd = (): N.SGD => new N.SGD([param([2])], { lr: 0.1 });
const SCHEDULES: [string, fc.Arbitrary<unknown>][] = [
  ['StepLR', fc.constantFrom({ stepSize: 2 }, { stepSize: 1, gamma: 0.5 })],
  ['MultiStepLR', fc.constantFrom({ milestones: [1, 3] }, { milestones: [2], gamma: 0.1 })],
  ['ExponentialLR', fc.constantFrom({ gamma: 0.9 })],
  ['CosineAnnealingLR', fc.constantFrom({ tMax: 3 }, { tMax: 2, etaMin: 0.01 })],
  ['LambdaLR', fc.constantFrom((e: number) => 1 / (e + 1))],
  ['MultiplicativeLR', fc.constantFrom(() => 0.9)],
  ['LinearLR', fc.constantFrom(undefined, { startFactor: 0.5, totalIters: 2 })],
  ['ConstantLR', fc.constantFrom(undefined, { factor: 0.5, totalIters: 2 })],
  ['PolynomialLR', fc.constantFrom(undefined, { totalIters: 3, power: 2 })],
  ['CosineAnnealingWarmRestarts', fc.constantFrom({ t0: 2 }, { t0: 1, tMult: 2 })],
  ['OneCycleLR', fc.constantFrom({ maxLr: 0.5, totalSteps: 4 })],
  ['ReduceLROnPlateau', fc.constantFrom(undefined, { patience: 1 })],
];
for (const [name, opts] of SCHEDULES) {
  const C = nn[name]!;
  entries.push({
    id: `new ${name}`, names: [name, `${name}.step`], args: fc.tuple(fc.constant(null).map(sgd), opts, fc.nat(3)), deterministic: false,
    // A fresh optimizer, the schedule, and a few steps of it (ReduceLROnPlateau steps on a metric).
    call: (opt: unknown, o: unknown, steps: unknown) => {
      const s = new C(opt, o) as N.LRScheduler;
      for (let i = 0; i < (typeof steps === 'number' && steps < 10 ? steps : 1); i++) (s.step as (m?: number) => void)(name === 'ReduceLROnPlateau' ? 1 : undefined);
      return s.getLastLr?.() ?? null;
    },
  });
}
entries.push({
  id: 'new SequentialLR', names: ['SequentialLR'], deterministic: false, args: fc.constant(null).map(() => { const o = sgd(); return [o, [new N.ConstantLR(o), new N.StepLR(o, { stepSize: 1 })], [2]]; }),
  call: (o, s, m) => new N.SequentialLR(o, s, m),
});
entries.push({
  id: 'new ChainedScheduler', names: ['ChainedScheduler'], deterministic: false, args: fc.constant(null).map(() => { const o = sgd(); return [[new N.ConstantLR(o), new N.StepLR(o, { stepSize: 1 })]]; }),
  call: (s) => new N.ChainedScheduler(s),
});
entries.push({ id: 'clipGradNorm_', names: ['clipGradNorm_'], deterministic: false, args: fc.tuple(gradArb, fc.constantFrom(1, 0.1, Infinity)).map(([[s, g], m]) => { const p = param(s); (p as { grad: unknown }).grad = g; return [[p], m]; }), call: N.clipGradNorm_ });
entries.push({ id: 'clipGradValue_', names: ['clipGradValue_'], deterministic: false, args: fc.tuple(gradArb, fc.constantFrom(1, 0.1)).map(([[s, g], m]) => { const p = param(s); (p as { grad: unknown }).grad = g; return [[p], m]; }), call: N.clipGradValue_ });

// ---- initializers, data, serialization ------------------------------------------------------------------------

const initTarget = floatTensorArb({ shape: shapeArb(0, 3), noGrad: true }).map((t) => t.clone());
for (const name of ['zeros_', 'ones_']) entries.push({ id: name, names: [name], call: nn[name]!, args: one(initTarget), inPlace: true });
entries.push({ id: 'constant_', names: ['constant_'], call: N.constant_, args: fc.tuple(initTarget, fc.constantFrom(0, 1.5)), inPlace: true });
for (const name of ['uniform_', 'normal_', 'xavierUniform_', 'xavierNormal_', 'kaimingUniform_', 'kaimingNormal_']) {
  entries.push({ id: name, names: [name, 'calculateFanInAndFanOut'], call: nn[name]!, args: fc.tuple(initTarget, fc.constantFrom(undefined, {}, { generator: new Generator(1) })), inPlace: true, deterministic: false });
}
entries.push({ id: 'calculateGain', names: ['calculateGain'], call: N.calculateGain, args: fc.tuple(fc.constantFrom('relu', 'tanh', 'linear', 'leaky_relu', 'selu'), fc.constantFrom(undefined, 0.2)) });
entries.push({ id: 'calculateFanInAndFanOut', names: ['calculateFanInAndFanOut'], call: N.calculateFanInAndFanOut, args: one(tensorArb()) });
entries.push({ id: 'parameter', names: ['parameter'], call: (t: unknown) => N.parameter((t instanceof Tensor ? t.detach().clone() : t) as Tensor), args: one(tensorArb()), deterministic: false });
entries.push({ id: 'buffer', names: ['buffer'], call: (t: unknown) => N.buffer((t instanceof Tensor ? t.detach().clone() : t) as Tensor), args: one(tensorArb()), deterministic: false });
entries.push({
  id: 'functionalCall', names: ['functionalCall', 'Linear'], call: (w: unknown, x: unknown) => N.functionalCall(new N.Linear(3, 2, seeded), { weight: w } as never, x as never),
  args: fc.tuple(inputArb([2, 3]), inputArb([3], [4, 3])),
});

const datasetArgs = fc.tuple(fc.nat(3), fc.nat(3)).chain(([n, m]) => fc.tuple(floatTensorArb({ shape: fc.constant([n, 2]) }), tensorArb({ shape: fc.constant([m]) })));
entries.push({ id: 'new TensorDataset', names: ['TensorDataset'], args: datasetArgs, call: (...ts: unknown[]) => new N.TensorDataset(...(ts as Tensor[])), deterministic: false });
entries.push({
  id: 'new DataLoader', names: ['DataLoader', 'TensorDataset'], deterministic: false,
  args: fc.tuple(floatTensorArb({ shape: fc.tuple(fc.nat(4), fc.constant(2)).map((s) => s as number[]) }).map((t) => new N.TensorDataset(t)), fc.constantFrom(undefined, {}, { batchSize: 2, shuffle: true, seed: 1 }, { batchSize: 3, dropLast: true })),
  // Builds the loader and runs one epoch.
  call: (d, o) => [...new N.DataLoader(d as N.Dataset, o as N.DataLoaderOptions)],
});

const stateDictArb = fc.dictionary(fc.constantFrom('w', 'b', 'layer.0.weight'), tensorArb({ noGrad: true }), { maxKeys: 3 });
entries.push({ id: 'toSafetensorsBytes', names: ['toSafetensorsBytes'], args: fc.tuple(stateDictArb, fc.constantFrom(undefined, {}, { metadata: { a: 'b' } })), call: N.toSafetensorsBytes });
const bytesArb = fc.oneof(stateDictArb.map((sd) => N.toSafetensorsBytes(sd)), fc.uint8Array({ maxLength: 40 }), stateDictArb.chain((sd) => {
  const b = N.toSafetensorsBytes(sd);
  return fc.tuple(fc.nat(b.length), fc.nat(255)).map(([i, v]) => { const c = b.slice(0, Math.max(i, 1)); c[c.length - 1] = v; return c; });
}));
for (const name of ['fromSafetensorsBytes', 'decodeSafetensors']) entries.push({ id: name, names: [name, 'safetensors'], args: one(bytesArb), call: nn[name]!, errors: [N.SafetensorsError], deterministic: false });

export const NN_API: readonly ApiEntry[] = entries;

/** Public names of @tapegrad/nn that are not fuzzed here, with the reason. */
export const NN_NOT_FUZZED: Readonly<Record<string, string>> = {
  Module: 'abstract: fuzzed through every layer (its call runs the layer\'s forward)',
  Optimizer: 'abstract: fuzzed through every optimizer',
  LRScheduler: 'abstract: fuzzed through every schedule',
  StateDictError: 'an Error subclass',
  SafetensorsError: 'an Error subclass',
  saveSafetensors: 'writes files (async): the safetensors tests cover it; its bytes come from toSafetensorsBytes, fuzzed here',
  loadSafetensors: 'reads files (async): the safetensors tests cover it; it decodes through fromSafetensorsBytes, fuzzed here',
};
