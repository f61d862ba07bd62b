import { ShapeError, conv1d, conv2d, type Tensor } from '@tapegrad/tensor';
import { kaimingUniform_, uniform_ } from '../init.js';
import { Module } from '../module.js';
import { checkSize, fmtShape, initSource, newParameter, type LayerInitOptions } from './common.js';

type Pair = number | [number, number];

export interface Conv2dLayerOptions extends LayerInitOptions {
  stride?: Pair;
  /** Zero padding on each side, or 'valid' (none) or 'same' (stride 1 only). Default 0. */
  padding?: Pair | 'valid' | 'same';
  dilation?: Pair;
  groups?: number;
  bias?: boolean;
}

export interface Conv1dLayerOptions extends LayerInitOptions {
  stride?: number;
  padding?: number | 'valid' | 'same';
  dilation?: number;
  groups?: number;
  bias?: boolean;
}

function pairOf(v: Pair, layer: string, what: string): [number, number] {
  const p = typeof v === 'number' ? [v, v] : v;
  if (!Array.isArray(p) || p.length !== 2) throw new RangeError(`${layer}: expected ${what} as a number or a pair, got ${JSON.stringify(v)}`);
  return [checkSize(p[0], layer, what), checkSize(p[1], layer, what)];
}

/**
 * PyTorch's default conv init: weight kaiming-uniform with a = sqrt(5) (U(+-1/sqrt(fanIn))), bias
 * U(+-1/sqrt(fanIn)), fanIn = inChannels / groups * kernel area.
 */
function initConv(shape: number[], bias: boolean, opts: LayerInitOptions): [Tensor, Tensor | null] {
  const src = initSource(opts);
  const w = kaimingUniform_(newParameter(shape, opts), { ...src, a: Math.sqrt(5) });
  if (!bias) return [w, null];
  const fanIn = shape.slice(1).reduce((a, b) => a * b, 1);
  const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
  return [w, uniform_(newParameter([shape[0]!], opts), { ...src, a: -bound, b: bound })];
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
    this.inChannels = checkSize(inChannels, 'Conv2d', 'inChannels');
    this.outChannels = checkSize(outChannels, 'Conv2d', 'outChannels');
    this.kernelSize = pairOf(kernelSize, 'Conv2d', 'kernelSize');
    this.stride = opts.stride ?? 1;
    this.padding = opts.padding ?? 0;
    this.dilation = opts.dilation ?? 1;
    this.groups = opts.groups ?? 1;
    checkGroups(inChannels, outChannels, this.groups, 'Conv2d');
    [this.weight, this.bias] = initConv([outChannels, inChannels / this.groups, ...this.kernelSize], opts.bias ?? true, opts);
  }

  override forward(x: Tensor): Tensor {
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
    this.inChannels = checkSize(inChannels, 'Conv1d', 'inChannels');
    this.outChannels = checkSize(outChannels, 'Conv1d', 'outChannels');
    this.kernelSize = checkSize(kernelSize, 'Conv1d', 'kernelSize');
    this.stride = opts.stride ?? 1;
    this.padding = opts.padding ?? 0;
    this.dilation = opts.dilation ?? 1;
    this.groups = opts.groups ?? 1;
    checkGroups(inChannels, outChannels, this.groups, 'Conv1d');
    [this.weight, this.bias] = initConv([outChannels, inChannels / this.groups, kernelSize], opts.bias ?? true, opts);
  }

  override forward(x: Tensor): Tensor {
    if ((x.ndim !== 3 && x.ndim !== 2) || x.shape[x.ndim - 2] !== this.inChannels) {
      throw new ShapeError(`Conv1d: expected input [N, ${this.inChannels}, L] or [${this.inChannels}, L], got ${fmtShape(x.shape)}`);
    }
    return conv1d(x, this.weight, this.bias, { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups });
  }
}
