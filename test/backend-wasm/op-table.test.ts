/**
 * The op-table rows built on matmul (matmul, dot, outer, conv1d, conv2d), run with the wasm backend
 * set and compared to the JS backend: float64 values and gradients are bit-identical (float64 stays
 * on the reference kernel); float32 ones, with every matmul forced through wasm, agree to rounding.
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Generator, cast, getBackend, randn, setBackend, type Backend, type Tensor } from '@tapegrad/tensor';
import { vjp } from '@tapegrad/autograd';
import { wasmBackend } from '@tapegrad/backend-wasm';
import { jsBackend } from '../../packages/tensor/src/backend/js/index.js';
import { caseArb } from '../arbitraries.js';
import { OP_TABLE, asFunction, floatPositions, inputTensors, rowId, single } from '../op-table.js';

const SEED = 9001;
const OPS = new Set(['matmul', 'dot', 'outer', 'conv1d', 'conv2d']);
const ROWS = OP_TABLE.filter((r) => OPS.has(r.op));

/** Matmuls per op: how many the wasm backend was asked for, and how many of those went to the JS kernel. */
const asked: Record<string, number> = {};
const fellBack: Record<string, number> = {};
let currentOp = '';

function countingWasm(): Backend {
  const base: Backend = { ...jsBackend, matmul: (i, o, a) => { fellBack[currentOp] = (fellBack[currentOp] ?? 0) + 1; jsBackend.matmul(i, o, a); } };
  const w = wasmBackend({ base, minWork: 0 });
  return { ...w, matmul: (i, o, a) => { asked[currentOp] = (asked[currentOp] ?? 0) + 1; w.matmul(i, o, a); } };
}

/** The row's value and the gradients of <value, u> for its float inputs, as plain arrays. */
function evaluate(row: (typeof ROWS)[number], inputs: Tensor[]): number[][] {
  const pos = floatPositions(row);
  const f = asFunction(row, inputs);
  const out = single(row.call(...inputs));
  const u = cast(randn(out.shape, { generator: new Generator(11), dtype: 'float64' }), out.dtype);
  const grads = vjp(f, ...pos.map((p) => inputs[p]!)).vjp(u);
  return [Array.from(out.data()), ...grads.map((g) => Array.from(g.data()))];
}

describe('op-table rows on matmul with the wasm backend', () => {
  let previous: Backend;
  beforeEach(() => { previous = getBackend(); });
  afterEach(() => { setBackend(previous); });

  it('covers all five ops', () => {
    expect(new Set(ROWS.map((r) => r.op))).toEqual(OPS);
  });

  for (const row of ROWS) {
    it(rowId(row), () => {
      fc.assert(
        fc.property(caseArb(row), (c) => {
          const f64 = inputTensors(row, c.shapes, c.values);
          const f32 = f64.map((t) => (t.dtype === 'float64' ? cast(t, 'float32') : t));
          setBackend(jsBackend);
          const want64 = evaluate(row, f64), want32 = evaluate(row, f32);
          setBackend(countingWasm());
          expect(evaluate(row, f64)).toEqual(want64);
          currentOp = row.op;
          const got32 = evaluate(row, f32);
          currentOp = '';
          expect(got32.length).toBe(want32.length);
          got32.forEach((g, k) => {
            expect(g.length).toBe(want32[k]!.length);
            g.forEach((v, i) => expect(Math.abs(v - want32[k]![i]!)).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(want32[k]![i]!))));
          });
        }),
        { seed: SEED, numRuns: 10 },
      );
    });
  }

  it('ran float32 matmul, conv1d and conv2d rows through the wasm kernel (not only the fallback)', () => {
    for (const op of ['matmul', 'conv1d', 'conv2d']) expect(asked[op]! - (fellBack[op] ?? 0), op).toBeGreaterThan(0);
  });
});
