import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { backward, toMermaid, traceGraph, type Graph } from '@tapegrad/autograd';
import { toHtml } from '@tapegrad/graph';
import { randn, tensor, zeros, type Tensor } from 'tapegrad';
import { named } from './helpers.js';

// `pnpm test` installs Chromium first (test/setup/system-deps.mjs); without it these tests fail.
const CHROMIUM = '/usr/bin/chromium';

const root = resolve(__dirname, '../..');
const artifacts = resolve(root, 'test-artifacts');

/** A 4-16-3 MLP with a mean squared error, after one backward pass. */
function mlp(): { loss: Tensor; graph: Graph } {
  const x = randn([8, 4], { seed: 1 });
  const target = randn([8, 3], { seed: 2 });
  const w1 = named(randn([16, 4], { seed: 3 }).mul(0.5), 'fc1.weight');
  const b1 = named(zeros([16]), 'fc1.bias');
  const w2 = named(randn([3, 16], { seed: 4 }).mul(0.25), 'fc2.weight');
  const b2 = named(zeros([3]), 'fc2.bias');
  const out = x.matmul(w1.T).add(b1).relu().matmul(w2.T).add(b2);
  const loss = out.sub(target).square().mean();
  backward(loss);
  return { loss, graph: traceGraph(loss) };
}

describe('HTML viewer in headless Chromium', () => {
  let browser: Browser;
  let page: Page;
  let graph: Graph;
  let loss: Tensor;
  const requests: string[] = [];
  const errors: string[] = [];

  beforeAll(async () => {
    const { chromium } = await import('playwright-core');
    ({ graph, loss } = mlp());
    mkdirSync(artifacts, { recursive: true });
    const file = resolve(artifacts, 'graph-viewer.html');
    writeFileSync(file, await toHtml(graph, { title: 'MLP 4-16-3' }));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    page.on('request', (r) => requests.push(r.url()));
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.goto(pathToFileURL(file).href);
    await page.waitForSelector('body[data-ready="true"]');
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  const field = (name: string): Promise<string | null> => page.textContent(`#details [data-field="${name}"]`);
  const viewBox = (): Promise<string | null> => page.getAttribute('#canvas svg', 'viewBox');

  it('shows the whole graph: one SVG node per graph node, no errors, no network', async () => {
    expect(await page.title()).toBe('MLP 4-16-3');
    expect(await page.locator('#canvas g.node[data-id]').count()).toBe(graph.nodes.length);
    expect(await page.textContent('header .stats')).toBe(`${graph.nodes.length} nodes, ${graph.edges.length} edges`);
    expect(errors).toEqual([]);
    expect(requests.filter((u) => !u.startsWith('file://'))).toEqual([]);
    expect(requests).toHaveLength(1);
  });

  it('shows a parameter\'s shape, dtype and gradient statistics in the panel when clicked', async () => {
    const w1 = graph.nodes.find((n) => n.name === 'fc1.weight')!;
    await page.click(`#canvas g.node[data-id="${w1.id}"]`);
    expect(await page.textContent('#details h2')).toBe('fc1.weight');
    expect(await field('shape')).toBe('[16,4]');
    expect(await field('dtype')).toBe('float32');
    expect(await field('module')).toBe('fc1');
    expect(await field('grad-shape')).toBe('[16,4]');
    expect(Number(await field('grad-norm'))).toBeCloseTo(w1.grad!.norm, 4);
    expect(await field('grad-nan')).toBe('0');
    expect(await page.getAttribute(`#canvas g.node[data-id="${w1.id}"]`, 'class')).toContain('selected');
  });

  it('shows an op\'s attributes and its inputs by argument position, and follows links', async () => {
    const sum = graph.nodes.find((n) => n.op === 'sum')!;
    await page.click(`#canvas g.node[data-id="${sum.id}"]`);
    expect(await field('op')).toBe('sum');
    expect(await field('shape')).toBe('[]');
    expect(await field('attr-axes')).toBe('[0,1]');
    expect(await field('attr-keepdims')).toBe('false');
    const firstMatmul = graph.nodes.find((n) => n.op === 'matmul')!;
    await page.click(`#canvas g.node[data-id="${firstMatmul.id}"]`);
    expect(await field('shape')).toBe('[8,16]');
    const inputs = await page.locator('#details ul button.link').allTextContents();
    expect(inputs[0]).toMatch(/^arg 0: constant \[8,4\]/);
    expect(inputs[1]).toMatch(/^arg 1: permute \[4,16\]/);
    await page.locator('#details ul button.link', { hasText: 'arg 1: permute' }).click();
    expect(await field('op')).toBe('permute');
    expect(await field('attr-dims')).toBe('[1,0]');
  });

  it('finds nodes by name with the search box', async () => {
    await page.fill('#search', 'fc2');
    const expected = graph.nodes.filter((n) => `${n.name ?? ''} ${n.module ?? ''}`.includes('fc2'));
    expect(await page.textContent('#search-count')).toBe(`${expected.length} matches`);
    expect(await page.locator('#canvas g.node.match').count()).toBe(expected.length);
    await page.press('#search', 'Enter');
    expect(await page.textContent('#details h2')).toBe(graph.nodes.find((n) => n === expected[0])!.name ?? expected[0]!.op);
    await page.fill('#search', '');
    expect(await page.locator('#canvas g.node.match').count()).toBe(0);
  });

  it('pans by dragging and zooms with the wheel and the buttons', async () => {
    await page.click('#zoom-fit');
    const fit = await viewBox();
    const box = (await page.locator('#canvas').boundingBox())!;
    await page.mouse.move(box.x + 40, box.y + 40);
    await page.mouse.wheel(0, -400);
    const zoomed = (await viewBox())!.split(' ').map(Number);
    expect(zoomed[2]).toBeLessThan(fit!.split(' ').map(Number)[2]!);
    await page.mouse.move(box.x + 300, box.y + 300);
    await page.mouse.down();
    await page.mouse.move(box.x + 200, box.y + 250, { steps: 5 });
    await page.mouse.up();
    const panned = (await viewBox())!.split(' ').map(Number);
    expect(panned[0]).toBeGreaterThan(zoomed[0]!);
    expect(panned[2]).toBe(zoomed[2]);
    await page.click('#zoom-fit');
    expect(await viewBox()).toBe(fit);
  });

  it('saves a screenshot with a node selected', async () => {
    const add = graph.nodes.filter((n) => n.op === 'add')[1]!;
    await page.click(`#canvas g.node[data-id="${add.id}"]`);
    expect(await field('shape')).toBe('[8,3]');
    const shot = resolve(artifacts, 'graph-viewer.png');
    await page.screenshot({ path: shot });
    expect(existsSync(shot)).toBe(true);
    expect(errors).toEqual([]);
  });

  it('renders the Mermaid text with Mermaid itself, one drawn node per graph node', async () => {
    const require = createRequire(resolve(root, 'packages/graph/package.json'));
    const mermaidJs = resolve(require.resolve('mermaid'), '../mermaid.min.js');
    const tab = await browser.newPage();
    await tab.setContent('<!DOCTYPE html><html><body><div id="out"></div></body></html>');
    await tab.addScriptTag({ path: mermaidJs });
    const evil = named(tensor([1, 2]), 'w "x" <y> | #z &amp;');
    const cases: [string, string][] = [
      [toMermaid(graph), 'matmul[8,16]'],
      [toMermaid(loss, { depth: 1, shapes: 'edge' }), 'fc1module, 4 ops'],
      [toMermaid(evil.mul(evil).sum()), 'w "x" <y> | #z &amp;[2]'],
    ];
    for (const [text, label] of cases) {
      const result = await tab.evaluate(async (src) => {
        const m = (globalThis as unknown as { mermaid: { initialize(c: object): void; render(id: string, t: string): Promise<{ svg: string }> } }).mermaid;
        m.initialize({ startOnLoad: false, securityLevel: 'strict' });
        try {
          const { svg } = await m.render(`g${Math.random().toString(36).slice(2)}`, src);
          const out = document.getElementById('out')!;
          out.innerHTML = svg;
          const labels = Array.from(out.querySelectorAll('g.node .nodeLabel'), (e) => e.textContent ?? '');
          return { nodes: out.querySelectorAll('g.node').length, labels };
        } catch (e) {
          return { error: String(e) };
        }
      }, text);
      expect(result).not.toHaveProperty('error');
      const defs = text.split('\n').filter((l) => /^\s*n\d+[([>{]/.test(l)).length;
      expect((result as { nodes: number }).nodes).toBe(defs);
      expect((result as { labels: string[] }).labels).toContain(label);
    }
    await tab.close();
  });
});
