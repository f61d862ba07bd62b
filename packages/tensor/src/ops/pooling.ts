import { tensor } from '../creation.js';
import { ShapeError } from '../errors.js';
import { checkSize, describe, fmtShape } from '../shape.js';
import { checkInteger, checkOptions } from '../validate.js';
import type { Tensor } from '../tensor.js';
import { matmul } from './linalg.js';
import { concat, slice, squeeze, transpose, unsqueeze } from './movement.js';
import { avgPool2d, maxPool2d } from './nn.js';
import { asTensor } from './operand.js';
import { max } from './reduce.js';
import { defineMethods, type AsMethods } from '../methods.js';
import { isFloat } from '../dtype.js';

/** An adaptive pooling's output size: one number for both dims, or [h, w] where null keeps the input's size. */
export type AdaptiveSize = number | readonly [number | null, number | null];

/** PyTorch's adaptive windows: output i covers input [floor(i n / m), ceil((i + 1) n / m)). */
function windows(n: number, m: number): [number, number][] {
  return Array.from({ length: m }, (_, i) => [Math.floor((i * n) / m), Math.ceil(((i + 1) * n) / m)]);
}

function adaptiveInput(op: string, input: Tensor, outputSize: AdaptiveSize): [Tensor, [number, number], boolean] {
  let x = asTensor(input, op);
  const unbatched = x.ndim === 3;
  if (unbatched) x = unsqueeze(x, 0);
  if (x.ndim !== 4) throw new ShapeError(`${op}: expected input [N, C, H, W] or [C, H, W], got ${fmtShape(asTensor(input, op).shape)}`);
  const pair = typeof outputSize === 'number' ? [outputSize, outputSize] : outputSize;
  if (!Array.isArray(pair) || pair.length !== 2) {
    throw new TypeError(`${op}: expected an output size as a positive integer or a pair [h, w] (null keeps the input's size), got ${describe(outputSize)}`);
  }
  for (const v of pair) if (v !== null) checkInteger(v, op, 'an output size', 1);
  const size: [number, number] = [pair[0] ?? x.shape[2]!, pair[1] ?? x.shape[3]!];
  checkSize([x.shape[0]!, x.shape[1]!, ...size], op);
  // The averaging matrices are [h, H] and [w, W].
  checkSize([size[0], x.shape[2]!], op);
  checkSize([size[1], x.shape[3]!], op);
  if (x.shape[2] === 0 || x.shape[3] === 0) throw new ShapeError(`${op}: expected a non-empty spatial size, got input ${fmtShape(input.shape)}`);
  return [x, size, unbatched];
}

/** The [m, n] matrix that averages each adaptive window of an axis of length n. */
function averaging(n: number, m: number, x: Tensor): Tensor {
  const a = new Float64Array(m * n);
  windows(n, m).forEach(([s, e], i) => {
    for (let j = s; j < e; j++) a[i * n + j] = 1 / (e - s);
  });
  return tensor(a, { shape: [m, n], dtype: x.dtype });
}

/**
 * Average pooling to a fixed output size [N, C, h, w] (or [C, h, w]) whatever the input size, with
 * PyTorch's windows (output i averages input [floor(i H / h), ceil((i + 1) H / h))). A composite:
 * the averages are separable, so the op is two matmuls with constant averaging matrices.
 *
 * @example
 * adaptiveAvgPool2d(randn([8, 64, 7, 9]), 1); // global average pooling: [8, 64, 1, 1]
 */
export function adaptiveAvgPool2d(input: Tensor, outputSize: AdaptiveSize): Tensor {
  const [x, [h, w], unbatched] = adaptiveInput('adaptiveAvgPool2d', input, outputSize);
  if (!isFloat(x.dtype)) throw new TypeError(`adaptiveAvgPool2d: expected a float32 or float64 input, got ${x.dtype}`);
  const rows = averaging(x.shape[2]!, h, x);
  const cols = averaging(x.shape[3]!, w, x);
  const out = matmul(matmul(rows, x), transpose(cols, 0, 1));
  return unbatched ? squeeze(out, 0) : out;
}

/** Max over each adaptive window of one axis (2 or 3) of a 4-D tensor, the windows concatenated. */
function adaptiveMaxAlong(x: Tensor, axis: 2 | 3, m: number): Tensor {
  const n = x.shape[axis]!;
  const parts = windows(n, m).map(([s, e]) => {
    const starts = [0, 0, 0, 0];
    const ends = x.shape.slice();
    starts[axis] = s;
    ends[axis] = e;
    return max(slice(x, starts, ends), axis, true);
  });
  return concat(parts, axis);
}

/**
 * Max pooling to a fixed output size, with PyTorch's adaptive windows. A composite: the max over a
 * window is the max over its rows of the max over its columns, so each axis is reduced in turn
 * (the gradient goes to the first maximum in row-major order, as in PyTorch).
 */
export function adaptiveMaxPool2d(input: Tensor, outputSize: AdaptiveSize): Tensor {
  const [x, [h, w], unbatched] = adaptiveInput('adaptiveMaxPool2d', input, outputSize);
  const out = adaptiveMaxAlong(adaptiveMaxAlong(x, 3, w), 2, h);
  return unbatched ? squeeze(out, 0) : out;
}

/**
 * Options of {@link maxPool1d} and {@link avgPool1d}: `stride` (default: the kernel size), `padding` (default
 * 0, at most half the kernel), `dilation` (default 1, max pooling only).
 */
export interface Pool1dOptions { stride?: number; padding?: number; dilation?: number }

function pool1d(op: 'maxPool1d' | 'avgPool1d', input: Tensor, kernel: number, opts: Pool1dOptions): Tensor {
  let x = asTensor(input, op);
  const unbatched = x.ndim === 2;
  if (unbatched) x = unsqueeze(x, 0);
  if (x.ndim !== 3) throw new ShapeError(`${op}: expected input [N, C, L] or [C, L], got ${fmtShape(asTensor(input, op).shape)}`);
  const int = (v: unknown, what: string, min: number): number => checkInteger(v, op, what, min);
  checkOptions(opts, op, op === 'maxPool1d' ? ['stride', 'padding', 'dilation'] : ['stride', 'padding']);
  const k = int(kernel, 'a kernel size', 1);
  const stride = int(opts.stride ?? k, 'a stride', 1);
  const padding = int(opts.padding ?? 0, 'a padding', 0);
  if (2 * padding > k) throw new RangeError(`${op}: padding ${padding} must be at most half the kernel ${k}`);
  const dilation = int(opts.dilation ?? 1, 'a dilation', 1);
  if (op === 'avgPool1d' && dilation !== 1) throw new RangeError(`avgPool1d: has no dilation, got ${dilation}`);
  const L = x.shape[2]!;
  if (Math.floor((L + 2 * padding - dilation * (k - 1) - 1) / stride) + 1 <= 0) {
    throw new ShapeError(`${op}: kernel ${k} (dilation ${dilation}) does not fit input ${fmtShape(input.shape)} with padding ${padding}`);
  }
  const x4 = unsqueeze(x, 2);
  const o2 = { stride: [1, stride] as [number, number], padding: [0, padding] as [number, number] };
  const out = squeeze(op === 'maxPool1d' ? maxPool2d(x4, [1, k], { ...o2, dilation: [1, dilation] }) : avgPool2d(x4, [1, k], o2), 2);
  return unbatched ? squeeze(out, 0) : out;
}

/** Max pooling over [N, C, L] (or [C, L]): stride defaults to the kernel size, padding never wins. */
export function maxPool1d(input: Tensor, kernel: number, opts: Pool1dOptions = {}): Tensor {
  return pool1d('maxPool1d', input, kernel, opts);
}

/** Average pooling over [N, C, L] (or [C, L]): stride defaults to the kernel size; padded zeros count (PyTorch's default). */
export function avgPool1d(input: Tensor, kernel: number, opts: Omit<Pool1dOptions, 'dilation'> = {}): Tensor {
  return pool1d('avgPool1d', input, kernel, opts);
}

/** The ops of this file that are also `Tensor` methods. */
const METHODS = { adaptiveAvgPool2d, adaptiveMaxPool2d, maxPool1d, avgPool1d };
defineMethods(METHODS);

declare module '../tensor.js' {
  interface Tensor extends AsMethods<typeof METHODS> {}
}
