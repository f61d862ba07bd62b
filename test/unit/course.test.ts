import { describe, expect, it } from 'vitest';
import { add, backward, grad, mul, tensor } from 'tapegrad';

describe('the course computation graph J = 3(a + bc)', () => {
  it('has the value and derivatives worked out by hand', () => {
    const a = tensor(5, { dtype: 'float64', requiresGrad: true });
    const b = tensor(3, { dtype: 'float64', requiresGrad: true });
    const c = tensor(2, { dtype: 'float64', requiresGrad: true });
    const J = mul(add(a, mul(b, c)), 3);
    expect(J.item()).toBe(33);
    backward(J);
    expect([a.grad!.item(), b.grad!.item(), c.grad!.item()]).toEqual([3, 6, 9]);
  });

  it('gives the same derivatives through grad with argnums', () => {
    const J = (a: any, b: any, c: any) => mul(add(a, mul(b, c)), 3);
    const gs = grad(J, { argnums: [0, 1, 2] })(tensor(5), tensor(3), tensor(2)) as any[];
    expect(gs.map((g) => g.item())).toEqual([3, 6, 9]);
  });
});
