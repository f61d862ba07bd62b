import { describe } from './shape.js';

/** Element types a tensor can hold. */
export type DType = 'float32' | 'float64' | 'int32' | 'bool';

/** Storage for each dtype: bool is stored as 0/1 bytes. */
export type TypedArray = Float32Array | Float64Array | Int32Array | Uint8Array;

/** Every dtype, in the order float32, float64, int32, bool. */
export const DTYPES: readonly DType[] = ['float32', 'float64', 'int32', 'bool'];

const RANK: Record<DType, number> = { bool: 0, int32: 1, float32: 2, float64: 3 };

/** True when `x` names a dtype (`'float32'`, `'float64'`, `'int32'` or `'bool'`); narrows its type. */
export function isDType(x: unknown): x is DType {
  return typeof x === 'string' && (DTYPES as readonly string[]).includes(x);
}

/** Validates a user-supplied dtype, naming the op in the error. */
export function checkDType(x: unknown, op: string): DType {
  if (!isDType(x)) {
    throw new TypeError(`${op}: unknown dtype ${describe(x)}; expected one of ${DTYPES.join(', ')}`);
  }
  return x;
}

export function isFloat(d: DType): boolean {
  return d === 'float32' || d === 'float64';
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/**
 * The one conversion of a JS number into a dtype's storage: every value that enters a tensor from
 * outside one (creation, random numbers, fill and copy of a scalar, a pad value, a scalar operand)
 * passes here. bool stores 0 or 1 (any non-zero number, NaN included, is true); int32 truncates
 * toward zero and refuses NaN, infinities and values outside int32 with a RangeError naming `op`,
 * as PyTorch refuses them; floats are stored as they are (float32 rounds).
 */
export function toStored(v: number, dtype: DType, op: string): number {
  if (dtype === 'bool') return v !== 0 ? 1 : 0;
  if (dtype === 'int32') {
    if (!(v >= INT32_MIN && v <= INT32_MAX)) {
      throw new RangeError(`${op}: ${describe(v)} cannot be converted to int32 without overflow (int32 holds ${INT32_MIN}..${INT32_MAX})`);
    }
    return Math.trunc(v);
  }
  return v;
}

/** Writes `values` into `buf` (storage of `dtype`) through `toStored`; floats copy straight in. */
export function storeValues(buf: TypedArray, dtype: DType, values: ArrayLike<number>, op: string): void {
  if (isFloat(dtype) || (dtype === 'int32' && values instanceof Int32Array)) {
    buf.set(values as ArrayLike<number>);
    return;
  }
  for (let i = 0; i < values.length; i++) buf[i] = toStored(values[i]!, dtype, op);
}

/** Allocates zeroed storage of n elements (n already checked against the size limit); `op` names the caller in errors. */
export function allocate(dtype: DType, n: number, op = 'allocate'): TypedArray {
  try {
    switch (dtype) {
      case 'float32': return new Float32Array(n);
      case 'float64': return new Float64Array(n);
      case 'int32': return new Int32Array(n);
      case 'bool': return new Uint8Array(n);
    }
  } catch {
    // Within the element limit but more than the engine could get: say so in tapegrad's words.
    throw new RangeError(`${op}: could not allocate ${n} ${dtype} elements (${n * BYTES[dtype]} bytes): out of memory`);
  }
  return checkDType(dtype, op) as never;
}

const BYTES: Record<DType, number> = { float32: 4, float64: 8, int32: 4, bool: 1 };

/** Bytes per element of `dtype`. */
export function dtypeBytes(dtype: DType): number {
  return BYTES[dtype];
}

/** The dtype a typed array maps to (Uint8Array is bool), or null. */
export function dtypeOfArray(a: unknown): DType | null {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof Int32Array) return 'int32';
  if (a instanceof Uint8Array) return 'bool';
  return null;
}

/** Promotion order bool < int32 < float32 < float64. */
export function promoteTypes(a: DType, b: DType): DType {
  checkDType(a, 'promoteTypes');
  checkDType(b, 'promoteTypes');
  return RANK[a] >= RANK[b] ? a : b;
}

/**
 * The dtype a plain JS scalar takes when combined with a tensor of dtype `t`.
 * A scalar never promotes a tensor within its category: float32 stays float32 next to any number.
 * Across categories it lifts like PyTorch: a fractional number next to int32/bool gives float32,
 * an integer next to bool gives int32.
 */
export function scalarDType(value: number | boolean, t: DType): DType {
  if (typeof value === 'boolean') return t;
  if (isFloat(t)) return t;
  if (!Number.isInteger(value)) return 'float32';
  return t === 'bool' ? 'int32' : t;
}
