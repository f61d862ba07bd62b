import { isFloat } from './dtype.js';
import type { Primitive, PrimitiveAttrs } from './primitives.js';
import { describe } from './shape.js';
import { Tensor } from './tensor.js';

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
  /** The in-place write counter when the node was recorded (see `lastWrite`). */
  readonly epoch: number;
}

/**
 * Every node the `roots` depend on (optionally only those `keep` accepts, whose inputs are then
 * followed), in no particular order. Iterative with an explicit stack, so a 100,000-op chain is no
 * deeper for it than a 10-op one. Sort by `id` for a topological order.
 */
export function reachableNodes(roots: Iterable<Tensor>, keep?: (node: TapeNode) => boolean): TapeNode[] {
  const seen = new Set<TapeNode>();
  const stack: TapeNode[] = [];
  const push = (t: Tensor): void => {
    const n = t.node;
    if (n !== null && !seen.has(n) && (keep === undefined || keep(n))) stack.push(n);
  };
  for (const r of roots) push(r);
  const nodes: TapeNode[] = [];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    nodes.push(n);
    for (const t of n.inputs) push(t);
  }
  return nodes;
}

/** The global modes: recording (off inside `noGrad`), NaN/Inf checking (`detectAnomaly`), op timing (`profileOps`). */
const mode = { grad: true, anomaly: false, timing: false };
let nextId = 1;

/**
 * In-place writes, counted. Each write stamps the storage it wrote with the new count; a node
 * remembers the count when it was recorded. Backward compares the two, so a tensor modified in
 * place after an op used it is an error instead of a silently wrong gradient (PyTorch's version
 * counters, for the price of one integer per node).
 */
let writes = 0;
const writtenAt = new WeakMap<object, number>();

/** Records an in-place write into `storage` (called by copy_ and every in-place method built on it). */
export function markWritten(storage: object): void {
  if (typeof storage !== 'object' || storage === null) throw new TypeError(`markWritten: expected a tensor's storage (a typed array), got ${describe(storage)}`);
  writtenAt.set(storage, ++writes);
}

/** How many in-place writes have happened so far. */
export function writeCount(): number {
  return writes;
}

/** When `storage` was last written in place (0: never). */
export function lastWrite(storage: object): number {
  return writtenAt.get(storage) ?? 0;
}

/** Runs `fn` with one mode set, restoring its previous value afterwards, even if `fn` throws. */
function withMode<T>(key: keyof typeof mode, enabled: boolean, fn: () => T, op: string): T {
  if (typeof enabled !== 'boolean') throw new TypeError(`${op}: expected true or false, got ${describe(enabled)}`);
  if (typeof fn !== 'function') throw new TypeError(`${op}: expected a function to run, got ${describe(fn)}`);
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
  return withMode('grad', enabled, fn, 'withGradMode');
}

/** Whether every op output (and every gradient) is checked for NaN/Inf; see autograd's `detectAnomaly`. */
export function isAnomalyEnabled(): boolean {
  return mode.anomaly;
}

/** Runs `fn` with NaN/Inf checking switched on or off. */
export function withAnomalyMode<T>(enabled: boolean, fn: () => T): T {
  return withMode('anomaly', enabled, fn, 'withAnomalyMode');
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
  return withMode('timing', enabled, fn, 'withTimingMode');
}

/** Time spent in one node's forward kernel and in its VJP, in milliseconds. */
export interface OpTime { forwardMs: number; backwardMs: number }

/** Measured times per node; a node nobody holds takes its entry with it. */
const opTimes = new WeakMap<TapeNode, OpTime>();

/** Adds `ms` to a node's forward or backward time (called by dispatch and by the backward walk while timing). */
export function addOpTime(node: TapeNode, phase: 'forward' | 'backward', ms: number): void {
  if (typeof node !== 'object' || node === null) throw new TypeError(`addOpTime: expected a tape node, got ${describe(node)}`);
  if (phase !== 'forward' && phase !== 'backward') throw new TypeError(`addOpTime: expected phase 'forward' or 'backward', got ${describe(phase)}`);
  if (typeof ms !== 'number') throw new TypeError(`addOpTime: expected a time in milliseconds, got ${describe(ms)}`);
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
  if (typeof op !== 'string' || !Array.isArray(inputs) || !(output instanceof Tensor) || typeof attrs !== 'object' || attrs === null || (vjp !== null && typeof vjp !== 'function')) {
    throw new TypeError(`record: expected (op name, input tensors, output tensor, attrs object, vjp?), got ${[op, inputs, output, attrs, vjp].map(describe).join(', ')}`);
  }
  if (!mode.grad) return output;
  let any = false;
  for (let i = 0; i < inputs.length; i++) {
    const x: unknown = inputs[i];
    if (!(x instanceof Tensor)) throw new TypeError(`record: input ${i} is not a Tensor: ${describe(x)}`);
    if (x.requiresGrad) {
      any = true;
      break;
    }
  }
  if (!any) return output;
  if (!isFloat(output.dtype)) return output;
  output._setNode({ id: nextId++, op, inputs, attrs, output, vjp, epoch: writes });
  return output;
}
