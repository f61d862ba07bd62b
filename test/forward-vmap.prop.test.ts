/**
 * The other two rules of every primitive, over the whole op table, on random shapes and values (float64):
 *  1. forward mode: the tangent jvp computes (one forward sweep of JVP rules) agrees with central
 *     differences of the function along the same direction; it is not compared with the VJP;
 *  2. vmap: the op mapped over a batch (some inputs batched along a random axis, the others shared,
 *     the result's batch at a random axis) gives what a loop over the batch gives, and so do
 *     per-sample gradients (vmap of grad), gradients through vmap (grad of vmap) and per-sample
 *     tangents (vmap of jvp).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Generator, add, mul, randn, stack, sum, type Tensor, type TypedArray } from '@tapegrad/tensor';
import { grad, jvp, vmap } from '@tapegrad/autograd';
import { caseArb, drawInputs, prng, type OpCase } from './arbitraries.js';
import { OP_TABLE, asFunction, floatPositions, inputTensors, rowId, single, type OpRow } from './op-table.js';

const SEED = 8080;
const RUNS = 6;
const VMAP_RUNS = 4;
/** A batched kernel may add in another order than the per-element one (a larger gemm, say). */
const VMAP_RTOL = 1e-12;

const fmtCase = (c: OpCase): string => `shapes ${JSON.stringify(c.shapes)}`;
const dot = (a: Tensor, b: Tensor): Tensor => sum(mul(a, b));

function closeAll(what: string, got: TypedArray, want: TypedArray, atol: number, rtol: number): void {
  if (got.length !== want.length) throw new Error(`${what}: ${got.length} values, expected ${want.length}`);
  for (let i = 0; i < got.length; i++) {
    const g = got[i]!, w = want[i]!;
    if (g === w || (Number.isNaN(g) && Number.isNaN(w))) continue;
    if (!(Math.abs(g - w) <= atol + rtol * Math.abs(w))) throw new Error(`${what}: element ${i} is ${g}, expected ${w}`);
  }
}

function jvpAgainstDifferences(row: OpRow, c: OpCase): void {
  const inputs = inputTensors(row, c.shapes, c.values);
  const f = asFunction(row, inputs);
  const floats = floatPositions(row).map((p) => inputs[p]!);
  const gen = new Generator(21);
  const vs = floats.map((x) => randn(x.shape, { generator: gen, dtype: 'float64' }));
  const { out, tangent } = jvp(f, floats, vs);
  const eps = row.eps ?? 1e-6;
  const moved = (s: number): Tensor => f(...floats.map((x, i) => add(x, mul(vs[i]!, s * eps))));
  const numeric = mul(moved(1).sub(moved(-1)), 1 / (2 * eps));
  if (out.shape.join() !== tangent.shape.join()) throw new Error(`${rowId(row)}: tangent shape [${tangent.shape}] for output [${out.shape}]`);
  closeAll(`${rowId(row)}: J v disagrees with central differences (${fmtCase(c)})`, tangent.data(), numeric.data(), row.tol.atol, row.tol.rtol);
}

/** A batch of cases for one row: shared shapes, per-element values, which inputs are batched and where. */
interface BatchCase {
  base: OpCase;
  elements: number[][][];
  /** Batch axis of each input in its physical tensor (null: shared, element 0's values). */
  axes: (number | null)[];
  outAxis: number;
}

function batchCaseArb(row: OpRow): fc.Arbitrary<BatchCase> {
  return fc.tuple(caseArb(row), fc.integer({ min: 2, max: 3 }), fc.integer({ min: 0, max: 0x7fffffff })).map(([base, n, seed]) => {
    const r = prng(seed);
    const elements = [base.values, ...Array.from({ length: n - 1 }, (_, k) => drawInputs(row, base.shapes, seed + k + 1))];
    const fixed = row.unbatchable?.inputs ?? [];
    const axes = base.shapes.map((s, i): number | null => (fixed.includes(i) || r() < 0.3 ? null : Math.floor(r() * (s.length + 1))));
    if (!axes.some((a) => a !== null)) axes[[...axes.keys()].find((i) => !fixed.includes(i))!] = 0;
    return { base, elements, axes, outAxis: Math.floor(r() * 8) };
  });
}

function vmapAgainstLoop(row: OpRow, bc: BatchCase): void {
  const n = bc.elements.length;
  const perElement = bc.elements.map((values) => inputTensors(row, bc.base.shapes, values));
  const physical = bc.axes.map((ax, i) => (ax === null ? perElement[0]![i]! : stack(perElement.map((xs) => xs[i]!), ax)));
  const inputsOf = (b: number): Tensor[] => bc.axes.map((ax, i) => perElement[ax === null ? 0 : b]![i]!);
  const call = (...xs: Tensor[]): Tensor => single(row.call(...xs));
  const where = `${rowId(row)} (${fmtCase(bc.base)}, inAxes ${JSON.stringify(bc.axes)}, batch ${n})`;

  // Values.
  const loopOut = Array.from({ length: n }, (_, b) => call(...inputsOf(b)));
  const outAxis = bc.outAxis % (loopOut[0]!.ndim + 1);
  const mapped = vmap(call, { inAxes: bc.axes, outAxes: outAxis })(...physical);
  const expected = stack(loopOut, outAxis);
  if (mapped.shape.join() !== expected.shape.join()) throw new Error(`${where}: vmap gave shape [${mapped.shape}], the loop [${expected.shape}]`);
  closeAll(`${where}: values`, mapped.data(), expected.data(), 0, VMAP_RTOL);

  const pos = floatPositions(row);
  if (pos.length === 0) return;
  const gen = new Generator(5);
  const us = Array.from({ length: n }, () => randn(loopOut[0]!.shape, { generator: gen, dtype: 'float64' }));
  const U = stack(us, 0);
  const weighted = (...xs: Tensor[]): Tensor => dot(call(...xs.slice(0, -1)), xs[xs.length - 1]!);
  const argnums = pos;

  // Per-sample gradients: vmap(grad) against grad in a loop.
  const perSample = vmap(grad(weighted, { argnums }), { inAxes: [...bc.axes, 0] })(...physical, U) as Tensor[];
  pos.forEach((p, k) => {
    const want = stack(Array.from({ length: n }, (_, b) => (grad(weighted, { argnums })(...inputsOf(b), us[b]!) as Tensor[])[k]!), 0);
    closeAll(`${where}: per-sample gradient of input ${p}`, perSample[k]!.data(), want.data(), 1e-13, VMAP_RTOL);
  });

  // Gradients through vmap: grad of sum_b <f(x_b), u_b> with respect to the physical inputs.
  const total = (...xs: Tensor[]): Tensor => dot(vmap(call, { inAxes: bc.axes })(...xs), U);
  const through = grad(total, { argnums })(...physical) as Tensor[];
  pos.forEach((p, k) => {
    const ax = bc.axes[p]!;
    const per = Array.from({ length: n }, (_, b) => (grad(weighted, { argnums })(...inputsOf(b), us[b]!) as Tensor[])[k]!);
    const want = ax === null ? per.reduce((a, b) => add(a, b)) : stack(per, ax);
    closeAll(`${where}: gradient through vmap, input ${p}`, through[k]!.data(), want.data(), 1e-13, VMAP_RTOL);
  });

  // Per-sample tangents: vmap(jvp) against jvp in a loop (tangents batched like the inputs).
  const vs = Array.from({ length: n }, () => pos.map((p) => randn(perElement[0]![p]!.shape, { generator: gen, dtype: 'float64' })));
  const tangentsPhysical = pos.map((p, k) => (bc.axes[p] === null ? vs[0]![k]! : stack(vs.map((v) => v[k]!), bc.axes[p]!)));
  const pushed = vmap((...xs: Tensor[]) => {
    const all = xs.slice(0, row.inputs.length);
    const ts = xs.slice(row.inputs.length);
    return jvp((...fl: Tensor[]) => call(...all.map((x, i) => (pos.includes(i) ? fl[pos.indexOf(i)]! : x))), pos.map((p) => all[p]!), ts).tangent;
  }, { inAxes: [...bc.axes, ...pos.map((p) => bc.axes[p]!)] })(...physical, ...tangentsPhysical);
  const wantT = stack(Array.from({ length: n }, (_, b) => {
    const xs = inputsOf(b);
    const v = pos.map((p, k) => vs[bc.axes[p] === null ? 0 : b]![k]!);
    return jvp(asFunction(row, xs), pos.map((p) => xs[p]!), v).tangent;
  }), 0);
  closeAll(`${where}: per-sample tangents`, pushed.data(), wantT.data(), 1e-13, VMAP_RTOL);
}

describe('op table: forward mode agrees with float64 central differences', () => {
  for (const row of OP_TABLE) {
    it(rowId(row), () => {
      fc.assert(fc.property(caseArb(row), (c) => jvpAgainstDifferences(row, c)), { seed: SEED, numRuns: RUNS });
    });
  }
});

describe('op table: inputs vmap cannot batch are a clear error naming the op', () => {
  for (const row of OP_TABLE.filter((r) => r.unbatchable)) {
    it(`${rowId(row)}: ${row.unbatchable!.reason}`, () => {
      const c = fc.sample(caseArb(row), { seed: SEED, numRuns: 1 })[0]!;
      const xs = inputTensors(row, c.shapes, c.values);
      const physical = xs.map((x, i) => (row.unbatchable!.inputs.includes(i) ? stack([x, x], 0) : x));
      const inAxes = xs.map((_, i) => (row.unbatchable!.inputs.includes(i) ? 0 : null));
      expect(() => vmap((...a: Tensor[]) => single(row.call(...a)), { inAxes })(...physical)).toThrow(new RegExp(`^${row.op}: .*batched by vmap`));
    });
  }
});

describe('op table: vmap agrees with a loop over the batch (values, per-sample gradients, gradients through vmap, tangents)', () => {
  for (const row of OP_TABLE) {
    it(rowId(row), () => {
      fc.assert(fc.property(batchCaseArb(row), (bc) => vmapAgainstLoop(row, bc)), { seed: SEED + 1, numRuns: VMAP_RUNS });
    });
  }
});

