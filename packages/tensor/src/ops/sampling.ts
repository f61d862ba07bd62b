import { checkDType, isFloat, promoteTypes, type DType } from '../dtype.js';
import { ShapeError } from '../errors.js';
import { RANDOM_KEYS, floatSamples, pickGenerator, rand, randn, type Generator, type RandomOptions } from '../random.js';
import { checkFlag, checkOptions } from '../validate.js';
import { broadcastShapes, checkInt, checkShape, checkSize, describe, fmtShape, sameShape } from '../shape.js';
import { Tensor, physicalOf } from '../tensor.js';
import { add, mul } from './elementwise.js';
import { asTensor, type Operand } from './operand.js';
import { defineMethods, type AsMethods } from '../methods.js';

/** Options of `multinomial`: a seed or generator, and whether to draw with replacement. */
export interface MultinomialOptions extends Pick<RandomOptions, 'seed' | 'generator'> {
  /** Draw with replacement (a category can come up again); default false. */
  replacement?: boolean;
}

/**
 * The first category whose running total of weights exceeds u (u in [0, total)); past the end
 * through rounding, the last category with weight.
 */
function draw(w: Float64Array, u: number): number {
  let acc = 0;
  let last = -1;
  for (let i = 0; i < w.length; i++) {
    if (w[i]! === 0) continue;
    acc += w[i]!;
    last = i;
    if (u < acc) return i;
  }
  return last;
}

/**
 * Category indices drawn from the (unnormalized, non-negative) weights in each row of `probs`
 * (1-D: one distribution; 2-D: one per row): int32 [numSamples] or [rows, numSamples]. Without
 * replacement each category comes up at most once (drawn in turn, each time from the weights left).
 * Seeded like `rand`: the same seed gives the same draws in Node and in browsers.
 */
export function multinomial(probs: Tensor, numSamples: number, options: MultinomialOptions = {}): Tensor {
  const p = asTensor(probs, 'multinomial');
  const opts = checkOptions<MultinomialOptions>(options, 'multinomial', ['replacement', 'generator', 'seed']);
  if (p.ndim !== 1 && p.ndim !== 2) throw new ShapeError(`multinomial: expected 1-D or 2-D probabilities, got ${fmtShape(p.shape)}`);
  checkInt(numSamples, 'multinomial', 'numSamples', 1);
  const replacement = checkFlag(opts.replacement, 'multinomial', 'replacement', false);
  const rows = p.ndim === 1 ? 1 : p.shape[0]!;
  checkSize([rows, numSamples], 'multinomial');
  const n = p.shape[p.ndim - 1]!;
  if (!replacement && numSamples > n) {
    throw new RangeError(`multinomial: cannot draw ${numSamples} samples without replacement from ${n} categories`);
  }
  const values = p.data();
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!(v >= 0 && v < Infinity)) throw new RangeError(`multinomial: expected finite non-negative weights, got ${describe(v)}`);
  }
  const g = pickGenerator(opts, 'multinomial', ['replacement', 'generator', 'seed']);
  const out = Tensor.empty(p.ndim === 1 ? [numSamples] : [rows, numSamples], 'int32');
  for (let r = 0; r < rows; r++) {
    const w = Float64Array.from(values.subarray(r * n, (r + 1) * n));
    let positive = 0;
    for (let i = 0; i < n; i++) if (w[i]! > 0) positive++;
    if (positive === 0) throw new RangeError(`multinomial: the weights of row ${r} are all zero`);
    if (!replacement && numSamples > positive) {
      throw new RangeError(`multinomial: cannot draw ${numSamples} samples without replacement from ${positive} categories with non-zero weight (row ${r})`);
    }
    let total = 0;
    for (let i = 0; i < n; i++) total += w[i]!;
    for (let s = 0; s < numSamples; s++) {
      const k = draw(w, g.random() * total);
      out.buf[r * numSamples + s] = k;
      if (!replacement) {
        w[k] = 0;
        total = 0;
        for (let i = 0; i < n; i++) total += w[i]!;
      }
    }
  }
  return out;
}

/**
 * 1 with probability p, else 0, for each element of `p` (probabilities in [0, 1]); the result has
 * p's shape and dtype (float32 for integer p, or `opts.dtype`). Not differentiable.
 */
export function bernoulli(p: Operand, options: RandomOptions = {}): Tensor {
  const t = asTensor(p, 'bernoulli');
  const opts = checkOptions<RandomOptions>(options, 'bernoulli', RANDOM_KEYS);
  const dtype = opts.dtype === undefined ? (isFloat(t.dtype) ? t.dtype : 'float32') : checkDType(opts.dtype, 'bernoulli');
  const probs = t.data();
  for (let i = 0; i < probs.length; i++) {
    if (!(probs[i]! >= 0 && probs[i]! <= 1)) throw new RangeError(`bernoulli: expected probabilities in [0, 1], got ${describe(probs[i])}`);
  }
  const g: Generator = pickGenerator(opts, 'bernoulli', ['seed', 'generator', 'dtype', 'requiresGrad']);
  const out = Tensor.empty(t.shape, dtype);
  for (let i = 0; i < probs.length; i++) out.buf[i] = g.random() < probs[i]! ? 1 : 0;
  if (opts.requiresGrad) out.requiresGrad_(true);
  return out;
}

/**
 * Normal samples with the given mean and standard deviation (numbers or tensors, broadcast), of
 * `shape` (the broadcast shape of mean and std when omitted): mean + std * z with z from `randn`.
 * Tensor means and standard deviations get gradients through that expression (reparameterization).
 */
export function normal(mean: Operand, std: Operand, shape?: readonly number[] | null, options: RandomOptions = {}): Tensor {
  const m = asTensor(mean, 'normal');
  const opts = checkOptions<RandomOptions>(options, 'normal', RANDOM_KEYS);
  const s = asTensor(std, 'normal');
  // Inside vmap every batch element's deviations are checked at once.
  const sd = physicalOf(s).data();
  for (let i = 0; i < sd.length; i++) {
    if (!(sd[i]! >= 0)) throw new RangeError(`normal: expected a non-negative standard deviation, got ${describe(sd[i])}`);
  }
  const both = broadcastShapes('normal', m.shape, s.shape);
  const dims = shape === undefined || shape === null ? both.slice() : checkShape(shape, 'normal');
  if (!sameShape(broadcastShapes('normal', both, dims), dims)) {
    throw new ShapeError(`normal: mean ${fmtShape(m.shape)} and std ${fmtShape(s.shape)} do not broadcast to the shape ${fmtShape(dims)}`);
  }
  const tensors = [mean, std].filter((x): x is Tensor => x instanceof Tensor && isFloat(x.dtype));
  const fallback: DType = tensors.reduce<DType>((d, t) => promoteTypes(d, t.dtype), 'float32');
  const dtype = opts.dtype === undefined ? fallback : checkDType(opts.dtype, 'normal');
  const z = floatSamples('normal', 'normal', dims, { ...opts, dtype, requiresGrad: false });
  // Plain numbers stay numbers, so they never round through float32 next to float64 samples.
  const out = add(mul(z, std instanceof Tensor ? s : (std as number)), mean instanceof Tensor ? m : (mean as number));
  if (opts.requiresGrad) out.requiresGrad_(true);
  return out;
}

function likeDType(t: Tensor, opts: RandomOptions, op: string): DType {
  if (opts.dtype !== undefined) return checkDType(opts.dtype, op);
  if (!isFloat(t.dtype)) throw new TypeError(`${op}: cannot sample floats like a tensor of dtype ${t.dtype}; pass opts.dtype`);
  return t.dtype;
}

/** Uniform samples in [0, 1) with the shape (and float dtype) of `t`. */
export function randLike(t: Tensor, opts: RandomOptions = {}): Tensor {
  const x = asTensor(t, 'randLike');
  const o = checkOptions<RandomOptions>(opts, 'randLike', RANDOM_KEYS);
  return floatSamples('randLike', 'uniform', x.shape, { ...o, dtype: likeDType(x, o, 'randLike') });
}

/** Standard normal samples with the shape (and float dtype) of `t`. */
export function randnLike(t: Tensor, opts: RandomOptions = {}): Tensor {
  const x = asTensor(t, 'randnLike');
  const o = checkOptions<RandomOptions>(opts, 'randnLike', RANDOM_KEYS);
  return floatSamples('randnLike', 'normal', x.shape, { ...o, dtype: likeDType(x, o, 'randnLike') });
}

/** The ops of this file that are also `Tensor` methods (`probs.multinomial(n)`, `p.bernoulli()`). */
const METHODS = { multinomial, bernoulli };
defineMethods(METHODS);

declare module '../tensor.js' {
  interface Tensor extends AsMethods<typeof METHODS> {}
}
