import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  add, matmul, mul, randn, relu, reshape, sub, sum, tanh, transpose, permute, exp, Tensor, tensor,
} from '@tapegrad/tensor';
import { POOL_MIN_ELEMENTS, pooledBytes, poisonReleased } from '@tapegrad/tensor/internal';
import { backward, grad, valueAndGrad, vjp } from '@tapegrad/autograd';

// A reverse sweep without createGraph hands the storage of consumed cotangents to the outputs that
// follow (packages/tensor/src/storage-pool.ts). With poisoning on, released memory is overwritten
// with NaN bits, so any read of a cotangent after its storage was released changes a gradient.
// Every gradient here is compared with the same sweep recorded for createGraph, which never
// releases anything and runs the same kernels, so the two must agree bit for bit.

let previous = false;
beforeAll(() => {
  previous = poisonReleased(true);
});
afterAll(() => {
  poisonReleased(previous);
});

const yieldToEventLoop = () => new Promise((resolve) => setTimeout(resolve, 0));

/** Parameters large enough for the pool (it ignores storages under POOL_MIN_ELEMENTS elements). */
function params(seed: number) {
  const d = 96;
  expect(d * d).toBeGreaterThanOrEqual(POOL_MIN_ELEMENTS);
  return {
    x: randn([64, d], { seed }),
    w1: randn([d, d], { seed: seed + 1 }).mul(0.1).detach().requiresGrad_(),
    w2: randn([d, d], { seed: seed + 2 }).mul(0.1).detach().requiresGrad_(),
    b: randn([d], { seed: seed + 3 }).detach().requiresGrad_(),
  };
}

/**
 * A graph with every way a cotangent is shared: a tensor used twice (its cotangents summed), an add
 * that passes one cotangent to both inputs, a sub that passes it and its negation, views
 * (reshape, transpose, permute) over a cotangent, broadcasting (the bias), and same-sized
 * temporaries so that released memory is taken again within the sweep.
 */
function loss(p: ReturnType<typeof params>): Tensor {
  const h = relu(add(matmul(p.x, p.w1), p.b));
  const twice = add(h, h);
  const v = transpose(reshape(tanh(twice), [64, 96]), 0, 1);
  const u = permute(matmul(p.w2, v), [1, 0]);
  const both = sub(mul(u, h), exp(mul(u, 0.1)));
  return sum(mul(add(both, h), both));
}

function bits(t: Tensor): number[] {
  return Array.from(t.data(), (v) => Number(v));
}

describe('storage reused by the reverse sweep', () => {
  it('leaves backward()\'s gradients bit for bit those of the same sweep recorded for createGraph', () => {
    const a = params(1);
    backward(loss(a));
    const b = params(1);
    backward(loss(b), null, { createGraph: true });
    for (const k of ['w1', 'w2', 'b'] as const) {
      expect(a[k].grad).not.toBeNull();
      expect(bits(a[k].grad!)).toEqual(bits(b[k].grad!));
      expect(bits(a[k].grad!).every(Number.isFinite)).toBe(true);
    }
  });

  it('reuses memory during the sweep and keeps the free rest only until the event loop turns', async () => {
    const p = params(2);
    backward(loss(p));
    expect(pooledBytes()).toBeGreaterThan(0);
    await yieldToEventLoop();
    expect(pooledBytes()).toBe(0);
  });

  it('never hands out the storage of a .grad or of a gradient a transform returned', async () => {
    const p = params(3);
    backward(loss(p));
    const [gw1, gb] = grad((w1: Tensor, b: Tensor) => loss({ ...p, w1, b }), { argnums: [0, 1] })(p.w1, p.b) as Tensor[];
    const saved = [p.w1.grad!, p.w2.grad!, p.b.grad!, gw1!, gb!].map((t) => t.clone());
    // Kernel outputs of every size the sweeps released, which the pool now serves.
    for (let i = 0; i < 20; i++) {
      mul(p.x, i);
      matmul(p.w1, p.w2);
      tensor(new Float32Array(96 * 96).fill(i), { shape: [96, 96] }).mul(2);
    }
    [p.w1.grad!, p.w2.grad!, p.b.grad!, gw1!, gb!].forEach((t, i) => expect(bits(t)).toEqual(bits(saved[i]!)));
    await yieldToEventLoop();
  });

  it('holds no more than one sweep\'s released memory in a synchronous loop whose shapes change every step', () => {
    // Each step's cotangents are about 10% larger than the last, so no block left from one sweep
    // fits the next: kept, they would pile up for as long as the loop runs.
    const held: number[] = [];
    const sizes: number[] = [];
    for (let i = 0; i < 20; i++) {
      const d = Math.round(96 * 1.1 ** i);
      const w = randn([d, d], { seed: i }).mul(0.1).detach().requiresGrad_();
      const x = randn([64, d], { seed: 100 + i });
      backward(sum(mul(tanh(matmul(x, w)), tanh(matmul(x, w)))));
      held.push(pooledBytes());
      sizes.push(64 * d + d * d);
    }
    const perElement = held[0]! / sizes[0]!;
    expect(perElement).toBeGreaterThan(0);
    held.forEach((bytes, i) => expect(bytes).toBeLessThanOrEqual(2 * perElement * sizes[i]!));
  });

  it('leaves vjp and valueAndGrad results intact, and the sweep\'s outputs independent of each other', () => {
    const p = params(4);
    const f = (w1: Tensor) => loss({ ...p, w1 });
    const [value, g] = valueAndGrad(f)(p.w1) as [Tensor, Tensor];
    const { out, vjp: pull } = vjp(f, p.w1);
    const [gv] = pull(tensor(1, { dtype: (out as Tensor).dtype }));
    const ref = params(4);
    backward(loss(ref), null, { createGraph: true });
    expect(bits(g)).toEqual(bits(ref.w1.grad!));
    expect(bits(gv!)).toEqual(bits(ref.w1.grad!));
    expect(g.buf.buffer).not.toBe(gv!.buf.buffer);
    expect(value.item()).toBe((out as Tensor).item());
  });
});
