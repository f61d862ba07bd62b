import { describe, expect, it } from 'vitest';
import { ShapeError, arange, diagonal, einsum, matmul, mul, ones, permute, randn, sum, tensor, trace, transpose, zeros, type Tensor } from '@tapegrad/tensor';

const r = (shape: number[], seed: number): Tensor => randn(shape, { seed, dtype: 'float64' });
const close = (a: Tensor, b: Tensor): void => {
  expect(a.shape).toEqual(b.shape);
  const x = a.data(), y = b.data();
  for (let i = 0; i < x.length; i++) expect(Math.abs(x[i]! - y[i]!)).toBeLessThanOrEqual(1e-12 * (1 + Math.abs(y[i]!)));
};

describe('einsum', () => {
  it('computes products, transposes, traces and diagonals, explicit or implicit', () => {
    const a = r([2, 3], 1), b = r([3, 4], 2), m = r([3, 3], 3);
    close(einsum('ij,jk->ik', a, b), matmul(a, b));
    close(einsum('ij,jk', a, b), matmul(a, b));
    close(einsum('ji', a), transpose(a, 0, 1));
    close(einsum('ij->', a), sum(a));
    close(einsum('ii', m), trace(m));
    close(einsum('ii->i', m), diagonal(m));
    close(einsum('i,j->ij', r([2], 4), r([3], 5)), mul(r([2], 4).reshape([2, 1]), r([3], 5)));
    close(einsum(' i , i -> ', r([4], 6), r([4], 7)), sum(mul(r([4], 6), r([4], 7))));
  });

  it('orders an implicit output alphabetically, upper case first, after the ... dims', () => {
    expect(einsum('aB', zeros([2, 3])).shape).toEqual([3, 2]);
    expect(einsum('Ba', zeros([2, 3])).shape).toEqual([2, 3]);
    expect(einsum('i...j', zeros([2, 5, 6, 3])).shape).toEqual([5, 6, 2, 3]);
  });

  it('handles ..., broadcasting size-1 dims, repeated subscripts and three operands', () => {
    const x = r([2, 1, 2, 3], 8), y = r([3, 3, 2], 9);
    close(einsum('...ij,...jk->...ik', x, y), matmul(x, y));
    close(einsum('...ij->...ji', r([5, 3, 2], 10)), transpose(r([5, 3, 2], 10), -1, -2));
    expect(einsum('...i->i', ones([2, 3])).toArray()).toEqual([2, 2, 2]);
    expect(einsum('ij,ij->ij', ones([1, 3]), ones([2, 3])).shape).toEqual([2, 3]);
    const t = arange(18, { dtype: 'float64' }).reshape([3, 2, 3]);
    expect(einsum('iji->j', t).toArray()).toEqual([0 + 7 + 14, 3 + 10 + 17]);
    const p = r([2, 3, 4], 11), q = r([2, 4, 5], 12), s = r([5, 2], 13);
    close(einsum('bij,bjk,kb->bi', p, q, s), sum(mul(matmul(p, q), permute(s, [1, 0]).reshape([2, 1, 5])), 2));
    expect(einsum('ij,jk->ik', zeros([2, 0]), zeros([0, 3])).toArray()).toEqual([[0, 0, 0], [0, 0, 0]]);
    expect(einsum('i,i', tensor([1, 2], { dtype: 'int32' }), tensor([3, 4], { dtype: 'int32' })).toArray()).toBe(11);
  });

  it('names the offending subscript in a bad equation', () => {
    const a = zeros([2, 3]);
    expect(() => einsum('ij,jk->iz', a, zeros([3, 4]))).toThrow(/einsum: output subscript 'z' does not appear in any operand/);
    expect(() => einsum('ij->ii', a)).toThrow(/einsum: output subscript 'i' appears more than once/);
    expect(() => einsum('ij,jk', a, a)).toThrow(/einsum: subscript 'j' has size 2 in operand 1 but 3 in an earlier operand/);
    expect(() => einsum('ii', a)).toThrow(/einsum: subscript 'i' is repeated in operand 0 with different sizes 2 and 3/);
    expect(() => einsum('i1', a)).toThrow(/einsum: invalid character '1'/);
    expect(() => einsum('i.j', a)).toThrow(/einsum: invalid character '\.'/);
    expect(() => einsum('ijk', a)).toThrow(ShapeError);
    expect(() => einsum('ij,jk', a)).toThrow(/the equation 'ij,jk' has 2 operands but 1 tensor was given/);
    expect(() => einsum('i->j->k', a)).toThrow(/at most one '->'/);
  });
});
