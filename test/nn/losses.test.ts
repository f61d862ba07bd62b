import { describe, expect, it } from 'vitest';
import { ShapeError, backward, checkGrad, detectAnomaly, randn, tensor, type Tensor } from 'tapegrad';
import {
  binaryCrossEntropy, binaryCrossEntropyWithLogits, crossEntropy, huberLoss, l1Loss, mseLoss, nllLoss, smoothL1Loss,
} from '@tapegrad/nn';

const f64 = (v: number[] | number[][]): Tensor => tensor(v, { dtype: 'float64' });
const i32 = (v: number[]): Tensor => tensor(new Int32Array(v));

describe('pointwise losses', () => {
  const p = f64([[1, 2], [3, -4]]);
  const t = f64([[0, 2], [5, -1]]);

  it('compute PyTorch\'s values for each reduction', () => {
    expect(l1Loss(p, t).item()).toBe((1 + 0 + 2 + 3) / 4);
    expect(l1Loss(p, t, { reduction: 'sum' }).item()).toBe(6);
    expect(l1Loss(p, t, { reduction: 'none' }).toArray()).toEqual([[1, 0], [2, 3]]);
    expect(mseLoss(p, t).item()).toBe((1 + 0 + 4 + 9) / 4);
    expect(mseLoss(p, t, { reduction: 'none' }).toArray()).toEqual([[1, 0], [4, 9]]);
    // huber: 0.5 d^2 below delta, delta (|d| - delta / 2) above
    expect(huberLoss(p, t, { reduction: 'none' }).toArray()).toEqual([[0.5, 0], [1.5, 2.5]]);
    expect(huberLoss(p, t, { reduction: 'none', delta: 2 }).toArray()).toEqual([[0.5, 0], [2, 4]]);
    expect(smoothL1Loss(p, t, { reduction: 'none', beta: 2 }).toArray()).toEqual([[0.25, 0], [1, 2]]);
    expect(smoothL1Loss(p, t, { beta: 0, reduction: 'sum' }).item()).toBe(6);
  });

  it('name the loss and both shapes on a shape mismatch, and refuse to broadcast', () => {
    expect(() => mseLoss(randn([4, 1]), randn([4]))).toThrow(ShapeError);
    expect(() => mseLoss(randn([4, 1]), randn([4]))).toThrow(/mseLoss: prediction \[4,1\] and target \[4\] must have the same shape/);
    expect(() => l1Loss(randn([2]), randn([3]))).toThrow(/l1Loss: .*\[2\].*\[3\]/);
    expect(() => huberLoss(randn([2]), randn([2, 1]))).toThrow(ShapeError);
  });

  it('name the loss and both dtypes on a dtype mismatch', () => {
    expect(() => mseLoss(randn([2]), randn([2], { dtype: 'float64' }))).toThrow(TypeError);
    expect(() => mseLoss(randn([2]), randn([2], { dtype: 'float64' }))).toThrow(/mseLoss: expected prediction and target of one float dtype, got float32 \[2\] and float64 \[2\]/);
    expect(() => binaryCrossEntropy(tensor([0.5]), i32([1]))).toThrow(/binaryCrossEntropy: .*float32 \[1\] and int32 \[1\]/);
    expect(() => l1Loss(randn([2]), randn([2]), { reduction: 'avg' as 'mean' })).toThrow(/reduction must be 'mean', 'sum' or 'none'/);
  });

  it('pass float64 gradient checks in both arguments', () => {
    const a = randn([3, 4], { dtype: 'float64' }).mul(2);
    const b = randn([3, 4], { dtype: 'float64' });
    for (const loss of [l1Loss, mseLoss, huberLoss, smoothL1Loss]) {
      const r = checkGrad((x, y) => loss(x, y), [a, b]);
      expect(r.ok, `${loss.name}: ${JSON.stringify(r)}`).toBe(true);
    }
  });
});

describe('binary cross-entropy', () => {
  it('matches -(y log p + (1 - y) log(1 - p))', () => {
    const v = binaryCrossEntropy(f64([0.8, 0.3]), f64([1, 0]), { reduction: 'none' }).toArray() as number[];
    expect(v[0]).toBeCloseTo(-Math.log(0.8), 14);
    expect(v[1]).toBeCloseTo(-Math.log(0.7), 14);
  });

  it('clamps the logs at -100, so p = 0 or 1 gives finite losses and gradients', () => {
    const p = f64([0, 1, 0, 1]).requiresGrad_(true);
    const y = f64([1, 0, 0, 1]);
    const l = detectAnomaly(() => binaryCrossEntropy(p, y, { reduction: 'none' }));
    expect(l.toArray()).toEqual([100, 100, 0, -0]); // -0 for p = y = 1, as PyTorch
    detectAnomaly(() => backward(l.sum()));
    expect(p.grad!.toArray()).toEqual([-1e12, 1e12, 0, 0]);
  });

  it('refuses probabilities outside [0, 1]', () => {
    expect(() => binaryCrossEntropy(f64([1.5]), f64([1]))).toThrow(/every prediction must be in \[0, 1\], got 1.5/);
  });

  it('with logits is exact at |z| = 1000', () => {
    const z = f64([1000, -1000, 1000, -1000, 0]).requiresGrad_(true);
    const y = f64([1, 0, 0, 1, 1]);
    const l = binaryCrossEntropyWithLogits(z, y, { reduction: 'none' });
    expect(l.toArray()).toEqual([0, 0, 1000, 1000, Math.LN2]);
    backward(l.sum());
    // d/dz = sigmoid(z) - y
    expect(z.grad!.toArray()).toEqual([0, 0, 1, -1, -0.5]);
  });

  it('with logits weighs positives by posWeight', () => {
    const z = f64([0.3, -1.2]);
    const y = f64([1, 1]);
    const plain = binaryCrossEntropyWithLogits(z, y, { reduction: 'none' }).toArray() as number[];
    const weighted = binaryCrossEntropyWithLogits(z, y, { reduction: 'none', posWeight: f64([3, 0.5]) }).toArray() as number[];
    expect(weighted[0]).toBeCloseTo(3 * plain[0]!, 14);
    expect(weighted[1]).toBeCloseTo(0.5 * plain[1]!, 14);
  });

  it('pass float64 gradient checks', () => {
    const p = tensor([[0.2, 0.7, 0.5], [0.9, 0.05, 0.4]], { dtype: 'float64' });
    const y = tensor([[0, 1, 0.3], [1, 0, 0.8]], { dtype: 'float64' });
    const r = checkGrad((a, b) => binaryCrossEntropy(a, b), [p, y]);
    expect(r.ok, JSON.stringify(r)).toBe(true);
    const z = randn([2, 3], { dtype: 'float64' }).mul(3);
    const pw = f64([0.5, 2, 1]);
    const r2 = checkGrad((a, b, c) => binaryCrossEntropyWithLogits(a, b, { posWeight: c }), [z, y, pw]);
    expect(r2.ok, JSON.stringify(r2)).toBe(true);
  });
});

describe('cross-entropy and NLL', () => {
  it('is log-sum-exp minus the target logit', () => {
    const z = f64([[1, 2, 3], [0, 0, 0]]);
    const l = crossEntropy(z, i32([2, 1]), { reduction: 'none' }).toArray() as number[];
    expect(l[0]).toBeCloseTo(Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3)) - 3, 14);
    expect(l[1]).toBeCloseTo(Math.log(3), 14);
  });

  it('stays exact for logits of 1000', () => {
    const z = f64([[1000, 0, -1000], [1000, 1000, 0]]).requiresGrad_(true);
    const l = crossEntropy(z, i32([0, 2]), { reduction: 'none' });
    const v = l.toArray() as number[];
    expect(v[0]! + 0).toBe(0);
    expect(v[1]).toBeCloseTo(1000 + Math.LN2, 10);
    backward(l.sum());
    expect(z.grad!.toArray()).toEqual([[0, 0, 0], [0.5, 0.5, -1]]);
  });

  it('divides the mean by the total weight of the non-ignored targets', () => {
    const z = randn([4, 3], { dtype: 'float64' });
    const w = f64([1, 2, 3]);
    const t = i32([0, 2, -100, 1]);
    const each = crossEntropy(z, t, { reduction: 'none', weight: w }).toArray() as number[];
    expect(each[2]).toBe(0);
    const mean = crossEntropy(z, t, { weight: w }).item();
    expect(mean).toBeCloseTo((each[0]! + each[1]! + each[3]!) / (1 + 3 + 2), 14);
    expect(nllLoss(z.logSoftmax(1), t, { weight: w }).item()).toBeCloseTo(mean, 14);
  });

  it('takes class probabilities as float targets', () => {
    const z = randn([2, 3], { dtype: 'float64' });
    const onehot = f64([[0, 0, 1], [1, 0, 0]]);
    expect(crossEntropy(z, onehot).item()).toBeCloseTo(crossEntropy(z, i32([2, 0])).item(), 14);
  });

  it('validates targets with clear errors', () => {
    const z = randn([4, 3]);
    expect(() => crossEntropy(z, i32([0, 1, 2]))).toThrow(ShapeError);
    expect(() => crossEntropy(z, i32([0, 1, 2]))).toThrow(/crossEntropy: input \[4,3\] needs a target of shape \[4\], got \[3\]/);
    expect(() => crossEntropy(z, i32([0, 1, 2, 3]))).toThrow(/target 3 is out of bounds for 3 classes/);
    expect(() => crossEntropy(z, tensor([0, 1, 2, 1], { dtype: 'float64' }))).toThrow(TypeError);
    expect(() => nllLoss(z, tensor([0, 1, 2, 1]))).toThrow(/nllLoss: expected int32 class indices/);
  });

  it('pass float64 gradient checks', () => {
    const z = randn([4, 5], { dtype: 'float64' });
    const t = i32([0, 4, 2, 2]);
    for (const opts of [{}, { labelSmoothing: 0.2 }, { weight: f64([1, 2, 0.5, 1, 3]), ignoreIndex: 4 }]) {
      const r = checkGrad((a) => crossEntropy(a, t, opts), [z]);
      expect(r.ok, JSON.stringify(r)).toBe(true);
    }
    const spatial = randn([2, 3, 2, 2], { dtype: 'float64' });
    const st = tensor(new Int32Array([0, 1, 2, 1, 2, 0, 0, 1]), { shape: [2, 2, 2] });
    const r = checkGrad((a) => nllLoss(a.logSoftmax(1), st, { reduction: 'sum' }), [spatial]);
    expect(r.ok, JSON.stringify(r)).toBe(true);
  });
});
