import { describe, expect, it } from 'vitest';
import { ShapeError, randn, type Tensor } from 'tapegrad';
import { BatchNorm1d, BatchNorm2d, LayerNorm } from '@tapegrad/nn';
import { checkModuleGrad } from './helpers.js';

const arr = (t: Tensor): number[] => Array.from(t.data());

describe('BatchNorm', () => {
  it('starts with weight 1, bias 0, running mean 0, running var 1', () => {
    const bn = new BatchNorm1d(3);
    expect(arr(bn.weight!)).toEqual([1, 1, 1]);
    expect(arr(bn.bias!)).toEqual([0, 0, 0]);
    expect(arr(bn.running_mean!)).toEqual([0, 0, 0]);
    expect(arr(bn.running_var!)).toEqual([1, 1, 1]);
    expect(bn.num_batches_tracked!.item()).toBe(0);
    expect(bn.eps).toBe(1e-5);
    expect(bn.momentum).toBe(0.1);
  });

  it('normalizes with batch statistics in training and updates running stats with the unbiased variance', () => {
    const bn = new BatchNorm1d(2, { dtype: 'float64' });
    const x = randn([8, 2], { dtype: 'float64' }).mul(3).add(2);
    const y = bn.call(x);
    for (const m of arr(y.mean(0))) expect(Math.abs(m)).toBeLessThan(1e-12);
    for (const v of arr(y.var(0, false, { correction: 0 }))) expect(v).toBeCloseTo(1, 4);
    const mean = arr(x.mean(0));
    const unbiased = arr(x.var(0));
    arr(bn.running_mean!).forEach((r, i) => expect(r).toBeCloseTo(0.1 * mean[i]!, 12));
    arr(bn.running_var!).forEach((r, i) => expect(r).toBeCloseTo(0.9 + 0.1 * unbiased[i]!, 12));
    expect(bn.num_batches_tracked!.item()).toBe(1);
  });

  it('uses running statistics in eval mode and leaves them alone', () => {
    const bn = new BatchNorm2d(2, { dtype: 'float64' });
    for (let i = 0; i < 3; i++) bn.call(randn([4, 2, 3, 3], { dtype: 'float64' }).add(1));
    expect(bn.num_batches_tracked!.item()).toBe(3);
    bn.eval();
    const rm = arr(bn.running_mean!);
    const rv = arr(bn.running_var!);
    const x = randn([2, 2, 2, 2], { dtype: 'float64' });
    const y = bn.call(x);
    const xs = x.toArray() as number[][][][];
    const ys = y.toArray() as number[][][][];
    expect(ys[1]![1]![0]![1]).toBeCloseTo((xs[1]![1]![0]![1]! - rm[1]!) / Math.sqrt(rv[1]! + 1e-5), 12);
    expect(arr(bn.running_mean!)).toEqual(rm);
    expect(bn.num_batches_tracked!.item()).toBe(3);
  });

  it('is a different function in train and eval mode', () => {
    const bn = new BatchNorm1d(3);
    const x = randn([5, 3]).mul(4);
    const train = bn.call(x).toArray();
    expect(bn.eval().call(x).toArray()).not.toEqual(train);
  });

  it('uses a cumulative average with momentum null, and batch statistics in eval without tracking', () => {
    const bn = new BatchNorm1d(1, { momentum: null, dtype: 'float64' });
    const means: number[] = [];
    for (let i = 0; i < 4; i++) {
      const x = randn([6, 1], { dtype: 'float64' }).add(i);
      means.push(x.mean().item());
      bn.call(x);
    }
    expect(bn.running_mean!.item()).toBeCloseTo(means.reduce((a, b) => a + b) / 4, 12);
    const free = new BatchNorm1d(2, { trackRunningStats: false }).eval();
    expect(free.running_mean).toBeNull();
    expect(Object.keys(free.stateDict())).toEqual(['weight', 'bias']);
    const y = free.call(randn([10, 2]).add(5));
    for (const m of arr(y.mean(0))) expect(Math.abs(m)).toBeLessThan(1e-5);
  });

  it('refuses a single value per channel in training and a wrong channel count', () => {
    expect(() => new BatchNorm1d(3).call(randn([1, 3]))).toThrow(/more than 1 value per channel/);
    expect(() => new BatchNorm1d(3).eval().call(randn([1, 3]))).not.toThrow();
    expect(() => new BatchNorm1d(3).call(randn([4, 2]))).toThrow(ShapeError);
    expect(() => new BatchNorm2d(3).call(randn([4, 3, 2]))).toThrow(/BatchNorm2d: expected input \[N, C, H, W\] with C = 3, got \[4,3,2\]/);
  });

  it('passes float64 gradient checks in training and eval mode', () => {
    for (const [bn, x] of [
      [new BatchNorm1d(3), randn([5, 3])],
      [new BatchNorm1d(2), randn([3, 2, 4])],
      [new BatchNorm2d(2), randn([2, 2, 3, 3])],
      [new BatchNorm2d(2).eval(), randn([2, 2, 2, 2])],
    ] as const) {
      const r = checkModuleGrad(bn, [x]);
      expect(r.ok, JSON.stringify(r)).toBe(true);
    }
  });
});

describe('LayerNorm', () => {
  it('normalizes over the trailing dims', () => {
    const ln = new LayerNorm([3, 4], { dtype: 'float64' });
    const x = randn([2, 3, 4], { dtype: 'float64' }).mul(5).add(1);
    const y = ln.call(x);
    for (const m of arr(y.mean([1, 2]))) expect(Math.abs(m)).toBeLessThan(1e-12);
    for (const v of arr(y.var([1, 2], false, { correction: 0 }))) expect(v).toBeCloseTo(1, 5);
    expect(ln.weight!.shape).toEqual([3, 4]);
  });

  it('behaves the same in train and eval mode', () => {
    const ln = new LayerNorm(4);
    const x = randn([3, 4]);
    expect(ln.eval().call(x).toArray()).toEqual(ln.train().call(x).toArray());
  });

  it('names shape mismatches', () => {
    expect(() => new LayerNorm(4).call(randn([3, 5]))).toThrow(/LayerNorm: expected input \[\.\.\., 4\], got \[3,5\]/);
  });

  it('passes float64 gradient checks', () => {
    const r = checkModuleGrad(new LayerNorm(4), [randn([3, 4])]);
    expect(r.ok, JSON.stringify(r)).toBe(true);
    const r2 = checkModuleGrad(new LayerNorm([2, 3], { elementwiseAffine: false }), [randn([2, 2, 3])]);
    expect(r2.ok, JSON.stringify(r2)).toBe(true);
  });
});
