/**
 * @tapegrad/backend-wasm: an opt-in backend whose float32 matmul runs as a WebAssembly SIMD
 * (f32x4) blocked gemm. Every other primitive, and every matmul it does not accelerate, keeps
 * the kernel of the backend it was built from. Importing this module has no side effects.
 */
import { getBackend, type Backend, type Kernel, type View } from '@tapegrad/tensor';
import { KERNEL_BASE64 } from './kernel-bytes.js';

/** Options of {@link wasmBackend}. */
export interface WasmBackendOptions {
  /** The backend whose kernels are kept (and used for the matmuls not run in wasm). Default: `getBackend()` at call time. */
  base?: Backend;
  /** Matmuls with fewer multiply-adds per matrix (M * N * K) than this run on the base kernel. Default 32768. */
  minWork?: number;
}

/** Rows per packed A panel and columns per packed B panel: the wasm micro-kernel's 4 x 8 tile. */
const MR = 4;
const NR = 8;
const PAGE = 65536;

interface Engine {
  memory: WebAssembly.Memory;
  gemm: (a: number, b: number, c: number, mp: number, np: number, k: number) => void;
}

let engine: Engine | null | undefined;

function kernelBytes(): Uint8Array<ArrayBuffer> {
  const s = atob(KERNEL_BASE64);
  const bytes = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) bytes[i] = s.charCodeAt(i);
  return bytes;
}

/** Instantiates the kernel module once (synchronously: it is under 1 KiB); null where WebAssembly SIMD is missing. */
function loadEngine(): Engine | null {
  if (engine !== undefined) return engine;
  engine = null;
  if (typeof WebAssembly !== 'object') return engine;
  const bytes = kernelBytes();
  // The module itself uses v128 instructions, so validating it is the SIMD feature test.
  if (!WebAssembly.validate(bytes)) return engine;
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
  const ex = instance.exports as unknown as Engine;
  engine = { memory: ex.memory, gemm: ex.gemm };
  return engine;
}

/** True when this JavaScript engine runs WebAssembly SIMD, i.e. when {@link wasmBackend} actually accelerates matmul. */
export function wasmSimdSupported(): boolean {
  return loadEngine() !== null;
}

/** Element offsets of every batch entry (row-major over `shape`), starting at `base`. */
function batchOffsets(shape: readonly number[], strides: readonly number[], base: number): number[] {
  let offs = [base];
  for (let d = 0; d < shape.length; d++) {
    const next: number[] = [];
    for (const o of offs) for (let i = 0; i < shape[d]!; i++) next.push(o + i * strides[d]!);
    offs = next;
  }
  return offs;
}

/** Returns a float32 view of the engine's memory holding at least `bytes` bytes. */
function heap(e: Engine, bytes: number): Float32Array {
  const have = e.memory.buffer.byteLength;
  if (bytes > have) e.memory.grow(Math.ceil((bytes - have) / PAGE));
  return new Float32Array(e.memory.buffer);
}

/** Packs A (M x K, any strides) into ceil(M / 4) panels of K x 4 at mem[d], zero-padding rows past M. */
function packA(a: Float32Array, off: number, rs: number, cs: number, M: number, K: number, mem: Float32Array, d: number): void {
  let i = 0;
  for (; i + MR <= M; i += MR) {
    const p0 = off + i * rs;
    for (let k = 0, p = p0; k < K; k++, p += cs, d += 4) {
      mem[d] = a[p]!; mem[d + 1] = a[p + rs]!; mem[d + 2] = a[p + 2 * rs]!; mem[d + 3] = a[p + 3 * rs]!;
    }
  }
  if (i < M) {
    const live = M - i;
    for (let k = 0, p = off + i * rs; k < K; k++, p += cs) {
      for (let r = 0; r < MR; r++) mem[d++] = r < live ? a[p + r * rs]! : 0;
    }
  }
}

/** Packs B (K x N, any strides) into ceil(N / 8) panels of K x 8 at mem[d], zero-padding columns past N. */
function packB(b: Float32Array, off: number, rs: number, cs: number, K: number, N: number, mem: Float32Array, d: number): void {
  let j = 0;
  for (; j + NR <= N; j += NR) {
    for (let k = 0, p = off + j * cs; k < K; k++, p += rs, d += 8) {
      mem[d] = b[p]!; mem[d + 1] = b[p + cs]!; mem[d + 2] = b[p + 2 * cs]!; mem[d + 3] = b[p + 3 * cs]!;
      mem[d + 4] = b[p + 4 * cs]!; mem[d + 5] = b[p + 5 * cs]!; mem[d + 6] = b[p + 6 * cs]!; mem[d + 7] = b[p + 7 * cs]!;
    }
  }
  if (j < N) {
    const live = N - j;
    for (let k = 0, p = off + j * cs; k < K; k++, p += rs) {
      for (let c = 0; c < NR; c++) mem[d++] = c < live ? b[p + c * cs]! : 0;
    }
  }
}

/** The wasm matmul kernel: same contract as the reference one (a [..., M, K] @ b [..., K, N], batch dims already equal). */
function wasmMatmul(e: Engine, fallback: Kernel<'matmul'>, minWork: number): Kernel<'matmul'> {
  return (inputs: readonly View[], out: View, attrs): void => {
    const [a, b] = inputs as [View, View];
    const nd = out.shape.length;
    const M = out.shape[nd - 2]!, N = out.shape[nd - 1]!, K = a.shape[nd - 1]!;
    const af = a.buf, bf = b.buf, cf = out.buf;
    // float64 and int32 stay on the reference kernel, and so do small problems and vector results
    // (M or N = 1), where padding to 4 x 8 tiles costs more than SIMD gains.
    if (!(af instanceof Float32Array) || !(bf instanceof Float32Array) || !(cf instanceof Float32Array)
      || M <= 1 || N <= 1 || K === 0 || M * N * K < minWork) {
      fallback(inputs, out, attrs);
      return;
    }
    const batch = out.shape.slice(0, nd - 2);
    const aOffs = batchOffsets(batch, a.strides.slice(0, nd - 2), a.offset);
    const bOffs = batchOffsets(batch, b.strides.slice(0, nd - 2), b.offset);
    const ars = a.strides[nd - 2]!, acs = a.strides[nd - 1]!, brs = b.strides[nd - 2]!, bcs = b.strides[nd - 1]!;
    const mp = Math.ceil(M / MR), np = Math.ceil(N / NR);
    const Npad = np * NR;
    // Float offsets into wasm memory: packed A, packed B, then the Mpad x Npad block of C (all 16-byte aligned).
    const aAt = 0, bAt = mp * MR * K, cAt = bAt + np * NR * K;
    const mem = heap(e, (cAt + mp * MR * Npad) * 4);
    for (let t = 0; t < aOffs.length; t++) {
      packA(af, aOffs[t]!, ars, acs, M, K, mem, aAt);
      packB(bf, bOffs[t]!, brs, bcs, K, N, mem, bAt);
      e.gemm(aAt * 4, bAt * 4, cAt * 4, mp, np, K);
      const base = out.offset + t * M * N;
      for (let i = 0; i < M; i++) cf.set(mem.subarray(cAt + i * Npad, cAt + i * Npad + N), base + i * N);
    }
  };
}

/**
 * Builds the WebAssembly SIMD backend: `base` (by default the backend in use when this is called)
 * with its float32 matmul replaced by a blocked f32x4 gemm running in WebAssembly. Opt in with
 * `setBackend(wasmBackend())`; `setBackend` returns the previous backend for restoring it later.
 *
 * Only matmul changes (and with it every op built on it: dot, outer, linear layers, conv via
 * unfold). float64 and int32 matmuls, vector results, and matmuls with fewer than `minWork`
 * multiply-adds per matrix run on the base kernel; so does everything when the engine lacks
 * WebAssembly SIMD (see {@link wasmSimdSupported}). The wasm kernel sums in float32, so its
 * results differ from the reference kernel's (which sums in float64 and rounds once) by rounding.
 *
 * @example
 * import { setBackend } from '@tapegrad/tensor';
 * import { wasmBackend } from '@tapegrad/backend-wasm';
 * const previous = setBackend(wasmBackend());
 * // ... train ...
 * setBackend(previous);
 */
export function wasmBackend(options: WasmBackendOptions = {}): Backend {
  const base = options.base ?? getBackend();
  const minWork = options.minWork ?? 32768;
  const e = loadEngine();
  return { ...base, name: 'wasm', matmul: e ? wasmMatmul(e, base.matmul, minWork) : base.matmul };
}
