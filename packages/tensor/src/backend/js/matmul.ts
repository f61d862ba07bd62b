/**
 * Reference matrix-multiply kernels in pure TypeScript.
 *
 * {@link gemm} uses a GotoBLAS-style blocked loop nest (sizes in elements):
 *
 *   for jc in N step NC                  -- column block of B / C
 *     for ic in M step MC                -- row block of A / C
 *       for pc in K step KC              -- depth block
 *         pack B[pc:pc+KC, jc:jc+NC] into NR-wide micro-panels (KC x NR each)
 *         pack A[ic:ic+MC, pc:pc+KC] into MR-tall micro-panels (KC x MR each)
 *         for each MR x NR tile: micro-kernel over the KC depth
 *       store the finished MC x NC block of C
 *
 * Packing copies the arbitrarily strided float32/float64 operands into one contiguous
 * float64 scratch buffer, in exactly the order the micro-kernel reads them and
 * zero-padded to whole tiles, so the micro-kernel is monomorphic, branch-free and reads
 * memory sequentially (a KC x NR panel of B stays in L1, the MC x KC block of A in L2).
 * The micro-kernel keeps its MR x NR (4 x 3) tile of C in local variables across the
 * whole depth loop and then adds it into `acc`, a float64 MC x NC block of C, so partial
 * sums are never rounded to float32 between depth blocks. All scratch is bounded by the
 * block sizes and allocated once, on first use.
 *
 * V8 notes (measured with Node 20 on x86-64): the scratch is a plain `number[]` with
 * PACKED_DOUBLE elements rather than a Float64Array, and A and B panels share it,
 * because element loads from such an array compile to fewer instructions (one map
 * check and one bounds check per load); `| 0` on indices removes overflow checks. 4x3
 * beat 4x4, 3x3, 2x4 and larger tiles: bigger tiles spill accumulators to the stack.
 * Tiny problems (M*N*K <= 64) skip packing and use a direct dot-product loop; vector
 * results (M = 1 or N = 1) use {@link vecMat}, since padding them to 4x3 tiles wastes work.
 */

export type FloatArray = Float32Array | Float64Array;

/** Register tile: MR rows x NR columns of C held in locals by the micro-kernel. */
const MR = 4;
const NR = 3;
/** Cache blocks: MC is a multiple of MR, NC of NR. */
const MC = 128;
const KC = 256;
const NC = 384;
/** At or below this many multiply-adds (M*N*K), the unpacked loop is faster. */
const SMALL = 64;
/** Offset of the packed A block in `work`; the packed B block starts at 0. */
const A_AT = KC * NC;

let work: number[] | null = null;
let acc: Float64Array | null = null;

/** Builds a PACKED_DOUBLE_ELEMENTS array of n zeros (starting from doubles keeps V8 from choosing Smi elements). */
function doubles(n: number): number[] {
  const x: number[] = [];
  for (let i = 0; i < n; i++) x.push(0.5);
  x.fill(0);
  return x;
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
  if (M * N * K <= SMALL) {
    gemmSmall(a, aOff, aRowStride, aColStride, b, bOff, bRowStride, bColStride, c, cOff, M, K, N);
    return;
  }
  // Vector cases: a 1 x N or M x 1 result is contiguous either way, so C = A @ B and C^T = B^T @ A^T coincide.
  if (M === 1) {
    vecMat(a, aOff, aColStride, b, bOff, bRowStride, bColStride, c, cOff, K, N);
    return;
  }
  if (N === 1) {
    vecMat(b, bOff, bRowStride, a, aOff, aColStride, aRowStride, c, cOff, K, M);
    return;
  }
  const w = work ?? (work = doubles(A_AT + MC * KC));
  const ac = acc ?? (acc = new Float64Array(MC * NC));

  for (let jc = 0; jc < N; jc += NC) {
    const nc = Math.min(NC, N - jc);
    const ncPad = Math.ceil(nc / NR) * NR;
    for (let ic = 0; ic < M; ic += MC) {
      const mc = Math.min(MC, M - ic);
      for (let pc = 0; pc < K; pc += KC) {
        const kc = Math.min(KC, K - pc);
        const first = pc === 0;
        // With a single depth block, the packed B block is the same for every ic.
        if (ic === 0 || kc < K) pack(b, bOff + pc * bRowStride + jc * bColStride, bColStride, bRowStride, nc, kc, NR, w, 0);
        pack(a, aOff + ic * aRowStride + pc * aColStride, aRowStride, aColStride, mc, kc, MR, w, A_AT);
        for (let jr = 0; jr < nc; jr += NR) {
          for (let ir = 0; ir < mc; ir += MR) {
            kernel(w, A_AT + ir * kc, jr * kc, kc, ac, ir * ncPad + jr, ncPad, first);
          }
        }
      }
      // Store the finished block, rounding to c's element type.
      for (let i = 0; i < mc; i++) {
        const src = i * ncPad;
        const dst = cOff + (ic + i) * N + jc;
        for (let j = 0; j < nc; j++) c[dst + j] = ac[src + j]!;
      }
    }
  }
}

/**
 * Packs a (rows x depth) slab of a strided matrix into ceil(rows / R) micro-panels
 * starting at dst[d]; each panel stores, for every depth index, R consecutive values
 * (one per row, zero-padded past `rows`). For A the rows are A's rows and depth runs
 * along K (R = MR = 4); for B the rows are B's columns (R = NR = 3).
 */
function pack(
  src: FloatArray, off: number, rowStride: number, depthStride: number,
  rows: number, depth: number, R: number, dst: number[], d: number,
): void {
  const s1 = rowStride, s2 = 2 * rowStride, s3 = 3 * rowStride;
  let r0 = 0;
  if (R === 4) {
    for (; r0 + 4 <= rows; r0 += 4) {
      for (let k = 0, p = off + r0 * rowStride; k < depth; k++, p += depthStride, d += 4) {
        dst[d] = src[p]!; dst[d + 1] = src[p + s1]!; dst[d + 2] = src[p + s2]!; dst[d + 3] = src[p + s3]!;
      }
    }
  } else {
    for (; r0 + 3 <= rows; r0 += 3) {
      for (let k = 0, p = off + r0 * rowStride; k < depth; k++, p += depthStride, d += 3) {
        dst[d] = src[p]!; dst[d + 1] = src[p + s1]!; dst[d + 2] = src[p + s2]!;
      }
    }
  }
  if (r0 < rows) {
    const live = rows - r0;
    for (let k = 0, p = off + r0 * rowStride; k < depth; k++, p += depthStride) {
      for (let r = 0; r < R; r++) dst[d++] = r < live ? src[p + r * rowStride]! : 0;
    }
  }
}

/**
 * 4x3 micro-kernel: tile (+)= sum over k of Apanel[k][0..3] (outer product) Bpanel[k][0..2].
 * Both panels live in `w` (A at ia, B at ib); the tile is written to acc at ci with row stride ldc.
 */
function kernel(
  w: number[], ia: number, ib: number, kc: number,
  acc: Float64Array, ci: number, ldc: number, first: boolean,
): void {
  let c00 = 0, c01 = 0, c02 = 0;
  let c10 = 0, c11 = 0, c12 = 0;
  let c20 = 0, c21 = 0, c22 = 0;
  let c30 = 0, c31 = 0, c32 = 0;
  const end = ia + 4 * kc;
  for (; ia < end; ia = (ia + 4) | 0, ib = (ib + 3) | 0) {
    const a0 = w[ia]!, a1 = w[(ia + 1) | 0]!, a2 = w[(ia + 2) | 0]!, a3 = w[(ia + 3) | 0]!;
    const b0 = w[ib]!, b1 = w[(ib + 1) | 0]!, b2 = w[(ib + 2) | 0]!;
    c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2;
    c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2;
    c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2;
    c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2;
  }
  if (!first) {
    c00 += acc[ci]!; c01 += acc[ci + 1]!; c02 += acc[ci + 2]!;
    c10 += acc[ci + ldc]!; c11 += acc[ci + ldc + 1]!; c12 += acc[ci + ldc + 2]!;
    c20 += acc[ci + 2 * ldc]!; c21 += acc[ci + 2 * ldc + 1]!; c22 += acc[ci + 2 * ldc + 2]!;
    c30 += acc[ci + 3 * ldc]!; c31 += acc[ci + 3 * ldc + 1]!; c32 += acc[ci + 3 * ldc + 2]!;
  }
  acc[ci] = c00; acc[ci + 1] = c01; acc[ci + 2] = c02;
  ci += ldc;
  acc[ci] = c10; acc[ci + 1] = c11; acc[ci + 2] = c12;
  ci += ldc;
  acc[ci] = c20; acc[ci + 1] = c21; acc[ci + 2] = c22;
  ci += ldc;
  acc[ci] = c30; acc[ci + 1] = c31; acc[ci + 2] = c32;
}

/**
 * c[j] = sum over k of x[xOff + k * xs] * m[mOff + k * ks + j * js], j < N.
 * Dot products four columns at a time when m is closer to contiguous along k, otherwise
 * row updates (axpy) into the float64 `acc` scratch, in chunks of its length.
 */
function vecMat(
  x: FloatArray, xOff: number, xs: number, m: FloatArray, mOff: number, ks: number, js: number,
  c: FloatArray, cOff: number, K: number, N: number,
): void {
  if (Math.abs(ks) <= Math.abs(js)) {
    let j = 0;
    for (; j + 4 <= N; j += 4) {
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      let p = mOff + j * js;
      let q = xOff;
      for (let k = 0; k < K; k++) {
        const xk = x[q]!;
        s0 += xk * m[p]!; s1 += xk * m[p + js]!; s2 += xk * m[p + 2 * js]!; s3 += xk * m[p + 3 * js]!;
        p += ks;
        q += xs;
      }
      c[cOff + j] = s0; c[cOff + j + 1] = s1; c[cOff + j + 2] = s2; c[cOff + j + 3] = s3;
    }
    for (; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += x[xOff + k * xs]! * m[mOff + k * ks + j * js]!;
      c[cOff + j] = s;
    }
    return;
  }
  const ac = acc ?? (acc = new Float64Array(MC * NC));
  for (let j0 = 0; j0 < N; j0 += ac.length) {
    const n = Math.min(ac.length, N - j0);
    ac.fill(0, 0, n);
    let k = 0;
    for (; k + 4 <= K; k += 4) {
      const x0 = x[xOff + k * xs]!, x1 = x[xOff + (k + 1) * xs]!;
      const x2 = x[xOff + (k + 2) * xs]!, x3 = x[xOff + (k + 3) * xs]!;
      let p = mOff + k * ks + j0 * js;
      for (let j = 0; j < n; j++, p += js) {
        ac[j] = ac[j]! + (x0 * m[p]! + x1 * m[p + ks]! + x2 * m[p + 2 * ks]! + x3 * m[p + 3 * ks]!);
      }
    }
    for (; k < K; k++) {
      const xk = x[xOff + k * xs]!;
      const p = mOff + k * ks + j0 * js;
      for (let j = 0; j < n; j++) ac[j] = ac[j]! + xk * m[p + j * js]!;
    }
    for (let j = 0; j < n; j++) c[cOff + j0 + j] = ac[j]!;
  }
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
        s += a[pa]! * b[pb]!;
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
