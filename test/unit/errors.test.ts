import { describe, expect, it } from 'vitest';
import {
  add, avgPool2d, concat, conv2d, expand, gather, matmul, maxPool2d, permute, reshape, slice, softmax, split, stack, sum,
  tensor, zeros, ShapeError, argmax, pad, where, dropout, mean, transpose, clamp, full,
} from '@tapegrad/tensor';

/** Every bad call throws the named error class, and its message names the op. */
const cases: [string, () => unknown, new (...a: never[]) => Error, RegExp][] = [
  ['broadcast', () => add(zeros([2, 3]), zeros([4])), ShapeError, /^add: cannot broadcast \[2,3\] with \[4\]/],
  ['matmul inner dims', () => matmul(zeros([2, 3]), zeros([4, 5])), ShapeError, /^matmul: cannot multiply \[2,3\] by \[4,5\] \(inner dims 3 != 4\)$/],
  ['matmul of a scalar', () => matmul(zeros([]), zeros([2])), ShapeError, /^matmul: both operands need at least 1 dim/],
  ['axis out of range', () => sum(zeros([2, 3]), 2), RangeError, /^sum: axis 2 is out of range for a tensor with 2 dims \(expected -2\.\.1\)/],
  ['fractional axis', () => mean(zeros([2]), 0.5), TypeError, /^mean: expected an integer axis, got 0.5/],
  ['repeated axis', () => sum(zeros([2, 3]), [1, -1]), RangeError, /^sum: repeated axis/],
  ['reshape size', () => reshape(zeros([2, 3]), [4, 2]), ShapeError, /^reshape: cannot reshape \[2,3\] \(6 elements\) into \[4,2\]/],
  ['reshape two -1', () => reshape(zeros([2, 3]), [-1, -1]), RangeError, /^reshape: only one dimension can be -1/],
  ['reshape NaN', () => reshape(zeros([2]), [NaN]), TypeError, /^reshape: expected a shape as an array of integers, got \[NaN\]/],
  ['permute not a permutation', () => permute(zeros([2, 3]), [0, 0]), RangeError, /^permute: dims must be a permutation/],
  ['transpose dim', () => transpose(zeros([2, 3]), 0, 5), RangeError, /^transpose: axis 5 is out of range/],
  ['expand', () => expand(zeros([2, 3]), [4, 3]), ShapeError, /^expand: cannot expand \[2,3\] to \[4,3\]/],
  ['slice arity', () => slice(zeros([2, 3]), [0, 0, 0], [1, 1, 1]), RangeError, /^slice: got 3 starts for a tensor with 2 dims/],
  ['concat shapes', () => concat([zeros([2, 3]), zeros([2, 4])], 0), ShapeError, /^concat: shapes \[2,3\] and \[2,4\] differ outside axis 0/],
  ['concat empty', () => concat([]), RangeError, /^concat: expected a non-empty array/],
  ['stack shapes', () => stack([zeros([2]), zeros([3])]), ShapeError, /^stack: all tensors must have one shape/],
  ['split sizes', () => split(zeros([5]), [2, 2]), ShapeError, /^split: sizes \[2,2\] do not add up to 5/],
  ['gather index dtype', () => gather(zeros([2, 3]), 1, tensor([[0]])), TypeError, /^gather: expected an int32 index tensor, got float32/],
  ['gather index range', () => gather(zeros([2, 3]), 1, tensor([[3]], { dtype: 'int32' })), RangeError, /^gather: index 3 is out of range for axis 1 of size 3/],
  ['pad widths', () => pad(zeros([2]), [1, 1, 1]), RangeError, /^pad: expected an even number of widths/],
  ['conv2d channels', () => conv2d(zeros([1, 3, 5, 5]), zeros([4, 2, 3, 3])), ShapeError, /^conv2d: weight \[4,2,3,3\] with groups=1 expects 2 input channels .* got input \[1,3,5,5\]/],
  ['conv2d kernel too big', () => conv2d(zeros([1, 1, 2, 2]), zeros([1, 1, 3, 3])), ShapeError, /^conv2d: kernel \[3,3\]/],
  ['conv2d rank', () => conv2d(zeros([5, 5]), zeros([1, 1, 3, 3])), ShapeError, /^conv2d: expected input \[N, C, H, W\]/],
  ['maxPool2d padding', () => maxPool2d(zeros([1, 1, 4, 4]), 2, { padding: 2 }), RangeError, /^maxPool2d: padding \[2,2\] must be at most half the kernel/],
  ['avgPool2d rank', () => avgPool2d(zeros([4, 4]), 2), ShapeError, /^avgPool2d: expected a 4-D input/],
  ['softmax axis', () => softmax(zeros([2]), 3), RangeError, /^softmax: axis 3 is out of range/],
  ['argmax of nothing', () => argmax(zeros([0])), RangeError, /^argmax: cannot reduce over axis 0 of size 0/],
  ['where operand', () => where(tensor([true]), 'a' as never, 1), TypeError, /^where: expected a Tensor, number or boolean operand, got "a"/],
  ['dropout p', () => dropout(zeros([2]), 1.5, true), RangeError, /^dropout: expected a probability p in \[0, 1\], got 1.5/],
  ['clamp operand', () => clamp(zeros([2]), {} as never), TypeError, /expected a Tensor, number or boolean operand/],
  ['full value', () => full([2], 'x' as never), TypeError, /^full: expected a number or boolean value/],
];

describe('bad input gives a clear error naming the op', () => {
  for (const [name, call, kind, message] of cases) {
    it(name, () => {
      let caught: unknown;
      try {
        call();
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(kind);
      expect((caught as Error).message).toMatch(message);
    });
  }
});

describe('composites report errors under the name the user called', () => {
  it('std, logsumexp, norm and logSoftmax name themselves', async () => {
    const T = await import('@tapegrad/tensor');
    expect(() => T.std(zeros([2]), 3)).toThrow(/^std: /);
    expect(() => T.logsumexp(zeros([2]), 3)).toThrow(/^logsumexp: /);
    expect(() => T.norm(zeros([2]), 2, 3)).toThrow(/^norm: /);
    expect(() => T.logSoftmax(zeros([2]), 3)).toThrow(/^logSoftmax: /);
  });
});
