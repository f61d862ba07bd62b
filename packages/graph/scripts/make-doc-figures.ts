/**
 * Regenerates the pictures of docs/guides/graphs.md from tapegrad itself:
 *
 *   npx -y pnpm@9 build && npx -y pnpm@9 --filter @tapegrad/graph figures
 *
 * Writes SVGs (and a Mermaid block, spliced into the guide between its figure markers) to
 * docs/guides/img/, and, when Chromium is installed at /usr/bin/chromium, a screenshot of the
 * HTML viewer. Every model is seeded, so running it twice gives the same files.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { backward, graphScope, toMermaid, traceGraph, type Graph } from '@tapegrad/autograd';
import { Linear, LSTM, Module, ReLU, Sequential, crossEntropy } from '@tapegrad/nn';
import { randint, randn, tensor, type Tensor } from '@tapegrad/tensor';
import { renderSvg, toHtml, type SvgOptions } from '../src/index.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const img = resolve(root, 'docs/guides/img');
const guide = resolve(root, 'docs/guides/graphs.md');

async function svg(name: string, what: Graph | Tensor, opts: SvgOptions = {}): Promise<void> {
  const file = resolve(img, `${name}.svg`);
  writeFileSync(file, await renderSvg(what, opts));
  console.log(`wrote ${file}`);
}

/** Replaces the text between <!-- figure:NAME --> and <!-- /figure:NAME --> in the guide. */
function splice(name: string, body: string): void {
  const text = readFileSync(guide, 'utf8');
  const start = `<!-- figure:${name} -->\n`;
  const end = `<!-- /figure:${name} -->`;
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  if (i < 0 || j < i) throw new Error(`${guide} has no ${start.trim()} ... ${end} markers`);
  writeFileSync(guide, text.slice(0, i + start.length) + body + text.slice(j));
  console.log(`updated the ${name} block of ${guide}`);
}

/** Logistic regression written with raw tensor ops: p = sigmoid(x w + b), binary cross-entropy. */
function logisticRegression(): Tensor {
  const x = randn([16, 2], { seed: 1 });
  const y = x.sum(1, true).gt(0).to('float32');
  const w = randn([2, 1], { seed: 2 }).mul(0.1).requiresGrad_();
  const b = tensor([0]).requiresGrad_();
  w.name = 'w';
  b.name = 'b';
  const p = x.matmul(w).add(b).sigmoid();
  const loss = y.mul(p.log()).add(y.neg().add(1).mul(p.neg().add(1).log())).mean().neg();
  backward(loss);
  return loss;
}

/** A 4-8-3 MLP from @tapegrad/nn with a cross-entropy loss. */
function mlp(): Tensor {
  const model = new Sequential(new Linear(4, 8, { seed: 3 }), new ReLU(), new Linear(8, 3, { seed: 4 }));
  const x = randn([5, 4], { seed: 5 });
  const labels = randint(0, 3, [5], { seed: 6 });
  const loss = crossEntropy(model.call(x), labels);
  backward(loss);
  return loss;
}

/** One step of an LSTM tagger: each module's forward runs in a graphScope named after its field. */
class Tagger extends Module {
  lstm = new LSTM(3, 4, { seed: 7 });
  head = new Linear(4, 2, { seed: 8 });
  override forward(x: Tensor): Tensor {
    const h = graphScope('lstm', () => this.lstm.forward(x));
    return graphScope('head', () => this.head.forward(h));
  }
}

function lstmStep(): Tensor {
  const model = new Tagger();
  const x = randn([2, 1, 3], { seed: 9 });
  const target = randn([2, 1, 2], { seed: 10 });
  const loss = model.call(x).sub(target).square().mean();
  backward(loss);
  return loss;
}

async function screenshot(html: string): Promise<void> {
  const chromiumPath = '/usr/bin/chromium';
  if (!existsSync(chromiumPath)) {
    console.log(`skipped the viewer screenshot: no Chromium at ${chromiumPath}`);
    return;
  }
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1100, height: 720 } });
    await page.setContent(html);
    await page.waitForSelector('body[data-ready="true"]');
    const id = await page.evaluate(() => {
      const g = JSON.parse(document.getElementById('tapegrad-graph')!.textContent!) as Graph;
      return g.nodes.find((n) => n.name === '0.weight')!.id;
    });
    const node = page.locator(`#canvas g.node[data-id="${id}"]`);
    await node.click();
    // zoom in around the selected weight, so that labels are readable
    const box = (await node.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.wheel(0, -450);
    await page.waitForTimeout(100);
    const file = resolve(img, 'viewer.png');
    await page.screenshot({ path: file });
    console.log(`wrote ${file}`);
  } finally {
    await browser.close();
  }
}

mkdirSync(img, { recursive: true });
const logistic = logisticRegression();
await svg('logistic-regression', logistic, { title: 'logistic regression' });
const mlpLoss = mlp();
await svg('mlp', mlpLoss, { title: 'MLP 4-8-3 with cross-entropy' });
await svg('mlp-collapsed', mlpLoss, { depth: 1, shapes: 'edge', title: 'the same MLP, depth 1', legend: true });
const lstm = lstmStep();
await svg('lstm-step', lstm, { depth: 1, title: 'LSTM step, collapsed by module (depth 1)' });
await svg('lstm-step-expanded', lstm, { hideConstants: true, title: 'the same LSTM step, expanded (constants hidden)' });
splice('mlp-mermaid', `\`\`\`mermaid\n${toMermaid(traceGraph(mlpLoss, { depth: 1, gradStats: false }), { shapes: 'edge' })}\`\`\`\n`);
await screenshot(await toHtml(mlpLoss, { title: 'MLP 4-8-3' }));
