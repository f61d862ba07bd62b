import { describe, expect, it } from 'vitest';
import { add, exp, mul, randn, sum, tanh, tensor, type TapeNode, type Tensor } from '@tapegrad/tensor';
import { isGradEnabled } from '@tapegrad/tensor/internal';
import { backward, grad, noGrad } from '@tapegrad/autograd';

const x64 = (v: number[]) => tensor(v, { dtype: 'float64' });

describe('the tape', () => {
  it('records an op only when some input requires grad', () => {
    const a = x64([1, 2]);
    const w = x64([3, 4]).requiresGrad_();
    expect(mul(a, a).node).toBeNull();
    expect(mul(a, a).requiresGrad).toBe(false);
    const y = mul(a, w);
    expect(y.node?.op).toBe('mul');
    expect(y.node?.inputs).toEqual([a, w]);
    expect(y.requiresGrad).toBe(true);
    expect(y.isLeaf).toBe(false);
  });

  it('records nothing under noGrad, and restores recording afterwards (even after a throw)', () => {
    const w = x64([1]).requiresGrad_();
    expect(noGrad(() => mul(w, 2)).node).toBeNull();
    expect(() => noGrad(() => { throw new Error('boom'); })).toThrow('boom');
    expect(isGradEnabled()).toBe(true);
    expect(mul(w, 2).node).not.toBeNull();
  });

  it('records in a topological order: every input node has a smaller id', () => {
    const w = x64([0.5, -0.5]).requiresGrad_();
    let h: Tensor = w;
    for (let i = 0; i < 20; i++) h = i % 2 ? tanh(add(h, w)) : mul(h, h);
    const stack: TapeNode[] = [h.node!];
    while (stack.length) {
      const n = stack.pop()!;
      for (const t of n.inputs) {
        if (t.node) {
          expect(t.node.id).toBeLessThan(n.id);
          stack.push(t.node);
        }
      }
    }
  });

  it('keeps nothing reachable in a loop that asks for no gradients', () => {
    let t = randn([4], { seed: 1 });
    for (let i = 0; i < 1000; i++) t = exp(mul(t, 0.001));
    expect(t.node).toBeNull();
    // Nodes hang off the tensors they produce, so there is no global list to grow.
    const w = x64([1]).requiresGrad_();
    const y = mul(w, 2);
    expect(y.node!.inputs[0]).toBe(w);
  });

  it('never records int or bool results', () => {
    const w = x64([1, -1]).requiresGrad_();
    expect(w.gt(0).node).toBeNull();
    expect(w.argmax().node).toBeNull();
  });
});

describe('gradient accumulation', () => {
  it('sums the gradient of a tensor used several times', () => {
    const x = x64([3]).requiresGrad_();
    backward(sum(add(mul(x, x), mul(x, 4))));
    expect(x.grad!.toArray()).toEqual([10]);
  });

  it('accumulates into .grad over several backward calls, like PyTorch', () => {
    const x = x64([2]).requiresGrad_();
    backward(sum(mul(x, x)));
    backward(sum(mul(x, x)));
    expect(x.grad!.toArray()).toEqual([8]);
  });

  it('grad() leaves .grad alone and needs no requiresGrad on its arguments', () => {
    const x = x64([2]);
    expect((grad((t: Tensor) => sum(mul(t, t)))(x) as Tensor).toArray()).toEqual([4]);
    expect(x.grad).toBeNull();
    const w = x64([2]).requiresGrad_();
    grad((t: Tensor) => sum(mul(t, t)))(w);
    expect(w.grad).toBeNull();
  });

  it('gives each leaf its own gradient storage', () => {
    const a = x64([1, 2]).requiresGrad_();
    const b = x64([3, 4]).requiresGrad_();
    backward(sum(add(a, b)));
    expect(a.grad!.buf).not.toBe(b.grad!.buf);
    a.grad!.fill_(0);
    expect(b.grad!.toArray()).toEqual([1, 1]);
  });

  it('un-broadcasts gradients to each input shape', () => {
    const W = x64([1, 2, 3, 4, 5, 6]).reshape([2, 3]).detach().requiresGrad_();
    const b = x64([1, 1, 1]).requiresGrad_();
    const c = tensor(2, { dtype: 'float64', requiresGrad: true });
    backward(sum(mul(add(W, b), c)));
    expect(W.grad!.toArray()).toEqual([[2, 2, 2], [2, 2, 2]]);
    expect(b.grad!.toArray()).toEqual([4, 4, 4]);
    expect(c.grad!.item()).toBe(21 + 6);
  });
});
