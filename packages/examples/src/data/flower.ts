import { Generator, tensor, type DType, type Tensor } from 'tapegrad';

export interface FlowerOptions {
  /** Number of examples m (split evenly between the two classes). Default 400. */
  m?: number;
  /** Seed of the tapegrad Generator that draws the noise. Default 1. */
  seed?: number;
  /** Angular frequency k of the rose r = a sin(k t), which has 2k petals. Default 4. */
  petals?: number;
  /** Maximum radius a. Default 4. */
  radius?: number;
  /** Standard deviation of the noise on angle and radius. Default 0.2. */
  noise?: number;
  dtype?: DType;
}

/** The planar data set in course notation: X of shape (2, m), Y of shape (1, m) with labels 0/1. */
export interface PlanarData {
  X: Tensor;
  Y: Tensor;
  /** The same points as plain arrays (for plotting): x1, x2 and the label of each example. */
  x1: Float64Array;
  x2: Float64Array;
  labels: Float64Array;
}

/**
 * The course's planar "flower": two interleaved classes on the petals of a rose curve
 * r = a sin(k t), which no straight line separates. Class j takes the angles t in
 * [j * pi, (j + 1) * pi), each with Gaussian noise on t and on r, and the point is
 * (r sin t, r cos t). Deterministic for a given seed.
 */
export function flowerData(opts: FlowerOptions = {}): PlanarData {
  const m = opts.m ?? 400;
  if (!Number.isInteger(m) || m < 2 || m % 2 !== 0) throw new RangeError(`flowerData: expected an even number of examples m >= 2, got ${m}`);
  const g = new Generator(opts.seed ?? 1);
  const k = opts.petals ?? 4, a = opts.radius ?? 4, noise = opts.noise ?? 0.2;
  const perClass = m / 2;
  const x1 = new Float64Array(m), x2 = new Float64Array(m), labels = new Float64Array(m);
  for (let j = 0; j < 2; j++) {
    for (let i = 0; i < perClass; i++) {
      const n = j * perClass + i;
      const base = perClass === 1 ? j * Math.PI : j * Math.PI + (i / (perClass - 1)) * Math.PI;
      const t = base + g.normal() * noise;
      const r = a * Math.sin(k * t) + g.normal() * noise;
      x1[n] = r * Math.sin(t);
      x2[n] = r * Math.cos(t);
      labels[n] = j;
    }
  }
  const dtype = opts.dtype ?? 'float32';
  const flat = new Float64Array(2 * m);
  flat.set(x1, 0);
  flat.set(x2, m);
  return {
    X: tensor(flat, { shape: [2, m] }).to(dtype),
    Y: tensor(labels, { shape: [1, m] }).to(dtype),
    x1, x2, labels,
  };
}
