import { Generator, Tensor, add, mul, onesLike, randn, sum, tensor } from '@tapegrad/tensor';
import { withGradMode } from '@tapegrad/tensor/internal';
import { jvpAs } from './forward.js';
import { describeValue } from './levels.js';
import { vjpAs } from './transforms.js';
import { checkFunction, checkOptions, tensorOutputs } from './validate.js';

export type CheckMode = 'rev' | 'fwd';

/** Options of {@link checkGrad}: the difference step and the tolerances (defaults eps 1e-6, atol 1e-5, rtol 1e-3). */
export interface CheckGradOptions {
  /** Central-difference step (default 1e-6; use float64 inputs). A finite number > 0. */
  eps?: number;
  atol?: number;
  rtol?: number;
  /** Seed of the random cotangents (rev) and tangents (fwd). */
  seed?: number;
  /**
   * Highest derivative order to check (default 1). At order 2 the derivative functions themselves
   * (x -> J(x)^T u for 'rev', x -> J(x) v for 'fwd') are checked again, in every mode, and so on.
   */
  order?: number;
  /** Which modes to check: 'rev' (J^T u, reverse mode) and/or 'fwd' (J v, forward mode). Default ['rev']. */
  modes?: CheckMode[];
}

/**
 * What {@link checkGrad} found: `ok` when every element passed, the largest absolute and relative errors, and
 * the element closest to failing (which input, its flat index, both values).
 *
 * @example
 * const r = checkGrad((x) => sum(tanh(x)), [randn([3], { dtype: 'float64' })]);
 * if (!r.ok) console.log(r.worst);
 */
export interface CheckGradResult {
  ok: boolean;
  maxAbsError: number;
  /** The largest |analytic - numeric| / max(|analytic|, |numeric|, atol): at most 2, 0 when both agree. */
  maxRelError: number;
  /**
   * The element that failed worst (largest |analytic - numeric| - tolerance): in 'rev' mode an element
   * of the gradient of input `input`, in 'fwd' mode an element of the tangent of output `output`.
   */
  worst?: { mode: CheckMode; order: number; input?: number; output?: number; index: number; analytic: number; numeric: number };
}

type Fn = (...xs: Tensor[]) => Tensor | Tensor[];

/** Running error statistics over every compared element. */
class Comparison {
  maxAbsError = 0;
  maxRelError = 0;
  worstExcess = -Infinity;
  worst: CheckGradResult['worst'];
  constructor(readonly atol: number, readonly rtol: number) {}

  add(analytic: number, numeric: number, where: NonNullable<CheckGradResult['worst']>): void {
    const err = Math.abs(analytic - numeric);
    const scale = Math.max(Math.abs(analytic), Math.abs(numeric), this.atol);
    this.maxAbsError = Math.max(this.maxAbsError, err);
    this.maxRelError = Math.max(this.maxRelError, scale === 0 ? 0 : err / scale);
    const excess = Number.isNaN(err) ? Infinity : err - (this.atol + this.rtol * Math.abs(numeric));
    if (excess > this.worstExcess || this.worst === undefined) {
      this.worstExcess = excess;
      this.worst = where;
    }
  }
}

function checkNumber(v: unknown, op: string, name: string, ok: (x: number) => boolean, expected: string): void {
  if (v !== undefined && !(typeof v === 'number' && ok(v))) throw new RangeError(`${op}: expected ${name} to be ${expected}, got ${describeValue(v)}`);
}

/** Random tensors shaped like `like`, from one generator (ones for one-element tensors when `scalarsAsOne`). */
const randomLike = (like: readonly Tensor[], gen: Generator, scalarsAsOne: boolean): Tensor[] =>
  like.map((t) => (scalarsAsOne && t.size === 1 ? onesLike(t) : randn(t.shape, { generator: gen, dtype: t.dtype })));

/** The cotangent argument of a pullback: one tensor for a function returning one, else the array. */
const cotangentArg = (us: Tensor[], single: boolean): never => (single ? us[0] : us) as never;

/** The outputs of f as a list. */
const outputsOf = (f: Fn, xs: Tensor[]): Tensor[] => tensorOutputs(f(...xs), 'checkGrad', true).list;

/** Compares reverse mode (J^T u) with central differences of <f(x), u>, element by element of every input. */
function checkReverse(f: Fn, xs: Tensor[], us: Tensor[], single: boolean, eps: number, cmp: Comparison, order: number): void {
  const analytic = vjpAs('checkGrad', f, xs).vjp(cotangentArg(us, single));
  const scalar = (): number => withGradMode(false, () => outputsOf(f, xs).reduce((acc, y, k) => acc + sum(mul(y, us[k]!)).item(), 0));
  xs.forEach((x, i) => {
    const a = analytic[i]!.data();
    const buf = x.buf;
    for (let j = 0; j < buf.length; j++) {
      const orig = buf[j]!;
      buf[j] = orig + eps;
      const plus = scalar();
      buf[j] = orig - eps;
      const minus = scalar();
      buf[j] = orig;
      cmp.add(a[j]!, (plus - minus) / (2 * eps), { mode: 'rev', order, input: i, index: j, analytic: a[j]!, numeric: (plus - minus) / (2 * eps) });
    }
  });
}

/** Compares forward mode (J v) with central differences of f along v, element by element of every output. */
function checkForward(f: Fn, xs: Tensor[], vs: Tensor[], eps: number, cmp: Comparison, order: number): void {
  const { tangent } = jvpAs('checkGrad', f, xs, vs);
  const tangents = Array.isArray(tangent) ? tangent : [tangent];
  const along = (s: number): Tensor[] => withGradMode(false, () => outputsOf(f, xs.map((x, i) => add(x, mul(vs[i]!, s * eps)))));
  const plus = along(1);
  const minus = along(-1);
  tangents.forEach((t, k) => {
    const a = t.data();
    const p = plus[k]!.data();
    const m = minus[k]!.data();
    for (let j = 0; j < a.length; j++) {
      const numeric = (p[j]! - m[j]!) / (2 * eps);
      cmp.add(a[j]!, numeric, { mode: 'fwd', order, output: k, index: j, analytic: a[j]!, numeric });
    }
  });
}

function checkOrder(f: Fn, xs: Tensor[], order: number, at: number, modes: readonly CheckMode[], eps: number, gen: Generator, cmp: Comparison): void {
  const res = withGradMode(false, () => f(...xs));
  const single = !Array.isArray(res);
  const us = randomLike(tensorOutputs(res, 'checkGrad', true).list, gen, true);
  const vs = randomLike(xs, gen, false);
  for (const mode of modes) {
    if (mode === 'rev') checkReverse(f, xs, us, single, eps, cmp, at);
    else checkForward(f, xs, vs, eps, cmp, at);
  }
  if (at >= order) return;
  for (const mode of modes) {
    const derivative: Fn = mode === 'rev'
      ? (...ys) => vjpAs('checkGrad', f, ys).vjp(cotangentArg(us, single))
      : (...ys) => jvpAs('checkGrad', f, ys, vs).tangent;
    checkOrder(derivative, xs, order, at + 1, modes, eps, gen, cmp);
  }
}

/**
 * Compares the derivatives of `f(...inputs)` with central differences, element by element: in
 * reverse mode the gradient of <f(x), u> for a random cotangent u (1 for a one-element output), for
 * each input element; in
 * forward mode the tangent J v for a random direction v (for each output element); with `order` 2
 * or more, the derivative functions again (like JAX's check_grads). `f` may return a tensor or an
 * array of tensors. An element passes when |analytic - numeric| <= atol + rtol * |numeric|.
 */
export function checkGrad(f: Fn, inputs: Tensor[], opts: CheckGradOptions = {}): CheckGradResult {
  checkFunction(f, 'checkGrad');
  if (!Array.isArray(inputs)) throw new TypeError(`checkGrad: expected inputs as an array of tensors, got ${describeValue(inputs)}`);
  inputs.forEach((x, i) => {
    if (!(x instanceof Tensor) || (x.dtype !== 'float32' && x.dtype !== 'float64')) {
      throw new TypeError(`checkGrad: expected inputs[${i}] to be a float32/float64 tensor, got ${describeValue(x)}`);
    }
  });
  const o = checkOptions<CheckGradOptions>(opts, 'checkGrad', { eps: 'any', atol: 'any', rtol: 'any', seed: 'any', order: 'any', modes: 'any' });
  checkNumber(o.eps, 'checkGrad', 'eps', (v) => Number.isFinite(v) && v > 0, 'a finite number > 0');
  checkNumber(o.atol, 'checkGrad', 'atol', (v) => Number.isFinite(v) && v >= 0, 'a finite number >= 0');
  checkNumber(o.rtol, 'checkGrad', 'rtol', (v) => Number.isFinite(v) && v >= 0, 'a finite number >= 0');
  checkNumber(o.seed, 'checkGrad', 'seed', (v) => Number.isSafeInteger(v) && v >= 0, 'a non-negative integer');
  checkNumber(o.order, 'checkGrad', 'order', (v) => Number.isInteger(v) && v >= 1, 'an integer >= 1');
  const modes = o.modes ?? ['rev'];
  if (!Array.isArray(modes) || modes.length === 0 || modes.some((m) => m !== 'rev' && m !== 'fwd')) {
    throw new TypeError(`checkGrad: expected modes as a non-empty array of 'rev' and 'fwd', got ${describeValue(modes)}`);
  }
  const cmp = new Comparison(o.atol ?? 1e-5, o.rtol ?? 1e-3);
  // Private contiguous copies, perturbed in place.
  const xs = inputs.map((x) => tensor(x.data(), { shape: x.shape.slice(), dtype: x.dtype }));
  checkOrder(f, xs, o.order ?? 1, 1, modes, o.eps ?? 1e-6, new Generator(o.seed ?? 0), cmp);
  const result: CheckGradResult = { ok: cmp.worstExcess <= 0, maxAbsError: cmp.maxAbsError, maxRelError: cmp.maxRelError };
  if (cmp.worst !== undefined) result.worst = cmp.worst;
  return result;
}
