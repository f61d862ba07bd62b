import { getBackend, type Kernel } from './backend/backend.js';
import type { DType } from './dtype.js';
import type { KernelPrimitive, PrimitiveAttrs, ViewPrimitive } from './primitives.js';
import { AnomalyError, addOpTime, isAnomalyEnabled, isTimingEnabled, record } from './tape.js';
import { Tensor } from './tensor.js';

/**
 * The choke point for computing ops: allocates the output (shape and dtype decided by the op, which
 * has already validated its operands), runs the backend kernel, checks for NaN/Inf in anomaly mode,
 * and records the node. Every kernel call in tapegrad goes through here.
 */
export function runKernel<P extends KernelPrimitive>(op: P, inputs: Tensor[], attrs: PrimitiveAttrs[P], shape: readonly number[], dtype: DType): Tensor {
  const start = isTimingEnabled() ? performance.now() : -1;
  const backend = getBackend();
  const out = Tensor.empty(shape, dtype, backend.allocate);
  (backend[op] as Kernel<P>)(inputs, out, attrs);
  if (isAnomalyEnabled()) checkFinite(op, inputs, out, attrs);
  record(op, inputs, out, attrs);
  if (start >= 0 && out.node !== null) addOpTime(out.node, 'forward', performance.now() - start);
  return out;
}

/** The choke point for views: a new tensor over the input's storage, recorded like any op. */
export function makeView<P extends ViewPrimitive>(op: P, input: Tensor, attrs: PrimitiveAttrs[P], shape: readonly number[], strides: readonly number[], offset: number): Tensor {
  return record(op, [input], new Tensor(input.buf, shape, strides, offset, input.dtype), attrs);
}

function checkFinite(op: string, inputs: Tensor[], out: Tensor, attrs: object): void {
  if (out.dtype !== 'float32' && out.dtype !== 'float64') return;
  // Max-pooling pads its windows with -Infinity on purpose; that is not an anomaly.
  if (op === 'unfold2d' && !Number.isFinite((attrs as PrimitiveAttrs['unfold2d']).padValue)) return;
  const b = out.buf;
  for (let i = 0; i < b.length; i++) {
    const v = b[i]!;
    if (v - v !== 0) {
      const what = v !== v ? 'NaN' : 'Inf';
      const shapes = inputs.map((t) => `[${t.shape.join(',')}]`).join(', ');
      throw new AnomalyError(`detectAnomaly: forward of '${op}' produced ${what} (output shape [${out.shape.join(',')}], element ${i}; inputs ${shapes})`);
    }
  }
}
