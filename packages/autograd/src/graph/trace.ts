import { Tensor, type TapeNode } from '@tapegrad/tensor';
import { opTimeOf, reachableNodes, sameShape } from '@tapegrad/tensor/internal';
import { describeValue } from '../levels.js';
import { assignModules, isSingleValue, type Entry } from './modules.js';
import type { GradStats, Graph, GraphEdge, GraphNode, NodeKind, OpTimes } from './schema.js';

/** Options of `traceGraph` (also accepted by `toDot`, `toMermaid` and the renderers when given a tensor). */
export interface TraceOptions {
  /**
   * Collapse modules into one node each: every op and parameter whose module path (see the
   * `module` field) starts with the same `depth` components becomes a single node with
   * `op: 'module'`. `depth: 1` shows top-level modules (`encoder`, `head`), `depth: 2` one level
   * further in (`encoder.lstm`), `Infinity` every innermost module. Default: nothing collapsed.
   */
  depth?: number;
  /** Leave out tensors that do not require grad (data, scalars, detached values). Default false. */
  hideConstants?: boolean;
  /** Attach gradient statistics to nodes whose tensor has a `.grad`. Default true. */
  gradStats?: boolean;
  /** Refuse to build a graph of more nodes than this (a RangeError saying how to shrink it). Default 10000. */
  maxNodes?: number;
  /** Attach the times measured by `profileOps` to op nodes. Default true (nodes run without profiling have none). */
  times?: boolean;
}

/** Default of TraceOptions.maxNodes. */
export const DEFAULT_MAX_NODES = 10_000;

function kindOf(t: Tensor): NodeKind {
  if (t.node !== null) return 'op';
  if (!t.requiresGrad) return 'constant';
  return t.name !== undefined && t.name !== '' ? 'param' : 'leaf';
}

/** A number JSON can carry: non-finite values become strings. */
function jsonNumber(v: number): number | string {
  return Number.isFinite(v) ? v : String(v);
}

/** A JSON-safe copy of an op's attributes (tensors are described by shape and dtype, functions dropped). */
export function sanitizeAttrs(value: unknown, level = 0): unknown {
  if (typeof value === 'number') return jsonNumber(value);
  if (typeof value === 'string' || typeof value === 'boolean' || value === null) return value;
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Tensor) return { tensor: { shape: [...value.shape], dtype: value.dtype } };
  if (level > 8 || typeof value !== 'object') return undefined;
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number>, jsonNumber);
  if (Array.isArray(value)) return value.map((v) => sanitizeAttrs(v, level + 1) ?? null);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const s = sanitizeAttrs(v, level + 1);
    if (s !== undefined) out[k] = s;
  }
  return out;
}

/** Statistics of a gradient tensor, over its finite elements (NaN and Inf counted apart). */
export function gradStats(g: Tensor): GradStats {
  const data = g.data();
  let sq = 0, nan = 0, inf = 0, min = Infinity, max = -Infinity;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v !== v) nan++;
    else if (v === Infinity || v === -Infinity) inf++;
    else {
      sq += v * v;
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  const finite = data.length - nan - inf;
  return {
    shape: [...g.shape], dtype: g.dtype, norm: Math.sqrt(sq),
    min: finite > 0 ? min : null, max: finite > 0 ? max : null, nanCount: nan, infCount: inf,
  };
}

/** TraceOptions with their defaults filled in. */
export type ResolvedTrace = Required<Omit<TraceOptions, 'depth'>> & { depth: number | undefined };

/** Throws a TypeError naming `who` unless `v` is undefined or a boolean. */
export function optionalBoolean(v: unknown, name: string, who: string): void {
  if (v !== undefined && typeof v !== 'boolean') throw new TypeError(`${who}: expected ${name} to be true or false, got ${describeValue(v)}`);
}

/** Validates trace options (undefined: all defaults), naming `who`, the function the user called. */
export function traceOptions(opts: unknown, who: string): ResolvedTrace {
  if (opts === undefined) opts = {};
  if (typeof opts !== 'object' || opts === null || Array.isArray(opts)) throw new TypeError(`${who}: expected an options object, got ${describeValue(opts)}`);
  const { depth, maxNodes = DEFAULT_MAX_NODES, hideConstants, gradStats, times } = opts as Record<string, unknown>;
  if (depth !== undefined && !(depth === Infinity || (Number.isInteger(depth) && (depth as number) >= 1))) {
    throw new RangeError(`${who}: depth must be an integer >= 1 or Infinity, got ${describeValue(depth)}`);
  }
  if (!(maxNodes === Infinity || (Number.isInteger(maxNodes) && (maxNodes as number) >= 1))) {
    throw new RangeError(`${who}: maxNodes must be an integer >= 1 or Infinity, got ${describeValue(maxNodes)}`);
  }
  optionalBoolean(hideConstants, 'hideConstants', who);
  optionalBoolean(gradStats, 'gradStats', who);
  optionalBoolean(times, 'times', who);
  return {
    depth: depth as number | undefined, maxNodes: maxNodes as number,
    hideConstants: (hideConstants as boolean | undefined) ?? false, gradStats: (gradStats as boolean | undefined) ?? true, times: (times as boolean | undefined) ?? true,
  };
}

function tooMany(count: number, max: number, atLeast: boolean, who: string): RangeError {
  return new RangeError(
    `${who}: the graph has ${atLeast ? 'more than ' : ''}${count} nodes, more than maxNodes (${max}). ` +
      'Collapse modules into single nodes with { depth: 1 }, leave out constants with { hideConstants: true }, ' +
      'or raise { maxNodes }.',
  );
}

/** Every tape node the roots depend on, in recording (topological) order. Iterative: no recursion. */
function collect(roots: readonly Tensor[], limit: number, who: string): TapeNode[] {
  const counted = new Set<TapeNode>();
  const nodes = reachableNodes(roots, (n) => {
    if (counted.add(n).size > limit) throw tooMany(limit, limit, true, who);
    return true;
  });
  return nodes.sort((a, b) => a.id - b.id);
}

/** Entries for every op and every leaf input, in topological order (leaves just before their first reader). */
function buildEntries(roots: readonly Tensor[], nodes: readonly TapeNode[]): { entries: Entry[]; rootEntries: Entry[] } {
  const entries: Entry[] = [];
  const ofNode = new Map<TapeNode, Entry>();
  const ofLeaf = new Map<Tensor, Entry>();
  const entryOf = (t: Tensor): Entry => {
    if (t.node) return ofNode.get(t.node)!;
    let e = ofLeaf.get(t);
    if (e === undefined) {
      e = { tensor: t, node: null, order: entries.length, inputs: [], consumers: [] };
      entries.push(e);
      ofLeaf.set(t, e);
    }
    return e;
  };
  for (const node of nodes) {
    const inputs = node.inputs.map(entryOf);
    const e: Entry = { tensor: node.output, node, order: entries.length, inputs, consumers: [] };
    for (const i of inputs) i.consumers.push(e);
    entries.push(e);
    ofNode.set(node, e);
  }
  return { entries, rootEntries: roots.map(entryOf) };
}

/** What becomes one node of the document: one entry, or the entries of a collapsed module. */
interface Unit {
  members: Entry[];
  /** The entry whose tensor the unit's shape and dtype describe. */
  main: Entry;
  group?: string;
  first: number;
}

/** Module units for `depth`: each op with a module, and the named tensors and single-value constants only that module reads. */
function collapse(entries: readonly Entry[], roots: ReadonlySet<Entry>): Map<Entry, Unit> {
  const unitOf = new Map<Entry, Unit>();
  const groups = new Map<string, Unit>();
  const join = (e: Entry, key: string): void => {
    let u = groups.get(key);
    if (u === undefined) groups.set(key, (u = { members: [], main: e, group: key, first: e.order }));
    u.members.push(e);
    unitOf.set(e, u);
  };
  for (const e of entries) if (e.node !== null && e.module !== undefined) join(e, e.module);
  for (const e of entries) {
    if (e.node !== null || roots.has(e) || e.consumers.length === 0) continue;
    const key = unitOf.get(e.consumers[0]!)?.group;
    if (key === undefined || !e.consumers.every((c) => unitOf.get(c)?.group === key)) continue;
    const named = e.tensor.name !== undefined && e.tensor.name !== '';
    if (named || (!e.tensor.requiresGrad && isSingleValue(e.tensor))) join(e, key);
  }
  for (const u of groups.values()) {
    // The main output: the latest op whose result leaves the module (or is a traced output).
    let main: Entry | undefined;
    for (const m of u.members) {
      if (m.node === null) continue;
      if (roots.has(m) || m.consumers.some((c) => unitOf.get(c) !== u)) {
        if (main === undefined || m.order > main.order) main = m;
      }
    }
    u.main = main ?? u.members.reduce((a, b) => (b.order > a.order ? b : a));
    u.first = Math.min(...u.members.map((m) => m.order));
  }
  return unitOf;
}

/** A topological order of units (Kahn's algorithm, earliest first); units left on a cycle follow in entry order. */
function orderUnits(units: readonly Unit[], preds: Map<Unit, Set<Unit>>, succs: Map<Unit, Set<Unit>>): Unit[] {
  const indeg = new Map<Unit, number>();
  for (const u of units) indeg.set(u, preds.get(u)?.size ?? 0);
  const ready = units.filter((u) => indeg.get(u) === 0);
  const byFirst = (a: Unit, b: Unit): number => b.first - a.first;
  ready.sort(byFirst);
  const out: Unit[] = [];
  const placed = new Set<Unit>();
  while (out.length < units.length) {
    let u = ready.pop();
    if (u === undefined) {
      // A cycle (a module used at several places, with other work in between): break it at the earliest unit.
      u = units.filter((v) => !placed.has(v)).reduce((a, b) => (b.first < a.first ? b : a));
    }
    if (placed.has(u)) continue;
    placed.add(u);
    out.push(u);
    let changed = false;
    for (const s of succs.get(u) ?? []) {
      const d = indeg.get(s)! - 1;
      indeg.set(s, d);
      if (d === 0 && !placed.has(s)) {
        ready.push(s);
        changed = true;
      }
    }
    if (changed) ready.sort(byFirst);
  }
  return out;
}

function describeNode(u: Unit, id: string, withGrad: boolean, withTimes: boolean): GraphNode {
  const t = u.main.tensor;
  if (u.group !== undefined) {
    const ops: Record<string, number> = {};
    const params: string[] = [];
    for (const m of u.members) {
      if (m.node !== null) ops[m.node.op] = (ops[m.node.op] ?? 0) + 1;
      else if (m.tensor.requiresGrad && m.tensor.name) params.push(m.tensor.name);
    }
    const time = withTimes ? sumTimes(u.members) : undefined;
    return {
      id, kind: 'op', op: 'module', name: u.group, module: u.group, shape: [...t.shape], dtype: t.dtype,
      requiresGrad: t.requiresGrad, group: { nodeCount: u.members.length, ops, params },
      ...(time !== undefined ? { time } : {}),
    };
  }
  const e = u.main;
  const kind = kindOf(t);
  let attrs: Record<string, unknown> | undefined;
  let value: number | boolean | string | undefined;
  if (e.node !== null) {
    attrs = sanitizeAttrs(e.node.attrs) as Record<string, unknown>;
    if (Object.keys(attrs).length === 0) attrs = undefined;
  } else if (kind === 'constant' && isSingleValue(t)) {
    const v = t.buf[t.offset]!;
    value = t.dtype === 'bool' ? v !== 0 : jsonNumber(v);
  }
  const node: GraphNode = {
    id,
    kind,
    ...(e.node !== null ? { op: e.node.op } : {}),
    ...(t.name !== undefined && t.name !== '' ? { name: t.name } : {}),
    ...(e.module !== undefined ? { module: e.module } : {}),
    shape: [...t.shape],
    dtype: t.dtype,
    requiresGrad: t.requiresGrad,
    ...(attrs !== undefined ? { attrs } : {}),
    ...(value !== undefined ? { value } : {}),
  };
  if (withGrad && t.grad instanceof Tensor) node.grad = gradStats(t.grad);
  const time = withTimes ? sumTimes([e]) : undefined;
  if (time !== undefined) node.time = time;
  return node;
}

/** The summed `profileOps` times of some entries' nodes, or undefined when none was timed. */
function sumTimes(entries: readonly Entry[]): OpTimes | undefined {
  let total: OpTimes | undefined;
  for (const e of entries) {
    const t = e.node === null ? undefined : opTimeOf(e.node);
    if (t === undefined) continue;
    total ??= { forwardMs: 0, backwardMs: 0 };
    total.forwardMs += t.forwardMs;
    total.backwardMs += t.backwardMs;
  }
  return total;
}

/**
 * Walks the graph the tape recorded for `output` (one tensor or several) and returns it as a
 * versioned, JSON-serializable document: one node per op and per tensor the ops read that no
 * recorded op produced, edges from each tensor to the ops that read it (with the argument
 * position), and the output node ids. After `backward`, nodes whose tensor has a `.grad` carry
 * gradient statistics. The walk is iterative, so very deep graphs are fine.
 * Per-node forward and backward times are not recorded: that would need timing in the tape's hot path.
 *
 * @example
 * const g = traceGraph(loss, { depth: 1, hideConstants: true });
 * console.log(JSON.stringify(g));
 */
export function traceGraph(output: Tensor | readonly Tensor[], opts: TraceOptions = {}): Graph {
  return traceAs(output, traceOptions(opts, 'traceGraph'), 'traceGraph');
}

/** traceGraph on behalf of `who` (a renderer given a tensor), with options it has checked. */
export function traceAs(output: unknown, o: ResolvedTrace, who: string): Graph {
  const roots: unknown[] = Array.isArray(output) ? [...(output as unknown[])] : [output];
  if (roots.length === 0) throw new TypeError(`${who}: expected a Tensor or a non-empty array of Tensors, got an empty array`);
  roots.forEach((r, i) => {
    if (!(r instanceof Tensor)) {
      throw new TypeError(`${who}: expected a Tensor or an array of Tensors, got ${describeValue(r)}${Array.isArray(output) ? ` at index ${i}` : ''}`);
    }
  });
  return build(roots as Tensor[], o, who);
}

function build(roots: Tensor[], o: ResolvedTrace, who: string): Graph {
  // Without collapsing or hiding, every op becomes a node: stop walking as soon as there are too many.
  const early = o.depth === undefined && !o.hideConstants ? o.maxNodes : Infinity;
  const { entries, rootEntries } = buildEntries(roots, collect(roots, early, who));
  assignModules(entries, o.depth);

  const rootSet = new Set(rootEntries);
  const unitOf = o.depth !== undefined ? collapse(entries, rootSet) : new Map<Entry, Unit>();
  const units: Unit[] = [];
  const seenUnits = new Set<Unit>();
  for (const e of entries) {
    let u = unitOf.get(e);
    if (u === undefined) unitOf.set(e, (u = { members: [e], main: e, first: e.order }));
    if (!seenUnits.has(u)) {
      seenUnits.add(u);
      units.push(u);
    }
  }
  const hidden = (u: Unit): boolean =>
    o.hideConstants && u.group === undefined && !u.main.tensor.requiresGrad && !rootSet.has(u.main);
  const visible = units.filter((u) => !hidden(u));
  if (visible.length > o.maxNodes) throw tooMany(visible.length, o.maxNodes, false, who);

  // Unit-level edges: [from unit, tensor's entry, to unit, input index].
  const raw: [Unit, Entry, Unit, number][] = [];
  const externalInputs = new Map<Unit, Entry[]>();
  const seenEdge = new Set<string>();
  for (const c of entries) {
    const to = unitOf.get(c)!;
    c.inputs.forEach((src, i) => {
      const from = unitOf.get(src)!;
      if (from === to || hidden(from)) return;
      if (to.group === undefined) {
        raw.push([from, src, to, i]);
        return;
      }
      const ins = externalInputs.get(to) ?? [];
      externalInputs.set(to, ins);
      if (ins.includes(src)) return;
      ins.push(src);
      raw.push([from, src, to, ins.length - 1]);
    });
  }
  const preds = new Map<Unit, Set<Unit>>();
  const succs = new Map<Unit, Set<Unit>>();
  for (const [from, , to] of raw) {
    if (!preds.has(to)) preds.set(to, new Set());
    if (!succs.has(from)) succs.set(from, new Set());
    preds.get(to)!.add(from);
    succs.get(from)!.add(to);
  }
  const ordered = o.depth === undefined ? visible : orderUnits(visible, preds, succs);
  const idOf = new Map<Unit, string>();
  ordered.forEach((u, i) => idOf.set(u, `n${i}`));

  const nodes = ordered.map((u) => describeNode(u, idOf.get(u)!, o.gradStats, o.times));
  const edges: GraphEdge[] = [];
  for (const [from, src, to, inputIndex] of raw) {
    const edge: GraphEdge = { from: idOf.get(from)!, to: idOf.get(to)!, inputIndex };
    const key = `${edge.from}>${edge.to}#${inputIndex}`;
    if (seenEdge.has(key)) continue;
    seenEdge.add(key);
    if (from.group !== undefined && !sameShape(src.tensor.shape, from.main.tensor.shape)) edge.shape = [...src.tensor.shape];
    edges.push(edge);
  }
  const outputs = rootEntries.map((e) => idOf.get(unitOf.get(e)!)!);
  return { version: 1, nodes, edges, outputs };
}
