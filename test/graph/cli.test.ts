import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, USAGE } from '@tapegrad/graph';
import type { Graph } from '@tapegrad/autograd';

const fixtures = resolve(__dirname, 'fixtures');
const out = mkdtempSync(join(tmpdir(), 'tapegrad-graph-cli-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

async function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const lines = { stdout: [] as string[], stderr: [] as string[] };
  const code = await runCli(args, { cwd: fixtures, out: (l) => lines.stdout.push(l), err: (l) => lines.stderr.push(l) });
  return { code, stdout: lines.stdout.join('\n'), stderr: lines.stderr.join('\n') };
}

describe('tapegrad-graph CLI', () => {
  it('runs a TypeScript script and writes a self-contained HTML viewer of its default export', async () => {
    const file = join(out, 'graph.html');
    const r = await run('two-layer.ts', '--out', file, '--backward', '--title', 'two layers');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^tapegrad-graph: wrote .*graph\.html \(html, \d+ nodes, \d+ edges\)$/);
    const html = readFileSync(file, 'utf8');
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('<title>two layers</title>');
    expect(html).toContain('<svg');
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=/);
    // --backward ran, so the parameters carry gradient statistics
    const data = JSON.parse(/<script type="application\/json" id="tapegrad-graph">(.*?)<\/script>/s.exec(html)![1]!) as Graph;
    expect(data.nodes.find((n) => n.name === 'fc1.weight')!.grad!.shape).toEqual([3, 2]);
  });

  it('picks the format from the extension or --format, and passes trace options', async () => {
    expect((await run('two-layer.ts', '-o', join(out, 'g.json'), '--depth', '1')).code).toBe(0);
    const g = JSON.parse(readFileSync(join(out, 'g.json'), 'utf8')) as Graph;
    expect(g.nodes.filter((n) => n.op === 'module').map((n) => n.name)).toEqual(['fc1', 'fc2']);
    expect((await run('two-layer.ts', '-o', join(out, 'g.dot'), '--shapes', 'edge', '--direction', 'LR')).code).toBe(0);
    expect(readFileSync(join(out, 'g.dot'), 'utf8')).toMatch(/^digraph tapegrad \{\n {2}graph \[rankdir=LR/);
    expect((await run('two-layer.ts', '-o', join(out, 'g.txt'), '-f', 'mermaid', '--hide-constants')).code).toBe(0);
    expect(readFileSync(join(out, 'g.txt'), 'utf8')).toMatch(/^flowchart TB\n/);
    expect((await run('two-layer.ts', '-o', join(out, 'g.svg'), '--export', 'graph')).code).toBe(0);
    expect(readFileSync(join(out, 'g.svg'), 'utf8')).toContain('<svg');
  });

  it('--profile times each op of a function export, forward and (with --backward) backward', async () => {
    const r = await run('two-layer.ts', '-o', join(out, 'timed.json'), '--profile', '--backward');
    expect(r.code).toBe(0);
    const g = JSON.parse(readFileSync(join(out, 'timed.json'), 'utf8')) as Graph;
    // Every op node is timed; these ops are tiny, so only the total is sure to be above 0.
    const ops = g.nodes.filter((n) => n.kind === 'op');
    expect(ops.every((n) => n.time !== undefined && n.time.forwardMs >= 0 && n.time.backwardMs >= 0)).toBe(true);
    expect(ops.reduce((t, n) => t + n.time!.forwardMs + n.time!.backwardMs, 0)).toBeGreaterThan(0);
    const plain = JSON.parse(readFileSync(join(out, 'g.json'), 'utf8')) as Graph;
    expect(plain.nodes.some((n) => n.time)).toBe(false);
    const r2 = await run('two-layer.ts', '-o', join(out, 'x.json'), '--profile', '--export', 'graph');
    expect(r2.code).toBe(2);
    expect(r2.stderr).toContain('--profile needs export "graph" to be a function');
  });

  it('explains what went wrong', async () => {
    expect(await run('--help')).toMatchObject({ code: 0, stdout: USAGE });
    const none = await run();
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/expected one script, got 0/);
    expect((await run('two-layer.ts', '--depth', 'two')).stderr).toMatch(/--depth expects a positive integer, got "two"/);
    expect((await run('two-layer.ts', '--format', 'png')).stderr).toMatch(/--format must be one of html, svg, dot, mermaid, json/);
    const missing = await run('two-layer.ts', '--export', 'model', '-o', join(out, 'x.json'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no export named "model" \(it exports: graph, notATensor\)/);
    expect((await run('two-layer.ts', '--export', 'notATensor', '-o', join(out, 'x.json'))).stderr).toMatch(/export "notATensor" gave number; expected a Tensor/);
    expect((await run('two-layer.ts', '--export', 'graph', '--backward')).stderr).toMatch(/--backward needs the script to export tensors/);
    expect((await run('two-layer.ts', '--max-nodes', '3', '-o', join(out, 'x.json'))).stderr).toMatch(/more than maxNodes \(3\)/);
    expect((await run('no-such-script.ts')).code).toBe(1);
  });
});
