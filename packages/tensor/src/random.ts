import { checkDType, type DType } from './dtype.js';
import { exactCosSin2Pi, exactLog } from './exact-math.js';
import { checkShape } from './shape.js';
import { Tensor } from './tensor.js';

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
    if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > Number.MAX_SAFE_INTEGER) {
      throw new RangeError(`Generator: expected a seed that is a non-negative safe integer, got ${String(seed)}`);
    }
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
  defaultGenerator = new Generator(seed);
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

/** The generator a call draws from: `opts.generator`, a fresh one for `opts.seed`, else the default stream. */
export function pickGenerator(opts: RandomOptions): Generator {
  if (opts.generator !== undefined) {
    if (!(opts.generator instanceof Generator)) throw new TypeError('random: opts.generator must be a Generator');
    return opts.generator;
  }
  return opts.seed !== undefined ? new Generator(opts.seed) : defaultGenerator;
}

function fill(op: string, shape: readonly number[], opts: RandomOptions, fallback: DType, sample: (g: Generator) => number): Tensor {
  const dims = checkShape(shape, op);
  const dtype = opts.dtype === undefined ? fallback : checkDType(opts.dtype, op);
  const g = pickGenerator(opts);
  const t = Tensor.empty(dims, dtype);
  const buf = t.buf;
  for (let i = 0; i < buf.length; i++) buf[i] = sample(g);
  if (opts.requiresGrad) t.requiresGrad_(true);
  return t;
}

/** Uniform samples in [0, 1). */
export function rand(shape: readonly number[], opts: RandomOptions = {}): Tensor {
  return fill('rand', shape, opts, 'float32', (g) => g.random());
}

/** Standard normal samples (Box-Muller). */
export function randn(shape: readonly number[], opts: RandomOptions = {}): Tensor {
  return fill('randn', shape, opts, 'float32', (g) => g.normal());
}

/** Uniform integers in [low, high), int32 unless another dtype is asked for. */
export function randint(low: number, high: number, shape: readonly number[], opts: RandomOptions = {}): Tensor {
  if (!Number.isInteger(low) || !Number.isInteger(high) || high <= low) {
    throw new RangeError(`randint: expected integers low < high, got ${low} and ${high}`);
  }
  const span = high - low;
  return fill('randint', shape, opts, 'int32', (g) => low + Math.floor(g.random() * span));
}

/**
 * A random permutation of 0..n-1 (int32 unless another dtype is asked for), by Fisher-Yates: for
 * i = n-1 down to 1, swap element i with element floor(u (i + 1)), u uniform from the generator.
 */
export function randperm(n: number, opts: RandomOptions = {}): Tensor {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
    throw new RangeError(`randperm: expected a non-negative integer n, got ${String(n)}`);
  }
  const dtype = opts.dtype === undefined ? 'int32' : checkDType(opts.dtype, 'randperm');
  const g = pickGenerator(opts);
  const t = Tensor.empty([n], dtype);
  const p = t.buf;
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(g.random() * (i + 1));
    const v = p[i]!;
    p[i] = p[j]!;
    p[j] = v;
  }
  return t;
}
