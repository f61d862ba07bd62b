/**
 * The op table: one row per public differentiable op of @tapegrad/tensor (and per interesting
 * variant: axis/keepdims, strides, padding, groups...). Everything op-generic is driven by it:
 * the float64 gradient check (gradcheck.prop.test.ts), the coverage test (coverage.test.ts) and
 * the PyTorch agreement fixtures (torch/, torch-agreement.test.ts).
 *
 * A row says how to call the op on float64 tensors, where its inputs live (value domain, kinks to
 * keep away from, shapes), how tight its tolerance is, whether its gradient is differentiable
 * again on that domain (second-order check) and the same computation in PyTorch, as Python source.
 * PyTorch expressions run with `torch` and `F` (torch.nn.functional) in scope; float inputs arrive
 * as float64 tensors, index inputs as int64 and mask inputs as bool.
 */
import {
  abs, add, avgPool2d, broadcastTo, cast, clamp, clone, concat, contiguous, conv1d, conv2d, cos, div, dot, dropout, elu,
  erf, exp, expand, flatten, fold2d, gather, gelu, leakyRelu, log, log1p, logSoftmax, logsumexp, matmul, max, maximum,
  maxPool2d, mean, min, minimum, mul, neg, norm, outer, pad, padStrided, permute, pow, prod, rand, relu, reshape, rsqrt,
  sigmoid, sin, slice, softmax, softplus, split, sqrt, square, squeeze, stack, std, sub, sum, tanh, tensor,
  transpose, unfold2d, unsqueeze, var as variance, where, ge, Tensor,
  broadcastShapes, chunk, diag, diagonal, einsum, flip, index as indexOp, indexPut, indexSelect, maskedFill, maskedSelect, meshgrid, movedim,
  narrow, normal, randn, repeat, repeatInterleave, roll, scatter, scatterAdd, select, take, tile, trace, tril, triu, unbind, unflatten,
  type NestedArray,
  floor, ceil, round, trunc, asin, acos, atan, sinh, cosh, asinh, acosh, atanh, erfc, expm1, log2, log10, reciprocal, silu,
  mish, atan2, hypot, fmod, remainder, logaddexp, lerp, nanToNum, cumsum, cumprod, logcumsumexp, cummax, cummin, sort,
  topk, kthvalue, median,
  adaptiveAvgPool2d, adaptiveMaxPool2d, avgPool1d, convTranspose1d, convTranspose2d, interpolate, maxPool1d,
} from '@tapegrad/tensor';
import { arange, eye, linalg } from '@tapegrad/tensor';
import { axpy, layerNorm } from '@tapegrad/tensor/internal';
import { vjp } from '@tapegrad/autograd';

/** Where an input's values are drawn from. */
export interface Domain {
  /** Values are uniform in [lo, hi] ... */
  lo: number;
  hi: number;
  /** ... but never closer than `margin` (default 0.05) to a kink listed here. */
  avoid?: readonly number[];
  margin?: number;
  /** This many elements (at random places) are exactly 0. */
  zeros?: number;
  /** Whole numbers only: ties on purpose. */
  integers?: boolean;
}

export type InputSpec =
  /** A float64 tensor, differentiated. */
  | { kind: 'float'; domain: Domain }
  /** An int32 index tensor with values in [0, high): a constant. */
  | { kind: 'index'; high: number }
  /** A bool tensor: a constant. */
  | { kind: 'mask' };

export type ShapeSpec =
  /** One shape per input, all broadcastable together (NumPy rules), rank <= maxRank (default 3). */
  | { kind: 'broadcast'; maxRank?: number }
  /** One random shape shared by every input: rank in [min, max], dims in [minDim, maxDim] (default 1..3). */
  | { kind: 'rank'; min: number; max: number; minDim?: number; maxDim?: number }
  /** One of a few fixed shape lists (one shape per input). */
  | { kind: 'fixed'; options: number[][][] };

export interface Tolerance { atol: number; rtol: number }

export interface OpRow {
  /** The exported function's name. */
  op: string;
  variant?: string;
  /** The op applied to the inputs; several outputs (split) are checked as one flat concatenation. */
  call: (...xs: Tensor[]) => Tensor | Tensor[];
  inputs: InputSpec[];
  shapes: ShapeSpec;
  /** All float values pairwise distinct (across inputs): no ties for max/min-like ops. */
  distinct?: boolean;
  /** First-order check tolerance: |analytic - numeric| <= atol + rtol |numeric|. */
  tol: Tolerance;
  /** Central-difference step (default 1e-6). */
  eps?: number;
  /** Differentiable again on the sampled domain: also run the second-order check. */
  smooth: boolean;
  /** The op rounds through float32, so identities between its float64 derivatives hold to float32 precision only. */
  roundsToFloat32?: boolean;
  /** The same computation in PyTorch: a Python lambda over the inputs (then the `torchAux` tensors). */
  torch: string;
  /** An op of @tapegrad/tensor/internal (a primitive public layers build on, not a public function). */
  internal?: boolean;
  /** Extra constant tensors passed to the PyTorch lambda only (e.g. a dropout mask made by tapegrad's seeded generator). */
  torchAux?: (xs: Tensor[]) => Tensor[];
  /**
   * Inputs that vmap cannot batch, and why: the vmap property keeps them shared by the batch (the
   * other inputs are batched as usual), and a separate test checks that batching them is a clear error.
   */
  unbatchable?: { inputs: number[]; reason: string };
}

/** The default first-order tolerance for float64 central differences with step 1e-6. */
export const TOL: Tolerance = { atol: 1e-6, rtol: 1e-5 };

// ---- building blocks --------------------------------------------------------------------------

const f = (lo: number, hi: number, extra: Partial<Domain> = {}): InputSpec => ({ kind: 'float', domain: { lo, hi, ...extra } });
const REAL = f(-2, 2);
const NONZERO = f(-2, 2, { avoid: [0], margin: 0.3 });
/** Inputs in [-1, 1]: the linalg rows' transforms make every matrix of them well-conditioned. */
const UNIT = f(-1, 1);
const index = (high: number): InputSpec => ({ kind: 'index', high });
const MASK: InputSpec = { kind: 'mask' };
const broadcast = (maxRank?: number): ShapeSpec => (maxRank === undefined ? { kind: 'broadcast' } : { kind: 'broadcast', maxRank });
const rank = (min: number, max: number, minDim?: number, maxDim?: number): ShapeSpec => ({
  kind: 'rank', min, max, ...(minDim === undefined ? {} : { minDim }), ...(maxDim === undefined ? {} : { maxDim }),
});
const fixed = (...options: number[][][]): ShapeSpec => ({ kind: 'fixed', options });

type RowOpts = Partial<Omit<OpRow, 'op' | 'call' | 'torch'>>;
function row(op: string, variant: string | undefined, call: OpRow['call'], torch: string, o: RowOpts = {}): OpRow {
  const r: OpRow = {
    op, call, torch,
    inputs: o.inputs ?? [REAL],
    shapes: o.shapes ?? rank(0, 3),
    tol: o.tol ?? TOL,
    smooth: o.smooth ?? true,
  };
  if (variant !== undefined) r.variant = variant;
  if (o.distinct) r.distinct = true;
  if (o.eps !== undefined) r.eps = o.eps;
  if (o.torchAux) r.torchAux = o.torchAux;
  if (o.roundsToFloat32) r.roundsToFloat32 = true;
  if (o.unbatchable) r.unbatchable = o.unbatchable;
  if (o.internal) r.internal = true;
  return r;
}
const binary = (op: string, variant: string | undefined, call: OpRow['call'], torch: string, o: RowOpts = {}): OpRow =>
  row(op, variant, call, torch, { inputs: [REAL, REAL], shapes: broadcast(), ...o });

/** f's VJP at x along g, as a function of both (recorded, so it differentiates again). */
const pullback = (fn: (t: Tensor) => Tensor, x: Tensor, g: Tensor): Tensor => vjp(fn, x).vjp(g)[0]!;
/** The same in PyTorch, for an expression in x. */
const torchVjp = (expr: string): string => `lambda x, g: torch.autograd.grad(${expr}, x, g, create_graph=True)[0]`;

const DROPOUT_P = 0.3;
const DROPOUT_SEED = 1234;
const NORMAL_SEED = 4321;
/** Selecting by a bool mask: the result's length is the mask's count of true values. */
const MASK_SHAPE = 'the result has as many elements as the mask has true values, which differs between batch elements, so a batched mask cannot be stacked';
/** A constant int32 tensor (nested arrays). */
const ints = (v: NestedArray): Tensor => tensor(v, { dtype: 'int32' });

// ---- the table ----------------------------------------------------------------------------------

export const OP_TABLE: readonly OpRow[] = [
  // elementwise, binary (broadcasting)
  binary('add', undefined, (a, b) => add(a!, b!), 'lambda a, b: torch.add(a, b)'),
  row('add', 'scalar operand', (x) => add(x!, 2.5), 'lambda x: torch.add(x, 2.5)'),
  binary('sub', undefined, (a, b) => sub(a!, b!), 'lambda a, b: torch.sub(a, b)'),
  row('sub', 'scalar minuend', (x) => sub(1.5, x!), 'lambda x: 1.5 - x'),
  binary('mul', undefined, (a, b) => mul(a!, b!), 'lambda a, b: torch.mul(a, b)'),
  row('mul', 'scalar operand', (x) => mul(x!, -3), 'lambda x: torch.mul(x, -3.0)'),
  binary('div', undefined, (a, b) => div(a!, b!), 'lambda a, b: torch.div(a, b)', { inputs: [REAL, NONZERO] }),
  row('div', 'scalar numerator', (x) => div(1, x!), 'lambda x: 1.0 / x', { inputs: [NONZERO] }),
  binary('pow', undefined, (a, b) => pow(a!, b!), 'lambda a, b: torch.pow(a, b)', { inputs: [f(0.3, 2), REAL] }),
  row('pow', 'integer exponent, any sign', (x) => pow(x!, 3), 'lambda x: torch.pow(x, 3)'),
  row('pow', 'scalar base', (x) => pow(2, x!), 'lambda x: torch.pow(2.0, x)'),
  binary('maximum', undefined, (a, b) => maximum(a!, b!), 'lambda a, b: torch.maximum(a, b)', { distinct: true }),
  // At exact ties the gradient is split evenly, which is also what central differences see; the
  // gradient itself jumps there (1, 1/2, 0), so there is no second derivative to check.
  binary('maximum', 'ties', (a, b) => maximum(a!, b!), 'lambda a, b: torch.maximum(a, b)', { inputs: [f(-1, 1, { integers: true }), f(-1, 1, { integers: true })], smooth: false }),
  binary('minimum', undefined, (a, b) => minimum(a!, b!), 'lambda a, b: torch.minimum(a, b)', { distinct: true }),
  binary('minimum', 'ties', (a, b) => minimum(a!, b!), 'lambda a, b: torch.minimum(a, b)', { inputs: [f(-1, 1, { integers: true }), f(-1, 1, { integers: true })], smooth: false }),
  row('where', undefined, (c, a, b) => where(c!, a!, b!), 'lambda c, a, b: torch.where(c, a, b)', { inputs: [MASK, REAL, REAL], shapes: broadcast() }),
  row('where', 'scalar branch', (c, a) => where(c!, a!, 0), 'lambda c, a: torch.where(c, a, 0.0)', { inputs: [MASK, REAL], shapes: broadcast() }),

  // elementwise, unary
  row('neg', undefined, (x) => neg(x!), 'lambda x: torch.neg(x)'),
  row('abs', undefined, (x) => abs(x!), 'lambda x: torch.abs(x)', { inputs: [f(-2, 2, { avoid: [0] })] }),
  row('exp', undefined, (x) => exp(x!), 'lambda x: torch.exp(x)', { inputs: [f(-3, 3)] }),
  row('log', undefined, (x) => log(x!), 'lambda x: torch.log(x)', { inputs: [f(0.1, 5)] }),
  row('log1p', undefined, (x) => log1p(x!), 'lambda x: torch.log1p(x)', { inputs: [f(-0.9, 3)] }),
  row('sqrt', undefined, (x) => sqrt(x!), 'lambda x: torch.sqrt(x)', { inputs: [f(0.1, 4)] }),
  row('rsqrt', undefined, (x) => rsqrt(x!), 'lambda x: torch.rsqrt(x)', { inputs: [f(0.1, 4)] }),
  row('square', undefined, (x) => square(x!), 'lambda x: torch.square(x)'),
  row('sin', undefined, (x) => sin(x!), 'lambda x: torch.sin(x)', { inputs: [f(-4, 4)] }),
  row('cos', undefined, (x) => cos(x!), 'lambda x: torch.cos(x)', { inputs: [f(-4, 4)] }),
  row('tanh', undefined, (x) => tanh(x!), 'lambda x: torch.tanh(x)', { inputs: [f(-3, 3)] }),
  row('tanh', 'VJP', (x, g) => pullback((t) => tanh(t), x!, g!), torchVjp('torch.tanh(x)'), { inputs: [f(-3, 3), REAL], shapes: rank(0, 3) }),
  row('sigmoid', undefined, (x) => sigmoid(x!), 'lambda x: torch.sigmoid(x)', { inputs: [f(-6, 6)] }),
  row('sigmoid', 'VJP', (x, g) => pullback((t) => sigmoid(t), x!, g!), torchVjp('torch.sigmoid(x)'), { inputs: [f(-6, 6), REAL], shapes: rank(0, 3) }),
  row('erf', undefined, (x) => erf(x!), 'lambda x: torch.erf(x)', { inputs: [f(-2.5, 2.5)] }),
  row('relu', undefined, (x) => relu(x!), 'lambda x: torch.relu(x)', { inputs: [f(-2, 2, { avoid: [0] })] }),
  row('relu', 'VJP', (x, g) => pullback((t) => relu(t), x!, g!), torchVjp('torch.relu(x)'), { inputs: [f(-2, 2, { avoid: [0] }), REAL], shapes: rank(0, 3) }),
  row('leakyRelu', undefined, (x) => leakyRelu(x!), 'lambda x: F.leaky_relu(x)', { inputs: [f(-2, 2, { avoid: [0] })] }),
  row('leakyRelu', 'alpha=0.2', (x) => leakyRelu(x!, 0.2), 'lambda x: F.leaky_relu(x, 0.2)', { inputs: [f(-2, 2, { avoid: [0] })] }),
  row('softplus', undefined, (x) => softplus(x!), 'lambda x: F.softplus(x)', { inputs: [f(-5, 5)] }),
  row('softplus', 'beta=2, threshold=5', (x) => softplus(x!, { beta: 2, threshold: 5 }), 'lambda x: F.softplus(x, beta=2, threshold=5)', {
    inputs: [f(-4, 4, { avoid: [2.5] })],
  }),
  row('softplus', 'large |x|, past the threshold', (x) => softplus(x!), 'lambda x: F.softplus(x)', { inputs: [f(-40, 40, { avoid: [20] })] }),
  row('elu', undefined, (x) => elu(x!), 'lambda x: F.elu(x)', { inputs: [f(-3, 3, { avoid: [0] })] }),
  row('elu', 'alpha=0.5', (x) => elu(x!, 0.5), 'lambda x: F.elu(x, 0.5)', { inputs: [f(-3, 3, { avoid: [0] })] }),
  row('gelu', 'exact (erf)', (x) => gelu(x!), 'lambda x: F.gelu(x)', { inputs: [f(-3, 3)] }),
  row('gelu', 'tanh approximation', (x) => gelu(x!, { approximate: 'tanh' }), "lambda x: F.gelu(x, approximate='tanh')", { inputs: [f(-3, 3)] }),
  row('gelu', 'VJP, exact', (x, g) => pullback((t) => gelu(t), x!, g!), torchVjp('F.gelu(x)'), { inputs: [f(-3, 3), REAL], shapes: rank(0, 3) }),
  row('gelu', 'VJP, tanh approximation', (x, g) => pullback((t) => gelu(t, { approximate: 'tanh' }), x!, g!), torchVjp("F.gelu(x, approximate='tanh')"), {
    inputs: [f(-3, 3), REAL], shapes: rank(0, 3),
  }),
  row('clamp', 'min and max', (x) => clamp(x!, -0.5, 0.8), 'lambda x: torch.clamp(x, -0.5, 0.8)', { inputs: [f(-2, 2, { avoid: [-0.5, 0.8] })] }),
  row('clamp', 'min only', (x) => clamp(x!, 0.2), 'lambda x: torch.clamp(x, min=0.2)', { inputs: [f(-2, 2, { avoid: [0.2] })] }),
  row('clamp', 'max only', (x) => clamp(x!, null, 0.3), 'lambda x: torch.clamp(x, max=0.3)', { inputs: [f(-2, 2, { avoid: [0.3] })] }),
  row('clamp', 'tensor bounds', (x, lo, hi) => clamp(x!, lo!, hi!), 'lambda x, lo, hi: torch.clamp(x, lo, hi)', {
    inputs: [f(-3, 3), f(-2, -0.3), f(0.3, 2)], shapes: broadcast(), distinct: true,
  }),
  // float64 -> float32 -> float64 rounds to float32: the step is large enough that the rounding
  // (2^-24 relative) stays below the tolerance, and the function is linear, so there is no truncation error.
  row('cast', 'float64 -> float32 -> float64', (x) => cast(cast(x!, 'float32'), 'float64'), 'lambda x: x.float().double()', {
    eps: 1e-2, tol: { atol: 1e-4, rtol: 1e-4 }, roundsToFloat32: true,
  }),
  row('clone', undefined, (x) => clone(x!), 'lambda x: torch.clone(x)'),
  row('contiguous', 'of a transposed view', (x) => contiguous(transpose(x!, 0, 1)), 'lambda x: x.transpose(0, 1).contiguous()', { shapes: rank(2, 3) }),

  // linear algebra
  binary('matmul', '2-D @ 2-D', (a, b) => matmul(a!, b!), 'lambda a, b: torch.matmul(a, b)', { shapes: fixed([[2, 3], [3, 4]], [[1, 1], [1, 2]], [[3, 2], [2, 3]]) }),
  binary('matmul', '1-D @ 2-D', (a, b) => matmul(a!, b!), 'lambda a, b: torch.matmul(a, b)', { shapes: fixed([[3], [3, 2]]) }),
  binary('matmul', '2-D @ 1-D', (a, b) => matmul(a!, b!), 'lambda a, b: torch.matmul(a, b)', { shapes: fixed([[2, 3], [3]]) }),
  binary('matmul', '1-D @ 1-D', (a, b) => matmul(a!, b!), 'lambda a, b: torch.matmul(a, b)', { shapes: fixed([[4], [4]]) }),
  binary('matmul', 'batched, broadcast batch dims', (a, b) => matmul(a!, b!), 'lambda a, b: torch.matmul(a, b)', {
    shapes: fixed([[2, 2, 3], [3, 2]], [[2, 1, 2, 3], [3, 3, 2]], [[3], [2, 3, 2]]),
  }),
  binary('dot', undefined, (a, b) => dot(a!, b!), 'lambda a, b: torch.dot(a, b)', { shapes: fixed([[5], [5]], [[1], [1]]) }),
  binary('outer', undefined, (a, b) => outer(a!, b!), 'lambda a, b: torch.outer(a, b)', { shapes: fixed([[3], [4]], [[1], [2]]) }),
  row('transpose', undefined, (x) => transpose(x!, 0, -1), 'lambda x: torch.transpose(x, 0, -1)', { shapes: rank(2, 3) }),

  // reductions
  row('sum', 'all', (x) => sum(x!), 'lambda x: torch.sum(x)'),
  row('sum', 'axis 0', (x) => sum(x!, 0), 'lambda x: torch.sum(x, 0)', { shapes: rank(1, 3) }),
  row('sum', 'axis -1, keepdims', (x) => sum(x!, -1, true), 'lambda x: torch.sum(x, -1, keepdim=True)', { shapes: rank(1, 3) }),
  row('sum', 'axes [0, 2]', (x) => sum(x!, [0, 2]), 'lambda x: torch.sum(x, (0, 2))', { shapes: rank(3, 3) }),
  row('mean', 'all', (x) => mean(x!), 'lambda x: torch.mean(x)'),
  row('mean', 'axis 1', (x) => mean(x!, 1), 'lambda x: torch.mean(x, 1)', { shapes: rank(2, 3) }),
  row('mean', 'axes [0, -1], keepdims', (x) => mean(x!, [0, -1], true), 'lambda x: torch.mean(x, (0, -1), keepdim=True)', { shapes: rank(2, 3) }),
  row('max', 'all', (x) => max(x!), 'lambda x: torch.max(x)', { distinct: true }),
  row('max', 'axis 1', (x) => max(x!, 1), 'lambda x: torch.max(x, 1).values', { distinct: true, shapes: rank(2, 3) }),
  row('max', 'axes [0, 1], keepdims', (x) => max(x!, [0, 1], true), 'lambda x: torch.amax(x, (0, 1), keepdim=True)', { distinct: true, shapes: rank(2, 3) }),
  row('min', 'all', (x) => min(x!), 'lambda x: torch.min(x)', { distinct: true }),
  row('min', 'axis -1, keepdims', (x) => min(x!, -1, true), 'lambda x: torch.min(x, -1, keepdim=True).values', { distinct: true, shapes: rank(1, 3) }),
  row('min', 'axes [1, 2]', (x) => min(x!, [1, 2]), 'lambda x: torch.amin(x, (1, 2))', { distinct: true, shapes: rank(3, 3) }),
  row('prod', 'all', (x) => prod(x!), 'lambda x: torch.prod(x)', { inputs: [f(-1.6, 1.6, { avoid: [0], margin: 0.4 })] }),
  row('prod', 'axis 1', (x) => prod(x!, 1), 'lambda x: torch.prod(x, 1)', { inputs: [f(-2, 2, { avoid: [0], margin: 0.3 })], shapes: rank(2, 3) }),
  row('prod', 'axis 0, keepdims', (x) => prod(x!, 0, true), 'lambda x: torch.prod(x, 0, keepdim=True)', { inputs: [NONZERO], shapes: rank(1, 3) }),
  row('prod', 'one zero', (x) => prod(x!), 'lambda x: torch.prod(x)', { inputs: [f(-2, 2, { zeros: 1 })], shapes: rank(1, 2, 2) }),
  row('prod', 'zeros along an axis', (x) => prod(x!, 1), 'lambda x: torch.prod(x, 1)', { inputs: [f(-2, 2, { zeros: 4 })], shapes: fixed([[3, 3]], [[2, 4]]) }),
  row('prod', 'zeros, axes [0, 2], keepdims', (x) => prod(x!, [0, 2], true), 'lambda x: torch.prod(torch.prod(x, 2, keepdim=True), 0, keepdim=True)', {
    inputs: [f(-2, 2, { zeros: 3 })], shapes: fixed([[2, 3, 2]], [[3, 2, 3]]),
  }),
  row('var', 'all', (x) => variance(x!), 'lambda x: torch.var(x)', { shapes: rank(1, 3, 2) }),
  row('var', 'axis 0', (x) => variance(x!, 0), 'lambda x: torch.var(x, 0)', { shapes: rank(1, 3, 2) }),
  row('var', 'axes [0, 2], keepdims', (x) => variance(x!, [0, 2], true), 'lambda x: torch.var(x, (0, 2), keepdim=True)', { shapes: rank(3, 3, 2) }),
  row('var', 'axis -1, correction 0', (x) => variance(x!, -1, false, { correction: 0 }), 'lambda x: torch.var(x, -1, correction=0)', { shapes: rank(1, 3, 2) }),
  row('std', 'all', (x) => std(x!), 'lambda x: torch.std(x)', { shapes: rank(1, 3, 2) }),
  row('std', 'axis 1, keepdims', (x) => std(x!, 1, true), 'lambda x: torch.std(x, 1, keepdim=True)', { shapes: rank(2, 3, 2) }),
  row('std', 'axis 0, correction 0', (x) => std(x!, 0, false, { correction: 0 }), 'lambda x: torch.std(x, 0, correction=0)', { shapes: rank(1, 3, 2) }),
  row('logsumexp', 'all', (x) => logsumexp(x!), 'lambda x: torch.logsumexp(x, tuple(range(x.dim())))', { shapes: rank(1, 3) }),
  row('logsumexp', 'axis 1', (x) => logsumexp(x!, 1), 'lambda x: torch.logsumexp(x, 1)', { shapes: rank(2, 3) }),
  row('logsumexp', 'axis -1, keepdims, large values', (x) => logsumexp(x!, -1, true), 'lambda x: torch.logsumexp(x, -1, keepdim=True)', {
    inputs: [f(-800, 800)], shapes: rank(1, 3),
  }),
  row('norm', 'p=2, all', (x) => norm(x!), 'lambda x: torch.linalg.vector_norm(x)', { shapes: rank(1, 3) }),
  row('norm', 'p=1, axis 0', (x) => norm(x!, 1, 0), 'lambda x: torch.linalg.vector_norm(x, 1, dim=0)', { inputs: [f(-2, 2, { avoid: [0] })], shapes: rank(1, 3) }),
  row('norm', 'p=inf, axis -1, keepdims', (x) => norm(x!, Infinity, -1, true), "lambda x: torch.linalg.vector_norm(x, float('inf'), dim=-1, keepdim=True)", {
    inputs: [f(0.2, 2)], distinct: true, shapes: rank(1, 3),
  }),
  row('norm', 'p=3, axes [0, 1]', (x) => norm(x!, 3, [0, 1]), 'lambda x: torch.linalg.vector_norm(x, 3, dim=(0, 1))', { inputs: [f(-2, 2, { avoid: [0] })], shapes: rank(2, 3) }),

  // shape
  row('reshape', undefined, (x) => reshape(x!, [4, -1]), 'lambda x: x.reshape(4, -1)', { shapes: fixed([[2, 3, 4]], [[4]], [[2, 2]]) }),
  row('reshape', 'of a transposed view (copies)', (x) => reshape(transpose(x!, 0, 1), [-1]), 'lambda x: x.transpose(0, 1).reshape(-1)', { shapes: rank(2, 3) }),
  row('flatten', 'all dims', (x) => flatten(x!), 'lambda x: torch.flatten(x)'),
  row('flatten', 'dims 1..2', (x) => flatten(x!, 1, 2), 'lambda x: torch.flatten(x, 1, 2)', { shapes: rank(3, 4) }),
  row('squeeze', 'all size-1 dims', (x) => squeeze(x!), 'lambda x: torch.squeeze(x)', { shapes: fixed([[1, 3, 1, 2]], [[2, 1]], [[1]]) }),
  row('squeeze', 'axis 0', (x) => squeeze(x!, 0), 'lambda x: torch.squeeze(x, 0)', { shapes: fixed([[1, 3, 1]], [[2, 3]]) }),
  row('unsqueeze', 'axis 1', (x) => unsqueeze(x!, 1), 'lambda x: torch.unsqueeze(x, 1)', { shapes: rank(1, 3) }),
  row('unsqueeze', 'axis -1', (x) => unsqueeze(x!, -1), 'lambda x: torch.unsqueeze(x, -1)'),
  row('expand', undefined, (x) => expand(x!, [2, 3, 4]), 'lambda x: x.expand(2, 3, 4)', { shapes: fixed([[3, 1]], [[1, 4]], [[1]], [[]]) }),
  row('expand', '-1 keeps a size', (x) => expand(x!, [2, -1, 3]), 'lambda x: x.expand(2, -1, 3)', { shapes: fixed([[4, 1]], [[2, 3]]) }),
  row('broadcastTo', undefined, (x) => broadcastTo(x!, [2, 4, 3]), 'lambda x: torch.broadcast_to(x, (2, 4, 3))', { shapes: fixed([[1, 3]], [[4, 1]], [[3]]) }),
  row('permute', undefined, (x) => permute(x!, [2, 0, 1]), 'lambda x: x.permute(2, 0, 1)', { shapes: rank(3, 3) }),
  row('concat', 'axis 0, three inputs', (a, b, c) => concat([a!, b!, c!], 0), 'lambda a, b, c: torch.cat([a, b, c], 0)', {
    inputs: [REAL, REAL, REAL], shapes: fixed([[2, 3], [1, 3], [3, 3]], [[1], [2], [1]]),
  }),
  row('concat', 'axis 1', (a, b) => concat([a!, b!], 1), 'lambda a, b: torch.cat([a, b], 1)', { inputs: [REAL, REAL], shapes: fixed([[2, 1, 2], [2, 3, 2]]) }),
  row('concat', 'axis -1, equal shapes', (a, b) => concat([a!, b!], -1), 'lambda a, b: torch.cat([a, b], -1)', { inputs: [REAL, REAL], shapes: rank(1, 3) }),
  row('stack', 'axis 0', (a, b) => stack([a!, b!], 0), 'lambda a, b: torch.stack([a, b], 0)', { inputs: [REAL, REAL] }),
  row('stack', 'axis -1, three inputs', (a, b, c) => stack([a!, b!, c!], -1), 'lambda a, b, c: torch.stack([a, b, c], -1)', { inputs: [REAL, REAL, REAL] }),
  row('split', 'chunk size', (x) => split(x!, 2, 1), 'lambda x: torch.split(x, 2, 1)', { shapes: fixed([[2, 5]], [[3, 4, 1]]) }),
  row('split', 'sizes', (x) => split(x!, [1, 3, 0], 0), 'lambda x: torch.split(x, [1, 3, 0], 0)', { shapes: fixed([[4, 2]], [[4]]) }),
  row('slice', 'leading dim', (x) => slice(x!, [1], [3]), 'lambda x: x[1:3]', { shapes: fixed([[4, 3]], [[3]]) }),
  row('slice', 'negative indices', (x) => slice(x!, [-3, 0], [-1, -1]), 'lambda x: x[-3:-1, 0:-1]', { shapes: fixed([[4, 5]], [[3, 2, 2]]) }),
  row('slice', 'steps', (x) => slice(x!, [0, 1], [5, 5], [2, 3]), 'lambda x: x[0:5:2, 1:5:3]', { shapes: fixed([[5, 6]], [[5, 5, 2]]) }),
  row('slice', 'out-of-range bounds are clamped', (x) => slice(x!, [-10, 1], [10, 100]), 'lambda x: x[-10:10, 1:100]', { shapes: fixed([[3, 4]]) }),
  row('slice', 'steps on a transposed view', (x) => slice(transpose(x!, 0, 2), [1, 0, 0], [4, 2, 3], [2, 1, 2]), 'lambda x: x.transpose(0, 2)[1:4:2, 0:2, 0:3:2]', {
    shapes: fixed([[3, 2, 4]]),
  }),
  row('gather', 'axis 1, repeated indices', (x, i) => gather(x!, 1, i!), 'lambda x, i: torch.gather(x, 1, i)', {
    inputs: [REAL, index(4)], shapes: fixed([[3, 4], [3, 6]], [[3, 4], [2, 2]]),
  }),
  row('gather', 'axis 0', (x, i) => gather(x!, 0, i!), 'lambda x, i: torch.gather(x, 0, i)', { inputs: [REAL, index(3)], shapes: fixed([[3, 2], [5, 2]], [[3, 2, 2], [1, 2, 2]]) }),
  row('pad', 'last dim', (x) => pad(x!, [1, 2]), 'lambda x: F.pad(x, (1, 2))', { shapes: rank(1, 3) }),
  row('pad', 'two dims, fill value', (x) => pad(x!, [0, 1, 2, 1], 0.5), 'lambda x: F.pad(x, (0, 1, 2, 1), value=0.5)', { shapes: rank(2, 3) }),
  row('pad', 'negative widths crop', (x) => pad(x!, [-1, 1, 1, -2]), 'lambda x: F.pad(x, (-1, 1, 1, -2))', { shapes: fixed([[4, 3]], [[2, 5, 4]]) }),
  row('padStrided', undefined, (x) => padStrided(x!, [5, 7], [1, 0], [2, 3], 0.5),
    'lambda x: torch.full((5, 7), 0.5, dtype=x.dtype).slice_scatter(torch.full((2, 7), 0.5, dtype=x.dtype).slice_scatter(x, dim=1, start=0, step=3), dim=0, start=1, step=2)', {
      shapes: fixed([[2, 3]]),
    }),

  // research ops: movement, indexing, einsum
  row('flip', 'axes [0, -1]', (x) => flip(x!, [0, -1]), 'lambda x: torch.flip(x, (0, -1))', { shapes: rank(2, 3) }),
  row('flip', 'one axis', (x) => flip(x!, 0), 'lambda x: torch.flip(x, (0,))', { shapes: rank(1, 3) }),
  row('flip', 'negative strides into matmul', (a, b) => matmul(flip(a!, 1), flip(b!, [0, 1])), 'lambda a, b: torch.matmul(a.flip(1), b.flip((0, 1)))', {
    inputs: [REAL, REAL], shapes: fixed([[2, 3], [3, 4]], [[1, 2], [2, 1]]),
  }),
  row('roll', 'shifts [1, -2] on axes [0, 1]', (x) => roll(x!, [1, -2], [0, 1]), 'lambda x: torch.roll(x, (1, -2), (0, 1))', { shapes: rank(2, 3) }),
  row('roll', 'flattened', (x) => roll(x!, 3), 'lambda x: torch.roll(x, 3)', { shapes: rank(1, 3) }),
  row('repeat', undefined, (x) => repeat(x!, [2, 1, 3]), 'lambda x: x.repeat(2, 1, 3)', { shapes: fixed([[2, 3]], [[3]], [[1, 2, 2]]) }),
  row('tile', 'fewer reps than dims', (x) => tile(x!, [2, 2]), 'lambda x: torch.tile(x, (2, 2))', { shapes: fixed([[3]], [[2, 1, 2]]) }),
  row('repeatInterleave', 'number, axis 1', (x) => repeatInterleave(x!, 2, 1), 'lambda x: torch.repeat_interleave(x, 2, dim=1)', { shapes: rank(2, 3) }),
  row('repeatInterleave', 'counts, flattened', (x) => repeatInterleave(x!, ints([1, 0, 3, 2])), 'lambda x: torch.repeat_interleave(x, torch.tensor([1, 0, 3, 2]))', {
    shapes: fixed([[2, 2]], [[4]]),
  }),
  row('triu', undefined, (x) => triu(x!), 'lambda x: torch.triu(x)', { shapes: rank(2, 3) }),
  row('triu', 'k=1', (x) => triu(x!, 1), 'lambda x: torch.triu(x, 1)', { shapes: rank(2, 3) }),
  row('tril', 'k=-1', (x) => tril(x!, -1), 'lambda x: torch.tril(x, -1)', { shapes: rank(2, 3) }),
  row('diag', 'vector to matrix, k=1', (x) => diag(x!, 1), 'lambda x: torch.diag(x, 1)', { shapes: rank(1, 1) }),
  row('diag', 'matrix to vector, k=-1', (x) => diag(x!, -1), 'lambda x: torch.diag(x, -1)', { shapes: fixed([[3, 4]], [[4, 2]], [[1, 3]]) }),
  row('diagonal', 'offset 1, axes 1 and 2', (x) => diagonal(x!, 1, 1, 2), 'lambda x: torch.diagonal(x, 1, 1, 2)', { shapes: rank(3, 3) }),
  row('diagonal', 'offset -1, axes 2 and 0', (x) => diagonal(x!, -1, 2, 0), 'lambda x: torch.diagonal(x, -1, 2, 0)', { shapes: rank(3, 3) }),
  row('trace', undefined, (x) => trace(x!), 'lambda x: torch.trace(x)', { shapes: rank(2, 2) }),
  row('chunk', '3 chunks of axis 1', (x) => chunk(x!, 3, 1), 'lambda x: torch.chunk(x, 3, 1)', { shapes: fixed([[2, 5]], [[3, 7, 1]]) }),
  row('unbind', 'axis -1', (x) => unbind(x!, -1), 'lambda x: torch.unbind(x, -1)', { shapes: rank(1, 3) }),
  row('movedim', undefined, (x) => movedim(x!, [0, 1], [2, 0]), 'lambda x: torch.movedim(x, (0, 1), (2, 0))', { shapes: rank(3, 3) }),
  row('narrow', 'negative start', (x) => narrow(x!, 1, -2, 2), 'lambda x: torch.narrow(x, 1, -2, 2)', { shapes: fixed([[3, 4]], [[2, 2, 3]]) }),
  row('unflatten', undefined, (x) => unflatten(x!, 1, [2, -1]), 'lambda x: x.unflatten(1, (2, -1))', { shapes: fixed([[3, 4]], [[2, 6, 1]]) }),
  row('meshgrid', "indexing 'xy'", (a, b) => meshgrid([a!, b!], { indexing: 'xy' }), "lambda a, b: torch.meshgrid(a, b, indexing='xy')", {
    inputs: [REAL, REAL], shapes: fixed([[2], [3]], [[1], [4]]),
  }),
  row('select', 'negative index', (x) => select(x!, 1, -1), 'lambda x: torch.select(x, 1, -1)', { shapes: rank(2, 3) }),
  row('indexSelect', 'repeated indices', (x, i) => indexSelect(x!, 1, i!), 'lambda x, i: torch.index_select(x, 1, i)', {
    inputs: [REAL, index(3)], shapes: fixed([[2, 3], [5]], [[1, 3, 2], [2]]),
  }),
  row('take', undefined, (x, i) => take(x!, i!), 'lambda x, i: torch.take(x, i)', { inputs: [REAL, index(6)], shapes: fixed([[2, 3], [2, 4]], [[6], []]) }),
  row('maskedFill', undefined, (x, m) => maskedFill(x!, m!, -1.5), 'lambda x, m: torch.masked_fill(x, m, -1.5)', { inputs: [REAL, MASK], shapes: broadcast() }),
  row('maskedFill', '0-D tensor value', (x, m, v) => maskedFill(x!, m!, v!), 'lambda x, m, v: torch.masked_fill(x, m, v)', {
    inputs: [REAL, MASK, REAL], shapes: fixed([[2, 3], [3], []], [[4], [4], []]),
  }),
  row('maskedSelect', undefined, (x, m) => maskedSelect(x!, m!), 'lambda x, m: torch.masked_select(x, m)', {
    inputs: [REAL, MASK], shapes: broadcast(), unbatchable: { inputs: [1], reason: MASK_SHAPE },
  }),
  row('index', 'number, new axis, ellipsis, negative step', (x) => indexOp(x!, [1, null, '...', '::-2']), 'lambda x: x[1, None].flip(-1)[..., ::2]', {
    shapes: fixed([[3, 4, 5]], [[2, 3]]),
  }),
  row('index', 'slice strings', (x) => indexOp(x!, ['-3:', '1:5', ':']), 'lambda x: x[-3:, 1:5, :]', { shapes: fixed([[4, 6, 2]], [[2, 3, 1]]) }),
  row('index', 'int tensor after a slice', (x, i) => indexOp(x!, [':', i!]), 'lambda x, i: x[:, i]', { inputs: [REAL, index(4)], shapes: fixed([[3, 4], [2, 2]], [[2, 4, 3], [5]]) }),
  row('index', 'adjacent int tensors broadcast', (x, i, j) => indexOp(x!, [':', i!, j!]), 'lambda x, i, j: x[:, i, j]', {
    inputs: [REAL, index(3), index(4)], shapes: fixed([[2, 3, 4], [2, 1], [3]]),
  }),
  row('index', 'int tensors apart: their dims go first', (x, i, j) => indexOp(x!, [i!, ':', j!]), 'lambda x, i, j: x[i, :, j]', {
    inputs: [REAL, index(3), index(4)], shapes: fixed([[3, 2, 4], [2], [2]], [[3, 1, 4], [2, 2], [1]]),
  }),
  row('index', 'negative int indices', (x) => indexOp(x!, [ints([-1, 0, -2])]), 'lambda x: x[torch.tensor([-1, 0, -2])]', { shapes: fixed([[3, 2]], [[2]]) }),
  row('index', 'bool mask', (x, m) => indexOp(x!, [m!]), 'lambda x, m: x[m]', {
    inputs: [REAL, MASK], shapes: fixed([[3, 4], [3, 4]], [[2, 3, 2], [2, 3]]), unbatchable: { inputs: [1], reason: MASK_SHAPE },
  }),
  row('index', 'bool mask after a number', (x, m) => indexOp(x!, [0, m!]), 'lambda x, m: x[0, m]', {
    inputs: [REAL, MASK], shapes: fixed([[2, 3, 4], [3]]), unbatchable: { inputs: [1], reason: MASK_SHAPE },
  }),
  row('indexPut', 'accumulate, duplicate places', (x, i, v) => indexPut(x!, [i!], v!, { accumulate: true }), 'lambda x, i, v: x.index_put((i,), v, accumulate=True)', {
    inputs: [REAL, index(3), REAL], shapes: fixed([[3, 2], [5], [5, 2]], [[3, 2], [4], [2]]),
  }),
  row('indexPut', 'slice and number, broadcast values', (x, v) => indexPut(x!, [':', 1], v!), 'lambda x, v: (lambda y: y.__setitem__((slice(None), 1), v) or y)(x.clone())', {
    inputs: [REAL, REAL], shapes: fixed([[3, 4], [1]], [[2, 3, 2], [2]]),
  }),
  row('indexPut', 'unique places', (x, v) => indexPut(x!, [ints([2, 0])], v!), 'lambda x, v: x.index_put((torch.tensor([2, 0]),), v)', {
    inputs: [REAL, REAL], shapes: fixed([[3, 2], [2, 2]], [[4], [2]]),
  }),
  row('indexPut', 'bool mask, 0-D value', (x, m, v) => indexPut(x!, [m!], v!), 'lambda x, m, v: x.index_put((m,), v)', {
    inputs: [REAL, MASK, REAL], shapes: fixed([[3, 4], [3, 4], []], [[2, 3], [2], []]),
    unbatchable: { inputs: [1], reason: `the mask picks the places to write by count: ${MASK_SHAPE}` },
  }),
  row('scatter', 'replace', (x, s) => scatter(x!, 1, ints([[0, 2], [1, 0], [3, 1]]), s!), 'lambda x, s: x.scatter(1, torch.tensor([[0, 2], [1, 0], [3, 1]]), s)', {
    inputs: [REAL, REAL], shapes: fixed([[3, 4], [3, 2]], [[4, 5], [3, 2]]),
  }),
  row('scatter', 'sum, includeSelf false, larger src', (x, s, i) => scatter(x!, 1, i!, s!, { reduce: 'sum', includeSelf: false }),
    "lambda x, s, i: x.scatter_reduce(1, i, s[:i.shape[0], :i.shape[1]], 'sum', include_self=False)", { inputs: [REAL, REAL, index(4)], shapes: fixed([[3, 4], [3, 6], [2, 5]]) }),
  row('scatter', 'prod', (x, s, i) => scatter(x!, 0, i!, s!, { reduce: 'prod' }), "lambda x, s, i: x.scatter_reduce(0, i, s, 'prod')", {
    inputs: [NONZERO, NONZERO, index(2)], shapes: fixed([[2, 3], [4, 3], [4, 3]]),
  }),
  // Exact at zeros (the product of the other values); the second derivative is not, where two zeros share a place.
  row('scatter', 'prod with zeros', (x, s, i) => scatter(x!, 0, i!, s!, { reduce: 'prod' }), "lambda x, s, i: x.scatter_reduce(0, i, s, 'prod')", {
    inputs: [f(-2, 2, { zeros: 1 }), f(-2, 2, { zeros: 3 }), index(2)], shapes: fixed([[2, 3], [4, 3], [4, 3]]), smooth: false,
  }),
  row('scatter', 'prod, includeSelf false', (x, s, i) => scatter(x!, 1, i!, s!, { reduce: 'prod', includeSelf: false }),
    "lambda x, s, i: x.scatter_reduce(1, i, s, 'prod', include_self=False)", { inputs: [NONZERO, NONZERO, index(3)], shapes: fixed([[2, 3], [2, 4], [2, 4]]) }),
  row('scatter', 'mean', (x, s, i) => scatter(x!, 0, i!, s!, { reduce: 'mean' }), "lambda x, s, i: x.scatter_reduce(0, i, s, 'mean')", {
    inputs: [REAL, REAL, index(3)], shapes: fixed([[3, 2], [5, 2], [5, 2]]),
  }),
  row('scatter', 'mean, includeSelf false', (x, s, i) => scatter(x!, 0, i!, s!, { reduce: 'mean', includeSelf: false }),
    "lambda x, s, i: x.scatter_reduce(0, i, s, 'mean', include_self=False)", { inputs: [REAL, REAL, index(3)], shapes: fixed([[3, 2], [5, 2], [5, 2]]) }),
  row('scatter', 'amax', (x, s, i) => scatter(x!, 1, i!, s!, { reduce: 'amax' }), "lambda x, s, i: x.scatter_reduce(1, i, s, 'amax')", {
    inputs: [REAL, REAL, index(3)], distinct: true, shapes: fixed([[2, 3], [2, 5], [2, 5]]), smooth: false,
  }),
  row('scatter', 'amin, includeSelf false', (x, s, i) => scatter(x!, 1, i!, s!, { reduce: 'amin', includeSelf: false }),
    "lambda x, s, i: x.scatter_reduce(1, i, s, 'amin', include_self=False)", { inputs: [REAL, REAL, index(3)], distinct: true, shapes: fixed([[2, 3], [2, 5], [2, 5]]), smooth: false }),
  row('scatterAdd', undefined, (x, s, i) => scatterAdd(x!, 1, i!, s!), 'lambda x, s, i: x.scatter_add(1, i, s[:i.shape[0], :i.shape[1]])', {
    inputs: [REAL, REAL, index(5)], shapes: fixed([[3, 5], [3, 4], [3, 4]], [[2, 5], [3, 7], [2, 6]]),
  }),
  row('einsum', 'matrix product', (a, b) => einsum('ij,jk->ik', a!, b!), "lambda a, b: torch.einsum('ij,jk->ik', a, b)", { inputs: [REAL, REAL], shapes: fixed([[2, 3], [3, 4]]) }),
  row('einsum', 'implicit output, batched', (a, b) => einsum('bij,bjk', a!, b!), "lambda a, b: torch.einsum('bij,bjk', a, b)", { inputs: [REAL, REAL], shapes: fixed([[2, 2, 3], [2, 3, 2]]) }),
  row('einsum', 'trace', (x) => einsum('ii', x!), "lambda x: torch.einsum('ii', x)", { shapes: fixed([[3, 3]], [[1, 1]]) }),
  row('einsum', 'diagonal', (x) => einsum('ii->i', x!), "lambda x: torch.einsum('ii->i', x)", { shapes: fixed([[3, 3]]) }),
  row('einsum', 'subscript repeated three times', (x) => einsum('iji->j', x!), "lambda x: torch.einsum('iji->j', x)", { shapes: fixed([[3, 2, 3]]) }),
  row('einsum', 'ellipsis, broadcast batch dims', (a, b) => einsum('...ij,...jk->...ik', a!, b!), "lambda a, b: torch.einsum('...ij,...jk->...ik', a, b)", {
    inputs: [REAL, REAL], shapes: fixed([[2, 1, 2, 3], [3, 3, 2]]),
  }),
  row('einsum', 'three operands', (a, b, c) => einsum('bij,bjk,kb->bi', a!, b!, c!), "lambda a, b, c: torch.einsum('bij,bjk,kb->bi', a, b, c)", {
    inputs: [REAL, REAL, REAL], shapes: fixed([[2, 3, 4], [2, 4, 5], [5, 2]]),
  }),
  row('einsum', 'sums over the ellipsis', (a, b) => einsum('...i,j->j', a!, b!), "lambda a, b: torch.einsum('...i,j->j', a, b)", { inputs: [REAL, REAL], shapes: fixed([[2, 3], [4]]) }),
  row('normal', 'tensor mean and std, seeded', (m, sd) => normal(m!, sd!, null, { seed: NORMAL_SEED, dtype: 'float64' }), 'lambda m, s, z: m + s * z', {
    inputs: [REAL, f(0.1, 2)], shapes: broadcast(), torchAux: ([m, sd]) => [randn(broadcastShapes('normal', m!.shape, sd!.shape), { seed: NORMAL_SEED, dtype: 'float64' })],
  }),

  // neural
  row('softmax', 'axis -1', (x) => softmax(x!, -1), 'lambda x: torch.softmax(x, -1)', { shapes: rank(1, 3) }),
  row('softmax', 'axis 0', (x) => softmax(x!, 0), 'lambda x: torch.softmax(x, 0)', { shapes: rank(2, 3) }),
  row('logSoftmax', 'axis 1', (x) => logSoftmax(x!, 1), 'lambda x: torch.log_softmax(x, 1)', { shapes: rank(2, 3) }),
  row('logSoftmax', 'axis -1, large values', (x) => logSoftmax(x!, -1), 'lambda x: torch.log_softmax(x, -1)', { inputs: [f(-500, 500)], shapes: rank(1, 2) }),
  // The fused primitives' VJPs are primitives too (softmaxBackward, ...): these rows differentiate
  // them (their VJPs are the op's second derivative, checked here to second order: the third) and
  // give their JVP and batching rules rows of their own.
  row('softmax', 'VJP, axis -1', (x, g) => pullback((t) => softmax(t, -1), x!, g!), torchVjp('torch.softmax(x, -1)'), { inputs: [REAL, REAL], shapes: rank(1, 3) }),
  row('softmax', 'VJP, axis 0', (x, g) => pullback((t) => softmax(t, 0), x!, g!), torchVjp('torch.softmax(x, 0)'), { inputs: [REAL, REAL], shapes: rank(2, 3) }),
  row('logSoftmax', 'VJP, axis -1', (x, g) => pullback((t) => logSoftmax(t, -1), x!, g!), torchVjp('torch.log_softmax(x, -1)'), { inputs: [REAL, REAL], shapes: rank(1, 3) }),
  row('logSoftmax', 'VJP, axis 0', (x, g) => pullback((t) => logSoftmax(t, 0), x!, g!), torchVjp('torch.log_softmax(x, 0)'), { inputs: [REAL, REAL], shapes: rank(2, 3) }),
  // The optimizers' update step (SGD's p - lr g) in one pass.
  row('axpy', 'alpha -0.5', (x, y) => axpy(x!, y!, -0.5), 'lambda x, y: torch.add(x, y, alpha=-0.5)', { inputs: [REAL, REAL], internal: true }),
  // nn's LayerNorm normalizes with this internal primitive, then scales and shifts with public ops.
  row('layerNorm', 'last dim', (x) => layerNorm(x!, 1, 1e-5), 'lambda x: F.layer_norm(x, x.shape[-1:])', { shapes: rank(1, 3, 3, 5), internal: true }),
  row('layerNorm', 'last two dims, eps 0.1', (x) => layerNorm(x!, 2, 0.1), 'lambda x: F.layer_norm(x, x.shape[-2:], eps=0.1)', { shapes: rank(2, 3), internal: true }),
  row('layerNorm', 'VJP, eps 0.1', (x, g) => pullback((t) => layerNorm(t, 1, 0.1), x!, g!), torchVjp('F.layer_norm(x, x.shape[-1:], eps=0.1)'), {
    inputs: [REAL, REAL], shapes: rank(1, 3, 2, 4), internal: true,
  }),
  row('conv1d', undefined, (x, w) => conv1d(x!, w!), 'lambda x, w: F.conv1d(x, w)', { inputs: [REAL, REAL], shapes: fixed([[2, 3, 6], [4, 3, 3]]) }),
  row('conv1d', 'bias, stride 2, padding 1', (x, w, b) => conv1d(x!, w!, b!, { stride: 2, padding: 1 }), 'lambda x, w, b: F.conv1d(x, w, b, stride=2, padding=1)', {
    inputs: [REAL, REAL, REAL], shapes: fixed([[1, 2, 7], [3, 2, 3], [3]]),
  }),
  row('conv1d', 'dilation 2', (x, w) => conv1d(x!, w!, null, { dilation: 2 }), 'lambda x, w: F.conv1d(x, w, dilation=2)', {
    inputs: [REAL, REAL], shapes: fixed([[1, 2, 8], [2, 2, 3]]),
  }),
  row('conv1d', 'groups 2', (x, w) => conv1d(x!, w!, null, { groups: 2 }), 'lambda x, w: F.conv1d(x, w, groups=2)', { inputs: [REAL, REAL], shapes: fixed([[2, 4, 5], [4, 2, 2]]) }),
  row('conv1d', "padding 'same'", (x, w) => conv1d(x!, w!, null, { padding: 'same' }), "lambda x, w: F.conv1d(x, w, padding='same')", {
    inputs: [REAL, REAL], shapes: fixed([[1, 2, 5], [2, 2, 3]]),
  }),
  row('conv1d', 'unbatched', (x, w) => conv1d(x!, w!), 'lambda x, w: F.conv1d(x, w)', { inputs: [REAL, REAL], shapes: fixed([[2, 6], [3, 2, 2]]) }),
  row('conv2d', undefined, (x, w) => conv2d(x!, w!), 'lambda x, w: F.conv2d(x, w)', { inputs: [REAL, REAL], shapes: fixed([[1, 2, 4, 4], [3, 2, 3, 3]]) }),
  row('conv2d', 'bias, stride [2, 1], padding [1, 0]', (x, w, b) => conv2d(x!, w!, b!, { stride: [2, 1], padding: [1, 0] }),
    'lambda x, w, b: F.conv2d(x, w, b, stride=(2, 1), padding=(1, 0))', { inputs: [REAL, REAL, REAL], shapes: fixed([[2, 2, 5, 4], [2, 2, 3, 2], [2]]) }),
  row('conv2d', 'dilation 2', (x, w) => conv2d(x!, w!, null, { dilation: 2 }), 'lambda x, w: F.conv2d(x, w, dilation=2)', {
    inputs: [REAL, REAL], shapes: fixed([[1, 1, 6, 6], [2, 1, 3, 2]]),
  }),
  row('conv2d', 'groups 2', (x, w) => conv2d(x!, w!, null, { groups: 2 }), 'lambda x, w: F.conv2d(x, w, groups=2)', {
    inputs: [REAL, REAL], shapes: fixed([[1, 4, 3, 3], [4, 2, 2, 2]]),
  }),
  row('conv2d', 'depthwise, padding 1', (x, w, b) => conv2d(x!, w!, b!, { groups: 3, padding: 1 }), 'lambda x, w, b: F.conv2d(x, w, b, padding=1, groups=3)', {
    inputs: [REAL, REAL, REAL], shapes: fixed([[1, 3, 3, 3], [3, 1, 3, 3], [3]]),
  }),
  row('conv2d', "padding 'same'", (x, w) => conv2d(x!, w!, null, { padding: 'same' }), "lambda x, w: F.conv2d(x, w, padding='same')", {
    inputs: [REAL, REAL], shapes: fixed([[1, 2, 4, 4], [2, 2, 3, 3]]),
  }),
  row('conv2d', 'unbatched', (x, w, b) => conv2d(x!, w!, b!), 'lambda x, w, b: F.conv2d(x, w, b)', {
    inputs: [REAL, REAL, REAL], shapes: fixed([[2, 3, 3], [3, 2, 2, 2], [3]]),
  }),
  row('maxPool2d', 'kernel 2', (x) => maxPool2d(x!, 2), 'lambda x: F.max_pool2d(x, 2)', { distinct: true, shapes: fixed([[1, 2, 4, 4]], [[2, 1, 5, 4]]) }),
  row('maxPool2d', 'kernel [2, 3], stride 1 (overlapping)', (x) => maxPool2d(x!, [2, 3], { stride: 1 }), 'lambda x: F.max_pool2d(x, (2, 3), stride=1)', {
    distinct: true, shapes: fixed([[1, 2, 3, 4]]),
  }),
  row('maxPool2d', 'stride 2, padding 1', (x) => maxPool2d(x!, 3, { stride: 2, padding: 1 }), 'lambda x: F.max_pool2d(x, 3, stride=2, padding=1)', {
    distinct: true, shapes: fixed([[1, 1, 5, 5]]),
  }),
  row('maxPool2d', 'dilation 2', (x) => maxPool2d(x!, 2, { stride: 1, dilation: 2 }), 'lambda x: F.max_pool2d(x, 2, stride=1, dilation=2)', {
    distinct: true, shapes: fixed([[1, 1, 4, 5]]),
  }),
  row('maxPool2d', 'unbatched', (x) => maxPool2d(x!, 2), 'lambda x: F.max_pool2d(x, 2)', { distinct: true, shapes: fixed([[2, 4, 4]]) }),
  row('avgPool2d', 'kernel 2', (x) => avgPool2d(x!, 2), 'lambda x: F.avg_pool2d(x, 2)', { shapes: fixed([[1, 2, 4, 4]], [[2, 1, 5, 4]]) }),
  row('avgPool2d', 'stride 2, padding 1 (padded zeros count)', (x) => avgPool2d(x!, 3, { stride: 2, padding: 1 }), 'lambda x: F.avg_pool2d(x, 3, stride=2, padding=1)', {
    shapes: fixed([[1, 1, 5, 6]]),
  }),
  row('avgPool2d', 'kernel [1, 2]', (x) => avgPool2d(x!, [1, 2]), 'lambda x: F.avg_pool2d(x, (1, 2))', { shapes: fixed([[1, 2, 3, 4]]) }),
  // dropout's mask is fixed by its seed, so the op is a fixed linear map; PyTorch gets that mask.
  row('dropout', 'training, seeded mask', (x) => dropout(x!, DROPOUT_P, true, { seed: DROPOUT_SEED }), `lambda x, keep: x * keep / (1 - ${DROPOUT_P})`, {
    shapes: rank(1, 3), torchAux: ([x]) => [cast(ge(rand(x!.shape, { seed: DROPOUT_SEED, dtype: 'float64' }), DROPOUT_P), 'float64')],
  }),
  row('dropout', 'eval mode is the identity', (x) => dropout(x!, 0.5, false), 'lambda x: F.dropout(x, 0.5, training=False)'),
  row('dropout', 'p=1 drops everything', (x) => dropout(x!, 1, true), 'lambda x: F.dropout(x, 1.0, training=True)'),
  row('unfold2d', 'kernel 2', (x) => unfold2d(x!, 2), 'lambda x: F.unfold(x, 2)', { shapes: fixed([[1, 2, 3, 4]]) }),
  row('unfold2d', 'stride, padding, dilation', (x) => unfold2d(x!, [2, 3], { stride: [2, 1], padding: [1, 0], dilation: [1, 2] }),
    'lambda x: F.unfold(x, (2, 3), dilation=(1, 2), padding=(1, 0), stride=(2, 1))', { shapes: fixed([[2, 1, 5, 6]]) }),
  row('fold2d', 'kernel 2', (c) => fold2d(c!, [3, 4], 2), 'lambda c: F.fold(c, (3, 4), 2)', { shapes: fixed([[1, 8, 6]]) }),
  row('fold2d', 'kernel 3, stride 2, padding 1', (c) => fold2d(c!, [5, 5], 3, { stride: 2, padding: 1 }), 'lambda c: F.fold(c, (5, 5), 3, padding=1, stride=2)', {
    shapes: fixed([[2, 9, 9]]),
  }),
  // research ops: linalg
  // Inputs are made well-conditioned inside the call (the same transform is in the PyTorch
  // expression): diagonally dominant for solve/inv/det, X X^T + n I for cholesky, and a spread
  // diagonal for the eigen/singular ones, so that eigenvalues and singular values stay distinct
  // (and nonzero) under any input in [-1, 1]. eigh and svd rows return sign-invariant quantities.
  row('linalg.solve', 'matrix right-hand sides, broadcast batch', (a, b) => linalg.solve(dominant(a!), b!), `lambda a, b: torch.linalg.solve(${DOMINANT('a')}, b)`, {
    inputs: [UNIT, REAL], shapes: fixed([[3, 3], [3, 2]], [[2, 3, 3], [3, 1]], [[2, 1, 2, 2], [3, 2, 2]]),
  }),
  row('linalg.solve', 'vector right-hand sides', (a, b) => linalg.solve(dominant(a!), b!), `lambda a, b: torch.linalg.solve(${DOMINANT('a')}, b)`, {
    inputs: [UNIT, REAL], shapes: fixed([[3, 3], [3]], [[2, 4, 4], [2, 4]], [[2, 2, 2], [2]]),
  }),
  row('linalg.inv', undefined, (a) => linalg.inv(dominant(a!)), `lambda a: torch.linalg.inv(${DOMINANT('a')})`, { inputs: [UNIT], shapes: fixed([[3, 3]], [[2, 2, 2]], [[1, 1]]) }),
  row('linalg.det', undefined, (a) => linalg.det(dominant(a!)), `lambda a: torch.linalg.det(${DOMINANT('a')})`, { inputs: [UNIT], shapes: fixed([[3, 3]], [[2, 2, 2]], [[1, 1]]) }),
  row('linalg.det', 'negative determinant', (a) => linalg.det(neg(dominant(a!))), `lambda a: torch.linalg.det(-${DOMINANT('a')})`, { inputs: [UNIT], shapes: fixed([[3, 3]], [[2, 1, 1]]) }),
  row('linalg.slogdet', undefined, (a) => linalg.slogdet(dominant(a!)), `lambda a: torch.linalg.slogdet(${DOMINANT('a')})`, { inputs: [UNIT], shapes: fixed([[3, 3]], [[2, 2, 2]]) }),
  row('linalg.slogdet', 'negative determinant', (a) => linalg.slogdet(neg(dominant(a!))), `lambda a: torch.linalg.slogdet(-${DOMINANT('a')})`, { inputs: [UNIT], shapes: fixed([[3, 3]], [[2, 1, 1]]) }),
  row('linalg.cholesky', undefined, (x) => linalg.cholesky(spd(x!)), `lambda x: torch.linalg.cholesky(${SPD('x')})`, { inputs: [UNIT], shapes: fixed([[3, 3]], [[2, 2, 2]], [[1, 1]]) }),
  row('linalg.cholesky', 'upper', (x) => linalg.cholesky(spd(x!), { upper: true }), `lambda x: torch.linalg.cholesky(${SPD('x')}, upper=True)`, { inputs: [UNIT], shapes: fixed([[4, 4]], [[2, 3, 3]]) }),
  row('linalg.qr', 'tall', (a) => linalg.qr(spread(a!)), `lambda a: torch.linalg.qr(${SPREAD('a')})`, { inputs: [UNIT], shapes: fixed([[4, 3]], [[2, 3, 2]]) }),
  row('linalg.qr', 'square', (a) => linalg.qr(neg(spread(a!))), `lambda a: torch.linalg.qr(-${SPREAD('a')})`, { inputs: [UNIT], shapes: fixed([[3, 3]], [[1, 1]]) }),
  row('linalg.qr', 'wide', (a) => linalg.qr(spread(a!)), `lambda a: torch.linalg.qr(${SPREAD('a')})`, { inputs: [UNIT], shapes: fixed([[2, 4]], [[2, 2, 3]]) }),
  row('linalg.eigh', undefined, (x) => eighInvariants(x!), `lambda x: (lambda w, V: (w, V * V, V[..., :1] @ V[..., :1].mT))(*torch.linalg.eigh(${SYM_SPREAD('x')}))`, {
    inputs: [UNIT], shapes: fixed([[3, 3]], [[2, 2, 2]], [[1, 1]], [[4, 4]]),
  }),
  row('linalg.svd', 'tall', (x) => svdInvariants(x!), `lambda x: ${SVD_INVARIANTS('x')}`, { inputs: [UNIT], shapes: fixed([[4, 3]], [[2, 3, 2]]) }),
  row('linalg.svd', 'wide', (x) => svdInvariants(x!), `lambda x: ${SVD_INVARIANTS('x')}`, { inputs: [UNIT], shapes: fixed([[2, 4]], [[2, 2, 3]]) }),
  row('linalg.svd', 'square', (x) => svdInvariants(x!), `lambda x: ${SVD_INVARIANTS('x')}`, { inputs: [UNIT], shapes: fixed([[3, 3]], [[1, 1]]) }),
  row('linalg.lstsq', 'tall, broadcast batch', (a, b) => linalg.lstsq(spread(a!), b!), `lambda a, b: torch.linalg.lstsq(${SPREAD('a')}, b).solution`, {
    inputs: [UNIT, REAL], shapes: fixed([[5, 3], [5, 2]], [[2, 1, 4, 2], [1, 3, 4, 1]]),
  }),
  // (PyTorch 1.13's lstsq gradient fails for vector right-hand sides: its expression takes b as a column.)
  row('linalg.lstsq', 'vector right-hand side', (a, b) => linalg.lstsq(spread(a!), b!), `lambda a, b: torch.linalg.lstsq(${SPREAD('a')}, b.unsqueeze(-1)).solution.squeeze(-1)`, {
    inputs: [UNIT, REAL], shapes: fixed([[4, 2], [4]], [[3, 3], [3]]),
  }),
  row('linalg.lstsq', 'wide: minimum norm', (a, b) => linalg.lstsq(spread(a!), b!), `lambda a, b: torch.linalg.lstsq(${SPREAD('a')}, b).solution`, {
    inputs: [UNIT, REAL], shapes: fixed([[2, 4], [2, 3]], [[1, 3, 4], [2, 3, 2]]),
  }),
  row('linalg.vectorNorm', 'ord 2, all', (x) => linalg.vectorNorm(x!), 'lambda x: torch.linalg.vector_norm(x)', { shapes: rank(1, 3) }),
  row('linalg.vectorNorm', 'ord 1, axis 0', (x) => linalg.vectorNorm(x!, 1, 0), 'lambda x: torch.linalg.vector_norm(x, 1, dim=0)', { inputs: [NONZERO], shapes: rank(1, 3) }),
  row('linalg.vectorNorm', 'ord Infinity, axis -1, keepdims', (x) => linalg.vectorNorm(x!, Infinity, -1, true), "lambda x: torch.linalg.vector_norm(x, float('inf'), dim=-1, keepdim=True)", {
    inputs: [f(0.2, 2)], distinct: true, shapes: rank(1, 3),
  }),
  row('linalg.vectorNorm', 'ord -Infinity, axes [0, 1]', (x) => linalg.vectorNorm(x!, -Infinity, [0, 1]), "lambda x: torch.linalg.vector_norm(x, float('-inf'), dim=(0, 1))", {
    inputs: [f(0.2, 2)], distinct: true, shapes: rank(2, 3),
  }),
  row('linalg.vectorNorm', 'ord 0 (zero gradient)', (x) => linalg.vectorNorm(x!, 0, 1), 'lambda x: torch.linalg.vector_norm(x, 0, dim=1)', { inputs: [NONZERO], shapes: rank(2, 3) }),
  row('linalg.vectorNorm', 'ord 3, axes [0, -1], keepdims', (x) => linalg.vectorNorm(x!, 3, [0, -1], true), 'lambda x: torch.linalg.vector_norm(x, 3, dim=(0, -1), keepdim=True)', {
    inputs: [NONZERO], shapes: rank(2, 3),
  }),
  row('linalg.vectorNorm', 'ord 0.5', (x) => linalg.vectorNorm(x!, 0.5), 'lambda x: torch.linalg.vector_norm(x, 0.5)', { inputs: [NONZERO], shapes: rank(1, 2) }),
  row('linalg.vectorNorm', 'ord -1, axis 1', (x) => linalg.vectorNorm(x!, -1, 1), 'lambda x: torch.linalg.vector_norm(x, -1, dim=1)', { inputs: [NONZERO], shapes: rank(2, 3) }),
  row('linalg.matrixNorm', "'fro'", (x) => linalg.matrixNorm(x!), 'lambda x: torch.linalg.matrix_norm(x)', { shapes: rank(2, 3) }),
  row('linalg.matrixNorm', "'fro', axes [0, 2], keepdims", (x) => linalg.matrixNorm(x!, 'fro', [0, 2], true), 'lambda x: torch.linalg.matrix_norm(x, dim=(0, 2), keepdim=True)', { shapes: rank(3, 3) }),
  row('linalg.matrixNorm', "'nuc'", (x) => linalg.matrixNorm(spread(x!), 'nuc'), `lambda x: torch.linalg.matrix_norm(${SPREAD('x')}, 'nuc')`, { inputs: [UNIT], shapes: fixed([[3, 2]], [[2, 2, 3]], [[3, 3]]) }),
  row('linalg.matrixNorm', "'nuc', axes [-1, 0]", (x) => linalg.matrixNorm(x!, 'nuc', [-1, 0]), "lambda x: torch.linalg.matrix_norm(x, 'nuc', dim=(-1, 0))", { shapes: fixed([[3, 2, 4]]) }),
  row('linalg.matrixNorm', 'ord 2', (x) => linalg.matrixNorm(spread(x!), 2), `lambda x: torch.linalg.matrix_norm(${SPREAD('x')}, 2)`, { inputs: [UNIT], shapes: fixed([[3, 2]], [[2, 2, 3]]) }),
  row('linalg.matrixNorm', 'ord -2', (x) => linalg.matrixNorm(spread(x!), -2), `lambda x: torch.linalg.matrix_norm(${SPREAD('x')}, -2)`, { inputs: [UNIT], shapes: fixed([[3, 3]], [[2, 3, 2]]) }),
  row('linalg.matrixNorm', 'ord 1', (x) => linalg.matrixNorm(x!, 1), 'lambda x: torch.linalg.matrix_norm(x, 1)', { inputs: [NONZERO], distinct: true, shapes: rank(2, 3) }),
  row('linalg.matrixNorm', 'ord -1', (x) => linalg.matrixNorm(x!, -1), 'lambda x: torch.linalg.matrix_norm(x, -1)', { inputs: [NONZERO], distinct: true, shapes: rank(2, 3) }),
  row('linalg.matrixNorm', 'ord Infinity', (x) => linalg.matrixNorm(x!, Infinity), "lambda x: torch.linalg.matrix_norm(x, float('inf'))", { inputs: [NONZERO], distinct: true, shapes: rank(2, 3) }),
  row('linalg.matrixNorm', 'ord -Infinity', (x) => linalg.matrixNorm(x!, -Infinity), "lambda x: torch.linalg.matrix_norm(x, float('-inf'))", { inputs: [NONZERO], distinct: true, shapes: rank(2, 3) }),

  // research ops: elementwise, predicates, scans, sorting
  // floor/ceil/round/trunc are piecewise constant: zero gradient away from their jumps.
  row('floor', undefined, (x) => floor(x!), 'lambda x: torch.floor(x)', { inputs: [f(-3, 3, { avoid: [-3, -2, -1, 0, 1, 2, 3] })] }),
  row('ceil', undefined, (x) => ceil(x!), 'lambda x: torch.ceil(x)', { inputs: [f(-3, 3, { avoid: [-3, -2, -1, 0, 1, 2, 3] })] }),
  row('round', undefined, (x) => round(x!), 'lambda x: torch.round(x)', { inputs: [f(-3, 3, { avoid: [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5] })] }),
  row('trunc', undefined, (x) => trunc(x!), 'lambda x: torch.trunc(x)', { inputs: [f(-3, 3, { avoid: [-3, -2, -1, 0, 1, 2, 3] })] }),
  row('asin', undefined, (x) => asin(x!), 'lambda x: torch.asin(x)', { inputs: [f(-0.9, 0.9)] }),
  row('acos', undefined, (x) => acos(x!), 'lambda x: torch.acos(x)', { inputs: [f(-0.9, 0.9)] }),
  row('atan', undefined, (x) => atan(x!), 'lambda x: torch.atan(x)', { inputs: [f(-4, 4)] }),
  row('sinh', undefined, (x) => sinh(x!), 'lambda x: torch.sinh(x)', { inputs: [f(-3, 3)] }),
  row('cosh', undefined, (x) => cosh(x!), 'lambda x: torch.cosh(x)', { inputs: [f(-3, 3)] }),
  row('asinh', undefined, (x) => asinh(x!), 'lambda x: torch.asinh(x)', { inputs: [f(-4, 4)] }),
  row('acosh', undefined, (x) => acosh(x!), 'lambda x: torch.acosh(x)', { inputs: [f(1.1, 5)] }),
  row('atanh', undefined, (x) => atanh(x!), 'lambda x: torch.atanh(x)', { inputs: [f(-0.9, 0.9)] }),
  row('erfc', undefined, (x) => erfc(x!), 'lambda x: torch.erfc(x)', { inputs: [f(-3, 4)] }),
  row('expm1', undefined, (x) => expm1(x!), 'lambda x: torch.expm1(x)', { inputs: [f(-3, 3)] }),
  row('log2', undefined, (x) => log2(x!), 'lambda x: torch.log2(x)', { inputs: [f(0.1, 5)] }),
  row('log10', undefined, (x) => log10(x!), 'lambda x: torch.log10(x)', { inputs: [f(0.1, 5)] }),
  row('reciprocal', undefined, (x) => reciprocal(x!), 'lambda x: torch.reciprocal(x)', { inputs: [NONZERO] }),
  row('silu', undefined, (x) => silu(x!), 'lambda x: F.silu(x)', { inputs: [f(-5, 5)] }),
  row('mish', undefined, (x) => mish(x!), 'lambda x: F.mish(x)', { inputs: [f(-5, 5)] }),
  binary('atan2', undefined, (a, b) => atan2(a!, b!), 'lambda a, b: torch.atan2(a, b)', { inputs: [NONZERO, REAL] }),
  binary('hypot', undefined, (a, b) => hypot(a!, b!), 'lambda a, b: torch.hypot(a, b)', { inputs: [NONZERO, REAL] }),
  // fmod and remainder jump where a / b is an integer; random values meet none of those.
  binary('fmod', undefined, (a, b) => fmod(a!, b!), 'lambda a, b: torch.fmod(a, b)', { inputs: [f(-4, 4), NONZERO] }),
  binary('remainder', undefined, (a, b) => remainder(a!, b!), 'lambda a, b: torch.remainder(a, b)', { inputs: [f(-4, 4), NONZERO] }),
  binary('logaddexp', undefined, (a, b) => logaddexp(a!, b!), 'lambda a, b: torch.logaddexp(a, b)'),
  binary('logaddexp', 'large values', (a, b) => logaddexp(a!, b!), 'lambda a, b: torch.logaddexp(a, b)', { inputs: [f(-800, 800), f(-800, 800)] }),
  row('lerp', 'tensor weight', (a, b, w) => lerp(a!, b!, w!), 'lambda a, b, w: torch.lerp(a, b, w)', {
    inputs: [REAL, REAL, f(-0.5, 1.5, { avoid: [0.5] })], shapes: broadcast(),
  }),
  row('lerp', 'scalar weight below 0.5', (a, b) => lerp(a!, b!, 0.25), 'lambda a, b: torch.lerp(a, b, 0.25)', { inputs: [REAL, REAL], shapes: broadcast() }),
  row('lerp', 'scalar weight above 0.5', (a, b) => lerp(a!, b!, 0.75), 'lambda a, b: torch.lerp(a, b, 0.75)', { inputs: [REAL, REAL], shapes: broadcast() }),
  row('nanToNum', 'finite values pass through', (x) => nanToNum(x!), 'lambda x: torch.nan_to_num(x)'),
  row('cumsum', 'axis 0', (x) => cumsum(x!, 0), 'lambda x: torch.cumsum(x, 0)', { shapes: rank(1, 3) }),
  row('cumsum', 'axis -1', (x) => cumsum(x!, -1), 'lambda x: torch.cumsum(x, -1)'),
  row('cumprod', 'axis 1', (x) => cumprod(x!, 1), 'lambda x: torch.cumprod(x, 1)', { inputs: [NONZERO], shapes: rank(2, 3, 1, 4) }),
  row('cumprod', 'axis -1', (x) => cumprod(x!, -1), 'lambda x: torch.cumprod(x, -1)', { inputs: [NONZERO] }),
  // At zeros the gradient is exact (no division), but not differentiable again there.
  row('cumprod', 'zeros, axis 1', (x) => cumprod(x!, 1), 'lambda x: torch.cumprod(x, 1)', {
    inputs: [f(-2, 2, { zeros: 4 })], shapes: fixed([[3, 4]], [[2, 6]]), smooth: false,
  }),
  row('cumprod', 'zeros, axis 0', (x) => cumprod(x!, 0), 'lambda x: torch.cumprod(x, 0)', { inputs: [f(-2, 2, { zeros: 2 })], shapes: fixed([[5]], [[4, 2]]), smooth: false }),
  row('logcumsumexp', 'axis 0', (x) => logcumsumexp(x!, 0), 'lambda x: torch.logcumsumexp(x, 0)', { shapes: rank(1, 3, 1, 4) }),
  row('logcumsumexp', 'axis -1', (x) => logcumsumexp(x!, -1), 'lambda x: torch.logcumsumexp(x, -1)'),
  row('logcumsumexp', 'axis 1, large values', (x) => logcumsumexp(x!, 1), 'lambda x: torch.logcumsumexp(x, 1)', { inputs: [f(-800, 800)], shapes: rank(2, 3, 1, 4) }),
  row('cummax', 'axis 0', (x) => cummax(x!, 0)[0], 'lambda x: torch.cummax(x, 0).values', { distinct: true, shapes: rank(1, 3, 1, 4) }),
  row('cummin', 'axis -1', (x) => cummin(x!, -1)[0], 'lambda x: torch.cummin(x, -1).values', { distinct: true }),
  row('sort', 'axis -1', (x) => sort(x!)[0], 'lambda x: torch.sort(x, -1).values', { distinct: true }),
  row('sort', 'descending, axis 0', (x) => sort(x!, 0, { descending: true })[0], 'lambda x: torch.sort(x, 0, descending=True).values', { distinct: true, shapes: rank(1, 3, 1, 4) }),
  row('topk', 'k 2, axis -1', (x) => topk(x!, 2)[0], 'lambda x: torch.topk(x, 2).values', { distinct: true, shapes: rank(1, 3, 2, 4) }),
  // Unsorted, tapegrad keeps the original order along the axis; PyTorch's order is unspecified, so its indices are sorted first.
  row('topk', 'smallest 2, unsorted, axis 0', (x) => topk(x!, 2, 0, { largest: false, sorted: false })[0],
    'lambda x: x.gather(0, torch.topk(x, 2, 0, largest=False).indices.sort(0).values)', { distinct: true, shapes: rank(1, 3, 2, 4) }),
  row('kthvalue', 'k 2, axis -1', (x) => kthvalue(x!, 2), 'lambda x: torch.kthvalue(x, 2).values', { distinct: true, shapes: rank(1, 3, 2, 4) }),
  row('kthvalue', 'k 1, axis 0, keepdims', (x) => kthvalue(x!, 1, 0, true), 'lambda x: torch.kthvalue(x, 1, 0, keepdim=True).values', { distinct: true, shapes: rank(1, 3) }),
  row('median', 'all', (x) => median(x!), 'lambda x: torch.median(x)', { distinct: true }),
  row('median', 'axis 1', (x) => median(x!, 1), 'lambda x: torch.median(x, 1).values', { distinct: true, shapes: rank(2, 3, 1, 4) }),
  row('median', 'axis -1, keepdims', (x) => median(x!, -1, true), 'lambda x: torch.median(x, -1, keepdim=True).values', { distinct: true, shapes: rank(1, 3, 1, 4) }),
  // nn research set
  row('convTranspose2d', undefined, (x, w) => convTranspose2d(x!, w!), 'lambda x, w: F.conv_transpose2d(x, w)', { inputs: [REAL, REAL], shapes: fixed([[1, 2, 3, 3], [2, 3, 2, 2]]) }),
  row('convTranspose2d', 'bias, stride [2, 1], padding [1, 0], outputPadding [1, 0]', (x, w, b) => convTranspose2d(x!, w!, b!, { stride: [2, 1], padding: [1, 0], outputPadding: [1, 0] }),
    'lambda x, w, b: F.conv_transpose2d(x, w, b, stride=(2, 1), padding=(1, 0), output_padding=(1, 0))', { inputs: [REAL, REAL, REAL], shapes: fixed([[2, 2, 3, 4], [2, 3, 3, 2], [3]]) }),
  row('convTranspose2d', 'groups 2, dilation 2, outputPadding 1 (< dilation)', (x, w) => convTranspose2d(x!, w!, null, { groups: 2, dilation: 2, outputPadding: 1 }),
    'lambda x, w: F.conv_transpose2d(x, w, groups=2, dilation=2, output_padding=1)', { inputs: [REAL, REAL], shapes: fixed([[1, 4, 3, 3], [4, 1, 2, 2]]) }),
  row('convTranspose2d', 'unbatched', (x, w) => convTranspose2d(x!, w!, null, { stride: 2 }), 'lambda x, w: F.conv_transpose2d(x, w, stride=2)', { inputs: [REAL, REAL], shapes: fixed([[2, 2, 3], [2, 1, 3, 3]]) }),
  row('convTranspose1d', undefined, (x, w) => convTranspose1d(x!, w!), 'lambda x, w: F.conv_transpose1d(x, w)', { inputs: [REAL, REAL], shapes: fixed([[2, 3, 4], [3, 2, 3]]) }),
  row('convTranspose1d', 'bias, stride 3, padding 1, outputPadding 2', (x, w, b) => convTranspose1d(x!, w!, b!, { stride: 3, padding: 1, outputPadding: 2 }),
    'lambda x, w, b: F.conv_transpose1d(x, w, b, stride=3, padding=1, output_padding=2)', { inputs: [REAL, REAL, REAL], shapes: fixed([[1, 2, 4], [2, 2, 3], [2]]) }),
  row('interpolate', 'nearest, size', (x) => interpolate(x!, { size: [5, 7] }), "lambda x: F.interpolate(x, size=(5, 7), mode='nearest')", { shapes: fixed([[1, 2, 3, 4]]) }),
  row('interpolate', 'nearest, scaleFactor 2, 1-d', (x) => interpolate(x!, { scaleFactor: 2 }), "lambda x: F.interpolate(x, scale_factor=2.0, mode='nearest')", { shapes: fixed([[2, 2, 3]]) }),
  row('interpolate', 'bilinear, scaleFactor 1.5', (x) => interpolate(x!, { scaleFactor: 1.5, mode: 'bilinear' }), "lambda x: F.interpolate(x, scale_factor=1.5, mode='bilinear')", { shapes: fixed([[1, 2, 3, 4]]) }),
  row('interpolate', 'bilinear, alignCorners, downsampling', (x) => interpolate(x!, { size: [2, 3], mode: 'bilinear', alignCorners: true }),
    "lambda x: F.interpolate(x, size=(2, 3), mode='bilinear', align_corners=True)", { shapes: fixed([[1, 2, 4, 5]]) }),
  row('interpolate', 'linear, size', (x) => interpolate(x!, { size: 7, mode: 'linear' }), "lambda x: F.interpolate(x, size=7, mode='linear')", { shapes: fixed([[2, 1, 4]]) }),
  row('adaptiveAvgPool2d', 'overlapping windows', (x) => adaptiveAvgPool2d(x!, [2, 3]), 'lambda x: F.adaptive_avg_pool2d(x, (2, 3))', { shapes: fixed([[2, 2, 5, 7]]) }),
  row('adaptiveAvgPool2d', 'global, unbatched', (x) => adaptiveAvgPool2d(x!, 1), 'lambda x: F.adaptive_avg_pool2d(x, 1)', { shapes: fixed([[3, 4, 5]]) }),
  row('adaptiveMaxPool2d', 'overlapping windows', (x) => adaptiveMaxPool2d(x!, [3, 2]), 'lambda x: F.adaptive_max_pool2d(x, (3, 2))', { distinct: true, shapes: fixed([[1, 2, 5, 5]]) }),
  row('adaptiveMaxPool2d', 'one output dim kept', (x) => adaptiveMaxPool2d(x!, [2, null]), 'lambda x: F.adaptive_max_pool2d(x, (2, None))', { distinct: true, shapes: fixed([[2, 1, 4, 3]]) }),
  row('maxPool1d', 'kernel 3, stride 2, padding 1', (x) => maxPool1d(x!, 3, { stride: 2, padding: 1 }), 'lambda x: F.max_pool1d(x, 3, stride=2, padding=1)', { distinct: true, shapes: fixed([[2, 2, 7]]) }),
  row('maxPool1d', 'dilation 2, unbatched', (x) => maxPool1d(x!, 2, { stride: 1, dilation: 2 }), 'lambda x: F.max_pool1d(x, 2, stride=1, dilation=2)', { distinct: true, shapes: fixed([[2, 6]]) }),
  row('avgPool1d', 'kernel 2', (x) => avgPool1d(x!, 2), 'lambda x: F.avg_pool1d(x, 2)', { shapes: fixed([[2, 3, 6]]) }),
  row('avgPool1d', 'stride 2, padding 1 (padded zeros count)', (x) => avgPool1d(x!, 3, { stride: 2, padding: 1 }), 'lambda x: F.avg_pool1d(x, 3, stride=2, padding=1)', { shapes: fixed([[1, 2, 6]]) }),
];

/**
 * Public ops of @tapegrad/tensor that are not differentiable: their outputs are bool/int32 or
 * piecewise constant, so no gradient flows through them (their VJP rules return nothing).
 */
export const NON_DIFFERENTIABLE: readonly string[] = [
  'eq', 'ne', 'lt', 'le', 'gt', 'ge', 'argmax', 'argmin', 'sign',
  'isnan', 'isinf', 'isfinite', 'logicalAnd', 'logicalOr', 'logicalXor', 'logicalNot', 'any', 'all', 'allclose', 'equal', 'argsort', 'oneHot', 'nonzero',
];

/**
 * Primitives with int32 outputs that no public function of the same name returns (so none of the
 * names above covers them): they are never recorded, and no row can reach them.
 */
export const INDEX_PRIMITIVES: readonly string[] = ['cumargmax', 'cumargmin', 'maxPool2dIndices'];

/** Function exports of @tapegrad/tensor that are not ops on tensors, by kind. */
export const NOT_OPS: Readonly<Record<string, readonly string[]>> = {
  creation: ['tensor', 'zeros', 'ones', 'full', 'eye', 'arange', 'linspace', 'zerosLike', 'onesLike'],
  random: ['rand', 'randn', 'randint', 'randperm', 'manualSeed', 'Generator', 'multinomial', 'bernoulli', 'randLike', 'randnLike'],
  backend: ['getBackend', 'setBackend'],
  'in-place writes (not recorded)': ['copy_', 'fill_', 'zero_', 'add_', 'sub_', 'mul_', 'div_'],
  'dtype and shape utilities': ['isDType', 'promoteTypes', 'broadcastShapes', 'contiguousStrides'],
  classes: ['Tensor', 'ShapeError', 'AnomalyError', 'LinAlgError'],
};

// ---- helpers shared by the tests and the fixture exporter ---------------------------------------

/** A row's unique name: `op` or `op[variant]`. */
export const rowId = (r: OpRow): string => (r.variant === undefined ? r.op : `${r.op}[${r.variant}]`);

/** Builds a row's input tensors from shapes and row-major values. */
export function inputTensors(r: OpRow, shapes: readonly number[][], values: readonly number[][]): Tensor[] {
  return r.inputs.map((s, i) => {
    const shape = shapes[i]!.slice();
    const v = values[i]!;
    if (s.kind === 'float') return tensor(Float64Array.from(v), { shape, dtype: 'float64' });
    if (s.kind === 'index') return tensor(Int32Array.from(v), { shape, dtype: 'int32' });
    return tensor(Uint8Array.from(v), { shape, dtype: 'bool' });
  });
}

/** Positions of a row's differentiated (float) inputs. */
export const floatPositions = (r: OpRow): number[] => r.inputs.flatMap((s, i) => (s.kind === 'float' ? [i] : []));

/** One output tensor: several outputs (split) become the concatenation of their flattened values. */
export function single(out: Tensor | Tensor[]): Tensor {
  if (out instanceof Tensor) return out;
  return concat(out.map((t) => reshape(t, [-1])), 0);
}

/**
 * The row as a function of its float inputs only (the constants - indices, masks - fixed to the
 * given tensors), returning one tensor: the form checkGrad, vjp and jvp take.
 */
export function asFunction(r: OpRow, inputs: readonly Tensor[]): (...floats: Tensor[]) => Tensor {
  const pos = floatPositions(r);
  return (...floats) => {
    const all = inputs.slice();
    pos.forEach((p, k) => (all[p] = floats[k]!));
    return single(r.call(...all));
  };
}

// ---- research ops: linalg, the well-conditioned inputs of its rows ------------------------------


/** a + 2n I: strictly diagonally dominant (a in [-1, 1]^{n x n}), so far from singular. */
function dominant(a: Tensor): Tensor {
  const n = a.shape[a.ndim - 1]!;
  return add(a, mul(eye(n, { dtype: a.dtype }), 2 * n));
}
function DOMINANT(a: string): string {
  return `(${a} + 2 * ${a}.shape[-1] * torch.eye(${a}.shape[-1], dtype=${a}.dtype))`;
}

/** x x^T + n I: symmetric positive definite with eigenvalues >= n. */
function spd(x: Tensor): Tensor {
  const n = x.shape[x.ndim - 1]!;
  return add(matmul(x, transpose(x, -1, -2)), mul(eye(n, { dtype: x.dtype }), n));
}
function SPD(x: string): string {
  return `(${x} @ ${x}.mT + ${x}.shape[-1] * torch.eye(${x}.shape[-1], dtype=${x}.dtype))`;
}

/**
 * x + D with D_jj = (-1)^j 3p (j + 1), p = max(m, n): as |x| <= p in norm, the singular values
 * (and, for symmetric x, the eigenvalues) stay at least p apart and at least 2p from zero.
 */
function spread(x: Tensor): Tensor {
  const m = x.shape[x.ndim - 2]!, n = x.shape[x.ndim - 1]!;
  const p = Math.max(m, n);
  const d = arange(n, { dtype: x.dtype }).data().map((j) => 3 * p * (j + 1) * (j % 2 === 0 ? 1 : -1));
  return add(x, mul(eye(m, n, { dtype: x.dtype }), tensor(d, { dtype: x.dtype })));
}
function SPREAD(x: string): string {
  return `(${x} + torch.eye(${x}.shape[-2], ${x}.shape[-1], dtype=${x}.dtype) * (3 * max(${x}.shape[-2:]) * (torch.arange(${x}.shape[-1], dtype=${x}.dtype) + 1) * (1 - 2 * (torch.arange(${x}.shape[-1]) % 2))))`;
}
/** The symmetric part of x, spread: distinct eigenvalues. */
function symSpread(x: Tensor): Tensor {
  return spread(mul(add(x, transpose(x, -1, -2)), 0.5));
}
function SYM_SPREAD(x: string): string {
  return SPREAD(`((${x} + ${x}.mT) / 2)`);
}

/** First column of each matrix, [..., m, 1]. */
function firstColumn(v: Tensor): Tensor {
  return slice(v, [...v.shape.slice(0, -1).map(() => 0), 0], [...v.shape.slice(0, -1), 1]);
}

/** eigh's results through quantities that do not depend on the eigenvectors' signs: w, V * V and v1 v1^T. */
function eighInvariants(x: Tensor): Tensor[] {
  const [w, V] = linalg.eigh(symSpread(x));
  const v1 = firstColumn(V);
  return [w, mul(V, V), matmul(v1, transpose(v1, -1, -2))];
}

/** svd's results through sign-invariant quantities: S, U * U, Vh * Vh and u1 v1^T. */
function svdInvariants(x: Tensor): Tensor[] {
  const [U, S, Vh] = linalg.svd(spread(x));
  return [S, mul(U, U), mul(Vh, Vh), matmul(firstColumn(U), transpose(firstColumn(transpose(Vh, -1, -2)), -1, -2))];
}
function SVD_INVARIANTS(x: string): string {
  return `(lambda U, S, Vh: (S, U * U, Vh * Vh, U[..., :1] @ Vh[..., :1, :]))(*torch.linalg.svd(${SPREAD(x)}, full_matrices=False))`;
}
