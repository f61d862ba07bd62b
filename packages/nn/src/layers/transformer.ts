import { add, gelu, relu, type Tensor } from '@tapegrad/tensor';
import { Module } from '../module.js';
import { MultiheadAttention } from './attention.js';
import { checkProbability, checkSize, sharedInit, type LayerInitOptions, layerInput, layerOptions } from './common.js';
import { Dropout } from './dropout.js';
import { Linear } from './linear.js';
import { LayerNorm } from './normalization.js';
import { checkElementCount, describe } from '@tapegrad/tensor/internal';

/** The feed-forward activation of a transformer layer: 'relu', 'gelu' (the exact erf form), or any tensor function. */
export type TransformerActivation = 'relu' | 'gelu' | ((x: Tensor) => Tensor);

/**
 * Options of {@link TransformerEncoderLayer} and {@link TransformerDecoderLayer}, with PyTorch's defaults
 * except `batchFirst` (true here).
 */
export interface TransformerLayerOptions extends LayerInitOptions {
  /** Width of the feed-forward block (default 2048). */
  dimFeedforward?: number;
  /** Dropout after attention, inside and after the feed-forward block (default 0.1). */
  dropout?: number;
  /** 'relu' (default), 'gelu' (exact) or a function. */
  activation?: TransformerActivation;
  /** LayerNorm eps (default 1e-5). */
  layerNormEps?: number;
  /** [batch, seq, feature] (default true); false for [seq, batch, feature]. */
  batchFirst?: boolean;
  /** Normalize before each block (pre-norm) instead of after the residual sum (default false). */
  normFirst?: boolean;
  /** Biases in the linear layers and layer norms (default true). */
  bias?: boolean;
}

/** Options of one encoder (or encoder layer) call: the self-attention mask, the padding mask, causality. */
export interface TransformerEncoderCallOptions {
  /** The self-attention mask ([L, L] or [batch * nhead, L, L]; true marks a forbidden pair, a float mask is added). */
  srcMask?: Tensor | null;
  /** `[batch, L]`: true marks padding positions to ignore. */
  srcKeyPaddingMask?: Tensor | null;
  /** Causal self-attention (with no srcMask, the mask is made; with one, a hint). */
  isCausal?: boolean;
}

/**
 * Options of one decoder (or decoder layer) call: masks for the self-attention over the target (`tgt*`) and
 * for the attention to the encoder's output (`memory*`), with the conventions of {@link
 * TransformerEncoderCallOptions} (true marks a forbidden pair or a padding position).
 */
export interface TransformerDecoderCallOptions {
  tgtMask?: Tensor | null;
  memoryMask?: Tensor | null;
  tgtKeyPaddingMask?: Tensor | null;
  memoryKeyPaddingMask?: Tensor | null;
  /** Causal self-attention over the target (with no tgtMask, the mask is made). */
  tgtIsCausal?: boolean;
  memoryIsCausal?: boolean;
}

type Resolved = Required<Omit<TransformerLayerOptions, keyof LayerInitOptions>> & LayerInitOptions;

/**
 * Everything a transformer layer hands to its sublayers, checked here under the layer's name (an
 * error about nhead names the layer and says nhead, not MultiheadAttention's numHeads).
 */
function resolve(layer: string, dModel: number, nhead: number, opts: TransformerLayerOptions): Resolved {
  layerOptions(opts, layer);
  checkSize(dModel, layer, 'dModel');
  checkSize(nhead, layer, 'nhead');
  if (dModel % nhead !== 0) throw new RangeError(`${layer}: expected dModel (${dModel}) to be divisible by nhead (${nhead})`);
  const dimFeedforward = checkSize(opts.dimFeedforward ?? 2048, layer, 'dimFeedforward');
  // The attention's input projection and the feed-forward weights, within the element limit.
  checkElementCount([3 * dModel, dModel], layer);
  checkElementCount([dimFeedforward, dModel], layer);
  const activation = opts.activation ?? 'relu';
  if (activation !== 'relu' && activation !== 'gelu' && typeof activation !== 'function') {
    throw new RangeError(`${layer}: activation must be 'relu', 'gelu' or a function, got ${describe(activation)}`);
  }
  return {
    ...sharedInit(opts, layer),
    dimFeedforward,
    dropout: checkProbability(layer, opts.dropout ?? 0.1),
    activation,
    layerNormEps: opts.layerNormEps ?? 1e-5,
    batchFirst: opts.batchFirst ?? true,
    normFirst: opts.normFirst ?? false,
    bias: opts.bias ?? true,
  };
}

/** The parts both layers share: attention, the feed-forward block, norms, dropouts, in PyTorch's field order. */
abstract class TransformerLayer extends Module {
  readonly dModel: number;
  readonly nhead: number;
  readonly normFirst: boolean;
  protected readonly config: Resolved;
  self_attn: MultiheadAttention;

  protected constructor(dModel: number, nhead: number, config: Resolved) {
    super();
    this.dModel = dModel;
    this.nhead = nhead;
    this.normFirst = config.normFirst;
    this.config = config;
    this.self_attn = this.attention();
  }

  protected attention(): MultiheadAttention {
    const c = this.config;
    return new MultiheadAttention(this.dModel, this.nhead, { dropout: c.dropout, bias: c.bias, batchFirst: c.batchFirst, ...init(c) });
  }

  protected linear(i: number, o: number): Linear {
    return new Linear(i, o, { bias: this.config.bias, ...init(this.config) });
  }

  protected norm(): LayerNorm {
    return new LayerNorm(this.dModel, { eps: this.config.layerNormEps, bias: this.config.bias, ...init(this.config) });
  }

  protected dropoutLayer(): Dropout {
    return new Dropout(this.config.dropout, this.config.generator === undefined ? {} : { generator: this.config.generator });
  }

  protected activate(x: Tensor): Tensor {
    const a = this.config.activation;
    return a === 'relu' ? relu(x) : a === 'gelu' ? gelu(x) : a(x);
  }

  /** A copy with the same configuration and the same weights (what TransformerEncoder/Decoder stack). */
  clone(): this {
    const dtype = this.parameters()[0]?.dtype === 'float64' ? 'float64' : 'float32';
    const copy = this.fresh({ ...this.config, dtype });
    // loadStateDict copies every tensor into the copy's own storage.
    copy.loadStateDict(this.stateDict());
    copy.train(this.training);
    return copy as this;
  }

  protected abstract fresh(config: Resolved): TransformerLayer;
}

/** The init options (dtype, generator) of a resolved config, for sublayers. */
function init(c: Resolved): LayerInitOptions {
  const o: LayerInitOptions = {};
  if (c.dtype !== undefined) o.dtype = c.dtype;
  if (c.generator !== undefined) o.generator = c.generator;
  return o;
}

/**
 * One transformer encoder block as PyTorch's nn.TransformerEncoderLayer (same submodules and
 * state-dict names: self_attn, linear1, linear2, norm1, norm2): self-attention then a feed-forward
 * block, each with dropout and a residual connection, with LayerNorm after the sum (post-norm) or
 * before each block (`normFirst`). `call(src, { srcMask, srcKeyPaddingMask, isCausal })`.
 */
export class TransformerEncoderLayer extends TransformerLayer {
  linear1: Linear;
  dropout: Dropout;
  linear2: Linear;
  norm1: LayerNorm;
  norm2: LayerNorm;
  dropout1: Dropout;
  dropout2: Dropout;

  constructor(dModel: number, nhead: number, opts: TransformerLayerOptions = {}) {
    super(dModel, nhead, resolve('TransformerEncoderLayer', dModel, nhead, opts));
    layerOptions(opts, new.target.name);
    this.linear1 = this.linear(dModel, this.config.dimFeedforward);
    this.dropout = this.dropoutLayer();
    this.linear2 = this.linear(this.config.dimFeedforward, dModel);
    this.norm1 = this.norm();
    this.norm2 = this.norm();
    this.dropout1 = this.dropoutLayer();
    this.dropout2 = this.dropoutLayer();
  }

  protected fresh(config: Resolved): TransformerEncoderLayer {
    return new TransformerEncoderLayer(this.dModel, this.nhead, config);
  }

  #selfAttention(x: Tensor, o: TransformerEncoderCallOptions): Tensor {
    const [y] = this.self_attn.call(x, x, x, { attnMask: o.srcMask ?? null, keyPaddingMask: o.srcKeyPaddingMask ?? null, isCausal: o.isCausal ?? false, needWeights: false });
    return this.dropout1.call(y);
  }

  #feedForward(x: Tensor): Tensor {
    return this.dropout2.call(this.linear2.call(this.dropout.call(this.activate(this.linear1.call(x)))));
  }

  override forward(src: Tensor, opts: TransformerEncoderCallOptions = {}): Tensor {
    layerInput(this, src, 'src');
    layerOptions(opts, this.constructor.name);
    let x = src;
    if (this.normFirst) {
      x = add(x, this.#selfAttention(this.norm1.call(x), opts));
      return add(x, this.#feedForward(this.norm2.call(x)));
    }
    x = this.norm1.call(add(x, this.#selfAttention(x, opts)));
    return this.norm2.call(add(x, this.#feedForward(x)));
  }
}

/**
 * One transformer decoder block as PyTorch's nn.TransformerDecoderLayer (self_attn, multihead_attn,
 * linear1, linear2, norm1..3): self-attention over the target, attention to the encoder's memory,
 * then a feed-forward block. `call(tgt, memory, { tgtMask, memoryMask, tgtKeyPaddingMask,
 * memoryKeyPaddingMask, tgtIsCausal, memoryIsCausal })`.
 */
export class TransformerDecoderLayer extends TransformerLayer {
  multihead_attn: MultiheadAttention;
  linear1: Linear;
  dropout: Dropout;
  linear2: Linear;
  norm1: LayerNorm;
  norm2: LayerNorm;
  norm3: LayerNorm;
  dropout1: Dropout;
  dropout2: Dropout;
  dropout3: Dropout;

  constructor(dModel: number, nhead: number, opts: TransformerLayerOptions = {}) {
    super(dModel, nhead, resolve('TransformerDecoderLayer', dModel, nhead, opts));
    layerOptions(opts, new.target.name);
    this.multihead_attn = this.attention();
    this.linear1 = this.linear(dModel, this.config.dimFeedforward);
    this.dropout = this.dropoutLayer();
    this.linear2 = this.linear(this.config.dimFeedforward, dModel);
    this.norm1 = this.norm();
    this.norm2 = this.norm();
    this.norm3 = this.norm();
    this.dropout1 = this.dropoutLayer();
    this.dropout2 = this.dropoutLayer();
    this.dropout3 = this.dropoutLayer();
  }

  protected fresh(config: Resolved): TransformerDecoderLayer {
    return new TransformerDecoderLayer(this.dModel, this.nhead, config);
  }

  #selfAttention(x: Tensor, o: TransformerDecoderCallOptions): Tensor {
    const [y] = this.self_attn.call(x, x, x, { attnMask: o.tgtMask ?? null, keyPaddingMask: o.tgtKeyPaddingMask ?? null, isCausal: o.tgtIsCausal ?? false, needWeights: false });
    return this.dropout1.call(y);
  }

  #crossAttention(x: Tensor, memory: Tensor, o: TransformerDecoderCallOptions): Tensor {
    const [y] = this.multihead_attn.call(x, memory, memory, {
      attnMask: o.memoryMask ?? null, keyPaddingMask: o.memoryKeyPaddingMask ?? null, isCausal: o.memoryIsCausal ?? false, needWeights: false,
    });
    return this.dropout2.call(y);
  }

  #feedForward(x: Tensor): Tensor {
    return this.dropout3.call(this.linear2.call(this.dropout.call(this.activate(this.linear1.call(x)))));
  }

  override forward(tgt: Tensor, memory: Tensor, opts: TransformerDecoderCallOptions = {}): Tensor {
    layerInput(this, tgt, 'tgt'); layerInput(this, memory, 'memory');
    layerOptions(opts, this.constructor.name);
    let x = tgt;
    if (this.normFirst) {
      x = add(x, this.#selfAttention(this.norm1.call(x), opts));
      x = add(x, this.#crossAttention(this.norm2.call(x), memory, opts));
      return add(x, this.#feedForward(this.norm3.call(x)));
    }
    x = this.norm1.call(add(x, this.#selfAttention(x, opts)));
    x = this.norm2.call(add(x, this.#crossAttention(x, memory, opts)));
    return this.norm3.call(add(x, this.#feedForward(x)));
  }
}

/**
 * The most layers a TransformerEncoder or TransformerDecoder stacks. Each copy is built as a layer
 * (a fraction of a millisecond for the smallest ones, more for real widths), so a count past this
 * is far more likely a mistake than a model (the deepest published stacks have about a thousand
 * layers) and would otherwise take minutes before failing or returning.
 */
const MAX_LAYERS = 4096;

function stackOf<L extends TransformerLayer>(name: string, layer: L, numLayers: number, kind: new (...a: never[]) => L): L[] {
  if (!(layer instanceof kind)) throw new TypeError(`${name}: expected a ${kind.name} to stack, got ${describe(layer)}`);
  checkSize(numLayers, name, 'numLayers');
  if (numLayers > MAX_LAYERS) throw new RangeError(`${name}: expected numLayers <= ${MAX_LAYERS} (tapegrad's limit on a stack of layers), got ${numLayers}`);
  checkElementCount([numLayers, layer.parameters().reduce((n, p) => n + p.size, 0)], name);
  return Array.from({ length: numLayers }, () => layer.clone());
}

/**
 * `numLayers` copies of an encoder layer applied in turn (each an independent copy of `layer`'s
 * weights, as PyTorch's deep copies: names `layers.0.self_attn.in_proj_weight`, ...), then an
 * optional final `norm`.
 */
export class TransformerEncoder extends Module {
  readonly numLayers: number;
  layers: TransformerEncoderLayer[];
  norm: Module | null;

  constructor(layer: TransformerEncoderLayer, numLayers: number, opts: { norm?: Module | null } = {}) {
    super();
    layerOptions(opts, new.target.name);
    this.layers = stackOf('TransformerEncoder', layer, numLayers, TransformerEncoderLayer);
    this.numLayers = numLayers;
    this.norm = opts.norm ?? null;
  }

  override forward(src: Tensor, opts: TransformerEncoderCallOptions & { mask?: Tensor | null } = {}): Tensor {
    layerInput(this, src, 'src');
    layerOptions(opts, this.constructor.name);
    const o: TransformerEncoderCallOptions = { ...opts, srcMask: opts.mask ?? opts.srcMask ?? null };
    let x = src;
    for (const l of this.layers) x = l.call(x, o);
    return this.norm === null ? x : (this.norm.call as (x: Tensor) => Tensor).call(this.norm, x);
  }
}

/** `numLayers` copies of a decoder layer applied in turn to (tgt, memory), then an optional final `norm`. */
export class TransformerDecoder extends Module {
  readonly numLayers: number;
  layers: TransformerDecoderLayer[];
  norm: Module | null;

  constructor(layer: TransformerDecoderLayer, numLayers: number, opts: { norm?: Module | null } = {}) {
    super();
    layerOptions(opts, new.target.name);
    this.layers = stackOf('TransformerDecoder', layer, numLayers, TransformerDecoderLayer);
    this.numLayers = numLayers;
    this.norm = opts.norm ?? null;
  }

  override forward(tgt: Tensor, memory: Tensor, opts: TransformerDecoderCallOptions = {}): Tensor {
    layerInput(this, tgt, 'tgt'); layerInput(this, memory, 'memory');
    layerOptions(opts, this.constructor.name);
    let x = tgt;
    for (const l of this.layers) x = l.call(x, memory, opts);
    return this.norm === null ? x : (this.norm.call as (x: Tensor) => Tensor).call(this.norm, x);
  }
}
