/**
 * Every public op has a row in the op table (or is listed as not differentiable, or as not an op),
 * every primitive has a VJP, a JVP and a batching rule, and the rows between them reach every differentiable primitive.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as tensorApi from '@tapegrad/tensor';
import { type Tensor } from '@tapegrad/tensor';
import * as internalApi from '@tapegrad/tensor/internal';
import { PRIMITIVES } from '@tapegrad/tensor/internal';
import { rules } from '@tapegrad/autograd';
import { caseArb } from './arbitraries.js';
import { INDEX_PRIMITIVES, NON_DIFFERENTIABLE, NOT_OPS, OP_TABLE, inputTensors, rowId, single } from './op-table.js';

/** A namespace export (`linalg`): an object whose members are all functions, listed as `linalg.solve`, ... */
const isNamespace = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).length > 0 && Object.values(v).every((m) => typeof m === 'function');
const exportedFunctions = Object.entries(tensorApi)
  .flatMap(([k, v]) => (typeof v === 'function' ? [k] : isNamespace(v) ? Object.keys(v).map((m) => `${k}.${m}`) : []))
  .sort();
/** The value of an export name, `linalg.solve` included. */
const exportOf = (name: string): unknown => name.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], tensorApi);
const tableOps = new Set(OP_TABLE.filter((r) => r.internal !== true).map((r) => r.op));
const internalOps = new Set(OP_TABLE.filter((r) => r.internal === true).map((r) => r.op));
const notOps = new Set(Object.values(NOT_OPS).flat());
const nonDiff = new Set(NON_DIFFERENTIABLE);

describe('op table coverage', () => {
  it('lists every function exported by @tapegrad/tensor', () => {
    const listed = (name: string): boolean => tableOps.has(name) || nonDiff.has(name) || notOps.has(name);
    // An alias (the same function under a second name, e.g. `variance` for `var`) is covered by its other name.
    const aliasListed = (name: string): boolean => exportedFunctions.some((other) => other !== name && exportOf(other) === exportOf(name) && listed(other));
    const missing = exportedFunctions.filter((name) => !listed(name) && !aliasListed(name));
    expect(missing, `public ops with no op-table row (add a row to test/op-table.ts, or list them as non-differentiable / not an op): ${missing.join(', ')}`).toEqual([]);
  });

  it('names only real exports, each in one list', () => {
    const exported = new Set(exportedFunctions);
    const stale = [...tableOps, ...nonDiff, ...notOps].filter((name) => !exported.has(name));
    expect(stale, `listed in test/op-table.ts but not a function export of @tapegrad/tensor: ${stale.join(', ')}`).toEqual([]);
    const notInternal = [...internalOps].filter((name) => typeof (internalApi as Record<string, unknown>)[name] !== 'function' || exported.has(name));
    expect(notInternal, `rows marked internal that name no function of @tapegrad/tensor/internal (or a public one): ${notInternal.join(', ')}`).toEqual([]);
    const both = [...tableOps].filter((n) => nonDiff.has(n) || notOps.has(n)).concat([...nonDiff].filter((n) => notOps.has(n)));
    expect(both, `listed twice: ${both.join(', ')}`).toEqual([]);
  });

  it('lists only real primitives as index primitives', () => {
    const unknown = INDEX_PRIMITIVES.filter((p) => !(PRIMITIVES as readonly string[]).includes(p));
    expect(unknown, `INDEX_PRIMITIVES in test/op-table.ts names no primitive: ${unknown.join(', ')}`).toEqual([]);
  });

  it('gives every row a unique name', () => {
    const ids = OP_TABLE.map(rowId);
    const dup = ids.filter((id, i) => ids.indexOf(id) !== i);
    expect(dup).toEqual([]);
  });

  it('has a VJP, a JVP and a batching rule for every primitive, and no rules for anything else', () => {
    const table = rules as unknown as Record<string, Record<string, unknown> | undefined>;
    for (const transform of ['vjp', 'jvp', 'batch']) {
      const missing = PRIMITIVES.filter((p) => typeof table[p]?.[transform] !== 'function');
      expect(missing, `primitives with no ${transform} rule: ${missing.join(', ')}`).toEqual([]);
    }
    const extra = Object.keys(rules).filter((k) => !(PRIMITIVES as string[]).includes(k));
    expect(extra, `rules for unknown primitives: ${extra.join(', ')}`).toEqual([]);
  });

  it('reaches every differentiable primitive from some row', () => {
    const seen = new Set<string>();
    for (const row of OP_TABLE) {
      const [c] = fc.sample(caseArb(row), { seed: 1, numRuns: 1 });
      const inputs = inputTensors(row, c!.shapes, c!.values).map((t) => (t.dtype === 'float64' ? t.requiresGrad_(true) : t));
      const stack: Tensor[] = [single(row.call(...inputs))];
      const visited = new Set<unknown>();
      while (stack.length > 0) {
        const node = stack.pop()!.node;
        if (node === null || visited.has(node)) continue;
        visited.add(node);
        seen.add(node.op);
        stack.push(...node.inputs);
      }
    }
    // The non-differentiable primitives (comparisons, arg-reductions, sign) have no rows of their own.
    const notRecorded = new Set([...NON_DIFFERENTIABLE, ...INDEX_PRIMITIVES]);
    const unreached = PRIMITIVES.filter((p) => !seen.has(p) && !notRecorded.has(p));
    expect(unreached, `primitives no op-table row records: ${unreached.join(', ')}`).toEqual([]);
  });
});
