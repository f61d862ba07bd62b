import {
  Generator, ShapeError, add, concat, dropout, matmul, mul, reshape, sigmoid, relu, slice, split, squeeze, stack, sub, tanh, transpose,
  unsqueeze, zeros, type Tensor,
} from '@tapegrad/tensor';
import { uniform_ } from '../init.js';
import { Module } from '../module.js';
import { checkSize, fmtShape, initSource, newParameter, type LayerInitOptions, layerInput, layerOptions } from './common.js';
import { describe } from '@tapegrad/tensor/internal';

/**
 * Options of {@link GRU}, and those every recurrent layer takes: number of layers, biases, layout, dropout
 * between layers, direction.
 */
export interface RNNOptions extends LayerInitOptions {
  /** Stacked layers, each feeding the next (default 1). */
  numLayers?: number;
  /** Learn the biases b_ih and b_hh (default true). */
  bias?: boolean;
  /** Input and output are [batch, seq, feature] (default true, unlike PyTorch); false for [seq, batch, feature]. */
  batchFirst?: boolean;
  /** Dropout probability on the outputs of every layer but the last, while training (default 0). */
  dropout?: number;
  /** Run a second set of layers over the reversed sequence and concatenate both outputs (default false). */
  bidirectional?: boolean;
}

/** Options of {@link LSTM}: those of every recurrent layer, plus a projection size. */
export interface LSTMOptions extends RNNOptions {
  /** Project h to this size with weight_hr (LSTM with projections; 0, the default, for none). */
  projSize?: number;
}

/** The per-step state of one layer and direction: h, plus c for an LSTM. */
interface LayerState { h: Tensor; c?: Tensor }

/** One layer and direction's weights. */
interface Weights { wih: Tensor; whh: Tensor; bih: Tensor | null; bhh: Tensor | null; whr: Tensor | null }

/**
 * Shared machinery of RNN, LSTM and GRU, with PyTorch's parameters: per layer k and direction
 * (suffix '' or '_reverse') weight_ih_l{k} [G*hidden, in], weight_hh_l{k} [G*hidden, hidden'],
 * bias_ih_l{k}, bias_hh_l{k} [G*hidden] and, for an LSTM with projections, weight_hr_l{k}
 * [projSize, hidden] (hidden' is projSize then), G gates in PyTorch's order, all initialized from
 * U(-1/sqrt(hidden), 1/sqrt(hidden)). Layer k > 0 reads the previous layer's outputs (both
 * directions concatenated). The input projection of a whole sequence is one matmul; the
 * recurrence then runs step by step.
 */
abstract class RNNBase extends Module {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly batchFirst: boolean;
  readonly dropout: number;
  readonly bidirectional: boolean;
  readonly projSize: number;
  readonly generator: Generator | undefined;
  declare weight_ih_l0: Tensor;
  declare weight_hh_l0: Tensor;
  declare bias_ih_l0: Tensor | null;
  declare bias_hh_l0: Tensor | null;

  protected constructor(protected readonly layer: string, gates: number, inputSize: number, hiddenSize: number, opts: LSTMOptions) {
    super();
    layerOptions(opts, new.target.name);
    this.inputSize = checkSize(inputSize, layer, 'inputSize');
    this.hiddenSize = checkSize(hiddenSize, layer, 'hiddenSize');
    this.numLayers = checkSize(opts.numLayers ?? 1, layer, 'numLayers');
    this.batchFirst = opts.batchFirst ?? true;
    const p = opts.dropout ?? 0;
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new RangeError(`${layer}: expected a dropout probability in [0, 1], got ${describe(p)}`);
    this.dropout = p;
    this.bidirectional = opts.bidirectional ?? false;
    this.projSize = checkSize(opts.projSize ?? 0, layer, 'projSize', true);
    if (this.projSize >= hiddenSize) throw new RangeError(`${layer}: projSize (${this.projSize}) must be smaller than hiddenSize (${hiddenSize})`);
    const src = initSource(opts, new.target.name);
    this.generator = src.generator;
    const bound = 1 / Math.sqrt(hiddenSize);
    const self = this as unknown as Record<string, Tensor | null>;
    const G = gates * hiddenSize;
    const out = this.projSize > 0 ? this.projSize : hiddenSize;
    for (let k = 0; k < this.numLayers; k++) {
      for (const suffix of this.suffixes()) {
        const at = `_l${k}${suffix}`;
        self[`weight_ih${at}`] = newParameter([G, k === 0 ? inputSize : out * this.suffixes().length], opts, new.target.name);
        self[`weight_hh${at}`] = newParameter([G, out], opts, new.target.name);
        if (opts.bias ?? true) {
          self[`bias_ih${at}`] = newParameter([G], opts, new.target.name);
          self[`bias_hh${at}`] = newParameter([G], opts, new.target.name);
        }
        if (this.projSize > 0) self[`weight_hr${at}`] = newParameter([this.projSize, hiddenSize], opts, new.target.name);
      }
    }
    if (!(opts.bias ?? true)) {
      this.bias_ih_l0 = null;
      this.bias_hh_l0 = null;
    }
    for (const param of this.parameters()) uniform_(param, { ...src, a: -bound, b: bound });
  }

  /** The parameter-name suffix of each direction. */
  protected suffixes(): string[] {
    return this.bidirectional ? ['', '_reverse'] : [''];
  }

  /** Layer k's weights in direction d. */
  protected weightsOf(k: number, d: number): Weights {
    const self = this as unknown as Record<string, Tensor | null | undefined>;
    const at = `_l${k}${this.suffixes()[d]}`;
    return { wih: self[`weight_ih${at}`]!, whh: self[`weight_hh${at}`]!, bih: self[`bias_ih${at}`] ?? null, bhh: self[`bias_hh${at}`] ?? null, whr: self[`weight_hr${at}`] ?? null };
  }

  /** One step: the projected input xw [B, G*H] (bias_ih included) and the previous state. */
  protected abstract cell(xw: Tensor, prev: LayerState, w: Weights): LayerState;

  /** The size of h (projSize for a projected LSTM) and of c. */
  protected stateSizes(): number[] {
    return [this.projSize > 0 ? this.projSize : this.hiddenSize];
  }

  #checkState(s: Tensor, i: number, batched: boolean, B: number): Tensor {
    const n = this.numLayers * this.suffixes().length;
    const size = this.stateSizes()[i]!;
    const want = batched ? [n, B, size] : [n, size];
    if (s.ndim !== want.length || s.shape.some((d, j) => d !== want[j])) {
      const what = i === 0 ? 'h0' : 'c0';
      throw new ShapeError(`${this.layer}: expected ${what} of shape ${fmtShape(want)} ([numLayers * numDirections, ${batched ? 'batch, ' : ''}${size}]), got ${fmtShape(s.shape)}`);
    }
    return batched ? s : unsqueeze(s, 1);
  }

  /**
   * Runs the sequence. x: [batch, seq, input] (batch-first; [seq, input] unbatched). `initial` holds
   * the states [numLayers * numDirections, batch, size] (zeros when omitted), in PyTorch's order
   * (layer by layer, forward direction first). Returns the last layer's outputs [batch, seq,
   * numDirections * hidden'] and the final states in the same layout as `initial`.
   */
  protected run(x: Tensor, initial: Tensor[] | null): [Tensor, Tensor[]] {
    const batched = x.ndim === 3;
    if ((x.ndim !== 3 && x.ndim !== 2) || x.shape[x.ndim - 1] !== this.inputSize) {
      const layout = this.batchFirst ? `[batch, seq, ${this.inputSize}]` : `[seq, batch, ${this.inputSize}]`;
      throw new ShapeError(`${this.layer}: expected input ${layout} or [seq, ${this.inputSize}], got ${fmtShape(x.shape)}`);
    }
    let input = !batched ? unsqueeze(x, 0) : this.batchFirst ? x : transpose(x, 0, 1);
    const [B, T] = input.shape as [number, number];
    if (T === 0) throw new ShapeError(`${this.layer}: expected a sequence of at least one step, got input ${fmtShape(x.shape)}`);
    const init = initial?.map((s, i) => this.#checkState(s, i, batched, B));
    const sizes = this.stateSizes();
    const D = this.suffixes().length;
    const finals: LayerState[] = [];
    for (let k = 0; k < this.numLayers; k++) {
      const outputs: Tensor[] = [];
      for (let d = 0; d < D; d++) {
        const w = this.weightsOf(k, d);
        let xw = matmul(input, transpose(w.wih, 0, 1));
        if (w.bih !== null) xw = add(xw, w.bih);
        const G = xw.shape[2]!;
        const pick = (i: number): Tensor => {
          const s = init?.[i];
          return s === undefined ? zeros([B, sizes[i]!], { dtype: xw.dtype }) : reshape(slice(s, [k * D + d], [k * D + d + 1]), [B, sizes[i]!]);
        };
        let state: LayerState = { h: pick(0) };
        if (sizes.length > 1) state.c = pick(1);
        const outs: Tensor[] = new Array(T);
        for (let i = 0; i < T; i++) {
          const t = d === 0 ? i : T - 1 - i;
          state = this.cell(reshape(slice(xw, [0, t], [B, t + 1]), [B, G]), state, w);
          outs[t] = state.h;
        }
        outputs.push(stack(outs, 1));
        finals.push(state);
      }
      input = D === 1 ? outputs[0]! : concat(outputs, 2);
      if (this.dropout > 0 && this.training && k < this.numLayers - 1) {
        input = dropout(input, this.dropout, true, this.generator === undefined ? {} : { generator: this.generator });
      }
    }
    let states = sizes.map((_, i) => stack(finals.map((f) => (i === 0 ? f.h : f.c!)), 0));
    let out = input;
    if (!batched) {
      out = squeeze(out, 0);
      states = states.map((s) => squeeze(s, 1));
    } else if (!this.batchFirst) {
      out = transpose(out, 0, 1);
    }
    return [out, states];
  }

  /** The output sequence [batch, seq, numDirections * hidden] (zero initial state). */
  override forward(x: Tensor): Tensor {
    layerInput(this, x);
    return this.run(x, null)[0];
  }
}

/** W h + b for the recurrent term. */
function hidden(h: Tensor, whh: Tensor, bhh: Tensor | null): Tensor {
  const r = matmul(h, transpose(whh, 0, 1));
  return bhh === null ? r : add(r, bhh);
}

/** Options of {@link RNN}: those of every recurrent layer, plus the nonlinearity. */
export interface ElmanOptions extends RNNOptions {
  /** 'tanh' (default) or 'relu'. */
  nonlinearity?: 'tanh' | 'relu';
}

/** Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (or relu). */
export class RNN extends RNNBase {
  readonly nonlinearity: 'tanh' | 'relu';

  constructor(inputSize: number, hiddenSize: number, opts: ElmanOptions = {}) {
    super('RNN', 1, inputSize, hiddenSize, opts);
    layerOptions(opts, new.target.name);
    const nl = opts.nonlinearity ?? 'tanh';
    if (nl !== 'tanh' && nl !== 'relu') throw new RangeError(`RNN: nonlinearity must be 'tanh' or 'relu', got ${describe(nl)}`);
    this.nonlinearity = nl;
  }

  protected override cell(xw: Tensor, prev: LayerState, w: Weights): LayerState {
    const pre = add(xw, hidden(prev.h, w.whh, w.bhh));
    return { h: this.nonlinearity === 'tanh' ? tanh(pre) : relu(pre) };
  }

  /** Runs with initial state h0 [numLayers * numDirections, batch, hidden]; returns [output, hN]. */
  forwardWithState(x: Tensor, h0?: Tensor): [Tensor, Tensor] {
    layerInput(this, x);
    const [out, [h]] = this.run(x, h0 === undefined ? null : [h0]);
    return [out, h!];
  }
}

/**
 * LSTM with PyTorch's gate order i, f, g, o in the stacked weights:
 * c_t = f * c_{t-1} + i * g, h_t = o * tanh(c_t), with i, f, o sigmoid and g tanh gates; with
 * `projSize`, h_t = (o * tanh(c_t)) W_hr^T.
 */
export class LSTM extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, opts: LSTMOptions = {}) {
    super('LSTM', 4, inputSize, hiddenSize, opts);
    layerOptions(opts, new.target.name);
  }

  protected override stateSizes(): number[] {
    return [this.projSize > 0 ? this.projSize : this.hiddenSize, this.hiddenSize];
  }

  protected override cell(xw: Tensor, prev: LayerState, w: Weights): LayerState {
    const [i, f, g, o] = split(add(xw, hidden(prev.h, w.whh, w.bhh)), this.hiddenSize, 1) as [Tensor, Tensor, Tensor, Tensor];
    const c = add(mul(sigmoid(f), prev.c!), mul(sigmoid(i), tanh(g)));
    const h = mul(sigmoid(o), tanh(c));
    return { h: w.whr === null ? h : matmul(h, transpose(w.whr, 0, 1)), c };
  }

  /** Runs with initial state [h0, c0] (each [numLayers * numDirections, batch, size]); returns [output, [hN, cN]]. */
  forwardWithState(x: Tensor, state?: [Tensor, Tensor]): [Tensor, [Tensor, Tensor]] {
    layerInput(this, x);
    if (state !== undefined && (!Array.isArray(state) || state.length !== 2)) {
      throw new TypeError('LSTM: expected the state as a pair [h0, c0]');
    }
    const [out, [h, c]] = this.run(x, state ?? null);
    return [out, [h!, c!]];
  }
}

/**
 * GRU with PyTorch's gate order r, z, n: r = sigmoid(x W_ir + b_ir + h W_hr + b_hr), z likewise,
 * n = tanh(x W_in + b_in + r * (h W_hn + b_hn)), h_t = (1 - z) * n + z * h_{t-1}.
 */
export class GRU extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, opts: RNNOptions = {}) {
    super('GRU', 3, inputSize, hiddenSize, opts);
    layerOptions(opts, new.target.name);
  }

  protected override cell(xw: Tensor, prev: LayerState, w: Weights): LayerState {
    const H = this.hiddenSize;
    const [xr, xz, xn] = split(xw, H, 1) as [Tensor, Tensor, Tensor];
    const [hr, hz, hn] = split(hidden(prev.h, w.whh, w.bhh), H, 1) as [Tensor, Tensor, Tensor];
    const r = sigmoid(add(xr, hr));
    const z = sigmoid(add(xz, hz));
    const n = tanh(add(xn, mul(r, hn)));
    return { h: add(n, mul(z, sub(prev.h, n))) };
  }

  /** Runs with initial state h0 [numLayers * numDirections, batch, hidden]; returns [output, hN]. */
  forwardWithState(x: Tensor, h0?: Tensor): [Tensor, Tensor] {
    layerInput(this, x);
    const [out, [h]] = this.run(x, h0 === undefined ? null : [h0]);
    return [out, h!];
  }
}
