import type { DType } from './dtype.js';

type None = Record<string, never>;
/** Attributes of a reduction primitive. */
export interface ReduceAttrs { axes: number[]; keepdims: boolean }
/** How `scatter` combines the values landing on one place: replace (`none`) or reduce. */
export type ScatterReduce = 'none' | 'sum' | 'prod' | 'mean' | 'amax' | 'amin';
/** Attributes of the `scatter` primitive (inputs: self, index, src). */
export interface ScatterAttrs { axis: number; reduce: ScatterReduce; includeSelf: boolean }
/** Attributes shared by the 2-D sliding-window primitives. */
export interface WindowAttrs {
  kernel: [number, number];
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
}
/** Attributes of a running scan along one axis (from the last element backwards when `reverse`). */
export interface ScanAttrs { axis: number; reverse: boolean }
/** Attributes of a fused op along one axis (softmax and its kin). */
export interface AxisAttrs { axis: number }
/** Attributes of the fused GELU primitives: the tanh approximation, or the exact erf form. */
export interface GeluAttrs { tanh: boolean }
/** Attributes of the fused layer normalization: over the trailing `dims` dims, variance + `eps`. */
export interface LayerNormAttrs { dims: number; eps: number }
/** Attributes of axpy: the scale of its second operand. */
export interface AxpyAttrs { alpha: number }
/** Attributes of a sort along one axis. */
export interface SortAttrs { axis: number; descending: boolean }

/**
 * How a primitive computes, which decides the generic parts of its handling:
 * - `unary`: one float (or sign-like) input, same shape out; elementwise.
 * - `binary`: two inputs already broadcast to one shape by a recorded `expand`; elementwise.
 * - `compare`: like binary, bool out, not differentiable.
 * - `convert`: elementwise copy, possibly to another dtype.
 * - `select`: where(cond, a, b), all broadcast to one shape.
 * - `reduce`: over `axes`, keeping them as size 1 with `keepdims`.
 * - `view`: no kernel; the output shares the input's storage (strides may be negative: `slice` steps backwards).
 * - `movement`: copies elements to new places.
 * - `window`: 2-D sliding windows (unfold/fold).
 * - `linalg`: batched matrix operations over the last two dims.
 * - `scan`: running results along one axis, same shape out (cumulative sums, products, ...).
 * - `sort`: int32 positions that order each slice along one axis.
 * - `fused`: a chain of elementwise and reduction steps computed in one pass over each slice (softmax,
 *   GELU, layer normalization, and the derivatives their VJPs need), same shape out.
 */
export type Family =
  | 'unary' | 'binary' | 'compare' | 'convert' | 'select' | 'reduce' | 'view' | 'movement' | 'window' | 'linalg' | 'scan' | 'sort' | 'fused';

/** One primitive's declaration: its family, and (as a type only) the attributes its tape nodes carry. */
export interface PrimitiveDecl<F extends Family, A> {
  readonly family: F;
  /** Never set: carries the attributes' type. */
  readonly attrs?: A;
}

const decl = <A = None>() => <F extends Family>(family: F): PrimitiveDecl<F, A> => ({ family });
const unary = decl()('unary');
const binary = decl()('binary');
const compare = decl()('compare');
const reduce = decl<ReduceAttrs>()('reduce');
const scan = decl<ScanAttrs>()('scan');
const scanArg = decl<{ axis: number }>()('scan');

/**
 * The closed set of primitives, each declared once. Every public op is one of these or a composite
 * of public ops, so these are the only ops with kernels (every backend) and rules (autograd).
 * Everything per-primitive derives from this table: `Primitive`, `PrimitiveAttrs`, the family
 * unions below, `PRIMITIVES`, and the types of the kernel and rule tables, so the compiler names
 * every place a new entry must reach.
 */
export const PRIMITIVE_TABLE = {
  neg: unary, abs: unary, sign: unary, exp: unary, log: unary, log1p: unary, sqrt: unary,
  sin: unary, cos: unary, tanh: unary, sigmoid: unary, relu: unary, erf: unary,
  floor: unary, ceil: unary, round: unary, trunc: unary, asin: unary, acos: unary, atan: unary, sinh: unary, cosh: unary,
  asinh: unary, acosh: unary, atanh: unary, erfc: unary, expm1: unary, log2: unary, log10: unary,
  cast: decl<{ dtype: DType }>()('convert'),
  copy: decl()('convert'),
  add: binary, sub: binary, mul: binary, div: binary, pow: binary, maximum: binary, minimum: binary,
  atan2: binary, fmod: binary, remainder: binary, hypot: binary,
  eq: compare, ne: compare, lt: compare, le: compare, gt: compare, ge: compare,
  where: decl()('select'),
  sum: reduce, prod: reduce, max: reduce, min: reduce, argmax: reduce, argmin: reduce,
  reshape: decl<{ shape: number[] }>()('view'),
  permute: decl<{ dims: number[] }>()('view'),
  expand: decl<{ shape: number[] }>()('view'),
  slice: decl<{ starts: number[]; steps: number[]; inputShape: number[] }>()('view'),
  diagonal: decl<{ offset: number; axis1: number; axis2: number }>()('view'),
  pad: decl<{ shape: number[]; starts: number[]; steps: number[]; value: number }>()('movement'),
  concat: decl<{ axis: number }>()('movement'),
  gather: decl<{ axis: number }>()('movement'),
  scatterAdd: decl<{ axis: number; shape: number[] }>()('movement'),
  scatter: decl<ScatterAttrs>()('movement'),
  unfold2d: decl<WindowAttrs & { padValue: number }>()('window'),
  fold2d: decl<WindowAttrs & { outputSize: [number, number] }>()('window'),
  /**
   * int32 [N, C, OH*OW]: for each window of x [N, C, H, W], the flat position iy*W + ix in its
   * plane of the window's maximum (the first in window order at ties; a NaN, once seen, wins;
   * padding never does). Max-pooling gathers its values from these.
   */
  maxPool2dIndices: decl<WindowAttrs>()('window'),
  matmul: decl()('linalg'),
  // Factorizations with several results pack them into one output (a tape node has one output);
  // the public functions in ops/linalg/ return views of it. Layouts, for A of shape [..., m, n]:
  solve: decl()('linalg'), // [A [..., n, n], B [..., n, k]] -> X [..., n, k]
  slogdet: decl()('linalg'), // -> [..., 2]: [sign, log|det|]
  cholesky: decl()('linalg'), // -> L [..., n, n], lower
  qr: decl()('linalg'), // -> [..., m + k, n], k = min(m, n): Q in rows :m, cols :k; R in rows m:
  eigh: decl()('linalg'), // -> [..., n + 1, n]: eigenvalues in row 0, eigenvectors (columns) in rows 1:
  svd: decl<{ computeUV: boolean }>()('linalg'), // -> [..., m + 1 + k, n]: U in rows :m, cols :k; S in row m, cols :k; Vh in rows m+1:
  //    (computeUV false: S only, [..., k])
  cumsum: scan, cumprod: scan, logcumsumexp: scan,
  /** int32 position of the running maximum (the latest one at ties; a NaN, once seen, wins). */
  cumargmax: scanArg,
  cumargmin: scanArg,
  /** int32 positions that sort each slice (stable; NaN sorts as the largest value). */
  argsort: decl<SortAttrs>()('sort'),
  // Fused primitives (same shape out). Inputs: x for the forward ones; [y, g] (the forward's output
  // and a cotangent) or [x, g] for the derivative ones, which their forwards' VJPs call.
  /** exp(x - max) / sum(exp(x - max)) along `axis`. */
  softmax: decl<AxisAttrs>()('fused'),
  /** (x - m) - log(sum(exp(x - m))) along `axis`, m the maximum if finite, else 0 (as logsumexp). */
  logSoftmax: decl<AxisAttrs>()('fused'),
  /** [y, g] -> y (g - sum(g y)) along `axis`: softmax's VJP, y its output. */
  softmaxBackward: decl<AxisAttrs>()('fused'),
  /** [y, g] -> g - exp(y) sum(g) along `axis`: logSoftmax's VJP, y its output. */
  logSoftmaxBackward: decl<AxisAttrs>()('fused'),
  /** x Phi(x) (exact, through erf) or its tanh approximation. */
  gelu: decl<GeluAttrs>()('fused'),
  /** [x, g] -> g gelu'(x). */
  geluBackward: decl<GeluAttrs>()('fused'),
  /** (x - mean) / sqrt(var + eps) over the trailing `dims` dims (biased variance). */
  layerNorm: decl<LayerNormAttrs>()('fused'),
  /** [x, g] -> layerNorm's VJP: r (g - mean(g) - xhat mean(g xhat)), r = 1 / sqrt(var + eps), xhat = layerNorm(x). */
  layerNormBackward: decl<LayerNormAttrs>()('fused'),
  /** [x, y] -> x + alpha y, of one shape and float dtype: an optimizer's update in one pass. */
  axpy: decl<AxpyAttrs>()('fused'),
  /** [y, g] -> g (1 - y^2): tanh's VJP, y its output. */
  tanhBackward: decl()('fused'),
  /** [y, g] -> g y (1 - y): sigmoid's VJP, y its output. */
  sigmoidBackward: decl()('fused'),
  /** [x, g] -> g where x > 0, else 0: relu's VJP, x its input. */
  reluBackward: decl()('fused'),
} as const;

type Table = typeof PRIMITIVE_TABLE;
/**
 * The name of every primitive: the closed set of ops that have a kernel (or are views) and a VJP rule; every
 * other op is a composite of them. A tape node's `op` is one of these.
 */
export type Primitive = keyof Table;
/** Each primitive's node attributes. */
export type PrimitiveAttrs = { [P in Primitive]: Table[P] extends PrimitiveDecl<Family, infer A> ? A : never };
/** The primitives of one family. */
export type PrimitiveOf<F extends Family> = { [P in Primitive]: Table[P]['family'] extends F ? P : never }[Primitive];
/**
 * The primitives that only re-stride their input (reshape, permute, expand, slice, diagonal, ...): they share
 * storage and have no kernel.
 */
export type ViewPrimitive = PrimitiveOf<'view'>;
/** The primitives that compute into new storage: each needs a kernel in every {@link Backend}. */
export type KernelPrimitive = Exclude<Primitive, ViewPrimitive>;
export type UnaryPrimitive = PrimitiveOf<'unary'>;
export type BinaryPrimitive = PrimitiveOf<'binary'>;
export type ComparePrimitive = PrimitiveOf<'compare'>;
export type ReducePrimitive = PrimitiveOf<'reduce'>;
export type ScanPrimitive = PrimitiveOf<'scan'>;
export type FusedPrimitive = PrimitiveOf<'fused'>;

/** Every primitive's name, for tables that must cover them all. */
export const PRIMITIVES = Object.keys(PRIMITIVE_TABLE) as Primitive[];

/** The family a primitive belongs to. */
export function familyOf(p: Primitive): Family {
  return PRIMITIVE_TABLE[p].family;
}
