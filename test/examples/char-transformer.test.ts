import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CharTransformer, Vocab, loadText, run, sample } from '../../packages/examples/src/char-transformer.js';

const root = resolve(__dirname, '../..');
const out = mkdtempSync(join(tmpdir(), 'tapegrad-char-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('char-transformer.ts: a character-level transformer language model on text at hand', () => {
  it('reads the repository\'s own docs and sources at run time, and the TypeScript lib .d.ts files', () => {
    const repo = loadText({ corpus: 'repo', files: [], maxChars: 50_000 });
    expect(repo.text.length).toBe(50_000);
    expect(repo.files.some((f) => f.endsWith('README.md'))).toBe(true);
    const ts = loadText({ corpus: 'typescript', files: [], maxChars: 20_000 });
    expect(ts.files[0]).toMatch(/lib\..*\.d\.ts$/);
    expect(ts.text).toContain('interface');
  });

  it('trains briefly: the loss falls below a uniform guess, with a loss curve, a sample and a graph', async () => {
    const lines: string[] = [];
    const r = await run({
      steps: 12, batchSize: 8, blockSize: 16, dModel: 16, heads: 2, layers: 1, warmup: 3, lr: 1e-2, evalEvery: 6, maxChars: 20_000,
      sampleLength: 40, prompt: 'the ', out: join(out, 'run'), graph: join(out, 'graph.html'), log: (l) => lines.push(l),
    });
    expect(r.stepLosses).toHaveLength(12);
    expect(r.finalHeldOutLoss).toBeLessThan(Math.log(r.vocab.size));
    expect(r.evals.map((e) => e.step)).toEqual([6, 12]);
    expect(r.stepLosses[11]!).toBeLessThan(r.stepLosses[0]!);
    expect(r.tokensPerSecond).toBeGreaterThan(0);
    expect(r.sample.startsWith('the ')).toBe(true);
    expect(r.sample).toHaveLength(44);
    expect(readFileSync(r.lossCurve!, 'utf8')).toContain('<svg');
    expect(readFileSync(join(out, 'graph.html'), 'utf8')).toMatch(/^<!DOCTYPE html>/);
    expect(lines.some((l) => /^trained 12 steps in [\d.]+ s: [\d,]+ tokens\/s; final held-out loss [\d.]+/.test(l))).toBe(true);
    expect(lines.some((l) => l.startsWith('sample (temperature 0.8):'))).toBe(true);
    expect(lines.some((l) => /^graph: .*graph\.html \(\d+ nodes/.test(l))).toBe(true);
  });

  it('samples reproducibly from a seed, only characters of the vocabulary', () => {
    const v = new Vocab('abcabcabd');
    const m = new CharTransformer(v.size, 8, { dModel: 8, heads: 2, layers: 1, dropout: 0, seed: 1 });
    const a = sample(m, v, 'ab', 20, 1, 7);
    expect(a).toBe(sample(m, v, 'ab', 20, 1, 7));
    expect([...a].every((c) => 'abcd'.includes(c))).toBe(true);
  });

  it('--help lists its options', () => {
    const tsx = join(root, 'node_modules/tsx/dist/cli.mjs');
    const help = spawnSync(process.execPath, [tsx, 'packages/examples/src/char-transformer.ts', '--help'], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('usage: npx tsx packages/examples/src/char-transformer.ts [options]');
    for (const flag of ['--corpus', '--files', '--steps', '--block-size', '--d-model', '--heads', '--graph', '--out', '--backend']) expect(help.stdout).toContain(flag);
  });
});
