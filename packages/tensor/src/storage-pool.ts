/**
 * Storage that a reverse sweep has proven dead, handed out again to the kernel outputs that follow.
 *
 * JavaScript gives a tensor's storage back only when the garbage collector runs, so every op of a
 * training step writes into memory no cache has seen, and a step's temporaries pile up until a
 * collection. The one place tapegrad knows that a buffer has no holder left is the reverse sweep
 * without createGraph: a cotangent it made is seen by nothing but the sweep (no rule keeps it, no
 * tape records it), so once the last cotangent over that storage has been consumed, the storage
 * is free. Autograd's sweep opens a pool (`openPool`), tells it which storages are free
 * (`release`), and closes it at the end (`closePool`). Free blocks serve new kernel outputs of
 * about their size, during the sweep and after it until the next sweep opens or the program
 * yields to the event loop.
 *
 * Only storages born while the pool is open (`bornInPool`) can be released: those are the sweep's
 * own kernel outputs, never a user's tensor or one the forward pass saved. Small storages are not
 * tracked; their memory is cheap and their cost is in the bookkeeping.
 */
import type { DType, TypedArray } from './dtype.js';

/** Storages below this many elements are neither tracked nor reused. */
export const POOL_MIN_ELEMENTS = 4096;

const VIEWS: Record<DType, new (buffer: ArrayBuffer, byteOffset: number, length: number) => TypedArray> = {
  float32: Float32Array, float64: Float64Array, int32: Int32Array, bool: Uint8Array,
};

/**
 * Free memory, smallest first. An output takes the smallest block that fits it and is at most
 * twice its size, as a fresh view that its backend makes (so a block serves any dtype and shape).
 */
const free: ArrayBuffer[] = [];
/** The storages made while the pool is open, or null when it is closed. */
let births: Set<TypedArray> | null = null;
/** For tests: released memory is overwritten (all bits set: NaN for floats), so a read after release shows. */
let poison = false;

/** For tests: overwrite released memory with NaN bits from now on (see `poison`); returns the previous setting. */
export function poisonReleased(on: boolean): boolean {
  const prev = poison;
  poison = on;
  return prev;
}

/**
 * Opens the pool for one sweep; false (and nothing changes) if one is already open. Blocks left
 * from the sweep before (those the ops since did not take) are dropped first, so the pool never
 * holds more than one sweep's released memory, even in a synchronous loop whose shapes change
 * from step to step.
 */
export function openPool(): boolean {
  if (births !== null) return false;
  free.length = 0;
  births = new Set();
  return true;
}

/**
 * Ends a sweep. The blocks still free serve the ops that follow (the optimizer's update, the next
 * forward pass) until the program next yields to the event loop, when they go back to the garbage
 * collector: the pool never holds memory past the synchronous run of code that freed it.
 */
export function closePool(): void {
  births = null;
  if (free.length > 0 && !draining) {
    draining = true;
    const timer: unknown = setTimeout(drain, 0);
    // In Node, a pending drain does not keep the process alive.
    (timer as { unref?: () => void }).unref?.();
  }
}

let draining = false;

/** Drops every free block (see closePool). */
export function drain(): void {
  draining = false;
  free.length = 0;
}

/** Whether `buf` was made while the pool is open (and is large enough to be tracked). */
export function bornInPool(buf: TypedArray): boolean {
  return births !== null && births.has(buf);
}

/** Hands the memory of `buf`, which nothing holds any more, to the outputs that follow. */
export function release(buf: TypedArray): void {
  if (births === null || !births.delete(buf)) return;
  const block = buf.buffer as ArrayBuffer;
  if (poison) new Uint8Array(block).fill(0xff);
  let i = free.length;
  while (i > 0 && free[i - 1]!.byteLength > block.byteLength) i--;
  free.splice(i, 0, block);
}

/**
 * A free block for a kernel output of `bytes` bytes: the smallest that fits, if it is at most twice
 * that size; undefined when none does.
 */
export function takeBlock(bytes: number): ArrayBuffer | undefined {
  if (free.length === 0) return undefined;
  let i = 0;
  while (i < free.length && free[i]!.byteLength < bytes) i++;
  if (i === free.length || free[i]!.byteLength > 2 * bytes) return undefined;
  return free.splice(i, 1)[0];
}

/** A zeroed storage of `dtype` and `n` elements over `block` (for backends without an allocator). */
export function zeroedView(dtype: DType, n: number, block: ArrayBuffer): TypedArray {
  const buf = new VIEWS[dtype](block, 0, n);
  buf.fill(0);
  return buf;
}

/** Records a kernel output's new storage as born in the open pool (if it is large enough to track). */
export function noteBirth(buf: TypedArray): void {
  if (births !== null && buf.length >= POOL_MIN_ELEMENTS) births.add(buf);
}

/** Bytes of the blocks the pool holds free now (for tests). */
export function pooledBytes(): number {
  let bytes = 0;
  for (const block of free) bytes += block.byteLength;
  return bytes;
}
