import { ShapeError } from '../errors.js';
import { checkSize, describe, fmtShape } from '../shape.js';
import { checkInteger, checkOptions } from '../validate.js';
import type { Tensor } from '../tensor.js';
import { add } from './elementwise.js';
import { matmul } from './linalg.js';
import { pad, reshape, squeeze, transpose, unsqueeze } from './movement.js';
import { fold2d } from './nn.js';
import { asTensor } from './operand.js';
import { defineMethods, type AsMethods } from '../methods.js';

type Pair = number | [number, number];

/**
 * Options of {@link convTranspose2d}, each a number for both spatial dims or a pair [h, w]; stride, groups and
 * dilation default to 1, the paddings to 0.
 */
export interface ConvTranspose2dOptions {
  stride?: Pair;
  /** Removed from each side of the full output (PyTorch's `padding`: dilation * (k - 1) - padding of the equivalent convolution). */
  padding?: Pair;
  /** Extra rows/columns added at the bottom/right (smaller than the stride or the dilation). */
  outputPadding?: Pair;
  groups?: number;
  dilation?: Pair;
}

/** Options of {@link convTranspose1d}: as {@link ConvTranspose2dOptions}, one number each. */
export interface ConvTranspose1dOptions {
  stride?: number;
  padding?: number;
  outputPadding?: number;
  groups?: number;
  dilation?: number;
}

function pairOf(v: unknown, op: string, what: string, min: number): [number, number] {
  const p = typeof v === 'number' ? [v, v] : v;
  if (!Array.isArray(p) || p.length !== 2) throw new TypeError(`${op}: expected ${what} as an integer >= ${min} or a pair of them, got ${describe(v)}`);
  return [checkInteger(p[0], op, what, min), checkInteger(p[1], op, what, min)];
}

interface Resolved { stride: [number, number]; padding: [number, number]; outPad: [number, number]; dil: [number, number]; groups: number }

/** The 4-D computation behind both ops; `op` names the function the user called in errors. */
function transposed(op: string, x: Tensor, w: Tensor, bias: Tensor | null | undefined, a: Resolved, layout: string): Tensor {
  const { stride, padding, outPad, dil, groups: g } = a;
  checkInteger(g, op, 'groups', 1);
  const [N, Cin, H, W] = x.shape as [number, number, number, number];
  const [wc, Cg, kh, kw] = w.shape as [number, number, number, number];
  if (wc !== Cin || Cin % g !== 0) {
    throw new ShapeError(`${op}: weight [${wc},${Cg},${layout === '2d' ? `${kh},${kw}` : kw}] with groups=${g} expects ${wc} input channels (divisible by groups), got ${Cin}`);
  }
  for (const i of [0, 1]) {
    if (outPad[i]! >= stride[i]! && outPad[i]! >= dil[i]!) {
      throw new RangeError(`${op}: outputPadding ${outPad[i]} must be smaller than the stride (${stride[i]}) or the dilation (${dil[i]})`);
    }
  }
  // The full (uncropped) output, where input pixel (i, j) lands at (i s + a d, j s + b d) for kernel tap (a, b).
  const full: [number, number] = [(H - 1) * stride[0] + dil[0] * (kh - 1) + 1, (W - 1) * stride[1] + dil[1] * (kw - 1) + 1];
  const oh = full[0] - 2 * padding[0] + outPad[0];
  const ow = full[1] - 2 * padding[1] + outPad[1];
  if (oh <= 0 || ow <= 0) {
    throw new ShapeError(`${op}: padding ${layout === '2d' ? `[${padding.join(',')}]` : padding[1]} leaves no output for input size ${layout === '2d' ? `[${H},${W}]` : W} and kernel ${layout === '2d' ? `[${kh},${kw}]` : kw}`);
  }
  const Cout = Cg * g;
  // The columns, the full output before cropping and the output are shapes decided here: their
  // limit is checked under op's name, not under the names of the ops they are handed to.
  for (const s of [[N, Cout * kh * kw, H * W], [N, Cout, full[0], full[1]], [N, Cout, oh, ow]]) checkSize(s, op);
  const K = Cg * kh * kw;
  // cols[n, (c, a, b), l] = sum over the group's input channels ci of weight[ci, c, a, b] x[n, ci, l]
  const wT = transpose(reshape(w, [g, Cin / g, K]), 1, 2);
  const cols = reshape(matmul(wT, reshape(x, [N, g, Cin / g, H * W])), [N, Cout * kh * kw, H * W]);
  let out = fold2d(cols, full, [kh, kw], { stride, dilation: dil });
  out = pad(out, [-padding[1], outPad[1] - padding[1], -padding[0], outPad[0] - padding[0]]);
  if (bias !== undefined && bias !== null) {
    const b = asTensor(bias, op);
    if (b.ndim !== 1 || b.shape[0] !== Cout) throw new ShapeError(`${op}: expected bias [${Cout}], got ${fmtShape(b.shape)}`);
    out = add(out, reshape(b, [1, Cout, 1, 1]));
  }
  return out;
}

/**
 * Transposed 2-D convolution (the gradient of conv2d with respect to its input, PyTorch's
 * conv_transpose2d) of input [N, Cin, H, W] (or [Cin, H, W]) with weight [Cin, Cout/groups, kh, kw]
 * and an optional bias [Cout]. The output is [N, Cout, (H-1) s - 2p + d (kh-1) + outputPadding + 1, ...].
 *
 * A composite: every input pixel scatters `weight^T x` over its kernel window, i.e. a (grouped) matmul
 * to columns followed by fold2d (col2im) onto the full output, which is then cropped by `padding`
 * (and extended by `outputPadding`). Its gradients come from those ops.
 *
 * @example
 * convTranspose2d(randn([1, 4, 5, 5]), randn([4, 2, 3, 3]), null, { stride: 2, padding: 1, outputPadding: 1 }); // [1, 2, 10, 10]
 */
export function convTranspose2d(input: Tensor, weight: Tensor, bias?: Tensor | null, options: ConvTranspose2dOptions = {}): Tensor {
  const op = 'convTranspose2d';
  const opts = checkOptions<ConvTranspose2dOptions>(options, op, ['stride', 'padding', 'outputPadding', 'groups', 'dilation']);
  let x = asTensor(input, op);
  const w = asTensor(weight, op);
  const unbatched = x.ndim === 3;
  if (unbatched) x = unsqueeze(x, 0);
  if (x.ndim !== 4 || w.ndim !== 4) {
    throw new ShapeError(`${op}: expected input [N, Cin, H, W] and weight [Cin, Cout/groups, kh, kw], got ${fmtShape(asTensor(input, op).shape)} and ${fmtShape(w.shape)}`);
  }
  const out = transposed(op, x, w, bias, {
    stride: pairOf(opts.stride ?? 1, op, 'a stride', 1),
    padding: pairOf(opts.padding ?? 0, op, 'a padding', 0),
    outPad: pairOf(opts.outputPadding ?? 0, op, 'an output padding', 0),
    dil: pairOf(opts.dilation ?? 1, op, 'a dilation', 1),
    groups: opts.groups ?? 1,
  }, '2d');
  return unbatched ? squeeze(out, 0) : out;
}

/**
 * Transposed 1-D convolution of [N, Cin, L] (or [Cin, L]) with weight [Cin, Cout/groups, k]:
 * convTranspose2d over a height of 1. Output length (L-1) s - 2p + d (k-1) + outputPadding + 1.
 */
export function convTranspose1d(input: Tensor, weight: Tensor, bias?: Tensor | null, options: ConvTranspose1dOptions = {}): Tensor {
  const op = 'convTranspose1d';
  const opts = checkOptions<ConvTranspose1dOptions>(options, op, ['stride', 'padding', 'outputPadding', 'groups', 'dilation']);
  let x = asTensor(input, op);
  const w = asTensor(weight, op);
  const unbatched = x.ndim === 2;
  if (unbatched) x = unsqueeze(x, 0);
  if (x.ndim !== 3 || w.ndim !== 3) {
    throw new ShapeError(`${op}: expected input [N, Cin, L] and weight [Cin, Cout/groups, k], got ${fmtShape(asTensor(input, op).shape)} and ${fmtShape(w.shape)}`);
  }
  const int = (v: unknown, what: string, min: number): number => checkInteger(v, op, what, min);
  const out = transposed(op, unsqueeze(x, 2), unsqueeze(w, 2), bias, {
    stride: [1, int(opts.stride ?? 1, 'a stride', 1)],
    padding: [0, int(opts.padding ?? 0, 'a padding', 0)],
    outPad: [0, int(opts.outputPadding ?? 0, 'an output padding', 0)],
    dil: [1, int(opts.dilation ?? 1, 'a dilation', 1)],
    groups: opts.groups ?? 1,
  }, '1d');
  const y = squeeze(out, 2);
  return unbatched ? squeeze(y, 0) : y;
}

/** The ops of this file that are also `Tensor` methods. */
const METHODS = { convTranspose1d, convTranspose2d };
defineMethods(METHODS);

declare module '../tensor.js' {
  interface Tensor extends AsMethods<typeof METHODS> {}
}
