import { Generator, Tensor, mul, randn, sum, tensor } from '@tapegrad/tensor';
import { withGradMode } from '@tapegrad/tensor/internal';
import { gradients } from './transforms.js';

/** Options of {@link checkGrad}: the difference step and the tolerances (defaults eps 1e-6, atol 1e-5, rtol 1e-3). */
export interface CheckGradOptions {
  /** Central-difference step (default 1e-6; use float64 inputs). */
  eps?: number;
  atol?: number;
  rtol?: number;
  /** Seed of the random cotangent used for non-scalar outputs. */
  seed?: number;
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
  maxRelError: number;
  /** The element that failed worst (largest |analytic - numeric| - tolerance). */
  worst?: { input: number; index: number; analytic: number; numeric: number };
}

/**
 * Compares reverse-mode gradients of `f(...inputs)` with central differences, element by element.
 * A non-scalar output is reduced through a random cotangent u (the check is then on J^T u).
 * An element passes when |analytic - numeric| <= atol + rtol * |numeric|.
 */
export function checkGrad(f: (...xs: Tensor[]) => Tensor, inputs: Tensor[], opts: CheckGradOptions = {}): CheckGradResult {
  const eps = opts.eps ?? 1e-6;
  const atol = opts.atol ?? 1e-5;
  const rtol = opts.rtol ?? 1e-3;
  // Private contiguous copies that we can perturb in place.
  const xs = inputs.map((x) => tensor(x.data(), { shape: x.shape.slice(), dtype: x.dtype }).requiresGrad_(true));
  const out = withGradMode(true, () => f(...xs));
  const u = out.size === 1 ? null : randn(out.shape, { generator: new Generator(opts.seed ?? 0), dtype: out.dtype });
  const scalarOf = (y: Tensor): number => (u === null ? sum(y).item() : sum(mul(y, u)).item());
  const seed = u ?? tensor(1, { dtype: out.dtype }).reshape(out.shape);
  const analytic = gradients([out], xs, [seed], false);

  let maxAbsError = 0;
  let maxRelError = 0;
  let worst: CheckGradResult['worst'];
  let worstExcess = -Infinity;
  withGradMode(false, () => {
    xs.forEach((x, i) => {
      const a = analytic[i]!.data();
      const buf = x.buf;
      for (let j = 0; j < buf.length; j++) {
        const orig = buf[j]!;
        buf[j] = orig + eps;
        const plus = scalarOf(f(...xs));
        buf[j] = orig - eps;
        const minus = scalarOf(f(...xs));
        buf[j] = orig;
        const numeric = (plus - minus) / (2 * eps);
        const err = Math.abs(a[j]! - numeric);
        maxAbsError = Math.max(maxAbsError, err);
        maxRelError = Math.max(maxRelError, err / Math.max(Math.abs(numeric), 1e-300));
        const excess = err - (atol + rtol * Math.abs(numeric));
        if (excess > worstExcess || Number.isNaN(err)) {
          worstExcess = Number.isNaN(err) ? Infinity : excess;
          worst = { input: i, index: j, analytic: a[j]!, numeric };
        }
      }
    });
  });
  const result: CheckGradResult = { ok: worstExcess <= 0, maxAbsError, maxRelError };
  if (worst !== undefined) result.worst = worst;
  return result;
}
