import { describe, expect, it } from 'vitest';
import { mul, slice, sum, tanh, tensor, type Tensor } from '@tapegrad/tensor';
import { backward, noGrad } from '@tapegrad/autograd';
import { axpy, axpyInPlace } from '@tapegrad/tensor/internal';

const w64 = () => tensor([1, 2, 3], { dtype: 'float64', requiresGrad: true });

describe('in-place writes and the tape', () => {
  it('write through the tensor and through its views', () => {
    const x = tensor([1, 2, 3, 4], { dtype: 'float64' });
    x.add_(1);
    slice(x, [1], [3]).mul_(10);
    expect(x.toArray()).toEqual([2, 30, 40, 5]);
  });

  it('are refused on a tensor that requires grad while recording', () => {
    expect(() => w64().fill_(0)).toThrow(/in-place writes are not recorded/);
    const w = w64();
    noGrad(() => w.sub_(1));
    expect(w.toArray()).toEqual([0, 1, 2]);
  });

  it('make backward refuse an op whose input was modified after it was used, naming the op', () => {
    const w = w64();
    const x = tensor([4, 5, 6], { dtype: 'float64' });
    const y = sum(mul(w, x));
    x.fill_(0); // the gradient of w is x: it would silently become 0
    expect(() => backward(y)).toThrow(/backward of 'mul': input 1 \(shape \[3\]\) was modified in place after 'mul' used it/);
  });

  it('catch a write through a view of the saved tensor, and a write to a saved output', () => {
    const w = w64();
    const x = tensor([4, 5, 6], { dtype: 'float64' });
    const y = sum(mul(w, x));
    slice(x, [2], [3]).fill_(-1);
    expect(() => backward(y)).toThrow(/modified in place/);
    const v = w64();
    const t = tanh(v); // tanh's VJP reuses its output
    const z = sum(t);
    noGrad(() => t.fill_(0.5));
    expect(() => backward(z)).toThrow(/backward of 'tanh': its output .* was modified in place/);
  });

  it('do not disturb ops whose gradient needs only shapes', () => {
    const w = w64();
    const x = tensor([4, 5, 6], { dtype: 'float64' });
    const y = sum(mul(sum(tensor([1, 1, 1], { dtype: 'float64' }).add(x)), w));
    x.fill_(0); // add's gradient does not read x
    backward(y);
    expect(w.grad!.toArray()).toEqual([18, 18, 18]); // sum(1 + x) as it was in the forward pass
  });

  it('leave gradients alone when the write comes after backward, or goes to a clone', () => {
    const w = w64();
    const x = tensor([4, 5, 6], { dtype: 'float64' });
    const y = sum(mul(w, x.clone()));
    x.fill_(0);
    backward(y);
    expect(w.grad!.toArray()).toEqual([4, 5, 6]);
    // An optimizer-style loop: update after backward, recompute, backward again.
    const p = w64();
    for (let i = 0; i < 3; i++) {
      p.grad = null;
      backward(sum(mul(p, p)));
      const g: Tensor = p.grad!;
      noGrad(() => p.sub_(mul(g, 0.1)));
    }
    expect((p.toArray() as number[]).map((v) => +v.toFixed(6))).toEqual([1, 2, 3].map((v) => +(v * 0.8 ** 3).toFixed(6)));
  });
});

describe('in-place arithmetic', () => {
  const values = (t: Tensor) => Array.from(t.data());
  const f32 = (v: number[], shape?: number[]) => tensor(v, shape ? { shape } : {});

  it('gives what the out-of-place op gives, for tensor, broadcast and scalar operands', () => {
    for (const [name, op] of [['add_', 'add'], ['sub_', 'sub'], ['mul_', 'mul'], ['div_', 'div']] as const) {
      const a = [1.5, -2, 3.25, 4, 0.5, -6];
      const b = f32([2, 4, -8, 0.5, 3, 1.5], [2, 3]);
      const row = f32([0.25, -1, 2]);
      for (const operand of [b, row, 3, true] as const) {
        const x = f32(a, [2, 3]);
        const want = values(x[op](operand));
        x[name](operand);
        expect(values(x), `${name} with ${String(operand)}`).toEqual(want);
      }
    }
  });

  it('reads an operand in the target’s own storage before writing it', () => {
    const x = f32([1, 2, 3, 4]);
    x.add_(x.flip(0));
    expect(values(x)).toEqual([5, 5, 5, 5]);
    const y = f32([1, 2, 3, 4, 5, 6], [2, 3]);
    y.sub_(y.narrow(0, 0, 1));
    expect(values(y)).toEqual([0, 0, 0, 3, 3, 3]);
    const z = f32([1, 2, 3]);
    z.mul_(z);
    expect(values(z)).toEqual([1, 4, 9]);
  });

  it('writes a view in place without touching the rest of its storage', () => {
    const x = f32([1, 2, 3, 4, 5, 6]);
    x.narrow(0, 2, 2).mul_(10);
    expect(values(x)).toEqual([1, 2, 30, 40, 5, 6]);
  });
});

describe('axpyInPlace (the optimizers\' update)', () => {
  it('adds alpha y into the target in place, as the out-of-place axpy computes it', () => {
    const x = tensor([1, -2, 3.5, 4], { dtype: 'float64' });
    const y = tensor([0.5, 2, -1, 8], { dtype: 'float64' });
    const want = Array.from(axpy(x, y, -0.25).data());
    const buf = x.buf;
    axpyInPlace(x, y, -0.25);
    expect(x.buf).toBe(buf);
    expect(Array.from(x.data())).toEqual(want);
    expect(want).toEqual([0.875, -2.5, 3.75, 2]);
  });

  it('reads a y that shares the target\'s storage before writing, and writes through a view', () => {
    const x = tensor([1, 2, 3, 4]);
    axpyInPlace(x, x.flip(0), 1);
    expect(Array.from(x.data())).toEqual([5, 5, 5, 5]);
    const z = tensor([1, 2, 3, 4, 5, 6]);
    axpyInPlace(z.narrow(0, 2, 2), tensor([1, 1]), 10);
    expect(Array.from(z.data())).toEqual([1, 2, 13, 14, 5, 6]);
  });

  it('refuses mismatched operands and a target that requires grad while recording, naming the caller', () => {
    const w = tensor([1, 2], { requiresGrad: true });
    expect(() => axpyInPlace(w, tensor([1, 1]), 0.1, 'SGD')).toThrow(/^SGD: in-place writes are not recorded/);
    noGrad(() => axpyInPlace(w, tensor([1, 1]), -0.5, 'SGD'));
    expect(Array.from(w.data())).toEqual([0.5, 1.5]);
    expect(() => axpyInPlace(tensor([1, 2]), tensor([1, 2, 3]), 1, 'SGD')).toThrow(/^SGD: expected two tensors of one shape/);
    expect(() => axpyInPlace(tensor([1, 2]), tensor([1, 2], { dtype: 'float64' }), 1, 'SGD')).toThrow(/^SGD: expected two float tensors of one dtype/);
    expect(() => axpyInPlace(tensor([1, 2]), tensor([1, 2]), 'a' as unknown as number, 'SGD')).toThrow(/^SGD: expected alpha to be a number/);
  });
});
