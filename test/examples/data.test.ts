import { describe, expect, it } from 'vitest';
import { flowerData } from '../../packages/examples/src/data/flower.js';
import { MNIST_SIZE, PIXELS, SPLIT_SEED, binaryTask, loadMnist, loadRawDigits, permutation } from '../../packages/examples/src/data/mnist.js';

describe('MNIST from the mnist package', () => {
  it('has the 10,000 real digits, about a thousand of each class, pixels in [0, 1]', () => {
    const raw = loadRawDigits();
    expect(raw.labels.length).toBe(MNIST_SIZE);
    expect(raw.pixels.length).toBe(MNIST_SIZE * PIXELS);
    const counts = new Array<number>(10).fill(0);
    for (const l of raw.labels) counts[l]!++;
    for (const c of counts) expect(c).toBeGreaterThan(800);
    let lo = Infinity, hi = -Infinity, ink = 0;
    for (const v of raw.pixels) { lo = Math.min(lo, v); hi = Math.max(hi, v); if (v > 0.5) ink++; }
    expect(lo).toBe(0);
    expect(hi).toBeCloseTo(1, 5);
    // Handwriting covers roughly a tenth to a fifth of a 28x28 image.
    expect(ink / raw.pixels.length).toBeGreaterThan(0.05);
    expect(ink / raw.pixels.length).toBeLessThan(0.3);
  });

  it('splits 8,000/2,000 into float32 [N, 784] images and int32 labels', () => {
    const s = loadMnist();
    expect(s.xTrain.shape).toEqual([8000, 784]);
    expect(s.xTest.shape).toEqual([2000, 784]);
    expect(s.yTrain.shape).toEqual([8000]);
    expect(s.yTest.shape).toEqual([2000]);
    expect(s.xTrain.dtype).toBe('float32');
    expect(s.yTrain.dtype).toBe('int32');
    expect(s.xTrain.max().item()).toBeLessThanOrEqual(1);
    expect(s.xTrain.min().item()).toBeGreaterThanOrEqual(0);
    const testCounts = new Array<number>(10).fill(0);
    for (const l of s.yTest.data()) testCounts[l]!++;
    for (const c of testCounts) expect(c).toBeGreaterThan(150);   // every class is represented in the held-out set
  });

  it('is deterministic and the train and test digits are disjoint', () => {
    const a = loadMnist({ trainSize: 50, testSize: 50 });
    const b = loadMnist({ trainSize: 50, testSize: 50 });
    expect(Array.from(a.yTrain.data())).toEqual(Array.from(b.yTrain.data()));
    expect(Array.from(a.xTest.data().subarray(0, 2000))).toEqual(Array.from(b.xTest.data().subarray(0, 2000)));
    const perm = permutation(MNIST_SIZE, SPLIT_SEED);
    expect(new Set(perm).size).toBe(MNIST_SIZE);
    const train = new Set(perm.subarray(0, 8000));
    for (const i of perm.subarray(8000)) expect(train.has(i)).toBe(false);
    // A subset is the start of the full split.
    expect(Array.from(loadMnist().yTrain.data().subarray(0, 50))).toEqual(Array.from(a.yTrain.data()));
  });

  it('gives a binary task in course layout: X (784, m), Y (1, m)', () => {
    const s = loadMnist({ trainSize: 300, testSize: 10 });
    const { X, Y } = binaryTask(s.xTrain, s.yTrain, [0]);
    expect(X.shape).toEqual([784, 300]);
    expect(Y.shape).toEqual([1, 300]);
    const labels = s.yTrain.data(), y = Y.data();
    for (let i = 0; i < 300; i++) expect(y[i]).toBe(labels[i] === 0 ? 1 : 0);
    // Column i of X is image i.
    expect(Array.from(X.slice([0, 7], [784, 8]).data())).toEqual(Array.from(s.xTrain.slice([7], [8]).data()));
  });

  it('rejects subset sizes outside the split', () => {
    expect(() => loadMnist({ trainSize: 8001 })).toThrow(/trainSize/);
    expect(() => loadMnist({ testSize: 0 })).toThrow(/testSize/);
  });
});

describe('the planar flower data set', () => {
  it('has X (2, m), Y (1, m), half of each class, petals out to the radius', () => {
    const d = flowerData({ m: 400, seed: 1 });
    expect(d.X.shape).toEqual([2, 400]);
    expect(d.Y.shape).toEqual([1, 400]);
    expect(d.Y.sum().item()).toBe(200);
    const r = d.X.square().sum(0).sqrt();
    expect(r.max().item()).toBeGreaterThan(3.5);
    expect(r.max().item()).toBeLessThan(5);
  });

  it('is reproducible from its seed and changes with it', () => {
    const a = flowerData({ seed: 7 }), b = flowerData({ seed: 7 }), c = flowerData({ seed: 8 });
    expect(Array.from(a.X.data())).toEqual(Array.from(b.X.data()));
    expect(Array.from(a.X.data())).not.toEqual(Array.from(c.X.data()));
  });

  it('is not linearly separable along either axis: each class has points on both sides', () => {
    const d = flowerData({ seed: 1 });
    for (const cls of [0, 1]) {
      const xs = Array.from(d.x1).filter((_, i) => d.labels[i] === cls);
      expect(xs.some((v) => v > 1)).toBe(true);
      expect(xs.some((v) => v < -1)).toBe(true);
    }
  });

  it('rejects an odd number of examples', () => {
    expect(() => flowerData({ m: 7 })).toThrow(/even/);
  });
});
