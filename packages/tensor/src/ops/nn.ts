import { runKernel } from '../dispatch.js';
import { ShapeError } from '../errors.js';
import type { WindowAttrs } from '../primitives.js';
import { fmtShape, normAxis, windowOut } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { rand, type RandomOptions } from '../random.js';
import { add, cast, div, exp, ge, mul, sub } from './elementwise.js';
import { reshape, squeeze, unsqueeze } from './movement.js';
import { asTensor } from './operand.js';
import { matmul } from './linalg.js';
import { logsumexp, max, mean, sum } from './reduce.js';
import { defineMethods, type AsMethods } from '../methods.js';

/** softmax along `axis`, shifted by the (constant) maximum so it is exact for large inputs. */
export function softmax(x: Tensor, axis: number): Tensor {
  const t = asTensor(x, 'softmax');
  normAxis(axis, t.ndim, 'softmax');
  const e = exp(sub(t, max(t.detach(), axis, true)));
  return div(e, sum(e, axis, true));
}

/** log(softmax(x)) along `axis`, computed as x - logsumexp(x). */
export function logSoftmax(x: Tensor, axis: number): Tensor {
  const t = asTensor(x, 'logSoftmax');
  normAxis(axis, t.ndim, 'logSoftmax');
  return sub(t, logsumexp(t, axis, true));
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

function pair(v: unknown, op: string, what: string, min: number): [number, number] {
  const p = typeof v === 'number' ? [v, v] : v;
  if (!Array.isArray(p) || p.length !== 2 || p.some((n) => typeof n !== 'number' || !Number.isInteger(n) || n < min)) {
    throw new RangeError(`${op}: expected ${what} as an integer >= ${min} or a pair of them, got ${JSON.stringify(v)}`);
  }
  return [p[0], p[1]];
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
  const a = windowAttrs('unfold2d', kernel, opts, 1);
  const [oh, ow] = outSize('unfold2d', t, a);
  const shape = [t.shape[0]!, t.shape[1]! * a.kernel[0] * a.kernel[1], oh * ow];
  return runKernel('unfold2d', [t], { ...a, padValue: opts.padValue ?? 0 }, shape, t.dtype);
}

/** Columns back to an image, summing overlaps (col2im, the adjoint of unfold2d). */
export function fold2d(cols: Tensor, outputSize: [number, number], kernel: Pair, opts: Omit<UnfoldOptions, 'padValue'> = {}): Tensor {
  const t = asTensor(cols, 'fold2d');
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

/**
 * 2-D convolution (cross-correlation, as PyTorch) of input [N, C, H, W] (or [C, H, W]) with weight
 * [Cout, C/groups, kh, kw], plus an optional bias [Cout]. Computed as unfold + (grouped, batched) matmul,
 * so its gradients come from those two ops.
 */
export function conv2d(input: Tensor, weight: Tensor, bias?: Tensor | null, opts: Conv2dOptions = {}): Tensor {
  let x = asTensor(input, 'conv2d');
  const w = asTensor(weight, 'conv2d');
  const unbatched = x.ndim === 3;
  if (unbatched) x = unsqueeze(x, 0);
  if (x.ndim !== 4 || w.ndim !== 4) {
    throw new ShapeError(`conv2d: expected input [N, C, H, W] and weight [Cout, C/groups, kh, kw], got ${fmtShape(input.shape)} and ${fmtShape(w.shape)}`);
  }
  const g = opts.groups ?? 1;
  if (!Number.isInteger(g) || g < 1) throw new RangeError(`conv2d: expected groups to be a positive integer, got ${g}`);
  const [N, C] = x.shape as [number, number];
  const [Cout, Cg, kh, kw] = w.shape as [number, number, number, number];
  if (Cg * g !== C || Cout % g !== 0) {
    throw new ShapeError(`conv2d: weight ${fmtShape(w.shape)} with groups=${g} expects ${Cg * g} input channels (and Cout divisible by groups), got input ${fmtShape(x.shape)}`);
  }
  let padding = opts.padding ?? 0;
  if (padding === 'valid') padding = 0;
  const dil = pair(opts.dilation ?? 1, 'conv2d', 'a dilation', 1);
  if (padding === 'same') {
    const stride = pair(opts.stride ?? 1, 'conv2d', 'a stride', 1);
    const th = dil[0] * (kh - 1), tw = dil[1] * (kw - 1);
    if (stride[0] !== 1 || stride[1] !== 1 || th % 2 !== 0 || tw % 2 !== 0) {
      throw new RangeError(`conv2d: padding 'same' needs stride 1 and an odd effective kernel, got kernel [${kh},${kw}] stride [${stride.join(',')}]`);
    }
    padding = [th / 2, tw / 2];
  }
  const [oh, ow] = outSize('conv2d', x, windowAttrs('conv2d', [kh, kw], { stride: opts.stride ?? 1, padding, dilation: dil }, 1));
  const cols = unfold2d(x, [kh, kw], { stride: opts.stride ?? 1, padding, dilation: dil });
  const K = Cg * kh * kw;
  const L = oh * ow;
  let out: Tensor;
  if (g === 1) {
    out = matmul(reshape(w, [Cout, K]), cols);
  } else {
    out = matmul(reshape(w, [g, Cout / g, K]), reshape(cols, [N, g, K, L]));
  }
  out = reshape(out, [N, Cout, oh, ow]);
  if (bias !== undefined && bias !== null) {
    const b = asTensor(bias, 'conv2d');
    if (b.ndim !== 1 || b.shape[0] !== Cout) throw new ShapeError(`conv2d: expected bias [${Cout}], got ${fmtShape(b.shape)}`);
    out = add(out, reshape(b, [1, Cout, 1, 1]));
  }
  return unbatched ? squeeze(out, 0) : out;
}

/** 1-D convolution of [N, C, L] (or [C, L]) with weight [Cout, C/groups, k]: conv2d over a height of 1. */
export function conv1d(input: Tensor, weight: Tensor, bias?: Tensor | null, opts: Conv1dOptions = {}): Tensor {
  let x = asTensor(input, 'conv1d');
  const w = asTensor(weight, 'conv1d');
  const unbatched = x.ndim === 2;
  if (unbatched) x = unsqueeze(x, 0);
  if (x.ndim !== 3 || w.ndim !== 3) {
    throw new ShapeError(`conv1d: expected input [N, C, L] and weight [Cout, C/groups, k], got ${fmtShape(input.shape)} and ${fmtShape(w.shape)}`);
  }
  const p = opts.padding ?? 0;
  const padding: Conv2dOptions['padding'] = typeof p === 'string' ? p : [0, p];
  const out = conv2d(unsqueeze(x, 2), unsqueeze(w, 2), bias, {
    stride: [1, opts.stride ?? 1], padding, dilation: [1, opts.dilation ?? 1], groups: opts.groups ?? 1,
  });
  const y = squeeze(out, 2);
  return unbatched ? squeeze(y, 0) : y;
}

function pool(op: 'maxPool2d' | 'avgPool2d', input: Tensor, kernel: Pair, opts: Pool2dOptions): Tensor {
  let x = asTensor(input, op);
  const unbatched = x.ndim === 3;
  if (unbatched) x = unsqueeze(x, 0);
  check4d(op, x);
  const a = windowAttrs(op, kernel, opts, kernel);
  if (a.padding[0] * 2 > a.kernel[0] || a.padding[1] * 2 > a.kernel[1]) {
    throw new RangeError(`${op}: padding [${a.padding.join(',')}] must be at most half the kernel [${a.kernel.join(',')}]`);
  }
  const [oh, ow] = outSize(op, x, a);
  const [N, C] = x.shape as [number, number];
  const cols = unfold2d(x, a.kernel, { ...a, padValue: op === 'maxPool2d' ? -Infinity : 0 });
  const windows = reshape(cols, [N, C, a.kernel[0] * a.kernel[1], oh * ow]);
  const pooled = op === 'maxPool2d' ? max(windows, 2) : mean(windows, 2);
  const out = reshape(pooled, [N, C, oh, ow]);
  return unbatched ? squeeze(out, 0) : out;
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
export type DropoutOptions = RandomOptions;
/** Inverted dropout: while training, zeroes each element with probability p and scales the rest by 1/(1-p). */
export function dropout(x: Tensor, p: number, training: boolean, opts: DropoutOptions = {}): Tensor {
  const t = asTensor(x, 'dropout');
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new RangeError(`dropout: expected a probability p in [0, 1], got ${p}`);
  if (!training || p === 0) return t;
  if (p === 1) return mul(t, 0);
  const keep = cast(ge(rand(t.shape, { ...opts, dtype: 'float64' }), p), t.dtype);
  return mul(t, div(keep, 1 - p));
}

/** The ops of this file that are also `Tensor` methods. */
const METHODS = { softmax, logSoftmax, conv1d, conv2d, maxPool2d, avgPool2d, dropout };
defineMethods(METHODS);

declare module '../tensor.js' {
  interface Tensor extends AsMethods<typeof METHODS> {}
}
