import {
  adaptiveAvgPool2d, adaptiveMaxPool2d, avgPool1d, avgPool2d, interpolate, maxPool1d, maxPool2d,
  type AdaptiveSize, type InterpolateMode, type InterpolateOptions, type Pool1dOptions, type Pool2dOptions, type Tensor,
} from '@tapegrad/tensor';
import { Module } from '../module.js';
import { layerInput, layerOptions } from './common.js';

type Pair = number | [number, number];

function poolOptions(o: Pool2dOptions): Pool2dOptions {
  const out: Pool2dOptions = {};
  if (o.stride !== undefined) out.stride = o.stride;
  if (o.padding !== undefined) out.padding = o.padding;
  if (o.dilation !== undefined) out.dilation = o.dilation;
  return out;
}

/** Max over kernel windows of [N, C, H, W] (or [C, H, W]); stride defaults to the kernel size; padding is -Infinity. */
export class MaxPool2d extends Module {
  readonly kernelSize: Pair;
  readonly options: Pool2dOptions;

  constructor(kernelSize: Pair, opts: { stride?: Pair; padding?: Pair; dilation?: Pair } = {}) {
    super();
    layerOptions(opts, new.target.name);
    this.kernelSize = kernelSize;
    this.options = poolOptions(opts);
  }

  override forward(x: Tensor): Tensor {
    layerInput(this, x);
    return maxPool2d(x, this.kernelSize, this.options);
  }
}

/**
 * Mean over kernel windows of [N, C, H, W] (or [C, H, W]); stride defaults to the kernel size; padded
 * zeros count in the mean (PyTorch's default count_include_pad = true).
 */
export class AvgPool2d extends Module {
  readonly kernelSize: Pair;
  readonly options: Pool2dOptions;

  constructor(kernelSize: Pair, opts: { stride?: Pair; padding?: Pair } = {}) {
    super();
    layerOptions(opts, new.target.name);
    this.kernelSize = kernelSize;
    this.options = poolOptions(opts);
  }

  override forward(x: Tensor): Tensor {
    layerInput(this, x);
    return avgPool2d(x, this.kernelSize, this.options);
  }
}

function pool1dOptions(o: Pool1dOptions): Pool1dOptions {
  const out: Pool1dOptions = {};
  if (o.stride !== undefined) out.stride = o.stride;
  if (o.padding !== undefined) out.padding = o.padding;
  if (o.dilation !== undefined) out.dilation = o.dilation;
  return out;
}

/** Max over kernel windows of [N, C, L] (or [C, L]); stride defaults to the kernel size. */
export class MaxPool1d extends Module {
  readonly kernelSize: number;
  readonly options: Pool1dOptions;

  constructor(kernelSize: number, opts: Pool1dOptions = {}) {
    super();
    layerOptions(opts, new.target.name);
    this.kernelSize = kernelSize;
    this.options = pool1dOptions(opts);
  }

  override forward(x: Tensor): Tensor {
    layerInput(this, x);
    return maxPool1d(x, this.kernelSize, this.options);
  }
}

/** Mean over kernel windows of [N, C, L] (or [C, L]); stride defaults to the kernel size; padded zeros count. */
export class AvgPool1d extends Module {
  readonly kernelSize: number;
  readonly options: Pool1dOptions;

  constructor(kernelSize: number, opts: { stride?: number; padding?: number } = {}) {
    super();
    layerOptions(opts, new.target.name);
    this.kernelSize = kernelSize;
    this.options = pool1dOptions(opts);
  }

  override forward(x: Tensor): Tensor {
    layerInput(this, x);
    return avgPool1d(x, this.kernelSize, this.options);
  }
}

/** Average pooling of [N, C, H, W] (or [C, H, W]) to a fixed `outputSize` (a number, or [h, w] with null keeping a dim). */
export class AdaptiveAvgPool2d extends Module {
  constructor(readonly outputSize: AdaptiveSize) {
    super();
  }

  override forward(x: Tensor): Tensor {
    layerInput(this, x);
    return adaptiveAvgPool2d(x, this.outputSize);
  }
}

/** Max pooling of [N, C, H, W] (or [C, H, W]) to a fixed `outputSize`. */
export class AdaptiveMaxPool2d extends Module {
  constructor(readonly outputSize: AdaptiveSize) {
    super();
  }

  override forward(x: Tensor): Tensor {
    layerInput(this, x);
    return adaptiveMaxPool2d(x, this.outputSize);
  }
}

/**
 * Resizes [N, C, L] or [N, C, H, W] inputs with `interpolate`: `{ size }` or `{ scaleFactor }`, and
 * `mode` 'nearest' (default), 'linear' or 'bilinear' with `alignCorners`.
 */
export class Upsample extends Module {
  readonly options: InterpolateOptions;

  constructor(opts: { size?: number | number[]; scaleFactor?: number | number[]; mode?: InterpolateMode; alignCorners?: boolean }) {
    super();
    layerOptions(opts, new.target.name);
    if (typeof opts !== 'object' || opts === null) throw new TypeError('Upsample: expected options { size } or { scaleFactor }');
    if ((opts.size === undefined) === (opts.scaleFactor === undefined)) throw new TypeError('Upsample: give exactly one of size and scaleFactor');
    const o: InterpolateOptions = { mode: opts.mode ?? 'nearest' };
    if (opts.size !== undefined) o.size = opts.size;
    if (opts.scaleFactor !== undefined) o.scaleFactor = opts.scaleFactor;
    if (opts.alignCorners !== undefined) o.alignCorners = opts.alignCorners;
    this.options = o;
  }

  override forward(x: Tensor): Tensor {
    layerInput(this, x);
    return interpolate(x, this.options);
  }
}
