/**
 * The native backend against the TypeScript reference, row by row of the op table: values and
 * gradients (the VJP of <value, u>), in float64 and in float32, on dense, column-major and gapped
 * (offset, NaN between elements) inputs. Where every primitive a row runs, forward and backward,
 * is exactly rounded in the reference (arithmetic, comparisons, movement, reductions summed in
 * order), native results must be bit-identical; where a row runs a transcendental function, pow
 * or matmul, they must agree to 1e-12 (float64) or 1e-5 (float32) of the result's scale. Outputs
 * start full of junk, as the native backend does not zero them: a kernel must write every element.
 * Rows added to the op table, and primitives added to tapegrad, are covered without editing this file.
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Generator, cast, getBackend, randn, setBackend, type Backend, type DType, type Tensor, type TypedArray } from '@tapegrad/tensor';
import { PRIMITIVES, familyOf } from '@tapegrad/tensor/internal';
import { vjp } from '@tapegrad/autograd';
import { isNativeAvailable, nativeBackend, nativeKernelNames, nativeUnavailableReason } from '@tapegrad/backend-native';
import { jsBackend } from '../../packages/tensor/src/backend/js/index.js';
import { caseArb } from '../arbitraries.js';
import { columnMajor, gapped } from '../layouts.js';
import { OP_TABLE, asFunction, floatPositions, inputTensors, rowId, single, type OpRow } from '../op-table.js';

const SEED = 31337;
const RUNS = 5;
const KERNEL_PRIMITIVES = PRIMITIVES.filter((p) => familyOf(p) !== 'view');
/** Primitives whose reference result is not exactly rounded, so another correct kernel may differ in the last bits. */
const ROUNDED = new Set([
  'exp', 'log', 'log1p', 'sin', 'cos', 'tanh', 'sigmoid', 'erf', 'pow', 'matmul',
  'asin', 'acos', 'atan', 'sinh', 'cosh', 'asinh', 'acosh', 'atanh', 'erfc', 'expm1', 'log2', 'log10', 'atan2', 'hypot', 'logcumsumexp',
  'solve', 'slogdet', 'cholesky', 'qr', 'eigh', 'svd',
  'softmax', 'logSoftmax', 'logSoftmaxBackward', 'gelu', 'geluBackward',
]);
const RTOL = { float64: 1e-12, float32: 1e-5 } as const;
const LAYOUTS: [string, (t: Tensor) => Tensor][] = [['dense', (t) => t], ['column-major', columnMajor], ['gapped', gapped]];

/** A backend whose every kernel throws: as the native backend's base, it proves no primitive falls back to JavaScript. */
/**
 * Primitives without a native kernel yet (none now): the native backend would run the reference
 * kernel for them, and packages/backend-native/README.md would have to say so. The list may only
 * shrink: the test below fails when it names a primitive that has a native kernel, or when another
 * primitive lacks one.
 */
const NOT_YET_NATIVE: readonly string[] = [];

const trap = Object.fromEntries(KERNEL_PRIMITIVES.map((p) => [
  p,
  NOT_YET_NATIVE.includes(p) ? (jsBackend as unknown as Record<string, unknown>)[p] : () => { throw new Error(`no native kernel for '${p}'`); },
])) as unknown as Backend;

/**
 * Output storage full of junk (NaN, or a sentinel for integers and bools): the native backend does
 * not zero its outputs, so every kernel must write every element, which this makes visible.
 */
function junk(dtype: DType, size: number): TypedArray {
  const a = dtype === 'float32' ? new Float32Array(size) : dtype === 'float64' ? new Float64Array(size) : dtype === 'int32' ? new Int32Array(size) : new Uint8Array(size);
  return a.fill(dtype === 'float32' || dtype === 'float64' ? NaN : 123);
}

/** `b` with every kernel call's primitive added to `seen`. */
function recording(b: Backend, seen: Set<string>): Backend {
  const out: Record<string, unknown> = { name: b.name };
  for (const p of KERNEL_PRIMITIVES) {
    const k = (b as unknown as Record<string, (...args: unknown[]) => void>)[p]!;
    out[p] = (...args: unknown[]) => { seen.add(p); k(...args); };
  }
  return out as unknown as Backend;
}

/** The row's value and the gradients of <value, u> for its float inputs, as plain arrays. */
function evaluate(row: OpRow, inputs: Tensor[]): number[][] {
  const pos = floatPositions(row);
  const out = single(row.call(...inputs));
  const values = [Array.from(out.data() as ArrayLike<number>)];
  if (pos.length === 0 || (out.dtype !== 'float32' && out.dtype !== 'float64')) return values;
  const u = cast(randn(out.shape, { generator: new Generator(11), dtype: 'float64' }), out.dtype);
  const grads = vjp(asFunction(row, inputs), ...pos.map((p) => inputs[p]!)).vjp(u);
  return [...values, ...grads.map((g) => Array.from(g.data() as ArrayLike<number>))];
}

/** Bit-identical (NaN equal to NaN, -0 unequal to 0), or within rtol of max(|want_i|, max |want|). */
function expectAgree(got: number[][], want: number[][], rtol: number | null, what: string): void {
  expect(got.length, what).toBe(want.length);
  got.forEach((g, k) => {
    const w = want[k]!;
    expect(g.length, what).toBe(w.length);
    if (rtol === null) {
      g.forEach((v, i) => { if (!Object.is(v, w[i])) expect(`${what}, array ${k}[${i}]: ${v}`).toBe(`${what}, array ${k}[${i}]: ${w[i]}`); });
      return;
    }
    const scale = w.reduce((m, v) => (Number.isFinite(v) ? Math.max(m, Math.abs(v)) : m), 0);
    g.forEach((v, i) => {
      const ok = Object.is(v, w[i]) || Math.abs(v - w[i]!) <= rtol * Math.max(Math.abs(w[i]!), scale);
      if (!ok) expect(`${what}, array ${k}[${i}]: ${v}`).toBe(`${what}, array ${k}[${i}]: ${w[i]} (rtol ${rtol})`);
    });
  });
}

describe('the native backend', () => {
  it('is built and loads (pnpm install builds it; see packages/backend-native/README.md when it does not)', () => {
    expect(nativeUnavailableReason()).toBe(null);
    expect(isNativeAvailable()).toBe(true);
  });

  it('has a native kernel for every kernel primitive but the ones listed as not yet native', () => {
    const names = new Set(nativeKernelNames());
    expect(KERNEL_PRIMITIVES.filter((p) => !names.has(p))).toEqual(NOT_YET_NATIVE);
  });
});

describe('op-table rows on the native backend agree with the reference', () => {
  let previous: Backend;
  beforeEach(() => { previous = getBackend(); });
  afterEach(() => { setBackend(previous); });

  for (const row of OP_TABLE) {
    it(rowId(row), () => {
      const native: Backend = { ...nativeBackend({ base: trap, minBytes: 0 }), allocate: junk };
      fc.assert(
        fc.property(caseArb(row), (c) => {
          const f64 = inputTensors(row, c.shapes, c.values);
          for (const dtype of ['float64', 'float32'] as const) {
            const dense = f64.map((t) => (t.dtype === 'float64' ? cast(t, dtype) : t));
            const seen = new Set<string>();
            setBackend(recording(jsBackend, seen));
            const want = evaluate(row, dense);
            const exact = ![...seen].some((p) => ROUNDED.has(p));
            setBackend(native);
            for (const [layout, lay] of LAYOUTS) {
              expectAgree(evaluate(row, dense.map(lay)), want, exact ? null : RTOL[dtype], `${dtype} ${layout} shapes ${JSON.stringify(c.shapes)}`);
            }
            setBackend(jsBackend);
          }
        }),
        { seed: SEED, numRuns: RUNS },
      );
    });
  }
});
