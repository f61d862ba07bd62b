import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { gemm, gemmInt32, type FloatArray } from '../packages/tensor/src/backend/js/matmul.js';
import { prng as rng } from './arbitraries.js';

/** How a logical rows x cols matrix is laid out in its buffer. */
interface Layout {
  colMajor: boolean;
  pad: number; // extra elements between consecutive rows (or columns)
  flipRows: boolean; // negative row stride
  flipCols: boolean; // negative column stride
  broadcast: 0 | 1 | 2; // 1: row stride 0, 2: column stride 0 (every row / column aliases the first)
  lead: number; // unused elements before the first one touched
}

interface View {
  off: number;
  rs: number;
  cs: number;
  size: number;
}

function view(rows: number, cols: number, l: Layout): View {
  let rs = l.colMajor ? 1 : cols + l.pad;
  let cs = l.colMajor ? rows + l.pad : 1;
  if (l.broadcast === 1) rs = 0;
  if (l.broadcast === 2) cs = 0;
  if (l.flipRows) rs = -rs;
  if (l.flipCols) cs = -cs;
  const r = Math.max(rows - 1, 0);
  const c = Math.max(cols - 1, 0);
  const off = l.lead - Math.min(0, r * rs) - Math.min(0, c * cs);
  const size = off + Math.max(0, r * rs) + Math.max(0, c * cs) + 1 + 2;
  return { off, rs, cs, size };
}

const layoutArb: fc.Arbitrary<Layout> = fc.record({
  colMajor: fc.boolean(),
  pad: fc.integer({ min: 0, max: 3 }),
  flipRows: fc.boolean(),
  flipCols: fc.boolean(),
  broadcast: fc.constantFrom<0 | 1 | 2>(0, 0, 0, 0, 1, 2),
  lead: fc.integer({ min: 0, max: 4 }),
});

const plain: Layout = { colMajor: false, pad: 0, flipRows: false, flipCols: false, broadcast: 0, lead: 0 };
const transposed: Layout = { ...plain, colMajor: true };
const GUARD = 3;
const SENTINEL = -7.25;

interface Case {
  M: number;
  K: number;
  N: number;
  la: Layout;
  lb: Layout;
  cOff: number;
  seed: number;
}

/** Runs gemm on random data for one case and checks it against a float64 triple loop. */
function checkFloat(T: typeof Float32Array | typeof Float64Array, tc: Case): void {
  const { M, K, N, cOff } = tc;
  const next = rng(tc.seed);
  const va = view(M, K, tc.la);
  const vb = view(K, N, tc.lb);
  const a = new T(va.size).map(() => next() * 2 - 1);
  const b = new T(vb.size).map(() => next() * 2 - 1);
  const c = new T(cOff + M * N + GUARD).fill(SENTINEL);
  gemm(a, va.off, va.rs, va.cs, b, vb.off, vb.rs, vb.cs, c as FloatArray, cOff, M, K, N);
  const rel = T === Float32Array ? 1e-5 : 1e-13;
  for (let i = 0; i < cOff; i++) expect(c[i]).toBe(SENTINEL);
  for (let i = cOff + M * N; i < c.length; i++) expect(c[i]).toBe(SENTINEL);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      let scale = 0;
      for (let k = 0; k < K; k++) {
        const p = a[va.off + i * va.rs + k * va.cs]! * b[vb.off + k * vb.rs + j * vb.cs]!;
        s += p;
        scale += Math.abs(p);
      }
      const got = c[cOff + i * N + j]!;
      if (!(Math.abs(got - s) <= rel * scale + 1e-30)) {
        throw new Error(`C[${i},${j}] = ${got}, expected ${s} (M=${M} K=${K} N=${N})`);
      }
    }
  }
}

const caseArb = (max: number): fc.Arbitrary<Case> =>
  fc.record({
    M: fc.integer({ min: 0, max }),
    K: fc.integer({ min: 0, max }),
    N: fc.integer({ min: 0, max }),
    la: layoutArb,
    lb: layoutArb,
    cOff: fc.integer({ min: 0, max: 5 }),
    seed: fc.integer(),
  });

const SEED = 20240611;

describe('gemm (float)', () => {
  for (const T of [Float64Array, Float32Array]) {
    it(`${T.name}: tiny and degenerate sizes, any layout`, () => {
      fc.assert(fc.property(caseArb(6), (tc) => checkFloat(T, tc)), { seed: SEED, numRuns: 150 });
    });

    it(`${T.name}: edge tiles of the blocked path, any layout`, () => {
      // Sizes 1..70 mostly exceed the small-problem cutoff and are rarely multiples of the 4x3 tile.
      fc.assert(
        fc.property(caseArb(70).filter((tc) => tc.M > 0 && tc.N > 0), (tc) => checkFloat(T, tc)),
        { seed: SEED + 1, numRuns: 40 },
      );
    });

    it(`${T.name}: vector shapes (M = 1 or N = 1), any layout`, () => {
      fc.assert(
        fc.property(caseArb(80), fc.boolean(), (tc, row) => checkFloat(T, row ? { ...tc, M: 1 } : { ...tc, N: 1 })),
        { seed: SEED + 3, numRuns: 60 },
      );
      // Long vectors: the row-update path works through its scratch in chunks.
      checkFloat(T, { M: 1, K: 3, N: 50_001, la: plain, lb: plain, cOff: 1, seed: 7 });
      checkFloat(T, { M: 50_001, K: 3, N: 1, la: transposed, lb: plain, cOff: 2, seed: 8 });
      checkFloat(T, { M: 50_001, K: 3, N: 1, la: plain, lb: transposed, cOff: 0, seed: 9 });
    });

    it(`${T.name}: crosses the MC / KC / NC block boundaries`, () => {
      const sizes: [number, number, number][] = [
        [128, 256, 384],
        [129, 257, 385],
        [131, 520, 7],
        [5, 600, 389],
        [2, 300, 2],
      ];
      let seed = 1;
      for (const [M, K, N] of sizes) {
        checkFloat(T, { M, K, N, la: plain, lb: plain, cOff: 0, seed: seed++ });
        checkFloat(T, { M, K, N, la: transposed, lb: transposed, cOff: 3, seed: seed++ });
      }
    });
  }

  it('handles vectors and K = 0 (C is zero-filled)', () => {
    const a = new Float64Array([1, 2, 3]);
    const b = new Float64Array([4, 5, 6]);
    const dot = new Float64Array(1);
    gemm(a, 0, 3, 1, b, 0, 1, 3, dot, 0, 1, 3, 1);
    expect(dot[0]).toBe(32);
    const outer = new Float64Array(9);
    gemm(a, 0, 1, 1, b, 0, 1, 1, outer, 0, 3, 1, 3);
    expect(Array.from(outer)).toEqual([4, 5, 6, 8, 10, 12, 12, 15, 18]);
    const z = new Float32Array(7).fill(9);
    gemm(new Float32Array(0), 0, 0, 1, new Float32Array(0), 0, 1, 1, z, 1, 2, 0, 3);
    expect(Array.from(z)).toEqual([9, 0, 0, 0, 0, 0, 0]);
  });

  it('rounds float32 output from float64 accumulation', () => {
    // 1 + 2^-30 - 1: a float32 running sum would lose the small term; float64 keeps it.
    const n = 60; // n * n * 3 is above the small-problem cutoff, so the packed path runs
    const a = new Float32Array(n * 3);
    const b = new Float32Array(3 * n).fill(1);
    for (let i = 0; i < n; i++) a.set([1, 2 ** -30, -1], i * 3);
    const c = new Float32Array(n * n);
    gemm(a, 0, 3, 1, b, 0, n, 1, c, 0, n, 3, n);
    expect(c.every((x) => x === Math.fround(2 ** -30))).toBe(true);
    const small = new Float32Array(1);
    gemm(a, 0, 3, 1, b, 0, n, 1, small, 0, 1, 3, 1);
    expect(small[0]).toBe(Math.fround(2 ** -30));
  });
});

/** int32 reference with BigInt, wrapped to 32 bits. */
function refInt32(a: Int32Array, va: View, b: Int32Array, vb: View, M: number, K: number, N: number): Int32Array {
  const out = new Int32Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0n;
      for (let k = 0; k < K; k++) {
        s += BigInt(a[va.off + i * va.rs + k * va.cs]!) * BigInt(b[vb.off + k * vb.rs + j * vb.cs]!);
      }
      out[i * N + j] = Number(BigInt.asIntN(32, s));
    }
  }
  return out;
}

describe('gemmInt32', () => {
  it('matches a BigInt reference with int32 wraparound, any layout', () => {
    fc.assert(
      fc.property(caseArb(9), fc.boolean(), (tc, huge) => {
        const { M, K, N, cOff } = tc;
        const next = rng(tc.seed);
        const va = view(M, K, tc.la);
        const vb = view(K, N, tc.lb);
        const draw = (): number => (huge ? (next() * 2 ** 32) | 0 : Math.floor(next() * 21) - 10);
        const a = new Int32Array(va.size).map(draw);
        const b = new Int32Array(vb.size).map(draw);
        const c = new Int32Array(cOff + M * N + GUARD).fill(-7);
        gemmInt32(a, va.off, va.rs, va.cs, b, vb.off, vb.rs, vb.cs, c, cOff, M, K, N);
        expect(Array.from(c.subarray(cOff, cOff + M * N))).toEqual(Array.from(refInt32(a, va, b, vb, M, K, N)));
        expect(Array.from(c.subarray(0, cOff)).every((x) => x === -7)).toBe(true);
        expect(Array.from(c.subarray(cOff + M * N)).every((x) => x === -7)).toBe(true);
      }),
      { seed: SEED + 2, numRuns: 150 },
    );
  });
});
