/**
 * tapegrad agrees with PyTorch (float64) on every op-table row: the output values, and the input
 * gradients J^T u for a fixed random cotangent u. Reads only the committed fixtures (CI has no
 * torch): test/fixtures/op-cases.json (inputs, cotangent) and test/fixtures/op-torch.json (PyTorch's
 * values and gradients). Regenerate both with `pnpm fixtures` after changing the op table.
 *
 * An element passes when |tapegrad - torch| <= rtol * max(|torch|, FLOOR): relative error, with an
 * absolute floor of rtol * FLOOR for elements near zero, where a relative error means nothing (for
 * example a gradient that is exactly 0 in one library and 1e-17 after cancellation in the other).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { tensor, type Tensor } from '@tapegrad/tensor';
import { vjp } from '@tapegrad/autograd';
import { OP_TABLE, asFunction, floatPositions, inputTensors, rowId, type OpRow } from './op-table.js';

const VALUE_RTOL = 1e-9;
const GRAD_RTOL = 1e-7;
const FLOOR = 1e-6;

interface Arr { shape: number[]; data: number[] }
interface ExportedCase { id: string; torch: string; inputs: (Arr & { kind: string })[]; aux: Arr[]; cotangent: Arr }
interface TorchCase { id: string; value: Arr; grads: (Arr | null)[] }

const readJson = <T>(name: string): T => JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as T;
const exported = readJson<{ cases: ExportedCase[] }>('op-cases.json').cases;
const torchCases = new Map(readJson<{ cases: TorchCase[] }>('op-torch.json').cases.map((c) => [c.id, c]));
const rows = new Map(OP_TABLE.map((r) => [rowId(r), r]));

/** The worst element of `actual` against `expected`, as a multiple of the allowed error (<= 1 passes). */
function worst(actual: ArrayLike<number>, expected: readonly number[], rtol: number): { ratio: number; index: number; actual: number; expected: number } {
  let w = { ratio: 0, index: -1, actual: NaN, expected: NaN };
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    const err = Math.abs(a - e);
    const ratio = Number.isNaN(err) ? Infinity : err / (rtol * Math.max(Math.abs(e), FLOOR));
    if (ratio > w.ratio || w.index < 0) w = { ratio, index: i, actual: a, expected: e };
  }
  return w;
}

function expectClose(what: string, t: Tensor, ref: Arr, rtol: number): void {
  expect(t.shape, `${what}: shape`).toEqual(ref.shape);
  const w = worst(t.data(), ref.data, rtol);
  expect(w.ratio, `${what}: element ${w.index} is ${w.actual}, PyTorch gives ${w.expected}`).toBeLessThanOrEqual(1);
}

describe('op table: tapegrad agrees with PyTorch (float64)', () => {
  it('has fixtures for exactly the rows of the op table, with the same PyTorch expressions', () => {
    const ids = exported.map((c) => c.id);
    const missing = [...rows.keys()].filter((id) => !ids.includes(id) || !torchCases.has(id));
    const stale = ids.filter((id) => !rows.has(id));
    const changed = exported.filter((c) => rows.has(c.id) && rows.get(c.id)!.torch !== c.torch).map((c) => c.id);
    const message = 'test/fixtures/op-*.json are out of date: run `pnpm fixtures`';
    expect({ missing, stale, changed }, message).toEqual({ missing: [], stale: [], changed: [] });
  });

  for (const c of exported) {
    const row = rows.get(c.id);
    const ref = torchCases.get(c.id);
    if (row === undefined || ref === undefined) continue; // reported by the test above
    it(c.id, () => check(row, c, ref));
  }
});

function check(row: OpRow, c: ExportedCase, ref: TorchCase): void {
  const inputs = inputTensors(row, c.inputs.map((i) => i.shape), c.inputs.map((i) => i.data));
  const pos = floatPositions(row);
  const { out, vjp: pullback } = vjp(asFunction(row, inputs), ...pos.map((p) => inputs[p]!));
  expectClose('value', out, ref.value, VALUE_RTOL);
  const grads = pullback(tensor(Float64Array.from(c.cotangent.data), { shape: c.cotangent.shape, dtype: 'float64' }));
  pos.forEach((p, k) => expectClose(`gradient of input ${p}`, grads[k]!, ref.grads[p]!, GRAD_RTOL));
}
