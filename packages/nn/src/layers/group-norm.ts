import { ShapeError, add, div, mean, mul, ones, reshape, sqrt, sub, unsqueeze, squeeze, zeros, type Tensor } from '@tapegrad/tensor';
import { noGrad } from '@tapegrad/autograd';
import { ones_ } from '../init.js';
import { Module, buffer } from '../module.js';
import { checkSize, fmtShape, newParameter, type LayerInitOptions, layerInput, layerOptions } from './common.js';
import { describe } from '@tapegrad/tensor/internal';

/** (x - mean) / sqrt(biased var + eps) over `axes`, with the statistics kept (for running averages). */
function normalize(x: Tensor, axes: number[], eps: number): { y: Tensor; mu: Tensor; v: Tensor } {
  const mu = mean(x, axes, true);
  const v = x.var(axes, true, { correction: 0 });
  return { y: div(sub(x, mu), sqrt(add(v, eps))), mu, v };
}

/** A per-channel scale and shift [C] applied along dim 1. */
function affine(y: Tensor, weight: Tensor | null, bias: Tensor | null): Tensor {
  const shape = y.shape.map((d, i) => (i === 1 ? d : 1));
  let out = y;
  if (weight !== null) out = mul(out, reshape(weight, shape));
  if (bias !== null) out = add(out, reshape(bias, shape));
  return out;
}

/** Options of {@link GroupNorm}. */
export interface GroupNormOptions extends LayerInitOptions {
  /** Added to the variance (default 1e-5). */
  eps?: number;
  /** Learn a per-channel scale (ones) and shift (zeros) (default true). */
  affine?: boolean;
}

/**
 * Group normalization of [N, C, *]: the channels are split into `numGroups` groups and each sample's
 * group is normalized with its own mean and biased variance, then scaled and shifted per channel.
 */
export class GroupNorm extends Module {
  readonly numGroups: number;
  readonly numChannels: number;
  readonly eps: number;
  weight: Tensor | null = null;
  bias: Tensor | null = null;

  constructor(numGroups: number, numChannels: number, opts: GroupNormOptions = {}) {
    super();
    layerOptions(opts, new.target.name);
    this.numGroups = checkSize(numGroups, 'GroupNorm', 'numGroups');
    this.numChannels = checkSize(numChannels, 'GroupNorm', 'numChannels');
    if (numChannels % numGroups !== 0) throw new RangeError(`GroupNorm: numChannels (${numChannels}) must be divisible by numGroups (${numGroups})`);
    this.eps = opts.eps ?? 1e-5;
    if (opts.affine ?? true) {
      this.weight = ones_(newParameter([numChannels], opts, new.target.name));
      this.bias = newParameter([numChannels], opts, new.target.name);
    }
  }

  override forward(x: Tensor): Tensor {
    layerInput(this, x);
    if (x.ndim < 2 || x.shape[1] !== this.numChannels) {
      throw new ShapeError(`GroupNorm: expected input [N, ${this.numChannels}, *], got ${fmtShape(x.shape)}`);
    }
    const grouped = reshape(x, [x.shape[0]!, this.numGroups, -1]);
    const { y } = normalize(grouped, [2], this.eps);
    return affine(reshape(y, x.shape), this.weight, this.bias);
  }
}

/**
 * Options of {@link InstanceNorm1d} and {@link InstanceNorm2d}, with PyTorch's defaults (no affine, no running
 * statistics).
 */
export interface InstanceNormOptions extends LayerInitOptions {
  /** Added to the variance (default 1e-5). */
  eps?: number;
  /** Weight of the new batch in the running averages (default 0.1). */
  momentum?: number;
  /** Learn a per-channel scale and shift (default false, as PyTorch). */
  affine?: boolean;
  /** Keep running mean/variance and use them in eval mode (default false, as PyTorch). */
  trackRunningStats?: boolean;
}

/**
 * Instance normalization: each sample's channel is normalized over its spatial dims with its own
 * mean and biased variance. With `trackRunningStats`, training updates running averages of the
 * batch-mean statistics (the variance unbiased), r = (1 - momentum) r + momentum * stat, and eval
 * mode normalizes with them; `num_batches_tracked` is kept for PyTorch's layout but, as in PyTorch,
 * not incremented.
 */
abstract class InstanceNorm extends Module {
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number;
  weight: Tensor | null = null;
  bias: Tensor | null = null;
  running_mean: Tensor | null = null;
  running_var: Tensor | null = null;
  num_batches_tracked: Tensor | null = null;
  protected abstract readonly layer: string;
  /** Spatial dims of a batched input. */
  protected abstract readonly spatial: number;

  constructor(numFeatures: number, opts: InstanceNormOptions) {
    super();
    layerOptions(opts, new.target.name);
    const layer = new.target.name;
    this.numFeatures = checkSize(numFeatures, layer, 'numFeatures');
    this.eps = opts.eps ?? 1e-5;
    const m = opts.momentum ?? 0.1;
    if (typeof m !== 'number' || !(m >= 0 && m <= 1)) throw new RangeError(`${layer}: expected a momentum in [0, 1], got ${describe(m)}`);
    this.momentum = m;
    const dtype = opts.dtype ?? 'float32';
    if (opts.affine ?? false) {
      this.weight = ones_(newParameter([numFeatures], opts, new.target.name));
      this.bias = newParameter([numFeatures], opts, new.target.name);
    }
    if (opts.trackRunningStats ?? false) {
      this.running_mean = buffer(zeros([numFeatures], { dtype }));
      this.running_var = buffer(ones([numFeatures], { dtype }));
      this.num_batches_tracked = buffer(zeros([], { dtype: 'int32' }));
    }
  }

  override forward(input: Tensor): Tensor {
    layerInput(this, input);
    const batchedDims = this.spatial + 2;
    const unbatched = input.ndim === batchedDims - 1;
    if ((input.ndim !== batchedDims && !unbatched) || input.shape[unbatched ? 0 : 1] !== this.numFeatures) {
      const sp = this.spatial === 1 ? 'L' : 'H, W';
      throw new ShapeError(`${this.layer}: expected input [N, ${this.numFeatures}, ${sp}] or [${this.numFeatures}, ${sp}], got ${fmtShape(input.shape)}`);
    }
    const x = unbatched ? unsqueeze(input, 0) : input;
    const axes = x.shape.map((_, i) => i).slice(2);
    let y: Tensor;
    if (this.training || this.running_mean === null || this.running_var === null) {
      const count = axes.reduce((n, a) => n * x.shape[a]!, 1);
      if (this.training && count <= 1) throw new ShapeError(`${this.layer}: expected more than 1 spatial element when training, got input ${fmtShape(input.shape)}`);
      const stats = normalize(x, axes, this.eps);
      y = stats.y;
      if (this.training && this.running_mean !== null && this.running_var !== null) this.#track(stats.mu, stats.v, count);
    } else {
      const shape = x.shape.map((d, i) => (i === 1 ? d : 1));
      y = div(sub(x, reshape(this.running_mean, shape)), sqrt(add(reshape(this.running_var, shape), this.eps)));
    }
    const out = affine(y, this.weight, this.bias);
    return unbatched ? squeeze(out, 0) : out;
  }

  #track(mu: Tensor, v: Tensor, count: number): void {
    noGrad(() => {
      const m = this.momentum;
      const n = this.numFeatures;
      const batchMean = reshape(mean(mu.detach(), 0), [n]);
      const batchVar = mul(reshape(mean(v.detach(), 0), [n]), count / (count - 1));
      this.running_mean!.mul_(1 - m).add_(mul(batchMean, m));
      this.running_var!.mul_(1 - m).add_(mul(batchVar, m));
    });
  }
}

/** Instance normalization over [N, C, L] (or [C, L]). */
export class InstanceNorm1d extends InstanceNorm {
  protected readonly layer = 'InstanceNorm1d';
  protected readonly spatial = 1;
  constructor(numFeatures: number, opts: InstanceNormOptions = {}) {
    super(numFeatures, opts);
    layerOptions(opts, new.target.name);
  }
}

/** Instance normalization over [N, C, H, W] (or [C, H, W]). */
export class InstanceNorm2d extends InstanceNorm {
  protected readonly layer = 'InstanceNorm2d';
  protected readonly spatial = 2;
  constructor(numFeatures: number, opts: InstanceNormOptions = {}) {
    super(numFeatures, opts);
    layerOptions(opts, new.target.name);
  }
}
