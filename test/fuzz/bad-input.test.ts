/**
 * Property-based bad-input suite: every public function of @tapegrad/tensor (every Tensor method,
 * the linalg namespace), the public functions and classes of @tapegrad/nn, every export of
 * @tapegrad/autograd (transforms, modes, checkGrad, graph export) and of @tapegrad/graph (drawing,
 * the HTML page, the CLI), called with well-formed arguments and with junk
 * swapped in, must keep the contract of contract.ts.
 *
 * To cover more of the API, write `ApiEntry`s (contract.ts) in a table file next to these - the
 * argument arbitraries of args.ts and the reference of reference.ts are there to reuse - and add
 * one `describe(..., () => run(TABLE))` line below. A coverage test like the ones at the end keeps
 * a table complete.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import * as autogradApi from '@tapegrad/autograd';
import * as graphApi from '@tapegrad/graph';
import * as tensorApi from '@tapegrad/tensor';
import { Tensor } from '@tapegrad/tensor';
import { AUTOGRAD_API } from './autograd-api.js';
import { caseArb, checkCase, type ApiEntry } from './contract.js';
import { NOT_FUZZED, TENSOR_API } from './tensor-api.js';
import * as nnApi from '@tapegrad/nn';
import { NN_API, NN_NOT_FUZZED } from './nn-api.js';
import { GRAPH_API, GRAPH_NOT_FUZZED, removeCliOutput } from './graph-api.js';
import { TRANSFORMS_API } from './transforms-api.js';

// FUZZ_RUNS and FUZZ_SEED run a longer or different search locally; CI uses the defaults.
const RUNS = Number(process.env.FUZZ_RUNS ?? 60);
const SEED = Number(process.env.FUZZ_SEED ?? 20240611);
// Async entries draw with Graphviz or write files: fewer runs keep them as quick as the rest.
const ASYNC_RUNS = Math.max(1, Math.round(RUNS / 3));

function run(entries: readonly ApiEntry[]): void {
  for (const e of entries) {
    it(e.id, () => {
      const params = { numRuns: e.async ? ASYNC_RUNS : RUNS, seed: SEED, endOnFailure: true };
      const fail = (problem: string | null): void => {
        if (problem !== null) throw new Error(problem);
      };
      if (e.async) return fc.assert(fc.asyncProperty(caseArb(e), async (c) => fail(await checkCase(e, c))), params);
      fc.assert(fc.property(caseArb(e), (c) => fail(checkCase(e, c) as string | null)), params);
    });
  }
}

describe('@tapegrad/tensor keeps the bad-input contract', () => run(TENSOR_API));
describe('@tapegrad/nn layers, losses, optimizers, schedules, data and safetensors keep the bad-input contract', () => run(NN_API));
describe('@tapegrad/autograd backward and defineOp keep the bad-input contract', () => run(AUTOGRAD_API));
describe('@tapegrad/autograd transforms, modes and checkGrad keep the bad-input contract', () => run(TRANSFORMS_API));
describe('graph export (@tapegrad/autograd) and drawing (@tapegrad/graph) keep the bad-input contract', () => run(GRAPH_API));
// The CLI cases write into a scratch directory, made when graph-api.ts loads.
afterAll(removeCliOutput);

describe('the fuzz table covers the public API', () => {
  it('has an entry for every function @tapegrad/tensor exports', () => {
    const ids = new Set(TENSOR_API.map((e) => e.id));
    const missing = Object.entries(tensorApi)
      .filter(([name, v]) => typeof v === 'function' && !ids.has(name) && !(name in NOT_FUZZED))
      .map(([name]) => name);
    expect(missing).toEqual([]);
  });

  it('has an entry for every function of the namespaces @tapegrad/tensor exports (linalg)', () => {
    const ids = new Set(TENSOR_API.map((e) => e.id));
    const namespaces = Object.entries(tensorApi).filter(([name, v]) => !(name in NOT_FUZZED) && v !== null && typeof v === 'object' && Object.values(v).some((f) => typeof f === 'function'));
    expect(namespaces.map(([name]) => name)).toContain('linalg');
    const missing = namespaces.flatMap(([ns, v]) => Object.entries(v as object).filter(([, f]) => typeof f === 'function').map(([name]) => `${ns}.${name}`)).filter((id) => !ids.has(id));
    expect(missing).toEqual([]);
  });

  it('has an entry for every Tensor method and getter', () => {
    const ids = new Set(TENSOR_API.map((e) => e.id));
    const missing = Object.getOwnPropertyNames(Tensor.prototype)
      .filter((name) => name !== 'constructor' && !name.startsWith('_'))
      .filter((name) => !ids.has(`Tensor#${name}`) && !ids.has(`Tensor#get:${name}`));
    expect(missing).toEqual([]);
  });

  it('has an entry for every function and class @tapegrad/nn exports', () => {
    const ids = new Set(NN_API.map((e) => e.id.replace(/^new /, '').replace(/#.*$/, '')));
    const missing = Object.entries(nnApi)
      .filter(([name, v]) => typeof v === 'function' && !ids.has(name) && !(name in NN_NOT_FUZZED))
      .map(([name]) => name);
    expect(missing).toEqual([]);
  });

  /** Export names of a package with no fuzz entry (an entry's id up to a space: 'defineOp spec' covers defineOp). */
  const unfuzzed = (api: object): string[] => {
    const ids = new Set([...AUTOGRAD_API, ...TRANSFORMS_API, ...GRAPH_API].map((e) => e.id.split(' ')[0]));
    return Object.keys(api).filter((name) => !ids.has(name) && !(name in GRAPH_NOT_FUZZED));
  };

  it('has an entry for every export of @tapegrad/autograd, and leaves out only constants', () => {
    expect(unfuzzed(autogradApi)).toEqual([]);
    const skipped = Object.keys(GRAPH_NOT_FUZZED).filter((name) => name in autogradApi);
    // Only the error class is a function among them.
    expect(skipped.filter((name) => typeof (autogradApi as Record<string, unknown>)[name] === 'function')).toEqual(['AnomalyError']);
  });

  it('has an entry for every export of @tapegrad/graph, and leaves out only constants', () => {
    expect(unfuzzed(graphApi)).toEqual([]);
    expect(Object.keys(GRAPH_NOT_FUZZED).filter((name) => typeof (graphApi as Record<string, unknown>)[name] === 'function')).toEqual([]);
  });

  it('calls every layer of @tapegrad/nn, not only builds it', () => {
    const ids = new Set(NN_API.map((e) => e.id));
    const layers = Object.entries(nnApi).filter(([, v]) => typeof v === 'function' && v.prototype instanceof nnApi.Module).map(([name]) => name);
    expect(layers.filter((name) => !ids.has(`${name}#call`))).toEqual([]);
  });
});
