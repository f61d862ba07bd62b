import { describe, expect, it } from 'vitest';
import { helpText, parseOptions, withDefaults, type OptionSpecs } from '../../packages/examples/src/util/cli.js';
import { Progress } from '../../packages/examples/src/util/progress.js';
import { decisionBoundarySvg, lossCurveSvg, makeGrid, niceTicks } from '../../packages/examples/src/util/svg.js';

function fakeStream(isTTY: boolean): { write(s: string): boolean; isTTY: boolean; text: () => string } {
  const parts: string[] = [];
  return { write: (s) => { parts.push(s); return true; }, isTTY, text: () => parts.join('') };
}

/** A clock that advances 100 ms per reading. */
function fakeClock(): () => number {
  let t = 0;
  return () => (t += 100);
}

describe('Progress', () => {
  it('without a TTY prints plain lines with step, windowed loss and throughput', () => {
    const s = fakeStream(false);
    const bar = new Progress({ total: 10, label: 'epoch 1/2', stream: s, logEvery: 5, now: fakeClock() });
    for (let i = 0; i < 10; i++) bar.tick(32, i < 5 ? 1 : 3);
    const state = bar.done();
    const lines = s.text().trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^epoch 1\/2 step 5\/10 loss 1\.0000 [\d.,]+ samples\/s/);
    expect(lines[1]).toMatch(/^epoch 1\/2 step 10\/10 loss 3\.0000 /);
    expect(s.text()).not.toContain('\r');
    expect(state.loss).toBe(2);
    expect(state.step).toBe(10);
    expect(state.throughput).toBeGreaterThan(0);
  });

  it('in a TTY redraws one line in place and ends with a newline', () => {
    const s = fakeStream(true);
    const bar = new Progress({ total: 4, stream: s, now: fakeClock() });
    for (let i = 0; i < 4; i++) bar.tick(10, 0.5);
    bar.done();
    const text = s.text();
    expect(text.split('\r\x1b[K').length).toBeGreaterThan(3);
    expect(text).toMatch(/\[=+\] 4\/4 loss 0\.5000 [\d.]+ samples\/s/);
    expect(text.endsWith('\n')).toBe(true);
    expect(text.split('\n')).toHaveLength(2);
  });

  it('prints its own lines above the bar and can stay silent without a TTY', () => {
    const tty = fakeStream(true);
    const bar = new Progress({ total: 2, stream: tty, now: fakeClock() });
    bar.tick(1, 1);
    bar.print('cost after iteration 1: 0.5');
    expect(tty.text()).toContain('\r\x1b[Kcost after iteration 1: 0.5\n');
    const plain = fakeStream(false);
    const quiet = new Progress({ total: 2, stream: plain, silentWithoutTty: true });
    quiet.tick(1, 1);
    quiet.tick(1, 1);
    quiet.done();
    expect(plain.text()).toBe('');
  });

  it('refuses a total that is not a positive integer', () => {
    expect(() => new Progress({ total: 0 })).toThrow(/total/);
  });
});

describe('SVG plots', () => {
  it('niceTicks covers the range with round steps', () => {
    expect(niceTicks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(3, 97, 4)).toEqual([20, 40, 60, 80]);
    expect(niceTicks(0.021, 0.69, 6)).toEqual([0.1, 0.2, 0.3, 0.4, 0.5, 0.6]);
  });

  it('a loss curve is an SVG document with one line per series and a legend', () => {
    const svg = lossCurveSvg([{ name: 'train', y: [1, 0.5, 0.25, 0.2] }, { name: 'test', y: [1.1, 0.6], x: [1, 4] }], { title: 'a & b' });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg.match(/<polyline/g)).toHaveLength(2);
    expect(svg).toContain('>train<');
    expect(svg).toContain('a &amp; b');
  });

  it('thins a long series to keep the file small', () => {
    const y = Array.from({ length: 20_000 }, (_, i) => 1 / (1 + i));
    const svg = lossCurveSvg([{ name: 'loss', y }]);
    const points = /points="([^"]*)"/.exec(svg)![1]!.split(' ');
    expect(points.length).toBeLessThanOrEqual(801);
    expect(svg.length).toBeLessThan(40_000);
  });

  it('a decision boundary colours the grid, draws the boundary and every point', () => {
    const grid = makeGrid([-1, 1], [-1, 1], 20, 20);
    const probs = Array.from(grid.xs, (x) => (x > 0 ? 0.9 : 0.1));
    const points = { x: [-0.5, 0.5, 0.2], y: [0, 0, 0.3], label: [0, 1, 1] };
    const svg = decisionBoundarySvg(grid, probs, points);
    expect(svg.match(/<circle/g)).toHaveLength(3);
    // The boundary is the vertical line x = 0: 20 unit segments between columns 9 and 10.
    expect(/<path d="([^"]*)"/.exec(svg)![1]!.match(/M/g)).toHaveLength(20);
    expect(() => decisionBoundarySvg(grid, probs.slice(1), points)).toThrow(/400 probabilities/);
  });
});

describe('command-line options', () => {
  const specs = {
    lr: { kind: 'number', default: 0.1, min: 0, help: 'learning rate' },
    layers: { kind: 'numbers', default: [2, 3, 1], help: 'sizes' },
    acts: { kind: 'strings', default: ['tanh'], help: 'activations' },
    printEvery: { kind: 'number', default: 10, integer: true, help: 'every' },
    cosine: { kind: 'boolean', default: true, help: 'no cosine' },
    graph: { kind: 'optional-string', help: 'graph' },
  } satisfies OptionSpecs;

  it('parses kebab-case flags into typed values over the defaults', () => {
    const o = parseOptions('x.ts', 'd', specs, ['--lr', '0.5', '--layers', '784,20,1', '--print-every', '5', '--no-cosine', '--graph', 'g.html'])!;
    expect(o).toEqual({ lr: 0.5, layers: [784, 20, 1], acts: ['tanh'], printEvery: 5, cosine: false, graph: 'g.html' });
    expect(withDefaults(specs, { lr: 2 })).toEqual({ lr: 2, layers: [2, 3, 1], acts: ['tanh'], printEvery: 10, cosine: true });
  });

  it('names the flag of a bad value or an unknown option', () => {
    expect(() => parseOptions('x.ts', 'd', specs, ['--lr', 'fast'])).toThrow(/--lr: expected a number, got "fast"/);
    expect(() => parseOptions('x.ts', 'd', specs, ['--lr=-1'])).toThrow(/--lr: expected a value >= 0/);
    expect(() => parseOptions('x.ts', 'd', specs, ['--print-every', '2.5'])).toThrow(/--print-every: expected an integer/);
    expect(() => parseOptions('x.ts', 'd', specs, ['--learning-rate', '1'])).toThrow(/learning-rate/);
  });

  it('documents every option with its default', () => {
    const text = helpText('x.ts', 'Trains a thing.', specs);
    expect(text).toContain('usage: npx tsx packages/examples/src/x.ts [options]');
    expect(text).toMatch(/--layers N,N,\.\.\. +sizes \(default: 2,3,1\)/);
    expect(text).toContain('--no-cosine');
    expect(text).toContain('--help');
  });
});
