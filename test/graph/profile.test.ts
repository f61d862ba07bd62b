import { describe, expect, it } from 'vitest';
import { backward, defineOp, profileOps, traceGraph } from '@tapegrad/autograd';
import { Linear, ReLU, Sequential, crossEntropy } from '@tapegrad/nn';
import { mul, randint, randn, type Tensor } from '@tapegrad/tensor';
import { isTimingEnabled } from '@tapegrad/tensor/internal';

describe('profileOps: forward and backward time per node', () => {
  it('times every kernel op and its VJP, sums them for collapsed modules, and records nothing outside', () => {
    const model = new Sequential(new Linear(64, 32, { seed: 1 }), new ReLU(), new Linear(32, 10, { seed: 2 }));
    const x = randn([256, 64], { seed: 3 });
    const y = randint(0, 10, [256], { seed: 4 });
    const loss = profileOps(() => {
      const l = crossEntropy(model.call(x), y);
      backward(l);
      return l;
    });
    expect(isTimingEnabled()).toBe(false);
    const g = traceGraph(loss);
    const matmuls = g.nodes.filter((n) => n.op === 'matmul');
    expect(matmuls).toHaveLength(2);
    for (const m of matmuls) {
      expect(m.time!.forwardMs).toBeGreaterThan(0);
      expect(m.time!.backwardMs).toBeGreaterThan(0);
    }
    // A view runs no kernel, but its VJP runs in backward; leaves are not ops.
    const view = g.nodes.find((n) => n.op === 'permute')!;
    expect(view.time!.forwardMs).toBe(0);
    expect(view.time!.backwardMs).toBeGreaterThanOrEqual(0); // microseconds: may round to 0
    expect(g.nodes.filter((n) => n.kind === 'param').every((n) => n.time === undefined)).toBe(true);

    const collapsed = traceGraph(loss, { depth: 1 });
    const first = collapsed.nodes.find((n) => n.name === '0')!;
    const inFirst = g.nodes.filter((n) => n.module === '0' && n.time);
    const sum = inFirst.reduce((s, n) => s + n.time!.forwardMs, 0);
    expect(first.time!.forwardMs).toBeCloseTo(sum, 9);

    expect(traceGraph(loss, { times: false }).nodes.some((n) => n.time)).toBe(false);
    const untimed = crossEntropy(model.call(x), y);
    expect(traceGraph(untimed).nodes.some((n) => n.time)).toBe(false);
  });

  it('times user-defined ops too', () => {
    const twice = defineOp({ name: 'twice', forward: (t: Tensor) => mul(t, 2), vjp: (g) => [mul(g, 2)] });
    const out = profileOps(() => {
      const o = twice(randn([1000], { seed: 5, requiresGrad: true })).sum();
      backward(o);
      return o;
    });
    const node = traceGraph(out).nodes.find((n) => n.op === 'twice')!;
    expect(node.time!.forwardMs).toBeGreaterThanOrEqual(0);
    expect(node.time!.backwardMs).toBeGreaterThanOrEqual(0);
  });
});
