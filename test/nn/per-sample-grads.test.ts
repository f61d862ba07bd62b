/**
 * Per-sample gradients of an nn model with nn losses, by vmap(grad(...)): the losses' target checks
 * read values, which a batched target inside vmap does not allow, so they leave the range check to
 * the gather kernel there. Checked against grad in a loop over the samples.
 */
import { describe, expect, it } from 'vitest';
import { Generator, grad, rand, randn, reshape, sigmoid, stack, tensor, unsqueeze, vmap, type Tensor } from 'tapegrad';
import { Linear, Sequential, Tanh, binaryCrossEntropy, crossEntropy, functionalCall, nllLoss } from '@tapegrad/nn';
import { logSoftmax } from '@tapegrad/tensor';

const N = 5;
const gen = new Generator(17);
const model = new Sequential(new Linear(4, 6, { generator: gen }), new Tanh(), new Linear(6, 3, { generator: gen })).to('float64');
const named = model.namedParameters();
const names = named.map(([n]) => n);
const params = named.map(([, p]) => p);
const argnums = params.map((_, i) => i);
const X = randn([N, 4], { generator: gen, dtype: 'float64' });
const Y = tensor(new Int32Array([0, 2, 1, 2, 0]));

/** The model's logits for one sample [4] as a batch of one [1, 3], with the given parameters. */
function logitsOf(ps: Tensor[], x: Tensor): Tensor {
  return functionalCall(model, Object.fromEntries(names.map((n, i) => [n, ps[i]!])), unsqueeze(x, 0));
}

function expectClose(got: Tensor, want: Tensor): void {
  expect(got.shape).toEqual(want.shape);
  const g = got.data(), w = want.data();
  for (let i = 0; i < g.length; i++) expect(Math.abs(g[i]! - w[i]!)).toBeLessThanOrEqual(1e-12 * (1 + Math.abs(w[i]!)));
}

/** vmap(grad(loss)) over (x, y) against grad(loss) in a loop, for every parameter. */
function checkPerSample(loss: (...a: Tensor[]) => Tensor, Ys: Tensor): void {
  const g = grad(loss, { argnums });
  const batched = vmap(g, { inAxes: [...params.map(() => null), 0, 0] })(...params, X, Ys);
  params.forEach((p, k) => {
    const loop = stack(Array.from({ length: N }, (_, b) => g(...params, X.select(0, b), Ys.select(0, b))[k]!), 0);
    expect(batched[k]!.shape).toEqual([N, ...p.shape]);
    expectClose(batched[k]!, loop);
  });
}

describe('per-sample gradients of an nn model through vmap(grad(...)) with nn losses', () => {
  it('crossEntropy on int32 class targets', () => {
    checkPerSample((...a: Tensor[]) => crossEntropy(logitsOf(a.slice(0, -2), a[a.length - 2]!), reshape(a[a.length - 1]!, [1])), Y);
  });

  it('crossEntropy with weights, ignoreIndex and label smoothing', () => {
    const weight = tensor([0.5, 1, 2], { dtype: 'float64' });
    const Yi = tensor(new Int32Array([0, -100, 1, 2, 0]));
    checkPerSample((...a: Tensor[]) => crossEntropy(logitsOf(a.slice(0, -2), a[a.length - 2]!), reshape(a[a.length - 1]!, [1]), {
      weight, ignoreIndex: -100, labelSmoothing: 0.1, reduction: 'sum',
    }), Yi);
  });

  it('nllLoss and binaryCrossEntropy', () => {
    checkPerSample((...a: Tensor[]) => nllLoss(logSoftmax(logitsOf(a.slice(0, -2), a[a.length - 2]!), 1), reshape(a[a.length - 1]!, [1])), Y);
    const P = rand([N, 1, 3], { generator: gen, dtype: 'float64' });
    checkPerSample((...a: Tensor[]) => binaryCrossEntropy(sigmoid(logitsOf(a.slice(0, -2), a[a.length - 2]!)), a[a.length - 1]!), P);
  });

  it('a class index out of range inside vmap is still an error', () => {
    const g = grad((...a: Tensor[]) => crossEntropy(logitsOf(a.slice(0, -2), a[a.length - 2]!), reshape(a[a.length - 1]!, [1])), { argnums });
    const bad = tensor(new Int32Array([0, 3, 1, 2, 0]));
    expect(() => vmap(g, { inAxes: [...params.map(() => null), 0, 0] })(...params, X, bad)).toThrow(RangeError);
  });

  it('outside vmap the targets are still checked by value, naming the loss', () => {
    expect(() => crossEntropy(randn([2, 3]), tensor(new Int32Array([0, 3])))).toThrow(/crossEntropy: target 3 is out of bounds for 3 classes/);
  });
});
