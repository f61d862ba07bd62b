import { Tensor, type TapeNode } from '@tapegrad/tensor';
import { isGradEnabled, makeView, reachableNodes, tapeClock } from '@tapegrad/tensor/internal';

/**
 * How transforms nest on one tape. Every transform call (grad, vjp, jvp, and those built on them)
 * follows the same three rules, so that any nesting order works and a closure over an outer tensor
 * is never cut off:
 *
 * 1. Its primals are new tensors of its own: a fresh leaf when the argument does not require grad,
 *    otherwise a recorded identity view of the argument, so that the path from whatever the call
 *    returns back to the argument stays on the tape for enclosing computations.
 * 2. Its sweep visits only the nodes recorded while its function ran that depend on its primals
 *    (nodes are pruned by id and by a forward dependence pass), so it never walks into, or computes
 *    cotangents for, the enclosing graph.
 * 3. It records its own sweep (so its results are differentiable) exactly when what its function
 *    computed reaches a tensor from outside the call that requires grad, and recording was on where
 *    the transform was called. Otherwise its sweep runs unrecorded and nothing is kept.
 */
export interface TransformCall {
  /** The tensors the function sees for the differentiated arguments. */
  readonly primals: readonly Tensor[];
  /** Ids of nodes the function recorded start here. */
  readonly start: number;
  /** Recording was on where the transform was called. */
  readonly outerGrad: boolean;
  /** Some primal stands for an argument that requires grad outside the call. */
  readonly primalDep: boolean;
}

/**
 * Whether a tensor requires grad at any level: itself, or (for a tensor batched by vmap) the
 * physical values it stands for, which an enclosing transform may be differentiating.
 */
export function dependsOnGrad(t: Tensor): boolean {
  for (let x: Tensor | undefined = t; x !== undefined; x = x._batch?.value) if (x.requiresGrad) return true;
  return false;
}

/** The plain tensor holding a (possibly batched, possibly several times) tensor's values. */
export function physical(t: Tensor): Tensor {
  let x = t;
  while (x._batch !== null) x = x._batch.value;
  return x;
}

/** A primal for `x` (rule 1). A batched `x` keeps its physical values, and with them their graph. */
function liftPrimal(x: Tensor, outerGrad: boolean): Tensor {
  if (outerGrad && x.requiresGrad) return makeView('reshape', x, { shape: x.shape.slice() }, x.shape, x.strides, x.offset);
  const b = x._batch;
  const leaf = b === null ? x.detach() : Tensor._batched(b.value, b.dim, b.level);
  return leaf.requiresGrad_(true);
}

/** Lifts the arguments a transform differentiates; the function it then runs records from `start` on. */
export function beginCall(args: readonly Tensor[]): TransformCall {
  const outerGrad = isGradEnabled();
  const primals = args.map((x) => liftPrimal(x, outerGrad));
  return { primals, start: tapeClock(), outerGrad, primalDep: outerGrad && args.some(dependsOnGrad) };
}

/** What a call's function recorded, seen from its outputs. */
export interface CallGraph {
  /** Nodes recorded by the call that depend on its primals, in recording order. */
  readonly nodes: readonly TapeNode[];
  /** The primals and every tensor those nodes produced. */
  readonly relevant: ReadonlySet<Tensor>;
  /** The outputs reach a tensor from outside the call that requires grad (rule 3). */
  readonly external: boolean;
}

/** Finds the nodes a call's sweep must visit, and whether the call must record (rules 2 and 3). */
export function callGraph(call: TransformCall, outputs: readonly Tensor[]): CallGraph {
  const inCall = (t: Tensor): boolean => t.node !== null && t.node.id >= call.start;
  const all = reachableNodes(outputs, (n) => n.id >= call.start).sort((a, b) => a.id - b.id);
  const relevant = new Set<Tensor>(call.primals);
  const nodes: TapeNode[] = [];
  let external = call.primalDep;
  const outside = (t: Tensor): void => {
    if (!external && !relevant.has(t) && !inCall(t) && dependsOnGrad(t)) external = true;
  };
  for (const n of all) {
    let depends = false;
    for (const t of n.inputs) {
      if (relevant.has(t)) depends = true;
      else outside(t);
    }
    if (depends) {
      relevant.add(n.output);
      nodes.push(n);
    }
  }
  outputs.forEach(outside);
  return { nodes, relevant, external: call.outerGrad && external };
}

/** A value as it reads in a message (never throws). */
export function describeValue(x: unknown): string {
  if (x instanceof Tensor) return `a ${x.dtype} Tensor of shape [${x.shape.join(',')}]`;
  if (Array.isArray(x)) return `an array of length ${x.length}`;
  if (x === null) return 'null';
  switch (typeof x) {
    case 'string': return `the string ${JSON.stringify(x.length > 40 ? `${x.slice(0, 40)}...` : x)}`;
    case 'undefined': return 'undefined';
    case 'number': case 'boolean': return `${typeof x} ${String(x)}`;
    case 'bigint': return `${x}n (a bigint)`;
    case 'function': return 'a function';
    default: return `a ${(x as object).constructor?.name ?? 'object'}`;
  }
}
