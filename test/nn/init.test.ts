import { describe, expect, it } from 'vitest';
import { Generator, backward, manualSeed, randn, sum, zeros, type Tensor } from 'tapegrad';
import {
  Linear, calculateFanInAndFanOut, calculateGain, constant_, kaimingNormal_, kaimingUniform_, normal_, ones_, uniform_,
  xavierNormal_, xavierUniform_, zeros_,
} from '@tapegrad/nn';

const values = (t: Tensor): number[] => Array.from(t.data());
const maxAbs = (t: Tensor): number => Math.max(...values(t).map(Math.abs));
const std = (t: Tensor): number => Math.sqrt(t.var().item());

describe('calculateGain and fans', () => {
  it('follows PyTorch\'s table', () => {
    expect(calculateGain('linear')).toBe(1);
    expect(calculateGain('conv2d')).toBe(1);
    expect(calculateGain('sigmoid')).toBe(1);
    expect(calculateGain('tanh')).toBeCloseTo(5 / 3, 15);
    expect(calculateGain('relu')).toBeCloseTo(Math.SQRT2, 15);
    expect(calculateGain('leaky_relu')).toBeCloseTo(Math.sqrt(2 / (1 + 0.01 ** 2)), 15);
    expect(calculateGain('leaky_relu', Math.sqrt(5))).toBeCloseTo(Math.sqrt(1 / 3), 15);
    expect(calculateGain('selu')).toBe(0.75);
    expect(() => calculateGain('swish' as 'relu')).toThrow(/unsupported nonlinearity "swish"/);
  });

  it('computes fan in and fan out with the receptive field', () => {
    expect(calculateFanInAndFanOut(zeros([5, 3]))).toEqual([3, 5]);
    expect(calculateFanInAndFanOut(zeros([8, 4, 3, 3]))).toEqual([36, 72]);
    expect(() => calculateFanInAndFanOut(zeros([5]))).toThrow(/at least 2 dims/);
  });
});

describe('in-place initializers', () => {
  it('fill constants in place, even on parameters outside noGrad', () => {
    const lin = new Linear(3, 2);
    const w = lin.weight;
    expect(zeros_(w)).toBe(w);
    expect(values(w)).toEqual([0, 0, 0, 0, 0, 0]);
    ones_(w);
    expect(values(w)).toEqual([1, 1, 1, 1, 1, 1]);
    constant_(lin.bias!, 0.5);
    expect(values(lin.bias!)).toEqual([0.5, 0.5]);
    expect(w.requiresGrad).toBe(true);
    backward(sum(lin.call(randn([1, 3]))));
    expect(w.grad).not.toBeNull();
  });

  it('uniform_ and normal_ draw from their distributions', () => {
    const t = zeros([200, 100], { dtype: 'float64' });
    uniform_(t, { a: -2, b: 3, seed: 1 });
    expect(Math.min(...values(t))).toBeGreaterThanOrEqual(-2);
    expect(Math.max(...values(t))).toBeLessThan(3);
    expect(t.mean().item()).toBeCloseTo(0.5, 1);
    normal_(t, { mean: 1, std: 2, seed: 2 });
    expect(t.mean().item()).toBeCloseTo(1, 1);
    expect(std(t)).toBeCloseTo(2, 1);
  });

  it('xavier uses gain * sqrt(6 / (fanIn + fanOut)) and gain * sqrt(2 / (fanIn + fanOut))', () => {
    const t = zeros([300, 200], { dtype: 'float64' });
    xavierUniform_(t, { gain: 2, seed: 3 });
    const a = 2 * Math.sqrt(6 / 500);
    expect(maxAbs(t)).toBeLessThanOrEqual(a);
    expect(maxAbs(t)).toBeGreaterThan(0.99 * a);
    xavierNormal_(t, { seed: 4 });
    expect(std(t) / Math.sqrt(2 / 500)).toBeCloseTo(1, 1);
  });

  it('kaiming uses gain / sqrt(fan) with leaky_relu(a) by default and fan_in or fan_out', () => {
    const t = zeros([400, 100], { dtype: 'float64' });
    kaimingUniform_(t, { seed: 5 });
    const bound = Math.sqrt(3) * calculateGain('leaky_relu', 0) / Math.sqrt(100);
    expect(maxAbs(t)).toBeLessThanOrEqual(bound);
    expect(maxAbs(t)).toBeGreaterThan(0.99 * bound);
    kaimingUniform_(t, { a: Math.sqrt(5), mode: 'fan_out', seed: 5 });
    expect(maxAbs(t)).toBeLessThanOrEqual(1 / Math.sqrt(400));
    expect(maxAbs(t)).toBeGreaterThan(0.99 / Math.sqrt(400));
    kaimingNormal_(t, { nonlinearity: 'relu', seed: 6 });
    expect(std(t) / (Math.SQRT2 / 10)).toBeCloseTo(1, 1);
    expect(() => kaimingNormal_(t, { mode: 'fan_avg' as 'fan_in' })).toThrow(/mode must be 'fan_in' or 'fan_out'/);
  });

  it('are reproducible with a seed, a generator or manualSeed', () => {
    const a = zeros([4, 4]), b = zeros([4, 4]);
    expect(values(kaimingUniform_(a, { seed: 9 }))).toEqual(values(kaimingUniform_(b, { seed: 9 })));
    const g1 = new Generator(3), g2 = new Generator(3);
    expect(values(normal_(a, { generator: g1 }))).toEqual(values(normal_(b, { generator: g2 })));
    manualSeed(11);
    xavierUniform_(a);
    manualSeed(11);
    expect(values(xavierUniform_(b))).toEqual(values(a));
  });

  it('reject non-tensors, integer tensors and bad ranges', () => {
    expect(() => uniform_(zeros([2], { dtype: 'int32' }))).toThrow(/float32 or float64/);
    expect(() => uniform_(zeros([2]), { a: 1, b: 0 })).toThrow(/a <= b/);
    expect(() => normal_(zeros([2]), { std: -1 })).toThrow(/std >= 0/);
    expect(() => zeros_([1, 2] as unknown as Tensor)).toThrow(TypeError);
  });
});
