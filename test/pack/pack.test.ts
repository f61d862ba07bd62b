import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Each package is packed as it would be published, installed from its tarball into a project
// outside the workspace, then imported (with its types checked) on its own.
const root = resolve(__dirname, '../..');
const tsc = join(root, 'node_modules/typescript/bin/tsc');
const work = mkdtempSync(join(tmpdir(), 'tapegrad-pack-'));
const tarballs = new Map<string, string>();
const run = promisify(execFile);

// Every command runs asynchronously: a test that blocks its worker for a minute (packing, or the
// native build, on a busy 2-core machine) makes the test runner's own messages time out.
async function pnpm(args: string[], cwd: string): Promise<void> {
  const exec = process.env.npm_execpath;
  if (exec && /pnpm/.test(exec)) await run(process.execPath, [exec, ...args], { cwd, encoding: 'utf8' });
  else await run('npx', ['-y', 'pnpm@9', ...args], { cwd, encoding: 'utf8' });
}

async function consumer(name: string, deps: string[], code: string, opts: { online?: boolean; env?: Record<string, string> } = {}): Promise<string> {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  const pkgs = Object.fromEntries(deps.map((d) => [d, `file:${tarballs.get(d)}`]));
  // overrides make a packed package's dependency on a sibling resolve to the sibling's tarball.
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `consumer-${name}`, private: true, type: 'module', dependencies: pkgs, overrides: pkgs }));
  writeFileSync(join(dir, 'index.ts'), code);
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, outDir: 'out', skipLibCheck: false, types: [] },
    files: ['index.ts'],
  }));
  // Only tapegrad's own tarballs are needed, except where a package has a registry dependency.
  const net = opts.online ? [] : ['--offline'];
  const env = { ...process.env, TAPEGRAD_BACKEND: '', ...opts.env };
  await run('npm', ['install', ...net, '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, encoding: 'utf8', env });
  await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: dir, encoding: 'utf8' });
  return (await run(process.execPath, ['out/index.js'], { cwd: dir, encoding: 'utf8', env })).stdout.trim();
}

beforeAll(async () => {
  for (const pkg of ['tensor', 'autograd', 'nn', 'graph', 'backend-wasm', 'backend-native', 'tapegrad']) {
    const dir = join(root, 'packages', pkg);
    if (!existsSync(join(dir, 'dist/index.js'))) throw new Error(`packages/${pkg} is not built: run \`pnpm build\` first`);
    await pnpm(['pack', '--pack-destination', work], dir);
  }
  for (const f of readdirSync(work)) {
    const m = /^(tapegrad-(tensor|autograd|nn|graph|backend-wasm|backend-native)|tapegrad)-\d.*\.tgz$/.exec(f);
    if (m) tarballs.set(m[2] ? `@tapegrad/${m[2]}` : 'tapegrad', join(work, f));
  }
}, 120_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('packages install and import on their own', () => {
  it('@tapegrad/tensor alone, with types, and without side effects on import', async () => {
    const out = await consumer('tensor', ['@tapegrad/tensor'], `
      const before = Object.keys(globalThis).length;
      const T = await import('@tapegrad/tensor');
      const grew = Object.keys(globalThis).length - before;
      const t: import('@tapegrad/tensor').Tensor = T.matmul(T.tensor([[1, 2]]), T.tensor([[3], [4]]));
      console.log(JSON.stringify({ value: t.item(), grew }));
    `);
    expect(JSON.parse(out)).toEqual({ value: 11, grew: 0 });
  }, 120_000);

  it('@tapegrad/autograd with only its dependency @tapegrad/tensor', async () => {
    const out = await consumer('autograd', ['@tapegrad/tensor', '@tapegrad/autograd'], `
      import { tensor, mul, sum, type Tensor } from '@tapegrad/tensor';
      import { grad } from '@tapegrad/autograd';
      const g = grad((x: Tensor) => sum(mul(x, x)))(tensor([3])) as Tensor;
      console.log(g.item());
    `);
    expect(out).toBe('6');
  }, 120_000);

  it('@tapegrad/nn with tensor and autograd', async () => {
    const out = await consumer('nn', ['@tapegrad/tensor', '@tapegrad/autograd', '@tapegrad/nn'], `
      import { tensor } from '@tapegrad/tensor';
      import { backward } from '@tapegrad/autograd';
      import { Linear, mseLoss } from '@tapegrad/nn';
      const layer = new Linear(3, 2, { seed: 0 });
      const loss = mseLoss(layer.call(tensor([[1, 2, 3]])), tensor([[0, 0]]));
      backward(loss);
      console.log(JSON.stringify(layer.namedParameters().map(([n, p]) => [n, p.grad!.shape])));
    `);
    expect(JSON.parse(out)).toEqual([['weight', [2, 3]], ['bias', [2]]]);
  }, 120_000);

  it('@tapegrad/graph renders a traced graph to SVG with its WebAssembly Graphviz', async () => {
    const out = await consumer('graph', ['@tapegrad/tensor', '@tapegrad/autograd', '@tapegrad/graph'], `
      import { tensor, mul, sum } from '@tapegrad/tensor';
      import { traceGraph } from '@tapegrad/autograd';
      import { renderSvg } from '@tapegrad/graph';
      const x = tensor([1, 2], { requiresGrad: true });
      const svg = await renderSvg(traceGraph(sum(mul(x, x))));
      console.log(svg.includes('<svg') && svg.includes('mul') ? 'svg' : svg.slice(0, 200));
    `, { online: true });
    expect(out).toBe('svg');
  }, 180_000);

  it('@tapegrad/backend-wasm plugs in with setBackend and computes the same matmul', async () => {
    const out = await consumer('backend-wasm', ['@tapegrad/tensor', '@tapegrad/backend-wasm'], `
      import { getBackend, matmul, randn, setBackend } from '@tapegrad/tensor';
      import { wasmBackend, wasmSimdSupported } from '@tapegrad/backend-wasm';
      const a = randn([64, 96], { seed: 1 });
      const b = randn([96, 80], { seed: 2 });
      const reference = matmul(a, b).data();
      const previous = setBackend(wasmBackend());
      const fast = matmul(a, b).data();
      const name = getBackend().name;
      setBackend(previous);
      let worst = 0;
      for (let i = 0; i < fast.length; i++) worst = Math.max(worst, Math.abs(fast[i]! - reference[i]!));
      console.log(JSON.stringify({ simd: wasmSimdSupported(), name, close: worst < 1e-3 }));
    `);
    expect(JSON.parse(out)).toEqual({ simd: true, name: 'wasm', close: true });
  }, 120_000);

  const UMBRELLA = ['@tapegrad/tensor', '@tapegrad/autograd', '@tapegrad/nn', '@tapegrad/backend-native', '@tapegrad/backend-wasm', 'tapegrad'];

  it('the umbrella tapegrad re-exports everything, and installs and runs on the JavaScript kernels when the native build is skipped', async () => {
    const out = await consumer('umbrella', UMBRELLA, `
      import { tensor, tanh, sum, grad, getBackend, type Tensor } from 'tapegrad';
      const g = grad((x: Tensor) => sum(tanh(x)))(tensor([0], { dtype: 'float64' })) as Tensor;
      console.log(JSON.stringify({ value: g.item(), backend: getBackend().name }));
    `, { env: { TAPEGRAD_NATIVE_BUILD: '0' } });
    expect(JSON.parse(out)).toEqual({ value: 1, backend: 'js' });
  }, 120_000);

  it('@tapegrad/backend-native builds from its tarball at install (npm\'s node-gyp), and import \'tapegrad\' runs on it', async () => {
    const out = await consumer('native', UMBRELLA, `
      import { getBackend, jsBackend, matmul, randn, setBackend } from 'tapegrad';
      import { nativeInfo } from '@tapegrad/backend-native';
      const a = randn([64, 96], { seed: 1 }), b = randn([96, 80], { seed: 2 });
      const fast = matmul(a, b).data();
      const name = getBackend().name;
      setBackend(jsBackend);
      const reference = matmul(a, b).data();
      let worst = 0;
      for (let i = 0; i < fast.length; i++) worst = Math.max(worst, Math.abs(fast[i]! - reference[i]!));
      console.log(JSON.stringify({ name, blas: /OpenBLAS/.test(nativeInfo().blas), close: worst < 1e-3 }));
    `);
    expect(JSON.parse(out)).toEqual({ name: 'native', blas: true, close: true });
  }, 600_000);
});
