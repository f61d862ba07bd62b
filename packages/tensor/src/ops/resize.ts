import { tensor } from '../creation.js';
import type { DType } from '../dtype.js';
import { ShapeError } from '../errors.js';
import { describe, fmtShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { matmul } from './linalg.js';
import { transpose } from './movement.js';
import { asTensor } from './operand.js';
import { defineMethods, type AsMethods } from '../methods.js';
import { isFloat } from '../dtype.js';

/** How {@link interpolate} samples: 'nearest', 'linear' (for [N, C, L]) or 'bilinear' (for [N, C, H, W]). */
export type InterpolateMode = 'nearest' | 'linear' | 'bilinear';

/**
 * Options of {@link interpolate}: the output size (`size` or `scaleFactor`, exactly one), the `mode` and, for
 * the linear modes, `alignCorners`.
 */
export interface InterpolateOptions {
  /** The output's spatial size: one number for every spatial dim, or one per dim. */
  size?: number | readonly number[];
  /** Or a factor per spatial dim (the output is floor(input * factor)); the sampling uses 1 / factor, as PyTorch. */
  scaleFactor?: number | readonly number[];
  /** 'nearest' (default), 'linear' (3-D input) or 'bilinear' (4-D input). */
  mode?: InterpolateMode;
  /** Linear modes only: align the centres of the corner pixels (default false). */
  alignCorners?: boolean;
}

/**
 * The [m, n] matrix that resamples an axis of length n to length m (PyTorch's source indices and
 * weights; `factor` is the user's scale factor when one was given).
 */
function resampling(n: number, m: number, factor: number | undefined, mode: InterpolateMode, alignCorners: boolean, dtype: DType): Tensor {
  const a = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    if (m === n) {
      a[i * n + i] = 1;
    } else if (mode === 'nearest') {
      // PyTorch computes the nearest source index in float32 arithmetic; so does this.
      const scale = Math.fround(factor !== undefined ? 1 / factor : n / m);
      const src = m === 2 * n ? i >> 1 : Math.min(Math.floor(Math.fround(i * scale)), n - 1);
      a[i * n + src] = 1;
    } else {
      const scale = alignCorners ? (m > 1 ? (n - 1) / (m - 1) : 0) : factor !== undefined ? 1 / factor : n / m;
      const real = alignCorners ? scale * i : Math.max(scale * (i + 0.5) - 0.5, 0);
      const i0 = Math.min(Math.floor(Math.fround(real)), n - 1); // floorf, as PyTorch
      const l1 = Math.min(Math.max(real - i0, 0), 1);
      const i1 = i0 + (i0 < n - 1 ? 1 : 0);
      a[i * n + i0] += 1 - l1;
      a[i * n + i1] += l1;
    }
  }
  return tensor(a, { shape: [m, n], dtype });
}

function perDim(v: number | readonly number[], k: number, what: string, ok: (x: number) => boolean): number[] {
  const list = typeof v === 'number' ? Array.from({ length: k }, () => v) : v;
  if (!Array.isArray(list) || list.length !== k || !list.every((x) => typeof x === 'number' && ok(x))) {
    throw new RangeError(`interpolate: expected ${what} as one number or ${k} (one per spatial dim), got ${describe(v)}`);
  }
  return list.slice();
}

/**
 * Resizes the spatial dims of [N, C, L] or [N, C, H, W] (PyTorch's F.interpolate): `mode` 'nearest'
 * copies the nearest earlier sample (floor(i * in / out), PyTorch's 'nearest'), 'linear'/'bilinear'
 * interpolate linearly per dim, with `alignCorners` as PyTorch. Give `size` or `scaleFactor`.
 *
 * A composite: resampling is separable and linear, so each spatial dim is one matmul with a constant
 * [out, in] matrix of interpolation weights; gradients flow through those matmuls.
 *
 * @example
 * interpolate(x, { scaleFactor: 2, mode: 'bilinear', alignCorners: false }); // [N, C, 2H, 2W]
 */
export function interpolate(input: Tensor, opts: InterpolateOptions): Tensor {
  const x = asTensor(input, 'interpolate');
  if (typeof opts !== 'object' || opts === null) throw new TypeError(`interpolate: expected options { size } or { scaleFactor }, got ${describe(opts)}`);
  const mode = opts.mode ?? 'nearest';
  if (mode !== 'nearest' && mode !== 'linear' && mode !== 'bilinear') {
    throw new RangeError(`interpolate: mode must be 'nearest', 'linear' or 'bilinear', got ${describe(mode)}`);
  }
  const spatial = x.ndim - 2;
  const want = mode === 'linear' ? 1 : mode === 'bilinear' ? 2 : 0;
  if ((want === 0 && spatial !== 1 && spatial !== 2) || (want !== 0 && spatial !== want)) {
    const layouts = want === 1 ? '[N, C, L]' : want === 2 ? '[N, C, H, W]' : '[N, C, L] or [N, C, H, W]';
    throw new ShapeError(`interpolate: mode '${mode}' expects input ${layouts}, got ${fmtShape(x.shape)}`);
  }
  if (!isFloat(x.dtype)) throw new TypeError(`interpolate: expected a float32 or float64 input, got ${x.dtype}`);
  if (opts.alignCorners !== undefined && mode === 'nearest') {
    throw new RangeError("interpolate: alignCorners only applies to the 'linear' and 'bilinear' modes");
  }
  if ((opts.size === undefined) === (opts.scaleFactor === undefined)) {
    throw new TypeError('interpolate: give exactly one of size and scaleFactor');
  }
  const inSize = x.shape.slice(2);
  let outSize: number[];
  let factors: (number | undefined)[];
  if (opts.size !== undefined) {
    outSize = perDim(opts.size, spatial, 'size', (v) => Number.isInteger(v) && v >= 1);
    factors = outSize.map(() => undefined);
  } else {
    factors = perDim(opts.scaleFactor!, spatial, 'scaleFactor', (v) => Number.isFinite(v) && v > 0);
    outSize = inSize.map((n, d) => Math.floor(n * factors[d]!));
    if (outSize.some((m) => m < 1)) throw new ShapeError(`interpolate: scaleFactor [${factors.join(',')}] leaves no output for input ${fmtShape(x.shape)}`);
  }
  if (inSize.some((n) => n < 1)) throw new ShapeError(`interpolate: expected a non-empty spatial size, got input ${fmtShape(x.shape)}`);
  const align = opts.alignCorners ?? false;
  const mats = inSize.map((n, d) => resampling(n, outSize[d]!, factors[d], mode, align, x.dtype));
  // The last dim: x @ A^T; the one before it (2-D): A @ x.
  let y = matmul(x, transpose(mats[spatial - 1]!, 0, 1));
  if (spatial === 2) y = matmul(mats[0]!, y);
  return y;
}

/** The ops of this file that are also `Tensor` methods. */
const METHODS = { interpolate };
defineMethods(METHODS);

declare module '../tensor.js' {
  interface Tensor extends AsMethods<typeof METHODS> {}
}
