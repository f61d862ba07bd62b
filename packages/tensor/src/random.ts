import { finish } from './creation.js';
import { checkDType, isFloat, toStored, type DType } from './dtype.js';
import { exactCosSin2Pi, exactLog } from './exact-math.js';
import { checkShape, describe } from './shape.js';
import { Tensor } from './tensor.js';
import { checkFlag, checkInteger, checkOptions } from './validate.js';

/** Validates a seed: a non-negative safe integer (named by the function the user called). */
export function checkSeed(seed: unknown, op: string, what = 'a seed'): number {
  return checkInteger(seed, op, what, 0, Number.MAX_SAFE_INTEGER);
}

/**
 * An independent stream of random numbers: xoshiro128** (32-bit integer arithmetic only, so a seed
 * gives the same numbers in Node and in every browser), seeded through splitmix32.
 * Uniform floats use 53 random bits; normal samples use the Box-Muller transform
 * (z0 = sqrt(-2 ln u1) cos(2 pi u2), z1 = sqrt(-2 ln u1) sin(2 pi u2), both used in turn), with log,
 * sin and cos computed from exactly rounded arithmetic (exact-math.ts) so every engine agrees bit for bit.
 */
export class Generator {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private spare: number | null = null;

  constructor(seed: number) {
    checkSeed(seed, 'Generator');
    let state = (seed >>> 0) ^ Math.imul(Math.floor(seed / 4294967296) | 0, 0x27d4eb2d);
    const next = (): number => {
      state = (state + 0x9e3779b9) | 0;
      let z = state;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const s1 = this.s1;
    const r = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return r;
  }

  /** A uniform float in [0, 1) with 53 random bits. */
  random(): number {
    const hi = this.nextUint32() >>> 5;
    const lo = this.nextUint32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** A standard normal sample (Box-Muller). */
  normal(): number {
    if (this.spare !== null) {
      const z = this.spare;
      this.spare = null;
      return z;
    }
    const u1 = 1 - this.random(); // (0, 1]: log stays finite
    const u2 = this.random();
    const r = Math.sqrt(-2 * exactLog(u1));
    const [c, s] = exactCosSin2Pi(u2);
    this.spare = r * s;
    return r * c;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

const DEFAULT_SEED = 67280421;
let defaultGenerator = new Generator(DEFAULT_SEED);

/** Reseeds the default generator: the same seed gives the same numbers, in Node and in the browser. */
export function manualSeed(seed: number): void {
  defaultGenerator = new Generator(checkSeed(seed, 'manualSeed'));
}

/**
 * Options of the random functions: `seed` (a one-off stream for this call) or `generator` (an independent
 * stream); without either, the default stream that `manualSeed` resets. Also the result's `dtype` and
 * `requiresGrad`.
 */
export interface RandomOptions {
  /** A one-off seed for this call (a fresh generator). */
  seed?: number;
  /** An independent stream; the default generator otherwise. */
  generator?: Generator;
  dtype?: DType;
  requiresGrad?: boolean;
}

export const RANDOM_KEYS = ['seed', 'generator', 'dtype', 'requiresGrad'];

/** Validates the options of a random function; returns them with the generator to draw from. */
function pick(opts: unknown, op: string, keys: readonly string[] = RANDOM_KEYS): [RandomOptions, Generator] {
  const o = checkOptions<RandomOptions>(opts, op, keys);
  checkFlag(o.requiresGrad, op, 'requiresGrad', false);
  if (o.generator !== undefined) {
    if (!(o.generator instanceof Generator)) throw new TypeError(`${op}: expected opts.generator to be a Generator, got ${describe(o.generator)}`);
    if (o.seed !== undefined) throw new TypeError(`${op}: pass either opts.seed or opts.generator, not both`);
    return [o, o.generator];
  }
  return [o, o.seed !== undefined ? new Generator(checkSeed(o.seed, op, 'opts.seed')) : defaultGenerator];
}

/** The generator an op that draws random numbers (dropout) should use, its options validated under its name. */
export function pickGenerator(opts: unknown, op: string, keys: readonly string[]): Generator {
  return pick(opts, op, keys)[1];
}

function fill(op: string, shape: unknown, opts: unknown, fallback: DType, sample: (g: Generator) => number, check?: (d: DType) => void): Tensor {
  const dims = checkShape(shape, op);
  const [o, g] = pick(opts, op);
  const dtype = o.dtype === undefined ? fallback : checkDType(o.dtype, op);
  check?.(dtype);
  const t = Tensor.empty(dims, dtype, op);
  const buf = t.buf;
  if (isFloat(dtype)) for (let i = 0; i < buf.length; i++) buf[i] = sample(g);
  else for (let i = 0; i < buf.length; i++) buf[i] = toStored(sample(g), dtype, op);
  return finish(t, o.requiresGrad, op);
}

/** rand and randn draw floats: an integer or bool dtype is refused, as PyTorch refuses it. */
const floatOnly = (op: string) => (d: DType): void => {
  if (!isFloat(d)) throw new TypeError(`${op}: draws floating-point numbers; expected dtype float32 or float64, got ${d} (use randint for integers)`);
};

/** Uniform samples in [0, 1). */
export function rand(shape: readonly number[], opts: RandomOptions = {}): Tensor {
  return floatSamples('rand', 'uniform', shape, opts);
}

/** Uniform or standard normal float samples for the op named `op` (rand, randn, randLike, normal), errors naming it. */
export function floatSamples(op: string, kind: 'uniform' | 'normal', shape: unknown, opts: unknown): Tensor {
  return fill(op, shape, opts, 'float32', kind === 'uniform' ? (g) => g.random() : (g) => g.normal(), floatOnly(op));
}

/** Standard normal samples (Box-Muller). */
export function randn(shape: readonly number[], opts: RandomOptions = {}): Tensor {
  return floatSamples('randn', 'normal', shape, opts);
}

/** The integers a dtype holds exactly: what randint and randperm may produce in it. */
const EXACT: Record<DType, [number, number]> = {
  bool: [0, 1], int32: [-2147483648, 2147483647], float32: [-(2 ** 24), 2 ** 24], float64: [-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

/**
 * Uniform integers in [low, high), int32 unless another dtype is asked for. Both bounds must be
 * integers whose range the dtype holds exactly (PyTorch's rule), so nothing wraps or rounds.
 */
export function randint(low: number, high: number, shape: readonly number[], opts: RandomOptions = {}): Tensor {
  checkInteger(low, 'randint', 'low');
  checkInteger(high, 'randint', 'high');
  if (high <= low) throw new RangeError(`randint: expected low < high, got ${low} and ${high}`);
  const span = high - low;
  return fill('randint', shape, opts, 'int32', (g) => low + Math.floor(g.random() * span), (d) => {
    const [lo, hi] = EXACT[d];
    if (low < lo || high - 1 > hi) throw new RangeError(`randint: [${low}, ${high}) does not fit dtype ${d}, which holds the integers ${lo}..${hi} exactly`);
  });
}

/**
 * A random permutation of 0..n-1 (int32 unless another dtype is asked for), by Fisher-Yates: for
 * i = n-1 down to 1, swap element i with element floor(u (i + 1)), u uniform from the generator.
 */
export function randperm(n: number, opts: RandomOptions = {}): Tensor {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
    throw new RangeError(`randperm: expected a non-negative integer n, got ${describe(n)}`);
  }
  const [o, g] = pick(opts, 'randperm');
  const dtype = o.dtype === undefined ? 'int32' : checkDType(o.dtype, 'randperm');
  if (dtype === 'bool') throw new TypeError('randperm: expected an int32, float32 or float64 dtype, got bool');
  if (n - 1 > EXACT[dtype][1]) throw new RangeError(`randperm: dtype ${dtype} cannot hold 0..${n - 1} exactly`);
  const t = Tensor.empty(checkShape([n], 'randperm'), dtype, 'randperm');
  const p = t.buf;
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(g.random() * (i + 1));
    const v = p[i]!;
    p[i] = p[j]!;
    p[j] = v;
  }
  return finish(t, o.requiresGrad, 'randperm');
}
