import { describe, expect, it } from 'vitest';
import { ShapeError, arange, grad, randn, tensor, type Tensor } from 'tapegrad';
import { AvgPool2d, Conv1d, Conv2d, MaxPool2d } from '@tapegrad/nn';
import { checkModuleGrad } from './helpers.js';

describe('Conv2d', () => {
  it('has PyTorch-shaped parameters and output sizes', () => {
    const c = new Conv2d(4, 6, [3, 2], { groups: 2 });
    expect(c.weight.shape).toEqual([6, 2, 3, 2]);
    expect(c.bias!.shape).toEqual([6]);
    expect(c.call(randn([2, 4, 7, 7])).shape).toEqual([2, 6, 5, 6]);
    // floor((H + 2p - d(k - 1) - 1) / s) + 1
    expect(new Conv2d(1, 1, 3, { stride: 2, padding: 1 }).call(randn([1, 1, 8, 7])).shape).toEqual([1, 1, 4, 4]);
    expect(new Conv2d(1, 1, 3, { dilation: 2 }).call(randn([1, 1, 8, 8])).shape).toEqual([1, 1, 4, 4]);
    expect(new Conv2d(2, 3, 3, { padding: 'same' }).call(randn([2, 5, 5])).shape).toEqual([3, 5, 5]);
  });

  it('initializes within 1/sqrt(fanIn) with fanIn = inChannels / groups * kernel area', () => {
    const c = new Conv2d(8, 16, 3, { groups: 2, seed: 1 });
    const bound = 1 / Math.sqrt(4 * 9);
    const w = Array.from(c.weight.data(), Math.abs);
    expect(Math.max(...w)).toBeLessThanOrEqual(bound);
    expect(Math.max(...w)).toBeGreaterThan(0.95 * bound);
    expect(Math.max(...Array.from(c.bias!.data(), Math.abs))).toBeLessThanOrEqual(bound);
  });

  it('computes a cross-correlation', () => {
    const c = new Conv2d(1, 1, 2, { bias: false });
    c.loadStateDict({ weight: tensor([[[[1, 2], [3, 4]]]]) });
    const x = arange(9).reshape([1, 1, 3, 3]);
    expect(c.call(x).toArray()).toEqual([[[[0 + 2 + 9 + 16, 1 + 4 + 12 + 20], [3 + 8 + 18 + 28, 4 + 10 + 21 + 32]]]]);
  });

  it('names channel mismatches and bad groups', () => {
    expect(() => new Conv2d(3, 2, 3).call(randn([1, 2, 5, 5]))).toThrow(ShapeError);
    expect(() => new Conv2d(3, 2, 3).call(randn([1, 2, 5, 5]))).toThrow(/Conv2d: expected input \[N, 3, H, W\]/);
    expect(() => new Conv2d(3, 4, 3, { groups: 2 })).toThrow(/divisible by groups/);
  });

  it('passes float64 gradient checks', () => {
    const r = checkModuleGrad(new Conv2d(2, 3, 3, { padding: 1, stride: 2 }), [randn([2, 2, 5, 4])]);
    expect(r.ok, JSON.stringify(r)).toBe(true);
    const r2 = checkModuleGrad(new Conv2d(4, 2, 2, { groups: 2, dilation: 2 }), [randn([1, 4, 5, 5])]);
    expect(r2.ok, JSON.stringify(r2)).toBe(true);
  });
});

describe('Conv1d', () => {
  it('has PyTorch-shaped parameters, output sizes and gradients', () => {
    const c = new Conv1d(3, 4, 3, { padding: 1 });
    expect(c.weight.shape).toEqual([4, 3, 3]);
    expect(c.call(randn([2, 3, 6])).shape).toEqual([2, 4, 6]);
    expect(c.call(randn([3, 6])).shape).toEqual([4, 6]);
    const r = checkModuleGrad(new Conv1d(2, 2, 3, { stride: 2 }), [randn([2, 2, 7])]);
    expect(r.ok, JSON.stringify(r)).toBe(true);
  });
});

describe('pooling', () => {
  it('MaxPool2d takes window maxima, stride defaulting to the kernel', () => {
    const x = arange(16).reshape([1, 1, 4, 4]);
    expect(new MaxPool2d(2).call(x).toArray()).toEqual([[[[5, 7], [13, 15]]]]);
    expect(new MaxPool2d(3, { stride: 1 }).call(x).shape).toEqual([1, 1, 2, 2]);
    expect(new MaxPool2d(2, { padding: 1 }).call(x).toArray()).toEqual([[[[0, 2, 3], [8, 10, 11], [12, 14, 15]]]]);
  });

  it('MaxPool2d sends each window\'s gradient to one element, as PyTorch: the first maximum, a NaN, or the first element of an all -Infinity window', () => {
    const gradOf = (x: Tensor, m: MaxPool2d) => grad((t: Tensor) => m.call(t).sum())(x) as Tensor;
    // Ties: the first in window order (row-major).
    expect(gradOf(tensor([[[[1, 3], [3, 2]]]]), new MaxPool2d(2)).toArray()).toEqual([[[[0, 1], [0, 0]]]]);
    // A NaN wins its window, and its value is the window's.
    const withNaN = tensor([[[[1, NaN], [5, 2]]]]);
    expect(Number.isNaN(new MaxPool2d(2).call(withNaN).item())).toBe(true);
    expect(gradOf(withNaN, new MaxPool2d(2)).toArray()).toEqual([[[[0, 1], [0, 0]]]]);
    // All -Infinity: the padding never wins, so each window's gradient reaches its first element in the image.
    const low = tensor([[[[-Infinity, -Infinity], [-Infinity, -Infinity]]]]);
    expect(new MaxPool2d(2, { padding: 1 }).call(low).toArray()).toEqual([[[[-Infinity, -Infinity], [-Infinity, -Infinity]]]]);
    expect(gradOf(low, new MaxPool2d(2, { padding: 1 })).toArray()).toEqual([[[[1, 1], [1, 1]]]]);
    // A dilated window that lies wholly in the padding reads the padding, as PyTorch.
    const one = tensor([[[[4]]]]);
    expect(new MaxPool2d(2, { stride: 1, padding: 1, dilation: 2 }).call(one).toArray()).toEqual([[[[-Infinity]]]]);
    expect(new MaxPool2d(2, { stride: 1, padding: 1, dilation: [1, 2] }).call(tensor([[[[4], [6]]]])).toArray()).toEqual([[[[-Infinity], [-Infinity], [-Infinity]]]]);
  });

  it('AvgPool2d averages windows and counts padded zeros (PyTorch default)', () => {
    const x = arange(16).reshape([1, 1, 4, 4]);
    expect(new AvgPool2d(2).call(x).toArray()).toEqual([[[[2.5, 4.5], [10.5, 12.5]]]]);
    const padded = new AvgPool2d(2, { padding: 1 }).call(x).toArray() as number[][][][];
    expect(padded[0]![0]![0]![0]).toBe(0 / 4);
    expect(padded[0]![0]![0]![1]).toBe((1 + 2) / 4);
  });

  it('pass float64 gradient checks', () => {
    // distinct values so no window has a tie for its maximum
    const x = tensor(Array.from({ length: 2 * 2 * 5 * 5 }, (_, i) => ((i * 37) % 100) / 10), { shape: [2, 2, 5, 5] });
    for (const m of [new MaxPool2d(2), new MaxPool2d(3, { stride: 2, padding: 1 }), new AvgPool2d(2, { stride: 1 }), new AvgPool2d(3, { stride: 2, padding: 1 })]) {
      const r = checkModuleGrad(m, [x]);
      expect(r.ok, `${m.constructor.name}: ${JSON.stringify(r)}`).toBe(true);
    }
  });
});
