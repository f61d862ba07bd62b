import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { listExports, publicEntries } from './api-exports.js';

// Every public export carries a doc comment, which is what the API reference (`pnpm docs:api`) shows.
const entries = publicEntries();
const exports = listExports(entries);
const readJson = (path: string): Record<string, unknown> => JSON.parse(readFileSync(new URL(`../${path}`, import.meta.url), 'utf8')) as Record<string, unknown>;

describe('API reference', () => {
  it('lists the published packages and follows their re-exports', () => {
    expect(entries.map((e) => e.specifier).sort()).toEqual(expect.arrayContaining([
      '@tapegrad/autograd', '@tapegrad/backend-wasm', '@tapegrad/graph', '@tapegrad/nn', '@tapegrad/tensor', 'tapegrad',
    ]));
    expect(entries.map((e) => e.specifier)).not.toContain('@tapegrad/tensor/internal');
    const names = (pkg: string): string[] => exports.filter((e) => e.pkg === pkg).map((e) => e.name);
    // `export *` from op family files, `export { variance as var }`, `export * as linalg`, and a
    // package re-exporting another (the umbrella, graph re-exporting autograd's tracing).
    expect(names('@tapegrad/tensor')).toEqual(expect.arrayContaining(['split', 'gather', 'where', 'slice', 'var', 'linalg', 'linalg.solve', 'linalg.svd', 'Tensor', 'DType']));
    expect(names('@tapegrad/autograd')).toEqual(expect.arrayContaining(['gradients', 'grad', 'backward', 'traceGraph']));
    expect(names('@tapegrad/graph')).toEqual(expect.arrayContaining(['renderSvg', 'traceGraph']));
    expect(names('tapegrad')).toEqual(expect.arrayContaining(['split', 'linalg.solve', 'gradients', 'Linear', 'Adam']));
    expect(names('@tapegrad/tensor')).not.toContain('runKernel');
    // The doc comes from the declaration, through any number of re-exports.
    const doc = (pkg: string, name: string): string | undefined => exports.find((e) => e.pkg === pkg && e.name === name)?.doc;
    expect(doc('tapegrad', 'split')).toBe(doc('@tapegrad/tensor', 'split'));
    expect(doc('tapegrad', 'var')).toMatch(/^Variance/);
    expect(doc('@tapegrad/tensor', 'linalg')).toMatch(/torch\.linalg/);
  });

  it('every public export has a doc comment', () => {
    const undocumented = exports.filter((e) => e.doc === '').map((e) => `${e.pkg}: ${e.name}`);
    expect(undocumented, `exports without a /** doc comment */ (write one above the declaration):\n${undocumented.join('\n')}`).toEqual([]);
  });

  it('typedoc documents exactly the published entry points, resolving each package to its sources', () => {
    const sources = entries.map((e) => e.source).sort();
    // The config lives in docs/api-config/, so its paths start with ../../ (the repository root).
    const fromRoot = (p: string): string => p.replace(/^\.\.\/\.\.\//, '');
    expect((readJson('docs/api-config/typedoc.json').entryPoints as string[]).map(fromRoot).sort()).toEqual(sources);
    const tsconfig = readJson('docs/api-config/tsconfig.typedoc.json') as { files: string[]; compilerOptions: { paths: Record<string, string[]> } };
    expect(tsconfig.files.map(fromRoot).sort()).toEqual(sources);
    // TypeScript's `paths`: the exact key, else the longest pattern whose `*` matches.
    const resolve = (specifier: string): string | undefined => {
      const { paths } = tsconfig.compilerOptions;
      if (paths[specifier]) return paths[specifier][0];
      const hits = Object.keys(paths).filter((k) => k.includes('*') && specifier.startsWith(k.split('*')[0]!) && specifier.endsWith(k.split('*')[1]!));
      const key = hits.sort((a, b) => b.length - a.length)[0];
      return key && paths[key]![0]!.replace('*', specifier.slice(key.indexOf('*'), specifier.length - (key.length - key.indexOf('*') - 1)));
    };
    for (const e of entries) expect(resolve(e.specifier), e.specifier).toBe(e.source);
  });
});
