import type { DType } from './dtype.js';

type None = Record<string, never>;
/** Attributes of a reduction primitive. */
export interface ReduceAttrs { axes: number[]; keepdims: boolean }
/** Attributes shared by the 2-D sliding-window primitives. */
export interface WindowAttrs {
  kernel: [number, number];
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
}

/**
 * The closed set of primitives. Every public op is one of these or a composite of public ops,
 * so these are the only ops with kernels (backend) and VJP rules (autograd).
 * Each entry maps the primitive's name to the attributes its tape node carries.
 */
export interface PrimitiveAttrs {
  // unary elementwise
  neg: None; abs: None; sign: None; exp: None; log: None; log1p: None; sqrt: None;
  sin: None; cos: None; tanh: None; sigmoid: None; relu: None; erf: None;
  cast: { dtype: DType };
  copy: None;
  // binary elementwise (operands already broadcast to one shape by `expand`)
  add: None; sub: None; mul: None; div: None; pow: None; maximum: None; minimum: None;
  eq: None; ne: None; lt: None; le: None; gt: None; ge: None;
  where: None;
  // reductions
  sum: ReduceAttrs; prod: ReduceAttrs; max: ReduceAttrs; min: ReduceAttrs; argmax: ReduceAttrs; argmin: ReduceAttrs;
  // views: no kernel, the output shares storage
  reshape: { shape: number[] };
  permute: { dims: number[] };
  expand: { shape: number[] };
  slice: { starts: number[]; steps: number[]; inputShape: number[] };
  // movement that copies
  pad: { shape: number[]; starts: number[]; steps: number[]; value: number };
  concat: { axis: number };
  gather: { axis: number };
  scatterAdd: { axis: number; shape: number[] };
  unfold2d: WindowAttrs & { padValue: number };
  fold2d: WindowAttrs & { outputSize: [number, number] };
  // linear algebra (batched, batch dims already broadcast)
  matmul: None;
}

export type Primitive = keyof PrimitiveAttrs;
export type ViewPrimitive = 'reshape' | 'permute' | 'expand' | 'slice';
export type KernelPrimitive = Exclude<Primitive, ViewPrimitive>;
export type UnaryPrimitive = 'neg' | 'abs' | 'sign' | 'exp' | 'log' | 'log1p' | 'sqrt' | 'sin' | 'cos' | 'tanh' | 'sigmoid' | 'relu' | 'erf';
export type BinaryPrimitive = 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum';
export type ComparePrimitive = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';
export type ReducePrimitive = 'sum' | 'prod' | 'max' | 'min' | 'argmax' | 'argmin';

const ALL: { [P in Primitive]: true } = {
  neg: true, abs: true, sign: true, exp: true, log: true, log1p: true, sqrt: true, sin: true, cos: true,
  tanh: true, sigmoid: true, relu: true, erf: true, cast: true, copy: true,
  add: true, sub: true, mul: true, div: true, pow: true, maximum: true, minimum: true,
  eq: true, ne: true, lt: true, le: true, gt: true, ge: true, where: true,
  sum: true, prod: true, max: true, min: true, argmax: true, argmin: true,
  reshape: true, permute: true, expand: true, slice: true,
  pad: true, concat: true, gather: true, scatterAdd: true, unfold2d: true, fold2d: true, matmul: true,
};

/** Every primitive's name, for tables that must cover them all. */
export const PRIMITIVES = Object.keys(ALL) as Primitive[];
