import { describe, expect, it } from 'vitest';
import { Generator, ShapeError, concat, le, ones, randn, reshape, tensor, zeros, type Tensor } from 'tapegrad';
import {
  AdaptiveAvgPool2d, AdaptiveMaxPool2d, AvgPool1d, ConvTranspose1d, ConvTranspose2d, ELU, GRU, GroupNorm, Hardswish, Hardtanh, InstanceNorm1d,
  InstanceNorm2d, LayerNorm, LSTM, MaxPool1d, Mish, MultiheadAttention, PReLU, RMSNorm, RNN, Sequential, SiLU, Softsign, TransformerDecoder,
  TransformerDecoderLayer, TransformerEncoder, TransformerEncoderLayer, Unflatten, Upsample, scaledDotProductAttention, type Module,
} from '@tapegrad/nn';
import { checkModuleGrad } from './helpers.js';

const f64 = (shape: number[], seed: number): Tensor => randn(shape, { dtype: 'float64', seed });
/** Values in (-3, 3) kept 0.1 away from the kinks of relu-like functions at `kinks`. */
const offKinks = (shape: number[], seed: number, kinks: number[]): Tensor => {
  const t = randn(shape, { dtype: 'float64', seed }).mul(1.5);
  const d = Float64Array.from(t.data(), (v) => (kinks.some((k) => Math.abs(v - k) < 0.1) ? v + 0.25 : v));
  return tensor(d, { shape });
};
const flat = (...ts: (Tensor | null)[]): Tensor => concat(ts.filter((t): t is Tensor => t !== null).map((t) => reshape(t, [-1])), 0);
const close = (a: Tensor, b: Tensor, tol = 1e-12): void => {
  expect(a.shape).toEqual(b.shape);
  const x = a.data(), y = b.data();
  for (let i = 0; i < y.length; i++) expect(Math.abs(x[i]! - y[i]!), `element ${i}: ${x[i]} vs ${y[i]}`).toBeLessThanOrEqual(tol);
};

describe('every second-release layer passes a float64 gradient check through its inputs and parameters', () => {
  const cases: [string, Module, Tensor[], ((m: Module, ...xs: Tensor[]) => Tensor)?][] = [
    ['SiLU', new SiLU(), [f64([3, 4], 1)]],
    ['Mish', new Mish(), [f64([3, 4], 2)]],
    ['ELU', new ELU(0.5), [offKinks([3, 4], 3, [0])]],
    ['PReLU per channel', new PReLU(3, 0.2), [offKinks([2, 3, 4], 4, [0])]],
    ['Hardtanh', new Hardtanh(-1, 0.5), [offKinks([3, 4], 5, [-1, 0.5])]],
    ['Hardswish', new Hardswish(), [offKinks([3, 5], 6, [-3, 3]).mul(1.5)]],
    ['Softsign', new Softsign(), [offKinks([3, 4], 7, [0])]],
    ['GroupNorm', new GroupNorm(2, 4, { seed: 1 }), [f64([2, 4, 3], 8)]],
    ['RMSNorm', new RMSNorm([2, 3]), [f64([2, 2, 3], 9)]],
    ['InstanceNorm1d (affine, tracked)', new InstanceNorm1d(2, { affine: true, trackRunningStats: true }), [f64([2, 2, 5], 10)]],
    ['InstanceNorm2d (eval, running stats)', new InstanceNorm2d(2, { affine: true, trackRunningStats: true }).eval(), [f64([2, 2, 3, 3], 11)]],
    ['ConvTranspose2d', new ConvTranspose2d(2, 4, 3, { stride: 2, padding: 1, outputPadding: 1, groups: 2, seed: 2 }), [f64([1, 2, 3, 3], 12)]],
    ['ConvTranspose1d', new ConvTranspose1d(2, 2, 3, { stride: 3, dilation: 2, seed: 3 }), [f64([2, 2, 4], 13)]],
    ['MaxPool1d', new MaxPool1d(2, { stride: 1 }), [tensor(Float64Array.from([3, 1, 4, 1.5, 5, 9, 2, 6, 5.5, 3.5]), { shape: [1, 2, 5] })]],
    ['AvgPool1d', new AvgPool1d(3, { stride: 2, padding: 1 }), [f64([2, 2, 7], 14)]],
    ['AdaptiveAvgPool2d', new AdaptiveAvgPool2d([2, 3]), [f64([1, 2, 5, 4], 15)]],
    ['AdaptiveMaxPool2d', new AdaptiveMaxPool2d(2), [f64([1, 1, 5, 5], 16)]],
    ['Upsample bilinear', new Upsample({ scaleFactor: 1.5, mode: 'bilinear' }), [f64([1, 2, 3, 2], 17)]],
    ['Upsample nearest', new Upsample({ size: [3, 5] }), [f64([1, 1, 2, 3], 18)]],
    ['Unflatten', new Unflatten(-1, [2, -1]), [f64([3, 6], 19)]],
    ['LSTM bidirectional, 2 layers, projections', new LSTM(2, 2, { numLayers: 2, bidirectional: true, projSize: 1, seed: 4 }), [f64([1, 3, 2], 20)]],
    ['GRU bidirectional', new GRU(2, 3, { bidirectional: true, seed: 5 }), [f64([2, 3, 2], 21)]],
    ['RNN 2 layers, bidirectional, dropout (eval)', new RNN(2, 2, { numLayers: 2, bidirectional: true, dropout: 0.5, seed: 6 }).eval(), [f64([1, 3, 2], 22)]],
    ['scaledDotProductAttention', new Sequential(), [f64([2, 3, 2], 23), f64([2, 4, 2], 24), f64([2, 4, 3], 25)],
      (_m, q, k, v) => scaledDotProductAttention(q!, k!, v!, { attnMask: le(reshape(tensor(new Int32Array([0, 1, 2, 3])), [1, 4]), 2) })],
    ['MultiheadAttention (kdim, vdim, key padding, weights per head)', new MultiheadAttention(4, 2, { kdim: 3, vdim: 2, seed: 7 }),
      [f64([2, 3, 4], 26), f64([2, 4, 3], 27), f64([2, 4, 2], 28)],
      (m, q, k, v) => {
        const kpm = tensor([[false, false, true, false], [false, false, false, true]]);
        const [out, w] = (m as MultiheadAttention).call(q!, k!, v!, { keyPaddingMask: kpm, averageAttnWeights: false });
        return flat(out, w);
      }],
    ['TransformerEncoderLayer (pre-norm, gelu)', new TransformerEncoderLayer(4, 2, { dimFeedforward: 6, dropout: 0, normFirst: true, activation: 'gelu', seed: 8 }),
      [f64([2, 3, 4], 29)], (m, x) => (m as TransformerEncoderLayer).call(x!, { isCausal: true })],
    ['TransformerDecoder (2 post-norm layers, final norm)', new TransformerDecoder(new TransformerDecoderLayer(2, 1, { dimFeedforward: 3, dropout: 0, seed: 9 }), 2, { norm: new LayerNorm(2) }),
      [f64([1, 3, 2], 30), f64([1, 2, 2], 31)], (m, t, mem) => (m as TransformerDecoder).call(t!, mem!, { tgtIsCausal: true })],
  ];
  for (const [name, m, inputs, run] of cases) {
    it(name, () => {
      const r = checkModuleGrad(m, inputs, run);
      expect(r.ok, JSON.stringify(r)).toBe(true);
    });
  }
});

describe('attention', () => {
  it('scaledDotProductAttention: isCausal is the lower-triangular bool mask; masks and errors', () => {
    const [q, k, v] = [f64([2, 4, 3], 1), f64([2, 4, 3], 2), f64([2, 4, 2], 3)];
    const tri = le(reshape(tensor(new Int32Array([0, 1, 2, 3])), [1, 4]), reshape(tensor(new Int32Array([0, 1, 2, 3])), [4, 1]));
    close(scaledDotProductAttention(q, k, v, { isCausal: true }), scaledDotProductAttention(q, k, v, { attnMask: tri }));
    // A float mask of 0 / -Infinity is the same as the bool mask.
    const additive = tensor(Float64Array.from(tri.data(), (b) => (b ? 0 : -Infinity)), { shape: [4, 4] });
    close(scaledDotProductAttention(q, k, v, { attnMask: additive }), scaledDotProductAttention(q, k, v, { attnMask: tri }));
    // A query that may attend to nothing gives NaN, as in PyTorch.
    const none = scaledDotProductAttention(q, k, v, { attnMask: zeros([4, 4], { dtype: 'bool' }) });
    expect(Array.from(none.data()).every(Number.isNaN)).toBe(true);
    expect(() => scaledDotProductAttention(q, k, v, { isCausal: true, attnMask: tri })).toThrow(/give either attnMask or isCausal/);
    expect(() => scaledDotProductAttention(q, f64([2, 4, 2], 4), v)).toThrow(ShapeError);
    expect(() => scaledDotProductAttention(q, k, v, { dropoutP: 2 })).toThrow(/dropout probability in \[0, 1\], got 2/);
  });

  it('scaledDotProductAttention: dropout on the weights, drawn from a generator, keeps the mean', () => {
    // With v = 1 each output is the sum of its (kept, rescaled) weights: 1 without dropout.
    const [q, k, v] = [f64([1, 400, 2], 5), f64([1, 5, 2], 6), ones([1, 5, 1], { dtype: 'float64' })];
    const a = scaledDotProductAttention(q, k, v, { dropoutP: 0.5, generator: new Generator(3) });
    close(a, scaledDotProductAttention(q, k, v, { dropoutP: 0.5, generator: new Generator(3) }));
    const values = Array.from(a.data());
    expect(values.some((x) => Math.abs(x - 1) > 0.1)).toBe(true);
    expect(Math.abs(values.reduce((s, x) => s + x, 0) / values.length - 1)).toBeLessThan(0.1);
    close(scaledDotProductAttention(q, k, v), ones([1, 400, 1], { dtype: 'float64' }), 1e-12);
  });

  it('MultiheadAttention: PyTorch parameter names, shapes and initialization', () => {
    const m = new MultiheadAttention(8, 2, { seed: 1 });
    expect(m.namedParameters().map(([n, p]) => [n, p.shape])).toEqual([
      ['in_proj_weight', [24, 8]], ['in_proj_bias', [24]], ['out_proj.weight', [8, 8]], ['out_proj.bias', [8]],
    ]);
    expect(Array.from(m.in_proj_bias!.data()).every((x) => x === 0)).toBe(true);
    expect(Array.from(m.out_proj.bias!.data()).every((x) => x === 0)).toBe(true);
    // xavier-uniform over the packed [3E, E] matrix: bound sqrt(6 / (E + 3E)).
    const bound = Math.sqrt(6 / 32);
    const w = Array.from(m.in_proj_weight!.data(), Math.abs);
    expect(Math.max(...w)).toBeLessThanOrEqual(bound);
    expect(Math.max(...w)).toBeGreaterThan(0.9 * bound);
    const sep = new MultiheadAttention(6, 3, { kdim: 4, vdim: 5, bias: false });
    expect(sep.namedParameters().map(([n, p]) => [n, p.shape])).toEqual([
      ['q_proj_weight', [6, 6]], ['k_proj_weight', [6, 4]], ['v_proj_weight', [6, 5]], ['out_proj.weight', [6, 6]],
    ]);
    expect(() => new MultiheadAttention(6, 4)).toThrow(/embedDim \(6\) must be divisible by numHeads \(4\)/);
  });

  it('MultiheadAttention: isCausal equals the explicit causal mask; shapes of averaged and per-head weights; mask errors', () => {
    const m = new MultiheadAttention(4, 2, { seed: 2 }).to('float64');
    const x = f64([2, 3, 4], 7);
    const upper = tensor([[false, true, true], [false, false, true], [false, false, false]]); // true = forbidden
    const [a, wa] = m.call(x, x, x, { isCausal: true });
    const [b, wb] = m.call(x, x, x, { attnMask: upper });
    close(a, b);
    close(wa!, wb!);
    expect(wa!.shape).toEqual([2, 3, 3]);
    expect(m.call(x, x, x, { averageAttnWeights: false })[1]!.shape).toEqual([2, 2, 3, 3]);
    expect(() => m.call(x, x, x, { attnMask: ones([3, 4], { dtype: 'bool' }) })).toThrow(/expected attnMask \[3, 3\] or \[4, 3, 3\]/);
    expect(() => m.call(x, x, x, { keyPaddingMask: ones([3], { dtype: 'bool' }) })).toThrow(/expected keyPaddingMask \[2,3\]/);
    expect(() => m.call(x, f64([2, 3, 5], 1), x)).toThrow(/MultiheadAttention: expected key \[batch, seq, 4\], got \[2,3,5\]/);
  });

  it('MultiheadAttention: attention dropout only while training, reproducible from a seed', () => {
    const run = (training: boolean): Tensor => {
      const m = new MultiheadAttention(4, 2, { dropout: 0.5, seed: 3 }).to('float64').train(training);
      const x = f64([1, 5, 4], 8);
      return m.call(x, x, x)[0];
    };
    close(run(true), run(true));
    const m = new MultiheadAttention(4, 2, { dropout: 0.5, seed: 3 }).to('float64');
    const x = f64([1, 5, 4], 8);
    const first = m.call(x, x, x)[0];
    const second = m.call(x, x, x)[0];
    expect(Array.from(first.data())).not.toEqual(Array.from(second.data()));
    m.eval();
    close(m.call(x, x, x)[0], m.call(x, x, x)[0]);
  });
});

describe('transformers', () => {
  it('TransformerEncoder stacks independent copies of the layer under PyTorch names', () => {
    const layer = new TransformerEncoderLayer(4, 2, { dimFeedforward: 8, seed: 1 });
    const enc = new TransformerEncoder(layer, 3, { norm: new LayerNorm(4) });
    const names = enc.namedParameters().map(([n]) => n);
    expect(names.slice(0, 4)).toEqual(['layers.0.self_attn.in_proj_weight', 'layers.0.self_attn.in_proj_bias', 'layers.0.self_attn.out_proj.weight', 'layers.0.self_attn.out_proj.bias']);
    expect(names.filter((n) => n.startsWith('layers.2.'))).toHaveLength(12);
    expect(names.slice(-2)).toEqual(['norm.weight', 'norm.bias']);
    // Copies start equal to the layer but share nothing with it or each other.
    expect(Array.from(enc.layers[1]!.linear1.weight.data())).toEqual(Array.from(layer.linear1.weight.data()));
    expect(enc.layers[1]!.linear1.weight).not.toBe(enc.layers[0]!.linear1.weight);
    expect(enc.layers[1]!.linear1.weight).not.toBe(layer.linear1.weight);
    expect(() => new TransformerEncoder(new LayerNorm(4) as never, 2)).toThrow(/expected a TransformerEncoderLayer to stack, got LayerNorm/);
  });

  it('dropout (default 0.1) acts in training only; isCausal equals the causal srcMask', () => {
    const layer = new TransformerEncoderLayer(4, 2, { dimFeedforward: 8, seed: 2 }).to('float64');
    const x = f64([2, 3, 4], 3);
    expect(Array.from(layer.call(x).data())).not.toEqual(Array.from(layer.call(x).data()));
    layer.eval();
    close(layer.call(x), layer.call(x));
    const mask = tensor([[0, -Infinity, -Infinity], [0, 0, -Infinity], [0, 0, 0]], { dtype: 'float64' });
    close(layer.call(x, { isCausal: true }), layer.call(x, { srcMask: mask }));
  });

  it('checks its options', () => {
    expect(() => new TransformerEncoderLayer(4, 2, { activation: 'tanh' as never })).toThrow(/activation must be 'relu', 'gelu' or a function/);
    expect(() => new TransformerDecoderLayer(5, 2)).toThrow(/^TransformerDecoderLayer: expected dModel \(5\) to be divisible by nhead \(2\)/);
    const custom = new TransformerEncoderLayer(4, 2, { activation: (t) => t.tanh(), dropout: 0, dimFeedforward: 4, bias: false });
    expect(custom.namedParameters().some(([n]) => n.endsWith('bias'))).toBe(false);
    expect(custom.call(randn([1, 2, 4])).shape).toEqual([1, 2, 4]);
  });
});

describe('recurrent layers: stacking, directions, projections', () => {
  it('names parameters as PyTorch (reverse direction, projections)', () => {
    const lstm = new LSTM(3, 4, { numLayers: 2, bidirectional: true, projSize: 2 });
    expect(lstm.namedParameters().map(([n, p]) => `${n}${JSON.stringify(p.shape)}`)).toEqual([
      'weight_ih_l0[16,3]', 'weight_hh_l0[16,2]', 'bias_ih_l0[16]', 'bias_hh_l0[16]', 'weight_hr_l0[2,4]',
      'weight_ih_l0_reverse[16,3]', 'weight_hh_l0_reverse[16,2]', 'bias_ih_l0_reverse[16]', 'bias_hh_l0_reverse[16]', 'weight_hr_l0_reverse[2,4]',
      'weight_ih_l1[16,4]', 'weight_hh_l1[16,2]', 'bias_ih_l1[16]', 'bias_hh_l1[16]', 'weight_hr_l1[2,4]',
      'weight_ih_l1_reverse[16,4]', 'weight_hh_l1_reverse[16,2]', 'bias_ih_l1_reverse[16]', 'bias_hh_l1_reverse[16]', 'weight_hr_l1_reverse[2,4]',
    ]);
    const [out, [h, c]] = lstm.forwardWithState(randn([5, 6, 3]));
    expect([out.shape, h.shape, c.shape]).toEqual([[5, 6, 4], [4, 5, 2], [4, 5, 4]]);
    expect(() => new LSTM(3, 4, { projSize: 4 })).toThrow(/projSize \(4\) must be smaller than hiddenSize \(4\)/);
    expect(() => lstm.forwardWithState(randn([5, 6, 3]), [zeros([2, 5, 2]), zeros([4, 5, 4])])).toThrow(/expected h0 of shape \[4,5,2\]/);
  });

  it('drops out between layers while training only, from its generator', () => {
    const make = (): GRU => new GRU(2, 3, { numLayers: 3, dropout: 0.5, seed: 7 }).to('float64');
    const x = f64([2, 4, 2], 1);
    const a = make();
    const first = a.call(x);
    expect(Array.from(a.call(x).data())).not.toEqual(Array.from(first.data()));
    close(make().call(x), first); // the same seed gives the same masks
    a.eval();
    close(a.call(x), a.call(x));
    // Without dropout the training output is the eval output.
    const plain = new GRU(2, 3, { numLayers: 3, seed: 7 }).to('float64');
    close(plain.call(x), make().eval().call(x));
  });
});

describe('more layers: shapes and errors', () => {
  it('norms', () => {
    expect(() => new GroupNorm(4, 6)).toThrow(/numChannels \(6\) must be divisible by numGroups \(4\)/);
    expect(() => new GroupNorm(2, 4).call(randn([2, 3, 5]))).toThrow(/GroupNorm: expected input \[N, 4, \*\], got \[2,3,5\]/);
    // RMSNorm's default eps is the input dtype's machine epsilon.
    const r = new RMSNorm(2, { elementwiseAffine: false });
    const tiny = tensor([[1e-9, 0]], { dtype: 'float64' });
    close(r.call(tiny), tensor([[1e-9 / Math.sqrt(0.5e-18 + 2 ** -52), 0]], { dtype: 'float64' }), 1e-15);
    expect(new InstanceNorm1d(3).namedParameters()).toEqual([]);
    expect(Object.keys(new InstanceNorm2d(3, { trackRunningStats: true }).stateDict())).toEqual(['running_mean', 'running_var', 'num_batches_tracked']);
    expect(() => new InstanceNorm1d(3).call(randn([2, 3, 1]))).toThrow(/expected more than 1 spatial element when training/);
    expect(() => new InstanceNorm2d(3).call(randn([2, 4, 3, 3]))).toThrow(/InstanceNorm2d: expected input \[N, 3, H, W\] or \[3, H, W\]/);
  });

  it('transposed convolutions, pooling, resizing', () => {
    const ct = new ConvTranspose2d(4, 6, [3, 2], { stride: [2, 1], groups: 2 });
    expect([ct.weight.shape, ct.bias!.shape]).toEqual([[4, 3, 3, 2], [6]]);
    expect(ct.call(randn([1, 4, 5, 5])).shape).toEqual([1, 6, 11, 6]);
    expect(() => new ConvTranspose1d(2, 2, 3, { stride: 2, outputPadding: 2 }).call(randn([1, 2, 4]))).toThrow(/outputPadding 2 must be smaller than the stride \(2\) or the dilation \(1\)/);
    expect(new MaxPool1d(2).call(randn([2, 3, 7])).shape).toEqual([2, 3, 3]);
    expect(new AdaptiveAvgPool2d([null, 2] as never).call(randn([3, 5, 6])).shape).toEqual([3, 5, 2]);
    expect(new Upsample({ scaleFactor: [2, 3] }).call(randn([1, 1, 2, 2])).shape).toEqual([1, 1, 4, 6]);
    expect(() => new Upsample({ size: 4, scaleFactor: 2 })).toThrow(/exactly one of size and scaleFactor/);
    expect(() => new Upsample({ size: 4, mode: 'bilinear' }).call(randn([1, 2, 3]))).toThrow(/mode 'bilinear' expects input \[N, C, H, W\]/);
    expect(() => new Unflatten(1, [4, 4]).call(randn([2, 12]))).toThrow(/cannot split dim 1 of size 12/);
    expect(new Unflatten(1, [3, -1]).call(randn([2, 12])).shape).toEqual([2, 3, 4]);
    expect(() => new PReLU(3).call(randn([2, 4]))).toThrow(/PReLU: 3 parameters expect input \[N, 3, \.\.\.\], got \[2,4\]/);
  });
});
