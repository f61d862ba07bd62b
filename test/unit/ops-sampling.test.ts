import { describe, expect, it } from 'vitest';
import { Generator, bernoulli, full, manualSeed, multinomial, normal, randLike, randnLike, tensor, zeros } from '@tapegrad/tensor';
import { grad } from '@tapegrad/autograd';
import { sum, type Tensor } from '@tapegrad/tensor';

const counts = (t: Tensor, n: number): number[] => {
  const c = new Array<number>(n).fill(0);
  for (const v of t.data()) c[v]!++;
  return c;
};
const moments = (t: Tensor): [number, number] => {
  const v = Array.from(t.data());
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  return [mean, Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length)];
};

describe('sampling', () => {
  it('is reproducible by seed and by generator, and moves the default stream', () => {
    const p = tensor([0.1, 0.2, 0.3, 0.4]);
    for (const draw of [
      (o: object) => multinomial(p, 3, o),
      (o: object) => multinomial(p, 6, { ...o, replacement: true }),
      (o: object) => bernoulli(full([10], 0.5), o),
      (o: object) => normal(1, 2, [5], o),
      (o: object) => randLike(zeros([4]), o),
      (o: object) => randnLike(zeros([4], { dtype: 'float64' }), o),
    ]) {
      expect(draw({ seed: 7 }).toArray()).toEqual(draw({ seed: 7 }).toArray());
      expect(draw({ generator: new Generator(7) }).toArray()).toEqual(draw({ seed: 7 }).toArray());
      manualSeed(3);
      const first = draw({}).toArray();
      expect(draw({}).toArray()).not.toEqual(first);
      manualSeed(3);
      expect(draw({}).toArray()).toEqual(first);
    }
  });

  it('multinomial with replacement matches the probabilities; int32 [n] or [rows, n]', () => {
    const s = multinomial(tensor([1, 2, 3, 4, 0]), 40000, { replacement: true, seed: 1 });
    expect(s.dtype).toBe('int32');
    expect(s.shape).toEqual([40000]);
    const c = counts(s, 5);
    [0.1, 0.2, 0.3, 0.4, 0].forEach((p, i) => expect(Math.abs(c[i]! / 40000 - p)).toBeLessThan(0.01));
    expect(multinomial(tensor([[1, 0], [0, 1]]), 3, { replacement: true }).toArray()).toEqual([[0, 0, 0], [1, 1, 1]]);
  });

  it('multinomial without replacement draws distinct categories; its first draw follows the probabilities', () => {
    const p = tensor([0.5, 0.25, 0.125, 0.125, 0]);
    const g = new Generator(2);
    const first = new Array<number>(5).fill(0);
    for (let i = 0; i < 4000; i++) {
      const d = Array.from(multinomial(p, 4, { generator: g }).data());
      expect(new Set(d).size).toBe(4);
      expect(d).not.toContain(4);
      first[d[0]!]!++;
    }
    [0.5, 0.25, 0.125, 0.125].forEach((q, i) => expect(Math.abs(first[i]! / 4000 - q)).toBeLessThan(0.025));
    expect(() => multinomial(p, 5)).toThrow(/cannot draw 5 samples without replacement from 4 categories with non-zero weight/);
    expect(() => multinomial(p, 6)).toThrow(/from 5 categories/);
    expect(() => multinomial(tensor([0, 0]), 1)).toThrow(/all zero/);
    expect(() => multinomial(tensor([1, NaN]), 1)).toThrow(/finite non-negative weights, got NaN/);
    expect(() => multinomial(zeros([1, 1, 1]), 1)).toThrow(/1-D or 2-D/);
    expect(() => multinomial(p, 0)).toThrow(RangeError);
  });

  it('bernoulli: 0/1 of the probabilities\' dtype and shape, mean p', () => {
    const b = bernoulli(full([2, 20000], 0.3, { dtype: 'float64' }), { seed: 3 });
    expect(b.dtype).toBe('float64');
    expect(b.shape).toEqual([2, 20000]);
    expect(new Set(b.data())).toEqual(new Set([0, 1]));
    expect(Math.abs(moments(b)[0] - 0.3)).toBeLessThan(0.01);
    expect(bernoulli(tensor([0, 1, 0, 1])).toArray()).toEqual([0, 1, 0, 1]);
    expect(bernoulli(0.5, { dtype: 'bool' }).dtype).toBe('bool');
    expect(() => bernoulli(tensor([1.5]))).toThrow(/bernoulli: expected probabilities in \[0, 1\], got 1.5/);
  });

  it('normal: mean + std z, in the broadcast or given shape, differentiable in tensor mean and std', () => {
    const x = normal(2, 3, [40000], { seed: 4, dtype: 'float64' });
    const [m, s] = moments(x);
    expect(Math.abs(m - 2)).toBeLessThan(0.05);
    expect(Math.abs(s - 3)).toBeLessThan(0.05);
    expect(normal(zeros([3]), tensor([[1], [2]])).shape).toEqual([2, 3]);
    expect(normal(0.1, 0, [2], { dtype: 'float64' }).toArray()).toEqual([0.1, 0.1]);
    expect(normal(zeros([3]), 1, [4, 3]).shape).toEqual([4, 3]);
    expect(normal(0, 1, [2]).dtype).toBe('float32');
    expect(normal(zeros([2], { dtype: 'float64' }), 1).dtype).toBe('float64');
    const [gm, gs] = grad((mu: Tensor, sd: Tensor) => sum(normal(mu, sd, null, { seed: 5 })), { argnums: [0, 1] })(
      zeros([3], { dtype: 'float64' }), full([3], 2, { dtype: 'float64' })) as Tensor[];
    expect(gm!.toArray()).toEqual([1, 1, 1]);
    expect(gs!.toArray()).toEqual(Array.from(normal(0, 1, [3], { seed: 5, dtype: 'float64' }).data()));
    expect(() => normal(0, -1, [2])).toThrow(/non-negative standard deviation/);
    expect(() => normal(zeros([3]), 1, [2])).toThrow(/normal: cannot broadcast \[3\] with \[2\]|do not broadcast/);
  });

  it('randLike and randnLike take the shape and float dtype of their argument', () => {
    const u = randLike(zeros([3, 4], { dtype: 'float64' }), { seed: 6 });
    expect([u.shape, u.dtype]).toEqual([[3, 4], 'float64']);
    expect(Math.max(...u.data())).toBeLessThan(1);
    const n = randnLike(zeros([30000]), { seed: 7 });
    const [m, s] = moments(n);
    expect(Math.abs(m)).toBeLessThan(0.03);
    expect(Math.abs(s - 1)).toBeLessThan(0.03);
    expect(() => randLike(zeros([2], { dtype: 'int32' }))).toThrow(/randLike: cannot sample floats like a tensor of dtype int32; pass opts.dtype/);
    expect(randnLike(zeros([2], { dtype: 'int32' }), { dtype: 'float32' }).dtype).toBe('float32');
  });

  it('multinomial and bernoulli are methods too', () => {
    expect(tensor([0, 1]).multinomial(2, { replacement: true }).toArray()).toEqual([1, 1]);
    expect(tensor([1, 0]).bernoulli().toArray()).toEqual([1, 0]);
  });
});

describe('dtype and copy methods', () => {
  it('to, float, double, int (toward zero), bool, clone, contiguous', () => {
    const x = tensor([1.7, -2.5, 0]);
    expect(x.int().toArray()).toEqual([1, -2, 0]);
    expect(x.int().dtype).toBe('int32');
    expect(x.bool().toArray()).toEqual([true, true, false]);
    expect(x.double().dtype).toBe('float64');
    expect(x.double().float().dtype).toBe('float32');
    expect(x.to('int32').toArray()).toEqual([1, -2, 0]);
    const c = x.clone();
    expect(c.buf).not.toBe(x.buf);
    expect(x.contiguous()).toBe(x);
    const g = grad((t: Tensor) => sum(t.float().double().mul(3)))(tensor([1, 2], { dtype: 'float64' })) as Tensor;
    expect(g.toArray()).toEqual([3, 3]);
  });

  it('where, concat, stack and cast are methods too', () => {
    const a = tensor([1, 2]);
    expect(tensor([true, false]).where(a, 0).toArray()).toEqual([1, 0]);
    expect(a.concat([tensor([3])]).toArray()).toEqual([1, 2, 3]);
    expect(a.concat(tensor([3]), 0).toArray()).toEqual([1, 2, 3]);
    expect(a.stack([tensor([3, 4])], 1).toArray()).toEqual([[1, 3], [2, 4]]);
    expect(a.cast('int32').dtype).toBe('int32');
  });
});
