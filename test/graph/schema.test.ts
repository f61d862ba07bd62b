import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backward, profileOps, graphScope, traceGraph, type Graph } from '@tapegrad/autograd';
import { tensor, unfold2d, type Tensor } from 'tapegrad';
import { named } from './helpers.js';

const doc = readFileSync(resolve(__dirname, '../../docs/graph-schema.md'), 'utf8');

/** Field paths documented in docs/graph-schema.md: first cells of the tables headed | field | type | meaning |. */
const documented = new Set<string>();
let inFieldTable = false;
for (const line of doc.split('\n')) {
  if (!line.startsWith('|')) inFieldTable = false;
  else if (line.startsWith('| field |')) inFieldTable = true;
  else if (inFieldTable) {
    const m = /^\| `([^`]+)` \|/.exec(line);
    if (m) documented.add(m[1]!);
  }
}

/** Free-form maps whose keys are data, not schema: attrs (per op) and group.ops (per op name). */
const FREE_FORM = new Set(['nodes[].attrs', 'nodes[].group.ops']);

/** Every field path present in a document, e.g. nodes[].grad.norm. */
function fieldPaths(value: unknown, path = '', out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {
    for (const v of value) if (typeof v === 'object' && v !== null) fieldPaths(v, `${path}[]`, out);
  } else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      const p = path === '' ? k : `${path}.${k}`;
      out.add(p);
      if (!FREE_FORM.has(p)) fieldPaths(v, p, out);
    }
  }
  return out;
}

/** Graphs that between them use every feature of the format. */
function documents(): Graph[] {
  const x = tensor([[1, 2, 3], [4, 5, 6]]);
  const w = named(tensor([[0.1, 0.2, 0.3], [0.4, -0.5, 0.6]]), 'enc.fc.weight');
  const b = named(tensor([0.1, -0.2]), 'enc.fc.bias');
  const h = x.matmul(w.T).add(b).relu();
  // Windows padded with -Infinity: a non-finite attribute (padValue).
  const pooled = unfold2d(h.reshape([1, 1, 2, 2]), 2, { padding: 1, padValue: -Infinity }).max().reshape([1]);
  const [s, v] = graphScope('stats', () => {
    const m = h.mean(1);
    return [m.sum(), m] as const;
  });
  const poisoned = w.mul(tensor([[NaN, 1, 1], [1, 1, 1]])).sum(); // a NaN in the weight's gradient
  // Timed, so the document carries `time` too.
  const loss = profileOps(() => {
    const l = pooled.add(s).add(v.sum()).add(poisoned).sum();
    backward(l);
    return l;
  });
  return [
    traceGraph(loss),
    traceGraph(loss, { depth: 1 }),
    traceGraph([loss, h], { depth: Infinity, hideConstants: true }),
    traceGraph(loss, { gradStats: false }),
  ];
}

describe('docs/graph-schema.md', () => {
  const graphs = documents();
  const emitted = new Set<string>();
  for (const g of graphs) for (const p of fieldPaths(g)) emitted.add(p);

  it('documents every field the trace emits', () => {
    const missing = [...emitted].filter((p) => !documented.has(p));
    expect(missing).toEqual([]);
  });

  it('documents no field the trace never emits', () => {
    const extra = [...documented].filter((p) => !emitted.has(p));
    expect(extra).toEqual([]);
    expect(documented.size).toBeGreaterThan(25);
  });

  it('covers the optional parts in these documents (grad with NaN, groups, edge shapes, values, non-finite attrs)', () => {
    const [full, collapsed] = graphs;
    expect(full!.nodes.find((n) => n.name === 'enc.fc.weight')!.grad!.nanCount).toBe(1);
    expect(full!.nodes.find((n) => n.op === 'unfold2d')!.attrs!.padValue).toBe('-Infinity');
    expect(collapsed!.nodes.some((n) => n.group !== undefined)).toBe(true);
    expect(collapsed!.edges.some((e) => e.shape !== undefined)).toBe(true);
  });

  it('round-trips through JSON.stringify and JSON.parse unchanged, holding only finite numbers', () => {
    const bad: string[] = [];
    const check = (v: unknown, path: string): void => {
      if (typeof v === 'number' && !Number.isFinite(v)) bad.push(path);
      else if (v === null && !/grad\.(min|max)$/.test(path)) bad.push(path);
      else if (v === undefined) bad.push(path);
      else if (typeof v === 'object' && v !== null) for (const [k, x] of Object.entries(v)) check(x, `${path}.${k}`);
    };
    for (const g of graphs) {
      check(g, '');
      expect(JSON.parse(JSON.stringify(g))).toEqual(g);
    }
    expect(bad).toEqual([]);
  });
});
