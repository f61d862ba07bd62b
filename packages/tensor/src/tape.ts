import type { Primitive, PrimitiveAttrs } from './primitives.js';
import type { Tensor } from './tensor.js';

/**
 * A user-defined VJP carried by nodes of ops made with autograd's `defineOp`:
 * given the output's cotangent, the op's inputs and its output, one cotangent (or null) per input.
 */
export type CustomVjp = (gradOut: Tensor, inputs: Tensor[], out: Tensor) => (Tensor | null)[];

/**
 * One recorded op application. Nodes are reachable from the tensors they produce (`t.node`),
 * never from a global list, so a graph nobody holds is garbage collected and a loop that asks
 * for no gradients keeps nothing. `id` grows with recording order, which is therefore a
 * topological order: backward visits nodes by decreasing id.
 */
export interface TapeNode {
  readonly id: number;
  readonly op: Primitive | string;
  readonly inputs: readonly Tensor[];
  readonly attrs: Readonly<Record<string, unknown>>;
  readonly output: Tensor;
  /** Present for user-defined ops only; built-in primitives get their rule from autograd's table. */
  readonly vjp: CustomVjp | null;
}

let gradEnabled = true;
let anomalyEnabled = false;
let nextId = 1;

/** Whether ops are being recorded (false inside `noGrad`). */
export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs `fn` with recording switched on or off, restoring the previous mode afterwards. */
export function withGradMode<T>(enabled: boolean, fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = enabled;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/** Whether every op output (and every gradient) is checked for NaN/Inf; see autograd's `detectAnomaly`. */
export function isAnomalyEnabled(): boolean {
  return anomalyEnabled;
}

export function withAnomalyMode<T>(enabled: boolean, fn: () => T): T {
  const prev = anomalyEnabled;
  anomalyEnabled = enabled;
  try {
    return fn();
  } finally {
    anomalyEnabled = prev;
  }
}

/** Raised by anomaly mode. */
export class AnomalyError extends Error {
  override readonly name = 'AnomalyError';
}

/**
 * The only place a tape node is created. Records `op` when recording is on and some input
 * requires grad; otherwise does nothing. Returns `output`.
 */
export function record<P extends Primitive>(op: P, inputs: readonly Tensor[], output: Tensor, attrs: PrimitiveAttrs[P]): Tensor;
export function record(op: string, inputs: readonly Tensor[], output: Tensor, attrs: Record<string, unknown>, vjp: CustomVjp): Tensor;
export function record(
  op: string,
  inputs: readonly Tensor[],
  output: Tensor,
  attrs: Readonly<Record<string, unknown>>,
  vjp: CustomVjp | null = null,
): Tensor {
  if (!gradEnabled) return output;
  let any = false;
  for (let i = 0; i < inputs.length; i++) {
    if (inputs[i]!.requiresGrad) {
      any = true;
      break;
    }
  }
  if (!any) return output;
  if (output.dtype !== 'float32' && output.dtype !== 'float64') return output;
  output._setNode({ id: nextId++, op, inputs, attrs, output, vjp });
  return output;
}
