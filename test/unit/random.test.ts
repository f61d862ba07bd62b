import { describe, expect, it } from 'vitest';
import { Generator, manualSeed, rand, randint, randn, randperm } from '@tapegrad/tensor';
import { exactCosSin2Pi, exactLog } from '../../packages/tensor/src/exact-math.js';

describe('seeded random numbers', () => {
  it('the same seed gives the same numbers; manualSeed resets the default stream', () => {
    expect(randn([5], { seed: 42 }).toArray()).toEqual(randn([5], { seed: 42 }).toArray());
    manualSeed(3);
    const a = rand([4]).toArray();
    manualSeed(3);
    expect(rand([4]).toArray()).toEqual(a);
    expect(randn([5], { seed: 1 }).toArray()).not.toEqual(randn([5], { seed: 2 }).toArray());
  });

  it('a Generator is an independent stream', () => {
    const g1 = new Generator(7);
    const g2 = new Generator(7);
    const first = rand([3], { generator: g1 }).toArray();
    rand([100]); // the default stream moves; g2 does not care
    expect(rand([3], { generator: g2 }).toArray()).toEqual(first);
    expect(rand([3], { generator: g1 }).toArray()).not.toEqual(first);
  });

  it('uniform samples lie in [0, 1) with mean 1/2; normal samples have mean 0 and variance 1', () => {
    const u = Array.from(rand([20000], { seed: 11, dtype: 'float64' }).data());
    expect(Math.min(...u)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u)).toBeLessThan(1);
    expect(Math.abs(u.reduce((a, b) => a + b, 0) / u.length - 0.5)).toBeLessThan(0.01);
    const n = Array.from(randn([20000], { seed: 12, dtype: 'float64' }).data());
    const mean = n.reduce((a, b) => a + b, 0) / n.length;
    const variance = n.reduce((a, b) => a + (b - mean) ** 2, 0) / n.length;
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(variance - 1)).toBeLessThan(0.03);
  });

  it('randint stays in [low, high) and hits every value', () => {
    const r = randint(-2, 3, [1000], { seed: 5 }).data();
    expect(new Set(r)).toEqual(new Set([-2, -1, 0, 1, 2]));
  });

  it('randperm is a seeded permutation of 0..n-1 (int32), fresh on each call from one generator', () => {
    const p = Array.from(randperm(1000, { seed: 4 }).data());
    expect(randperm(3).dtype).toBe('int32');
    expect([...p].sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(p).not.toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(Array.from(randperm(1000, { seed: 4 }).data())).toEqual(p);
    const g = new Generator(4);
    expect(Array.from(randperm(1000, { generator: g }).data())).toEqual(p);
    expect(Array.from(randperm(1000, { generator: g }).data())).not.toEqual(p);
    expect(randperm(0).shape).toEqual([0]);
    expect(() => randperm(-1)).toThrow(/randperm: expected a non-negative integer n, got -1/);
  });

  it('rejects bad seeds and bounds', () => {
    expect(() => new Generator(-1)).toThrow(RangeError);
    expect(() => new Generator(1.5)).toThrow(RangeError);
    expect(() => randint(3, 3, [1])).toThrow(RangeError);
  });
});

describe('the engine-independent log and sin/cos behind normal samples', () => {
  it('agree with Math.log, Math.cos and Math.sin to a few ulp', () => {
    const g = new Generator(21);
    for (let i = 0; i < 20000; i++) {
      const x = g.random() * 10 ** -(i % 300) + Number.MIN_VALUE;
      expect(Math.abs(exactLog(x) - Math.log(x))).toBeLessThanOrEqual(2 * Number.EPSILON * Math.abs(Math.log(x)));
      const u = g.random();
      const [c, s] = exactCosSin2Pi(u);
      expect(Math.abs(c - Math.cos(2 * Math.PI * u))).toBeLessThanOrEqual(8 * Number.EPSILON);
      expect(Math.abs(s - Math.sin(2 * Math.PI * u))).toBeLessThanOrEqual(8 * Number.EPSILON);
    }
    expect(exactLog(1)).toBe(0);
    expect(exactLog(0)).toBe(-Infinity);
  });
});
