import { ShapeError, conv1d, conv2d, convTranspose1d, convTranspose2d, type Tensor } from '@tapegrad/tensor';
import { kaimingUniform_, uniform_ } from '../init.js';
import { Module } from '../module.js';
import { checkSize, fmtShape, initSource, newParameter, type LayerInitOptions, layerInput, layerOptions } from './common.js';
import { describe } from '@tapegrad/tensor/internal';

type Pair = number | [number, number];

/**
 * Options of the {@link Conv2d} layer: as `conv2d`'s options (stride, padding, dilation, groups; defaults
 * 1, 0, 1, 1), plus `bias` (default true) and the initialization options.
 */
export interface Conv2dLayerOptions extends LayerInitOptions {
  stride?: Pair;
  /** Zero padding on each side, or 'valid' (none) or 'same' (stride 1 only). Default 0. */
  padding?: Pair | 'valid' | 'same';
  dilation?: Pair;
  groups?: number;
  bias?: boolean;
}

/** Options of the {@link Conv1d} layer: as {@link Conv2dLayerOptions}, one number each. */
export interface Conv1dLayerOptions extends LayerInitOptions {
  stride?: number;
  padding?: number | 'valid' | 'same';
  dilation?: number;
  groups?: number;
  bias?: boolean;
}

function pairOf(v: Pair, layer: string, what: string): [number, number] {
  const p = typeof v === 'number' ? [v, v] : v;
  if (!Array.isArray(p) || p.length !== 2) throw new RangeError(`${layer}: expected ${what} as a number or a pair, got ${describe(v)}`);
  return [checkSize(p[0], layer, what), checkSize(p[1], layer, what)];
}

/**
 * PyTorch's default conv init: weight kaiming-uniform with a = sqrt(5) (U(+-1/sqrt(fanIn))), bias
 * U(+-1/sqrt(fanIn)), fanIn = weight.shape[1] * kernel area (inChannels / groups for a convolution,
 * outChannels / groups for a transposed one, whose weight is [inChannels, outChannels / groups, ...]).
 */
function initConv(layer: string, shape: number[], bias: boolean, opts: LayerInitOptions, biasSize = shape[0]!): [Tensor, Tensor | null] {
  const src = initSource(opts, layer);
  const w = kaimingUniform_(newParameter(shape, opts, layer), { ...src, a: Math.sqrt(5) });
  if (!bias) return [w, null];
  const fanIn = shape.slice(1).reduce((a, b) => a * b, 1);
  const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
  return [w, uniform_(newParameter([biasSize], opts, layer), { ...src, a: -bound, b: bound })];
}

function checkGroups(inC: number, outC: number, groups: number, layer: string): void {
  checkSize(groups, layer, 'groups');
  if (inC % groups !== 0 || outC % groups !== 0) {
    throw new RangeError(`${layer}: inChannels (${inC}) and outChannels (${outC}) must be divisible by groups (${groups})`);
  }
}

/**
 * 2-D convolution (cross-correlation) over [N, C, H, W] (or [C, H, W]): weight [outChannels,
 * inChannels / groups, kh, kw], bias [outChannels].
 */
export class Conv2d extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: [number, number];
  readonly stride: Pair;
  readonly padding: Pair | 'valid' | 'same';
  readonly dilation: Pair;
  readonly groups: number;
  weight: Tensor;
  bias: Tensor | null;

  constructor(inChannels: number, outChannels: number, kernelSize: Pair, opts: Conv2dLayerOptions = {}) {
    super();
    layerOptions(opts, new.target.name);
    this.inChannels = checkSize(inChannels, 'Conv2d', 'inChannels');
    this.outChannels = checkSize(outChannels, 'Conv2d', 'outChannels');
    this.kernelSize = pairOf(kernelSize, 'Conv2d', 'kernelSize');
    this.stride = opts.stride ?? 1;
    this.padding = opts.padding ?? 0;
    this.dilation = opts.dilation ?? 1;
    this.groups = opts.groups ?? 1;
    checkGroups(inChannels, outChannels, this.groups, 'Conv2d');
    [this.weight, this.bias] = initConv(new.target.name, [outChannels, inChannels / this.groups, ...this.kernelSize], opts.bias ?? true, opts);
  }

  override forward(x: Tensor): Tensor {
    layerInput(this, x);
    if ((x.ndim !== 4 && x.ndim !== 3) || x.shape[x.ndim - 3] !== this.inChannels) {
      throw new ShapeError(`Conv2d: expected input [N, ${this.inChannels}, H, W] or [${this.inChannels}, H, W], got ${fmtShape(x.shape)}`);
    }
    return conv2d(x, this.weight, this.bias, { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups });
  }
}

/** 1-D convolution over [N, C, L] (or [C, L]): weight [outChannels, inChannels / groups, k], bias [outChannels]. */
export class Conv1d extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: number;
  readonly stride: number;
  readonly padding: number | 'valid' | 'same';
  readonly dilation: number;
  readonly groups: number;
  weight: Tensor;
  bias: Tensor | null;

  constructor(inChannels: number, outChannels: number, kernelSize: number, opts: Conv1dLayerOptions = {}) {
    super();
    layerOptions(opts, new.target.name);
    this.inChannels = checkSize(inChannels, 'Conv1d', 'inChannels');
    this.outChannels = checkSize(outChannels, 'Conv1d', 'outChannels');
    this.kernelSize = checkSize(kernelSize, 'Conv1d', 'kernelSize');
    this.stride = opts.stride ?? 1;
    this.padding = opts.padding ?? 0;
    this.dilation = opts.dilation ?? 1;
    this.groups = opts.groups ?? 1;
    checkGroups(inChannels, outChannels, this.groups, 'Conv1d');
    [this.weight, this.bias] = initConv(new.target.name, [outChannels, inChannels / this.groups, kernelSize], opts.bias ?? true, opts);
  }

  override forward(x: Tensor): Tensor {
    layerInput(this, x);
    if ((x.ndim !== 3 && x.ndim !== 2) || x.shape[x.ndim - 2] !== this.inChannels) {
      throw new ShapeError(`Conv1d: expected input [N, ${this.inChannels}, L] or [${this.inChannels}, L], got ${fmtShape(x.shape)}`);
    }
    return conv1d(x, this.weight, this.bias, { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups });
  }
}

/**
 * Options of the {@link ConvTranspose2d} layer: as `convTranspose2d`'s options, plus `bias` (default true)
 * and the initialization options.
 */
export interface ConvTranspose2dLayerOptions extends LayerInitOptions {
  stride?: Pair;
  padding?: Pair;
  outputPadding?: Pair;
  groups?: number;
  dilation?: Pair;
  bias?: boolean;
}

/** Options of the {@link ConvTranspose1d} layer: as {@link ConvTranspose2dLayerOptions}, one number each. */
export interface ConvTranspose1dLayerOptions extends LayerInitOptions {
  stride?: number;
  padding?: number;
  outputPadding?: number;
  groups?: number;
  dilation?: number;
  bias?: boolean;
}

/**
 * Transposed 2-D convolution over [N, C, H, W] (or [C, H, W]), as PyTorch's nn.ConvTranspose2d:
 * weight [inChannels, outChannels / groups, kh, kw], bias [outChannels]; output size
 * (H - 1) stride - 2 padding + dilation (kh - 1) + outputPadding + 1.
 */
export class ConvTranspose2d extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: [number, number];
  readonly options: { stride: Pair; padding: Pair; outputPadding: Pair; dilation: Pair; groups: number };
  weight: Tensor;
  bias: Tensor | null;

  constructor(inChannels: number, outChannels: number, kernelSize: Pair, opts: ConvTranspose2dLayerOptions = {}) {
    super();
    layerOptions(opts, new.target.name);
    this.inChannels = checkSize(inChannels, 'ConvTranspose2d', 'inChannels');
    this.outChannels = checkSize(outChannels, 'ConvTranspose2d', 'outChannels');
    this.kernelSize = pairOf(kernelSize, 'ConvTranspose2d', 'kernelSize');
    const groups = opts.groups ?? 1;
    checkGroups(inChannels, outChannels, groups, 'ConvTranspose2d');
    this.options = { stride: opts.stride ?? 1, padding: opts.padding ?? 0, outputPadding: opts.outputPadding ?? 0, dilation: opts.dilation ?? 1, groups };
    [this.weight, this.bias] = initConv(new.target.name, [inChannels, outChannels / groups, ...this.kernelSize], opts.bias ?? true, opts, outChannels);
  }

  override forward(x: Tensor): Tensor {
    layerInput(this, x);
    if ((x.ndim !== 4 && x.ndim !== 3) || x.shape[x.ndim - 3] !== this.inChannels) {
      throw new ShapeError(`ConvTranspose2d: expected input [N, ${this.inChannels}, H, W] or [${this.inChannels}, H, W], got ${fmtShape(x.shape)}`);
    }
    return convTranspose2d(x, this.weight, this.bias, this.options);
  }
}

/** Transposed 1-D convolution over [N, C, L] (or [C, L]): weight [inChannels, outChannels / groups, k], bias [outChannels]. */
export class ConvTranspose1d extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: number;
  readonly options: { stride: number; padding: number; outputPadding: number; dilation: number; groups: number };
  weight: Tensor;
  bias: Tensor | null;

  constructor(inChannels: number, outChannels: number, kernelSize: number, opts: ConvTranspose1dLayerOptions = {}) {
    super();
    layerOptions(opts, new.target.name);
    this.inChannels = checkSize(inChannels, 'ConvTranspose1d', 'inChannels');
    this.outChannels = checkSize(outChannels, 'ConvTranspose1d', 'outChannels');
    this.kernelSize = checkSize(kernelSize, 'ConvTranspose1d', 'kernelSize');
    const groups = opts.groups ?? 1;
    checkGroups(inChannels, outChannels, groups, 'ConvTranspose1d');
    this.options = { stride: opts.stride ?? 1, padding: opts.padding ?? 0, outputPadding: opts.outputPadding ?? 0, dilation: opts.dilation ?? 1, groups };
    [this.weight, this.bias] = initConv(new.target.name, [inChannels, outChannels / groups, kernelSize], opts.bias ?? true, opts, outChannels);
  }

  override forward(x: Tensor): Tensor {
    layerInput(this, x);
    if ((x.ndim !== 3 && x.ndim !== 2) || x.shape[x.ndim - 2] !== this.inChannels) {
      throw new ShapeError(`ConvTranspose1d: expected input [N, ${this.inChannels}, L] or [${this.inChannels}, L], got ${fmtShape(x.shape)}`);
    }
    return convTranspose1d(x, this.weight, this.bias, this.options);
  }
}
