import { dot, type Tensor } from '@tapegrad/tensor';

/**
 * The minimizer of the cubic that interpolates (x1, f1, g1) and (x2, f2, g2) (values and slopes),
 * clamped to `bounds` (default: between x1 and x2); the midpoint when the cubic has no minimum.
 */
export function cubicInterpolate(x1: number, f1: number, g1: number, x2: number, f2: number, g2: number, bounds?: [number, number]): number {
  const [lo, hi] = bounds ?? (x1 <= x2 ? [x1, x2] : [x2, x1]);
  const d1 = g1 + g2 - (3 * (f1 - f2)) / (x1 - x2);
  const d2sq = d1 * d1 - g1 * g2;
  if (d2sq < 0) return (lo + hi) / 2;
  const d2 = Math.sqrt(d2sq);
  const x = x1 <= x2 ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2)) : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
  return Math.min(Math.max(x, lo), hi);
}

export interface LineSearchResult {
  f: number;
  g: Tensor;
  t: number;
  evals: number;
}

/** One point of the search: step, loss, gradient, directional derivative. */
interface Point { t: number; f: number; g: Tensor; gtd: number }

/**
 * A line search along `d` from the current point (loss f, gradient g, slope gtd = g.d < 0) for a
 * step t satisfying the strong Wolfe conditions, f(t) <= f + c1 t gtd and |g(t).d| <= c2 |gtd|
 * (c1 = 1e-4, c2 = 0.9): first bracketing by extrapolation, then zooming in by cubic interpolation
 * (minFunc's algorithm, as PyTorch's LBFGS uses it). `evaluate(t)` returns the loss and gradient at
 * step t. At most `maxLs` evaluations.
 */
export function strongWolfe(
  evaluate: (t: number) => [number, Tensor], t0: number, d: Tensor, f: number, g: Tensor, gtd: number, toleranceChange: number,
  c1 = 1e-4, c2 = 0.9, maxLs = 25,
): LineSearchResult {
  const dNorm = d.abs().max().item();
  const at = (t: number): Point => {
    const [fn, gn] = evaluate(t);
    return { t, f: fn, g: gn, gtd: dot(gn, d).item() };
  };
  let t = t0;
  let cur = at(t);
  let evals = 1;
  let prev: Point = { t: 0, f, g, gtd };
  let bracket: Point[] | null = null;
  let done = false;
  let iter = 0;
  // Phase 1: find an interval that contains a point satisfying the conditions.
  while (iter < maxLs) {
    if (cur.f > f + c1 * t * gtd || (iter > 1 && cur.f >= prev.f)) {
      bracket = [prev, cur];
      break;
    }
    if (Math.abs(cur.gtd) <= -c2 * gtd) {
      bracket = [cur];
      done = true;
      break;
    }
    if (cur.gtd >= 0) {
      bracket = [prev, cur];
      break;
    }
    const next = cubicInterpolate(prev.t, prev.f, prev.gtd, t, cur.f, cur.gtd, [t + 0.01 * (t - prev.t), t * 10]);
    prev = cur;
    t = next;
    cur = at(t);
    evals++;
    iter++;
  }
  if (iter === maxLs || bracket === null) bracket = [{ t: 0, f, g, gtd }, cur];
  if (bracket.length === 1) return { f: bracket[0]!.f, g: bracket[0]!.g, t: bracket[0]!.t, evals };
  // Phase 2: zoom into the bracket until a point satisfies the conditions.
  let insufficient = false;
  let [low, high] = bracket[0]!.f <= bracket[1]!.f ? [0, 1] : [1, 0];
  while (!done && iter < maxLs) {
    const [a, b] = [bracket[0]!, bracket[1]!];
    if (Math.abs(b.t - a.t) * dNorm < toleranceChange) break;
    t = cubicInterpolate(a.t, a.f, a.gtd, b.t, b.f, b.gtd);
    const tMax = Math.max(a.t, b.t);
    const tMin = Math.min(a.t, b.t);
    const eps = 0.1 * (tMax - tMin);
    if (Math.min(tMax - t, t - tMin) < eps) {
      // Too close to an end of the bracket: move away from it, unless the last step made progress.
      if (insufficient || t >= tMax || t <= tMin) {
        t = Math.abs(t - tMax) < Math.abs(t - tMin) ? tMax - eps : tMin + eps;
        insufficient = false;
      } else {
        insufficient = true;
      }
    } else {
      insufficient = false;
    }
    const p = at(t);
    evals++;
    iter++;
    if (p.f > f + c1 * t * gtd || p.f >= bracket[low]!.f) {
      bracket[high] = p;
      [low, high] = bracket[0]!.f <= bracket[1]!.f ? [0, 1] : [1, 0];
    } else {
      if (Math.abs(p.gtd) <= -c2 * gtd) done = true;
      else if (p.gtd * (bracket[high]!.t - bracket[low]!.t) >= 0) bracket[high] = bracket[low]!;
      bracket[low] = p;
    }
  }
  const best = bracket[low]!;
  return { f: best.f, g: best.g, t: best.t, evals };
}
