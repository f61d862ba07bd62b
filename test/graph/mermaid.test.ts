import { describe, expect, it } from 'vitest';
import { toMermaid, traceGraph } from '@tapegrad/autograd';
import { tensor, type Tensor } from 'tapegrad';
import { named } from './helpers.js';

function mlp(): Tensor {
  const x = tensor([[1, 2], [3, 4]]);
  const w1 = named(tensor([[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]]), 'fc1.weight');
  const b1 = named(tensor([0, 0, 0]), 'fc1.bias');
  const w2 = named(tensor([[1, -1, 1]]), 'fc2.weight');
  return x.matmul(w1.T).add(b1).relu().matmul(w2.T).square().mean();
}

/** Node definitions: id, opening bracket, quoted text, closing bracket, at the start of a line. */
const NODE_LINE = /^\s*(n\d+)(\(|\[\[|\[\/|\[\(|>|\{\{)"([^"]*)"(\)|\]\]|\/\]|\)\]|\]|\}\})$/;

describe('toMermaid', () => {
  it('is a flowchart with one definition per node, one link per edge, and a class per kind', () => {
    const g = traceGraph(mlp());
    const text = toMermaid(g);
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe('flowchart TB');
    const defs = lines.map((l) => NODE_LINE.exec(l)).filter((m) => m !== null);
    expect(defs.map((m) => m[1]).sort()).toEqual(g.nodes.map((n) => n.id).sort());
    const links = lines.filter((l) => /^\s*n\d+ --> n\d+$/.test(l));
    expect(links.map((l) => l.trim())).toEqual(g.edges.map((e) => `${e.from} --> ${e.to}`));
    // shapes by kind: params as cylinders, ops rounded, constants flagged, the output a hexagon
    const def = (id: string): RegExpExecArray => defs.find((m) => m[1] === id)!;
    const param = g.nodes.find((n) => n.name === 'fc1.weight')!;
    expect(def(param.id)[2]).toBe('[(');
    expect(def(param.id)[3]).toBe('fc1.weight<br>[3,2]');
    expect(def(g.nodes.find((n) => n.op === 'relu')!.id)[2]).toBe('(');
    expect(def(g.nodes.find((n) => n.kind === 'constant')!.id)[2]).toBe('>');
    expect(def(g.outputs[0]!)[2]).toBe('{{');
    for (const key of ['op', 'param', 'constant', 'output']) {
      expect(text).toMatch(new RegExp(`^  classDef ${key} fill:#[0-9a-f]{6},stroke:#[0-9a-f]{6}`, 'm'));
      expect(text).toMatch(new RegExp(`^  class (n\\d+,)*n\\d+ ${key}$`, 'm'));
    }
    // modules as subgraphs, each closed
    expect(lines.filter((l) => /^\s*subgraph m\d+\["fc[12]"\]$/.test(l))).toHaveLength(2);
    expect(lines.filter((l) => l.trim() === 'end')).toHaveLength(2);
  });

  it('escapes labels so that no character ends a label or turns into markup', () => {
    const t = named(tensor([1]), 'a "quoted" <b>name</b> | with #hash & `tick`\nline two');
    const text = toMermaid(t.exp(), { title: 'my "graph"' });
    const def = text.split('\n').find((l) => l.trim().startsWith('n0'))!;
    expect(def.trim()).toBe('n0[("a #quot;quoted#quot; #lt;b#gt;name#lt;/b#gt; #124; with #35;hash #amp; #96;tick#96;<br>line two<br>[1]")]');
    expect(text.startsWith('---\ntitle: "my \\"graph\\""\n---\nflowchart TB\n')).toBe(true);
  });

  it('puts shapes on the links on request and collapses modules with depth', () => {
    const text = toMermaid(mlp(), { depth: 1, shapes: 'edge', direction: 'LR' });
    expect(text).toContain('flowchart LR');
    expect(text).toMatch(/^ {2}n\d+ -->\|"\[2,3\]"\| n\d+$/m);
    expect(text).toMatch(/\[\["fc1<br>module, 4 ops"\]\]/);
    expect(text).not.toContain('subgraph');
    expect(text).toMatch(/classDef module /);
  });
});
