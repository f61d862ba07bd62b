import { allocate, checkDType, type DType, type TypedArray } from './dtype.js';
import { contiguousStrides, shapeSize } from './shape.js';
import type { TapeNode } from './tape.js';
import * as E from './ops/elementwise.js';
import * as R from './ops/reduce.js';
import * as M from './ops/movement.js';
import * as L from './ops/linalg.js';
import * as NN from './ops/nn.js';
import * as I from './ops/inplace.js';

let lastShape: readonly number[] = [];
let lastStrides: readonly number[] = [];

/** Nested JS arrays of numbers or booleans (a plain number or boolean for a 0-d tensor). */
export type NestedArray = number | boolean | NestedArray[];
type Operand = Tensor | number | boolean;
type Axis = number | number[];

/**
 * An n-dimensional array over typed-array storage, with shape, strides and offset (views share
 * storage). Operations on tensors that require grad are recorded on the tape: `node` is the op
 * that produced this tensor, null for leaves.
 */
export class Tensor {
  /** Storage, shared by views. Read it through `data()` unless writing a backend. */
  readonly buf: TypedArray;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
  readonly dtype: DType;
  /** Number of elements. */
  readonly size: number;
  /** Accumulated gradient of a leaf after `backward`. */
  grad: Tensor | null;
  /** Optional label, shown in graph exports (modules set their parameters' names). */
  name: string | undefined;
  private _node: TapeNode | null;
  private _requiresGrad: boolean;

  /** Low level: wraps storage without copying. Use `tensor()` and friends to create tensors. */
  constructor(buf: TypedArray, shape: readonly number[], strides: readonly number[], offset: number, dtype: DType) {
    this.buf = buf;
    this.shape = shape;
    this.strides = strides;
    this.offset = offset;
    this.dtype = dtype;
    this.size = shapeSize(shape);
    this.grad = null;
    this.name = undefined;
    this._node = null;
    this._requiresGrad = false;
  }

  /** A fresh contiguous tensor: zero-filled, or over storage from `alloc` (a backend's allocator). */
  static empty(shape: readonly number[], dtype: DType, alloc: (dtype: DType, size: number) => TypedArray = allocate): Tensor {
    // Chains of ops pass one shape array along; its (immutable) strides are computed once.
    if (shape !== lastShape) {
      lastShape = shape;
      lastStrides = contiguousStrides(shape);
    }
    return new Tensor(alloc(dtype, shapeSize(shape)), shape, lastStrides, 0, dtype);
  }

  get ndim(): number {
    return this.shape.length;
  }

  /** The tape node that produced this tensor (null for leaves and for anything computed without recording). */
  get node(): TapeNode | null {
    return this._node;
  }

  /** @internal Called by the tape's `record` only. */
  _setNode(node: TapeNode): void {
    this._node = node;
  }

  /** True for leaves marked with `requiresGrad_()` and for every recorded op output. */
  get requiresGrad(): boolean {
    return this._requiresGrad || this._node !== null;
  }

  set requiresGrad(flag: boolean) {
    this.requiresGrad_(flag);
  }

  /** A tensor with no recorded creator (user-created, detached, or computed without recording). */
  get isLeaf(): boolean {
    return this._node === null;
  }

  /** Marks a leaf as requiring grad (float dtypes only). Returns this. */
  requiresGrad_(flag = true): this {
    if (this._node !== null) {
      if (flag) return this;
      throw new TypeError('requiresGrad_: cannot change requiresGrad of a non-leaf tensor; use detach()');
    }
    if (flag && this.dtype !== 'float32' && this.dtype !== 'float64') {
      throw new TypeError(`requiresGrad_: only float32/float64 tensors can require grad, got ${this.dtype}`);
    }
    this._requiresGrad = flag;
    return this;
  }

  /** Same values and storage, off the tape. */
  detach(): Tensor {
    return new Tensor(this.buf, this.shape, this.strides, this.offset, this.dtype);
  }

  /** True when elements are laid out row-major without gaps from `offset`. */
  get isContiguous(): boolean {
    const cs = contiguousStrides(this.shape);
    for (let d = 0; d < cs.length; d++) if (this.shape[d] !== 1 && cs[d] !== this.strides[d]) return false;
    return true;
  }

  /** A contiguous copy of the elements in row-major order. */
  data(): TypedArray {
    if (this.isContiguous) return this.buf.slice(this.offset, this.offset + this.size);
    return M.contiguous(this.detach()).buf;
  }

  /** Nested JS arrays (booleans for bool tensors; a plain value for 0-d). */
  toArray(): NestedArray {
    const flat = this.data();
    const isBool = this.dtype === 'bool';
    const build = (dim: number, start: number): NestedArray => {
      if (dim === this.shape.length) return isBool ? flat[start] !== 0 : flat[start]!;
      const n = this.shape[dim]!;
      const step = shapeSize(this.shape.slice(dim + 1));
      const out: NestedArray[] = new Array(n);
      for (let i = 0; i < n; i++) out[i] = build(dim + 1, start + i * step);
      return out;
    };
    return build(0, 0);
  }

  /** The value of a one-element tensor (a boolean for bool tensors). */
  item(): number {
    if (this.size !== 1) {
      throw new RangeError(`item: only one-element tensors can be converted to a number, got shape [${this.shape.join(',')}] with ${this.size} elements`);
    }
    const v = this.buf[this.offset]!;
    return (this.dtype === 'bool' ? v !== 0 : v) as number;
  }

  toString(): string {
    return `Tensor(shape=[${this.shape.join(',')}], dtype=${this.dtype}${this.requiresGrad ? ', requiresGrad' : ''})`;
  }

  /** Converts to another dtype (recorded: gradients flow back through a float-to-float cast). */
  to(dtype: DType): Tensor {
    return E.cast(this, checkDType(dtype, 'to'));
  }

  /** A contiguous tensor with the same values (this one if already contiguous). */
  contiguous(): Tensor { return M.contiguous(this); }

  /** A copy with its own storage. */
  clone(): Tensor { return M.clone(this); }

  // elementwise
  add(b: Operand): Tensor { return E.add(this, b); }
  sub(b: Operand): Tensor { return E.sub(this, b); }
  mul(b: Operand): Tensor { return E.mul(this, b); }
  div(b: Operand): Tensor { return E.div(this, b); }
  pow(b: Operand): Tensor { return E.pow(this, b); }
  maximum(b: Operand): Tensor { return E.maximum(this, b); }
  minimum(b: Operand): Tensor { return E.minimum(this, b); }
  neg(): Tensor { return E.neg(this); }
  abs(): Tensor { return E.abs(this); }
  sign(): Tensor { return E.sign(this); }
  exp(): Tensor { return E.exp(this); }
  log(): Tensor { return E.log(this); }
  log1p(): Tensor { return E.log1p(this); }
  sqrt(): Tensor { return E.sqrt(this); }
  rsqrt(): Tensor { return E.rsqrt(this); }
  square(): Tensor { return E.square(this); }
  sin(): Tensor { return E.sin(this); }
  cos(): Tensor { return E.cos(this); }
  tanh(): Tensor { return E.tanh(this); }
  sigmoid(): Tensor { return E.sigmoid(this); }
  relu(): Tensor { return E.relu(this); }
  leakyRelu(alpha?: number): Tensor { return E.leakyRelu(this, alpha); }
  softplus(opts?: E.SoftplusOptions): Tensor { return E.softplus(this, opts); }
  elu(alpha?: number): Tensor { return E.elu(this, alpha); }
  gelu(opts?: E.GeluOptions): Tensor { return E.gelu(this, opts); }
  erf(): Tensor { return E.erf(this); }
  clamp(min?: Operand | null, max?: Operand | null): Tensor { return E.clamp(this, min, max); }
  eq(b: Operand): Tensor { return E.eq(this, b); }
  ne(b: Operand): Tensor { return E.ne(this, b); }
  lt(b: Operand): Tensor { return E.lt(this, b); }
  le(b: Operand): Tensor { return E.le(this, b); }
  gt(b: Operand): Tensor { return E.gt(this, b); }
  ge(b: Operand): Tensor { return E.ge(this, b); }

  // linear algebra
  matmul(b: Tensor): Tensor { return L.matmul(this, b); }
  dot(b: Tensor): Tensor { return L.dot(this, b); }
  outer(b: Tensor): Tensor { return L.outer(this, b); }
  transpose(dim0: number, dim1: number): Tensor { return M.transpose(this, dim0, dim1); }
  /** All dims reversed. */
  get T(): Tensor { return M.permute(this, this.shape.map((_, i) => this.shape.length - 1 - i)); }

  // reductions
  sum(axis?: Axis, keepdims?: boolean): Tensor { return R.sum(this, axis, keepdims); }
  mean(axis?: Axis, keepdims?: boolean): Tensor { return R.mean(this, axis, keepdims); }
  max(axis?: Axis, keepdims?: boolean): Tensor { return R.max(this, axis, keepdims); }
  min(axis?: Axis, keepdims?: boolean): Tensor { return R.min(this, axis, keepdims); }
  prod(axis?: Axis, keepdims?: boolean): Tensor { return R.prod(this, axis, keepdims); }
  var(axis?: Axis, keepdims?: boolean, opts?: R.VarOptions): Tensor { return R.variance(this, axis, keepdims, opts); }
  std(axis?: Axis, keepdims?: boolean, opts?: R.VarOptions): Tensor { return R.std(this, axis, keepdims, opts); }
  logsumexp(axis?: Axis, keepdims?: boolean): Tensor { return R.logsumexp(this, axis, keepdims); }
  argmax(axis?: number, keepdims?: boolean): Tensor { return R.argmax(this, axis, keepdims); }
  argmin(axis?: number, keepdims?: boolean): Tensor { return R.argmin(this, axis, keepdims); }
  norm(p?: number, axis?: Axis, keepdims?: boolean): Tensor { return R.norm(this, p, axis, keepdims); }

  // shape
  reshape(shape: readonly number[]): Tensor { return M.reshape(this, shape); }
  flatten(startDim?: number, endDim?: number): Tensor { return M.flatten(this, startDim, endDim); }
  squeeze(axis?: Axis): Tensor { return M.squeeze(this, axis); }
  unsqueeze(axis: number): Tensor { return M.unsqueeze(this, axis); }
  expand(shape: readonly number[]): Tensor { return M.expand(this, shape); }
  broadcastTo(shape: readonly number[]): Tensor { return M.broadcastTo(this, shape); }
  permute(dims: readonly number[]): Tensor { return M.permute(this, dims); }
  split(sizeOrSizes: number | number[], axis?: number): Tensor[] { return M.split(this, sizeOrSizes, axis); }
  slice(starts: readonly number[], ends: readonly number[], steps?: readonly number[]): Tensor { return M.slice(this, starts, ends, steps); }
  gather(axis: number, index: Tensor): Tensor { return M.gather(this, axis, index); }
  pad(widths: readonly number[], value?: number): Tensor { return M.pad(this, widths, value); }

  // neural
  softmax(axis: number): Tensor { return NN.softmax(this, axis); }
  logSoftmax(axis: number): Tensor { return NN.logSoftmax(this, axis); }
  conv1d(weight: Tensor, bias?: Tensor | null, opts?: NN.Conv1dOptions): Tensor { return NN.conv1d(this, weight, bias, opts); }
  conv2d(weight: Tensor, bias?: Tensor | null, opts?: NN.Conv2dOptions): Tensor { return NN.conv2d(this, weight, bias, opts); }
  maxPool2d(kernel: number | [number, number], opts?: NN.Pool2dOptions): Tensor { return NN.maxPool2d(this, kernel, opts); }
  avgPool2d(kernel: number | [number, number], opts?: NN.Pool2dOptions): Tensor { return NN.avgPool2d(this, kernel, opts); }
  dropout(p: number, training: boolean, opts?: NN.DropoutOptions): Tensor { return NN.dropout(this, p, training, opts); }

  // in place (names end in `_`; refused on a leaf that requires grad while recording)
  /** Copies `src` (broadcast to this shape, cast to this dtype) into this tensor's storage. */
  copy_(src: Operand): this { return I.copy_(this, src); }
  fill_(value: number | boolean): this { return I.copy_(this, value); }
  zero_(): this { return I.copy_(this, 0); }
  add_(b: Operand): this { return I.copy_(this, E.add(this, b)); }
  sub_(b: Operand): this { return I.copy_(this, E.sub(this, b)); }
  mul_(b: Operand): this { return I.copy_(this, E.mul(this, b)); }
  div_(b: Operand): this { return I.copy_(this, E.div(this, b)); }
}

