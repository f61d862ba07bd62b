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
    throw new TypeError(`${op}: unknown dtype ${JSON.stringify(x)}; expected one of ${DTYPES.join(', ')}`);
  }
  return x;
}

export function isFloat(d: DType): boolean {
  return d === 'float32' || d === 'float64';
}

/** Allocates zeroed storage of n elements. */
export function allocate(dtype: DType, n: number): TypedArray {
  switch (dtype) {
    case 'float32': return new Float32Array(n);
    case 'float64': return new Float64Array(n);
    case 'int32': return new Int32Array(n);
    case 'bool': return new Uint8Array(n);
  }
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
