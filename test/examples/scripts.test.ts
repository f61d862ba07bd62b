/**
 * The examples as a user runs them: `pnpm tsx docs/examples/<file>.ts` from the repo root (which
 * resolves `tapegrad` to the built workspace package, so `pnpm build` must have run, as `pnpm test`
 * does), and the example scripts' command lines.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(__dirname, '../..');
const tsx = join(root, 'node_modules/tsx/dist/cli.mjs');
const run = (file: string, args: string[] = []) => spawnSync(process.execPath, [tsx, file, ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });

describe('docs/examples run from the repo root', () => {
  it('the built tapegrad package is there for them', () => {
    expect(existsSync(join(root, 'node_modules/tapegrad/package.json'))).toBe(true);
  });

  it('logistic-regression-by-hand.ts: autograd equals the course formulas and the cost falls', () => {
    const out = execFileSync(process.execPath, [tsx, 'docs/examples/logistic-regression-by-hand.ts'], { cwd: root, encoding: 'utf8' });
    const costs = [...out.matchAll(/J = ([\d.]+), \|autograd - by hand\| = ([\d.e+-]+)/g)];
    expect(costs).toHaveLength(4);
    for (const [, , gap] of costs) expect(Number(gap)).toBeLessThan(1e-12);
    expect(Number(costs[3]![1])).toBeLessThan(Number(costs[0]![1]));
    expect(Number(/training accuracy: ([\d.]+)%/.exec(out)![1])).toBeGreaterThan(90);
  });

  it('two-layer-backprop.ts: dW1, db1, dW2, db2 by hand equal backward()', () => {
    const out = execFileSync(process.execPath, [tsx, 'docs/examples/two-layer-backprop.ts'], { cwd: root, encoding: 'utf8' });
    const gaps = [...out.matchAll(/(dW1|db1|dW2|db2) +shape \[[\d,]+\] +max \|autograd - by hand\| = ([\d.e+-]+)/g)];
    expect(gaps.map((g) => g[1])).toEqual(['dW1', 'db1', 'dW2', 'db2']);
    for (const g of gaps) expect(Number(g[2])).toBeLessThan(1e-12);
  });

  it('activation-derivatives.ts: g\'(z) from grad equals the formulas', () => {
    const out = execFileSync(process.execPath, [tsx, 'docs/examples/activation-derivatives.ts'], { cwd: root, encoding: 'utf8' });
    const gaps = [...out.matchAll(/^(\S+(?: relu)?) +g'\(z\) = .* max \|autograd - formula\| = ([\d.e+-]+)$/gm)];
    expect(gaps.map((g) => g[1])).toEqual(['sigmoid', 'tanh', 'relu', 'leaky relu']);
    for (const g of gaps) expect(Number(g[2])).toBeLessThan(1e-12);
  });

  it('pinn.ts: a PINN learns sin(pi x) from u\'\' = -pi^2 sin(pi x) alone (backward through vmap(grad(grad(u))))', () => {
    const out = execFileSync(process.execPath, [tsx, 'docs/examples/pinn.ts'], { cwd: root, encoding: 'utf8' });
    const losses = [...out.matchAll(/^step +(\d+) +loss ([\d.e+-]+)$/gm)].map((m) => Number(m[2]));
    expect(losses).toHaveLength(5);
    expect(losses[4]!).toBeLessThan(losses[0]! * 1e-3);
    expect(Number(/max \|u\(x\) - sin\(pi x\)\| on \[-1, 1\]: ([\d.]+)/.exec(out)![1])).toBeLessThan(0.02);
  });

  it('per-sample-gradients.ts: vmap(grad(loss)) equals the loop over examples', () => {
    const out = execFileSync(process.execPath, [tsx, 'docs/examples/per-sample-gradients.ts'], { cwd: root, encoding: 'utf8' });
    const gaps = [...out.matchAll(/^parameter (\d): per-sample gradients (\[[\d,]+\]), max \|vmap - loop\| = ([\d.e+-]+)$/gm)];
    expect(gaps.map((g) => g[2])).toEqual(['[64,32,64]', '[64,64]', '[64,64,10]', '[64,10]']);
    for (const g of gaps) expect(Number(g[3])).toBeLessThan(1e-12);
    expect(out).toMatch(/^per-example gradient norms: min [\d.]+, max [\d.]+$/m);
  });
});

describe('the example scripts\' command lines', () => {
  it('--help lists the options and exits 0', () => {
    const r = run('packages/examples/src/deep-network.ts', ['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('usage: npx tsx packages/examples/src/deep-network.ts [options]');
    for (const flag of ['--layers', '--activations', '--lr', '--iterations', '--init', '--graph', '--out']) expect(r.stdout).toContain(flag);
  });

  it('a bad option is a one-line error and exit code 2, before any training', () => {
    const r = run('packages/examples/src/logistic-regression.ts', ['--iterations', 'many']);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n').filter((l) => !l.startsWith('npm warn'))).toEqual(['logistic-regression.ts: --iterations: expected a number, got "many"']);
  });

  it('runs, prints where its plots went and writes its cost graph with --graph', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tapegrad-cli-'));
    const r = run('packages/examples/src/shallow-network.ts', ['--iterations', '200', '--out', dir, '--graph', join(dir, 'graph.html')]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^iteration +200: network cost/m);
    expect(r.stdout).toMatch(/^graph: .*graph\.html \(\d+ nodes/m);
    expect(r.stdout).toMatch(/wrote .*shallow-network-boundary\.svg/);
    expect(existsSync(join(dir, 'shallow-network-boundary.svg'))).toBe(true);
    const html = readFileSync(join(dir, 'graph.html'), 'utf8');
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).toContain('<svg');
    expect(html).toContain('tanh');
    rmSync(dir, { recursive: true, force: true });
  });
});
