import { describe, expect, it } from 'vitest';
import { ShapeError, backward, randint, randn, sum, tensor, type Tensor } from 'tapegrad';
import {
  Dropout, Embedding, Flatten, GELU, Identity, LeakyReLU, Linear, LogSoftmax, ReLU, Sequential, Sigmoid, Softmax, Softplus, Tanh,
} from '@tapegrad/nn';
import { checkModuleGrad } from './helpers.js';

const maxAbs = (t: Tensor): number => Math.max(...Array.from(t.data(), Math.abs));

describe('Linear', () => {
  it('maps [..., in] to [..., out] as x W^T + b, with PyTorch-shaped parameters', () => {
    const lin = new Linear(3, 2);
    expect(lin.weight.shape).toEqual([2, 3]);
    expect(lin.bias!.shape).toEqual([2]);
    expect(lin.call(randn([4, 5, 3])).shape).toEqual([4, 5, 2]);
    expect(lin.call(randn([3])).shape).toEqual([2]);
    const x = tensor([[1, 2, 3]]);
    const w = lin.weight.toArray() as number[][];
    const b = lin.bias!.toArray() as number[];
    const want = [0, 1].map((j) => w[j]![0]! + 2 * w[j]![1]! + 3 * w[j]![2]! + b[j]!);
    const got = lin.call(x).toArray() as number[][];
    got[0]!.forEach((v, j) => expect(v).toBeCloseTo(want[j]!, 5));
  });

  it('initializes weight and bias within 1/sqrt(inFeatures), spread over that range', () => {
    const lin = new Linear(64, 200, { seed: 3 });
    const bound = 1 / 8;
    expect(maxAbs(lin.weight)).toBeLessThanOrEqual(bound);
    expect(maxAbs(lin.weight)).toBeGreaterThan(0.95 * bound);
    expect(maxAbs(lin.bias!)).toBeLessThanOrEqual(bound);
    // U(-b, b) has variance b^2 / 3
    const v = lin.weight.var().item();
    expect(v).toBeGreaterThan(0.9 * bound ** 2 / 3);
    expect(v).toBeLessThan(1.1 * bound ** 2 / 3);
  });

  it('can drop the bias and use float64', () => {
    const lin = new Linear(2, 2, { bias: false, dtype: 'float64' });
    expect(lin.bias).toBeNull();
    expect(lin.namedParameters().map(([n]) => n)).toEqual(['weight']);
    expect(lin.weight.dtype).toBe('float64');
  });

  it('throws a ShapeError naming Linear for a wrong feature size', () => {
    expect(() => new Linear(3, 2).call(randn([4, 5]))).toThrow(ShapeError);
    expect(() => new Linear(3, 2).call(randn([4, 5]))).toThrow(/Linear: expected input \[\.\.\., 3\], got \[4,5\]/);
    expect(() => new Linear(-1, 2)).toThrow(RangeError);
  });

  it('passes a float64 gradient check', () => {
    const r = checkModuleGrad(new Linear(3, 2), [randn([4, 3])]);
    expect(r.ok, JSON.stringify(r)).toBe(true);
  });
});

describe('Sequential, Flatten, Identity', () => {
  it('chains modules and gradient-checks as an MLP', () => {
    const mlp = new Sequential(new Linear(4, 5), new Tanh(), new Linear(5, 3), new Sigmoid(), new Identity());
    expect(mlp.call(randn([2, 4])).shape).toEqual([2, 3]);
    const r = checkModuleGrad(mlp, [randn([2, 4])]);
    expect(r.ok, JSON.stringify(r)).toBe(true);
  });

  it('Flatten keeps the batch dim by default', () => {
    expect(new Flatten().call(randn([2, 3, 4, 5])).shape).toEqual([2, 60]);
    expect(new Flatten(0).call(randn([2, 3, 4])).shape).toEqual([24]);
    expect(new Flatten(1, 2).call(randn([2, 3, 4, 5])).shape).toEqual([2, 12, 5]);
  });

  it('rejects non-modules', () => {
    expect(() => new Sequential(new ReLU(), {} as ReLU)).toThrow(/argument 1 is not a Module/);
  });
});

describe('activation modules', () => {
  const x = tensor([-2, -0.5, 0.5, 3], { dtype: 'float64' });
  const values = (t: Tensor): number[] => t.toArray() as number[];

  it('compute their functions', () => {
    expect(values(new ReLU().call(x))).toEqual([0, 0, 0.5, 3]);
    expect(values(new LeakyReLU(0.1).call(x))).toEqual([-0.2, -0.05, 0.5, 3]);
    expect(values(new LeakyReLU().call(x))[0]).toBeCloseTo(-0.02, 12);
    expect(values(new Tanh().call(x))[3]).toBeCloseTo(Math.tanh(3), 12);
    expect(values(new Sigmoid().call(x))[0]).toBeCloseTo(1 / (1 + Math.exp(2)), 12);
    expect(values(new Softplus().call(x))[2]).toBeCloseTo(Math.log1p(Math.exp(0.5)), 12);
    expect(values(new Softplus({ beta: 2 }).call(x))[2]).toBeCloseTo(Math.log1p(Math.exp(1)) / 2, 12);
    expect(values(new GELU().call(x))[3]).toBeCloseTo(3 * 0.9986501019683699, 10);
  });

  it('Softmax and LogSoftmax normalize along their axis, and require it', () => {
    const z = randn([2, 3, 4], { dtype: 'float64' });
    const s = new Softmax(1).call(z);
    for (const v of sum(s, 1).data()) expect(v).toBeCloseTo(1, 12);
    const ls = new LogSoftmax(-1).call(z);
    for (const v of sum(ls.exp(), -1).data()) expect(v).toBeCloseTo(1, 12);
    expect(() => new Softmax(undefined as unknown as number)).toThrow(/Softmax: expected the axis/);
  });

  it('pass float64 gradient checks', () => {
    const inputs = [tensor([[-2, -0.5, 0.3, 3], [1.5, -1.2, 0.7, -0.1]])];
    for (const m of [new LeakyReLU(0.2), new Tanh(), new Sigmoid(), new Softplus(), new GELU(), new GELU({ approximate: 'tanh' }), new Softmax(1), new LogSoftmax(0)]) {
      const r = checkModuleGrad(m, inputs);
      expect(r.ok, `${m.constructor.name}: ${JSON.stringify(r)}`).toBe(true);
    }
  });
});

describe('Dropout', () => {
  it('zeroes about p of the elements in training and scales the rest by 1/(1-p)', () => {
    const d = new Dropout(0.3, { seed: 1 });
    const y = d.call(randn([100, 100]).abs().add(1));
    const v = y.data();
    let zeros = 0;
    for (const e of v) if (e === 0) zeros++;
    expect(zeros / v.length).toBeGreaterThan(0.27);
    expect(zeros / v.length).toBeLessThan(0.33);
    const x = tensor([[2, 2, 2, 2]]);
    const kept = new Dropout(0.5, { seed: 2 }).call(x).data().filter((e) => e !== 0);
    for (const e of kept) expect(e).toBeCloseTo(4, 6);
  });

  it('is the identity in eval mode and reproducible with a seed', () => {
    const x = randn([5, 5]);
    expect(new Dropout(0.9).eval().call(x)).toBe(x);
    expect(new Dropout(0.5, { seed: 7 }).call(x).toArray()).toEqual(new Dropout(0.5, { seed: 7 }).call(x).toArray());
    expect(() => new Dropout(1.5)).toThrow(RangeError);
  });

  it('sends gradient only through kept elements', () => {
    const x = randn([4, 4], { requiresGrad: true });
    const y = new Dropout(0.5, { seed: 3 }).call(x);
    backward(sum(y));
    const g = x.grad!.data();
    y.data().forEach((v, i) => expect(g[i]).toBeCloseTo(v === 0 ? 0 : 2, 6));
  });
});

describe('Embedding', () => {
  it('looks up rows for int32 indices of any shape', () => {
    const emb = new Embedding(10, 3, { seed: 0 });
    const idx = tensor(new Int32Array([1, 4, 4, 9]), { shape: [2, 2] });
    const out = emb.call(idx);
    expect(out.shape).toEqual([2, 2, 3]);
    const w = emb.weight.toArray() as number[][];
    expect((out.toArray() as number[][][])[1]![1]).toEqual(w[9]);
    expect(emb.call(tensor(new Int32Array([3]), { shape: [] })).shape).toEqual([3]);
  });

  it('initializes from N(0, 1)', () => {
    const w = new Embedding(200, 50, { seed: 1 }).weight;
    expect(Math.abs(w.mean().item())).toBeLessThan(0.03);
    expect(w.std().item()).toBeGreaterThan(0.97);
    expect(w.std().item()).toBeLessThan(1.03);
  });

  it('accumulates gradients of repeated indices and leaves paddingIdx at zero without gradient', () => {
    const emb = new Embedding(5, 2, { paddingIdx: 0 });
    expect(emb.weight.toArray()).toContainEqual([0, 0]);
    const idx = tensor(new Int32Array([0, 2, 2, 3]));
    backward(sum(emb.call(idx)));
    expect(emb.weight.grad!.toArray()).toEqual([[0, 0], [0, 0], [2, 2], [1, 1], [0, 0]]);
  });

  it('rejects non-int32 and out-of-range indices', () => {
    const emb = new Embedding(5, 2);
    expect(() => emb.call(tensor([1, 2]))).toThrow(/Embedding: expected int32 indices, got float32/);
    expect(() => emb.call(tensor(new Int32Array([5])))).toThrow(/index 5 is out of range for 5 embeddings/);
    expect(() => emb.call(tensor(new Int32Array([-1])))).toThrow(RangeError);
  });

  it('passes a float64 gradient check of its weight', () => {
    const emb = new Embedding(6, 3);
    const idx = randint(0, 6, [2, 5]);
    const r = checkModuleGrad(emb, [], (m) => m.forward(idx));
    expect(r.ok, JSON.stringify(r)).toBe(true);
  });
});
