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

/** The global modes: recording (off inside `noGrad`), NaN/Inf checking (`detectAnomaly`), op timing (`profileOps`). */
const mode = { grad: true, anomaly: false, timing: false };
let nextId = 1;

/** Runs `fn` with one mode set, restoring its previous value afterwards, even if `fn` throws. */
function withMode<T>(key: keyof typeof mode, enabled: boolean, fn: () => T): T {
  const prev = mode[key];
  mode[key] = enabled;
  try {
    return fn();
  } finally {
    mode[key] = prev;
  }
}

/** Whether ops are being recorded (false inside `noGrad`). */
export function isGradEnabled(): boolean {
  return mode.grad;
}

/** Runs `fn` with recording switched on or off. */
export function withGradMode<T>(enabled: boolean, fn: () => T): T {
  return withMode('grad', enabled, fn);
}

/** Whether every op output (and every gradient) is checked for NaN/Inf; see autograd's `detectAnomaly`. */
export function isAnomalyEnabled(): boolean {
  return mode.anomaly;
}

/** Runs `fn` with NaN/Inf checking switched on or off. */
export function withAnomalyMode<T>(enabled: boolean, fn: () => T): T {
  return withMode('anomaly', enabled, fn);
}

/**
 * The id the next recorded node will get. Ids only grow, so every node recorded after reading the
 * clock has an id at least this large (graph tools use it to tell which nodes a call recorded).
 */
export function tapeClock(): number {
  return nextId;
}

/** Whether op times are being measured; see autograd's `profileOps`. */
export function isTimingEnabled(): boolean {
  return mode.timing;
}

/** Runs `fn` with op timing switched on or off. */
export function withTimingMode<T>(enabled: boolean, fn: () => T): T {
  return withMode('timing', enabled, fn);
}

/** Time spent in one node's forward kernel and in its VJP, in milliseconds. */
export interface OpTime { forwardMs: number; backwardMs: number }

/** Measured times per node; a node nobody holds takes its entry with it. */
const opTimes = new WeakMap<TapeNode, OpTime>();

/** Adds `ms` to a node's forward or backward time (called by dispatch and by the backward walk while timing). */
export function addOpTime(node: TapeNode, phase: 'forward' | 'backward', ms: number): void {
  let t = opTimes.get(node);
  if (t === undefined) opTimes.set(node, (t = { forwardMs: 0, backwardMs: 0 }));
  if (phase === 'forward') t.forwardMs += ms;
  else t.backwardMs += ms;
}

/** The times measured for a node, if it ran while timing was on. */
export function opTimeOf(node: TapeNode): OpTime | undefined {
  return opTimes.get(node);
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
  if (!mode.grad) return output;
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
