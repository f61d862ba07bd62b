import type { DType } from '@tapegrad/tensor';

/**
 * The safetensors element types tapegrad reads and writes, one codec per code: its size, the
 * tapegrad dtype it becomes when read (F16/BF16 widen to float32; I64, I16, I8 and U8 to int32),
 * and how one little-endian element is read and written.
 */
export interface Codec {
  readonly size: number;
  readonly dtype: DType;
  read(view: DataView, at: number): number;
  write(view: DataView, at: number, v: number): void;
  /** Values a read can produce that the tapegrad dtype cannot hold (only I64 has them). */
  readonly checked?: boolean;
}

const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);

/** The IEEE half-precision bits of a number (rounded to float32 first, then to nearest even, as PyTorch converts). */
export function toHalfBits(v: number): number {
  F32[0] = v;
  const x = U32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 | (mant >>> 13) : 0); // Inf, NaN (quiet)
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // overflow to infinity
  if (e <= 0) {
    // Subnormal half (or zero): shift the mantissa with its implicit bit, rounding to nearest even.
    if (e < -11) return sign; // below half the smallest subnormal: rounds to zero
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = mant & ((1 << shift) - 1);
    let m = mant >>> shift;
    if (rest > half || (rest === half && (m & 1) === 1)) m++;
    return sign | m;
  }
  let h = sign | (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (h & 1) === 1)) h++; // may carry into the exponent, up to infinity: correct
  return h;
}

/** The number a half-precision bit pattern holds. */
export function fromHalfBits(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant === 0 ? sign * Infinity : NaN;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** The bfloat16 bits of a number: float32 rounded to its top 16 bits, nearest even (NaN stays a quiet NaN). */
export function toBfloat16Bits(v: number): number {
  F32[0] = v;
  const x = U32[0]!;
  if (Number.isNaN(F32[0])) return 0x7fc0;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

export function fromBfloat16Bits(b: number): number {
  U32[0] = (b & 0xffff) << 16;
  return F32[0]!;
}

export const CODECS: Readonly<Record<string, Codec>> = {
  F64: { size: 8, dtype: 'float64', read: (v, i) => v.getFloat64(i, true), write: (v, i, x) => v.setFloat64(i, x, true) },
  F32: { size: 4, dtype: 'float32', read: (v, i) => v.getFloat32(i, true), write: (v, i, x) => v.setFloat32(i, x, true) },
  F16: { size: 2, dtype: 'float32', read: (v, i) => fromHalfBits(v.getUint16(i, true)), write: (v, i, x) => v.setUint16(i, toHalfBits(x), true) },
  BF16: { size: 2, dtype: 'float32', read: (v, i) => fromBfloat16Bits(v.getUint16(i, true)), write: (v, i, x) => v.setUint16(i, toBfloat16Bits(x), true) },
  I64: {
    size: 8, dtype: 'int32', checked: true,
    // The low word read unsigned, the high word signed; the value is exact when it fits int32.
    read: (v, i) => v.getInt32(i + 4, true) * 2 ** 32 + v.getUint32(i, true),
    write: (v, i, x) => {
      v.setInt32(i, x, true);
      v.setInt32(i + 4, x < 0 ? -1 : 0, true);
    },
  },
  I32: { size: 4, dtype: 'int32', read: (v, i) => v.getInt32(i, true), write: (v, i, x) => v.setInt32(i, x, true) },
  I16: { size: 2, dtype: 'int32', read: (v, i) => v.getInt16(i, true), write: (v, i, x) => v.setInt16(i, x, true) },
  I8: { size: 1, dtype: 'int32', read: (v, i) => v.getInt8(i), write: (v, i, x) => v.setInt8(i, x) },
  U8: { size: 1, dtype: 'int32', read: (v, i) => v.getUint8(i), write: (v, i, x) => v.setUint8(i, x) },
  BOOL: { size: 1, dtype: 'bool', read: (v, i) => v.getUint8(i), write: (v, i, x) => v.setUint8(i, x !== 0 ? 1 : 0) },
};

/** Codes of the format that tapegrad cannot read. */
export const FOREIGN = ['F8_E4M3', 'F8_E5M2', 'U16', 'U32', 'U64'];

/** The code a tapegrad dtype is written as by default. */
export const DEFAULT_CODE: Record<DType, string> = { float32: 'F32', float64: 'F64', int32: 'I32', bool: 'BOOL' };
