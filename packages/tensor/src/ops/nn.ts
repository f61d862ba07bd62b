import { runKernel } from '../dispatch.js';
import { ShapeError } from '../errors.js';
import type { WindowAttrs } from '../primitives.js';
import { isFloat, toStored } from '../dtype.js';
import { checkSize, describe, fmtShape, normAxis, windowOut } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { pickGenerator, rand, type RandomOptions } from '../random.js';
import { checkFlag, checkInteger, checkNumber, checkOptions } from '../validate.js';
import { add, cast, div, exp, ge, mul, sub } from './elementwise.js';
import { gather, reshape, squeeze, unsqueeze } from './movement.js';
import { asTensor } from './operand.js';
import { matmul } from './linalg.js';
import { logsumexp, max, mean, sum } from './reduce.js';
import { defineMethods, type AsMethods } from '../methods.js';

/** softmax along `axis`, shifted by the slice's maximum so it is exact for large inputs (one fused kernel). */
export function softmax(x: Tensor, axis: number): Tensor {
  return alongAxis('softmax', x, axis);
}

/** log(softmax(x)) along `axis`: x - logsumexp(x), computed as (x - max) - log(sum(exp(x - max))) in one fused kernel. */
export function logSoftmax(x: Tensor, axis: number): Tensor {
  return alongAxis('logSoftmax', x, axis);
}

/** Runs the fused softmax primitive `op` along `axis` (integer inputs compute in float32). */
function alongAxis(op: 'softmax' | 'logSoftmax', x: Tensor, axis: number): Tensor {
  let t = asTensor(x, op);
  const ax = normAxis(axis, t.ndim, op);
  if (!isFloat(t.dtype)) t = cast(t, 'float32');
  return runKernel(op, [t], { axis: ax }, t.shape, t.dtype);
}

type Pair = number | [number, number];
/**
 * Options of {@link conv2d}, each a number for both spatial dims or a pair [h, w]: `stride` (default 1),
 * `padding` zeros on each side (default 0; `'valid'` is 0, `'same'` keeps H and W and needs stride 1 and an
 * odd effective kernel), `dilation` (default 1), and `groups` (default 1; C and Cout must divide by it).
 */
export interface Conv2dOptions { stride?: Pair; padding?: Pair | 'valid' | 'same'; dilation?: Pair; groups?: number }
/** Options of {@link conv1d}: as {@link Conv2dOptions}, one number each. */
export interface Conv1dOptions { stride?: number; padding?: number | 'valid' | 'same'; dilation?: number; groups?: number }
/**
 * Options of {@link maxPool2d} and {@link avgPool2d}, each a number for both dims or a pair [h, w]: `stride`
 * (default: the kernel size), `padding` (default 0, at most half the kernel), `dilation` (default 1).
 */
export interface Pool2dOptions { stride?: Pair; padding?: Pair; dilation?: Pair }
/**
 * Options of {@link unfold2d}: `stride`, `padding` and `dilation` (numbers or pairs, defaults 1, 0, 1), and
 * `padValue`, what the padding reads as (default 0).
 */
export interface UnfoldOptions { stride?: Pair; padding?: Pair; dilation?: Pair; padValue?: number }

/** A per-dim integer setting (kernel, stride, padding, dilation): one number for every dim, or one per dim. */
function perDim(v: unknown, op: string, what: string, min: number, n: number): number[] {
  const p = typeof v === 'number' ? new Array<number>(n).fill(v) : v;
  if (!Array.isArray(p) || p.length !== n || p.some((k) => typeof k !== 'number' || !Number.isInteger(k) || k < min)) {
    const form = n === 2 ? 'or a pair of them' : `or an array of ${n}`;
    throw new (typeof v === 'number' || Array.isArray(v) ? RangeError : TypeError)(
      `${op}: expected ${what} as an integer >= ${min} ${form}, got ${Array.isArray(v) ? `[${v.map(describe).join(',')}]` : describe(v)}`,
    );
  }
  return p as number[];
}

function pair(v: unknown, op: string, what: string, min: number): [number, number] {
  return perDim(v, op, what, min, 2) as [number, number];
}

function windowAttrs(op: string, kernel: Pair, o: { stride?: Pair; padding?: Pair; dilation?: Pair }, defaultStride: Pair): WindowAttrs {
  return {
    kernel: pair(kernel, op, 'a kernel size', 1),
    stride: pair(o.stride ?? defaultStride, op, 'a stride', 1),
    padding: pair(o.padding ?? 0, op, 'a padding', 0),
    dilation: pair(o.dilation ?? 1, op, 'a dilation', 1),
  };
}

function outSize(op: string, x: Tensor, a: WindowAttrs): [number, number] {
  const H = x.shape[2]!, W = x.shape[3]!;
  const oh = windowOut(H, a.kernel[0], a.stride[0], a.padding[0], a.dilation[0]);
  const ow = windowOut(W, a.kernel[1], a.stride[1], a.padding[1], a.dilation[1]);
  if (oh <= 0 || ow <= 0) {
    throw new ShapeError(`${op}: kernel [${a.kernel.join(',')}] (dilation [${a.dilation.join(',')}]) does not fit input ${fmtShape(x.shape)} with padding [${a.padding.join(',')}]`);
  }
  return [oh, ow];
}

function check4d(op: string, x: Tensor): void {
  if (x.ndim !== 4) throw new ShapeError(`${op}: expected a 4-D input [N, C, H, W], got ${fmtShape(x.shape)}`);
}

/** Sliding windows to columns (im2col): [N, C, H, W] -> [N, C * kh * kw, OH * OW]. */
export function unfold2d(x: Tensor, kernel: Pair, opts: UnfoldOptions = {}): Tensor {
  const t = asTensor(x, 'unfold2d');
  check4d('unfold2d', t);
  opts = checkOptions<UnfoldOptions>(opts, 'unfold2d', ['stride', 'padding', 'dilation', 'padValue']);
  // The pad value enters the output's storage: converted as any value entering storage is.
  const padValue = opts.padValue === undefined ? 0 : toStored(checkNumber(opts.padValue, 'unfold2d', 'padValue'), t.dtype, 'unfold2d');
  const a = windowAttrs('unfold2d', kernel, opts, 1);
  const [oh, ow] = outSize('unfold2d', t, a);
  const shape = [t.shape[0]!, t.shape[1]! * a.kernel[0] * a.kernel[1], oh * ow];
  return runKernel('unfold2d', [t], { ...a, padValue }, shape, t.dtype);
}

/** Columns back to an image, summing overlaps (col2im, the adjoint of unfold2d). */
export function fold2d(cols: Tensor, outputSize: [number, number], kernel: Pair, opts: Omit<UnfoldOptions, 'padValue'> = {}): Tensor {
  const t = asTensor(cols, 'fold2d');
  opts = checkOptions<UnfoldOptions>(opts, 'fold2d', ['stride', 'padding', 'dilation']);
  const a = windowAttrs('fold2d', kernel, opts, 1);
  const k = a.kernel[0] * a.kernel[1];
  const [H, W] = pair(outputSize, 'fold2d', 'an output size', 1);
  const L = windowOut(H, a.kernel[0], a.stride[0], a.padding[0], a.dilation[0]) * windowOut(W, a.kernel[1], a.stride[1], a.padding[1], a.dilation[1]);
  if (t.ndim !== 3 || t.shape[1]! % k !== 0 || t.shape[2] !== L) {
    throw new ShapeError(`fold2d: expected columns [N, C*${k}, ${L}] for output [${H},${W}], got ${fmtShape(t.shape)}`);
  }
  const shape = [t.shape[0]!, t.shape[1]! / k, H, W];
  return runKernel('fold2d', [t], { ...a, outputSize: [H, W] }, shape, t.dtype);
}

/** A convolution's settings, validated once for any number of spatial dims. */
interface ConvPlan { x: Tensor; w: Tensor; unbatched: boolean; stride: number[]; padding: number[]; dilation: number[]; groups: number; out: number[] }

/**
 * Validates a convolution with `nd` spatial dims under the name the user called (`conv1d` or
 * `conv2d`): ranks, channels and groups, settings, that the kernel fits, the bias, and the size of
 * the columns it will build. Everything after it cannot fail, so no inner op's name reaches the user.
 */
function checkConv(op: string, nd: number, input: unknown, weight: unknown, bias: unknown, opts: unknown): ConvPlan {
  let x = asTensor(input, op);
  const w = asTensor(weight, op);
  const o = checkOptions<{ stride?: unknown; padding?: unknown; dilation?: unknown; groups?: unknown }>(opts, op, ['stride', 'padding', 'dilation', 'groups']);
  const given = x.shape;
  const unbatched = x.ndim === nd + 1;
  if (unbatched) x = unsqueeze(x, 0);
  const dims = nd === 1 ? 'L' : 'H, W';
  const ks = nd === 1 ? 'k' : 'kh, kw';
  if (x.ndim !== nd + 2 || w.ndim !== nd + 2) {
    throw new ShapeError(`${op}: expected input [N, C, ${dims}] (or [C, ${dims}]) and weight [Cout, C/groups, ${ks}], got ${fmtShape(given)} and ${fmtShape(w.shape)}`);
  }
  const groups = checkInteger(o.groups ?? 1, op, 'groups', 1);
  const [N, C] = x.shape as [number, number];
  const [Cout, Cg] = w.shape as [number, number];
  const kernel = w.shape.slice(2);
  if (Cg * groups !== C || Cout % groups !== 0) {
    throw new ShapeError(`${op}: weight ${fmtShape(w.shape)} with groups=${groups} expects ${Cg * groups} input channels (and Cout divisible by groups), got input ${fmtShape(given)}`);
  }
  const stride = perDim(o.stride ?? 1, op, 'a stride', 1, nd);
  const dilation = perDim(o.dilation ?? 1, op, 'a dilation', 1, nd);
  let padding: number[];
  if (o.padding === 'same') {
    const total = kernel.map((k, i) => dilation[i]! * (k - 1));
    if (stride.some((s) => s !== 1) || total.some((t) => t % 2 !== 0)) {
      throw new RangeError(`${op}: padding 'same' needs stride 1 and an odd effective kernel, got kernel ${fmtShape(kernel)} stride ${fmtShape(stride)}`);
    }
    padding = total.map((t) => t / 2);
  } else {
    padding = perDim(o.padding === 'valid' ? 0 : o.padding ?? 0, op, "a padding (or 'valid' or 'same')", 0, nd);
  }
  const out = kernel.map((k, i) => windowOut(x.shape[2 + i]!, k, stride[i]!, padding[i]!, dilation[i]!));
  if (out.some((n) => n <= 0)) {
    throw new ShapeError(`${op}: kernel ${fmtShape(kernel)} (dilation ${fmtShape(dilation)}) does not fit input ${fmtShape(given)} with padding ${fmtShape(padding)}`);
  }
  if (bias !== undefined && bias !== null) {
    const b = asTensor(bias, op);
    if (b.ndim !== 1 || b.shape[0] !== Cout) throw new ShapeError(`${op}: expected bias [${Cout}], got ${fmtShape(b.shape)}`);
  }
  // The im2col columns are the largest tensor a convolution builds.
  checkSize([N, C * kernel.reduce((a, k) => a * k, 1), out.reduce((a, n) => a * n, 1)], op);
  return { x, w, unbatched, stride, padding, dilation, groups, out };
}

/**
 * 2-D convolution (cross-correlation, as PyTorch) of input [N, C, H, W] (or [C, H, W]) with weight
 * [Cout, C/groups, kh, kw], plus an optional bias [Cout]. Computed as unfold + (grouped, batched) matmul,
 * so its gradients come from those two ops.
 */
export function conv2d(input: Tensor, weight: Tensor, bias?: Tensor | null, opts: Conv2dOptions = {}): Tensor {
  const { x, w, unbatched, stride, padding, dilation, groups: g, out: [oh, ow] } = checkConv('conv2d', 2, input, weight, bias, opts);
  const [N] = x.shape as [number];
  const [Cout, Cg, kh, kw] = w.shape as [number, number, number, number];
  const cols = unfold2d(x, [kh, kw], { stride: pair(stride, 'conv2d', 'a stride', 1), padding: pair(padding, 'conv2d', 'a padding', 0), dilation: pair(dilation, 'conv2d', 'a dilation', 1) });
  const K = Cg * kh * kw;
  const L = oh! * ow!;
  let out: Tensor;
  if (g === 1) {
    out = matmul(reshape(w, [Cout, K]), cols);
  } else {
    out = matmul(reshape(w, [g, Cout / g, K]), reshape(cols, [N, g, K, L]));
  }
  out = reshape(out, [N, Cout, oh!, ow!]);
  if (bias !== undefined && bias !== null) out = add(out, reshape(asTensor(bias, 'conv2d'), [1, Cout, 1, 1]));
  return unbatched ? squeeze(out, 0) : out;
}

/** 1-D convolution of [N, C, L] (or [C, L]) with weight [Cout, C/groups, k]: conv2d over a height of 1. */
export function conv1d(input: Tensor, weight: Tensor, bias?: Tensor | null, opts: Conv1dOptions = {}): Tensor {
  const { x, w, unbatched, stride, padding, dilation, groups } = checkConv('conv1d', 1, input, weight, bias, opts);
  const out = conv2d(unsqueeze(x, 2), unsqueeze(w, 2), bias, {
    stride: [1, stride[0]!], padding: [0, padding[0]!], dilation: [1, dilation[0]!], groups,
  });
  const y = squeeze(out, 2);
  return unbatched ? squeeze(y, 0) : y;
}

function pool(op: 'maxPool2d' | 'avgPool2d', input: Tensor, kernel: Pair, opts: Pool2dOptions): Tensor {
  let x = asTensor(input, op);
  const unbatched = x.ndim === 3;
  if (unbatched) x = unsqueeze(x, 0);
  check4d(op, x);
  opts = checkOptions<Pool2dOptions>(opts, op, ['stride', 'padding', 'dilation']);
  const a = windowAttrs(op, kernel, opts, kernel);
  if (a.padding[0] * 2 > a.kernel[0] || a.padding[1] * 2 > a.kernel[1]) {
    throw new RangeError(`${op}: padding [${a.padding.join(',')}] must be at most half the kernel [${a.kernel.join(',')}]`);
  }
  const [oh, ow] = outSize(op, x, a);
  const [N, C] = x.shape as [number, number];
  checkSize([N, C * a.kernel[0] * a.kernel[1], oh * ow], op);
  const [H, W] = [x.shape[2]!, x.shape[3]!];
  if (op === 'maxPool2d' && reachesInput(H, a.kernel[0], a.stride[0], a.padding[0], a.dilation[0], oh) && reachesInput(W, a.kernel[1], a.stride[1], a.padding[1], a.dilation[1], ow)) {
    // One pass finds each window's maximum; its value is gathered from the input, so the
    // gradient goes back through gather (a scatter-add) to exactly that element.
    const at = runKernel('maxPool2dIndices', [x], a, [N, C, oh * ow], 'int32');
    const out = reshape(gather(reshape(x, [N, C, H * W]), 2, at), [N, C, oh, ow]);
    return unbatched ? squeeze(out, 0) : out;
  }
  // Max-pooling pads with the lowest value of the dtype, so padding never wins the max.
  const low = x.dtype === 'int32' ? -2147483648 : x.dtype === 'bool' ? 0 : -Infinity;
  const cols = unfold2d(x, a.kernel, { stride: a.stride, padding: a.padding, dilation: a.dilation, padValue: op === 'maxPool2d' ? low : 0 });
  const windows = reshape(cols, [N, C, a.kernel[0] * a.kernel[1], oh * ow]);
  const pooled = op === 'maxPool2d' ? max(windows, 2) : mean(windows, 2);
  const out = reshape(pooled, [N, C, oh, ow]);
  return unbatched ? squeeze(out, 0) : out;
}

/**
 * Whether each of the `out` windows along a dim of `size` (kernel k, stride s, padding p, dilation d)
 * has a tap inside the input. Only with dilation can a window fall wholly in the padding; then
 * max-pooling takes its value from the padded columns (the lowest value of the dtype).
 */
function reachesInput(size: number, k: number, s: number, p: number, d: number, out: number): boolean {
  for (let o = 0; o < out; o++) {
    let inside = false;
    for (let j = 0; j < k && !inside; j++) {
      const i = o * s - p + j * d;
      inside = i >= 0 && i < size;
    }
    if (!inside) return false;
  }
  return true;
}

/** Max pooling over [N, C, H, W]; stride defaults to the kernel size, padding never wins the max. */
export function maxPool2d(input: Tensor, kernel: Pair, opts: Pool2dOptions = {}): Tensor {
  return pool('maxPool2d', input, kernel, opts);
}

/** Average pooling over [N, C, H, W]; stride defaults to the kernel size; padded zeros count (PyTorch's default). */
export function avgPool2d(input: Tensor, kernel: Pair, opts: Pool2dOptions = {}): Tensor {
  return pool('avgPool2d', input, kernel, opts);
}

/**
 * Options of {@link dropout}: where the random mask comes from (`seed` or `generator`; the default stream
 * otherwise).
 */
export type DropoutOptions = Pick<RandomOptions, 'seed' | 'generator'>;
/** Inverted dropout: while training, zeroes each element with probability p and scales the rest by 1/(1-p). */
export function dropout(x: Tensor, p: number, training: boolean, opts: DropoutOptions = {}): Tensor {
  const t = asTensor(x, 'dropout');
  checkNumber(p, 'dropout', 'the probability p');
  if (!(p >= 0 && p <= 1)) throw new RangeError(`dropout: expected a probability p in [0, 1], got ${describe(p)}`);
  const on = checkFlag(training, 'dropout', 'training', false);
  const generator = pickGenerator(opts, 'dropout', ['seed', 'generator']);
  if (!on || p === 0) return t;
  if (p === 1) return mul(t, 0);
  const keep = cast(ge(rand(t.shape, { generator, dtype: 'float64' }), p), t.dtype);
  return mul(t, div(keep, 1 - p));
}

/** The ops of this file that are also `Tensor` methods. */
const METHODS = { softmax, logSoftmax, conv1d, conv2d, maxPool2d, avgPool2d, dropout };
defineMethods(METHODS);

declare module '../tensor.js' {
  interface Tensor extends AsMethods<typeof METHODS> {}
}
