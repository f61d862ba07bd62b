/**
 * Reference matrix-multiply kernels in pure TypeScript.
 *
 * Blocking scheme for {@link gemm} (GotoBLAS-style loop nest, sizes in elements):
 *
 *   for jc in N step NC                  -- column block of B / C
 *     for pc in K step KC                -- depth block
 *       pack B[pc:pc+KC, jc:jc+NC] into `packB` as NR-wide micro-panels
 *       for ic in M step MC              -- row block of A / C
 *         pack A[ic:ic+MC, pc:pc+KC] into `packA` as MR-tall micro-panels
 *         for each MR x NR tile of the block: micro-kernel
 *
 * Packing copies the (arbitrarily strided, float32 or float64) operands into contiguous
 * Float64Array scratch buffers laid out in exactly the order the micro-kernel reads them,
 * zero-padded to whole tiles, so the micro-kernel is monomorphic, branch-free and
 * streams memory sequentially. A KC x NR micro-panel of B stays in L1 and the MC x KC
 * block of A in L2. The micro-kernel keeps an MR x NR tile of C in local variables
 * (registers) across the whole KC loop and accumulates it into `accC`, a float64 copy of
 * the current M x NC column block of C, so partial sums are never rounded to float32
 * between depth blocks. Once the column block is complete it is stored into C.
 *
 * Scratch buffers are module-level, allocated lazily and grown on demand (never shrunk).
 * Small problems skip packing and use a direct dot-product loop.
 */

export type FloatArray = Float32Array | Float64Array;

/** Register tile: MR rows x NR columns of C held in locals by the micro-kernel. */
const MR = 4;
const NR = 4;
/** Cache blocks (multiples of MR / NR). */
const MC = 64;
const KC = 256;
const NC = 512;
/** Below this many multiply-adds (M*N*K) the unpacked loop wins. */
const SMALL = 16 * 16 * 16;

let packA = new Float64Array(0);
let packB = new Float64Array(0);
let accC = new Float64Array(0);

function roundUp(x: number, m: number): number {
  return Math.ceil(x / m) * m;
}

/**
 * C = A @ B for one matrix pair. A is M x K, B is K x N, C is M x N (C is overwritten, row-major contiguous at cOff).
 * A's element (i, k) is at a[aOff + i * aRowStride + k * aColStride]; B's (k, j) at b[bOff + k * bRowStride + j * bColStride].
 * Strides may be anything (a transposed view has aRowStride = 1), so callers never copy before calling.
 * a, b and c are all Float32Array or all Float64Array.
 */
export function gemm(
  a: FloatArray, aOff: number, aRowStride: number, aColStride: number,
  b: FloatArray, bOff: number, bRowStride: number, bColStride: number,
  c: FloatArray, cOff: number, M: number, K: number, N: number,
): void {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    c.fill(0, cOff, cOff + M * N);
    return;
  }
  if (M * N * K <= SMALL || M === 1 || N === 1) {
    gemmSmall(a, aOff, aRowStride, aColStride, b, bOff, bRowStride, bColStride, c, cOff, M, K, N);
    return;
  }
  const mPad = roundUp(M, MR);
  const kcMax = Math.min(K, KC);
  const ncMax = Math.min(roundUp(N, NR), NC);
  if (packA.length < Math.min(mPad, MC) * kcMax) packA = new Float64Array(MC * KC);
  if (packB.length < kcMax * ncMax) packB = new Float64Array(KC * NC);
  if (accC.length < mPad * ncMax) accC = new Float64Array(mPad * ncMax);
  const pa = packA;
  const pb = packB;
  const acc = accC;

  for (let jc = 0; jc < N; jc += NC) {
    const nc = Math.min(NC, N - jc);
    const ncPad = roundUp(nc, NR);
    for (let pc = 0; pc < K; pc += KC) {
      const kc = Math.min(KC, K - pc);
      const first = pc === 0;
      packPanels(b, bOff + pc * bRowStride + jc * bColStride, bColStride, bRowStride, nc, kc, NR, pb);
      for (let ic = 0; ic < M; ic += MC) {
        const mc = Math.min(MC, M - ic);
        packPanels(a, aOff + ic * aRowStride + pc * aColStride, aRowStride, aColStride, mc, kc, MR, pa);
        for (let jr = 0; jr < ncPad; jr += NR) {
          for (let ir = 0; ir < mc; ir += MR) {
            kernel(pa, ir * kc, pb, jr * kc, kc, acc, (ic + ir) * ncPad + jr, ncPad, first);
          }
        }
      }
    }
    // Store the finished column block (float64 -> c's element type).
    for (let i = 0; i < M; i++) {
      const src = i * ncPad;
      const dst = cOff + i * N + jc;
      for (let j = 0; j < nc; j++) c[dst + j] = acc[src + j];
    }
  }
}

/**
 * Packs an (rows x depth) slab of a strided matrix into `rows / R` micro-panels, each
 * storing R consecutive values (one per row, zero-padded) for every depth index.
 * For A: rows are rows of A, depth runs along K. For B: rows are columns of B.
 */
function packPanels(
  src: FloatArray, off: number, rowStride: number, depthStride: number,
  rows: number, depth: number, R: number, dst: Float64Array,
): void {
  let d = 0;
  for (let r0 = 0; r0 < rows; r0 += R) {
    const full = rows - r0 >= R;
    const base = off + r0 * rowStride;
    if (full && R === 4) {
      let p = base;
      const s1 = rowStride, s2 = 2 * rowStride, s3 = 3 * rowStride;
      for (let k = 0; k < depth; k++) {
        dst[d] = src[p];
        dst[d + 1] = src[p + s1];
        dst[d + 2] = src[p + s2];
        dst[d + 3] = src[p + s3];
        d += 4;
        p += depthStride;
      }
    } else {
      const live = Math.min(R, rows - r0);
      for (let k = 0; k < depth; k++) {
        const p = base + k * depthStride;
        for (let r = 0; r < R; r++) dst[d + r] = r < live ? src[p + r * rowStride] : 0;
        d += R;
      }
    }
  }
}

/**
 * 4x4 micro-kernel: acc[tile] (+)= Apanel(kc x 4)^T-ish . Bpanel(kc x 4), with the
 * 16 partial sums held in locals for the whole depth loop.
 */
function kernel(
  pa: Float64Array, ia: number, pb: Float64Array, ib: number, kc: number,
  acc: Float64Array, ic: number, ldc: number, first: boolean,
): void {
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
  let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
  const end = ia + 4 * kc;
  for (; ia < end; ia += 4, ib += 4) {
    const a0 = pa[ia], a1 = pa[ia + 1], a2 = pa[ia + 2], a3 = pa[ia + 3];
    const b0 = pb[ib], b1 = pb[ib + 1], b2 = pb[ib + 2], b3 = pb[ib + 3];
    c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
    c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
    c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
    c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
  }
  if (!first) {
    c00 += acc[ic]; c01 += acc[ic + 1]; c02 += acc[ic + 2]; c03 += acc[ic + 3];
  }
  acc[ic] = c00; acc[ic + 1] = c01; acc[ic + 2] = c02; acc[ic + 3] = c03;
  ic += ldc;
  if (!first) {
    c10 += acc[ic]; c11 += acc[ic + 1]; c12 += acc[ic + 2]; c13 += acc[ic + 3];
  }
  acc[ic] = c10; acc[ic + 1] = c11; acc[ic + 2] = c12; acc[ic + 3] = c13;
  ic += ldc;
  if (!first) {
    c20 += acc[ic]; c21 += acc[ic + 1]; c22 += acc[ic + 2]; c23 += acc[ic + 3];
  }
  acc[ic] = c20; acc[ic + 1] = c21; acc[ic + 2] = c22; acc[ic + 3] = c23;
  ic += ldc;
  if (!first) {
    c30 += acc[ic]; c31 += acc[ic + 1]; c32 += acc[ic + 2]; c33 += acc[ic + 3];
  }
  acc[ic] = c30; acc[ic + 1] = c31; acc[ic + 2] = c32; acc[ic + 3] = c33;
}

/** Unpacked i-j-k loop with a float64 dot-product accumulator, for small problems. */
function gemmSmall(
  a: FloatArray, aOff: number, ars: number, acs: number,
  b: FloatArray, bOff: number, brs: number, bcs: number,
  c: FloatArray, cOff: number, M: number, K: number, N: number,
): void {
  for (let i = 0; i < M; i++) {
    const ai = aOff + i * ars;
    const ci = cOff + i * N;
    for (let j = 0; j < N; j++) {
      let s = 0;
      let pa = ai;
      let pb = bOff + j * bcs;
      for (let k = 0; k < K; k++) {
        s += a[pa] * b[pb];
        pa += acs;
        pb += brs;
      }
      c[ci + j] = s;
    }
  }
}

/**
 * Int32 C = A @ B with the same layout contract as {@link gemm}; products and sums wrap
 * like int32 arithmetic (Math.imul, `| 0`).
 */
export function gemmInt32(
  a: Int32Array, aOff: number, aRowStride: number, aColStride: number,
  b: Int32Array, bOff: number, bRowStride: number, bColStride: number,
  c: Int32Array, cOff: number, M: number, K: number, N: number,
): void {
  for (let i = 0; i < M; i++) {
    const ai = aOff + i * aRowStride;
    const ci = cOff + i * N;
    for (let j = 0; j < N; j++) {
      let s = 0;
      let pa = ai;
      let pb = bOff + j * bColStride;
      for (let k = 0; k < K; k++) {
        s = (s + Math.imul(a[pa]!, b[pb]!)) | 0;
        pa += aColStride;
        pb += bRowStride;
      }
      c[ci + j] = s;
    }
  }
}
