/**
 * Writes the op table's PyTorch cases to test/fixtures/op-cases.json: for every row, concrete
 * inputs drawn (from a seed derived from the row's name) by the row's own arbitraries, the row's
 * PyTorch expression, any extra tensors that expression takes, and a fixed random cotangent of
 * the output's shape. test/torch/make_op_fixtures.py then evaluates these in PyTorch.
 *
 * Run with `pnpm fixtures` (tsx). The workspace packages are loaded from their sources, not from
 * dist, so the cases never come from a stale build.
 */
import { writeFileSync } from 'node:fs';
import { register } from 'node:module';
import { fileURLToPath } from 'node:url';

const source = (pkg: string): string => new URL(`../../packages/${pkg}/src/index.ts`, import.meta.url).href;
const aliases: Record<string, string> = {
  '@tapegrad/tensor': source('tensor'),
  '@tapegrad/tensor/internal': new URL('../../packages/tensor/src/internal.ts', import.meta.url).href,
  '@tapegrad/autograd': source('autograd'),
};
const hook = `const aliases = ${JSON.stringify(aliases)};
export async function resolve(specifier, context, next) {
  return next(aliases[specifier] ?? specifier, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hook)}`);

const fc = (await import('fast-check')).default;
const { Generator, randn } = await import('@tapegrad/tensor');
if ((await import('@tapegrad/tensor')) !== (await import(aliases['@tapegrad/tensor']!))) throw new Error('export-cases: @tapegrad/tensor did not resolve to its sources');
const { caseArb } = await import('../arbitraries.js');
const { OP_TABLE, inputTensors, rowId, single } = await import('../op-table.js');

/** FNV-1a: a stable 31-bit seed per row name, so adding a row leaves the other rows' cases alone. */
function seedOf(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  return (h >>> 0) & 0x7fffffff;
}

interface Arr { shape: number[]; data: number[] }
const asArr = (t: { shape: readonly number[]; data(): ArrayLike<number> }): Arr => ({ shape: t.shape.slice(), data: Array.from(t.data()) });

const cases = OP_TABLE.map((row) => {
  const id = rowId(row);
  const seed = seedOf(id);
  // Of a few random cases, the one with the most elements: broadcasting and reductions are
  // exercised on real shapes rather than on scalars.
  const samples = fc.sample(caseArb(row), { seed, numRuns: 12 });
  const elements = (k: number): number => samples[k]!.values.reduce((n, v) => n + v.length, 0);
  const c = samples[samples.map((_, k) => k).reduce((best, k) => (elements(k) > elements(best) ? k : best), 0)];
  const inputs = inputTensors(row, c!.shapes, c!.values);
  const out = single(row.call(...inputs));
  const cotangent = randn(out.shape, { generator: new Generator(seed), dtype: 'float64' });
  return {
    id,
    torch: row.torch,
    inputs: row.inputs.map((s, i) => ({ kind: s.kind, shape: c!.shapes[i]!, data: c!.values[i]! })),
    aux: (row.torchAux?.(inputs) ?? []).map(asArr),
    cotangent: asArr(cotangent),
  };
});

const path = fileURLToPath(new URL('../fixtures/op-cases.json', import.meta.url));
// One case per line: small diffs when a row changes.
writeFileSync(path, `{"version":1,"cases":[\n${cases.map((c) => JSON.stringify(c)).join(',\n')}\n]}\n`);
console.log(`wrote ${cases.length} cases to ${path}`);
