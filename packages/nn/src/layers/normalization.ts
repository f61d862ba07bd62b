import { ShapeError, add, div, mean, mul, ones, reshape, rsqrt, sqrt, square, sub, zeros, type Tensor } from '@tapegrad/tensor';
import { noGrad } from '@tapegrad/autograd';
import { ones_ } from '../init.js';
import { Module, buffer } from '../module.js';
import { checkSize, fmtShape, newParameter, type LayerInitOptions, layerInput, layerOptions } from './common.js';
import { describe, layerNorm } from '@tapegrad/tensor/internal';

/** Normalization layers initialize deterministically (ones and zeros); `seed`/`generator` are accepted and unused. */
export interface BatchNormOptions extends LayerInitOptions {
  /** Added to the variance (default 1e-5). */
  eps?: number;
  /** Weight of the new batch in the running averages (default 0.1); null for a cumulative average. */
  momentum?: number | null;
  /** Learn a per-channel scale and shift (default true). */
  affine?: boolean;
  /** Keep running mean/variance for eval mode (default true); without them eval uses batch statistics. */
  trackRunningStats?: boolean;
}

/**
 * Batch normalization over every dim but the channel dim (1), as PyTorch: in training mode, batch
 * mean and biased batch variance normalize, and the running statistics are updated with the
 * *unbiased* variance: r = (1 - momentum) r + momentum * stat. In eval mode the running statistics
 * normalize. Buffers `running_mean`, `running_var`, `num_batches_tracked` are in the state dict.
 */
abstract class BatchNorm extends Module {
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number | null;
  weight: Tensor | null = null;
  bias: Tensor | null = null;
  running_mean: Tensor | null = null;
  running_var: Tensor | null = null;
  num_batches_tracked: Tensor | null = null;
  protected abstract readonly layer: string;
  protected abstract readonly layouts: Record<number, string>;

  constructor(numFeatures: number, opts: BatchNormOptions) {
    super();
    layerOptions(opts, new.target.name);
    this.numFeatures = checkSize(numFeatures, new.target.name, 'numFeatures');
    this.eps = opts.eps ?? 1e-5;
    this.momentum = opts.momentum === undefined ? 0.1 : opts.momentum;
    const dtype = opts.dtype ?? 'float32';
    if (opts.affine ?? true) {
      this.weight = ones_(newParameter([numFeatures], opts, new.target.name));
      this.bias = newParameter([numFeatures], opts, new.target.name);
    }
    if (opts.trackRunningStats ?? true) {
      this.running_mean = buffer(zeros([numFeatures], { dtype }));
      this.running_var = buffer(ones([numFeatures], { dtype }));
      this.num_batches_tracked = buffer(zeros([], { dtype: 'int32' }));
    }
  }

  override forward(x: Tensor): Tensor {
    layerInput(this, x);
    if (this.layouts[x.ndim] === undefined || x.shape[1] !== this.numFeatures) {
      const want = Object.values(this.layouts).join(' or ');
      throw new ShapeError(`${this.layer}: expected input ${want} with C = ${this.numFeatures}, got ${fmtShape(x.shape)}`);
    }
    const axes = x.shape.map((_, i) => i).filter((i) => i !== 1);
    const bshape = x.shape.map((d, i) => (i === 1 ? d : 1));
    const useBatch = this.training || this.running_mean === null || this.running_var === null;
    let centered: Tensor;
    let denom: Tensor;
    if (useBatch) {
      const count = axes.reduce((n, a) => n * x.shape[a]!, 1);
      if (this.training && count <= 1) {
        throw new ShapeError(`${this.layer}: expected more than 1 value per channel when training, got input ${fmtShape(x.shape)}`);
      }
      const mu = mean(x, axes, true);
      const v = x.var(axes, true, { correction: 0 });
      centered = sub(x, mu);
      denom = sqrt(add(v, this.eps));
      if (this.training && this.running_mean !== null && this.running_var !== null) this.#track(mu, v, count);
    } else {
      centered = sub(x, reshape(this.running_mean!, bshape));
      denom = sqrt(add(reshape(this.running_var!, bshape), this.eps));
    }
    let y = div(centered, denom);
    if (this.weight !== null) y = mul(y, reshape(this.weight, bshape));
    if (this.bias !== null) y = add(y, reshape(this.bias, bshape));
    return y;
  }

  #track(mu: Tensor, v: Tensor, count: number): void {
    noGrad(() => {
      const nbt = this.num_batches_tracked!;
      nbt.add_(1);
      const m = this.momentum === null ? 1 / nbt.item() : this.momentum;
      const n = this.numFeatures;
      const unbiased = mul(reshape(v.detach(), [n]), count / (count - 1));
      this.running_mean!.mul_(1 - m).add_(mul(reshape(mu.detach(), [n]), m));
      this.running_var!.mul_(1 - m).add_(mul(unbiased, m));
    });
  }
}

/** BatchNorm over [N, C] or [N, C, L] inputs (statistics per channel C). */
export class BatchNorm1d extends BatchNorm {
  protected readonly layer = 'BatchNorm1d';
  protected readonly layouts = { 2: '[N, C]', 3: '[N, C, L]' };
  constructor(numFeatures: number, opts: BatchNormOptions = {}) {
    super(numFeatures, opts);
    layerOptions(opts, new.target.name);
  }
}

/** BatchNorm over [N, C, H, W] inputs (statistics per channel C). */
export class BatchNorm2d extends BatchNorm {
  protected readonly layer = 'BatchNorm2d';
  protected readonly layouts = { 4: '[N, C, H, W]' };
  constructor(numFeatures: number, opts: BatchNormOptions = {}) {
    super(numFeatures, opts);
    layerOptions(opts, new.target.name);
  }
}

/** Options of {@link LayerNorm}. */
export interface LayerNormOptions extends LayerInitOptions {
  /** Added to the variance (default 1e-5). */
  eps?: number;
  /** Learn an elementwise scale (ones) and shift (zeros) of the normalized shape (default true). */
  elementwiseAffine?: boolean;
  /** With elementwiseAffine, learn the shift too (default true). */
  bias?: boolean;
}

/**
 * Normalizes over the trailing dims given by `normalizedShape` with the biased variance, then scales
 * and shifts elementwise: y = (x - mean) / sqrt(var + eps) * weight + bias.
 */
export class LayerNorm extends Module {
  readonly normalizedShape: number[];
  readonly eps: number;
  weight: Tensor | null = null;
  bias: Tensor | null = null;

  constructor(normalizedShape: number | number[], opts: LayerNormOptions = {}) {
    super();
    layerOptions(opts, new.target.name);
    this.normalizedShape = normalizedShapeOf('LayerNorm', normalizedShape);
    this.eps = opts.eps ?? 1e-5;
    if (opts.elementwiseAffine ?? true) {
      this.weight = ones_(newParameter(this.normalizedShape, opts, new.target.name));
      if (opts.bias ?? true) this.bias = newParameter(this.normalizedShape, opts, new.target.name);
    }
  }

  override forward(x: Tensor): Tensor {
    layerInput(this, x);
    trailingAxes('LayerNorm', x, this.normalizedShape);
    // One fused kernel normalizes (and one differentiates it); scale and shift are ordinary ops.
    let y = layerNorm(x, this.normalizedShape.length, this.eps, 'LayerNorm');
    if (this.weight !== null) y = mul(y, this.weight);
    if (this.bias !== null) y = add(y, this.bias);
    return y;
  }
}

/** Options of {@link RMSNorm}. */
export interface RMSNormOptions extends LayerInitOptions {
  /** Added to the mean square; default: the machine epsilon of the input's dtype (PyTorch's default). */
  eps?: number;
  /** Learn an elementwise scale (ones) of the normalized shape (default true). */
  elementwiseAffine?: boolean;
}

const MACHINE_EPS = { float32: 2 ** -23, float64: 2 ** -52 } as const;

/**
 * Root-mean-square normalization over the trailing dims given by `normalizedShape` (PyTorch 2.4's
 * nn.RMSNorm): y = x / sqrt(mean(x^2) + eps) * weight.
 */
export class RMSNorm extends Module {
  readonly normalizedShape: number[];
  readonly eps: number | null;
  weight: Tensor | null = null;

  constructor(normalizedShape: number | number[], opts: RMSNormOptions = {}) {
    super();
    layerOptions(opts, new.target.name);
    this.normalizedShape = normalizedShapeOf('RMSNorm', normalizedShape);
    this.eps = opts.eps ?? null;
    if (opts.elementwiseAffine ?? true) this.weight = ones_(newParameter(this.normalizedShape, opts, new.target.name));
  }

  override forward(x: Tensor): Tensor {
    layerInput(this, x);
    const axes = trailingAxes('RMSNorm', x, this.normalizedShape);
    const eps = this.eps ?? (x.dtype === 'float64' ? MACHINE_EPS.float64 : MACHINE_EPS.float32);
    const y = mul(x, rsqrt(add(mean(square(x), axes, true), eps)));
    return this.weight === null ? y : mul(y, this.weight);
  }
}

function normalizedShapeOf(layer: string, normalizedShape: number | number[]): number[] {
  const shape = typeof normalizedShape === 'number' ? [normalizedShape] : normalizedShape;
  if (!Array.isArray(shape) || shape.length === 0) throw new RangeError(`${layer}: expected a size or a non-empty list of sizes, got ${describe(normalizedShape)}`);
  return shape.map((d) => checkSize(d, layer, 'normalizedShape entries'));
}

/** The axes of x that `normalizedShape` covers, checking that x ends with that shape. */
function trailingAxes(layer: string, x: Tensor, normalizedShape: number[]): number[] {
  const k = normalizedShape.length;
  const tail = x.shape.slice(x.ndim - k);
  if (x.ndim < k || tail.some((d, i) => d !== normalizedShape[i])) {
    throw new ShapeError(`${layer}: expected input [..., ${normalizedShape.join(', ')}], got ${fmtShape(x.shape)}`);
  }
  return normalizedShape.map((_, i) => x.ndim - k + i);
}
