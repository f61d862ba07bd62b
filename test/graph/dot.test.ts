import { describe, expect, it } from 'vitest';
import { backward, toDot, traceGraph, type Graph } from '@tapegrad/autograd';
import { renderSvg } from '@tapegrad/graph';
import { tensor, type Tensor } from 'tapegrad';
import { named } from './helpers.js';

/** Logistic regression on 3 samples: sigmoid(x w + b), binary cross-entropy from raw ops. */
function logistic(): { loss: Tensor; graph: Graph } {
  const x = tensor([[1, 2], [0, -1], [3, 1]]);
  const y = tensor([[1], [0], [1]]);
  const w = named(tensor([[0.5], [-0.25]]), 'w');
  const b = named(tensor([0.1]), 'b');
  const p = x.matmul(w).add(b).sigmoid();
  const loss = y.mul(p.log()).add(y.neg().add(1).mul(p.neg().add(1).log())).mean().neg();
  return { loss, graph: traceGraph(loss) };
}

/** The <g class="node"> groups of a Graphviz SVG: their title (the DOT node id) and their text lines. */
function svgNodes(svg: string): Map<string, string[]> {
  const nodes = new Map<string, string[]>();
  for (const m of svg.matchAll(/<g id="[^"]*" class="node">\s*<title>([^<]*)<\/title>([\s\S]*?)<\/g>/g)) {
    const texts = [...m[2]!.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((t) => t[1]!);
    nodes.set(m[1]!, texts);
  }
  return nodes;
}

const unescapeXml = (s: string): string =>
  s.replace(/&#(\d+);/g, (_, d: string) => String.fromCharCode(Number(d))).replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');

describe('toDot', () => {
  it('renders with Graphviz (WebAssembly) to an SVG with one node per graph node and their labels', async () => {
    const { loss, graph } = logistic();
    backward(loss);
    const g = traceGraph(loss);
    const dot = toDot(g);
    expect(dot.startsWith('digraph tapegrad {')).toBe(true);
    const svg = await renderSvg(dot);
    expect(svg).toContain('<svg');
    const nodes = svgNodes(svg);
    expect(nodes.size).toBe(graph.nodes.length);
    for (const n of g.nodes) {
      const texts = nodes.get(n.id);
      expect(texts, n.id).toBeDefined();
      if (n.kind === 'op') expect(texts![0]).toBe(n.op);
      else if (n.kind === 'param') expect(texts![0]).toBe(n.name);
      expect(texts).toContain(`[${n.shape.join(',')}]`);
    }
    const ops = g.nodes.filter((n) => n.kind === 'op');
    expect([...nodes.values()].filter((t) => ops.some((o) => o.op === t[0])).length).toBe(ops.length);
    // gradient statistics on the parameters' labels
    expect(nodes.get(g.nodes.find((n) => n.name === 'w')!.id)!.some((t) => t.startsWith('grad norm '))).toBe(true);
    // one SVG edge per graph edge
    expect(svg.match(/class="edge"/g)!.length).toBe(g.edges.length);
  });

  it('draws each kind in its own shape and colour, outputs apart', () => {
    const { graph } = logistic();
    const dot = toDot(graph);
    const attrsOf = (id: string): string => new RegExp(`^\\s*${id} \\[(.*)\\];$`, 'm').exec(dot)![1]!;
    const style = (kind: string): string => {
      const n = graph.nodes.find((v) => v.kind === kind && !graph.outputs.includes(v.id))!;
      return /shape=(\w+)/.exec(attrsOf(n.id))![1]! + /fillcolor="([^"]+)"/.exec(attrsOf(n.id))![1]!;
    };
    const styles = ['op', 'param', 'constant'].map(style);
    expect(new Set(styles).size).toBe(3);
    expect(attrsOf(graph.outputs[0]!)).toMatch(/shape=doubleoctagon/);
    const leaf = toDot(traceGraph(tensor([1, 2], { requiresGrad: true }).exp()));
    expect(leaf).toMatch(/n0 \[label="input\\n\[2\]", shape=invhouse/);
    const collapsed = toDot(traceGraph(named(tensor([1]), 'm.w').mul(3), { depth: 1 }));
    expect(collapsed).toMatch(/label="m\\nmodule, 1 op\\n\[1\]", shape=doubleoctagon/);
  });

  it('puts shapes on edges on request, or nowhere', async () => {
    const { graph } = logistic();
    const onEdges = toDot(graph, { shapes: 'edge' });
    expect(onEdges.match(/ -> /g)!.length).toBe(graph.edges.length);
    expect(onEdges).toMatch(/n\d+ -> n\d+ \[label=" \[3,1\]"/);
    expect(onEdges).not.toMatch(/label="matmul\\n\[3,1\]"/);
    const svg = await renderSvg(onEdges);
    expect(svg).toContain('[3,1]');
    expect(toDot(graph, { shapes: false })).not.toMatch(/\[3,1\]/);
    expect(() => toDot(graph, { shapes: 'top' as never })).toThrow(/^toDot: expected shapes to be 'label', 'edge', 'none'/);
  });

  it('escapes names: quotes, backslashes, line breaks, Graphviz escapes and markup survive as text', async () => {
    const evil = 'say "hi"\\N \\l <b>&amp;</b>\nnext line {x}; -> y';
    const t = named(tensor([1, 2]), evil);
    const g = traceGraph(t.mul(t));
    const dot = toDot(g, { title: 'a "title" \\ here' });
    const svg = await renderSvg(dot);
    const texts = [...svgNodes(svg).values()].flat().map(unescapeXml);
    expect(texts).toContain('say "hi"\\N \\l <b>&amp;</b>');
    expect(texts).toContain('next line {x}; -> y');
    expect(unescapeXml(svg)).toContain('a "title" \\ here');
    expect(svgNodes(svg).size).toBe(2);
  });

  it('draws module clusters, and a legend on request', async () => {
    const w = named(tensor([[1, 2]]), 'enc.fc.weight');
    const y = tensor([[1, 1]]).matmul(w.T).tanh().sum();
    const dot = toDot(y, { legend: true, direction: 'LR' });
    expect(dot).toContain('rankdir=LR');
    expect(dot).toMatch(/subgraph cluster_0 \{\s*label="enc"/);
    expect(dot).toMatch(/subgraph cluster_1 \{\s*label="fc"/);
    expect(dot).toContain('subgraph cluster_legend');
    const svg = await renderSvg(dot);
    expect(svg.match(/class="cluster"/g)!.length).toBe(3);
    expect(toDot(y, { clusters: false })).not.toContain('subgraph');
  });

  it('rejects invalid DOT with the Graphviz message, and accepts a tensor directly', async () => {
    await expect(renderSvg('digraph { a -> }')).rejects.toThrow(/renderSvg: Graphviz could not render the graph: .*syntax error/);
    const svg = await renderSvg(logistic().loss, { hideConstants: true });
    expect(svgNodes(svg).size).toBe(traceGraph(logistic().loss, { hideConstants: true }).nodes.length);
  });
});
