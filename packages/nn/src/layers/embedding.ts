import { eq, expand, gather, reshape, where, type Tensor } from '@tapegrad/tensor';
import { noGrad } from '@tapegrad/autograd';
import { normal_ } from '../init.js';
import { Module } from '../module.js';
import { checkSize, initSource, newParameter, type LayerInitOptions, layerInput, layerOptions } from './common.js';

/** Options of {@link Embedding}: a padding index, and the initialization options. */
export interface EmbeddingOptions extends LayerInitOptions {
  /** This index's row starts at zero and gets no gradient (PyTorch's padding_idx); negative counts from the end. */
  paddingIdx?: number;
}

/**
 * A lookup table: int32 indices of any shape [...] -> rows of `weight` [numEmbeddings, embeddingDim],
 * giving [..., embeddingDim]. Initialized from N(0, 1), as PyTorch.
 */
export class Embedding extends Module {
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  readonly paddingIdx: number | null;
  weight: Tensor;

  constructor(numEmbeddings: number, embeddingDim: number, opts: EmbeddingOptions = {}) {
    super();
    layerOptions(opts, new.target.name);
    this.numEmbeddings = checkSize(numEmbeddings, 'Embedding', 'numEmbeddings');
    this.embeddingDim = checkSize(embeddingDim, 'Embedding', 'embeddingDim');
    let pad: number | null = null;
    if (opts.paddingIdx !== undefined) {
      const p = opts.paddingIdx;
      if (!Number.isInteger(p) || p < -numEmbeddings || p >= numEmbeddings) {
        throw new RangeError(`Embedding: paddingIdx must be an integer in [-${numEmbeddings}, ${numEmbeddings}), got ${p}`);
      }
      pad = p < 0 ? p + numEmbeddings : p;
    }
    this.paddingIdx = pad;
    this.weight = normal_(newParameter([numEmbeddings, embeddingDim], opts, new.target.name), initSource(opts, new.target.name));
    if (pad !== null) {
      const w = this.weight;
      noGrad(() => w.slice([pad], [pad + 1]).zero_());
    }
  }

  override forward(indices: Tensor): Tensor {
    layerInput(this, indices, 'indices');
    if (indices.dtype !== 'int32') throw new TypeError(`Embedding: expected int32 indices, got ${indices.dtype}`);
    const n = this.numEmbeddings;
    const flat = indices.data();
    for (let i = 0; i < flat.length; i++) {
      const v = flat[i]!;
      if (v < 0 || v >= n) throw new RangeError(`Embedding: index ${v} is out of range for ${n} embeddings`);
    }
    const m = indices.size;
    const dim = this.embeddingDim;
    const idx = expand(reshape(indices, [m, 1]), [m, dim]);
    let rows = gather(this.weight, 0, idx);
    if (this.paddingIdx !== null) rows = where(eq(idx, this.paddingIdx), rows.detach(), rows);
    return reshape(rows, [...indices.shape, dim]);
  }
}
