/**
 * The WebAssembly SIMD matmul against a float64 reference and against the JS backend: random
 * sizes (edge tiles included), transposed / gapped / offset / reversed layouts, batches through
 * the public op, and the fallbacks (float64, int32, small problems).
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Tensor, getBackend, matmul, setBackend, tensor, transpose, slice, type Backend, type View } from '@tapegrad/tensor';
import { wasmBackend, wasmSimdSupported } from '@tapegrad/backend-wasm';
import { jsBackend } from '../../packages/tensor/src/backend/js/index.js';
import { prng as rng } from '../arbitraries.js';

const SEED = 20261122;
const RTOL = 1e-5;

interface Layout { colMajor: boolean; pad: number; flipRows: boolean; flipCols: boolean; lead: number }

const layoutArb: fc.Arbitrary<Layout> = fc.record({
  colMajor: fc.boolean(),
  pad: fc.integer({ min: 0, max: 3 }),
  flipRows: fc.boolean(),
  flipCols: fc.boolean(),
  lead: fc.integer({ min: 0, max: 5 }),
});

const PLAIN: Layout = { colMajor: false, pad: 0, flipRows: false, flipCols: false, lead: 0 };

/** A rows x cols float32 view laid out as `l` says, NaN in every slot it does not cover; `at(i, j)` reads it. */
function makeView(rows: number, cols: number, l: Layout, r: () => number): View & { at: (i: number, j: number) => number } {
  let rs = l.colMajor ? 1 : cols + l.pad;
  let cs = l.colMajor ? rows + l.pad : 1;
  if (l.flipRows) rs = -rs;
  if (l.flipCols) cs = -cs;
  const offset = l.lead - Math.min(0, (rows - 1) * rs) - Math.min(0, (cols - 1) * cs);
  const size = offset + Math.max(0, (rows - 1) * rs) + Math.max(0, (cols - 1) * cs) + 3;
  const buf = new Float32Array(size).fill(NaN);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) buf[offset + i * rs + j * cs] = Math.fround(2 * r() - 1);
  return { buf, offset, shape: [rows, cols], strides: [rs, cs], dtype: 'float32', at: (i, j) => buf[offset + i * rs + j * cs]! };
}

function fresh(shape: number[], dtype: 'float32' | 'float64' | 'int32' = 'float32'): View {
  const n = shape.reduce((a, b) => a * b, 1);
  const buf = dtype === 'float32' ? new Float32Array(n) : dtype === 'float64' ? new Float64Array(n) : new Int32Array(n);
  const strides = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
  return { buf, offset: 0, shape, strides, dtype };
}

/** |c - ref| <= RTOL * sum_k |a_ik b_kj| for every element, with ref and the scale in float64. */
function expectClose(c: ArrayLike<number>, M: number, N: number, K: number, a: (i: number, k: number) => number, b: (k: number, j: number) => number): void {
  let worst = 0;
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let ref = 0, scale = 0;
      for (let k = 0; k < K; k++) {
        const p = a(i, k) * b(k, j);
        ref += p;
        scale += Math.abs(p);
      }
      const err = Math.abs(c[i * N + j]! - ref) / (scale || 1);
      if (!(err <= worst)) worst = err; // NaN lands here too
    }
  }
  expect(worst).toBeLessThanOrEqual(RTOL);
}

/** A backend that records every matmul its (JS) kernel is asked for: what the wasm backend fell back on. */
function spying(): { backend: Backend; calls: number[] } {
  const calls: number[] = [];
  const backend: Backend = { ...jsBackend, name: 'spy', matmul: (i, o, at) => { calls.push(o.buf.length); jsBackend.matmul(i, o, at); } };
  return { backend, calls };
}

describe('wasm matmul kernel', () => {
  it('WebAssembly SIMD is available in this engine (otherwise every test below would only test the fallback)', () => {
    expect(wasmSimdSupported()).toBe(true);
    expect(wasmBackend().name).toBe('wasm');
  });

  it('every other kernel is the base backend\'s own', () => {
    const w = wasmBackend({ base: jsBackend }) as unknown as Record<string, unknown>;
    for (const [k, v] of Object.entries(jsBackend)) if (k !== 'matmul' && k !== 'name') expect(w[k]).toBe(v);
    expect(w.matmul).not.toBe(jsBackend.matmul);
  });

  it('matches a float64 reference on random sizes and layouts (edge tiles, transposed, gapped, offset, reversed)', () => {
    const spy = spying();
    const kernel = wasmBackend({ base: spy.backend, minWork: 0 }).matmul;
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 41 }), fc.integer({ min: 2, max: 41 }), fc.integer({ min: 1, max: 70 }),
        layoutArb, layoutArb, fc.integer({ min: 0, max: 0x7fffffff }),
        (M, N, K, la, lb, seed) => {
          const r = rng(seed);
          const a = makeView(M, K, la, r), b = makeView(K, N, lb, r);
          const out = fresh([M, N]);
          kernel([a, b], out, {} as never);
          expectClose(out.buf, M, N, K, a.at, b.at);
        },
      ),
      { seed: SEED, numRuns: 200 },
    );
    expect(spy.calls).toEqual([]);
  });

  it('matches across depth blocks (K > 256), row blocks (M > 128) and many column panels', () => {
    for (const [M, N, K] of [[131, 67, 600], [257, 9, 257], [5, 203, 513], [128, 128, 256]] as const) {
      const r = rng(M * 1000 + N + K);
      const a = makeView(M, K, PLAIN, r), b = makeView(K, N, { ...PLAIN, colMajor: true, pad: 1 }, r);
      const out = fresh([M, N]);
      wasmBackend({ base: jsBackend }).matmul([a, b], out, {} as never);
      expectClose(out.buf, M, N, K, a.at, b.at);
    }
  });

  it('falls back to the base kernel for float64, int32, vector results and small problems', () => {
    const spy = spying();
    const kernel = wasmBackend({ base: spy.backend }).matmul;
    const r = rng(7);
    const big = (M: number, N: number, K: number, dtype: 'float64' | 'int32') => {
      const a = fresh([M, K], dtype), b = fresh([K, N], dtype);
      for (let i = 0; i < a.buf.length; i++) a.buf[i] = Math.floor(10 * r());
      for (let i = 0; i < b.buf.length; i++) b.buf[i] = Math.floor(10 * r());
      kernel([a, b], fresh([M, N], dtype), {} as never);
    };
    big(40, 40, 40, 'float64');
    big(40, 40, 40, 'int32');
    kernel([makeView(1, 300, PLAIN, r), makeView(300, 300, PLAIN, r)], fresh([1, 300]), {} as never);
    kernel([makeView(300, 300, PLAIN, r), makeView(300, 1, PLAIN, r)], fresh([300, 1]), {} as never);
    kernel([makeView(16, 16, PLAIN, r), makeView(16, 16, PLAIN, r)], fresh([16, 16]), {} as never);
    expect(spy.calls.length).toBe(5);
    kernel([makeView(40, 40, PLAIN, r), makeView(40, 40, PLAIN, r)], fresh([40, 40]), {} as never);
    expect(spy.calls.length).toBe(5);
  });
});

describe('the public matmul op with the wasm backend set', () => {
  let previous: Backend;
  beforeEach(() => { previous = getBackend(); });
  afterEach(() => { setBackend(previous); });

  const randomTensor = (shape: number[], r: () => number): Tensor =>
    tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => 2 * r() - 1), { shape });

  /** The op on the JS backend, then on the wasm one; float32 values within RTOL of the scale of each dot product. */
  function compare(f: () => Tensor, scaleOf: () => Tensor): void {
    setBackend(jsBackend);
    const want = f().data();
    const scale = scaleOf().data();
    setBackend(wasmBackend({ base: jsBackend, minWork: 0 }));
    const got = f();
    expect(got.dtype).toBe('float32');
    const g = got.data();
    expect(g.length).toBe(want.length);
    for (let i = 0; i < g.length; i++) expect(Math.abs(g[i]! - want[i]!)).toBeLessThanOrEqual(RTOL * (scale[i]! || 1));
  }

  it('batched, with broadcast batch dims, transposed and sliced operands', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 2, max: 19 }), fc.integer({ min: 2, max: 19 }),
        fc.integer({ min: 1, max: 33 }), fc.boolean(), fc.boolean(), fc.integer({ min: 0, max: 0x7fffffff }),
        (B1, B2, M, N, K, ta, tb, seed) => {
          const r = rng(seed);
          // a: [B1, 1, M, K] (maybe stored as [B1, 1, K, M] and transposed); b: [B2, K, N] sliced from a wider tensor.
          const a = ta ? transpose(randomTensor([B1, 1, K, M], r), 2, 3) : randomTensor([B1, 1, M, K], r);
          const wide = tb ? transpose(randomTensor([B2, N + 2, K], r), 1, 2) : randomTensor([B2, K, N + 2], r);
          const b = slice(wide, [0, 0, 1], [B2, K, N + 1]);
          const absT = (t: Tensor) => tensor(Float32Array.from(t.data(), Math.abs), { shape: t.shape.slice() });
          compare(() => matmul(a, b), () => matmul(absT(a), absT(b)));
        },
      ),
      { seed: SEED, numRuns: 60 },
    );
  });

  it('leaves float64 results bit-identical to the JS backend', () => {
    const r = rng(3);
    const a = tensor(Float64Array.from({ length: 60 * 50 }, r), { shape: [60, 50], dtype: 'float64' });
    const b = tensor(Float64Array.from({ length: 50 * 70 }, r), { shape: [50, 70], dtype: 'float64' });
    setBackend(jsBackend);
    const want = matmul(a, b).toArray();
    setBackend(wasmBackend({ base: jsBackend, minWork: 0 }));
    expect(matmul(a, b).toArray()).toEqual(want);
  });
});
