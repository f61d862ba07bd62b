/**
 * fast-check arbitraries for the op table: shapes (single, NumPy-broadcastable pairs and triples,
 * fixed choices) and input values drawn from a row's domain, away from its kinks, with exact zeros,
 * integer ties or pairwise-distinct values when the row asks for them.
 *
 * Values come from a fast-check-drawn 32-bit seed fed to a small local PRNG: every case is
 * reproducible from fast-check's seed, and a case with hundreds of elements stays cheap to draw.
 */
import fc from 'fast-check';
import type { Domain, InputSpec, OpRow, ShapeSpec } from './op-table.js';

/** Concrete inputs for one row: a shape and row-major values per input. */
export interface OpCase {
  shapes: number[][];
  values: number[][];
}

/** A shape of rank in [minRank, maxRank] with every dim in [minDim, maxDim]. */
export function shapeArb(minRank: number, maxRank: number, minDim = 1, maxDim = 3): fc.Arbitrary<number[]> {
  return fc.array(fc.integer({ min: minDim, max: maxDim }), { minLength: minRank, maxLength: maxRank });
}

/**
 * `count` shapes that broadcast together (NumPy rules): each is a suffix of one base shape with
 * some dims set to 1, so pairs like [2,3] / [3], [2,1,3] / [4,3] and scalars [] all occur.
 */
export function broadcastableShapes(count: number, maxRank = 3, maxDim = 3): fc.Arbitrary<number[][]> {
  return shapeArb(0, maxRank, 1, maxDim).chain((base) => {
    const one = fc
      .tuple(fc.integer({ min: 0, max: base.length }), fc.array(fc.boolean(), { minLength: base.length, maxLength: base.length }))
      .map(([rank, ones]) => base.slice(base.length - rank).map((d, i) => (ones[base.length - rank + i] ? 1 : d)));
    return fc.array(one, { minLength: count, maxLength: count });
  });
}

/** A pair of broadcastable shapes. */
export const broadcastablePair = (maxRank = 3): fc.Arbitrary<number[][]> => broadcastableShapes(2, maxRank);
/** A triple of broadcastable shapes. */
export const broadcastableTriple = (maxRank = 3): fc.Arbitrary<number[][]> => broadcastableShapes(3, maxRank);

/** The shapes of a row's inputs, following its shape spec. */
export function shapesArb(spec: ShapeSpec, arity: number): fc.Arbitrary<number[][]> {
  switch (spec.kind) {
    case 'broadcast':
      return broadcastableShapes(arity, spec.maxRank ?? 3);
    case 'rank':
      return shapeArb(spec.min, spec.max, spec.minDim ?? 1, spec.maxDim ?? 3).map((s) => Array.from({ length: arity }, () => s.slice()));
    case 'fixed':
      return fc.constantFrom(...spec.options).map((o) => o.map((s) => s.slice()));
  }
}

/** mulberry32: a tiny deterministic PRNG, uniform in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

function nearKink(v: number, d: Domain): boolean {
  const m = d.margin ?? 0.05;
  return (d.avoid ?? []).some((k) => Math.abs(v - k) < m);
}

/** One value in the domain, pushed out of the `margin` band around each kink. */
function drawValue(d: Domain, r: () => number): number {
  let v = d.lo + r() * (d.hi - d.lo);
  if (d.integers) return Math.round(v);
  for (const k of d.avoid ?? []) {
    const m = d.margin ?? 0.05;
    if (Math.abs(v - k) < m) v = v >= k ? k + m : k - m;
  }
  return v;
}

/** n values in the domain away from its kinks; `zeros` of them (at random places) exactly 0. */
export function drawValues(d: Domain, n: number, r: () => number): number[] {
  const out = Array.from({ length: n }, () => drawValue(d, r));
  const zeros = Math.min(d.zeros ?? 0, n);
  if (zeros > 0) {
    const order = out.map((_, i) => [r(), i] as const).sort((a, b) => a[0] - b[0]);
    for (let z = 0; z < zeros; z++) out[order[z]![1]] = 0;
  }
  return out;
}

/**
 * Values for several float inputs that are pairwise distinct across all of them (no ties for
 * max/min, maximum/minimum, pooling or clamp against tensor bounds): each value is a different
 * point of one grid over the union of the domains, jittered by at most a quarter of the grid step,
 * so any two values differ by at least half a step.
 */
export function drawDistinct(domains: readonly Domain[], counts: readonly number[], r: () => number): number[][] {
  const total = counts.reduce((a, b) => a + b, 0);
  const lo = Math.min(...domains.map((d) => d.lo));
  const hi = Math.max(...domains.map((d) => d.hi));
  const points = 8 * total + 8;
  const step = (hi - lo) / points;
  const priority = Array.from({ length: points }, () => r());
  const used = new Set<number>();
  return domains.map((d, i) => {
    const candidates: number[] = [];
    for (let k = 0; k < points; k++) {
      const p = lo + (k + 0.5) * step;
      if (p >= d.lo && p <= d.hi && !used.has(k) && !nearKink(p, { ...d, margin: (d.margin ?? 0.05) + step })) candidates.push(k);
    }
    if (candidates.length < counts[i]!) throw new RangeError(`drawDistinct: domain [${d.lo}, ${d.hi}] is too narrow for ${counts[i]} distinct values`);
    candidates.sort((a, b) => priority[a]! - priority[b]!);
    return candidates.slice(0, counts[i]).map((k) => {
      used.add(k);
      return lo + (k + 0.5 + (r() - 0.5) * 0.5) * step;
    });
  });
}

/** Values for every input of a row, given the input shapes. */
export function drawInputs(row: OpRow, shapes: readonly number[][], seed: number): number[][] {
  const r = prng(seed);
  const specs = row.inputs;
  const floats = specs.map((s, i) => (s.kind === 'float' ? i : -1)).filter((i) => i >= 0);
  const distinct = row.distinct
    ? drawDistinct(floats.map((i) => (specs[i] as Extract<InputSpec, { kind: 'float' }>).domain), floats.map((i) => size(shapes[i]!)), r)
    : null;
  return specs.map((s, i) => {
    const n = size(shapes[i]!);
    switch (s.kind) {
      case 'float':
        return distinct ? distinct[floats.indexOf(i)]! : drawValues(s.domain, n, r);
      case 'index':
        return Array.from({ length: n }, () => Math.floor(r() * s.high));
      case 'mask':
        return Array.from({ length: n }, () => (r() < 0.5 ? 1 : 0));
    }
  });
}

/** Values in a domain, away from its kinks, as a fast-check arbitrary. */
export function valuesIn(d: Domain, n: number): fc.Arbitrary<number[]> {
  return fc.integer({ min: 0, max: 0x7fffffff }).map((seed) => drawValues(d, n, prng(seed)));
}

/** A complete random case for a row: shapes from its spec, values from its input domains. */
export function caseArb(row: OpRow): fc.Arbitrary<OpCase> {
  return fc
    .tuple(shapesArb(row.shapes, row.inputs.length), fc.integer({ min: 0, max: 0x7fffffff }))
    .map(([shapes, seed]) => ({ shapes, values: drawInputs(row, shapes, seed) }));
}
