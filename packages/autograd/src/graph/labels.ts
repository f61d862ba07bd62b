import type { Tensor } from '@tapegrad/tensor';
import { describeValue } from '../levels.js';
import { checkGraph, isGraph, type Graph, type GraphNode } from './schema.js';
import { optionalBoolean, traceAs, traceOptions, type ResolvedTrace, type TraceOptions } from './trace.js';

/** Options shared by the text renderers (`toDot`, `toMermaid`); trace options apply when given a tensor. */
export interface RenderOptions extends TraceOptions {
  /** Where tensor shapes go: in node labels (default), on edges, or nowhere. `true`/`false` mean 'label'/'none'. */
  shapes?: 'label' | 'edge' | 'none' | boolean;
  /** Layout direction: top to bottom (default), left to right, ... */
  direction?: 'TB' | 'LR' | 'BT' | 'RL';
  /** Draw a box around the nodes of each module (the `module` field). Default true. */
  clusters?: boolean;
  /** A caption drawn above the graph. */
  title?: string;
}

/** Visual style of each kind of node; the renderers and the HTML viewer share it. */
export const PALETTE = {
  op: { fill: '#dbe9f7', stroke: '#3b6ea8' },
  module: { fill: '#e8def8', stroke: '#6a4c9c' },
  leaf: { fill: '#fff3bf', stroke: '#b08900' },
  param: { fill: '#d3f0d0', stroke: '#2f7d32' },
  constant: { fill: '#f1f1f1', stroke: '#8a8a8a' },
  output: { fill: '#f9d3cf', stroke: '#c0392b' },
  cluster: { stroke: '#9d8cc0', text: '#5b4487' },
} as const;

/** The style key of a node: its kind, 'module' for a collapsed module, 'output' for a traced output. */
export type StyleKey = 'op' | 'module' | 'leaf' | 'param' | 'constant' | 'output';

export function styleKey(n: GraphNode, outputs: ReadonlySet<string>): StyleKey {
  if (outputs.has(n.id)) return 'output';
  if (n.op === 'module' && n.group !== undefined) return 'module';
  return n.kind;
}

type Direction = 'TB' | 'LR' | 'BT' | 'RL';

/** Render options (with the trace options among them) checked, with their defaults filled in. */
export interface ResolvedRender {
  trace: ResolvedTrace;
  shapes: 'label' | 'edge' | 'none';
  direction: Direction;
  clusters: boolean;
  title: string | undefined;
  legend: boolean;
}

/**
 * Validates the options of a renderer in one place (an object or undefined; each option of its type
 * and range), naming `who`, the function the user called.
 */
export function renderOptions(opts: unknown, who: string): ResolvedRender {
  const trace = traceOptions(opts, who);
  const o = (opts ?? {}) as Record<string, unknown> & RenderOptions & { legend?: unknown };
  const s = o.shapes ?? 'label';
  if (s !== true && s !== false && s !== 'label' && s !== 'edge' && s !== 'none') {
    throw new RangeError(`${who}: expected shapes to be 'label', 'edge', 'none' or a boolean, got ${describeValue(s)}`);
  }
  const d = o.direction ?? 'TB';
  if (d !== 'TB' && d !== 'LR' && d !== 'BT' && d !== 'RL') throw new RangeError(`${who}: expected direction to be 'TB', 'LR', 'BT' or 'RL', got ${describeValue(d)}`);
  if (o.title !== undefined && typeof o.title !== 'string') throw new TypeError(`${who}: expected title to be a string, got ${describeValue(o.title)}`);
  optionalBoolean(o.clusters, 'clusters', who);
  optionalBoolean(o.legend, 'legend', who);
  return {
    trace, shapes: s === true ? 'label' : s === false ? 'none' : s, direction: d, clusters: o.clusters ?? true, title: o.title, legend: o.legend === true,
  };
}

/** The graph to draw: the given document (checked), or a trace of the given tensor(s). */
export function resolveGraph(g: unknown, trace: ResolvedTrace, who: string): Graph {
  if (isGraph(g)) return checkGraph(g, who);
  if (typeof g !== 'object' || g === null) throw new TypeError(`${who}: expected a Graph (from traceGraph) or a Tensor, got ${describeValue(g)}`);
  return traceAs(g, trace, who);
}

/** What both text renderers start from: the graph, the resolved options and lookups. */
export interface RenderInput {
  graph: Graph;
  options: ResolvedRender;
  outputs: ReadonlySet<string>;
  byId: ReadonlyMap<string, GraphNode>;
}

export function prepareRender(g: unknown, opts: unknown, who: string): RenderInput {
  const options = renderOptions(opts, who);
  const graph = resolveGraph(g, options.trace, who);
  return { graph, options, outputs: new Set(graph.outputs), byId: new Map(graph.nodes.map((n) => [n.id, n] as const)) };
}

/** A short number for labels: 3 significant digits, exponent form when very large or small. */
export function shortNumber(v: number): string {
  if (v === 0 || !Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) return v.toExponential(2);
  return String(Number(v.toPrecision(3)));
}

export function shapeText(shape: readonly number[], dtype: string): string {
  return `[${shape.join(',')}]${dtype === 'float32' ? '' : ` ${dtype}`}`;
}

/** The lines of a node's label, as plain text (each renderer escapes them its own way). */
export function labelLines(n: GraphNode, opts: { shapes: 'label' | 'edge' | 'none'; gradStats: boolean }): string[] {
  const lines: string[] = [];
  if (n.op === 'module' && n.group !== undefined) {
    lines.push(n.name ?? 'module');
    const count = Object.values(n.group.ops).reduce((a, b) => a + b, 0);
    lines.push(`module, ${count} op${count === 1 ? '' : 's'}`);
  } else if (n.kind === 'op') {
    lines.push(n.name !== undefined ? `${n.name} = ${n.op}` : String(n.op));
  } else if (n.kind === 'constant') {
    lines.push(n.name ?? (n.value !== undefined ? String(typeof n.value === 'number' ? shortNumber(n.value) : n.value) : 'constant'));
  } else {
    lines.push(n.name ?? (n.kind === 'leaf' ? 'input' : n.kind));
  }
  if (opts.shapes === 'label') lines.push(shapeText(n.shape, n.dtype));
  if (opts.gradStats && n.grad !== undefined) {
    let g = `grad norm ${shortNumber(n.grad.norm)}`;
    if (n.grad.nanCount > 0) g += `, ${n.grad.nanCount} NaN`;
    if (n.grad.infCount > 0) g += `, ${n.grad.infCount} Inf`;
    lines.push(g);
  }
  return lines;
}

/** Nodes grouped by module path into a tree, for drawing clusters (a collapsed module sits in its parent's). */
export interface ClusterTree {
  path: string;
  label: string;
  nodes: GraphNode[];
  children: ClusterTree[];
}

export function clusterTree(g: Graph, enabled: boolean): ClusterTree {
  const root: ClusterTree = { path: '', label: '', nodes: [], children: [] };
  const index = new Map<string, ClusterTree>([['', root]]);
  const at = (path: string): ClusterTree => {
    let t = index.get(path);
    if (t !== undefined) return t;
    const dot = path.lastIndexOf('.');
    const parent = at(dot < 0 ? '' : path.slice(0, dot));
    t = { path, label: dot < 0 ? path : path.slice(dot + 1), nodes: [], children: [] };
    parent.children.push(t);
    index.set(path, t);
    return t;
  };
  for (const n of g.nodes) {
    let path = enabled ? n.module ?? '' : '';
    if (n.op === 'module' && n.group !== undefined) {
      const dot = path.lastIndexOf('.');
      path = dot < 0 ? '' : path.slice(0, dot);
    }
    at(path).nodes.push(n);
  }
  return root;
}

/** The shape an edge carries: its own when given, else the shape of the node it leaves. */
export function edgeShape(byId: ReadonlyMap<string, GraphNode>, e: Graph['edges'][number]): string {
  const from = byId.get(e.from);
  return shapeText(e.shape ?? from?.shape ?? [], from?.dtype ?? 'float32');
}
