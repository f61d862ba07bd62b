import { avgPool2d, maxPool2d, type Pool2dOptions, type Tensor } from '@tapegrad/tensor';
import { Module } from '../module.js';

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
    this.kernelSize = kernelSize;
    this.options = poolOptions(opts);
  }

  override forward(x: Tensor): Tensor {
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
    this.kernelSize = kernelSize;
    this.options = poolOptions(opts);
  }

  override forward(x: Tensor): Tensor {
    return avgPool2d(x, this.kernelSize, this.options);
  }
}
