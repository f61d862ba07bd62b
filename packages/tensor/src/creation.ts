import { checkDType, dtypeOfArray, type DType, type TypedArray } from './dtype.js';
import { ShapeError } from './errors.js';
import { checkShape, describe, fmtShape, shapeSize } from './shape.js';
import { Tensor, type NestedArray } from './tensor.js';

/**
 * Options of the creation functions: the dtype (float32 by default for numbers, bool for booleans), a shape
 * for flat data, and whether the new tensor is a leaf that requires grad.
 */
export interface CreateOptions {
  dtype?: DType;
  /** For `tensor()` from flat data: the shape to give it. */
  shape?: readonly number[];
  requiresGrad?: boolean;
}

function finish(t: Tensor, opts: CreateOptions): Tensor {
  if (opts.requiresGrad) t.requiresGrad_(true);
  return t;
}

function make(dtype: DType, shape: readonly number[], values: ArrayLike<number>): Tensor {
  const t = Tensor.empty(shape, dtype);
  const buf = t.buf;
  if (dtype === 'bool') for (let i = 0; i < buf.length; i++) buf[i] = values[i] !== 0 ? 1 : 0;
  else buf.set(values as ArrayLike<number>);
  return t;
}

/** Reads nested arrays into flat values, checking that they are rectangular and numeric. */
function flattenNested(data: unknown[]): { shape: number[]; values: number[]; allBool: boolean } {
  const shape: number[] = [];
  let cur: unknown = data;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    if (cur.length === 0) break;
    cur = cur[0];
  }
  const values: number[] = [];
  let allBool = true;
  const walk = (node: unknown, dim: number, path: number[]): void => {
    if (dim === shape.length) {
      if (typeof node === 'number') allBool = false;
      else if (typeof node !== 'boolean') {
        throw new TypeError(`tensor: expected numbers or booleans, got ${Array.isArray(node) ? 'a nested array (ragged: too deep)' : describe(node)} at [${path.join(',')}]`);
      }
      values.push(Number(node));
      return;
    }
    if (!Array.isArray(node)) {
      throw new TypeError(`tensor: ragged nested array: expected an array of length ${shape[dim]} at [${path.join(',')}], got ${describe(node)}`);
    }
    if (node.length !== shape[dim]) {
      throw new TypeError(`tensor: ragged nested array: expected length ${shape[dim]} at [${path.join(',')}], got ${node.length}`);
    }
    for (let i = 0; i < node.length; i++) walk(node[i], dim + 1, [...path, i]);
  };
  walk(data, 0, []);
  return { shape, values, allBool: allBool && values.length > 0 };
}

/**
 * A tensor from a number, boolean, nested arrays or a typed array (copied).
 * JS numbers give float32 and booleans bool unless `opts.dtype` says otherwise; typed arrays keep
 * their type (Float32Array, Float64Array, Int32Array, Uint8Array as bool). `opts.shape` shapes flat data.
 *
 * @example
 * const w = tensor([[1, 2], [3, 4]], { dtype: 'float64', requiresGrad: true });
 */
export function tensor(data: number | boolean | NestedArray | TypedArray | Tensor, opts: CreateOptions = {}): Tensor {
  const want = opts.dtype === undefined ? undefined : checkDType(opts.dtype, 'tensor');
  let dtype: DType;
  let shape: number[];
  let values: ArrayLike<number>;
  if (data instanceof Tensor) {
    dtype = data.dtype;
    shape = data.shape.slice();
    values = data.data();
  } else if (typeof data === 'number' || typeof data === 'boolean') {
    dtype = typeof data === 'boolean' ? 'bool' : 'float32';
    shape = [];
    values = [Number(data)];
  } else if (Array.isArray(data)) {
    const flat = flattenNested(data);
    dtype = flat.allBool ? 'bool' : 'float32';
    shape = flat.shape;
    values = flat.values;
  } else {
    const d = dtypeOfArray(data);
    if (d === null || !ArrayBuffer.isView(data)) {
      throw new TypeError(`tensor: expected a number, boolean, nested array or Float32Array/Float64Array/Int32Array/Uint8Array, got ${describe(data)}`);
    }
    dtype = d;
    shape = [(data as TypedArray).length];
    values = data as TypedArray;
  }
  if (opts.shape !== undefined) {
    const s = checkShape(opts.shape, 'tensor');
    if (shapeSize(s) !== values.length) {
      throw new ShapeError(`tensor: cannot shape ${values.length} values as ${fmtShape(s)} (${shapeSize(s)} elements)`);
    }
    shape = s;
  }
  return finish(make(want ?? dtype, shape, values), opts);
}

/** A tensor of `shape` filled with `value` (bool for a boolean value, else float32, unless opts.dtype). */
export function full(shape: readonly number[], value: number | boolean, opts: CreateOptions = {}): Tensor {
  const s = checkShape(shape, 'full');
  if (typeof value !== 'number' && typeof value !== 'boolean') throw new TypeError(`full: expected a number or boolean value, got ${describe(value)}`);
  const dtype = opts.dtype === undefined ? (typeof value === 'boolean' ? 'bool' : 'float32') : checkDType(opts.dtype, 'full');
  const t = Tensor.empty(s, dtype);
  t.buf.fill(Number(value));
  return finish(t, opts);
}

/**
 * A tensor of `shape` filled with 0, float32 unless `opts.dtype` (PyTorch's `torch.zeros`).
 *
 * @example
 * const b = zeros([1, 3], { dtype: 'float64', requiresGrad: true }); // a trainable bias
 */
export function zeros(shape: readonly number[], opts: CreateOptions = {}): Tensor {
  return full(shape, 0, opts);
}

/** A tensor of `shape` filled with 1, float32 unless `opts.dtype`: `ones([2, 2])`. */
export function ones(shape: readonly number[], opts: CreateOptions = {}): Tensor {
  return full(shape, 1, opts);
}

/** Zeros with the shape and dtype of `t`. */
export function zerosLike(t: Tensor, opts: CreateOptions = {}): Tensor {
  return full(t.shape, 0, { dtype: t.dtype, ...opts });
}

/** Ones with the shape and dtype of `t`. */
export function onesLike(t: Tensor, opts: CreateOptions = {}): Tensor {
  return full(t.shape, 1, { dtype: t.dtype, ...opts });
}

/** The n x m identity (m = n by default). */
export function eye(n: number, m?: number | CreateOptions, opts: CreateOptions = {}): Tensor {
  if (typeof m === 'object') {
    opts = m;
    m = undefined;
  }
  const cols = m ?? n;
  const t = zeros(checkShape([n, cols], 'eye'), { ...opts, requiresGrad: false });
  for (let i = 0; i < Math.min(n, cols); i++) t.buf[i * cols + i] = 1;
  return finish(t, opts);
}

/** start, start + step, ... below stop (one argument: 0..start). float32 unless opts.dtype. */
export function arange(start: number, stop?: number | CreateOptions, step?: number | CreateOptions, opts: CreateOptions = {}): Tensor {
  if (typeof stop === 'object') { opts = stop; stop = undefined; }
  if (typeof step === 'object') { opts = step; step = undefined; }
  let lo = start;
  let hi = stop;
  if (hi === undefined) { hi = lo; lo = 0; }
  const st = step ?? 1;
  for (const [name, v] of [['start', lo], ['stop', hi], ['step', st]] as const) {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new RangeError(`arange: expected a finite ${name}, got ${describe(v)}`);
  }
  if (st === 0) throw new RangeError('arange: step must not be 0');
  const n = Math.max(Math.ceil((hi - lo) / st), 0);
  const dtype = opts.dtype === undefined ? 'float32' : checkDType(opts.dtype, 'arange');
  const t = Tensor.empty([n], dtype);
  for (let i = 0; i < n; i++) t.buf[i] = lo + i * st;
  return finish(t, opts);
}

/** n evenly spaced values from start to stop inclusive. */
export function linspace(start: number, stop: number, n: number, opts: CreateOptions = {}): Tensor {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`linspace: expected a non-negative integer count, got ${describe(n)}`);
  const dtype = opts.dtype === undefined ? 'float32' : checkDType(opts.dtype, 'linspace');
  const t = Tensor.empty([n], dtype);
  const step = n > 1 ? (stop - start) / (n - 1) : 0;
  // Fill from both ends so the last value is exactly `stop`, as PyTorch does.
  for (let i = 0; i < n; i++) t.buf[i] = i < n / 2 ? start + i * step : stop - (n - 1 - i) * step;
  return finish(t, opts);
}

