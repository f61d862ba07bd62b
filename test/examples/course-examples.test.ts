import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run as runLogistic } from '../../packages/examples/src/logistic-regression.js';
import { run as runShallow } from '../../packages/examples/src/shallow-network.js';
import { checkArchitecture, run as runDeep } from '../../packages/examples/src/deep-network.js';

const outRoot = mkdtempSync(join(tmpdir(), 'tapegrad-examples-'));
afterAll(() => rmSync(outRoot, { recursive: true, force: true }));

describe('logistic-regression.ts: is it a 0? on real digits', () => {
  it('gradient descent lowers the cost and beats the majority-class baseline on held-out digits', async () => {
    const lines: string[] = [];
    const r = await runLogistic({ iterations: 60, printEvery: 20, trainSize: 2000, testSize: 1000, log: (l) => lines.push(l), out: join(outRoot, 'lr') });
    expect(r.costs).toHaveLength(61);
    expect(r.costs[0]).toBeCloseTo(Math.log(2), 6);           // w = 0, b = 0: A = 0.5 everywhere
    for (let i = 1; i < r.costs.length; i++) expect(r.costs[i]!).toBeLessThan(r.costs[i - 1]!);
    expect(r.costs[60]!).toBeLessThan(0.15);
    expect(r.baselineAccuracy).toBeGreaterThan(0.85);          // about 90% of digits are not 0s
    expect(r.baselineAccuracy).toBeLessThan(0.95);
    expect(r.testAccuracy).toBeGreaterThan(0.96);
    expect(r.trainAccuracy).toBeGreaterThan(0.96);
    expect(r.w.shape).toEqual([784, 1]);
    // The course's output: the cost every printEvery iterations, then both accuracies and the plot.
    expect(lines.filter((l) => /^cost after iteration \d+: \d\.\d{6}$/.test(l)).map((l) => Number(/iteration (\d+)/.exec(l)![1]))).toEqual([0, 20, 40, 60]);
    expect(lines.some((l) => l.startsWith('train accuracy: '))).toBe(true);
    expect(lines.some((l) => l.startsWith('test accuracy: '))).toBe(true);
    expect(readFileSync(r.lossCurve!, 'utf8')).toMatch(/^<svg[\s\S]*<polyline[\s\S]*<\/svg>\n$/);
  });
});

describe('shallow-network.ts: one tanh hidden layer on the flower', () => {
  it('beats logistic regression, which cannot do much better than chance', async () => {
    const r = await runShallow({ iterations: 1500, quiet: true, out: join(outRoot, 'shallow') });
    expect(r.logistic.trainAccuracy).toBeLessThan(0.7);
    expect(r.logistic.testAccuracy).toBeLessThan(0.7);
    expect(r.network.trainAccuracy).toBeGreaterThan(0.85);
    expect(r.network.testAccuracy).toBeGreaterThan(0.85);
    expect(r.network.testAccuracy - r.logistic.testAccuracy).toBeGreaterThan(0.2);
    expect(r.network.costs[1500]!).toBeLessThan(0.5 * r.logistic.costs[1500]!);
    expect(r.params.W1.shape).toEqual([4, 2]);
    expect(r.params.b1.shape).toEqual([4, 1]);
    // Two decision-boundary plots and the cost curves.
    expect(r.files.map((f) => f.split(/[\\/]/).pop())).toEqual(['shallow-network-boundary.svg', 'logistic-regression-boundary.svg', 'cost.svg']);
    const boundary = readFileSync(r.files[0]!, 'utf8');
    expect(boundary.match(/<circle/g)).toHaveLength(400);
    expect(boundary).toContain('<path d="M');
  });

  it('is reproducible: the same seeds give the same costs', async () => {
    const a = await runShallow({ iterations: 20, quiet: true });
    const b = await runShallow({ iterations: 20, quiet: true });
    expect(a.network.costs).toEqual(b.network.costs);
    const c = await runShallow({ iterations: 20, quiet: true, initSeed: 9 });
    expect(c.network.costs).not.toEqual(a.network.costs);
  });
});

describe('deep-network.ts: an L-layer network with the hyperparameters as options', () => {
  it('lowers the cost with the course\'s architecture 784,20,7,5,1', async () => {
    const r = await runDeep({ iterations: 120, trainSize: 400, testSize: 400, printEvery: 40, lr: 0.05, quiet: true });
    expect(r.params.map((p) => p.shape)).toEqual([[20, 784], [20, 1], [7, 20], [7, 1], [5, 7], [5, 1], [1, 5], [1, 1]]);
    expect(r.parameterCount).toBe(20 * 784 + 20 + 7 * 20 + 7 + 5 * 7 + 5 + 5 + 1);
    expect(r.costs).toHaveLength(121);
    expect(r.costs[120]!).toBeLessThan(0.6 * r.costs[0]!);
    // Batch gradient descent with a small step: the cost goes down (almost) every iteration.
    const rises = r.costs.slice(1).filter((c, i) => c > r.costs[i]! + 1e-6).length;
    expect(rises).toBeLessThan(5);
  });

  it('takes other depths, widths and activations', async () => {
    const r = await runDeep({ layers: [784, 16, 1], activations: ['tanh', 'sigmoid'], init: 'he', iterations: 40, lr: 0.1, trainSize: 300, testSize: 300, quiet: true });
    expect(r.params).toHaveLength(4);
    expect(r.costs[40]!).toBeLessThan(r.costs[0]!);
    expect(r.testAccuracy).toBeGreaterThan(r.baselineAccuracy);
  });

  it('explains a bad architecture', () => {
    expect(() => checkArchitecture([784, 20, 1], ['relu'])).toThrow(/expected 2 activations/);
    expect(() => checkArchitecture([784, 20, 1], ['relu', 'softmax'])).toThrow(/unknown activation "softmax"/);
    expect(() => checkArchitecture([784, 20, 2], ['relu', 'sigmoid'])).toThrow(/one sigmoid unit/);
    expect(() => checkArchitecture([784], [])).toThrow(/at least two/);
  });
});

