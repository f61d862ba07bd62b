/**
 * One generic property over the op table, for every row, on random shapes and values (float64):
 *  1. reverse mode (J^T u, through checkGrad) agrees with central differences;
 *  2. the random-projection identity <u, J v> = <J^T u, v> holds between jvp and vjp (jvp is forward
 *     mode, one sweep of the JVP rules, so this checks those rules against the VJP rules);
 *  3. for smooth rows, second order: x -> <J(x)^T u, v> is differentiated again and checked
 *     against central differences as well.
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { Generator, add, mul, randn, sum, type Tensor } from '@tapegrad/tensor';
import { checkGrad, grad, jvp, vjp } from '@tapegrad/autograd';
import { caseArb, type OpCase } from './arbitraries.js';
import { OP_TABLE, asFunction, floatPositions, inputTensors, rowId, type OpRow } from './op-table.js';

const SEED = 20240611;
const RUNS = 10;
/** Second-order checks cost a double backward per finite difference: fewer runs. */
const RUNS_2ND = 4;
/** <u, J v> and <J^T u, v> are the same sum of products taken in two orders (float32 rounding for ops that cast through it). */
const PROJECTION_RTOL = 1e-10;
const PROJECTION_RTOL_FLOAT32 = 1e-6;

const dot = (a: Tensor, b: Tensor): Tensor => sum(mul(a, b));
const fmtCase = (c: OpCase): string => `shapes ${JSON.stringify(c.shapes)}`;

function setup(row: OpRow, c: OpCase): { f: (...xs: Tensor[]) => Tensor; floats: Tensor[] } {
  const inputs = inputTensors(row, c.shapes, c.values);
  return { f: asFunction(row, inputs), floats: floatPositions(row).map((p) => inputs[p]!) };
}

function firstOrder(row: OpRow, c: OpCase): void {
  const { f, floats } = setup(row, c);
  const r = checkGrad(f, floats, { eps: row.eps ?? 1e-6, ...row.tol, seed: 7 });
  if (!r.ok) throw new Error(`${rowId(row)}: J^T u disagrees with central differences (${fmtCase(c)}): ${JSON.stringify(r)}`);
}

function projection(row: OpRow, c: OpCase): void {
  const { f, floats } = setup(row, c);
  const gen = new Generator(11);
  const vs = floats.map((x) => randn(x.shape, { generator: gen, dtype: 'float64' }));
  const { out, vjp: pullback } = vjp(f, ...floats);
  const u = randn(out.shape, { generator: gen, dtype: 'float64' });
  const jtu = pullback(u);
  const { tangent } = jvp(f, floats, vs);
  const lhs = dot(u, tangent).item();
  const rhs = jtu.map((g, i) => dot(g, vs[i]!).item()).reduce((a, b) => a + b, 0);
  const scale = Math.abs(lhs) + Math.abs(rhs) + 1;
  if (!(Math.abs(lhs - rhs) <= (row.roundsToFloat32 ? PROJECTION_RTOL_FLOAT32 : PROJECTION_RTOL) * scale)) {
    throw new Error(`${rowId(row)}: <u, J v> = ${lhs} but <J^T u, v> = ${rhs} (${fmtCase(c)})`);
  }
}

function secondOrder(row: OpRow, c: OpCase): void {
  const { f, floats } = setup(row, c);
  const gen = new Generator(13);
  const u = randn(f(...floats).shape, { generator: gen, dtype: 'float64' });
  const vs = floats.map((x) => randn(x.shape, { generator: gen, dtype: 'float64' }));
  const argnums = floats.map((_, i) => i);
  // h(x) = <J(x)^T u, v>: its gradient is the second derivative of <u, f> applied to v.
  const gradOfProjection = grad((...xs: Tensor[]) => dot(f(...xs), u), { argnums });
  const h = (...xs: Tensor[]): Tensor => {
    const gs = gradOfProjection(...(xs as never[])) as Tensor[];
    return gs.map((g, i) => dot(g, vs[i]!)).reduce((a, b) => add(a, b));
  };
  const r = checkGrad(h, floats, { eps: row.eps ?? 1e-6, ...row.tol, seed: 7 });
  if (!r.ok) throw new Error(`${rowId(row)}: second-order gradient disagrees with central differences (${fmtCase(c)}): ${JSON.stringify(r)}`);
}

describe('op table: gradients agree with float64 central differences', () => {
  for (const row of OP_TABLE) {
    it(rowId(row), () => {
      fc.assert(fc.property(caseArb(row), (c) => { firstOrder(row, c); projection(row, c); }), { seed: SEED, numRuns: RUNS });
      if (row.smooth) fc.assert(fc.property(caseArb(row), (c) => secondOrder(row, c)), { seed: SEED + 1, numRuns: RUNS_2ND });
    });
  }
});
