/**
 * The fuzz table for graph export and drawing: traceGraph, toDot, toMermaid, graphScope and isGraph
 * (from @tapegrad/autograd, re-exported by @tapegrad/graph) and @tapegrad/graph's own renderSvg,
 * toHtml and runCli (async). The graphs are chains of a few ops on one input, so the reference
 * knows how many nodes and edges each has; a Graph document given instead of a tensor may have junk
 * in any field.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { graphScope, isGraph, toDot, toMermaid, traceGraph, type Graph } from '@tapegrad/autograd';
import { renderSvg, runCli, toHtml } from '@tapegrad/graph';
import { Tensor, exp, mul, neg, sin, sum } from '@tapegrad/tensor';
import { floatTensorArb } from './args.js';
import { SKIP, type ApiEntry } from './contract.js';
import { Refuse, read, ref } from './reference.js';

/** A chain of ops on x (`mul` by the constant 2 adds a constant node), its output, and the node count the reference expects. */
interface Chain {
  x: Tensor;
  y: Tensor;
  ops: string[];
}
const OPS: Record<string, (t: Tensor) => Tensor> = { neg, sin, exp, mul: (t) => mul(t, 2), sum: (t) => sum(t) };
const CHAINS = new WeakMap<Tensor, Chain>();
const chainArb: fc.Arbitrary<Chain> = fc.tuple(floatTensorArb(), fc.array(fc.constantFrom(...Object.keys(OPS)), { maxLength: 4 }), fc.boolean())
  .map(([x, ops, named]) => {
    if (named && x.requiresGrad) x.name = 'w';
    const y = ops.reduce((t, op) => OPS[op]!(t), x);
    const c = { x, y, ops };
    CHAINS.set(y, c);
    return c;
  });

/** The nodes a trace of a chain has: the input, each op, and the constant each `mul` reads (ops record only when x requires grad). */
function expectedNodes(c: Chain, hideConstants: boolean): number {
  if (!c.x.requiresGrad) return 1;
  return 1 + c.ops.length + (hideConstants ? 0 : c.ops.filter((op) => op === 'mul').length);
}

const traceOptsArb = fc.constantFrom<Record<string, unknown> | undefined>(
  undefined, {}, { depth: 1 }, { hideConstants: true }, { gradStats: false }, { maxNodes: 2 }, { maxNodes: Infinity }, { times: false },
);
const renderOptsArb = fc.constantFrom<Record<string, unknown> | undefined>(
  undefined, {}, { shapes: 'edge' }, { shapes: false }, { direction: 'LR' }, { clusters: false }, { title: 'a "title" & <more>' }, { hideConstants: true },
);

/** What is wrong with a Graph document, or null: ids, edges and outputs must hold together, and JSON must carry it unchanged. */
function badGraph(g: Graph): string | null {
  const ids = g.nodes.map((n) => n.id);
  if (ids.some((id, i) => id !== `n${i}`)) return `node ids ${ids.join(',')}`;
  if (g.edges.some((e) => !ids.includes(e.from) || !ids.includes(e.to) || ids.indexOf(e.from) >= ids.indexOf(e.to))) return 'an edge that does not go forward between nodes';
  if (g.outputs.some((o) => !ids.includes(o))) return 'an output that is not a node';
  if (JSON.stringify(JSON.parse(JSON.stringify(g))) !== JSON.stringify(g)) return 'a document JSON does not carry';
  return null;
}

/** Nodes and edges of a traced chain, with the constant count: what traceGraph's reference says. */
function chainCheck(json: string, y: unknown, o: { hideConstants?: boolean; depth?: number } | undefined): string | null {
  const g = JSON.parse(json) as Graph;
  const bad = badGraph(g);
  if (bad) return bad;
  const c = CHAINS.get(y as Tensor);
  if (c === undefined || o?.depth !== undefined) return null;
  const want = expectedNodes(c, o?.hideConstants === true);
  if (g.nodes.length !== want) return `${g.nodes.length} nodes for a chain of ${c.ops.join(',') || 'no op'} (expected ${want})`;
  // Each op reads the previous tensor, each mul its constant too.
  if (g.edges.length !== want - 1) return `${g.edges.length} edges for ${want} nodes in a chain`;
  return null;
}

const entries: ApiEntry[] = [];

entries.push({
  id: 'traceGraph', names: ['traceGraph'],
  args: fc.tuple(chainArb, traceOptsArb, fc.boolean()).map(([c, o, asList]) => [asList ? [c.y] : c.y, o]),
  call: (y, o) => JSON.stringify(traceGraph(y, o)),
  check: (json: string, y, o) => chainCheck(json, Array.isArray(y) ? y[0] : y, o),
  reference: (y, o: { maxNodes?: number; hideConstants?: boolean } | undefined) => {
    const c = CHAINS.get(Array.isArray(y) ? y[0] : y)!;
    if (expectedNodes(c, o?.hideConstants === true) > (o?.maxNodes ?? Infinity)) throw new Refuse('more nodes than maxNodes');
    return SKIP;
  },
});

/** What a renderer is given: a tensor, an array of tensors, or the Graph document of one (a copy, so junk inside it is ours). */
const drawableArb = fc.tuple(chainArb, fc.constantFrom('tensor', 'list', 'graph')).map(([c, kind]) => (kind === 'tensor' ? c.y : kind === 'list' ? [c.y] : traceGraph(c.y)));
/** The node and edge lines a DOT or Mermaid text has, against the graph it draws. */
function drawingCheck(text: string, g: unknown, o: Record<string, unknown> | undefined, nodeLine: RegExp, edgeLine: RegExp): string | null {
  const graph = isGraph(g) ? g : traceGraph(g as Tensor, o);
  const nodes = text.split('\n').filter((l) => nodeLine.test(l)).length;
  const edges = text.split('\n').filter((l) => edgeLine.test(l)).length;
  if (nodes !== graph.nodes.length || edges !== graph.edges.length) return `${nodes} nodes and ${edges} edges drawn for ${graph.nodes.length} and ${graph.edges.length}`;
  return null;
}
entries.push({
  id: 'toDot', names: ['toDot'], args: fc.tuple(drawableArb, renderOptsArb),
  call: toDot,
  check: (text: string, g, o) => (text.startsWith('digraph tapegrad {\n') ? drawingCheck(text, g, o, /^\s+n\d+ \[label=/, /^\s+n\d+ -> n\d+/) : 'not a DOT digraph'),
});
entries.push({
  id: 'toMermaid', names: ['toMermaid'], args: fc.tuple(drawableArb, renderOptsArb),
  call: toMermaid,
  check: (text: string, g, o) => (/^(---\n[^]*\n---\n)?flowchart (TB|LR)\n/.test(text) ? drawingCheck(text, g, o, /^\s+n\d+[[({>]/, /^\s+n\d+ -->/) : 'not a Mermaid flowchart'),
});
entries.push({
  id: 'isGraph', names: ['isGraph'], args: fc.tuple(drawableArb),
  call: isGraph,
  reference: (g) => !(g instanceof Tensor) && !Array.isArray(g),
});

const scopeFn = (c: Chain): (() => Tensor) => () => mul(c.x, 3);
const SCOPED = new WeakMap<object, Chain>();
entries.push({
  id: 'graphScope', names: ['graphScope', 'mul'],
  args: fc.tuple(fc.constantFrom('fc1', 'encoder.lstm', 'a b'), chainArb, fc.boolean()).map(([name, c, isAsync]) => {
    const f = isAsync ? async () => mul(c.x, 3) : scopeFn(c);
    SCOPED.set(f, c);
    return [name, f];
  }),
  call: graphScope,
  // The op the function recorded belongs to the module `name`.
  check: (r: unknown, name: string) => {
    if (!(r instanceof Tensor) || r.node === null) return null;
    const op = traceGraph(r).nodes.find((n) => n.kind === 'op');
    return op?.module === name ? null : `an op of module ${String(op?.module)}, not ${name}`;
  },
  reference: (_name, f: () => unknown) => {
    const c = SCOPED.get(f)!;
    if (f.constructor.name === 'AsyncFunction') throw new Refuse('an async function');
    return ref(c.x.shape.slice(), read(c.x).data.map((v) => 3 * v), c.x.dtype);
  },
});

// ---- @tapegrad/graph: drawing with Graphviz, the HTML page, the command line ----------------------

entries.push({
  id: 'renderSvg', names: ['renderSvg'], async: true,
  args: fc.tuple(fc.oneof(drawableArb, chainArb.map((c) => toDot(c.y))), fc.constantFrom<Record<string, unknown> | undefined>(undefined, {}, { engine: 'neato' }, { direction: 'LR', depth: 1 })),
  call: renderSvg,
  check: (svg: string) => (svg.includes('<svg') && svg.trimEnd().endsWith('</svg>') ? null : 'not an SVG document'),
  // Text that is not DOT is a SyntaxError from Graphviz, as the README documents.
  errors: [SyntaxError],
});
entries.push({
  id: 'toHtml', names: ['toHtml'], async: true,
  args: fc.tuple(drawableArb, fc.constantFrom<Record<string, unknown> | undefined>(undefined, {}, { title: '<b>t</b>' }, { depth: 1, shapes: 'edge' })),
  call: toHtml,
  check: (html: string) => (html.startsWith('<!DOCTYPE html>') && html.includes('<svg') && !html.includes('<b>t</b>') ? null : 'not a self-contained page with an escaped title'),
  errors: [SyntaxError],
});

/** Where the CLI cases write (removed by the test file afterwards), and the script they draw. */
export const CLI_OUT = mkdtempSync(join(tmpdir(), 'tapegrad-fuzz-cli-'));
export const removeCliOutput = (): void => rmSync(CLI_OUT, { recursive: true, force: true });
const FIXTURES = resolve(__dirname, '../graph/fixtures');
/**
 * Command lines and the exit code each must give: 0 written, 1 a script that fails, 2 a usage error.
 * They run in the scratch directory (the script is named by its absolute path), so that a command
 * line whose --out junk replaced writes its default graph.html there.
 */
const SCRIPT = join(FIXTURES, 'two-layer.ts');
const COMMANDS: readonly [string[], number][] = [
  [['--help'], 0],
  [[SCRIPT, '-o', 'g.json'], 0],
  [[SCRIPT, '-f', 'mermaid', '-o', 'g.txt', '--depth', '1'], 0],
  [[SCRIPT, '-o', 'g.dot', '--shapes', 'edge', '--hide-constants'], 0],
  [[], 2],
  [[SCRIPT, '--bogus'], 2],
  [[SCRIPT, '-f', 'png'], 2],
  [[SCRIPT, '--depth', '0'], 2],
  [['missing.ts', '-o', 'm.json'], 1],
];
const CODE = new Map<unknown, number>(COMMANDS.map(([args, code]) => [args, code]));
const quietIo = (cwd: string): { cwd: string; out: (l: string) => void; err: (l: string) => void } => ({ cwd, out: () => undefined, err: () => undefined });
entries.push({
  id: 'runCli', names: ['runCli'], async: true,
  // The io stays as it is here (a junk cwd could send output anywhere): the next entry fuzzes it.
  args: fc.tuple(fc.constantFrom(...COMMANDS.map(([a]) => a)), fc.constant(null).map(() => quietIo(CLI_OUT))), keep: [1],
  call: runCli,
  reference: (args) => CODE.get(args),
});
entries.push({
  id: 'runCli io', names: ['runCli'], async: true,
  // --help writes no file, so any io is safe to try.
  args: fc.tuple(fc.constant(['--help']), fc.constant(null).map(() => quietIo(CLI_OUT))), keep: [0],
  call: runCli,
  reference: () => 0,
});

export const GRAPH_API: readonly ApiEntry[] = entries;

/** Exports of @tapegrad/autograd and @tapegrad/graph that are not called, and why. */
export const GRAPH_NOT_FUZZED: Readonly<Record<string, string>> = {
  USAGE: 'a constant: the CLI help text (runCli --help prints it, fuzzed above)',
  graphPalette: 'a constant: the colours of each node kind',
  AnomalyError: 'an Error subclass re-exported from @tapegrad/tensor (listed there): its constructor is the platform Error constructor',
  rules: 'a constant table of the engine\'s per-primitive rule functions, which backward, jvp and vmap call on arguments they have checked (every transform entry exercises them)',
};
