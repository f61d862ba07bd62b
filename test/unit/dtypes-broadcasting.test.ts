import { describe, expect, it } from 'vitest';
import {
  add, argmax, atan2, div, fmod, hypot, matmul, minimum, mul, randint, remainder, sub, sum, tensor, ShapeError, where, maximum, gt, pow,
} from '@tapegrad/tensor';
import { backward } from '@tapegrad/autograd';

describe('type promotion', () => {
  it('promotes int32 < float32 < float64 between tensors', () => {
    const i = tensor([1, 2], { dtype: 'int32' });
    const f = tensor([1, 2]);
    const d = tensor([1, 2], { dtype: 'float64' });
    expect(add(i, f).dtype).toBe('float32');
    expect(add(f, d).dtype).toBe('float64');
    expect(add(i, d).dtype).toBe('float64');
    expect(add(i, i).dtype).toBe('int32');
  });

  it('never lets a plain number promote a tensor within its kind', () => {
    expect(add(tensor([1]), 1e-300).dtype).toBe('float32');
    expect(mul(tensor([1], { dtype: 'int32' }), 3).dtype).toBe('int32');
    // Across kinds a fractional number lifts an int tensor to float32, as in PyTorch.
    expect(mul(tensor([1], { dtype: 'int32' }), 1.5).toArray()).toEqual([1.5]);
  });

  it('divides integers in float32, multiplies int32 with wrap-around like int32 hardware', () => {
    expect(div(tensor([1], { dtype: 'int32' }), tensor([2], { dtype: 'int32' })).toArray()).toEqual([0.5]);
    const big = tensor([65536 * 3], { dtype: 'int32' });
    expect(mul(big, big).toArray()).toEqual([Math.imul(65536 * 3, 65536 * 3)]);
  });

  it('gives int32 for argmax/randint and sums of bool and int', () => {
    expect(argmax(tensor([1, 5, 2])).dtype).toBe('int32');
    expect(randint(0, 5, [3], { seed: 1 }).dtype).toBe('int32');
    expect(sum(tensor([true, true, false])).toArray()).toBe(2);
    expect(sum(tensor([true])).dtype).toBe('int32');
  });
});

describe('broadcasting (NumPy rules)', () => {
  it('broadcasts trailing dims and size-1 dims', () => {
    expect(add(tensor([[1, 2, 3], [4, 5, 6]]), tensor([10, 20, 30])).toArray()).toEqual([[11, 22, 33], [14, 25, 36]]);
    expect(add(tensor([[1], [2]]), tensor([[10, 20]])).toArray()).toEqual([[11, 21], [12, 22]]);
    expect(mul(tensor([[1, 2]]), 2).toArray()).toEqual([[2, 4]]);
    expect(where(gt(tensor([1, -1]), 0), tensor([[5], [6]]), 0).toArray()).toEqual([[5, 0], [6, 0]]);
  });

  it('broadcasts a scalar on the left as on the right', () => {
    expect(pow(2, tensor([1, 2, 3])).toArray()).toEqual([2, 4, 8]);
    expect(maximum(0, tensor([-1, 1])).toArray()).toEqual([0, 1]);
  });

  it('names the op and both shapes when shapes do not broadcast', () => {
    expect(() => add(tensor([1, 2, 3]), tensor([1, 2]))).toThrow(ShapeError);
    expect(() => add(tensor([1, 2, 3]), tensor([1, 2]))).toThrow(/add: cannot broadcast \[3\] with \[2\]/);
    expect(() => matmul(tensor([[1, 2, 3], [4, 5, 6]]), tensor([[1, 2], [3, 4]]))).toThrow('matmul: cannot multiply [2,3] by [2,2] (inner dims 3 != 2)');
  });

  it('matmul follows PyTorch for 1-D, 2-D and batched operands', () => {
    const v = tensor([1, 2]);
    const m = tensor([[1, 2], [3, 4]]);
    expect(matmul(v, v).shape).toEqual([]);
    expect(matmul(v, v).item()).toBe(5);
    expect(matmul(m, v).toArray()).toEqual([5, 11]);
    expect(matmul(v, m).toArray()).toEqual([7, 10]);
    const batch = tensor([[[1, 0], [0, 1]], [[2, 0], [0, 2]]]);
    expect(matmul(batch, m).toArray()).toEqual([[[1, 2], [3, 4]], [[2, 4], [6, 8]]]);
    expect(matmul(tensor([[[1, 1]]]), batch).shape).toEqual([2, 1, 2]);
  });
});

describe('a plain scalar with a float tensor', () => {
  // Such a scalar goes straight to the kernel as one stored value broadcast through zero strides
  // (ops/elementwise.ts, through scalarTensor with a shape); it must give what the same scalar as a
  // 0-d tensor gives.
  it('computes as the scalar stored in the tensor dtype, either side, for every binary op and shape', () => {
    const ops = { add, sub, mul, div, pow, maximum, minimum, atan2, fmod, remainder, hypot };
    const scalars = [0, -0, 1, -2.5, 1 / 3, 1e-40, 1e40, Infinity, -Infinity, NaN, true, false];
    for (const dtype of ['float32', 'float64'] as const) {
      for (const shape of [[], [3], [2, 3]]) {
        const x = tensor(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => [0.5, -1.5, 2, -0, 3e38, 7][i % 6]!), { shape, dtype });
        for (const [name, op] of Object.entries(ops)) {
          for (const s of scalars) {
            const as0d = tensor(Number(s), { dtype });
            for (const [got, want] of [[op(x, s), op(x, as0d)], [op(s, x), op(as0d, x)]] as const) {
              expect(got.dtype, `${name} ${dtype} ${String(s)}`).toBe(dtype);
              expect(got.shape).toEqual(shape);
              const g = Array.from(got.data()), w = Array.from(want.data());
              g.forEach((v, i) => expect(Object.is(v, w[i]), `${name}(${dtype} [${shape}], ${String(s)})[${i}]: ${v} vs ${w[i]}`).toBe(true));
            }
          }
        }
      }
    }
  });

  it('records nothing for the scalar, and the tensor gets its gradient', () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    const y = mul(sub(1, x), 3);
    expect(y.node!.inputs[1]!.requiresGrad).toBe(false);
    backward(sum(y));
    expect(x.grad!.toArray()).toEqual([-3, -3, -3]);
  });
});
