import {
  ShapeError, add, matmul, mul, reshape, sigmoid, relu, slice, split, squeeze, stack, sub, tanh, transpose, unsqueeze, zeros,
  type Tensor,
} from '@tapegrad/tensor';
import { uniform_ } from '../init.js';
import { Module } from '../module.js';
import { checkSize, fmtShape, initSource, newParameter, type LayerInitOptions } from './common.js';

export interface RNNOptions extends LayerInitOptions {
  /** Stacked layers, each feeding the next (default 1). */
  numLayers?: number;
  /** Learn the biases b_ih and b_hh (default true). */
  bias?: boolean;
  /** Input and output are [batch, seq, feature] (default true, unlike PyTorch); false for [seq, batch, feature]. */
  batchFirst?: boolean;
}

/** The per-step state of one layer: h, plus c for an LSTM. */
interface LayerState { h: Tensor; c?: Tensor }

/**
 * Shared machinery of RNN, LSTM and GRU: per layer k the parameters weight_ih_l{k} [G*hidden, in],
 * weight_hh_l{k} [G*hidden, hidden], bias_ih_l{k}, bias_hh_l{k} [G*hidden] (G gates, in PyTorch's
 * order), all initialized from U(-1/sqrt(hidden), 1/sqrt(hidden)). The input projection of a whole
 * sequence is one matmul; the recurrence then runs step by step.
 */
abstract class RNNBase extends Module {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly batchFirst: boolean;
  weight_ih_l0: Tensor;
  weight_hh_l0: Tensor;
  bias_ih_l0: Tensor | null = null;
  bias_hh_l0: Tensor | null = null;

  protected constructor(protected readonly layer: string, gates: number, inputSize: number, hiddenSize: number, opts: RNNOptions) {
    super();
    this.inputSize = checkSize(inputSize, layer, 'inputSize');
    this.hiddenSize = checkSize(hiddenSize, layer, 'hiddenSize');
    this.numLayers = checkSize(opts.numLayers ?? 1, layer, 'numLayers');
    this.batchFirst = opts.batchFirst ?? true;
    const src = initSource(opts);
    const bound = 1 / Math.sqrt(hiddenSize);
    const self = this as unknown as Record<string, Tensor>;
    const G = gates * hiddenSize;
    for (let k = 0; k < this.numLayers; k++) {
      self[`weight_ih_l${k}`] = newParameter([G, k === 0 ? inputSize : hiddenSize], opts);
      self[`weight_hh_l${k}`] = newParameter([G, hiddenSize], opts);
      if (opts.bias ?? true) {
        self[`bias_ih_l${k}`] = newParameter([G], opts);
        self[`bias_hh_l${k}`] = newParameter([G], opts);
      }
    }
    this.weight_ih_l0 = self.weight_ih_l0!;
    this.weight_hh_l0 = self.weight_hh_l0!;
    for (const p of this.parameters()) uniform_(p, { ...src, a: -bound, b: bound });
  }

  /** Layer k's [weight_ih, weight_hh, bias_ih, bias_hh]. */
  protected weightsOf(k: number): [Tensor, Tensor, Tensor | null, Tensor | null] {
    const self = this as unknown as Record<string, Tensor | null | undefined>;
    return [self[`weight_ih_l${k}`]!, self[`weight_hh_l${k}`]!, self[`bias_ih_l${k}`] ?? null, self[`bias_hh_l${k}`] ?? null];
  }

  /** One step of layer k: the projected input xw [B, G*H] (bias_ih included) and the previous state. */
  protected abstract cell(xw: Tensor, prev: LayerState, whh: Tensor, bhh: Tensor | null): LayerState;

  protected checkState(s: Tensor, what: string, batched: boolean, B: number): Tensor {
    const want = batched ? [this.numLayers, B, this.hiddenSize] : [this.numLayers, this.hiddenSize];
    if (s.ndim !== want.length || s.shape.some((d, i) => d !== want[i])) {
      throw new ShapeError(`${this.layer}: expected ${what} of shape ${fmtShape(want)} ([numLayers, ${batched ? 'batch, ' : ''}hidden]), got ${fmtShape(s.shape)}`);
    }
    return batched ? s : unsqueeze(s, 1);
  }

  /**
   * Runs the sequence. x: [batch, seq, input] (batch-first; [seq, input] unbatched). `initial` holds
   * per-layer states [numLayers, batch, hidden] (zeros when omitted). Returns the last layer's outputs
   * [batch, seq, hidden] and the final states, [numLayers, batch, hidden] each.
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
    const H = this.hiddenSize;
    const init = initial?.map((s, i) => this.checkState(s, i === 0 ? 'h0' : 'c0', batched, B));
    const finals: Tensor[][] = [];
    for (let k = 0; k < this.numLayers; k++) {
      const [wih, whh, bih, bhh] = this.weightsOf(k);
      let xw = matmul(input, transpose(wih, 0, 1));
      if (bih !== null) xw = add(xw, bih);
      const G = xw.shape[2]!;
      const pick = (s: Tensor | undefined): Tensor => (s === undefined ? zeros([B, H], { dtype: xw.dtype }) : reshape(slice(s, [k], [k + 1]), [B, H]));
      let state: LayerState = { h: pick(init?.[0]) };
      if (this.stateCount() > 1) state.c = pick(init?.[1]);
      const outs: Tensor[] = [];
      for (let t = 0; t < T; t++) {
        const xt = reshape(slice(xw, [0, t], [B, t + 1]), [B, G]);
        state = this.cell(xt, state, whh, bhh);
        outs.push(state.h);
      }
      input = stack(outs, 1);
      finals.push(state.c === undefined ? [state.h] : [state.h, state.c]);
    }
    const nState = finals[0]!.length;
    let states = Array.from({ length: nState }, (_, i) => stack(finals.map((f) => f[i]!), 0));
    let out = input;
    if (!batched) {
      out = squeeze(out, 0);
      states = states.map((s) => squeeze(s, 1));
    } else if (!this.batchFirst) {
      out = transpose(out, 0, 1);
    }
    return [out, states];
  }

  /** How many state tensors a layer carries (1, or 2 for an LSTM). */
  protected stateCount(): number {
    return 1;
  }

  /** The output sequence [batch, seq, hidden] (zero initial state). */
  override forward(x: Tensor): Tensor {
    return this.run(x, null)[0];
  }
}

/** W h + b for the recurrent term. */
function hidden(h: Tensor, whh: Tensor, bhh: Tensor | null): Tensor {
  const r = matmul(h, transpose(whh, 0, 1));
  return bhh === null ? r : add(r, bhh);
}

export interface ElmanOptions extends RNNOptions {
  /** 'tanh' (default) or 'relu'. */
  nonlinearity?: 'tanh' | 'relu';
}

/** Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (or relu). */
export class RNN extends RNNBase {
  readonly nonlinearity: 'tanh' | 'relu';

  constructor(inputSize: number, hiddenSize: number, opts: ElmanOptions = {}) {
    super('RNN', 1, inputSize, hiddenSize, opts);
    const nl = opts.nonlinearity ?? 'tanh';
    if (nl !== 'tanh' && nl !== 'relu') throw new RangeError(`RNN: nonlinearity must be 'tanh' or 'relu', got ${JSON.stringify(nl)}`);
    this.nonlinearity = nl;
  }

  protected override cell(xw: Tensor, prev: LayerState, whh: Tensor, bhh: Tensor | null): LayerState {
    const pre = add(xw, hidden(prev.h, whh, bhh));
    return { h: this.nonlinearity === 'tanh' ? tanh(pre) : relu(pre) };
  }

  /** Runs with initial state h0 [numLayers, batch, hidden]; returns [output, hN]. */
  forwardWithState(x: Tensor, h0?: Tensor): [Tensor, Tensor] {
    const [out, [h]] = this.run(x, h0 === undefined ? null : [h0]);
    return [out, h!];
  }
}

/**
 * LSTM with PyTorch's gate order i, f, g, o in the stacked weights:
 * c_t = f * c_{t-1} + i * g, h_t = o * tanh(c_t), with i, f, o sigmoid and g tanh gates.
 */
export class LSTM extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, opts: RNNOptions = {}) {
    super('LSTM', 4, inputSize, hiddenSize, opts);
  }

  protected override stateCount(): number {
    return 2;
  }

  protected override cell(xw: Tensor, prev: LayerState, whh: Tensor, bhh: Tensor | null): LayerState {
    const [i, f, g, o] = split(add(xw, hidden(prev.h, whh, bhh)), this.hiddenSize, 1) as [Tensor, Tensor, Tensor, Tensor];
    const c = add(mul(sigmoid(f), prev.c!), mul(sigmoid(i), tanh(g)));
    return { h: mul(sigmoid(o), tanh(c)), c };
  }

  /** Runs with initial state [h0, c0] (each [numLayers, batch, hidden]); returns [output, [hN, cN]]. */
  forwardWithState(x: Tensor, state?: [Tensor, Tensor]): [Tensor, [Tensor, Tensor]] {
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
  }

  protected override cell(xw: Tensor, prev: LayerState, whh: Tensor, bhh: Tensor | null): LayerState {
    const H = this.hiddenSize;
    const [xr, xz, xn] = split(xw, H, 1) as [Tensor, Tensor, Tensor];
    const [hr, hz, hn] = split(hidden(prev.h, whh, bhh), H, 1) as [Tensor, Tensor, Tensor];
    const r = sigmoid(add(xr, hr));
    const z = sigmoid(add(xz, hz));
    const n = tanh(add(xn, mul(r, hn)));
    return { h: add(n, mul(z, sub(prev.h, n))) };
  }

  /** Runs with initial state h0 [numLayers, batch, hidden]; returns [output, hN]. */
  forwardWithState(x: Tensor, h0?: Tensor): [Tensor, Tensor] {
    const [out, [h]] = this.run(x, h0 === undefined ? null : [h0]);
    return [out, h!];
  }
}
