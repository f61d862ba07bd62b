import { checkDType, dtypeOfArray, isFloat, storeValues, toStored, type DType, type TypedArray } from './dtype.js';
import { ShapeError } from './errors.js';
import { MAX_DIMS, checkShape, checkSize, describe, fmtShape, shapeSize } from './shape.js';
import { Tensor, type NestedArray } from './tensor.js';
import { checkFlag, checkInteger, checkNumber, checkOptions } from './validate.js';

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

const CREATE_KEYS = ['dtype', 'requiresGrad'];

/** Validates the options of a creation function (`tensor` also takes `shape`). */
function options(opts: unknown, op: string, keys = CREATE_KEYS): CreateOptions {
  const o = checkOptions<CreateOptions>(opts, op, keys);
  checkFlag(o.requiresGrad, op, 'requiresGrad', false);
  return o;
}

/** The dtype asked for, or the default. */
function dtypeOf(opts: CreateOptions, op: string, fallback: DType): DType {
  return opts.dtype === undefined ? fallback : checkDType(opts.dtype, op);
}

/** Applies `requiresGrad`, naming the function the user called when the dtype cannot require grad. */
export function finish(t: Tensor, requiresGrad: unknown, op: string): Tensor {
  if (requiresGrad !== true) return t;
  if (!isFloat(t.dtype)) throw new TypeError(`${op}: only float32/float64 tensors can require grad, got dtype ${t.dtype}`);
  return t.requiresGrad_(true);
}

function make(dtype: DType, shape: readonly number[], values: ArrayLike<number>, op: string): Tensor {
  const t = Tensor.empty(shape, dtype, op);
  storeValues(t.buf, dtype, values, op);
  return t;
}

/**
 * Reads nested arrays into flat values, checking that they are rectangular and numeric. The shape
 * comes from the first element at each level (at most MAX_DIMS levels, so a cyclic array is an error
 * rather than an endless descent) and is checked against the size limit before any value is read;
 * the walk keeps its own stack, so depth costs no JS stack.
 */
function flattenNested(data: unknown[]): { shape: number[]; values: Float64Array; allBool: boolean } {
  const shape: number[] = [];
  let cur: unknown = data;
  while (Array.isArray(cur)) {
    if (shape.length === MAX_DIMS) {
      throw new RangeError(`tensor: nested arrays deeper than ${MAX_DIMS} levels (tapegrad's limit on dims; is the array cyclic?)`);
    }
    shape.push(cur.length);
    if (cur.length === 0) break;
    cur = cur[0];
  }
  const values = new Float64Array(checkSize(shape, 'tensor'));
  let k = 0;
  let allBool = true;
  const arrays: unknown[][] = [data];
  const at: number[] = [0];
  const where = (): string => `[${at.join(',')}]`;
  const leaf = shape.length - 1;
  while (arrays.length > 0) {
    const depth = arrays.length - 1;
    const arr = arrays[depth]!;
    const i = at[depth]!;
    if (i === arr.length) {
      arrays.pop();
      at.pop();
      if (at.length > 0) at[at.length - 1]!++;
      continue;
    }
    const node = arr[i];
    if (depth === leaf) {
      if (typeof node === 'number') allBool = false;
      else if (typeof node !== 'boolean') {
        throw new TypeError(`tensor: expected numbers or booleans, got ${Array.isArray(node) ? 'a nested array (ragged: too deep)' : describe(node)} at ${where()}`);
      }
      values[k++] = Number(node);
      at[depth] = i + 1;
      continue;
    }
    if (!Array.isArray(node)) {
      throw new TypeError(`tensor: ragged nested array: expected an array of length ${shape[depth + 1]} at ${where()}, got ${describe(node)}`);
    }
    if (node.length !== shape[depth + 1]) {
      throw new TypeError(`tensor: ragged nested array: expected length ${shape[depth + 1]} at ${where()}, got ${node.length}`);
    }
    arrays.push(node);
    at.push(0);
  }
  return { shape, values, allBool: allBool && values.length > 0 };
}

/**
 * A tensor from a number, boolean, nested arrays or a typed array (copied).
 * JS numbers give float32 and booleans bool unless `opts.dtype` says otherwise; typed arrays keep
 * their type (Float32Array, Float64Array, Int32Array, Uint8Array as bool). `opts.shape` shapes flat data.
 * Values are converted as `toStored` says: int32 refuses NaN and values outside int32, bool stores 0/1.
 *
 * @example
 * const w = tensor([[1, 2], [3, 4]], { dtype: 'float64', requiresGrad: true });
 */
export function tensor(data: number | boolean | NestedArray | TypedArray | Tensor, opts: CreateOptions = {}): Tensor {
  const o = options(opts, 'tensor', [...CREATE_KEYS, 'shape']);
  const want = o.dtype === undefined ? undefined : checkDType(o.dtype, 'tensor');
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
      throw new TypeError(`tensor: expected a number, boolean, nested array, Tensor or Float32Array/Float64Array/Int32Array/Uint8Array, got ${describe(data)}`);
    }
    dtype = d;
    shape = [(data as TypedArray).length];
    values = data as TypedArray;
  }
  if (o.shape !== undefined) {
    const s = checkShape(o.shape, 'tensor');
    if (shapeSize(s) !== values.length) {
      throw new ShapeError(`tensor: cannot shape ${values.length} values as ${fmtShape(s)} (${shapeSize(s)} elements)`);
    }
    shape = s;
  }
  return finish(make(want ?? dtype, shape, values, 'tensor'), o.requiresGrad, 'tensor');
}

/** The body of full, zeros, ones and their -Like forms, reporting errors under `op`. */
function filled(op: string, shape: unknown, value: unknown, opts: unknown, fallback?: DType): Tensor {
  const s = checkShape(shape, op);
  if (typeof value !== 'number' && typeof value !== 'boolean') throw new TypeError(`${op}: expected a number or boolean value, got ${describe(value)}`);
  const o = options(opts, op);
  const dtype = dtypeOf(o, op, fallback ?? (typeof value === 'boolean' ? 'bool' : 'float32'));
  const v = toStored(Number(value), dtype, op);
  const t = Tensor.empty(s, dtype, op);
  if (v !== 0) t.buf.fill(v);
  return finish(t, o.requiresGrad, op);
}

/** A tensor of `shape` filled with `value` (bool for a boolean value, else float32, unless opts.dtype). */
export function full(shape: readonly number[], value: number | boolean, opts: CreateOptions = {}): Tensor {
  return filled('full', shape, value, opts);
}

/**
 * A tensor of `shape` filled with 0, float32 unless `opts.dtype` (PyTorch's `torch.zeros`).
 *
 * @example
 * const b = zeros([1, 3], { dtype: 'float64', requiresGrad: true }); // a trainable bias
 */
export function zeros(shape: readonly number[], opts: CreateOptions = {}): Tensor {
  return filled('zeros', shape, 0, opts);
}

/** A tensor of `shape` filled with 1, float32 unless `opts.dtype`: `ones([2, 2])`. */
export function ones(shape: readonly number[], opts: CreateOptions = {}): Tensor {
  return filled('ones', shape, 1, opts);
}

function like(op: string, t: unknown, value: number, opts: unknown): Tensor {
  if (!(t instanceof Tensor)) throw new TypeError(`${op}: expected a Tensor, got ${describe(t)}`);
  return filled(op, t.shape, value, opts, t.dtype);
}

/** Zeros with the shape and dtype of `t`. */
export function zerosLike(t: Tensor, opts: CreateOptions = {}): Tensor {
  return like('zerosLike', t, 0, opts);
}

/** Ones with the shape and dtype of `t`. */
export function onesLike(t: Tensor, opts: CreateOptions = {}): Tensor {
  return like('onesLike', t, 1, opts);
}

/** The n x m identity (m = n by default). */
export function eye(n: number, m?: number | CreateOptions, opts: CreateOptions = {}): Tensor {
  if (typeof m === 'object' && m !== null) {
    opts = m;
    m = undefined;
  }
  const rows = checkInteger(n, 'eye', 'n', 0);
  const cols = m === undefined ? rows : checkInteger(m, 'eye', 'm', 0);
  const o = options(opts, 'eye');
  const t = Tensor.empty(checkShape([rows, cols], 'eye'), dtypeOf(o, 'eye', 'float32'), 'eye');
  for (let i = 0; i < Math.min(rows, cols); i++) t.buf[i * cols + i] = 1;
  return finish(t, o.requiresGrad, 'eye');
}

/** The dtype of arange and linspace: numeric ones only (PyTorch has no bool ranges either). */
function rangeDType(o: CreateOptions, op: string): DType {
  const dtype = dtypeOf(o, op, 'float32');
  if (dtype === 'bool') throw new TypeError(`${op}: a bool range is not supported; use float32, float64 or int32`);
  return dtype;
}

/** start, start + step, ... below stop (one argument: 0..start). float32 unless opts.dtype. */
export function arange(start: number, stop?: number | CreateOptions, step?: number | CreateOptions, opts: CreateOptions = {}): Tensor {
  if (typeof stop === 'object' && stop !== null) { opts = stop; stop = undefined; }
  if (typeof step === 'object' && step !== null) { opts = step; step = undefined; }
  let lo = start;
  let hi = stop;
  if (hi === undefined) { hi = lo; lo = 0; }
  const st = step ?? 1;
  for (const [name, v] of [['start', lo], ['stop', hi], ['step', st]] as const) checkNumber(v, 'arange', name, true);
  if (st === 0) throw new RangeError('arange: step must not be 0');
  const o = options(opts, 'arange');
  const dtype = rangeDType(o, 'arange');
  const n = Math.max(Math.ceil((hi - lo) / st), 0);
  const t = Tensor.empty(checkShape([n], 'arange'), dtype, 'arange');
  for (let i = 0; i < n; i++) t.buf[i] = toStored(lo + i * st, dtype, 'arange');
  return finish(t, o.requiresGrad, 'arange');
}

/** n evenly spaced values from start to stop inclusive. */
export function linspace(start: number, stop: number, n: number, opts: CreateOptions = {}): Tensor {
  checkNumber(start, 'linspace', 'start');
  checkNumber(stop, 'linspace', 'stop');
  checkInteger(n, 'linspace', 'the count n', 0);
  const o = options(opts, 'linspace');
  const dtype = rangeDType(o, 'linspace');
  const t = Tensor.empty(checkShape([n], 'linspace'), dtype, 'linspace');
  const step = n > 1 ? (stop - start) / (n - 1) : 0;
  // Fill from both ends so the last value is exactly `stop`, as PyTorch does.
  for (let i = 0; i < n; i++) t.buf[i] = toStored(i < n / 2 ? start + i * step : stop - (n - 1 - i) * step, dtype, 'linspace');
  return finish(t, o.requiresGrad, 'linspace');
}
