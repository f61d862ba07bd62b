import type { DType, TypedArray } from '../dtype.js';
import type { KernelPrimitive, PrimitiveAttrs } from '../primitives.js';
import { describe } from '../shape.js';
import { jsBackend } from './js/index.js';

/** A strided window onto storage: what a kernel reads. `Tensor` satisfies it. */
export interface View {
  readonly buf: TypedArray;
  readonly offset: number;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly dtype: DType;
}

/**
 * A kernel fills `out` (fresh, contiguous, offset 0, already shaped and typed by the op) from its
 * input views. Inputs may be non-contiguous; elementwise inputs are already broadcast to `out.shape`.
 */
export type Kernel<P extends KernelPrimitive> = (inputs: readonly View[], out: View, attrs: PrimitiveAttrs[P]) => void;

/** Kernels for some primitives (a backend's family file exports one for its family). */
export type KernelTable<P extends KernelPrimitive> = { readonly [K in P]: Kernel<K> };

/** A backend is one kernel per primitive that has storage to compute; forgetting one is a type error. */
export type Backend = {
  readonly name: string;
  /**
   * Optional: storage for a kernel output of `size` elements, which need not be zeroed (every
   * kernel of this backend writes all of its output). Without it outputs are fresh zeroed arrays.
   * Given `reuse`, free memory of at least that size (see tensor's storage-pool.ts), the storage
   * should be a view over it from byte 0, zeroed if the kernel for it expects zeros; a backend
   * may also ignore it and return new storage.
   */
  readonly allocate?: (dtype: DType, size: number, reuse?: ArrayBuffer) => TypedArray;
} & KernelTable<KernelPrimitive>;

let current: Backend = jsBackend;

/** The backend ops run on (the TypeScript reference backend unless replaced). */
export function getBackend(): Backend {
  return current;
}

/** Replaces the backend for every op that follows; returns the previous one. */
export function setBackend(backend: Backend): Backend {
  if (typeof backend !== 'object' || backend === null || typeof backend.name !== 'string') {
    throw new TypeError(`setBackend: expected a Backend (an object with a name and one kernel per primitive), got ${describe(backend)}`);
  }
  // The reference backend lists every kernel a backend must have.
  const missing = Object.keys(jsBackend).filter((k) => k !== 'name' && typeof (backend as unknown as Record<string, unknown>)[k] !== 'function');
  if (missing.length > 0) throw new TypeError(`setBackend: backend '${backend.name}' has no kernel for ${missing.join(', ')}`);
  const prev = current;
  current = backend;
  return prev;
}
