/**
 * The classes of bad input a fuzzer found, one test each with the examples it reported: no crash,
 * one element limit, nothing silently wrong, valid input accepted, and every error a
 * TypeError/RangeError/ShapeError naming the function the user called. test/fuzz/ searches the
 * same ground at random.
 */
import { describe, expect, it } from 'vitest';
import {
  MAX_ELEMENTS, ShapeError, Tensor, add, arange, clamp, concat, conv1d, convTranspose2d, diag, expand, eye, full, gather, leakyRelu, linspace, logSoftmax,
  logsumexp, matmul, max, maxPool2d, min, norm, oneHot, ones, pad, pow, rand, randint, randn, rsqrt, softmax, softplus, split,
  stack, std, sum, tensor, transpose, zeros, type DType,
} from '@tapegrad/tensor';
import { backward, defineOp } from '@tapegrad/autograd';
import { scatterAddZeros } from '@tapegrad/tensor/internal';

/** The error `f` throws (fails the test when it returns). */
function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error, got a result');
}

/** `f` throws `kind` with a message starting `name:` and matching `more`. */
function expectError(f: () => unknown, kind: new (...a: never[]) => Error, name: string, more?: RegExp): void {
  const e = thrown(f);
  expect(e).toBeInstanceOf(kind);
  expect(e.message.startsWith(`${name}:`), e.message).toBe(true);
  if (more) expect(e.message).toMatch(more);
}

const int = (v: number[] | number): Tensor => tensor(v, { dtype: 'int32' });
const gradOf = (f: (x: Tensor) => Tensor, x: Tensor): number[] => {
  const leaf = x.detach().requiresGrad_(true);
  backward(f(leaf));
  return Array.from(leaf.grad!.data());
};

describe('no crash', () => {
  it('a cyclic nested array is a RangeError, not a V8 fatal error', () => {
    const a: unknown[] = [];
    a.push(a);
    expectError(() => tensor(a as never), RangeError, 'tensor', /deeper than 64 levels .*cyclic/);
  });

  it('nesting 100,000 levels deep is the same RangeError, not a stack overflow', () => {
    let a: unknown = [1];
    for (let i = 0; i < 100_000; i++) a = [a];
    expectError(() => tensor(a as never), RangeError, 'tensor', /deeper than 64 levels/);
  });

  it('one row shared 65536 times (2^32 elements in little memory) is refused before it is read', () => {
    const row = new Array<number>(65536).fill(0);
    const start = performance.now();
    expectError(() => tensor(new Array(65536).fill(row)), RangeError, 'tensor', /4294967296 elements/);
    expect(performance.now() - start).toBeLessThan(1000);
  });
});

describe('one element limit, named by the function called', () => {
  const limit = String(MAX_ELEMENTS);
  it.each<[string, () => unknown]>([
    ['zeros', () => zeros([65536, 65536])],
    ['ones', () => ones([2 ** 32])],
    ['full', () => full([65536, 65536], 1)],
    ['randn', () => randn([65536, 65536])],
    ['rand', () => rand([2 ** 32])],
    ['randint', () => randint(0, 2, [65536, 65536])],
    ['eye', () => eye(65536)],
    ['arange', () => arange(0, 1e10)],
    ['linspace', () => linspace(0, 1, 2 ** 32)],
    ['pad', () => pad(zeros([1, 1]), [65536, 65536, 65536, 65536])],
    ['expand', () => expand(zeros([1]), [65536, 65536]).data()],
    ['add', () => add(zeros([65536, 1]), zeros([1, 65536]))],
    ['matmul', () => matmul(zeros([65536, 1]), zeros([1, 65536]))],
    ['scatterAdd', () => scatterAddZeros(zeros([1]), 0, int([0]), [65536, 65536])],
    ['Tensor.empty', () => Tensor.empty([65536, 65536], 'float32')],
    // Composites check the shapes they decide themselves, before handing them to padStrided, arange or fold2d.
    ['diag', () => diag(zeros([1]), -1e12)],
    ['oneHot', () => oneHot(int([1, 0]).reshape([2, 1]), 1e12)],
    ['convTranspose2d', () => convTranspose2d(zeros([1, 2, 3, 2]), zeros([2, 1, 1, 1]), null, { stride: 1e12, dilation: 2 })],
  ])('%s', (name, call) => {
    expectError(call, RangeError, name, new RegExp(`\\[\\d+(,\\d+)*\\].*more than tapegrad's limit of ${limit}`));
  });

  it('an empty oneHot has no row of classes to build: any number of classes gives an empty result', () => {
    const r = oneHot(tensor(new Int32Array(0), { shape: [0], dtype: 'int32' }), 1e12);
    expect([r.shape, r.dtype, r.size]).toEqual([[0, 1e12], 'int32', 0]);
  });

  it('is 2^31 - 1, the largest count int32 indices reach', () => {
    expect(MAX_ELEMENTS).toBe(2 ** 31 - 1);
  });
});

describe('bool tensors hold only 0 and 1', () => {
  const bytes = (t: Tensor): number[] => Array.from(t.data());
  it('full, pad, tensor, copy_ and fill_ store 0/1', () => {
    expect(sum(full([2], 5, { dtype: 'bool' })).item()).toBe(2);
    expect(bytes(pad(tensor([true]), [1, 1], 5))).toEqual([1, 1, 1]);
    expect(bytes(tensor(new Uint8Array([5, 0, 255])))).toEqual([1, 0, 1]);
    expect(bytes(tensor([2, 0, -1], { dtype: 'bool' }))).toEqual([1, 0, 1]);
    expect(bytes(zeros([2], { dtype: 'bool' }).fill_(7))).toEqual([1, 1]);
    expect(bytes(zeros([2], { dtype: 'bool' }).copy_(tensor([3, 0])))).toEqual([1, 0]);
  });

  it('random functions refuse what bool cannot hold', () => {
    expectError(() => randint(0, 5, [3], { dtype: 'bool' }), RangeError, 'randint', /does not fit dtype bool/);
    expect(bytes(randint(0, 2, [50], { dtype: 'bool', seed: 1 })).every((b) => b === 0 || b === 1)).toBe(true);
    expectError(() => randn([3], { dtype: 'bool' }), TypeError, 'randn');
  });
});

describe('nothing silently wrong', () => {
  it('concat of 0-d tensors is a ShapeError (stack joins them), as PyTorch', () => {
    expectError(() => concat([tensor(1), tensor(2)]), ShapeError, 'concat', /0-d/);
    expect(stack([tensor(1), tensor(2)]).toArray()).toEqual([1, 2]);
  });

  it('gather on a 0-d tensor takes a 0-d index, as PyTorch (and -1, counting from the end)', () => {
    expect(gather(tensor(5), 0, int(0)).toArray()).toBe(5);
    expect(gather(tensor(5), 0, int(-1)).toArray()).toBe(5);
    expectError(() => gather(tensor(5), 0, int(1)), RangeError, 'gather');
  });

  it('numbers that int32 cannot hold are refused, wherever they enter', () => {
    expectError(() => tensor(1e10, { dtype: 'int32' }), RangeError, 'tensor', /1e\+?10|10000000000/);
    expectError(() => tensor([NaN], { dtype: 'int32' }), RangeError, 'tensor', /NaN/);
    expectError(() => full([2], NaN, { dtype: 'int32' }), RangeError, 'full');
    expectError(() => zeros([2], { dtype: 'int32' }).fill_(2 ** 31), RangeError, 'fill_');
    expectError(() => add(int([1]), 1e10), RangeError, 'add');
    expectError(() => randint(0, 2 ** 40, [3]), RangeError, 'randint', /int32/);
    expectError(() => tensor([1.5, NaN]).to('int32'), RangeError, 'to', /element 1/);
    expect(tensor([2.7, -2.7]).to('int32').toArray()).toEqual([2, -2]);
  });

  it('rand and randn refuse integer dtypes, as PyTorch', () => {
    expectError(() => rand([2], { dtype: 'int32' }), TypeError, 'rand');
    expectError(() => randn([2], { dtype: 'int32' }), TypeError, 'randn');
  });

  it('an integer to a negative integer power is refused for a scalar exponent, as PyTorch', () => {
    expectError(() => pow(int([2]), -1), RangeError, 'pow', /negative integer powers/);
    expect(pow(int([2]), -1.0 + 0.5).dtype).toBe('float32');
    expect(pow(int([2, 1]), int([-1, -1])).toArray()).toEqual([0, 1]);
  });

  it('clamp: a NaN bound gives NaN where it applies; max wins over a larger min', () => {
    expect(clamp(tensor([1, 2]), NaN).toArray()).toEqual([NaN, NaN]);
    expect(clamp(tensor([1, 2]), null, tensor([NaN, 3])).toArray()).toEqual([NaN, 2]);
    expect(clamp(tensor([NaN, 5]), 0, 1).toArray()).toEqual([NaN, 1]);
    expect(clamp(tensor([0, 5]), 3, 1).toArray()).toEqual([1, 1]);
  });

  it('non-numeric arguments are TypeErrors, not NaN', () => {
    expectError(() => pad(tensor([1]), [1, 1], 'a' as never), TypeError, 'pad');
    expectError(() => zeros([2]).fill_(undefined as never), TypeError, 'fill_');
    expectError(() => zeros([2]).fill_(1n as never), TypeError, 'fill_', /bigint/);
    expectError(() => linspace('a' as never, 1, 3), TypeError, 'linspace');
    expectError(() => tensor([1, 2]).var(undefined, false, { correction: 'a' as never }), TypeError, 'var');
  });

  it('scatterAdd shapes go through the shared shape validator', () => {
    for (const bad of [[2.5], '3', [NaN]]) expectError(() => scatterAddZeros(tensor([1]), 0, int([0]), bad as never), bad === '3' ? TypeError : RangeError, 'scatterAdd');
  });

  it('split: a size-0 axis gives one empty chunk, a 0-d tensor is refused, as PyTorch', () => {
    expect(split(zeros([0]), 2).map((t) => t.shape)).toEqual([[0]]);
    expect(split(zeros([0]), 0).map((t) => t.shape)).toEqual([[0]]);
    expectError(() => split(zeros([5]), 0), RangeError, 'split');
    expectError(() => split(tensor(1), 1), ShapeError, 'split');
  });

  it('the max/min tie gradient depends on the call, not on the rank', () => {
    // No axis, or a list of axes (PyTorch's max() and amax): shared among ties.
    expect(gradOf((x) => max(x), tensor([2, 2, 1]))).toEqual([0.5, 0.5, 0]);
    expect(gradOf((x) => max(x), tensor([[2, 2], [1, 0]]))).toEqual([0.5, 0.5, 0, 0]);
    expect(gradOf((x) => sum(max(x, [0])), tensor([2, 2, 1]))).toEqual([0.5, 0.5, 0]);
    expect(gradOf((x) => min(x), tensor([[1, 1, 1]], { dtype: 'float64' }))).toEqual([1 / 3, 1 / 3, 1 / 3]);
    // One axis as a number (PyTorch's max(dim)): the first extreme takes it all, in any rank.
    expect(gradOf((x) => max(x, 0), tensor([2, 2, 1]))).toEqual([1, 0, 0]);
    expect(gradOf((x) => sum(max(x, 1)), tensor([[2, 2], [1, 1]]))).toEqual([1, 0, 1, 0]);
    expect(gradOf((x) => sum(maxPool2d(x.reshape([1, 1, 1, 3]), [1, 3])), tensor([2, 2, 1]))).toEqual([1, 0, 0]);
    // NaN counts as tied with a NaN maximum.
    expect(gradOf((x) => max(x), tensor([NaN, 2, NaN]))).toEqual([0.5, 0, 0.5]);
  });

  it('std and norm have gradient 0 at 0, as PyTorch', () => {
    expect(gradOf((x) => std(x), tensor([1, 1, 1]))).toEqual([0, 0, 0]);
    for (const p of [2, 3, 1, Infinity]) expect(gradOf((x) => norm(x, p), zeros([3]))).toEqual([0, 0, 0]);
    const g = gradOf((x) => sum(std(x, 1)), tensor([[1, 1], [1, 2]], { dtype: 'float64' }));
    expect(g.slice(0, 2)).toEqual([0, 0]);
    expect(g[3]).toBeCloseTo(Math.SQRT1_2, 12);
  });

  it('.grad always has its leaf dtype', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    backward(x.mul(2), tensor([1, 1], { dtype: 'float64' }));
    expect(x.grad!.dtype).toBe('float32');
    expectError(() => backward(x.mul(2), int([1, 1])), TypeError, 'backward', /gradOutput has dtype int32; derivatives must be float32 or float64/);
    const toInt = defineOp({ name: 'toInt', forward: (t) => t.mul(1), vjp: (g) => [g.to('int32')] });
    expectError(() => backward(sum(toInt(tensor([1], { requiresGrad: true })))), TypeError, "backward of 'toInt'", /dtype int32/);
    const widen = defineOp({ name: 'widen', forward: (t) => t.mul(1), vjp: (g) => [g.to('float64')] });
    const y = tensor([1], { requiresGrad: true });
    backward(sum(widen(y)));
    expect(y.grad!.dtype).toBe('float32');
  });

  it('in place: a broadcast view is not written, and a wider result is not truncated', () => {
    expectError(() => expand(zeros([1]), [3]).fill_(1), TypeError, 'fill_', /share one storage slot/);
    expectError(() => int([1, 2]).add_(0.5), TypeError, 'add_', /float32.*int32/);
    expectError(() => int([1, 2]).div_(2), TypeError, 'div_');
  });
});

describe('valid input accepted', () => {
  it('softmax, logSoftmax and logsumexp over a size-0 axis, as PyTorch', () => {
    expect(softmax(zeros([2, 0]), 1).shape).toEqual([2, 0]);
    expect(logSoftmax(zeros([2, 0]), 1).shape).toEqual([2, 0]);
    expect(logsumexp(zeros([2, 0]), 1).toArray()).toEqual([-Infinity, -Infinity]);
    expect(logsumexp(zeros([0])).toArray()).toBe(-Infinity);
  });

  it('transpose of a 0-d tensor, as PyTorch', () => {
    expect(transpose(tensor(3), 0, 0).toArray()).toBe(3);
    expect(transpose(tensor(3), 0, -1).toArray()).toBe(3);
    expect(tensor(3).T.toArray()).toBe(3);
  });
});

describe('engine-level messages become the library\'s', () => {
  it('backward names itself and what it expected', () => {
    expectError(() => backward(undefined as never), TypeError, 'backward', /expected the output Tensor.*undefined/);
    const x = tensor([1, 2], { requiresGrad: true });
    expectError(() => backward(x.mul(2), 'a' as never), TypeError, 'backward', /gradOutput .*"a"/);
    expectError(() => backward(x.sum(), undefined, 'a' as never), TypeError, 'backward', /options/);
    expectError(() => backward(x.sum(), undefined, { createGraph: 1 } as never), TypeError, 'backward', /createGraph/);
  });

  it('a defineOp VJP that returns the wrong thing is named', () => {
    const x = tensor([1], { requiresGrad: true });
    for (const [result, message] of [[undefined, /array .* got undefined/], [[undefined], /input 0 must be a Tensor or null, got undefined/], ['a', /got the string "a"/]] as const) {
      const f = defineOp({ name: 'f', forward: (t) => t.mul(1), vjp: () => result as never });
      expectError(() => backward(sum(f(x))), TypeError, "backward of 'f'", message);
    }
    expectError(() => defineOp({ name: 'f' } as never), TypeError, 'defineOp', /forward undefined/);
  });
});

describe('every message names the function the user called', () => {
  it.each<[string, () => unknown, new (...a: never[]) => Error, RegExp?]>([
    ['zeros', () => zeros([-1]), RangeError],
    ['ones', () => ones('3' as never), TypeError],
    ['randn', () => randn([2], { seed: -1 }), RangeError, /opts.seed/],
    ['randn', () => randn([2], { generator: 3 as never }), TypeError],
    ['rsqrt', () => rsqrt('a' as never), TypeError],
    ['leakyRelu', () => leakyRelu(tensor([1]), 'a' as never), TypeError],
    ['leakyRelu', () => leakyRelu(int([1]), -1e12), RangeError],
    ['softplus', () => softplus(tensor([1]), { beta: 'a' as never }), TypeError],
    ['softplus', () => softplus(tensor([1]), { bta: 2 } as never), TypeError, /unknown option 'bta'/],
    ['clamp', () => clamp(tensor([1]), 'a' as never), TypeError],
    ['clamp', () => clamp(zeros([2]), zeros([3])), ShapeError],
    ['conv1d', () => conv1d(zeros([1, 2, 5]), zeros([3, 1, 3])), ShapeError, /weight \[3,1,3\].*input \[1,2,5\]/],
    ['conv1d', () => conv1d(zeros([1, 1, 2]), zeros([1, 1, 3])), ShapeError, /kernel \[3\].*\[1,1,2\]/],
    ['conv1d', () => conv1d(zeros([1, 1, 5]), zeros([1, 1, 3]), null, { stride: 0 }), RangeError],
    ['add_', () => zeros([2]).add_('a' as never), TypeError],
    ['add_', () => zeros([1]).add_(zeros([3])), ShapeError, /\[3\].*\[1\]/],
    ['mul_', () => tensor([1], { requiresGrad: true }).mul_(2), TypeError, /not recorded/],
    ['zero_', () => tensor([1], { requiresGrad: true }).zero_(), TypeError],
    ['matmul', () => matmul(zeros([2, 3, 4]), zeros([3, 4, 5])), ShapeError, /\[2,3,4\] by \[3,4,5\]: batch dims \[2\] and \[3\]/],
    ['to', () => zeros([1]).to('half' as never), TypeError],
    ['std', () => std(zeros([2]), 0, 'yes' as never), TypeError, /keepdims/],
    ['max', () => max(zeros([2]), 0, 1 as never), TypeError, /keepdims/],
  ])('%s', (name, call, kind, more) => expectError(call, kind, name, more));

  it('dtypes in messages never come out as engine errors (a bigint, a symbol)', () => {
    for (const d of [1n, Symbol('d'), { toString: null }]) expectError(() => zeros([1], { dtype: d as unknown as DType }), TypeError, 'zeros', /unknown dtype/);
  });
});

describe('nn: junk arguments name the layer or optimizer, shape mismatches are ShapeErrors', () => {
  it('a layer given a non-tensor throws a TypeError naming it, through forward and call', async () => {
    const nn = await import('@tapegrad/nn');
    const lin = new nn.Linear(3, 2, { seed: 0 });
    expect(() => lin.forward('a' as never)).toThrow(TypeError);
    expect(() => lin.forward('a' as never)).toThrow(/^Linear: expected input to be a Tensor, got "a"/);
    expect(() => lin.call('a' as never)).toThrow(/^Linear: expected input to be a Tensor/);
    expect(() => new nn.LSTM(3, 2).call(5 as never)).toThrow(/^LSTM: expected input to be a Tensor, got 5/);
    expect(() => new nn.MultiheadAttention(4, 2).call(null as never, null as never, null as never)).toThrow(/^MultiheadAttention: expected query to be a Tensor/);
  });

  it('an error from inside a layer call starts with the layer the user called', async () => {
    const nn = await import('@tapegrad/nn');
    const { randn: rn } = await import('@tapegrad/tensor');
    const conv = new nn.Conv1d(2, 3, 2, { seed: 0 });
    expect(() => conv.call(rn([2, 2, 1]))).toThrow(ShapeError);
    expect(() => conv.call(rn([2, 2, 1]))).toThrow(/^Conv1d: conv1d: kernel/);
    expect(() => new nn.Sequential(new nn.Linear(2, 2)).call(rn([3]))).toThrow(/^Sequential: Linear: expected input \[\.\.\., 2\]/);
  });

  it('an optimizer step with a junk, misshapen or other-dtype gradient names the step', async () => {
    const nn = await import('@tapegrad/nn');
    const { tensor: t } = await import('@tapegrad/tensor');
    for (const [grad, kind, message] of [
      ['a', TypeError, /^Adam\.step: expected the \.grad of a parameter of shape \[2\] to be a Tensor or null, got "a"/],
      [t([1, 2, 3]), ShapeError, /^Adam\.step: a parameter of shape \[2\] has a gradient of shape \[3\]/],
      [t(new Float64Array([1, 2])), TypeError, /^Adam\.step: a float32 parameter of shape \[2\] has a float64 gradient/],
    ] as const) {
      const p = nn.parameter(t([1, 2]));
      const opt = new nn.Adam([p]);
      (p as { grad: unknown }).grad = grad;
      expect(() => opt.step()).toThrow(kind);
      expect(() => opt.step()).toThrow(message);
      expect(Array.from(p.data())).toEqual([1, 2]);
    }
    const q = nn.parameter(t([1, 2]));
    (q as { grad: unknown }).grad = 3;
    expect(() => nn.clipGradNorm_([q], 1)).toThrow(/^clipGradNorm_: expected the \.grad/);
  });

  it('a transformer layer checks what it hands its sublayers under its own name', async () => {
    const nn = await import('@tapegrad/nn');
    for (const Layer of [nn.TransformerEncoderLayer, nn.TransformerDecoderLayer]) {
      const name = Layer.name;
      const small = { dimFeedforward: 8 };
      for (const nhead of [3, 65536, 1e12]) expectError(() => new Layer(4, nhead, small), RangeError, name, new RegExp(`dModel \\(4\\) to be divisible by nhead \\(${nhead}\\)`));
      for (const dropout of [-1, 2.5, NaN, '3']) expectError(() => new Layer(4, 2, { ...small, dropout: dropout as number }), RangeError, name, /dropout probability in \[0, 1\]/);
      expectError(() => new Layer(4, 2, { ...small, dtype: 'float16' as never }), TypeError, name, /dtype must be 'float32' or 'float64', got "float16"/);
      expectError(() => new Layer(4, 2, { dimFeedforward: 1e12 }), RangeError, name, /\[1000000000000,4\] has 4000000000000 elements/);
    }
  });

  it('a transformer stack refuses more than 4096 layers at once, and stacks independent copies', async () => {
    const nn = await import('@tapegrad/nn');
    const enc = new nn.TransformerEncoderLayer(4, 2, { seed: 1, dropout: 0, dimFeedforward: 8 });
    const dec = new nn.TransformerDecoderLayer(4, 2, { seed: 1, dropout: 0, dimFeedforward: 8 });
    for (const n of [4097, 65536, 1e12]) {
      const start = performance.now();
      expectError(() => new nn.TransformerEncoder(enc, n), RangeError, 'TransformerEncoder', new RegExp(`numLayers <= 4096 .*got ${n}$`));
      expectError(() => new nn.TransformerDecoder(dec, n), RangeError, 'TransformerDecoder', new RegExp(`numLayers <= 4096 .*got ${n}$`));
      expect(performance.now() - start).toBeLessThan(100);
    }
    const stack = new nn.TransformerEncoder(enc, 3);
    const w = enc.linear1.weight;
    for (const l of stack.layers) {
      expect(l.linear1.weight).not.toBe(w);
      expect(l.linear1.weight.buf).not.toBe(w.buf);
      expect(Array.from(l.linear1.weight.data())).toEqual(Array.from(w.data()));
    }
  });

  it('LBFGS with a maxIter that is not a number names LBFGS and the option', async () => {
    const nn = await import('@tapegrad/nn');
    for (const maxIter of [Symbol('junk'), '3', 1n]) {
      expectError(() => new nn.LBFGS([nn.parameter(tensor([1, 1]))], { lr: 0.5, maxIter: maxIter as never }), TypeError, 'LBFGS', /'maxIter' must be a number/);
    }
  });

  it('TensorDataset with different first dims is a ShapeError', async () => {
    const nn = await import('@tapegrad/nn');
    const { zeros: z } = await import('@tapegrad/tensor');
    expect(() => new nn.TensorDataset(z([3, 2]), z([4]))).toThrow(ShapeError);
  });
});
