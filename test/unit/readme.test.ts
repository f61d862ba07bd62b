import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(__dirname, '../..');

describe('the README example', () => {
  it('runs as written and prints the course formulas dJ/dw = (1/m) X (A - Y)^T, dJ/db = mean(A - Y)', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const code = /```ts\n([\s\S]*?)```/.exec(readme)![1]!;
    expect(code.split('\n').length).toBeLessThanOrEqual(17);
    // Run it from inside the repo so `tapegrad` resolves to the workspace package (built output).
    const dir = mkdtempSync(join(root, 'test', '.readme-'));
    try {
      writeFileSync(join(dir, 'example.ts'), code);
      const out = execFileSync(process.execPath, [join(root, 'node_modules/tsx/dist/cli.mjs'), join(dir, 'example.ts')], { cwd: root, encoding: 'utf8' });
      const printed = out.match(/-?\d+(\.\d+)?(e-?\d+)?/g)!.map(Number);
      // The same numbers by hand.
      const X = [[0.5, -1.2, 3.0], [1.0, 0.3, -0.7]];
      const Y = [1, 0, 1];
      const w = [0.1, 0.2];
      const A = Y.map((_, j) => 1 / (1 + Math.exp(-(w[0]! * X[0]![j]! + w[1]! * X[1]![j]!))));
      const m = Y.length;
      const dZ = A.map((a, j) => a - Y[j]!);
      const expectDw = X.map((row) => row.reduce((s, x, j) => s + x * dZ[j]!, 0) / m);
      const expectDb = dZ.reduce((s, v) => s + v, 0) / m;
      expect(printed).toHaveLength(3);
      expect(printed[0]).toBeCloseTo(expectDw[0]!, 12);
      expect(printed[1]).toBeCloseTo(expectDw[1]!, 12);
      expect(printed[2]).toBeCloseTo(expectDb, 12);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
