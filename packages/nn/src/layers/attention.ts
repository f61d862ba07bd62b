import {
  Generator, ShapeError, add, arange, dropout as dropoutOp, le, matmul, mean, mul, reshape, softmax, split, transpose, unsqueeze, where,
  type Tensor,
} from '@tapegrad/tensor';
import { xavierUniform_, zeros_ } from '../init.js';
import { Module } from '../module.js';
import { checkProbability, checkSize, fmtShape, initSource, newParameter, sharedInit, type LayerInitOptions, layerInput, layerOptions } from './common.js';
import { Linear } from './linear.js';
import { isFloat, describe } from '@tapegrad/tensor/internal';

/** Options of {@link scaledDotProductAttention}: a mask or causal masking, dropout on the weights, and the scale. */
export interface AttentionOptions {
  /**
   * Added to the attention scores: a bool mask (true = the query may attend to that key, false = it
   * may not) or a float mask added as it is (-Infinity forbids); broadcast against [..., L, S].
   */
  attnMask?: Tensor | null;
  /** Dropout probability on the attention weights (default 0: none). */
  dropoutP?: number;
  /** Query i attends to keys j <= i only (cannot be combined with attnMask). */
  isCausal?: boolean;
  /** Multiplies q k^T (default 1 / sqrt(E)). */
  scale?: number;
  /** The stream the dropout mask is drawn from (the default one otherwise). */
  generator?: Generator;
}

/** The bool [L, S] mask of a causal attention: true where key j <= query i. */
export function causalMask(L: number, S: number): Tensor {
  return le(reshape(arange(S, { dtype: 'int32' }), [1, S]), reshape(arange(L, { dtype: 'int32' }), [L, 1]));
}

/** Scores with a mask applied: a bool mask keeps the scores where true (else -Infinity), a float mask is added. */
function masked(scores: Tensor, mask: Tensor, allowedWhen: boolean, op: string): Tensor {
  if (mask.dtype === 'bool') return allowedWhen ? where(mask, scores, -Infinity) : where(mask, -Infinity, scores);
  if (isFloat(mask.dtype)) return add(scores, mask);
  throw new TypeError(`${op}: expected a bool or float mask, got ${mask.dtype}`);
}

/**
 * softmax(q k^T * scale + mask) (dropout applied) and its product with v: the core of every
 * attention. Returns [output, weights].
 */
function attend(q: Tensor, k: Tensor, v: Tensor, masks: { mask: Tensor; allowedWhen: boolean }[], scale: number, p: number, generator: Generator | undefined, op: string): [Tensor, Tensor] {
  let scores = mul(matmul(q, transpose(k, -2, -1)), scale);
  for (const m of masks) scores = masked(scores, m.mask, m.allowedWhen, op);
  let weights = softmax(scores, -1);
  if (p > 0) weights = dropoutOp(weights, p, true, generator === undefined ? {} : { generator });
  return [matmul(weights, v), weights];
}

/**
 * Attention as PyTorch's F.scaled_dot_product_attention: softmax(q k^T * scale + mask) v, for
 * q [..., L, E], k [..., S, E], v [..., S, Ev] (batch dims broadcast), giving [..., L, Ev]. A bool
 * `attnMask` says where attention is allowed (true), a float one is added to the scores; `isCausal`
 * lets query i see keys j <= i. A row with every key forbidden gives NaN, as in PyTorch.
 *
 * @example
 * const out = scaledDotProductAttention(q, k, v, { isCausal: true }); // a decoder's self-attention
 */
export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, opts: AttentionOptions = {}): Tensor {
  const op = 'scaledDotProductAttention';
  for (const [x, what] of [[q, 'q'], [k, 'k'], [v, 'v']] as const) layerInput(op, x, what);
  if (opts === null || typeof opts !== 'object') throw new TypeError(`${op}: expected an options object, got ${describe(opts)}`);
  if (q.ndim < 2 || k.ndim < 2 || v.ndim < 2 || q.shape[q.ndim - 1] !== k.shape[k.ndim - 1] || k.shape[k.ndim - 2] !== v.shape[v.ndim - 2]) {
    throw new ShapeError(`${op}: expected q [..., L, E], k [..., S, E] and v [..., S, Ev], got ${fmtShape(q.shape)}, ${fmtShape(k.shape)} and ${fmtShape(v.shape)}`);
  }
  const p = checkProbability(op, opts.dropoutP ?? 0);
  const masks: { mask: Tensor; allowedWhen: boolean }[] = [];
  if (opts.isCausal) {
    if (opts.attnMask !== undefined && opts.attnMask !== null) throw new TypeError(`${op}: give either attnMask or isCausal, not both`);
    masks.push({ mask: causalMask(q.shape[q.ndim - 2]!, k.shape[k.ndim - 2]!), allowedWhen: true });
  } else if (opts.attnMask !== undefined && opts.attnMask !== null) {
    masks.push({ mask: opts.attnMask, allowedWhen: true });
  }
  const scale = opts.scale ?? 1 / Math.sqrt(q.shape[q.ndim - 1]!);
  return attend(q, k, v, masks, scale, p, opts.generator, op)[0];
}

/** Options of the {@link MultiheadAttention} constructor (and the initialization options every layer takes). */
export interface MultiheadAttentionOptions extends LayerInitOptions {
  /** Dropout probability on the attention weights while training (default 0). */
  dropout?: number;
  /** Learn in_proj_bias and out_proj.bias (default true). */
  bias?: boolean;
  /** Feature size of the keys (default embedDim). */
  kdim?: number;
  /** Feature size of the values (default embedDim). */
  vdim?: number;
  /** Inputs and output are [batch, seq, feature] (default true); false for [seq, batch, feature]. */
  batchFirst?: boolean;
}

/**
 * Options of one {@link MultiheadAttention} call: masks (PyTorch's convention for this layer: true forbids),
 * and which attention weights to return.
 */
export interface MultiheadAttentionCallOptions {
  /** [batch, S] (or [S] unbatched): true (or -Infinity) marks keys to ignore, e.g. padding; a float mask is added. */
  keyPaddingMask?: Tensor | null;
  /** [L, S] or [batch * numHeads, L, S]: true marks a forbidden pair (PyTorch's convention for this layer); a float mask is added. */
  attnMask?: Tensor | null;
  /** Return the attention weights (default true). */
  needWeights?: boolean;
  /** Average the returned weights over the heads ([batch, L, S]) instead of per head ([batch, numHeads, L, S]) (default true). */
  averageAttnWeights?: boolean;
  /** With no attnMask, apply a causal mask (query i sees keys j <= i); with one, a hint that it is causal (it is used as given). */
  isCausal?: boolean;
}

/**
 * Multi-head attention as PyTorch's nn.MultiheadAttention, with its parameter names and packing:
 * `in_proj_weight` [3 E, E] holding the query, key and value projections (or `q_proj_weight`
 * [E, E], `k_proj_weight` [E, kdim], `v_proj_weight` [E, vdim] when kdim or vdim differ from E),
 * `in_proj_bias` [3 E], and `out_proj` (a Linear). Initialized as PyTorch: xavier-uniform
 * projections, zero biases. `call(query, key, value, opts)` returns [output, weights | null].
 *
 * @example
 * const mha = new MultiheadAttention(64, 8);
 * const [y, w] = mha.call(x, x, x, { isCausal: true }); // y [B, L, 64], w [B, L, L]
 */
export class MultiheadAttention extends Module {
  readonly embedDim: number;
  readonly numHeads: number;
  readonly headDim: number;
  readonly kdim: number;
  readonly vdim: number;
  readonly dropout: number;
  readonly batchFirst: boolean;
  readonly generator: Generator | undefined;
  in_proj_weight: Tensor | null = null;
  q_proj_weight: Tensor | null = null;
  k_proj_weight: Tensor | null = null;
  v_proj_weight: Tensor | null = null;
  in_proj_bias: Tensor | null = null;
  out_proj: Linear;

  constructor(embedDim: number, numHeads: number, opts: MultiheadAttentionOptions = {}) {
    super();
    layerOptions(opts, new.target.name);
    const name = 'MultiheadAttention';
    this.embedDim = checkSize(embedDim, name, 'embedDim');
    this.numHeads = checkSize(numHeads, name, 'numHeads');
    if (embedDim % numHeads !== 0) throw new RangeError(`${name}: embedDim (${embedDim}) must be divisible by numHeads (${numHeads})`);
    this.headDim = embedDim / numHeads;
    this.kdim = checkSize(opts.kdim ?? embedDim, name, 'kdim');
    this.vdim = checkSize(opts.vdim ?? embedDim, name, 'vdim');
    this.dropout = checkProbability(name, opts.dropout ?? 0);
    this.batchFirst = opts.batchFirst ?? true;
    const init = sharedInit(opts, new.target.name);
    const src = initSource(init, new.target.name);
    this.generator = src.generator;
    if (this.kdim === embedDim && this.vdim === embedDim) {
      this.in_proj_weight = xavierUniform_(newParameter([3 * embedDim, embedDim], init, new.target.name), src);
    } else {
      this.q_proj_weight = xavierUniform_(newParameter([embedDim, embedDim], init, new.target.name), src);
      this.k_proj_weight = xavierUniform_(newParameter([embedDim, this.kdim], init, new.target.name), src);
      this.v_proj_weight = xavierUniform_(newParameter([embedDim, this.vdim], init, new.target.name), src);
    }
    const bias = opts.bias ?? true;
    if (bias) this.in_proj_bias = newParameter([3 * embedDim], init, new.target.name);
    this.out_proj = new Linear(embedDim, embedDim, { ...init, bias });
    if (this.out_proj.bias !== null) zeros_(this.out_proj.bias);
  }

  /** The query, key and value projection weights and biases. */
  #projections(): [Tensor, Tensor, Tensor, (Tensor | null)[]] {
    const E = this.embedDim;
    const biases = this.in_proj_bias === null ? [null, null, null] : split(this.in_proj_bias, E, 0);
    if (this.in_proj_weight !== null) {
      const [wq, wk, wv] = split(this.in_proj_weight, E, 0) as [Tensor, Tensor, Tensor];
      return [wq, wk, wv, biases];
    }
    return [this.q_proj_weight!, this.k_proj_weight!, this.v_proj_weight!, biases];
  }

  override forward(query: Tensor, key: Tensor, value: Tensor, opts: MultiheadAttentionCallOptions = {}): [Tensor, Tensor | null] {
    layerInput(this, query, 'query'); layerInput(this, key, 'key'); layerInput(this, value, 'value');
    layerOptions(opts, this.constructor.name);
    const name = 'MultiheadAttention';
    const E = this.embedDim;
    const H = this.numHeads;
    const D = this.headDim;
    const batched = query.ndim === 3;
    const dims = [[query, E, 'query'], [key, this.kdim, 'key'], [value, this.vdim, 'value']] as const;
    for (const [t, f, what] of dims) {
      if (t.ndim !== (batched ? 3 : 2) || t.shape[t.ndim - 1] !== f) {
        const layout = !batched ? `[seq, ${f}]` : this.batchFirst ? `[batch, seq, ${f}]` : `[seq, batch, ${f}]`;
        throw new ShapeError(`${name}: expected ${what} ${layout}, got ${fmtShape(t.shape)} (query ${fmtShape(query.shape)})`);
      }
    }
    // Work batch-first: [B, L, E].
    const bf = (t: Tensor): Tensor => (!batched ? unsqueeze(t, 0) : this.batchFirst ? t : transpose(t, 0, 1));
    const [q0, k0, v0] = [bf(query), bf(key), bf(value)];
    const B = q0.shape[0]!, L = q0.shape[1]!, S = k0.shape[1]!;
    if (k0.shape[0] !== B || v0.shape[0] !== B || v0.shape[1] !== S) {
      throw new ShapeError(`${name}: query, key and value must share the batch size and key/value the sequence length, got ${fmtShape(query.shape)}, ${fmtShape(key.shape)} and ${fmtShape(value.shape)}`);
    }
    const [wq, wk, wv, [bq, bk, bv]] = this.#projections();
    const project = (x: Tensor, w: Tensor, b: Tensor | null | undefined, n: number): Tensor => {
      const y = matmul(x, transpose(w, 0, 1));
      // [B, n, E] -> [B, H, n, D]
      return transpose(reshape(b === null || b === undefined ? y : add(y, b), [B, n, H, D]), 1, 2);
    };
    const q = project(q0, wq, bq, L);
    const k = project(k0, wk, bk, S);
    const v = project(v0, wv, bv, S);
    const masks: { mask: Tensor; allowedWhen: boolean }[] = [];
    const attnMask = opts.attnMask ?? null;
    if (attnMask !== null) {
      const ok2 = attnMask.ndim === 2 && attnMask.shape[0] === L && attnMask.shape[1] === S;
      const ok3 = attnMask.ndim === 3 && attnMask.shape[0] === B * H && attnMask.shape[1] === L && attnMask.shape[2] === S;
      if (!ok2 && !ok3) throw new ShapeError(`${name}: expected attnMask [${L}, ${S}] or [${B * H}, ${L}, ${S}] (batch * numHeads), got ${fmtShape(attnMask.shape)}`);
      masks.push({ mask: ok3 ? reshape(attnMask, [B, H, L, S]) : attnMask, allowedWhen: false });
    } else if (opts.isCausal) {
      masks.push({ mask: causalMask(L, S), allowedWhen: true });
    }
    const kpm = opts.keyPaddingMask ?? null;
    if (kpm !== null) {
      const want = batched ? [B, S] : [S];
      if (kpm.ndim !== want.length || kpm.shape.some((d, i) => d !== want[i])) {
        throw new ShapeError(`${name}: expected keyPaddingMask ${fmtShape(want)} ([batch, S] for the keys), got ${fmtShape(kpm.shape)}`);
      }
      masks.push({ mask: reshape(kpm, [batched ? B : 1, 1, 1, S]), allowedWhen: false });
    }
    const p = this.training ? this.dropout : 0;
    const [heads, weights] = attend(q, k, v, masks, 1 / Math.sqrt(D), p, this.generator, name);
    // [B, H, L, D] -> [B, L, E]
    let out = this.out_proj.call(reshape(transpose(heads, 1, 2), [B, L, E]));
    out = !batched ? reshape(out, [L, E]) : this.batchFirst ? out : transpose(out, 0, 1);
    if (!(opts.needWeights ?? true)) return [out, null];
    let w = (opts.averageAttnWeights ?? true) ? mean(weights, 1) : weights;
    if (!batched) w = reshape(w, w.shape.slice(1));
    return [out, w];
  }
}
