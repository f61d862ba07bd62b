import type { PrimitiveOf } from '../../primitives.js';
import { gemm, gemmInt32 } from './matmul.js';
import { offsetsOf } from './iterate.js';
import type { KernelTable, View } from '../backend.js';

/**
 * Batched matmul: a [..., M, K] @ b [..., K, N] with equal (already broadcast) batch dims, any strides.
 * One gemm call per batch entry; gemm reads the strides directly, so transposed views are not copied.
 */
export function matmulKernel(inputs: readonly View[], out: View): void {
  const [a, b] = inputs as [View, View];
  const nd = out.shape.length;
  const M = out.shape[nd - 2]!, N = out.shape[nd - 1]!, K = a.shape[nd - 1]!;
  const batch = out.shape.slice(0, nd - 2);
  const aOffs = offsetsOf(batch, a.strides.slice(0, nd - 2), a.offset);
  const bOffs = offsetsOf(batch, b.strides.slice(0, nd - 2), b.offset);
  const ars = a.strides[nd - 2]!, acs = a.strides[nd - 1]!, brs = b.strides[nd - 2]!, bcs = b.strides[nd - 1]!;
  for (let i = 0; i < aOffs.length; i++) {
    if (out.buf instanceof Int32Array) {
      gemmInt32(a.buf as Int32Array, aOffs[i]!, ars, acs, b.buf as Int32Array, bOffs[i]!, brs, bcs, out.buf, i * M * N, M, K, N);
    } else {
      gemm(a.buf as Float32Array, aOffs[i]!, ars, acs, b.buf as Float32Array, bOffs[i]!, brs, bcs, out.buf as Float32Array, i * M * N, M, K, N);
    }
  }
}

/** The JS kernels of the linear-algebra primitives. */
export const linalgKernels: KernelTable<PrimitiveOf<'linalg'>> = { matmul: matmulKernel };
