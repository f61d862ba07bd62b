import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { getBackend } from 'tapegrad';
import { mlp, run as runMlp } from '../../packages/examples/src/mnist-mlp.js';
import { cnn, run as runCnn } from '../../packages/examples/src/mnist-cnn.js';

const outRoot = mkdtempSync(join(tmpdir(), 'tapegrad-mnist-'));
afterAll(() => rmSync(outRoot, { recursive: true, force: true }));

describe('mnist-mlp.ts: Linear + ReLU, crossEntropy, Adam, DataLoader', () => {
  it('beats 85% on held-out digits after one quick epoch on a subset', async () => {
    const lines: string[] = [];
    const r = await runMlp({ epochs: 1, trainSize: 3000, testSize: 1000, log: (l) => lines.push(l), out: join(outRoot, 'mlp') });
    expect(r.testAccuracy).toBeGreaterThan(0.85);
    expect(r.epochs).toHaveLength(1);
    expect(r.stepLosses).toHaveLength(Math.ceil(3000 / 64));
    // The loss falls from about log(10) for the untrained network.
    expect(r.stepLosses[0]!).toBeGreaterThan(2);
    const last = r.stepLosses.slice(-10).reduce((a, b) => a + b, 0) / 10;
    expect(last).toBeLessThan(0.7);
    expect(r.epochs[0]!.samplesPerSecond).toBeGreaterThan(0);
    expect(r.parameterCount).toBe(784 * 128 + 128 + 128 * 10 + 10);
    expect(lines.some((l) => /^epoch 1\/1: train loss [\d.]+, test loss [\d.]+, test accuracy [\d.]+%/.test(l))).toBe(true);
    expect(lines[lines.length - 1]).toMatch(/^test accuracy: \d+\.\d\d% on 1000 held-out digits/);
    expect(readFileSync(r.lossCurve!, 'utf8')).toContain('test accuracy');
  });

  it('trains on the WebAssembly SIMD kernels with --backend wasm, and puts the previous backend back', async () => {
    const lines: string[] = [];
    const before = getBackend();
    const r = await runMlp({ epochs: 1, trainSize: 3000, testSize: 1000, backend: 'wasm', log: (l) => lines.push(l), out: join(outRoot, 'mlp-wasm') });
    expect(r.testAccuracy).toBeGreaterThan(0.85);
    expect(lines.some((l) => l.includes('WebAssembly SIMD kernels'))).toBe(true);
    expect(getBackend()).toBe(before);
  });

  it('builds the layers it is asked for, with the same weights for the same seed', () => {
    const a = mlp([64, 32], 3), b = mlp([64, 32], 3);
    expect(a.namedParameters().map(([n, p]) => `${n}:${p.shape.join('x')}`)).toEqual(['0.weight:64x784', '0.bias:64', '2.weight:32x64', '2.bias:32', '4.weight:10x32', '4.bias:10']);
    expect(Array.from(a.parameters()[0]!.data())).toEqual(Array.from(b.parameters()[0]!.data()));
  });
});

describe('mnist-cnn.ts: Conv2d + MaxPool2d + Linear', () => {
  it('learns from a few mini-batches of images', async () => {
    const r = await runCnn({ epochs: 1, trainSize: 1600, testSize: 300, quiet: true });
    // Chance is 10%; a few batches already give a clear signal.
    expect(r.testAccuracy).toBeGreaterThan(0.5);
    expect(r.stepLosses).toHaveLength(Math.ceil(1600 / 64));
    expect(r.stepLosses[r.stepLosses.length - 1]!).toBeLessThan(r.stepLosses[0]!);
  });

  it('maps [N, 1, 28, 28] images to [N, 10] logits', () => {
    const model = cnn([4, 6], 5, 16, 0);
    const shapes = model.namedParameters().map(([n, p]) => `${n}:${p.shape.join('x')}`);
    expect(shapes).toEqual(['0.weight:4x1x5x5', '0.bias:4', '3.weight:6x4x5x5', '3.bias:6', '7.weight:16x294', '7.bias:16', '9.weight:10x16', '9.bias:10']);
    expect(() => cnn([4], 3, 16, 0)).toThrow(/two channel counts/);
    expect(() => cnn([4, 6], 4, 16, 0)).toThrow(/odd kernel/);
  });
});
