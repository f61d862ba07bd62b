/**
 * The same tensor values in other memory layouts, for tests that check kernels read strides
 * correctly: column-major, and column-major with a gap after every element at offset 3, with NaN
 * (or a sentinel integer) in every slot the view does not cover.
 */
import { Tensor, type TypedArray } from '@tapegrad/tensor';

/** Fresh storage of the same kind as x's, n elements long. */
function allocateLike(x: Tensor, n: number): TypedArray {
  return new (x.buf.constructor as new (n: number) => TypedArray)(n);
}

/** x's values at storage positions offset + sum(idx[d] * gap * colMajorStride[d]); junk everywhere else. */
function layOut(x: Tensor, gap: number, offset: number): Tensor {
  const n = x.size;
  const buf = allocateLike(x, gap * n + offset + 1);
  buf.fill(x.dtype === 'float32' || x.dtype === 'float64' ? NaN : x.dtype === 'bool' ? 1 : 987654);
  const strides = x.shape.map((_, d) => gap * x.shape.slice(0, d).reduce((a, b) => a * b, 1));
  const values = x.data();
  const idx = new Array<number>(x.ndim).fill(0);
  for (let flat = 0; flat < n; flat++) {
    buf[offset + idx.reduce((o, v, d) => o + v * strides[d]!, 0)] = values[flat]!;
    for (let d = x.ndim - 1; d >= 0; d--) {
      if (++idx[d]! < x.shape[d]!) break;
      idx[d] = 0;
    }
  }
  return new Tensor(buf, x.shape.slice(), strides, offset, x.dtype);
}

/** The same values, column-major (a transposed layout without gaps), at offset 0. */
export const columnMajor = (x: Tensor): Tensor => layOut(x, 1, 0);

/** The same values in a column-major, gapped layout at offset 3, with junk in the gaps. */
export const gapped = (x: Tensor): Tensor => layOut(x, 2, 3);
