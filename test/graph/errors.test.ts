/** Junk arguments to graph export and drawing: a TypeError or RangeError naming the function called. */
import { describe, expect, it } from 'vitest';
import { graphScope, toDot, toMermaid, traceGraph, type Graph } from '@tapegrad/autograd';
import { renderSvg, runCli, toHtml } from '@tapegrad/graph';
import { mul, sum, tensor } from '@tapegrad/tensor';

const x = tensor([1, 2], { requiresGrad: true });
const y = sum(mul(x, 2));
const graph = traceGraph(y);
// Deliberately wrong calls, so the types are switched off for them.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const junk = (v: unknown): any => v;
const withNode = (node: unknown): Graph => ({ ...graph, nodes: [node as Graph['nodes'][number], ...graph.nodes.slice(1)] });

const cases: [string, () => unknown, new (...a: never[]) => Error, RegExp][] = [
  ['toDot with options null', () => toDot(y, junk(null)), TypeError, /^toDot: expected an options object, got null/],
  ['toMermaid with options null and a Graph', () => toMermaid(graph, junk(null)), TypeError, /^toMermaid: expected an options object, got null/],
  ['toDot with a title that is a number', () => toDot(graph, junk({ title: 3 })), TypeError, /^toDot: expected title to be a string, got number 3/],
  ['toMermaid with direction "up"', () => toMermaid(graph, junk({ direction: 'up' })), RangeError, /^toMermaid: expected direction to be 'TB', 'LR', 'BT' or 'RL', got the string "up"/],
  ['toDot with legend "yes"', () => toDot(graph, junk({ legend: 'yes' })), TypeError, /^toDot: expected legend to be true or false/],
  ['toDot with depth Object.create(null)', () => toDot(y, junk({ depth: Object.create(null) })), RangeError, /^toDot: depth must be an integer >= 1 or Infinity, got a object/],
  ['toDot of a number', () => toDot(junk(3)), TypeError, /^toDot: expected a Graph \(from traceGraph\) or a Tensor, got number 3/],
  ['toMermaid of an array holding a string', () => toMermaid(junk([y, 'a'])), TypeError, /^toMermaid: expected a Tensor or an array of Tensors, got the string "a" at index 1/],
  ['traceGraph with hideConstants "no"', () => traceGraph(y, junk({ hideConstants: 'no' })), TypeError, /^traceGraph: expected hideConstants to be true or false/],
  ['toDot of a Graph whose node is NaN', () => toDot(withNode(NaN)), TypeError, /^toDot: the Graph document's nodes\[0\] is not an object/],
  ['toMermaid of a Graph whose node has a string shape', () => toMermaid(withNode({ ...graph.nodes[0], shape: '3' })), TypeError, /^toMermaid: the Graph document's nodes\[0\] has a shape that is not an array/],
  ['toDot of a Graph whose node has kind 1n', () => toDot(withNode({ ...graph.nodes[0], kind: 1n })), TypeError, /^toDot: the Graph document's nodes\[0\] has kind 1n \(a bigint\)/],
  ['toDot of a Graph with an edge to nowhere', () => toDot({ ...graph, edges: [{ from: 'n0', to: 'n99', inputIndex: 0 }] }), TypeError, /^toDot: the Graph document's edges\[0\] is not/],
  ['toDot of a Graph whose output is not a node', () => toDot({ ...graph, outputs: ['x'] }), TypeError, /^toDot: the Graph document's outputs\[0\] is not the id/],
  ['graphScope with a bigint name', () => graphScope(junk(1n), () => y), TypeError, /^graphScope: expected a module name such as "fc1" or "encoder.lstm", got 1n \(a bigint\)/],
  ['graphScope of an async function', () => graphScope('fc1', junk(async () => mul(x, 3))), TypeError, /^graphScope: the function returned a promise/],
];

describe('junk arguments to graph export', () => {
  for (const [name, call, kind, message] of cases) {
    it(name, () => {
      expect(call).toThrow(kind);
      expect(call).toThrow(message);
    });
  }
});

describe('junk arguments to @tapegrad/graph', () => {
  const io = { cwd: '.', out: (): void => undefined, err: (): void => undefined };
  it('renderSvg and toHtml name themselves, not the exporter they call', async () => {
    await expect(renderSvg(y, junk(null))).rejects.toThrow(/^renderSvg: expected an options object, got null/);
    await expect(renderSvg(junk([3]))).rejects.toThrow(/^renderSvg: expected a Tensor or an array of Tensors, got number 3 at index 0/);
    await expect(renderSvg(junk(3))).rejects.toThrow(TypeError);
    await expect(renderSvg(graph, { shapes: junk('top') })).rejects.toThrow(/^renderSvg: expected shapes to be/);
    await expect(toHtml(y, junk(null))).rejects.toThrow(/^toHtml: expected an options object, got null/);
    await expect(toHtml(y, junk({ maxNodes: 0 }))).rejects.toThrow(/^toHtml: maxNodes must be an integer >= 1/);
    await expect(toHtml(y, junk({ title: 5 }))).rejects.toThrow(/^toHtml: expected title to be a string, got 5/);
    await expect(toHtml(withNode(null))).rejects.toThrow(/^toHtml: the Graph document's nodes\[0\] is not an object/);
  });

  it('renderSvg refuses an engine Graphviz does not have before running Graphviz', async () => {
    await expect(renderSvg(graph, junk({ engine: 'gnuplot' }))).rejects.toThrow(RangeError);
    await expect(renderSvg(graph, junk({ engine: 'gnuplot' }))).rejects.toThrow(/^renderSvg: expected engine to be one of dot, neato/);
  });

  it('runCli checks its arguments and io before using them', async () => {
    await expect(runCli(junk(undefined), io)).rejects.toThrow(/^runCli: expected the command-line arguments as an array of strings, got undefined/);
    await expect(runCli(['--help'], junk({ cwd: '.' }))).rejects.toThrow(/^runCli: expected io as \{ cwd: a directory, out\(line\), err\(line\) \}/);
    await expect(runCli(['--help'], junk(null))).rejects.toThrow(TypeError);
    expect(await runCli(['--help'], io)).toBe(0);
  });
});
