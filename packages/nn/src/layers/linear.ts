import { ShapeError, add, matmul, reshape, type Tensor } from '@tapegrad/tensor';
import { kaimingUniform_, uniform_ } from '../init.js';
import { Module } from '../module.js';
import { checkSize, fmtShape, initSource, newParameter, type LayerInitOptions, layerInput, layerOptions } from './common.js';

/** Options of {@link Linear}: `bias`, and the initialization options (`seed`, `generator`, `dtype`). */
export interface LinearOptions extends LayerInitOptions {
  /** Learn an additive bias (default true). */
  bias?: boolean;
}

/**
 * y = x W^T + b over the last dim: [..., inFeatures] -> [..., outFeatures]. W is [outFeatures,
 * inFeatures] (PyTorch's layout, so state dicts interchange). Initialized as PyTorch: W by
 * kaiming-uniform with a = sqrt(5), i.e. U(-1/sqrt(inFeatures), 1/sqrt(inFeatures)), and b likewise.
 */
export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  weight: Tensor;
  bias: Tensor | null;

  constructor(inFeatures: number, outFeatures: number, opts: LinearOptions = {}) {
    super();
    layerOptions(opts, new.target.name);
    this.inFeatures = checkSize(inFeatures, 'Linear', 'inFeatures', true);
    this.outFeatures = checkSize(outFeatures, 'Linear', 'outFeatures', true);
    const src = initSource(opts, new.target.name);
    this.weight = kaimingUniform_(newParameter([outFeatures, inFeatures], opts, new.target.name), { ...src, a: Math.sqrt(5) });
    this.bias = null;
    if (opts.bias ?? true) {
      const bound = inFeatures > 0 ? 1 / Math.sqrt(inFeatures) : 0;
      this.bias = uniform_(newParameter([outFeatures], opts, new.target.name), { ...src, a: -bound, b: bound });
    }
  }

  override forward(x: Tensor): Tensor {
    layerInput(this, x);
    if (x.ndim === 0 || x.shape[x.ndim - 1] !== this.inFeatures) {
      throw new ShapeError(`Linear: expected input [..., ${this.inFeatures}], got ${fmtShape(x.shape)}`);
    }
    // Leading dims fold into one (a view of a contiguous input): one 2-D matmul, whose gradient
    // for the weight is one matmul too, not a batch of them summed afterwards.
    const flat = x.ndim > 2 ? reshape(x, [-1, this.inFeatures]) : x;
    const y = matmul(flat, this.weight.T);
    const out = this.bias === null ? y : add(y, this.bias);
    return x.ndim > 2 ? reshape(out, [...x.shape.slice(0, -1), this.outFeatures]) : out;
  }
}
