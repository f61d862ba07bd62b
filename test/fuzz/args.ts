/**
 * Argument arbitraries for the bad-input fuzz suite: well-formed arguments of each kind (tensors
 * of every dtype and layout, shapes with 0 and 0-d, axes, flags, option bags) and a pool of junk
 * that any argument may be replaced with. Sizes stay small, or go far past the element limit:
 * nothing in between, so no case can allocate gigabytes that are legal.
 */
import fc from 'fast-check';
import { Tensor, tensor, type DType } from '@tapegrad/tensor';
import { prng } from '../arbitraries.js';

export const DTYPES: readonly DType[] = ['float32', 'float64', 'int32', 'bool'];

const cyclic: unknown[] = [];
cyclic.push(cyclic);
let deep: unknown = [1];
for (let i = 0; i < 1000; i++) deep = [deep];

/** Junk: values of the wrong kind, numbers outside every domain, shapes past the limits, cyclic and deep arrays. */
export const JUNK: readonly unknown[] = [
  cyclic, deep,
  undefined, null, NaN, Infinity, -Infinity, -1, 0, 1, 2.5, -0.5, 1e12, -1e12, 65536,
  '3', 'a', '', 'float16', true, false, 1n, Symbol('junk'), {}, [], [NaN], [2.5], ['3'], [-1], [1e12], [65536, 65536], [[1]],
  [0, 'a'], () => 1, new Float32Array(2), new Int16Array(2), new Map(), Object.create(null), { valueOf: () => 3 },
  new Date(0), /re/, new Error('e'), { shape: [2], dtype: 'float32' },
];

export const junkArb: fc.Arbitrary<unknown> = fc.constantFrom(...JUNK);

/** How a generated tensor is laid out in storage: the fuzzed op must not care. */
export type Layout = 'contiguous' | 'transposed' | 'strided' | 'expanded' | 'offset';

export interface TensorSpec {
  shape: number[];
  dtype: DType;
  layout: Layout;
  seed: number;
  requiresGrad: boolean;
  /** Mix NaN, infinities and signed zeros into float values. */
  special: boolean;
}

/** Values on a coarse grid (exact in float32), so reference arithmetic agrees to the last bit where it can. */
function values(dtype: DType, n: number, seed: number, special: boolean): number[] {
  const r = prng(seed);
  const SPECIAL = [NaN, Infinity, -Infinity, -0, 0];
  return Array.from({ length: n }, () => {
    if (dtype === 'bool') return r() < 0.5 ? 1 : 0;
    if (dtype === 'int32') return Math.floor(r() * 11) - 5;
    if (special && r() < 0.15) return SPECIAL[Math.floor(r() * SPECIAL.length)]!;
    return (Math.floor(r() * 25) - 12) / 4;
  });
}

const ARRAY: Record<DType, new (n: number) => Float32Array | Float64Array | Int32Array | Uint8Array> = {
  float32: Float32Array, float64: Float64Array, int32: Int32Array, bool: Uint8Array,
};

/** Storage of `dtype` holding `v`. */
function typed(dtype: DType, v: readonly number[]): Float32Array | Float64Array | Int32Array | Uint8Array {
  const a = new ARRAY[dtype](v.length);
  a.set(v);
  return a;
}

/** Builds the tensor a spec describes, with junk in every storage slot the view does not cover. */
export function makeTensor(s: TensorSpec): Tensor {
  const n = s.shape.reduce((a, b) => a * b, 1);
  const v = values(s.dtype, n, s.seed, s.special);
  let t: Tensor;
  const filler = s.dtype === 'bool' ? 1 : s.dtype === 'int32' ? 777 : NaN;
  if (s.layout === 'transposed' && s.shape.length >= 2) {
    // Stored with the last two dims swapped, viewed back through a transpose.
    const sh = s.shape.slice();
    [sh[sh.length - 1], sh[sh.length - 2]] = [sh[sh.length - 2]!, sh[sh.length - 1]!];
    t = tensor(typed(s.dtype, v), { shape: sh, dtype: s.dtype }).transpose(-1, -2);
  } else if (s.layout === 'strided' || s.layout === 'offset') {
    // Every element two slots apart (or one slot in), gaps holding junk.
    const step = s.layout === 'strided' ? 2 : 1;
    const off = s.layout === 'offset' ? 3 : 0;
    const buf = new ARRAY[s.dtype](Math.max(n * step + off, 1)).fill(filler);
    v.forEach((x, i) => (buf[off + i * step] = x));
    const strides = s.shape.map((_, d) => step * s.shape.slice(d + 1).reduce((a, b) => a * b, 1));
    t = new Tensor(buf, s.shape.slice(), strides, off, s.dtype);
  } else if (s.layout === 'expanded' && s.shape.length >= 1 && s.shape[0]! > 0) {
    // One row broadcast along the first dim (stride 0).
    const row = s.shape.slice(1);
    const m = row.reduce((a, b) => a * b, 1);
    t = tensor(typed(s.dtype, v.slice(0, m)), { shape: [1, ...row], dtype: s.dtype }).expand(s.shape);
  } else {
    t = tensor(typed(s.dtype, v), { shape: s.shape.slice(), dtype: s.dtype });
  }
  if (s.requiresGrad && (s.dtype === 'float32' || s.dtype === 'float64')) t = t.isLeaf ? t.requiresGrad_(true) : t;
  return t;
}

export interface TensorOptions {
  shape?: fc.Arbitrary<number[]>;
  dtypes?: readonly DType[];
  /** Never require grad (for arguments that are constants, like indices). */
  noGrad?: boolean;
}

/** A shape of rank minRank..maxRank, dims 0..maxDim (a 0 now and then). */
export function shapeArb(minRank = 0, maxRank = 3, maxDim = 3, minDim = 0): fc.Arbitrary<number[]> {
  return fc.array(fc.oneof({ weight: 6, arbitrary: fc.integer({ min: Math.max(minDim, 1), max: maxDim }) }, { weight: 1, arbitrary: fc.integer({ min: minDim, max: minDim }) }), {
    minLength: minRank, maxLength: maxRank,
  });
}

export function specArb(o: TensorOptions = {}): fc.Arbitrary<TensorSpec> {
  return fc.record({
    shape: o.shape ?? shapeArb(),
    dtype: fc.constantFrom(...(o.dtypes ?? DTYPES)),
    layout: fc.constantFrom<Layout>('contiguous', 'contiguous', 'transposed', 'strided', 'expanded', 'offset'),
    seed: fc.integer({ min: 0, max: 0x7fffffff }),
    requiresGrad: o.noGrad ? fc.constant(false) : fc.boolean(),
    special: fc.boolean(),
  });
}

/** A well-formed tensor argument. */
export const tensorArb = (o: TensorOptions = {}): fc.Arbitrary<Tensor> => specArb(o).map(makeTensor);

/** Float tensors only. */
export const floatTensorArb = (o: TensorOptions = {}): fc.Arbitrary<Tensor> => tensorArb({ dtypes: ['float32', 'float64'], ...o });

/** A plain JS scalar operand. */
export const scalarArb: fc.Arbitrary<number | boolean> = fc.oneof(
  fc.constantFrom(0, 1, -2, 0.5, 3, true, false),
  fc.integer({ min: -4, max: 4 }),
);

/** A tensor or a scalar: what elementwise ops take. */
export const operandArb = (o: TensorOptions = {}): fc.Arbitrary<Tensor | number | boolean> => fc.oneof({ weight: 4, arbitrary: tensorArb(o) }, { weight: 1, arbitrary: scalarArb });

/** An axis, in range or not, for a tensor of rank up to 3. */
export const axisArb: fc.Arbitrary<number> = fc.integer({ min: -4, max: 3 });
/** An axis argument as reductions take it: omitted, one axis, or a list. */
export const axesArb: fc.Arbitrary<number | number[] | undefined> = fc.oneof(fc.constant(undefined), axisArb, fc.array(axisArb, { maxLength: 3 }));
export const flagArb: fc.Arbitrary<boolean | undefined> = fc.constantFrom(true, false, undefined);
export const dtypeArb: fc.Arbitrary<DType> = fc.constantFrom(...DTYPES);

/** Creation options: a dtype, requiresGrad, or nothing. */
export const createOptsArb: fc.Arbitrary<Record<string, unknown> | undefined> = fc.oneof(
  fc.constant(undefined),
  fc.record({ dtype: dtypeArb }, { requiredKeys: [] }),
  fc.record({ dtype: dtypeArb, requiresGrad: fc.boolean() }, { requiredKeys: [] }),
);

/** Shapes that broadcast together (NumPy rules), dims 0..3. */
export function broadcastShapesArb(count: number, maxRank = 3): fc.Arbitrary<number[][]> {
  return shapeArb(0, maxRank).chain((base) => {
    const one = fc
      .tuple(fc.integer({ min: 0, max: base.length }), fc.array(fc.boolean(), { minLength: base.length, maxLength: base.length }))
      .map(([rank, ones]) => base.slice(base.length - rank).map((d, i) => (ones[base.length - rank + i] ? 1 : d)));
    return fc.array(one, { minLength: count, maxLength: count });
  });
}

/** `count` tensors whose shapes broadcast together. */
export function broadcastTensors(count: number, o: TensorOptions = {}): fc.Arbitrary<Tensor[]> {
  return broadcastShapesArb(count).chain((shapes) => fc.tuple(...shapes.map((s) => tensorArb({ ...o, shape: fc.constant(s) }))));
}

/** An int32 index tensor of `shape` with entries in [-n, n) (negative ones count from the end). */
export function indexArb(shape: number[], n: number): fc.Arbitrary<Tensor> {
  const count = shape.reduce((a, b) => a * b, 1);
  return fc.array(fc.integer({ min: -Math.max(n, 1), max: Math.max(n - 1, 0) }), { minLength: count, maxLength: count })
    .map((v) => tensor(Int32Array.from(v), { shape, dtype: 'int32' }));
}
