import { AnomalyError, Tensor, add, clone, ones, zerosLike, type PrimitiveAttrs, type TapeNode } from '@tapegrad/tensor';
import {
  addOpTime, bornInPool, closePool, fmtShape, isAnomalyEnabled, openPool, releaseStorage, isTimingEnabled, lastWrite, reachableNodes, sameShape, writeCount, withAnomalyMode, withGradMode,
} from '@tapegrad/tensor/internal';
import { describeValue, physical } from './levels.js';
import type { TypedArray } from '@tapegrad/tensor';
import { derivativeFor } from './validate.js';
import { SHAPE_ONLY_VJP, rules } from './rules/index.js';
import type { PrimitiveRules } from './rules/rule.js';

/** Anomaly mode: throws naming `what` if `g` holds a NaN or an infinity (of a batched tensor, its physical values). */
export function finiteCheck(g: Tensor, what: string, where: string): void {
  const b = physical(g).data();
  for (let k = 0; k < b.length; k++) {
    const v = b[k]!;
    if (v - v !== 0) {
      throw new AnomalyError(`detectAnomaly: ${what} ${v !== v ? 'NaN' : 'Inf'} ${where} (shape ${fmtShape(g.shape)}, element ${k})`);
    }
  }
}

/**
 * The gradient a VJP gave for input i, checked: a Tensor (or null for none) of the input's shape and
 * a float dtype, cast to the input's dtype (see derivativeFor), so a leaf's .grad always has the
 * leaf's dtype.
 */
function checkGradient(gi: unknown, node: TapeNode, i: number, needed: boolean): Tensor | null {
  if (gi === null) return null;
  if (!(gi instanceof Tensor)) {
    throw new TypeError(`backward of '${node.op}': the VJP's gradient for input ${i} must be a Tensor or null, got ${describeValue(gi)}`);
  }
  if (!needed) return null;
  return derivativeFor(gi, node.inputs[i]!, `backward of '${node.op}'`, `the gradient for input ${i}`);
}

function vjpOf(node: TapeNode, g: Tensor, needs: boolean[]): (Tensor | null)[] {
  if (node.vjp) return node.vjp(g, node.inputs.slice(), node.output);
  const rule = (rules[node.op as keyof typeof rules] as PrimitiveRules<keyof PrimitiveAttrs> | undefined)?.vjp;
  if (!rule) throw new TypeError(`backward: no VJP rule for op '${node.op}'`);
  return rule(g, node.inputs, node.output, node.attrs as never, needs);
}

export interface WalkOptions {
  /** Record the backward computation, so gradients can be differentiated again. */
  createGraph: boolean;
  /**
   * Collect gradients for exactly these tensors (leaves or intermediates) and return them, leaving
   * every `.grad` alone. Without it, gradients accumulate into the `.grad` of leaves that require grad.
   */
  capture?: ReadonlySet<Tensor>;
}

/**
 * Cotangents summed per tensor during a sweep (a tensor used twice gets the sum). With a pool open
 * (see @tapegrad/tensor's storage-pool), it also counts how many cotangents stand over each storage
 * the sweep made, and releases a storage to the pool when the last of them is consumed.
 */
class Cotangents extends Map<Tensor, Tensor> {
  private readonly holds = new Map<TypedArray, number>();
  /** Whether storages are counted and released (off for good once a batched cotangent appears). */
  private pooling: boolean;

  constructor(pooling: boolean) {
    super();
    this.pooling = pooling;
  }

  accumulate(t: Tensor, g: Tensor): void {
    const prev = this.get(t);
    const sum = prev === undefined ? g : add(prev, g);
    this.set(t, sum);
    this.hold(sum);
    if (prev !== undefined) this.drop(prev);
  }

  /** Counts one more holder of g's storage (if the sweep made it). */
  hold(g: Tensor): void {
    if (!this.pooling) return;
    if (g._batch !== null) {
      // A batched cotangent's values live in a physical tensor the counts do not see.
      this.pooling = false;
      return;
    }
    if (bornInPool(g.buf)) this.holds.set(g.buf, (this.holds.get(g.buf) ?? 0) + 1);
  }

  /** Counts one holder of g's storage less, releasing the storage when none is left. */
  drop(g: Tensor): void {
    if (!this.pooling || g._batch !== null) return;
    const n = this.holds.get(g.buf);
    if (n === undefined) return;
    if (n > 1) {
      this.holds.set(g.buf, n - 1);
    } else {
      this.holds.delete(g.buf);
      releaseStorage(g.buf);
    }
  }

  /**
   * Hands the cotangents a node's backward step gave (`gs`, one per input, null for none) to its
   * inputs. The node's own cotangent g and every cotangent the step made stay held until all of
   * them have been given, so a rule that returns one tensor for two inputs (or g itself) never
   * sees it released between.
   */
  give(g: Tensor, inputs: readonly Tensor[], gs: readonly (Tensor | null)[]): void {
    for (let i = 0; i < gs.length; i++) {
      const gi = gs[i]!;
      if (gi === null) continue;
      this.hold(gi);
      this.accumulate(inputs[i]!, gi);
    }
    if (!this.pooling) return;
    for (const gi of gs) if (gi !== null) this.drop(gi);
    this.drop(g);
  }
}

/**
 * One node of a reverse sweep: asks its VJP rule for the cotangents of the inputs `needs` marks and
 * returns them (null where there is none), each checked against its input's shape and dtype (and
 * for NaN/Inf in anomaly mode).
 */
function stepBack(node: TapeNode, g: Tensor, needs: boolean[]): (Tensor | null)[] {
  const inputs = node.inputs;
  if (node.epoch < writeCount() && !SHAPE_ONLY_VJP.has(node.op)) checkUnwritten(node, 'backward');
  const start = isTimingEnabled() ? performance.now() : -1;
  const anomaly = isAnomalyEnabled();
  const gs = anomaly ? withAnomalyMode(false, () => vjpOf(node, g, needs)) : vjpOf(node, g, needs);
  if (start >= 0) addOpTime(node, 'backward', performance.now() - start);
  if (!Array.isArray(gs)) {
    throw new TypeError(`backward of '${node.op}': the VJP must return an array with one gradient (a Tensor or null) per input, got ${describeValue(gs)}`);
  }
  if (gs.length !== inputs.length) {
    throw new TypeError(`backward of '${node.op}': the VJP returned ${gs.length} gradients for ${inputs.length} inputs`);
  }
  const checked = new Array<Tensor | null>(gs.length);
  for (let i = 0; i < gs.length; i++) {
    const gi = checkGradient(gs[i], node, i, needs[i]!);
    if (gi !== null && anomaly) finiteCheck(gi, `backward of '${node.op}' produced`, `in the gradient of input ${i}`);
    checked[i] = gi;
  }
  return checked;
}

/**
 * Which of a node's inputs a sweep gives a cotangent: those that require grad, but of the leaves
 * only those in `capture` when there is one; in a transform's sweep, those in `relevant`.
 */
function needsOf(inputs: readonly Tensor[], capture: ReadonlySet<Tensor> | undefined, relevant: ReadonlySet<Tensor> | null): boolean[] {
  const needs = new Array<boolean>(inputs.length);
  for (let i = 0; i < inputs.length; i++) {
    const x = inputs[i]!;
    needs[i] = relevant !== null ? relevant.has(x) : x.requiresGrad && (x.node !== null || capture === undefined || capture.has(x));
  }
  return needs;
}

/**
 * The reverse sweep: seeds the roots with their cotangents, then visits nodes latest-first, asking
 * each op's VJP rule for its inputs' cotangents, checking each against its input's shape, and
 * summing the cotangents of tensors used more than once. Leaves are summed during the sweep and
 * written to `.grad` once at the end.
 */
export function walk(roots: readonly Tensor[], seeds: readonly Tensor[], opts: WalkOptions): Map<Tensor, Tensor> {
  const capture = opts.capture;
  const nodes = reachableNodes(roots).sort((a, b) => b.id - a.id);
  const pooled = !opts.createGraph && capture === undefined && canPool(nodes) && openPool();
  const grads = new Cotangents(pooled);
  try {
    withGradMode(opts.createGraph, () => {
      roots.forEach((r, i) => grads.accumulate(r, seeds[i]!));
      for (const node of nodes) {
        const g = grads.get(node.output);
        if (g === undefined) continue;
        if (capture === undefined || !capture.has(node.output)) grads.delete(node.output);
        grads.give(g, node.inputs, stepBack(node, g, needsOf(node.inputs, capture, null)));
      }
      if (capture === undefined) {
        const owned = opts.createGraph ? null : ownedStorage(grads, seeds, nodes);
        for (const [t, g] of grads) if (t.node === null) accumulateLeaf(t, g, opts.createGraph || owned!.has(g));
      }
    });
  } finally {
    if (pooled) closePool();
  }
  return grads;
}

/**
 * Whether a sweep over `nodes` may release the storages it made: not when a user-defined VJP is
 * among them (it may keep the cotangent it is given), as ownedStorage reasons too.
 */
function canPool(nodes: readonly TapeNode[]): boolean {
  for (const n of nodes) if (n.vjp !== null) return false;
  return true;
}

/**
 * The reverse sweep of a transform call: only the nodes its function recorded that depend on its
 * primals (`graph`, from `callGraph`), recorded exactly when `createGraph`. Returns one cotangent per
 * primal (zeros for a primal the outputs do not depend on).
 */
export function pullback(
  graph: { nodes: readonly TapeNode[]; relevant: ReadonlySet<Tensor> },
  primals: readonly Tensor[],
  outputs: readonly Tensor[],
  seeds: readonly Tensor[],
  createGraph: boolean,
): Tensor[] {
  const relevant = graph.relevant;
  const pooled = !createGraph && canPool(graph.nodes) && openPool();
  const grads = new Cotangents(pooled);
  try {
    return withGradMode(createGraph, () => {
      outputs.forEach((o, i) => {
        if (relevant.has(o)) grads.accumulate(o, seeds[i]!);
      });
      const nodes = graph.nodes;
      for (let k = nodes.length - 1; k >= 0; k--) {
        const node = nodes[k]!;
        const g = grads.get(node.output);
        if (g === undefined) continue;
        grads.delete(node.output);
        grads.give(g, node.inputs, stepBack(node, g, needsOf(node.inputs, undefined, relevant)));
      }
      return primals.map((p) => grads.get(p) ?? zerosLike(p));
    });
  } finally {
    if (pooled) closePool();
  }
}

/** Refuses a node whose inputs or output were written in place after it was recorded: its rule would read the new values. */
export function checkUnwritten(node: TapeNode, sweep: 'backward' | 'jvp'): void {
  const tensors = [...node.inputs, node.output];
  tensors.forEach((t, i) => {
    if (lastWrite(t.buf) > node.epoch) {
      const which = i < node.inputs.length ? `input ${i}` : 'its output';
      throw new Error(
        `${sweep} of '${node.op}': ${which} (shape ${fmtShape(t.shape)}) was modified in place after '${node.op}' used it, ` +
          `so its gradient would be wrong; modify a clone() instead, or before computing with it`,
      );
    }
  });
}

/**
 * Adds g into a leaf's .grad. Without createGraph the stored gradient is a fresh contiguous copy,
 * so it never aliases another gradient or a broadcast view.
 */
/**
 * The leaf cotangents of a sweep that can become a `.grad` as they are, without a copy: those that
 * cover the whole of a storage nothing else holds. A cotangent made by the sweep's own kernels
 * qualifies unless it is a seed, shares its storage with a tensor of the graph or with another
 * leaf's cotangent (an add passes one cotangent to both its inputs), or is a view (a strided or
 * partial window onto a larger gradient). A user-defined VJP may return any tensor it holds, so
 * with one in the graph every leaf gradient is copied.
 */
function ownedStorage(grads: Map<Tensor, Tensor>, seeds: readonly Tensor[], nodes: readonly TapeNode[]): Set<Tensor> {
  const owned = new Set<Tensor>();
  if (nodes.some((n) => n.vjp !== null)) return owned;
  const uses = new Map<unknown, number>();
  for (const [t, g] of grads) if (t.node === null) uses.set(g.buf, (uses.get(g.buf) ?? 0) + 1);
  // Storages of whole, contiguous leaf cotangents no other leaf cotangent shares; then out go those
  // a seed, a tensor of the graph or a leaf itself holds.
  const free = new Set<unknown>();
  for (const [t, g] of grads) {
    if (t.node === null && g.offset === 0 && g.size === g.buf.length && g.isContiguous && uses.get(g.buf) === 1) free.add(g.buf);
  }
  const unhold = (x: Tensor): boolean => free.delete(x.buf) && free.size === 0;
  if (free.size > 0 && !seeds.some(unhold)) {
    outer: for (const n of nodes) {
      if (unhold(n.output)) break;
      for (const x of n.inputs) if (unhold(x)) break outer;
    }
    for (const t of grads.keys()) if (t.node === null) unhold(t);
  }
  for (const [t, g] of grads) if (t.node === null && free.has(g.buf)) owned.add(g);
  return owned;
}

/** Adds g to leaf.grad (a copy of g unless `own`: g is the sweep's alone, or recorded for createGraph). */
function accumulateLeaf(leaf: Tensor, g: Tensor, own: boolean): void {
  const prev: unknown = leaf.grad;
  if (prev !== null && (!(prev instanceof Tensor) || prev.dtype !== leaf.dtype || !sameShape(prev.shape, leaf.shape))) {
    throw new TypeError(
      `backward: a leaf (${describeValue(leaf)}) already holds a .grad that is ${describeValue(prev)}, not a gradient of its shape and dtype; set .grad = null first`,
    );
  }
  const mine = own ? g : clone(g.detach());
  leaf.grad = leaf.grad === null ? mine : add(leaf.grad, mine);
}

/** Options of {@link backward}. */
export interface BackwardOptions {
  /** Record the backward pass so the resulting `.grad`s can be differentiated again. */
  createGraph?: boolean;
  /**
   * Accepted for PyTorch familiarity. tapegrad never frees a graph after backward (memory goes when
   * the tensors do), so a second backward through the same graph works either way.
   */
  retainGraph?: boolean;
}

/**
 * Accumulates d output / d leaf into the `.grad` of every leaf that requires grad. A scalar output
 * needs no `gradOutput`; any other needs one of the output's shape (the cotangent).
 *
 * @example
 * const x = tensor([1, 2, 3], { requiresGrad: true });
 * backward(sum(mul(x, x))); // x.grad is [2, 4, 6]
 */
export function backward(output: Tensor, gradOutput?: Tensor | null, opts: BackwardOptions = {}): void {
  if (!(output instanceof Tensor)) throw new TypeError(`backward: expected the output Tensor to differentiate, got ${describeValue(output)}`);
  const o = checkBackwardOptions(opts);
  if (!output.requiresGrad) {
    throw new TypeError('backward: the output does not require grad (no input required grad, or it was computed inside noGrad)');
  }
  let seed: Tensor;
  if (gradOutput === undefined || gradOutput === null) {
    if (output.size !== 1) {
      throw new RangeError(`backward: a non-scalar output (shape ${fmtShape(output.shape)}) needs gradOutput of that shape`);
    }
    seed = ones(output.shape, { dtype: output.dtype });
  } else {
    if (!(gradOutput instanceof Tensor)) throw new TypeError(`backward: expected gradOutput to be a Tensor (or omitted for a scalar output), got ${describeValue(gradOutput)}`);
    // As PyTorch: the cotangent takes the output's dtype, so every .grad has its leaf's dtype.
    seed = derivativeFor(gradOutput, output, 'backward', 'gradOutput');
  }
  walk([output], [seed], { createGraph: o.createGraph ?? false });
}

function checkBackwardOptions(opts: unknown): BackwardOptions {
  if (opts === undefined) return {};
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts) || opts instanceof Tensor) {
    throw new TypeError(`backward: expected options { createGraph?, retainGraph? }, got ${describeValue(opts)}`);
  }
  for (const [k, v] of Object.entries(opts)) {
    if (k !== 'createGraph' && k !== 'retainGraph') throw new TypeError(`backward: unknown option '${k}'; expected some of createGraph, retainGraph`);
    if (v !== undefined && typeof v !== 'boolean') throw new TypeError(`backward: expected ${k} to be true or false, got ${describeValue(v)}`);
  }
  return opts as BackwardOptions;
}
