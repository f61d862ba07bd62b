import { Tensor, type Generator } from '@tapegrad/tensor';
import { noGrad } from '@tapegrad/autograd';
import { isFloat, describe, floatSamples } from '@tapegrad/tensor/internal';

/**
 * In-place initializers with PyTorch's formulas (gain, fan_in/fan_out). Each writes into the tensor's
 * storage without recording (parameters keep their identity) and returns the tensor. Random ones take
 * `{ generator }` or `{ seed }` and otherwise draw from the default stream (`manualSeed`). The
 * distributions are PyTorch's; the random streams are tapegrad's own, so to reproduce PyTorch's numbers
 * load its state dict.
 */

/** Where a random initializer draws from: a `generator`, or a one-off `seed`; the default stream otherwise. */
export interface RandomSource {
  /** An independent stream (`new Generator(seed)`). */
  generator?: Generator;
  /** A one-off seed for this call. */
  seed?: number;
}

/** The nonlinearities {@link calculateGain} knows, with PyTorch's names (and camelCase `leakyRelu`). */
export type Nonlinearity =
  | 'linear' | 'identity' | 'conv1d' | 'conv2d' | 'conv3d' | 'conv_transpose1d' | 'conv_transpose2d' | 'conv_transpose3d'
  | 'sigmoid' | 'tanh' | 'relu' | 'leaky_relu' | 'leakyRelu' | 'selu';

/** Which fan the Kaiming initializers scale by: 'fan_in' (PyTorch's name, or 'fanIn') or 'fan_out' ('fanOut'). */
export type FanMode = 'fan_in' | 'fan_out' | 'fanIn' | 'fanOut';

function checkTensor(t: unknown, op: string): Tensor {
  if (!(t instanceof Tensor)) throw new TypeError(`${op}: expected a Tensor, got ${t === null ? 'null' : typeof t}`);
  if (!isFloat(t.dtype)) throw new TypeError(`${op}: expected a float32 or float64 tensor, got ${t.dtype}`);
  return t;
}

function finite(v: unknown, op: string, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new RangeError(`${op}: expected ${what} to be a finite number, got ${describe(v)}`);
  return v;
}

function write(t: Tensor, values: Tensor | number): Tensor {
  noGrad(() => t.copy_(values));
  return t;
}

function source(opts: RandomSource, op: string): RandomSource {
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts) || opts instanceof Tensor) throw new TypeError(`${op}: expected an options object, got ${describe(opts)}`);
  const s: RandomSource = {};
  if (opts.generator !== undefined) s.generator = opts.generator;
  if (opts.seed !== undefined) s.seed = opts.seed;
  return s;
}

/** Fills with 0. */
export function zeros_(t: Tensor): Tensor {
  return write(checkTensor(t, 'zeros_'), 0);
}

/** Fills with 1. */
export function ones_(t: Tensor): Tensor {
  return write(checkTensor(t, 'ones_'), 1);
}

/** Fills with `value`. */
export function constant_(t: Tensor, value: number): Tensor {
  return write(checkTensor(t, 'constant_'), finite(value, 'constant_', 'value'));
}

/** Uniform samples in [a, b) (default [0, 1)). */
export function uniform_(t: Tensor, opts: { a?: number; b?: number } & RandomSource = {}): Tensor {
  checkTensor(t, 'uniform_');
  const src = source(opts, 'uniform_');
  return fillUniform('uniform_', t, finite(opts.a ?? 0, 'uniform_', 'a'), finite(opts.b ?? 1, 'uniform_', 'b'), src);
}

/** Uniform samples in [a, b), errors naming `op` (the initializer the user called). */
function fillUniform(op: string, t: Tensor, a: number, b: number, src: RandomSource): Tensor {
  if (b < a) throw new RangeError(`${op}: expected a <= b, got a = ${a}, b = ${b}`);
  return write(t, noGrad(() => floatSamples(op, 'uniform', t.shape, { ...src, dtype: 'float64' }).mul(b - a).add(a)));
}

/** Normal samples, errors naming `op`. */
function fillNormal(op: string, t: Tensor, mean: number, std: number, src: RandomSource): Tensor {
  if (std < 0) throw new RangeError(`${op}: expected std >= 0, got ${std}`);
  return write(t, noGrad(() => floatSamples(op, 'normal', t.shape, { ...src, dtype: 'float64' }).mul(std).add(mean)));
}

/** Normal samples with `mean` (default 0) and `std` (default 1). */
export function normal_(t: Tensor, opts: { mean?: number; std?: number } & RandomSource = {}): Tensor {
  checkTensor(t, 'normal_');
  const src = source(opts, 'normal_');
  return fillNormal('normal_', t, finite(opts.mean ?? 0, 'normal_', 'mean'), finite(opts.std ?? 1, 'normal_', 'std'), src);
}

/**
 * The recommended gain for a nonlinearity (PyTorch's table): 1 for linear, conv and sigmoid, 5/3 for
 * tanh, sqrt(2) for relu, sqrt(2 / (1 + slope^2)) for leaky_relu (slope `param`, default 0.01), 3/4 for selu.
 */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  if (typeof nonlinearity !== 'string') throw new TypeError(`calculateGain: expected the name of a nonlinearity, got ${describe(nonlinearity)}`);
  switch (nonlinearity) {
    case 'linear': case 'identity': case 'sigmoid':
    case 'conv1d': case 'conv2d': case 'conv3d': case 'conv_transpose1d': case 'conv_transpose2d': case 'conv_transpose3d':
      return 1;
    case 'tanh': return 5 / 3;
    case 'relu': return Math.SQRT2;
    case 'leaky_relu': case 'leakyRelu': {
      const slope = param ?? 0.01;
      if (typeof slope !== 'number' || !Number.isFinite(slope)) throw new TypeError(`calculateGain: negative slope ${describe(param)} is not a valid number`);
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu': return 3 / 4;
    default:
      throw new RangeError(`calculateGain: unsupported nonlinearity ${describe(nonlinearity)}; expected linear, conv*, sigmoid, tanh, relu, leaky_relu or selu`);
  }
}

/**
 * [fanIn, fanOut] of a weight of at least 2 dims, as PyTorch: fanIn = shape[1] * receptive field,
 * fanOut = shape[0] * receptive field, the receptive field being the product of shape[2:].
 */
export function calculateFanInAndFanOut(t: Tensor): [number, number] {
  if (!(t instanceof Tensor) || t.ndim < 2) {
    throw new RangeError(`calculateFanInAndFanOut: fan in and fan out need a tensor with at least 2 dims, got ${t instanceof Tensor ? `shape [${t.shape.join(',')}]` : typeof t}`);
  }
  let receptive = 1;
  for (let d = 2; d < t.ndim; d++) receptive *= t.shape[d]!;
  return [t.shape[1]! * receptive, t.shape[0]! * receptive];
}

function fanOf(t: Tensor, mode: FanMode, op: string): number {
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  if (mode === 'fan_in' || mode === 'fanIn') return fanIn;
  if (mode === 'fan_out' || mode === 'fanOut') return fanOut;
  throw new RangeError(`${op}: mode must be 'fan_in' or 'fan_out', got ${describe(mode)}`);
}

/** Options of {@link xavierUniform_} and {@link xavierNormal_}: the `gain` (default 1) and the random source. */
export interface XavierOptions extends RandomSource { gain?: number }

/** Glorot uniform: U(-a, a) with a = gain * sqrt(6 / (fanIn + fanOut)). */
export function xavierUniform_(t: Tensor, opts: XavierOptions = {}): Tensor {
  const src = source(opts, 'xavierUniform_');
  if (checkTensor(t, 'xavierUniform_').size === 0) return t;
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  const a = finite(opts.gain ?? 1, 'xavierUniform_', 'gain') * Math.sqrt(6 / (fanIn + fanOut));
  return fillUniform('xavierUniform_', t, -a, a, src);
}

/** Glorot normal: N(0, std^2) with std = gain * sqrt(2 / (fanIn + fanOut)). */
export function xavierNormal_(t: Tensor, opts: XavierOptions = {}): Tensor {
  const src = source(opts, 'xavierNormal_');
  if (checkTensor(t, 'xavierNormal_').size === 0) return t;
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  return fillNormal('xavierNormal_', t, 0, finite(opts.gain ?? 1, 'xavierNormal_', 'gain') * Math.sqrt(2 / (fanIn + fanOut)), src);
}

/** Options of {@link kaimingUniform_} and {@link kaimingNormal_}, with PyTorch's defaults. */
export interface KaimingOptions extends RandomSource {
  /** Negative slope of the leaky_relu that follows (default 0). */
  a?: number;
  /** 'fan_in' (default) preserves the forward variance, 'fan_out' the backward one. */
  mode?: FanMode;
  /** Default 'leaky_relu' (with slope `a`), as PyTorch. */
  nonlinearity?: Nonlinearity;
}

function kaimingStd(t: Tensor, opts: KaimingOptions, op: string): number {
  checkTensor(t, op);
  const fan = fanOf(t, opts.mode ?? 'fan_in', op);
  const gain = calculateGain(opts.nonlinearity ?? 'leaky_relu', opts.a ?? 0);
  return gain / Math.sqrt(fan);
}

/** He uniform: U(-bound, bound) with bound = gain * sqrt(3 / fan). An empty tensor is left as is. */
export function kaimingUniform_(t: Tensor, opts: KaimingOptions = {}): Tensor {
  const src = source(opts, 'kaimingUniform_');
  if (checkTensor(t, 'kaimingUniform_').size === 0) return t;
  const bound = Math.sqrt(3) * kaimingStd(t, opts, 'kaimingUniform_');
  return fillUniform('kaimingUniform_', t, -bound, bound, src);
}

/** He normal: N(0, std^2) with std = gain / sqrt(fan). An empty tensor is left as is. */
export function kaimingNormal_(t: Tensor, opts: KaimingOptions = {}): Tensor {
  const src = source(opts, 'kaimingNormal_');
  if (checkTensor(t, 'kaimingNormal_').size === 0) return t;
  return fillNormal('kaimingNormal_', t, 0, kaimingStd(t, opts, 'kaimingNormal_'), src);
}
