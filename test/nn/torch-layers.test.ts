import { describe, expect, it } from 'vitest';
import { add, backward, mul, sum, type Tensor } from 'tapegrad';
import {
  AvgPool2d, BatchNorm1d, BatchNorm2d, Conv1d, Conv2d, Dropout, Embedding, Flatten, GELU, GRU, LayerNorm, LeakyReLU, Linear,
  LogSoftmax, LSTM, MaxPool2d, ReLU, RNN, Sequential, Sigmoid, Softmax, Softplus, Tanh, binaryCrossEntropy,
  binaryCrossEntropyWithLogits, crossEntropy, huberLoss, l1Loss, mseLoss, nllLoss, smoothL1Loss, type Module, type Reduction,
} from '@tapegrad/nn';
import { checkLayerCase, decode, expectClose, readFixture, type EncodedTensor, type LayerCase, type Run } from './helpers.js';

// Agreement with PyTorch (test/nn/torch/make_nn_fixtures.py writes the fixture): torch's state_dict is
// loaded with strict loadStateDict, and outputs, parameter gradients, input gradients and updated
// buffers must match to 1e-7 in float64 (1e-4 in float32).

interface LossCase {
  name: string;
  reduction: Reduction;
  options: Record<string, EncodedTensor | number>;
  inputs: EncodedTensor[];
  output: EncodedTensor;
  cotangent: EncodedTensor;
  grads: (EncodedTensor | null)[];
}

const fixture = readFixture<{ torch: string; layers: LayerCase[]; losses: LossCase[] }>('nn-layers.json');

const forward: Run = (m, ...xs) => [(m.forward as (...a: Tensor[]) => Tensor)(...xs)];
const withState = (m: Module, ...xs: Tensor[]): Tensor[] => {
  const [x, ...state] = xs;
  if (m instanceof LSTM) {
    const [out, [h, c]] = m.forwardWithState(x!, state.length > 0 ? [state[0]!, state[1]!] : undefined);
    return [out, h, c];
  }
  const [out, h] = (m as RNN | GRU).forwardWithState(x!, state[0]);
  return [out, h];
};

/** How to build (default float32, tapegrad's own init) and run the tapegrad twin of each fixture case. */
const LAYERS: Record<string, { make: () => Module; run?: Run }> = {
  linear: { make: () => new Linear(4, 3) },
  linear_nobias: { make: () => new Linear(4, 3, { bias: false }) },
  linear_1d: { make: () => new Linear(4, 3) },
  mlp: { make: () => new Sequential(new Linear(4, 6), new Tanh(), new Linear(6, 5), new GELU(), new Linear(5, 3), new Sigmoid()) },
  flatten_linear: { make: () => new Sequential(new Flatten(), new Linear(12, 2)) },
  relu: { make: () => new ReLU() },
  leaky_relu: { make: () => new LeakyReLU(0.2) },
  leaky_relu_default: { make: () => new LeakyReLU() },
  tanh: { make: () => new Tanh() },
  sigmoid: { make: () => new Sigmoid() },
  softplus: { make: () => new Softplus() },
  softplus_beta: { make: () => new Softplus({ beta: 2, threshold: 5 }) },
  gelu: { make: () => new GELU() },
  gelu_tanh: { make: () => new GELU({ approximate: 'tanh' }) },
  softmax: { make: () => new Softmax(1) },
  log_softmax: { make: () => new LogSoftmax(-1) },
  dropout_eval: { make: () => new Dropout(0.5) },
  batchnorm1d_train: { make: () => new BatchNorm1d(3) },
  batchnorm1d_train_3d: { make: () => new BatchNorm1d(3) },
  batchnorm1d_eval: { make: () => new BatchNorm1d(3) },
  batchnorm1d_cumulative: { make: () => new BatchNorm1d(3, { momentum: null }) },
  batchnorm1d_noaffine: { make: () => new BatchNorm1d(3, { affine: false, momentum: 0.3, eps: 1e-3 }) },
  batchnorm2d_train: { make: () => new BatchNorm2d(2) },
  batchnorm2d_eval: { make: () => new BatchNorm2d(2) },
  batchnorm2d_nostats_eval: { make: () => new BatchNorm2d(2, { trackRunningStats: false }) },
  layernorm: { make: () => new LayerNorm(5) },
  layernorm_2d: { make: () => new LayerNorm([3, 4], { eps: 1e-3 }) },
  layernorm_noaffine: { make: () => new LayerNorm(4, { elementwiseAffine: false }) },
  embedding: { make: () => new Embedding(10, 3) },
  embedding_padding: { make: () => new Embedding(10, 3, { paddingIdx: 2 }) },
  conv2d: { make: () => new Conv2d(2, 3, 3) },
  conv2d_stride_pad: { make: () => new Conv2d(2, 4, [3, 2], { stride: 2, padding: 1 }) },
  conv2d_dilation_groups: { make: () => new Conv2d(4, 6, 3, { padding: 2, dilation: 2, groups: 2, bias: false }) },
  conv2d_same: { make: () => new Conv2d(2, 2, 3, { padding: 'same' }) },
  conv1d: { make: () => new Conv1d(3, 2, 3, { stride: 2, padding: 1 }) },
  maxpool2d: { make: () => new MaxPool2d(2) },
  maxpool2d_stride_pad: { make: () => new MaxPool2d(3, { stride: 2, padding: 1 }) },
  maxpool2d_ties: { make: () => new MaxPool2d(3, { stride: 1, padding: 1 }) },
  avgpool2d: { make: () => new AvgPool2d(2) },
  avgpool2d_stride_pad: { make: () => new AvgPool2d(3, { stride: 2, padding: 1 }) },
  conv_net: {
    make: () => new Sequential(new Conv2d(1, 2, 3, { padding: 1 }), new BatchNorm2d(2), new ReLU(), new MaxPool2d(2), new Flatten(), new Linear(8, 3)),
  },
  rnn: { make: () => new RNN(3, 4) },
  rnn_relu_state: { make: () => new RNN(3, 4, { nonlinearity: 'relu' }), run: withState },
  rnn_2layer_nobias: { make: () => new RNN(3, 4, { numLayers: 2, bias: false }), run: withState },
  lstm: { make: () => new LSTM(3, 4) },
  lstm_state: { make: () => new LSTM(3, 4), run: withState },
  lstm_2layer: { make: () => new LSTM(2, 3, { numLayers: 2 }), run: withState },
  lstm_unbatched: { make: () => new LSTM(3, 2), run: withState },
  gru: { make: () => new GRU(3, 4) },
  gru_state: { make: () => new GRU(3, 4), run: withState },
  gru_seq_first: { make: () => new GRU(2, 3, { batchFirst: false }), run: withState },
  linear_f32: { make: () => new Linear(4, 3) },
  conv2d_f32: { make: () => new Conv2d(2, 3, 3, { padding: 1 }) },
  batchnorm2d_train_f32: { make: () => new BatchNorm2d(2) },
  lstm_f32: { make: () => new LSTM(3, 4) },
  gru_f32: { make: () => new GRU(3, 4) },
};

const tolOf = (dtype: string): number => (dtype === 'float64' ? 1e-7 : 1e-4);

describe(`layers agree with PyTorch ${fixture.torch}`, () => {
  it('has a tapegrad twin for every fixture case and a fixture case for every twin', () => {
    expect(Object.keys(LAYERS).sort()).toEqual(fixture.layers.map((c) => c.name).sort());
  });

  it('covers float32 as well as float64', () => {
    expect(fixture.layers.filter((c) => c.dtype === 'float32').length).toBeGreaterThanOrEqual(2);
  });

  for (const c of fixture.layers) {
    it(`${c.name} (${c.dtype}, ${c.mode})`, () => {
      const spec = LAYERS[c.name]!;
      checkLayerCase(c, spec.make(), spec.run ?? forward, tolOf(c.dtype));
    });
  }
});

type LossFn = (xs: Tensor[], opts: Record<string, unknown>) => Tensor;
const LOSSES: Record<string, LossFn> = {
  l1Loss: ([p, t], o) => l1Loss(p!, t!, o),
  mseLoss: ([p, t], o) => mseLoss(p!, t!, o),
  huberLoss: ([p, t], o) => huberLoss(p!, t!, o),
  smoothL1Loss: ([p, t], o) => smoothL1Loss(p!, t!, o),
  binaryCrossEntropy: ([p, t], o) => binaryCrossEntropy(p!, t!, o),
  binaryCrossEntropyWithLogits: ([p, t], o) => binaryCrossEntropyWithLogits(p!, t!, o),
  crossEntropy: ([p, t], o) => crossEntropy(p!, t!, o),
  nllLoss: ([p, t], o) => nllLoss(p!, t!, o),
};

describe(`losses agree with PyTorch ${fixture.torch}`, () => {
  it('has a case for every loss', () => {
    const covered = new Set(fixture.losses.map((c) => c.name.split('_')[0]));
    expect([...covered].sort()).toEqual(Object.keys(LOSSES).sort());
  });

  for (const c of fixture.losses) {
    it(`${c.name} (reduction ${c.reduction})`, () => {
      const fn = LOSSES[c.name.split('_')[0]!]!;
      const opts: Record<string, unknown> = { reduction: c.reduction };
      for (const [k, v] of Object.entries(c.options)) opts[k] = typeof v === 'number' ? v : decode(v);
      const xs = c.inputs.map((e) => decode(e));
      c.grads.forEach((g, i) => {
        if (g !== null) xs[i]!.requiresGrad_(true);
      });
      const y = fn(xs, opts);
      expectClose(y, decode(c.output), 1e-7, 'loss');
      backward(sum(mul(y, decode(c.cotangent))));
      c.grads.forEach((g, i) => {
        if (g === null) return;
        expect(xs[i]!.grad, `gradient of input ${i}`).not.toBeNull();
        expectClose(xs[i]!.grad!, decode(g), 1e-7, `gradient of input ${i}`);
      });
    });
  }
});
