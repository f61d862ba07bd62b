import { describe, expect, it } from 'vitest';
import type { Tensor } from 'tapegrad';
import {
  AdaptiveAvgPool2d, AdaptiveMaxPool2d, AvgPool1d, ConvTranspose1d, ConvTranspose2d, ELU, GRU, GroupNorm, Hardswish, Hardtanh, InstanceNorm1d,
  InstanceNorm2d, LayerNorm, Linear, LSTM, MaxPool1d, Mish, MultiheadAttention, PReLU, RMSNorm, RNN, Sequential, SiLU, Softsign,
  TransformerDecoder, TransformerDecoderLayer, TransformerEncoder, TransformerEncoderLayer, Unflatten, Upsample, scaledDotProductAttention,
  type Module,
} from '@tapegrad/nn';
import { checkLayerCase, readFixture, type LayerCase, type Run } from './helpers.js';

// Agreement with PyTorch for the second-release layers (test/nn/torch/make_research_layers.py writes the
// fixture): torch's state dict is loaded with strict loadStateDict, and outputs, parameter gradients,
// input gradients and updated buffers must match to 1e-7 in float64.

const fixture = readFixture<{ torch: string; layers: LayerCase[] }>('nn-research-layers.json');

const forward: Run = (m, ...xs) => [(m.forward as (...a: Tensor[]) => Tensor)(...xs)];
/** [output, hN] or [output, hN, cN], from forwardWithState with the optional initial state. */
const withState: Run = (m, x, ...state) => {
  if (m instanceof LSTM) {
    const [out, [h, c]] = m.forwardWithState(x!, state.length > 0 ? [state[0]!, state[1]!] : undefined);
    return [out, h, c];
  }
  const [out, h] = (m as RNN | GRU).forwardWithState(x!, state[0]);
  return [out, h];
};
const both: Run = (m, q, k, v) => {
  const [out, w] = (m as MultiheadAttention).call(q!, k!, v!);
  return [out, w!];
};
/** scaledDotProductAttention has no parameters: the cases run it beside an empty module. */
const sdpa = (opts: { isCausal?: boolean; scale?: number }): { make: () => Module; run: Run } => ({
  make: () => new Sequential(),
  run: (_m, q, k, v, mask) => [scaledDotProductAttention(q!, k!, v!, { ...opts, attnMask: mask ?? null })],
});
const enc = (o = {}): TransformerEncoderLayer => new TransformerEncoderLayer(8, 2, { dimFeedforward: 16, dropout: 0, ...o });
const dec = (o = {}): TransformerDecoderLayer => new TransformerDecoderLayer(8, 2, { dimFeedforward: 16, dropout: 0, ...o });

const LAYERS: Record<string, { make: () => Module; run?: Run }> = {
  silu: { make: () => new SiLU() },
  mish: { make: () => new Mish() },
  elu: { make: () => new ELU(0.7) },
  prelu: { make: () => new PReLU() },
  prelu_channels: { make: () => new PReLU(3, 0.1) },
  hardtanh: { make: () => new Hardtanh(-0.5, 1.5) },
  hardswish: { make: () => new Hardswish() },
  softsign: { make: () => new Softsign() },
  groupnorm: { make: () => new GroupNorm(2, 6) },
  groupnorm_3d_noaffine: { make: () => new GroupNorm(3, 3, { eps: 1e-3, affine: false }) },
  rmsnorm: { make: () => new RMSNorm(5) },
  rmsnorm_2d_eps: { make: () => new RMSNorm([3, 4], { eps: 1e-3 }) },
  instancenorm1d: { make: () => new InstanceNorm1d(3) },
  instancenorm1d_track_train: { make: () => new InstanceNorm1d(3, { affine: true, trackRunningStats: true, momentum: 0.2 }) },
  instancenorm2d_track_eval: { make: () => new InstanceNorm2d(2, { affine: true, trackRunningStats: true }) },
  instancenorm2d_unbatched: { make: () => new InstanceNorm2d(2, { eps: 1e-3 }) },
  convtranspose2d: { make: () => new ConvTranspose2d(2, 3, 3, { stride: 2, padding: 1, outputPadding: 1 }) },
  convtranspose2d_groups_dilation: { make: () => new ConvTranspose2d(4, 2, [2, 3], { groups: 2, dilation: [2, 1], bias: false }) },
  convtranspose1d: { make: () => new ConvTranspose1d(3, 2, 4, { stride: 2, padding: 1 }) },
  maxpool1d: { make: () => new MaxPool1d(3, { stride: 2, padding: 1 }) },
  avgpool1d: { make: () => new AvgPool1d(4, { stride: 2, padding: 2 }) },
  adaptive_avgpool2d: { make: () => new AdaptiveAvgPool2d([3, 2]) },
  adaptive_maxpool2d: { make: () => new AdaptiveMaxPool2d([2, 4]) },
  upsample_nearest: { make: () => new Upsample({ scaleFactor: 2, mode: 'nearest' }) },
  upsample_bilinear: { make: () => new Upsample({ size: [5, 7], mode: 'bilinear' }) },
  upsample_bilinear_align: { make: () => new Upsample({ scaleFactor: 1.5, mode: 'bilinear', alignCorners: true }) },
  unflatten: { make: () => new Sequential(new Linear(6, 12), new Unflatten(1, [3, 4])) },
  lstm_bidirectional_2layer: { make: () => new LSTM(3, 4, { numLayers: 2, bidirectional: true }), run: withState },
  gru_bidirectional: { make: () => new GRU(3, 4, { bidirectional: true }), run: withState },
  rnn_bidirectional_relu_dropout_eval: { make: () => new RNN(2, 3, { numLayers: 2, nonlinearity: 'relu', bidirectional: true, dropout: 0.5 }), run: withState },
  lstm_proj: { make: () => new LSTM(3, 5, { projSize: 2 }), run: withState },
  lstm_proj_bidirectional_2layer_state: { make: () => new LSTM(2, 4, { numLayers: 2, projSize: 3, bidirectional: true }), run: withState },
  gru_bidirectional_unbatched: { make: () => new GRU(2, 3, { bidirectional: true, batchFirst: false }), run: withState },
  sdpa: sdpa({}),
  sdpa_bool_mask_scale: sdpa({ scale: 0.3 }),
  sdpa_float_mask: sdpa({}),
  sdpa_causal: sdpa({ isCausal: true }),
  mha_self: { make: () => new MultiheadAttention(6, 2), run: both },
  mha_per_head_weights: {
    make: () => new MultiheadAttention(6, 3),
    run: (m, q, k, v) => {
      const [out, w] = (m as MultiheadAttention).call(q!, k!, v!, { averageAttnWeights: false });
      return [out, w!];
    },
  },
  mha_kdim_vdim: { make: () => new MultiheadAttention(6, 2, { kdim: 4, vdim: 3 }), run: both },
  mha_masks: {
    make: () => new MultiheadAttention(6, 2),
    run: (m, q, k, v, keyPaddingMask, attnMask) => {
      const [out, w] = (m as MultiheadAttention).call(q!, k!, v!, { keyPaddingMask, attnMask });
      return [out, w!];
    },
  },
  mha_causal_bool_3d_mask: {
    make: () => new MultiheadAttention(6, 2),
    run: (m, q, k, v, attnMask) => {
      const [out, w] = (m as MultiheadAttention).call(q!, k!, v!, { attnMask });
      return [out, w!];
    },
  },
  mha_nobias_seq_first: { make: () => new MultiheadAttention(6, 2, { bias: false, batchFirst: false }), run: both },
  mha_unbatched_no_weights: {
    make: () => new MultiheadAttention(6, 2, { batchFirst: false }),
    run: (m, q, k, v) => {
      const [out, w] = (m as MultiheadAttention).call(q!, k!, v!, { needWeights: false });
      expect(w).toBeNull();
      return [out];
    },
  },
  encoder_layer: { make: () => enc() },
  encoder_layer_prenorm_gelu_masks: {
    make: () => enc({ normFirst: true, activation: 'gelu', layerNormEps: 1e-6 }),
    run: (m, src, srcMask, srcKeyPaddingMask) => [(m as TransformerEncoderLayer).call(src!, { srcMask, srcKeyPaddingMask })],
  },
  decoder_layer: {
    make: () => dec(),
    run: (m, tgt, memory, tgtMask, memoryKeyPaddingMask) => [(m as TransformerDecoderLayer).call(tgt!, memory!, { tgtMask, memoryKeyPaddingMask })],
  },
  decoder_layer_prenorm_gelu: { make: () => dec({ normFirst: true, activation: 'gelu' }), run: (m, t, mem) => [(m as TransformerDecoderLayer).call(t!, mem!)] },
  encoder_stack: {
    make: () => new TransformerEncoder(enc(), 2, { norm: new LayerNorm(8) }),
    run: (m, src, mask) => [(m as TransformerEncoder).call(src!, { mask })],
  },
  decoder_stack: {
    make: () => new TransformerDecoder(dec(), 2, { norm: new LayerNorm(8) }),
    run: (m, tgt, memory, tgtMask) => [(m as TransformerDecoder).call(tgt!, memory!, { tgtMask })],
  },
};

describe(`second-release layers agree with PyTorch ${fixture.torch}`, () => {
  it('has a tapegrad twin for every fixture case and a fixture case for every twin', () => {
    expect(Object.keys(LAYERS).sort()).toEqual(fixture.layers.map((c) => c.name).sort());
  });

  for (const c of fixture.layers) {
    it(`${c.name} (${c.mode})`, () => {
      const spec = LAYERS[c.name]!;
      checkLayerCase(c, spec.make(), spec.run ?? forward, 1e-7);
    });
  }
});
