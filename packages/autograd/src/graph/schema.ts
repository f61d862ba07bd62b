import type { DType } from '@tapegrad/tensor';
import { describeValue } from '../levels.js';

/*
 * The graph export format, version 1. docs/graph-schema.md describes every field; a test checks
 * that everything `traceGraph` emits is described there and survives JSON.stringify/parse.
 *
 * Shape of a document:
 *   { version: 1, nodes: GraphNode[], edges: GraphEdge[], outputs: string[] }
 * Nodes are listed in a topological order (every edge goes from an earlier node to a later one,
 * except edges that a collapsed module turns into a loop, e.g. a recurrent cell called at every
 * step). Node ids are "n0", "n1", ... in that order, so two traces of the same computation are
 * equal documents. Every number is finite: non-finite values in attributes become the strings
 * "NaN", "Infinity" and "-Infinity", and gradient statistics are taken over the finite elements,
 * with the NaN and infinite ones counted separately.
 */

/** What a node stands for. */
export type NodeKind = 'op' | 'leaf' | 'param' | 'constant';

/** Statistics of a tensor's `.grad`, present on nodes whose tensor had one when traced. */
export interface GradStats {
  /** Shape of the gradient (the tensor's shape). */
  shape: number[];
  dtype: DType;
  /** L2 norm over the finite elements. */
  norm: number;
  /** Smallest finite element; null when there is none (empty, or all NaN/Inf). */
  min: number | null;
  /** Largest finite element; null when there is none. */
  max: number | null;
  /** Number of NaN elements. */
  nanCount: number;
  /** Number of +Infinity and -Infinity elements. */
  infCount: number;
}

/** Present on a node that stands for a collapsed module (see TraceOptions.depth). */
export interface GroupInfo {
  /** How many graph nodes it stands for: its ops, and the parameters, buffers and single-value constants only they read. */
  nodeCount: number;
  /** How many ops of each kind it contains, e.g. { matmul: 1, add: 1, permute: 1 }. */
  ops: Record<string, number>;
  /** Names of the parameters folded into it. */
  params: string[];
}

/** One node: an op application, or a tensor that no recorded op produced. */
export interface GraphNode {
  /** "n0", "n1", ...: the node's position in topological order. */
  id: string;
  /**
   * 'op': a recorded op application, or a collapsed module (then `op` is 'module').
   * 'leaf': a tensor that requires grad and has no name (an input you differentiate with respect to).
   * 'param': a tensor that requires grad and has a name (nn names parameters `fc1.weight`).
   * 'constant': a tensor that does not require grad (data, scalars, detached values).
   */
  kind: NodeKind;
  /** The primitive (or defineOp name) for kind 'op'; 'module' for a collapsed module. */
  op?: string;
  /** The tensor's `name`, or a collapsed module's path (e.g. "encoder.lstm"). */
  name?: string;
  /** The module this node belongs to (a dotted path), when known: see TraceOptions.depth. */
  module?: string;
  /** Shape of the tensor (for a collapsed module: of its main output). */
  shape: number[];
  dtype: DType;
  requiresGrad: boolean;
  /** The op's attributes (axes, shape, stride, ...), JSON-safe; absent when the op has none. */
  attrs?: Record<string, unknown>;
  /** The value of a constant holding a single value: one element, or one broadcast to a shape (a number, a boolean, or "NaN"/"Infinity"/"-Infinity"). */
  value?: number | boolean | string;
  /** Gradient statistics, when the tensor had a `.grad` and `gradStats` was not switched off. */
  grad?: GradStats;
  /** Present when the node stands for a collapsed module. */
  group?: GroupInfo;
  /** Measured times, for ops recorded inside `profileOps` (a collapsed module: the sum over its ops). */
  time?: OpTimes;
}

/** Time spent in an op, in milliseconds: its forward kernel, and its VJP in backward passes run while timing. */
export interface OpTimes {
  forwardMs: number;
  backwardMs: number;
}

/** Data flow: the tensor of node `from` is argument `inputIndex` of node `to`. */
export interface GraphEdge {
  from: string;
  to: string;
  /**
   * The argument position in the consuming op. When `to` is a collapsed module: the position of
   * this tensor among the module's distinct inputs, in order of first use.
   */
  inputIndex: number;
  /** The tensor's shape, only when it differs from the `from` node's shape (a module with several outputs). */
  shape?: number[];
}

/** A traced computation graph. */
export interface Graph {
  version: 1;
  nodes: GraphNode[];
  edges: GraphEdge[];
  /** Ids of the nodes of the traced output tensors, in the order they were passed. */
  outputs: string[];
}

/** True for a value that looks like a Graph document (rather than a tensor). */
export function isGraph(x: unknown): x is Graph {
  if (typeof x !== 'object' || x === null) return false;
  const g = x as Partial<Graph>;
  return g.version === 1 && Array.isArray(g.nodes) && Array.isArray(g.edges) && Array.isArray(g.outputs);
}

const KINDS: readonly unknown[] = ['op', 'leaf', 'param', 'constant'];
const isCount = (v: unknown): boolean => Number.isInteger(v) && (v as number) >= 0;
const isShape = (v: unknown): boolean => Array.isArray(v) && v.every(isCount);
const optionalString = (v: unknown): boolean => v === undefined || typeof v === 'string';
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** What is wrong with a node of a document, or null: the fields the renderers read, of their types. */
function badNode(n: unknown): string | null {
  if (!isRecord(n)) return 'is not an object';
  if (typeof n.id !== 'string') return 'has no string id';
  if (!KINDS.includes(n.kind)) return `has kind ${describeValue(n.kind)}, not 'op', 'leaf', 'param' or 'constant'`;
  if (!isShape(n.shape)) return 'has a shape that is not an array of non-negative integers';
  if (typeof n.dtype !== 'string') return 'has no string dtype';
  if (!optionalString(n.op) || !optionalString(n.name) || !optionalString(n.module)) return 'has an op, name or module that is not a string';
  const g = n.grad;
  if (g !== undefined && !(isRecord(g) && typeof g.norm === 'number' && isCount(g.nanCount) && isCount(g.infCount))) return 'has grad statistics without a numeric norm, nanCount and infCount';
  const group = n.group;
  if (group !== undefined && !(isRecord(group) && isRecord(group.ops) && Object.values(group.ops).every(isCount))) return 'has a group whose ops are not counts';
  return null;
}

/**
 * Checks a Graph document given to a renderer (it may come from a file): every node, edge and output
 * of the form traceGraph writes, edges and outputs naming nodes of the document. Throws a TypeError
 * naming `who` and the first bad entry; returns the document.
 */
export function checkGraph(g: Graph, who: string): Graph {
  const ids = new Set<string>();
  g.nodes.forEach((n, i) => {
    const bad = badNode(n);
    if (bad) throw new TypeError(`${who}: the Graph document's nodes[${i}] ${bad}`);
    ids.add(n.id);
  });
  g.edges.forEach((e: unknown, i) => {
    const ok = isRecord(e) && ids.has(e.from as string) && ids.has(e.to as string) && isCount(e.inputIndex) && (e.shape === undefined || isShape(e.shape));
    if (!ok) throw new TypeError(`${who}: the Graph document's edges[${i}] is not { from, to, inputIndex, shape? } between its nodes`);
  });
  g.outputs.forEach((o: unknown, i) => {
    if (!ids.has(o as string)) throw new TypeError(`${who}: the Graph document's outputs[${i}] is not the id of one of its nodes`);
  });
  return g;
}
