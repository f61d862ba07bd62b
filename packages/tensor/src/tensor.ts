import { allocate, checkDType, dtypeBytes, isFloat, type DType, type TypedArray } from './dtype.js';
import { checkDims, contiguousStrides, shapeSize } from './shape.js';
import { checkLayout } from './validate.js';
import { POOL_MIN_ELEMENTS, noteBirth, takeBlock, zeroedView } from './storage-pool.js';
import type { TapeNode } from './tape.js';
import * as E from './ops/elementwise.js';
import { castAs } from './internal-ops.js';
import * as M from './ops/movement.js';

let lastShape: readonly number[] = [];
let lastStrides: readonly number[] = [];
/** Set by `trustedTensor` for the one construction that follows: a layout an op computed needs no checks. */
let trusted = false;

/**
 * @internal A tensor over a layout tapegrad itself computed (fresh storage, or a view an op derived
 * from a valid tensor): the constructor's checks are skipped, as they cost more than the op on tiny tensors.
 */
export function trustedTensor(buf: TypedArray, shape: readonly number[], strides: readonly number[], offset: number, dtype: DType): Tensor {
  trusted = true;
  return new Tensor(buf, shape, strides, offset, dtype);
}

/**
 * @internal The plain tensor holding the values of a tensor batched by vmap (possibly several
 * times): every batch element's values at once, for checks that must hold for each of them.
 * A tensor that is not batched is its own.
 */
export function physicalOf(t: Tensor): Tensor {
  let x = t;
  while (x._batch !== null) x = x._batch.value;
  return x;
}

/**
 * How a tensor is batched by autograd's `vmap`: its values are those of `value` (the physical tensor,
 * one more dim than the logical shape) with the batch along `dim`, for the vmap call `level`.
 */
export interface BatchInfo {
  readonly value: Tensor;
  readonly dim: number;
  readonly level: number;
}

/** Nested JS arrays of numbers or booleans (a plain number or boolean for a 0-d tensor). */
export type NestedArray = number | boolean | NestedArray[];

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
  /** @internal Set on the tensors a vmap call works with (see `Tensor._batched`); null otherwise. */
  _batch: BatchInfo | null;

  /** Low level: wraps storage without copying. Use `tensor()` and friends to create tensors. */
  constructor(buf: TypedArray, shape: readonly number[], strides: readonly number[], offset: number, dtype: DType) {
    if (trusted) trusted = false;
    else checkLayout(buf, shape, strides, offset, dtype);
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
    this._batch = null;
  }

  /**
   * @internal A batched tensor for vmap: its shape is `value`'s without `dim`, and it has no storage
   * of its own. Ops on it are intercepted at dispatch and run on `value` by the primitives' batching rules.
   */
  static _batched(value: Tensor, dim: number, level: number): Tensor {
    const shape = value.shape.filter((_, d) => d !== dim);
    const t = trustedTensor(allocate(value.dtype, 0), shape, contiguousStrides(shape), 0, value.dtype);
    t._batch = { value, dim, level };
    return t;
  }

  /**
   * A fresh contiguous tensor: the one place storage is allocated, so the element-count limit is
   * checked here (a RangeError naming `op`, the function that asked, the shape and the limit).
   * Zero-filled, unless `alloc` (a backend's allocator) provides storage its kernel overwrites.
   */
  static empty(shape: readonly number[], dtype: DType, op = 'Tensor.empty', alloc?: (dtype: DType, size: number, reuse?: ArrayBuffer) => TypedArray): Tensor {
    const n = checkDims(shape, op);
    // Memory a reverse sweep has proven dead comes first (see storage-pool.ts).
    const block = n >= POOL_MIN_ELEMENTS ? takeBlock(n * dtypeBytes(dtype)) : undefined;
    let buf: TypedArray;
    if (block === undefined) buf = alloc === undefined ? allocate(dtype, n, op) : alloc(dtype, n);
    else buf = alloc === undefined ? zeroedView(dtype, n, block) : alloc(dtype, n, block);
    noteBirth(buf);
    // Chains of ops pass one shape array along; its (immutable) strides are computed once.
    if (shape !== lastShape) {
      lastShape = shape;
      lastStrides = contiguousStrides(shape);
    }
    return trustedTensor(buf, shape, lastStrides, 0, dtype);
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
    if (typeof flag !== 'boolean') throw new TypeError(`requiresGrad_: expected true or false, got ${typeof flag}`);
    if (this._node !== null) {
      if (flag) return this;
      throw new TypeError('requiresGrad_: cannot change requiresGrad of a non-leaf tensor; use detach()');
    }
    if (flag && !isFloat(this.dtype)) {
      throw new TypeError(`requiresGrad_: only float32/float64 tensors can require grad, got ${this.dtype}`);
    }
    this._requiresGrad = flag;
    return this;
  }

  /** Same values and storage, off the tape. */
  detach(): Tensor {
    const b = this._batch;
    if (b !== null) return Tensor._batched(b.value.detach(), b.dim, b.level);
    return new Tensor(this.buf, this.shape, this.strides, this.offset, this.dtype);
  }

  /** Refuses to read the values of a tensor batched by vmap: inside vmap a tensor stands for every batch element at once. */
  private _readable(op: string): void {
    if (this._batch !== null) {
      throw new TypeError(`${op}: cannot read the values of a tensor batched by vmap (shape [${this.shape.join(',')}] stands for every element of the batch); read values outside vmap, from what it returns`);
    }
  }

  /** True when elements are laid out row-major without gaps from `offset`. */
  get isContiguous(): boolean {
    const cs = contiguousStrides(this.shape);
    for (let d = 0; d < cs.length; d++) if (this.shape[d] !== 1 && cs[d] !== this.strides[d]) return false;
    return true;
  }

  /** A contiguous copy of the elements in row-major order. */
  data(): TypedArray {
    this._readable('data');
    if (this.isContiguous) return this.buf.slice(this.offset, this.offset + this.size);
    return M.contiguous(this.detach()).buf;
  }

  /** Nested JS arrays (booleans for bool tensors; a plain value for 0-d). */
  toArray(): NestedArray {
    this._readable('toArray');
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
    this._readable('item');
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
    return castAs('to', this, checkDType(dtype, 'to'));
  }

  /** Converts to float32 (`to('float32')`). */
  float(): Tensor { return E.cast(this, 'float32'); }

  /** Converts to float64 (`to('float64')`). */
  double(): Tensor { return E.cast(this, 'float64'); }

  /** Converts to int32, truncating toward zero (`to('int32')`). */
  int(): Tensor { return E.cast(this, 'int32'); }

  /** Converts to bool: non-zero is true (`to('bool')`). */
  bool(): Tensor { return E.cast(this, 'bool'); }

  /** A contiguous tensor with the same values (this one if already contiguous). */
  contiguous(): Tensor { return M.contiguous(this); }

  /** A copy with its own storage. */
  clone(): Tensor { return M.clone(this); }

  /** All dims reversed. */
  get T(): Tensor { return M.permute(this, this.shape.map((_, i) => this.shape.length - 1 - i)); }

  // Every op with a natural receiver is also a method: see methods.ts and each op file's METHODS.
}

