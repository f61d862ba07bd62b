import { Generator, ShapeError, Tensor, zeros } from '@tapegrad/tensor';
import { checkElementCount, checkSeed, describe } from '@tapegrad/tensor/internal';
import { parameter } from '../module.js';

/** Options every layer with weights accepts: where its initial values come from and their dtype. */
export interface LayerInitOptions {
  /** Draw initial weights from this stream. */
  generator?: Generator;
  /** Draw initial weights from a fresh `new Generator(seed)`: the same seed gives the same layer. */
  seed?: number;
  /** Parameter dtype (default float32). */
  dtype?: 'float32' | 'float64';
}

/** The stream a layer initializes from: opts.generator, a fresh one from opts.seed, or the default (undefined). */
export function initSource(opts: LayerInitOptions, layer = 'layer options'): { generator?: Generator } {
  if (opts === null || typeof opts !== 'object') throw new TypeError(`${layer}: expected an options object, got ${describe(opts)}`);
  if (opts.generator !== undefined) {
    if (!(opts.generator instanceof Generator)) throw new TypeError(`${layer}: generator must be a Generator, got ${describe(opts.generator)}`);
    if (opts.seed !== undefined) throw new TypeError(`${layer}: pass either seed or generator, not both`);
    return { generator: opts.generator };
  }
  return opts.seed !== undefined ? { generator: new Generator(checkSeed(opts.seed, layer, 'the seed')) } : {};
}

/** A layer's parameter dtype option: float32 (the default) or float64. */
function layerDType(opts: LayerInitOptions, layer: string): 'float32' | 'float64' {
  const dtype = opts.dtype ?? 'float32';
  if (dtype !== 'float32' && dtype !== 'float64') throw new TypeError(`${layer}: dtype must be 'float32' or 'float64', got ${describe(dtype)}`);
  return dtype;
}

/** A fresh zero parameter of `shape` in the layer's dtype. */
export function newParameter(shape: number[], opts: LayerInitOptions, layer = 'layer options'): Tensor {
  if (opts === null || typeof opts !== 'object') throw new TypeError(`${layer}: expected an options object, got ${describe(opts)}`);
  const dtype = layerDType(opts, layer);
  checkElementCount(shape, layer);
  return parameter(zeros(shape, { dtype }));
}

/** Validates a size argument: a positive integer (or >= 0 when `allowZero`). */
export function checkSize(v: unknown, layer: string, what: string, allowZero = false): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < (allowZero ? 0 : 1)) {
    throw new RangeError(`${layer}: expected ${what} to be a ${allowZero ? 'non-negative' : 'positive'} integer, got ${describe(v)}`);
  }
  return v;
}

export { fmtShape } from '@tapegrad/tensor/internal';

/**
 * Options for the sublayers of a composite layer: a `seed` becomes one generator that every sublayer
 * draws from in turn (rather than each restarting the same stream). The dtype is checked here, so a
 * bad one is an error naming the composite, not the sublayer it is handed to.
 */
export function sharedInit<O extends LayerInitOptions>(opts: O, layer = 'layer options'): O {
  const out: O = { ...opts, ...initSource(opts, layer) };
  layerDType(opts, layer);
  delete out.seed;
  return out;
}

/**
 * A layer's tensor argument, checked under the layer's name before anything reads it: every built-in
 * layer's `forward` (and so `call`) starts with this, so junk is a TypeError naming the layer.
 */
export function layerInput(layer: object | string, x: unknown, what = 'input'): Tensor {
  if (x instanceof Tensor) return x;
  throw new TypeError(`${typeof layer === 'string' ? layer : layer.constructor.name}: expected ${what} to be a Tensor, got ${describe(x)}`);
}

/** A layer's options argument: undefined (the defaults) or an object; anything else is a TypeError naming the layer. */
export function layerOptions<T extends object>(opts: T | undefined, layer: string): T {
  if (opts === undefined) return {} as T;
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts) || opts instanceof Tensor) throw new TypeError(`${layer}: expected an options object, got ${describe(opts)}`);
  return opts;
}

/** A dropout probability option: a number in [0, 1]. */
export function checkProbability(layer: string, p: unknown): number {
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new RangeError(`${layer}: expected a dropout probability in [0, 1], got ${describe(p)}`);
  return p;
}
