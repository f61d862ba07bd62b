/**
 * @tapegrad/backend-native: tapegrad's kernels in C++ for Node, as an N-API addon built from
 * source when the package is installed. Every kernel primitive runs natively on the tensors' own
 * typed arrays (nothing is copied across the boundary): GEMM through OpenBLAS, transcendental
 * functions through SLEEF, both cores on large work. Importing this module has no side effects;
 * the addon loads on the first call that needs it.
 *
 * ```ts
 * import { setBackend } from '@tapegrad/tensor';
 * import { nativeBackend, isNativeAvailable } from '@tapegrad/backend-native';
 * if (isNativeAvailable()) setBackend(nativeBackend());
 * ```
 * (`import 'tapegrad'` in Node does this by itself.)
 */
import { Buffer } from 'node:buffer';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { getBackend, LinAlgError, type Backend, type DType, type ScatterReduce, type View } from '@tapegrad/tensor';
import { PRIMITIVE_TABLE, familyOf } from '@tapegrad/tensor/internal';

type Storage = View['buf'];

/** What the compiled addon exports (native/addon.cc). */
interface Addon {
  run(id: number, out: Storage, ...inputs: Storage[]): void;
  setScratch(scratch: Float64Array): void;
  kernels(): [name: string, attrs: string][];
  info(): { blas: string; vectorMath: string; threads: number; memory: string };
  setThreads(n: number): void;
}

/** What the native backend runs on, from {@link nativeInfo}. */
export interface NativeInfo {
  /** The BLAS library the GEMMs call, with its configuration (e.g. `OpenBLAS 0.3.21 ... (Zen, 2 threads)`). */
  blas: string;
  /** Where exp, log, tanh, ... come from (SLEEF's vector functions, or libm when the build had no SLEEF). */
  vectorMath: string;
  /** Threads the elementwise, reduction and convolution kernels use (the calling thread included). */
  threads: number;
  /** How large tensors' memory is allocated (see the package README, "Memory"). */
  memory: string;
  /** The primitives that have a native kernel. */
  kernels: string[];
  /** Where the addon was loaded from. */
  path: string;
}

const ADDON_PATH = fileURLToPath(new URL('../build/Release/tapegrad_native.node', import.meta.url));
/** Written by scripts/build-addon.mjs when the build could not happen, saying why. */
const REASON_PATH = fileURLToPath(new URL('../build/unavailable.txt', import.meta.url));

let addon: Addon | null | undefined;
let whyNot = '';

function load(): Addon | null {
  if (addon !== undefined) return addon;
  addon = null;
  if (!existsSync(ADDON_PATH)) {
    whyNot = existsSync(REASON_PATH)
      ? readFileSync(REASON_PATH, 'utf8').trim()
      : `the addon was not built (no ${ADDON_PATH}); build it with \`npm run build:addon\` in @tapegrad/backend-native`;
    return addon;
  }
  // OpenBLAS reads this once, when the addon loads it. Its worker threads otherwise spin (calling
  // sched_yield) for about 2^28 cycles after each threaded GEMM, which on a 2-core machine takes a
  // core from the pool's threads for most of a training step; GEMMs now run on the pool and only
  // the largest on OpenBLAS's threads, so those threads may as well sleep at once. A value the
  // user set is kept; the variable is put back so child processes see the environment as it was.
  const timeout = process.env.OPENBLAS_THREAD_TIMEOUT;
  if (timeout === undefined) process.env.OPENBLAS_THREAD_TIMEOUT = '4';
  try {
    addon = createRequire(import.meta.url)(ADDON_PATH) as Addon;
    addon.setScratch(scratch);
    sweeping = sweepOnMainThread();
  } catch (err) {
    addon = null;
    whyNot = `the addon ${ADDON_PATH} does not load: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`;
  } finally {
    if (timeout === undefined) delete process.env.OPENBLAS_THREAD_TIMEOUT;
  }
  return addon;
}

/** How array buffers' memory is freed, for nativeInfo().memory (see sweepOnMainThread). */
let sweeping = '';

/**
 * Has V8 free dead array buffers' memory on the main thread, in its young-generation collections,
 * rather than on a background thread (V8's --no-concurrent-array-buffer-sweeping). Each output of
 * a kernel is a fresh ArrayBuffer from malloc; freeing them on another thread makes both threads
 * take turns at glibc's one arena lock, each turn a futex system call. On a 2-core VM that put
 * 3.5 us into every allocation of 4 KiB, where the kernel itself took 0.3 us; freed on the main
 * thread, an allocation takes 0.4 us. A process started with either form of the flag keeps it.
 */
function sweepOnMainThread(): string {
  const chosen = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].some((a) => /^--(no-)?concurrent[-_]array[-_]buffer[-_]sweeping$/.test(a));
  if (chosen) return 'array buffers swept as the process chose';
  setFlagsFromString('--no-concurrent-array-buffer-sweeping');
  return 'array buffers swept on the main thread';
}

/** True when the addon is built and loads, i.e. when {@link nativeBackend} will not throw. */
export function isNativeAvailable(): boolean {
  return load() !== null;
}

/** Why the native backend is unavailable (what the build or the loader reported), or null when it is available. */
export function nativeUnavailableReason(): string | null {
  return load() === null ? whyNot : null;
}

function required(op: string): Addon {
  const a = load();
  if (a === null) throw new Error(`${op}: the native backend is not available: ${whyNot}`);
  return a;
}

// ---- calls -------------------------------------------------------------------------------------

// One Float64Array carries every call's geometry and attributes to the addon (layout in
// native/addon.cc): [used, per view (out, then inputs): dtype, offset, ndim, shape..., strides...,
// attributes...].
let scratch = new Float64Array(4096);

function ensure(n: number): void {
  if (n <= scratch.length) return;
  const bigger = new Float64Array(Math.max(2 * scratch.length, n + 64));
  bigger.set(scratch);
  scratch = bigger;
  addon!.setScratch(scratch);
}

const DTYPE_CODE: Record<DType, number> = { float32: 0, float64: 1, int32: 2, bool: 3 };
const DTYPE_BYTES = [4, 8, 4, 1];

/** Writes view v's record at p; returns where the next record goes. */
function putView(v: View, p: number): number {
  const nd = v.shape.length;
  const code = DTYPE_CODE[v.dtype];
  // The addon trusts this code for the element size, so it must be the storage's.
  if (code === undefined || v.buf.BYTES_PER_ELEMENT !== DTYPE_BYTES[code]) {
    throw new TypeError(`nativeBackend: a ${String(v.dtype)} view over a ${v.buf.constructor.name} cannot be passed to a native kernel`);
  }
  if (p + 3 + 2 * nd > scratch.length) ensure(p + 3 + 2 * nd);
  const s = scratch;
  s[p] = code;
  s[p + 1] = v.offset;
  s[p + 2] = nd;
  for (let d = 0; d < nd; d++) {
    s[p + 3 + d] = v.shape[d]!;
    s[p + 3 + nd + d] = v.strides[d]!;
  }
  return p + 3 + 2 * nd;
}

/** scatter's reductions, by their code in native/movement.cc (enum Reduce). */
const SCATTER_REDUCE: readonly ScatterReduce[] = ['none', 'sum', 'prod', 'mean', 'amax', 'amin'];

/** Numbers as they are, booleans as 0/1, scatter's reduction by its code, dtype names as their code, arrays as length then elements. */
function putAttr(x: unknown, p: number, op: string): number {
  ensure(p + 1);
  if (typeof x === 'number') {
    scratch[p] = x;
    return p + 1;
  }
  if (typeof x === 'boolean') {
    scratch[p] = x ? 1 : 0;
    return p + 1;
  }
  if (typeof x === 'string' && x in DTYPE_CODE) {
    scratch[p] = DTYPE_CODE[x as DType];
    return p + 1;
  }
  if (op === 'scatter' && typeof x === 'string' && SCATTER_REDUCE.includes(x as ScatterReduce)) {
    scratch[p] = SCATTER_REDUCE.indexOf(x as ScatterReduce);
    return p + 1;
  }
  if (Array.isArray(x)) {
    scratch[p++] = x.length;
    for (const e of x) p = putAttr(e, p, op);
    return p;
  }
  throw new TypeError(`nativeBackend: cannot pass the attribute ${JSON.stringify(x)} of '${op}' to the native kernel`);
}

type AnyKernel = (inputs: readonly View[], out: View, attrs: Record<string, unknown>) => void;

/**
 * A factorization's kernel, whose failure on one batch entry comes out of the addon as an Error
 * with code `TG_LINALG:<flat index>`: rethrown as tapegrad's LinAlgError with that entry's index
 * over the batch dims of the first input.
 */
function linalgErrors(kernel: AnyKernel): AnyKernel {
  return (inputs, out, attrs) => {
    try {
      kernel(inputs, out, attrs);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (typeof code !== 'string' || !code.startsWith('TG_LINALG:')) throw err;
      let flat = Number(code.slice('TG_LINALG:'.length));
      const batch = inputs[0]!.shape.slice(0, -2);
      const index = batch.map(() => 0);
      for (let d = batch.length - 1; d >= 0; d--) {
        index[d] = flat % batch[d]!;
        flat = Math.floor(flat / batch[d]!);
      }
      throw new LinAlgError((err as Error).message, index);
    }
  };
}

/** The JavaScript side of one native kernel: geometry and attributes into the scratch, then one call. */
function nativeKernel(a: Addon, id: number, op: string, attrNames: string[]): AnyKernel {
  const kernel: AnyKernel = (inputs, out, attrs) => {
    let p = putView(out, 1);
    for (let i = 0; i < inputs.length; i++) p = putView(inputs[i]!, p);
    for (let i = 0; i < attrNames.length; i++) p = putAttr(attrs[attrNames[i]!], p, op);
    scratch[0] = p - 1;
    switch (inputs.length) {
      case 1: a.run(id, out.buf, inputs[0]!.buf); break;
      case 2: a.run(id, out.buf, inputs[0]!.buf, inputs[1]!.buf); break;
      case 3: a.run(id, out.buf, inputs[0]!.buf, inputs[1]!.buf, inputs[2]!.buf); break;
      default: a.run(id, out.buf, ...inputs.map((x) => x.buf));
    }
  };
  return LINALG_FAILING.has(op) ? linalgErrors(kernel) : kernel;
}

/** The kernels that may throw a LinAlgError. */
const LINALG_FAILING = new Set(['solve', 'cholesky', 'qr', 'eigh', 'svd']);

/**
 * Outputs of at most this many bytes keep the base (JavaScript) kernel by default: crossing into
 * native code costs a few hundred nanoseconds, more than such a kernel, and V8 keeps typed arrays
 * of up to 64 bytes inside its moving heap, so handing one to native code makes it copy the array
 * out first. Such tensors are too small for threads or vector units to matter.
 */
export const DEFAULT_MIN_BYTES = 64;

/**
 * The native kernel for outputs larger than minBytes, the base kernel for the rest, unless an
 * input is large: a reduction of 400K values to a channel's 8 sums (a convolution's bias
 * gradient) is work for the vector units and the threads whatever the size of its output.
 */
function sized(native: AnyKernel, base: AnyKernel | undefined, minBytes: number): AnyKernel {
  if (base === undefined || minBytes <= 0) return native;
  return (inputs, out, attrs) => (out.buf.byteLength <= minBytes && !anyLarge(inputs) ? base(inputs, out, attrs) : native(inputs, out, attrs));
}

/** Inputs of at least this many elements send a kernel to native code whatever its output's size. */
const LARGE_INPUT = 4096;

function anyLarge(inputs: readonly View[]): boolean {
  for (let i = 0; i < inputs.length; i++) {
    const shape = inputs[i]!.shape;
    let n = 1;
    for (let d = 0; d < shape.length; d++) n *= shape[d]!;
    if (n >= LARGE_INPUT) return true;
  }
  return false;
}

const ARRAYS: Record<DType, new (buffer: ArrayBuffer, byteOffset: number, length: number) => Storage> = {
  float32: Float32Array, float64: Float64Array, int32: Int32Array, bool: Uint8Array,
};
const ZEROED: Record<DType, new (length: number) => Storage> = { float32: Float32Array, float64: Float64Array, int32: Int32Array, bool: Uint8Array };

/**
 * Output storage. Outputs larger than minBytes, which native kernels write, are not zero-filled
 * first (Node's allocUnsafeSlow): every native kernel writes all of its output, and zeroing a
 * fresh array costs about as much as an elementwise kernel. Small outputs, which the base
 * kernels fill, are zeroed as usual, also in memory the tensor package reuses (`reuse`).
 */
function allocator(minBytes: number): (dtype: DType, size: number, reuse?: ArrayBuffer) => Storage {
  return (dtype, size, reuse) => {
    const bytes = size * DTYPE_BYTES[DTYPE_CODE[dtype]]!;
    if (reuse !== undefined) {
      const view = new ARRAYS[dtype](reuse, 0, size);
      return bytes <= minBytes ? view.fill(0) : view;
    }
    if (bytes <= minBytes) return new ZEROED[dtype](size);
    const b = Buffer.allocUnsafeSlow(bytes);
    return new ARRAYS[dtype](b.buffer as ArrayBuffer, b.byteOffset, size);
  };
}

/** A base kernel that may assume a zeroed output, given one. */
function zeroingFirst(base: AnyKernel): AnyKernel {
  return (inputs, out, attrs) => {
    out.buf.fill(0);
    base(inputs, out, attrs);
  };
}

let kernels: Record<string, AnyKernel> | undefined;

function nativeKernels(a: Addon): Record<string, AnyKernel> {
  if (kernels === undefined) {
    kernels = {};
    a.kernels().forEach(([op, attrs], id) => {
      kernels![op] = nativeKernel(a, id, op, attrs.split(' ').filter(Boolean));
    });
  }
  return kernels;
}

// ---- the public API ------------------------------------------------------------------------------

/** Options of {@link nativeBackend}: the backend for small outputs and missing kernels, and the size threshold. */
export interface NativeBackendOptions {
  /** Kernels for the small outputs (see minBytes) and for primitives the addon has none for. Default: `getBackend()` at call time. */
  base?: Backend;
  /**
   * Outputs of at most this many bytes run on the base backend's kernel, where a native call costs
   * more than the work (default {@link DEFAULT_MIN_BYTES}: 16 float32 or 8 float64 values); 0 runs
   * every kernel natively.
   */
  minBytes?: number;
}

/**
 * The native backend: `setBackend(nativeBackend())`. Every primitive with a native kernel runs in
 * the addon (all of tapegrad's primitives when this package was built), except on outputs of at
 * most `minBytes` bytes; any other keeps the base backend's kernel. Throws an Error saying why when
 * the addon is not built or does not load.
 */
export function nativeBackend(opts: NativeBackendOptions = {}): Backend {
  const a = required('nativeBackend');
  const base = opts.base ?? getBackend();
  const minBytes = opts.minBytes ?? DEFAULT_MIN_BYTES;
  if (!(minBytes >= 0)) throw new RangeError(`nativeBackend: expected minBytes >= 0, got ${minBytes}`);
  const native = nativeKernels(a);
  const kernels: Record<string, unknown> = { name: 'native', allocate: allocator(minBytes) };
  for (const [op, k] of Object.entries(base)) {
    // Primitives the addon has no kernel for keep the base's, which may expect a zeroed output.
    if (typeof k === 'function' && !(op in native) && op !== 'allocate') kernels[op] = zeroingFirst(k as AnyKernel);
  }
  const baseKernels = base as unknown as Record<string, AnyKernel | undefined>;
  // Linear algebra always runs natively: LAPACK/BLAS and the reference round differently in the last
  // bits, and a matrix's result must not depend on how many others share its call (or their size).
  for (const [op, k] of Object.entries(native)) kernels[op] = isLinalg(op) ? k : sized(k, baseKernels[op], minBytes);
  return kernels as unknown as Backend;
}

function isLinalg(op: string): boolean {
  return op in PRIMITIVE_TABLE && familyOf(op as keyof typeof PRIMITIVE_TABLE) === 'linalg';
}

/** The primitives the addon has kernels for. */
export function nativeKernelNames(): string[] {
  return Object.keys(nativeKernels(required('nativeKernelNames')));
}

/** The libraries and threads the native backend uses. Throws when it is unavailable. */
export function nativeInfo(): NativeInfo {
  const a = required('nativeInfo');
  const info = a.info();
  return { ...info, memory: `${info.memory}; ${sweeping}`, kernels: nativeKernelNames(), path: ADDON_PATH };
}

/** Sets the threads of the native kernels and of OpenBLAS (also settable with TAPEGRAD_NUM_THREADS before loading). */
export function setNativeThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`setNativeThreads: expected a positive integer, got ${n}`);
  required('setNativeThreads').setThreads(n);
}
