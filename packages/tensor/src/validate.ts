import { isDType, type DType, type TypedArray } from './dtype.js';
import { MAX_DIMS, MAX_ELEMENTS, checkSize, describe, describeList } from './shape.js';

/**
 * Validators for the plain arguments of public functions (numbers, flags, option bags). Each names
 * the function the user called: a value of the wrong kind is a TypeError, a number outside its
 * domain a RangeError. Shapes and axes have theirs in shape.ts, dtypes in dtype.ts, operands in
 * ops/operand.ts.
 */

/** A number (NaN and infinities included unless `finite`). */
export function checkNumber(x: unknown, op: string, what: string, finite = false): number {
  if (typeof x !== 'number') throw new TypeError(`${op}: expected ${what} to be a number, got ${describe(x)}`);
  if (finite && !Number.isFinite(x)) throw new RangeError(`${op}: expected ${what} to be a finite number, got ${describe(x)}`);
  return x;
}

/** An integer in [min, max]. */
export function checkInteger(x: unknown, op: string, what: string, min = -Infinity, max = Infinity): number {
  if (typeof x !== 'number') throw new TypeError(`${op}: expected ${what} to be an integer, got ${describe(x)}`);
  if (!Number.isInteger(x) || x < min || x > max) {
    const range = min === -Infinity ? (max === Infinity ? '' : ` <= ${max}`) : max === Infinity ? ` >= ${min}` : ` in ${min}..${max}`;
    throw new RangeError(`${op}: expected ${what} to be an integer${range}, got ${describe(x)}`);
  }
  return x;
}

/** A boolean flag; `undefined` gives the default. */
export function checkFlag(x: unknown, op: string, what: string, dflt: boolean): boolean {
  if (x === undefined) return dflt;
  if (typeof x !== 'boolean') throw new TypeError(`${op}: expected ${what} to be true or false, got ${describe(x)}`);
  return x;
}

/**
 * An options bag: undefined (no options) or a plain object whose keys are all among `keys`, so a
 * misspelt option is an error instead of being ignored. Returns the object (an empty one for undefined).
 */
export function checkOptions<T extends object>(opts: unknown, op: string, keys: readonly string[]): T {
  if (opts === undefined) return {} as T;
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts) || isTensorLike(opts)) {
    throw new TypeError(`${op}: expected an options object, got ${describe(opts)}`);
  }
  for (const k of Object.keys(opts)) {
    if (!keys.includes(k)) throw new TypeError(`${op}: unknown option '${k}'; expected some of ${keys.join(', ')}`);
  }
  return opts as T;
}

function isTensorLike(x: object): boolean {
  return (x as { constructor?: { name?: unknown } }).constructor?.name === 'Tensor';
}

/**
 * Checks the arguments of the low-level `Tensor` constructor: storage of the dtype's array type, a
 * shape of non-negative integers within the limits, one integer stride per dim, and an offset such
 * that every element lies inside the storage. O(ndim), so cheap enough for every tensor.
 */
export function checkLayout(buf: unknown, shape: unknown, strides: unknown, offset: unknown, dtype: unknown): void {
  const op = 'Tensor';
  const storage = typeof dtype === 'string' ? STORAGE[dtype as DType] : undefined;
  if (storage === undefined || !isDType(dtype)) throw new TypeError(`${op}: unknown dtype ${describe(dtype)}; expected one of float32, float64, int32, bool`);
  if (!(buf instanceof storage)) {
    throw new TypeError(`${op}: expected ${dtype} storage (${storage.name}), got ${describe(buf)}`);
  }
  if (!Array.isArray(shape) || !Array.isArray(strides) || shape.length !== strides.length) {
    throw new TypeError(`${op}: expected a shape and strides as arrays of one length, got ${describe(shape)} and ${describe(strides)}`);
  }
  if (typeof offset !== 'number' || !Number.isInteger(offset) || offset < 0) throw new RangeError(`${op}: expected a non-negative integer offset, got ${describe(offset)}`);
  let lo = offset;
  let hi = offset;
  let size = 1;
  for (let d = 0; d < shape.length; d++) {
    const n: unknown = shape[d];
    const s: unknown = strides[d];
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || typeof s !== 'number' || !Number.isInteger(s)) {
      throw new RangeError(`${op}: expected integer sizes >= 0 and integer strides, got shape ${describeList(shape)} and strides ${describeList(strides)}`);
    }
    size *= n;
    if (s > 0) hi += s * (n - 1);
    else lo += s * (n - 1);
  }
  if (size > MAX_ELEMENTS || shape.length > MAX_DIMS) checkSize(shape as number[], op);
  if (size > 0 && (lo < 0 || hi >= (buf as TypedArray).length)) {
    throw new RangeError(`${op}: shape ${describeList(shape)} with strides ${describeList(strides)} and offset ${offset} reaches outside storage of ${(buf as TypedArray).length} elements`);
  }
}

const STORAGE: Record<DType, abstract new (...a: never[]) => TypedArray> = { float32: Float32Array, float64: Float64Array, int32: Int32Array, bool: Uint8Array };
