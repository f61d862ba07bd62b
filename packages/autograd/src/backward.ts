import { AnomalyError, ShapeError, add, clone, ones, type PrimitiveAttrs, type TapeNode, type Tensor } from '@tapegrad/tensor';
import {
  addOpTime, fmtShape, isAnomalyEnabled, isTimingEnabled, lastWrite, reachableNodes, sameShape, writeCount, withAnomalyMode, withGradMode,
} from '@tapegrad/tensor/internal';
import { SHAPE_ONLY_VJP, rules } from './rules/index.js';
import type { PrimitiveRules } from './rules/rule.js';

function checkFinite(g: Tensor, node: TapeNode, i: number): void {
  const b = g.data();
  for (let k = 0; k < b.length; k++) {
    const v = b[k]!;
    if (v - v !== 0) {
      throw new AnomalyError(
        `detectAnomaly: backward of '${node.op}' produced ${v !== v ? 'NaN' : 'Inf'} in the gradient of input ${i} (shape ${fmtShape(g.shape)}, element ${k})`,
      );
    }
  }
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
 * The reverse sweep: seeds the roots with their cotangents, then visits nodes latest-first, asking
 * each op's VJP rule for its inputs' cotangents, checking each against its input's shape, and
 * summing the cotangents of tensors used more than once. Leaves are summed during the sweep and
 * written to `.grad` once at the end.
 */
export function walk(roots: readonly Tensor[], seeds: readonly Tensor[], opts: WalkOptions): Map<Tensor, Tensor> {
  const grads = new Map<Tensor, Tensor>();
  const accumulate = (t: Tensor, g: Tensor): void => {
    const prev = grads.get(t);
    grads.set(t, prev === undefined ? g : add(prev, g));
  };
  const capture = opts.capture;
  const anomaly = isAnomalyEnabled();
  const timing = isTimingEnabled();
  withGradMode(opts.createGraph, () => {
    roots.forEach((r, i) => accumulate(r, seeds[i]!));
    for (const node of reachableNodes(roots).sort((a, b) => b.id - a.id)) {
      const g = grads.get(node.output);
      if (g === undefined) continue;
      if (capture === undefined || !capture.has(node.output)) grads.delete(node.output);
      const inputs = node.inputs;
      if (node.epoch < writeCount() && !SHAPE_ONLY_VJP.has(node.op)) checkUnwritten(node);
      const needs = new Array<boolean>(inputs.length);
      for (let i = 0; i < inputs.length; i++) needs[i] = inputs[i]!.requiresGrad;
      const start = timing ? performance.now() : -1;
      const gs = anomaly ? withAnomalyMode(false, () => vjpOf(node, g, needs)) : vjpOf(node, g, needs);
      if (start >= 0) addOpTime(node, 'backward', performance.now() - start);
      if (gs.length !== inputs.length) {
        throw new TypeError(`backward of '${node.op}': the VJP returned ${gs.length} gradients for ${inputs.length} inputs`);
      }
      for (let i = 0; i < gs.length; i++) {
        const gi = gs[i];
        if (gi === null || gi === undefined || !needs[i]) continue;
        const x = inputs[i]!;
        if (!sameShape(gi.shape, x.shape)) {
          throw new ShapeError(`backward of '${node.op}': gradient ${fmtShape(gi.shape)} does not match input ${i} of shape ${fmtShape(x.shape)}`);
        }
        if (anomaly) checkFinite(gi, node, i);
        if (x.node !== null || capture === undefined || capture.has(x)) accumulate(x, gi);
      }
    }
    if (capture === undefined) {
      for (const [t, g] of grads) if (t.node === null) accumulateLeaf(t, g, opts.createGraph);
    }
  });
  return grads;
}

/** Refuses a node whose inputs or output were written in place after it was recorded: its VJP would read the new values. */
function checkUnwritten(node: TapeNode): void {
  const tensors = [...node.inputs, node.output];
  tensors.forEach((t, i) => {
    if (lastWrite(t.buf) > node.epoch) {
      const which = i < node.inputs.length ? `input ${i}` : 'its output';
      throw new Error(
        `backward of '${node.op}': ${which} (shape ${fmtShape(t.shape)}) was modified in place after '${node.op}' used it, ` +
          `so its gradient would be wrong; modify a clone() instead, or before computing with it`,
      );
    }
  });
}

/**
 * Adds g into a leaf's .grad. Without createGraph the stored gradient is a fresh contiguous copy,
 * so it never aliases another gradient or a broadcast view.
 */
function accumulateLeaf(leaf: Tensor, g: Tensor, keepGraph: boolean): void {
  const own = keepGraph ? g : clone(g.detach());
  leaf.grad = leaf.grad === null ? own : add(leaf.grad, own);
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
export function backward(output: Tensor, gradOutput?: Tensor, opts: BackwardOptions = {}): void {
  if (!output.requiresGrad) {
    throw new TypeError('backward: the output does not require grad (no input required grad, or it was computed inside noGrad)');
  }
  let seed = gradOutput;
  if (seed === undefined) {
    if (output.size !== 1) {
      throw new RangeError(`backward: a non-scalar output (shape ${fmtShape(output.shape)}) needs gradOutput of that shape`);
    }
    seed = ones(output.shape, { dtype: output.dtype });
  } else if (seed.shape.length !== output.shape.length || seed.shape.some((d, i) => d !== output.shape[i])) {
    throw new ShapeError(`backward: gradOutput ${fmtShape(seed.shape)} does not match the output's shape ${fmtShape(output.shape)}`);
  }
  walk([output], [seed], { createGraph: opts.createGraph ?? false });
}
