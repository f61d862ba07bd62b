import { getBackend, type Kernel } from './backend/backend.js';
import { isFloat, type DType } from './dtype.js';
import type { KernelPrimitive, Primitive, PrimitiveAttrs, ViewPrimitive } from './primitives.js';
import { AnomalyError, addOpTime, isAnomalyEnabled, isTimingEnabled, record } from './tape.js';
import { Tensor, trustedTensor } from './tensor.js';

/**
 * Runs a primitive whose operands include tensors batched by vmap (`Tensor._batched`): autograd's
 * vmap installs it, and it applies the primitive's batching rule to the physical values and records
 * the logical op. `shape` and `dtype` are the logical output's, as the op decided them.
 */
export type BatchInterpreter = (op: Primitive, inputs: readonly Tensor[], attrs: object, shape: readonly number[], dtype: DType) => Tensor;

let batching: BatchInterpreter | null = null;

/** Installs the interpreter for batched operands (autograd's vmap does, on first use). */
export function setBatchInterpreter(interpreter: BatchInterpreter): void {
  batching = interpreter;
}

function anyBatched(inputs: readonly Tensor[]): boolean {
  for (let i = 0; i < inputs.length; i++) if (inputs[i]!._batch !== null) return true;
  return false;
}

/**
 * The choke point for computing ops: allocates the output (shape and dtype decided by the op, which
 * has already validated its operands), runs the backend kernel, checks for NaN/Inf in anomaly mode,
 * and records the node. Every kernel call in tapegrad goes through here.
 */
export function runKernel<P extends KernelPrimitive>(op: P, inputs: Tensor[], attrs: PrimitiveAttrs[P], shape: readonly number[], dtype: DType): Tensor {
  if (batching !== null && anyBatched(inputs)) return batching(op, inputs, attrs, shape, dtype);
  const start = isTimingEnabled() ? performance.now() : -1;
  const backend = getBackend();
  const out = Tensor.empty(shape, dtype, op, backend.allocate);
  (backend[op] as Kernel<P>)(inputs, out, attrs);
  if (isAnomalyEnabled()) checkNaN(op, inputs, out);
  record(op, inputs, out, attrs);
  if (start >= 0 && out.node !== null) addOpTime(out.node, 'forward', performance.now() - start);
  return out;
}

/**
 * An elementwise kernel writing into `target`, which owns the whole of its contiguous storage and
 * is one of the inputs: how in-place arithmetic (`sub_`, `mul_`, ...) runs without a temporary.
 * Every input other than target must lie in other storage (an elementwise kernel reads each
 * element of target before it writes that element, and nothing else). Not recorded: in-place
 * writes never are.
 */
export function runKernelInto<P extends KernelPrimitive>(op: P, inputs: Tensor[], attrs: PrimitiveAttrs[P], target: Tensor): void {
  (getBackend()[op] as Kernel<P>)(inputs, target, attrs);
}

/** The choke point for views: a new tensor over the input's storage, recorded like any op. */
export function makeView<P extends ViewPrimitive>(op: P, input: Tensor, attrs: PrimitiveAttrs[P], shape: readonly number[], strides: readonly number[], offset: number): Tensor {
  if (batching !== null && input._batch !== null) return batching(op, [input], attrs, shape, input.dtype);
  return record(op, [input], trustedTensor(input.buf, shape, strides, offset, input.dtype), attrs);
}

/**
 * Anomaly mode's forward check: a NaN in the output of an op whose inputs hold none. Infinities are
 * legitimate forward values (a -Infinity attention mask, log(0), max-pooling's padding) and NaN
 * carried in from an input was reported where it was made, so neither is reported here.
 */
function checkNaN(op: string, inputs: Tensor[], out: Tensor): void {
  if (!isFloat(out.dtype)) return;
  const i = firstNaN(out);
  if (i < 0 || inputs.some((t) => isFloat(t.dtype) && firstNaN(t) >= 0)) return;
  const shapes = inputs.map((t) => `[${t.shape.join(',')}]`).join(', ');
  throw new AnomalyError(`detectAnomaly: forward of '${op}' produced NaN from inputs without NaN (output shape [${out.shape.join(',')}], element ${i}; inputs ${shapes})`);
}

/**
 * The row-major index of t's first NaN, or -1. A strided view is read in place through its strides:
 * copying it would run an op, whose own check would read the view again, without end.
 */
function firstNaN(t: Tensor): number {
  const { buf, shape, strides } = t;
  if (t.isContiguous) {
    for (let i = 0; i < t.size; i++) if (buf[t.offset + i] !== buf[t.offset + i]) return i;
    return -1;
  }
  const idx = shape.map(() => 0);
  let at = t.offset;
  for (let i = 0; i < t.size; i++) {
    if (buf[at] !== buf[at]) return i;
    for (let d = shape.length - 1; d >= 0; d--) {
      at += strides[d]!;
      if (++idx[d]! < shape[d]!) break;
      at -= strides[d]! * shape[d]!;
      idx[d] = 0;
    }
  }
  return -1;
}
