/**
 * The native kernels on the cases the op table does not reach: 0-d and empty tensors, reversed,
 * broadcast and offset views, int32 and bool, special float values, tensors large enough for the
 * thread pool and the blocked loops, errors, and the JavaScript glue (scratch growth, storage at
 * a byte offset, small outputs on the reference kernels). Every result is compared with the
 * TypeScript reference kernel on the same views.
 */
import { describe, expect, it } from 'vitest';
import {
  Tensor, argmax, cast, concat, fold2d, gather, matmul, max, maximum, median, minimum, prod, rand, randn, reshape, setBackend,
  slice, sort, sum, tensor, transpose, unfold2d, where, type Backend, type DType, type View,
} from '@tapegrad/tensor';
import { existsSync } from 'node:fs';
import { nativeBackend, nativeInfo } from '@tapegrad/backend-native';
import { jsBackend } from '../../packages/tensor/src/backend/js/index.js';
import { scatterAddZeros } from '@tapegrad/tensor/internal';

const native = nativeBackend({ base: jsBackend, minBytes: 0 });
type Storage = View['buf'];
const ARRAYS: Record<DType, new (n: number) => Storage> = { float32: Float32Array, float64: Float64Array, int32: Int32Array, bool: Uint8Array };

function fresh(shape: number[], dtype: DType): View {
  const n = shape.reduce((a, b) => a * b, 1);
  const strides = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
  return { buf: new ARRAYS[dtype](n), offset: 0, shape, strides, dtype };
}

/** A view with explicit strides and offset over storage filled by `value(i)` at every position it covers (NaN / sentinels elsewhere). */
function view(shape: number[], strides: number[], offset: number, dtype: DType, value: (flat: number) => number): View {
  let hi = offset;
  shape.forEach((n, d) => { if (strides[d]! > 0) hi += (n - 1) * strides[d]!; });
  const buf = new ARRAYS[dtype](hi + 2).fill(dtype === 'float32' || dtype === 'float64' ? NaN : 77);
  const idx = shape.map(() => 0);
  const n = shape.reduce((a, b) => a * b, 1);
  for (let flat = 0; flat < n; flat++) {
    buf[offset + idx.reduce((o, v, d) => o + v * strides[d]!, 0)] = value(flat);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
  return { buf, offset, shape, strides, dtype };
}

type Kernel = (inputs: readonly View[], out: View, attrs: object) => void;
const kernel = (b: Backend, op: string): Kernel => (b as unknown as Record<string, Kernel>)[op]!;

/** The kernel's output on both backends, as plain arrays. */
function both(op: string, inputs: View[], outShape: number[], outDtype: DType, attrs: object = {}): [number[], number[]] {
  const a = fresh(outShape, outDtype), b = fresh(outShape, outDtype);
  kernel(jsBackend, op)(inputs, a, attrs);
  kernel(native, op)(inputs, b, attrs);
  return [Array.from(b.buf as ArrayLike<number>), Array.from(a.buf as ArrayLike<number>)];
}

/** Equal bit for bit (NaN equals NaN; -0 differs from 0). */
function expectSame(got: number[], want: number[]): void {
  expect(got.length).toBe(want.length);
  got.forEach((g, i) => { if (!Object.is(g, want[i])) expect(`[${i}] ${g}`).toBe(`[${i}] ${want[i]}`); });
}

/** Equal where the reference is not finite or zero, else within rtol relative. */
function expectClose(got: number[], want: number[], rtol: number): void {
  expect(got.length).toBe(want.length);
  got.forEach((g, i) => {
    const w = want[i]!;
    const ok = Object.is(g, w) || (Number.isFinite(w) && w !== 0 && Math.abs(g - w) <= rtol * Math.abs(w));
    if (!ok) expect(`[${i}] ${g}`).toBe(`[${i}] ${w}`);
  });
}

function on<T>(backend: Backend, f: () => T): T {
  const previous = setBackend(backend);
  try {
    return f();
  } finally {
    setBackend(previous);
  }
}
const onNative = <T>(f: () => T): T => on(native, f);
const onJs = <T>(f: () => T): T => on(jsBackend, f);
const values = (t: Tensor): number[] => Array.from(t.data() as ArrayLike<number>);

describe('0-d and empty tensors', () => {
  it('0-d operands of every kernel family', () => {
    const x = view([], [], 2, 'float64', () => 0.75);
    const y = view([], [], 0, 'float64', () => -2);
    for (const op of ['neg', 'exp', 'tanh', 'sqrt', 'relu', 'copy']) expectClose(...both(op, [x], [], 'float64'), 1e-15);
    for (const op of ['add', 'mul', 'div', 'pow', 'maximum', 'lt']) expectClose(...both(op, [x, y], [], op === 'lt' ? 'bool' : 'float64'), 1e-15);
    expectSame(...both('sum', [x], [], 'float64', { axes: [], keepdims: false }));
    expectSame(...both('where', [view([], [], 1, 'bool', () => 1), x, y], [], 'float64'));
    expectSame(...both('cast', [x], [], 'int32', { dtype: 'int32' }));
  });

  it('empty tensors: elementwise, reductions (sum 0, prod 1), matmul with K = 0, concat, pad', () => {
    const e = fresh([2, 0, 3], 'float32');
    expectSame(...both('exp', [e], [2, 0, 3], 'float32'));
    expectSame(...both('add', [e, e], [2, 0, 3], 'float32'));
    expectSame(...both('sum', [e], [2, 3], 'float32', { axes: [1], keepdims: false }));
    expectSame(...both('prod', [e], [2, 3], 'float32', { axes: [1], keepdims: false }));
    expectSame(...both('sum', [e], [2, 0], 'float32', { axes: [2], keepdims: false }));
    expectSame(...both('max', [e], [2, 0], 'float32', { axes: [2], keepdims: false }));
    const a = fresh([2, 0], 'float64'), b = fresh([0, 3], 'float64');
    expectSame(...both('matmul', [a, b], [2, 3], 'float64'));
    expectSame(...both('matmul', [fresh([0, 3], 'float64'), fresh([3, 2], 'float64')], [0, 2], 'float64'));
    const full = view([2, 2], [2, 1], 0, 'float64', (i) => i + 1);
    expectSame(...both('concat', [fresh([0, 2], 'float64'), full], [2, 2], 'float64', { axis: 0 }));
    expectSame(...both('pad', [fresh([0], 'float64')], [3], 'float64', { shape: [3], starts: [1], steps: [1], value: 0.5 }));
    expectSame(...both('unfold2d', [fresh([0, 1, 3, 3], 'float32')], [0, 4, 4], 'float32', { kernel: [2, 2], stride: [1, 1], padding: [0, 0], dilation: [1, 1], padValue: 0 }));
    expectSame(...both('gather', [full, fresh([2, 0], 'int32')], [2, 0], 'float64', { axis: 1 }));
  });
});

describe('strided views', () => {
  const rows = 37, cols = 29;
  const layouts: [string, number[], number][] = [
    ['reversed rows and columns', [-cols, -1], rows * cols - 1],
    ['column-major with an offset', [1, rows], 5],
    ['gapped', [2 * cols + 1, 2], 3],
    ['a broadcast row (stride 0)', [0, 1], 0],
  ];
  for (const [name, strides, offset] of layouts) {
    it(`${name}: elementwise, reductions, copy and matmul read them`, () => {
      for (const dtype of ['float32', 'float64'] as const) {
        const x = view([rows, cols], strides, offset, dtype, (i) => Math.sin(i) * 3);
        const y = view([rows, cols], [cols, 1], 0, dtype, (i) => Math.cos(i));
        expectSame(...both('mul', [x, y], [rows, cols], dtype));
        expectSame(...both('sub', [y, x], [rows, cols], dtype));
        expectSame(...both('maximum', [x, y], [rows, cols], dtype));
        expectClose(...both('exp', [x], [rows, cols], dtype), dtype === 'float64' ? 1e-15 : 1e-6);
        expectSame(...both('copy', [x], [rows, cols], dtype));
        for (const axes of [[0], [1], [0, 1]]) {
          const shape = [rows, cols].filter((_, d) => !axes.includes(d));
          for (const op of ['sum', 'max', 'argmin']) expectSame(...both(op, [x], shape, op === 'argmin' ? 'int32' : dtype, { axes, keepdims: false }));
        }
        const t = view([cols, rows], [strides[1]!, strides[0]!], offset, dtype, (i) => Math.cos(i * 0.3));
        expectClose(...both('matmul', [x, t], [rows, rows], dtype), dtype === 'float64' ? 1e-12 : 1e-4);
      }
    });
  }
});

describe('int32 and bool', () => {
  const I = (xs: number[]): View => view([xs.length], [1], 0, 'int32', (i) => xs[i]!);
  const B = (xs: number[]): View => view([xs.length], [1], 0, 'bool', (i) => xs[i]!);

  it('int32 arithmetic wraps modulo 2^32 as typed-array stores do (mul as Math.imul)', () => {
    const a = I([2147483647, -2147483648, 65536, 46341, 7, -7, 0]);
    const b = I([1, -1, 65536, 46341, 2, 2, 0]);
    for (const op of ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum']) expectSame(...both(op, [a, b], [7], 'int32'));
    expect(both('add', [a, b], [7], 'int32')[0][0]).toBe(-2147483648);
    expect(both('mul', [a, b], [7], 'int32')[0][2]).toBe(0);
    for (const op of ['neg', 'abs', 'sign', 'relu']) expectSame(...both(op, [a], [7], 'int32'));
    expect(both('neg', [a], [7], 'int32')[0][1]).toBe(-2147483648);
  });

  it('int32 reductions accumulate in float64 and store as int32; bool sums are int32', () => {
    const a = I([65536, 65536, -3, 5, 2147483647, 9]);
    for (const op of ['sum', 'prod', 'max', 'min']) expectSame(...both(op, [a], [], 'int32', { axes: [0], keepdims: false }));
    for (const op of ['argmax', 'argmin']) expectSame(...both(op, [a], [], 'int32', { axes: [0], keepdims: false }));
    const flags = B([1, 0, 1, 1, 0]);
    expectSame(...both('sum', [flags], [], 'int32', { axes: [0], keepdims: false }));
    expectSame(...both('max', [flags], [], 'bool', { axes: [0], keepdims: false }));
    expect(onNative(() => sum(tensor([true, false, true, true])).item())).toBe(3);
  });

  it('comparisons, where and maximum over int32 and bool', () => {
    const a = I([3, -1, 7, 7]), b = I([3, 2, -8, 9]);
    for (const op of ['eq', 'ne', 'lt', 'le', 'gt', 'ge']) {
      expectSame(...both(op, [a, b], [4], 'bool'));
      expectSame(...both(op, [B([1, 0, 1, 0]), B([1, 1, 0, 0])], [4], 'bool'));
    }
    expectSame(...both('where', [B([1, 0, 1, 0]), a, b], [4], 'int32'));
    expectSame(...both('where', [B([1, 0, 1, 0]), B([1, 1, 0, 0]), B([0, 0, 1, 1])], [4], 'bool'));
    expectSame(...both('maximum', [B([1, 0, 1, 0]), B([1, 1, 0, 0])], [4], 'bool'));
    expectSame(...both('matmul', [view([2, 2], [2, 1], 0, 'int32', (i) => [65536, 3, 65536, -4][i]!), view([2, 2], [2, 1], 0, 'int32', (i) => [65536, 1, 7, 2][i]!)], [2, 2], 'int32'));
  });

  it('argsort of short int32 lines (ties, two elements, strided and offset views) and the sort and median built on it', () => {
    const lines = [[0, -3], [-3, 0], [2, 2], [5, -5, 5, -5, 0], [-3, 0, -3]];
    for (const xs of lines) {
      for (const descending of [0, 1]) {
        expectSame(...both('argsort', [I(xs)], [xs.length], 'int32', { axis: 0, descending }));
        expectSame(...both('argsort', [view([xs.length], [2], 3, 'int32', (i) => xs[i]!)], [xs.length], 'int32', { axis: 0, descending }));
      }
    }
    for (const run of [onNative, onJs]) {
      const [v, i] = run(() => sort(tensor([0, -3], { dtype: 'int32' }), -1, { stable: true }));
      expect([values(v), values(i)]).toEqual([[-3, 0], [1, 0]]);
      expect(run(() => values(median(tensor([-0.5, NaN, 1], { dtype: 'float32' }), undefined, true)))).toEqual([NaN]);
      expect(run(() => values(median(tensor([[-0.5, NaN, 1], [2, 0, 1]], { dtype: 'float32' }), 1)))).toEqual([NaN, 1]);
    }
  });

  it('casts: truncation and wrapping into int32, NaN and infinities to 0, non-zero (NaN included) to true', () => {
    const xs = [2.7, -2.7, NaN, Infinity, -Infinity, 3e9, -3e9, -0, 0, 0.5, 1e20];
    for (const dtype of ['float64', 'float32'] as const) {
      const x = view([xs.length], [1], 0, dtype, (i) => xs[i]!);
      expectSame(...both('cast', [x], [xs.length], 'int32', { dtype: 'int32' }));
      expectSame(...both('cast', [x], [xs.length], 'bool', { dtype: 'bool' }));
    }
    expect(both('cast', [view([3], [1], 0, 'float64', (i) => [3e9, NaN, -2.7][i]!)], [3], 'int32', { dtype: 'int32' })[0]).toEqual([3e9 - 2 ** 32, 0, -2]);
    expectSame(...both('cast', [I([2147483647, -5, 16777217])], [3], 'float32', { dtype: 'float32' }));
    expectSame(...both('cast', [B([1, 0])], [2], 'float64', { dtype: 'float64' }));
    expectSame(...both('cast', [view([2], [1], 0, 'float64', (i) => [1e40, 1 + 2 ** -30][i]!)], [2], 'float32', { dtype: 'float32' }));
  });
});

describe('special values', () => {
  const SPECIAL = [0, -0, Infinity, -Infinity, NaN, 1e-310, -1e-310, 1e-30, -1, 1, -0.5, 0.5, 3, 20, -20, 88, -88, 700, 710, -745, -750, 1e300, -1e300, Math.PI, 1e15];

  it("relu's, tanh's and sigmoid's VJP kernels at special values: relu's gives +0 where x <= 0 whatever g (as where(x > 0, g, 0)), the same as the reference", () => {
    for (const dtype of ['float64', 'float32'] as const) {
      const n = SPECIAL.length * SPECIAL.length;
      const y = view([n], [1], 0, dtype, (i) => SPECIAL[Math.floor(i / SPECIAL.length)]!);
      const g = view([n], [1], 0, dtype, (i) => SPECIAL[i % SPECIAL.length]!);
      for (const op of ['reluBackward', 'tanhBackward', 'sigmoidBackward']) {
        const [got, want] = both(op, [y, g], [n], dtype);
        expectSame(got, want);
        if (op === 'reluBackward') {
          const masked = Array.from({ length: n }, (_, i) => (y.buf[i]! > 0 ? g.buf[i]! : 0));
          expectSame(want, masked);
        }
      }
    }
  });

  it('unary transcendental functions agree with the reference at zeros, infinities, NaN, subnormals and extremes', () => {
    for (const dtype of ['float64', 'float32'] as const) {
      const x = view([SPECIAL.length], [1], 0, dtype, (i) => SPECIAL[i]!);
      for (const op of ['exp', 'log', 'log1p', 'sqrt', 'sin', 'cos', 'tanh', 'sigmoid', 'erf', 'neg', 'abs', 'sign', 'relu']) {
        const [got, want] = both(op, [x], [SPECIAL.length], dtype);
        // Denormal results are below any relative tolerance's reach in float32: compare them absolutely.
        const tiny = dtype === 'float64' ? 1e-300 : 1e-37;
        got.forEach((g, i) => {
          const w = want[i]!;
          const ok = Object.is(g, w) || (Number.isFinite(w) && Math.abs(g - w) <= (dtype === 'float64' ? 1e-12 : 1e-5) * Math.abs(w)) || (Math.abs(w) < tiny && Math.abs(g) < tiny);
          if (!ok) expect(`${dtype} ${op}(${SPECIAL[i]}) = ${g}`).toBe(`${dtype} ${op}(${SPECIAL[i]}) = ${w}`);
        });
      }
    }
  });

  it('pow follows JavaScript where C differs (1 ** NaN, (-1) ** Infinity) and elsewhere agrees', () => {
    const pairs = [[1, NaN], [-1, Infinity], [-1, -Infinity], [1, Infinity], [NaN, 0], [0, -1], [-0, -1], [-8, 1 / 3], [-2, 3], [2, 0.5], [10, -310], [Infinity, -0.5]];
    const a = view([pairs.length], [1], 0, 'float64', (i) => pairs[i]![0]!);
    const b = view([pairs.length], [1], 0, 'float64', (i) => pairs[i]![1]!);
    const [got, want] = both('pow', [a, b], [pairs.length], 'float64');
    expectClose(got, want, 1e-15);
    expect(got.slice(0, 5)).toEqual([NaN, NaN, NaN, NaN, 1]);
  });

  it('maximum, minimum and reductions treat NaN and signed zeros as the reference does', () => {
    const xs = [-0, 0, NaN, 5, 5, -Infinity, NaN];
    const ys = [0, -0, 1, NaN, 5, -Infinity, 2];
    const a = view([7], [1], 0, 'float64', (i) => xs[i]!), b = view([7], [1], 0, 'float64', (i) => ys[i]!);
    for (const op of ['maximum', 'minimum', 'eq', 'lt', 'ge']) expectSame(...both(op, [a, b], [7], op === 'maximum' || op === 'minimum' ? 'float64' : 'bool'));
    for (const op of ['max', 'min']) expectSame(...both(op, [a], [], 'float64', { axes: [0], keepdims: false }));
    for (const op of ['argmax', 'argmin']) expectSame(...both(op, [a], [], 'int32', { axes: [0], keepdims: false }));
    expect(both('argmax', [a], [], 'int32', { axes: [0], keepdims: false })[0]).toEqual([2]);
    const zeros = view([2], [1], 0, 'float64', (i) => [-0, 0][i]!);
    expectSame(...both('max', [zeros], [], 'float64', { axes: [0], keepdims: false }));
  });

  it('sums add in the reference order, so cancellation comes out the same', () => {
    const xs = [1, 1e16, -1e16, 3, 1e308, 1e308, -1e308];
    const x = view([7], [1], 0, 'float64', (i) => xs[i]!);
    expectSame(...both('sum', [x], [], 'float64', { axes: [0], keepdims: false }));
    expect(both('sum', [view([3], [1], 0, 'float64', (i) => xs[i]!)], [], 'float64', { axes: [0], keepdims: false })[0]).toEqual([0]);
  });
});

describe('large tensors (thread pool, blocked loops)', () => {
  const big = (shape: number[], seed: number, dtype: 'float32' | 'float64' = 'float32'): Tensor => randn(shape, { seed, dtype });

  it('elementwise and transcendental ops over a million elements, dense and transposed', () => {
    const a = big([1024, 1100], 1), b = big([1024, 1100], 2);
    const aT = transpose(big([1100, 1024], 3), 0, 1);
    for (const f of [(x: Tensor, y: Tensor) => x.mul(y).add(x), (x: Tensor, y: Tensor) => where(x.gt(y), x, 0), (x: Tensor) => x.contiguous()]) {
      expectSame(onNative(() => values(f(a, b))), onJs(() => values(f(a, b))));
      expectSame(onNative(() => values(f(aT, b))), onJs(() => values(f(aT, b))));
    }
    for (const f of [(x: Tensor) => x.exp(), (x: Tensor) => x.tanh(), (x: Tensor) => x.sigmoid(), (x: Tensor) => x.erf()]) {
      expectClose(onNative(() => values(f(a))), onJs(() => values(f(a))), 1e-6);
      const d = cast(a.slice([0, 0], [64, 1100]), 'float64');
      expectClose(onNative(() => values(f(d))), onJs(() => values(f(d))), 1e-12);
    }
  });

  it('elementwise ops just past the split threshold (64K elements): chunk ends fall inside rows, broadcast and transposed operands', () => {
    const a = big([300, 333], 4), row = big([333], 5), col = big([300, 1], 6);
    const aT = transpose(big([333, 300], 7), 0, 1);
    for (const f of [(x: Tensor) => x.mul(row).sub(col), (x: Tensor) => x.div(aT).add(1), (x: Tensor) => x.relu().neg()]) {
      expectSame(onNative(() => values(f(a))), onJs(() => values(f(a))));
      expectSame(onNative(() => values(f(aT))), onJs(() => values(f(aT))));
    }
  });

  it('reductions over leading, trailing and several axes of large inputs, in the reference order', () => {
    const x = big([300, 40, 90], 4, 'float64');
    for (const axes of [[0], [1], [2], [0, 2], [0, 1, 2]]) {
      for (const f of [(t: Tensor) => sum(t, axes), (t: Tensor) => max(t, axes), (t: Tensor) => prod(t.mul(0.001).add(1), axes)]) {
        expectSame(onNative(() => values(f(x))), onJs(() => values(f(x))));
      }
    }
    for (const axis of [0, 1, 2]) expectSame(onNative(() => values(argmax(x, axis))), onJs(() => values(argmax(x, axis))));
    // A convolution's bias gradient: a few channels, each summed over the batch and the image.
    for (const channels of [3, 8, 13]) {
      const y = big([64, channels, 28, 28], 9);
      for (const f of [(t: Tensor) => sum(t, [0, 2, 3]), (t: Tensor) => max(t, [0, 2, 3]), (t: Tensor) => argmax(t.reshape([64, channels, 784]).transpose(0, 1).reshape([channels, -1]), 1)]) {
        expectSame(onNative(() => values(f(y))), onJs(() => values(f(y))));
      }
    }
  });

  it('float32 products go to oneDNN when the build found its headers, float64 ones to OpenBLAS', () => {
    const hasDnnl = existsSync('/usr/include/oneapi/dnnl/dnnl.h');
    expect(nativeInfo().blas).toMatch(hasDnnl ? /^OpenBLAS .*; float32 GEMM: oneDNN \d+\.\d+\.\d+ \(\w+\)$/ : /^(OpenBLAS|CBLAS)[^;]*$/);
  });

  it('batched matmul: many small matrices on the pool, a batch times one matrix as one GEMM, products cut into slices, the largest float64 ones on OpenBLAS threads', () => {
    // [a shape, b shape, how b is laid out]: transposed views are read in place, a view with no
    // unit stride is packed (per slice when a product is cut into slices of rows or columns).
    const dense = (shape: number[], dtype: 'float32' | 'float64') => big(shape, 6, dtype);
    const transposed = (shape: number[], dtype: 'float32' | 'float64') => transpose(big([...shape.slice(0, -2), shape.at(-1)!, shape.at(-2)!], 6, dtype), -1, -2);
    const gapped = (shape: number[], dtype: 'float32' | 'float64') => slice(big(shape.map((n) => 2 * n), 6, dtype), shape.map(() => 0), shape.map((n) => 2 * n), shape.map(() => 2));
    const cases: [number[], number[], typeof dense][] = [
      [[64, 33, 17], [64, 17, 40], dense], [[8, 128, 64], [64, 96], dense], [[300, 200], [200, 310], dense],
      [[64, 784], [784, 128], transposed], [[128, 70], [70, 40], gapped], [[3, 100, 90], [3, 90, 80], transposed],
      [[40, 300], [300, 96], dense], [[600, 600], [600, 600], dense], [[520, 300], [300, 100], transposed], [[90, 400], [400, 500], gapped],
      // Past 2^28 multiply-adds: float64 on OpenBLAS's threads, float32 (oneDNN) still in slices.
      [[700, 650], [650, 640], transposed],
    ];
    for (const [sa, sb, layout] of cases) {
      for (const dtype of ['float32', 'float64'] as const) {
        const a = big(sa, 5, dtype), b = layout(sb, dtype);
        const scale = onJs(() => values(matmul(a.abs(), b.abs())));
        const got = onNative(() => values(matmul(a, b))), want = onJs(() => values(matmul(a, b)));
        const worst = got.reduce((m, g, i) => Math.max(m, Math.abs(g - want[i]!) / scale[i]!), 0);
        expect(worst).toBeLessThanOrEqual(dtype === 'float32' ? 1e-5 : 1e-12);
      }
    }
  });

  it('maxPool2dIndices: the same positions as the reference, with ties, NaN, -Infinity, every dtype and strided inputs', () => {
    type W = { kernel: [number, number]; stride: [number, number]; padding: [number, number]; dilation: [number, number] };
    const cases: [number[], W][] = [
      [[64, 8, 28, 28], { kernel: [2, 2], stride: [2, 2], padding: [0, 0], dilation: [1, 1] }],
      [[3, 2, 9, 7], { kernel: [3, 3], stride: [2, 2], padding: [1, 1], dilation: [1, 1] }],
      [[2, 3, 11, 6], { kernel: [2, 3], stride: [1, 1], padding: [1, 1], dilation: [2, 2] }],
      [[2, 2, 5, 4], { kernel: [3, 2], stride: [3, 1], padding: [1, 0], dilation: [1, 3] }],
      // More windows than the native kernel's block of about 1024: blocks of 13 output rows, the
      // last one partial; and rows longer than a block, one row per block.
      [[2, 2, 75, 75], { kernel: [3, 3], stride: [1, 1], padding: [1, 1], dilation: [1, 1] }],
      [[1, 2, 3, 1100], { kernel: [2, 2], stride: [1, 1], padding: [0, 1], dilation: [1, 1] }],
    ];
    for (const [shape, a] of cases) {
      const [N, C, H, W] = shape as [number, number, number, number];
      const OH = Math.floor((H + 2 * a.padding[0] - a.dilation[0] * (a.kernel[0] - 1) - 1) / a.stride[0]) + 1;
      const OW = Math.floor((W + 2 * a.padding[1] - a.dilation[1] * (a.kernel[1] - 1) - 1) / a.stride[1]) + 1;
      for (const dtype of ['float64', 'float32', 'int32', 'bool'] as const) {
        // Few distinct values, so windows tie; NaN and -Infinity sprinkled among the floats.
        const value = (i: number) => {
          const v = ((i * 7919) % 13) - 6;
          if (dtype === 'bool') return v > 0 ? 1 : 0;
          if (dtype === 'int32') return v;
          return i % 7 === 2 ? NaN : i % 11 === 3 ? -Infinity : v;
        };
        const dense = view(shape, [C * H * W, H * W, W, 1], 0, dtype, value);
        const strided = view(shape, [1, N, N * C * W, N * C], 3, dtype, value);
        for (const x of [dense, strided]) expectSame(...both('maxPool2dIndices', [x], [N, C, OH * OW], 'int32', a));
      }
    }
  });

  it('unfold2d, fold2d, gather and scatterAdd on batches large enough to be split', () => {
    const x = big([32, 8, 28, 28], 7);
    const opts = { stride: [2, 1] as [number, number], padding: [1, 2] as [number, number], dilation: [1, 2] as [number, number] };
    expectSame(onNative(() => values(unfold2d(x, 3, opts))), onJs(() => values(unfold2d(x, 3, opts))));
    const cols = onJs(() => unfold2d(x, 3, opts));
    expectSame(onNative(() => values(fold2d(cols, [28, 28], 3, opts))), onJs(() => values(fold2d(cols, [28, 28], 3, opts))));
    // Stride-1 windows as wide as the image (a 'same' convolution) copy and add whole rows at a
    // time, and windows that never leave the image (pooling) are one indexed copy: kernel sizes,
    // strides, paddings and dilations around those cases, images down to one row, float64 and
    // float32, and inputs or columns that are transposed views.
    type Opts = { padding: [number, number]; dilation?: [number, number]; stride?: [number, number] };
    const same: [number[], number, Opts][] = [
      [[64, 8, 14, 14], 3, { padding: [1, 1] }], [[3, 2, 9, 7], 5, { padding: [2, 2] }], [[2, 3, 11, 6], 3, { padding: [2, 2], dilation: [2, 2] }],
      [[2, 2, 1, 5], 3, { padding: [1, 1] }], [[2, 2, 2, 3], 3, { padding: [1, 1] }], [[4, 3, 6, 5], 1, { padding: [0, 0] }], [[2, 4, 7, 9], 3, { padding: [0, 1] }],
      [[64, 8, 14, 14], 2, { padding: [0, 0], stride: [2, 2] }], [[3, 2, 9, 7], 3, { padding: [0, 0], stride: [2, 1] }], [[2, 3, 10, 11], 3, { padding: [1, 0], stride: [3, 2], dilation: [1, 2] }],
    ];
    for (const [shape, k, o] of same) {
      for (const dtype of ['float64', 'float32'] as const) {
        const img = big(shape, 10, dtype);
        for (const v of [img, transpose(big([shape[0]!, shape[1]!, shape[3]!, shape[2]!], 11, dtype), 2, 3)]) {
          expectSame(onNative(() => values(unfold2d(v, k, o))), onJs(() => values(unfold2d(v, k, o))));
          const c = onJs(() => unfold2d(v, k, o));
          const cT = transpose(onJs(() => c.transpose(1, 2).contiguous()), 1, 2);
          for (const cc of [c, cT]) {
            expectSame(onNative(() => values(fold2d(cc, [v.shape[2]!, v.shape[3]!], k, o))), onJs(() => values(fold2d(cc, [v.shape[2]!, v.shape[3]!], k, o))));
          }
        }
      }
    }
    const src = big([500, 300], 8, 'float64');
    const index = reshape(tensor(Int32Array.from({ length: 500 * 300 }, (_, i) => (i * 7919) % 300), { dtype: 'int32' }), [500, 300]);
    expectSame(onNative(() => values(gather(src, 1, index))), onJs(() => values(gather(src, 1, index))));
    expectSame(onNative(() => values(scatterAddZeros(src, 1, index, [500, 300]))), onJs(() => values(scatterAddZeros(src, 1, index, [500, 300]))));
  });
});

describe('fused kernels', () => {
  const rows = [1, -Infinity, 2, 0.5, -Infinity, -Infinity, -Infinity, -Infinity, 1, Infinity, 0, -3, NaN, 1, 2, 4, 600, -600, 599, 0];
  const special = (dtype: DType): View => view([5, 4], [4, 1], 0, dtype, (i) => rows[i]!);

  it('softmax and logSoftmax: masked entries, all-masked and infinite slices, NaN, large values (as PyTorch)', () => {
    for (const dtype of ['float64', 'float32'] as const) {
      for (const op of ['softmax', 'logSoftmax']) {
        const [got, want] = both(op, [special(dtype)], [5, 4], dtype, { axis: 1 });
        expectClose(got, want, dtype === 'float64' ? 1e-12 : 1e-6);
      }
    }
    const [sm] = both('softmax', [special('float64')], [5, 4], 'float64', { axis: 1 });
    const [ls] = both('logSoftmax', [special('float64')], [5, 4], 'float64', { axis: 1 });
    expect(sm.slice(4, 8)).toEqual([NaN, NaN, NaN, NaN]); // every entry masked: NaN, as PyTorch
    expect(sm[1]).toBe(0);
    expect(ls.slice(8, 12)).toEqual([-Infinity, NaN, -Infinity, -Infinity]); // x - logsumexp(x), logsumexp = +Infinity
    expect(sm.slice(12, 16)).toEqual([NaN, NaN, NaN, NaN]);
  });

  it('along a strided axis, on a gapped layout, and over slices of length 0 and 1', () => {
    const x = view([3, 5, 2], [1, 6, 31], 2, 'float64', (i) => Math.sin(i) * 3);
    for (const op of ['softmax', 'logSoftmax']) {
      for (const axis of [0, 1, 2]) {
        const [got, want] = both(op, [x], [3, 5, 2], 'float64', { axis });
        expectClose(got, want, 1e-12);
      }
      expect(both(op, [view([2, 0, 3], [0, 3, 1], 0, 'float64', () => 1)], [2, 0, 3], 'float64', { axis: 1 })[0]).toEqual([]);
      expect(both(op, [view([], [], 1, 'float32', () => 7)], [], 'float32', { axis: 0 })[0]).toEqual([op === 'softmax' ? 1 : 0]);
    }
    for (const dims of [1, 2, 3]) {
      const [got, want] = both('layerNorm', [x], [3, 5, 2], 'float64', { dims, eps: 1e-5 });
      expectSame(got, want);
    }
  });

  it('large inputs, split over the pool, agree with the reference: softmax, gelu (both forms), layer norm and their derivatives', () => {
    const big = (dtype: DType, seed: number): View => view([64, 40, 33], [1320, 33, 1], 0, dtype, (i) => Math.sin(i * 0.37 + seed) * 4);
    for (const dtype of ['float64', 'float32'] as const) {
      const rtol = dtype === 'float64' ? 1e-12 : 1e-5;
      const x = big(dtype, 0), g = big(dtype, 1);
      const shape = [64, 40, 33];
      const close = (op: string, inputs: View[], attrs: object): void => {
        const [got, want] = both(op, inputs, shape, dtype, attrs);
        const scale = Math.max(...want.map(Math.abs));
        got.forEach((v, i) => { if (!(Math.abs(v - want[i]!) <= rtol * scale)) expect(`${op} [${i}] ${v}`).toBe(`${op} [${i}] ${want[i]}`); });
      };
      close('softmax', [x], { axis: 2 });
      close('logSoftmax', [x], { axis: 1 });
      close('softmaxBackward', [x, g], { axis: 2 });
      close('logSoftmaxBackward', [x, g], { axis: 0 });
      for (const tanh of [false, true]) {
        close('gelu', [x], { tanh });
        close('geluBackward', [x, g], { tanh });
      }
      close('layerNorm', [x], { dims: 1, eps: 1e-5 });
      close('layerNormBackward', [x, g], { dims: 2, eps: 1e-5 });
    }
  });
});

describe('errors and the JavaScript glue', () => {
  it('an out-of-range gather or scatterAdd index is the reference RangeError', () => {
    const x = tensor([[1, 2], [3, 4]]);
    const bad = tensor([[0, 2]], { dtype: 'int32' });
    const message = onJs(() => { try { gather(x, 1, bad); return ''; } catch (e) { return (e as Error).message; } });
    expect(message).toMatch(/out of range/);
    expect(() => onNative(() => gather(x, 1, bad))).toThrow(new RangeError(message));
    expect(() => onNative(() => scatterAddZeros(tensor([[1, 2]]), 1, bad, [1, 2]))).toThrow(RangeError);
  });

  it('a large gather or scatterAdd, split over the pool, reports the first out-of-range index in index order', () => {
    const rows = 400, cols = 500;
    const src = randn([rows, cols], { seed: 12 });
    const index = Int32Array.from({ length: rows * cols }, (_, i) => (i * 31) % cols);
    index[150_123] = cols + 7;
    index[60_001] = -cols - 3;
    index[190_000] = cols + 99;
    const idx = reshape(tensor(index, { dtype: 'int32' }), [rows, cols]);
    const errorOf = (f: () => unknown) => { try { f(); return ''; } catch (e) { return `${(e as Error).constructor.name}: ${(e as Error).message}`; } };
    for (const f of [() => gather(src, 1, idx), () => scatterAddZeros(src, 1, idx, [rows, cols])]) {
      const want = onJs(() => errorOf(f));
      expect(want).toMatch(/RangeError: .*index -503 is out of range/);
      expect(onNative(() => errorOf(f))).toBe(want);
    }
  });

  it('refuses views that reach outside their storage, shapes that do not match, and storage of the wrong dtype', () => {
    const k = kernel(native, 'add');
    const small = { buf: new Float32Array(40), offset: 0, shape: [10], strides: [1], dtype: 'float32' as const };
    const outside = { ...small, offset: 35 };
    expect(() => k([outside, small], fresh([10], 'float32'), {})).toThrow(/reaches outside its storage/);
    expect(() => k([{ ...small, strides: [-1] }, small], fresh([10], 'float32'), {})).toThrow(RangeError);
    expect(() => k([small, { ...small, shape: [5] }], fresh([10], 'float32'), {})).toThrow(/shape/);
    expect(() => k([{ ...small, dtype: 'float64' }, small], fresh([10], 'float32'), {})).toThrow(TypeError);
    expect(() => kernel(native, 'matmul')([fresh([2, 3], 'float32'), fresh([4, 2], 'float32')], fresh([2, 2], 'float32'), {})).toThrow(/matmul/);
  });

  it('storage that starts at a byte offset, and enough views in one call to grow the scratch', () => {
    const backing = new Float64Array(64).map((_, i) => i);
    const t = new Tensor(new Float64Array(backing.buffer, 8 * 5, 40), [5, 8], [8, 1], 0, 'float64');
    expectSame(onNative(() => values(t.mul(2).sum(0))), onJs(() => values(t.mul(2).sum(0))));
    // 300 rank-8 inputs need 300 * (3 + 2 * 8) scratch entries, more than the first 4096.
    const parts = Array.from({ length: 300 }, (_, i) => reshape(rand([2], { seed: i }), [1, 1, 1, 1, 1, 1, 1, 2]));
    expectSame(onNative(() => values(concat(parts, 0))), onJs(() => values(concat(parts, 0))));
  });

  it('by default, outputs of at most 64 bytes run on the base kernel unless an input is large, larger ones natively', () => {
    const calls: number[] = [];
    const base: Backend = {
      ...jsBackend,
      add: (i, o, a) => { calls.push(o.buf.length); jsBackend.add(i, o, a); },
      sum: (i, o, a) => { calls.push(-o.buf.length); jsBackend.sum(i, o, a); },
    };
    const b = nativeBackend({ base });
    const previous = setBackend(b);
    try {
      tensor([1, 2, 3, 4]).add(1);
      randn([1000]).add(1);
      randn([8], { dtype: 'float64' }).add(1);
      randn([9], { dtype: 'float64' }).add(1);
      randn([8, 100]).sum(1);
      randn([8, 4096]).sum(1);
    } finally {
      setBackend(previous);
    }
    expect(calls).toEqual([4, 8, -8]);
    expect(b.name).toBe('native');
    expect(() => nativeBackend({ minBytes: -1 })).toThrow(RangeError);
  });

  it('maximum and minimum of tensors with ties keep the reference choice of zero sign', () => {
    const a = tensor([-0, 0, 1], { dtype: 'float64' }), b = tensor([0, -0, 1], { dtype: 'float64' });
    expectSame(onNative(() => values(maximum(a, b))), onJs(() => values(maximum(a, b))));
    expectSame(onNative(() => values(minimum(a, b))), onJs(() => values(minimum(a, b))));
  });
});

describe('several JavaScript threads', () => {
  it('Workers load the addon and run native kernels while the main thread does, with the same results', async () => {
    const { Worker } = await import('node:worker_threads');
    const entry = new URL('../../packages/tapegrad/dist/node.js', import.meta.url).href;
    // The built package, as a Worker gets it (the suite builds first).
    const code = `
      const { parentPort } = require('node:worker_threads');
      import(${JSON.stringify(entry)}).then((tg) => {
        const out = [];
        for (let i = 0; i < 20; i++) {
          const a = tg.randn([300, 200], { seed: i }), b = tg.randn([200, 250], { seed: i + 1 });
          out.push(tg.sum(tg.exp(tg.matmul(a, b).mul(0.01))).item() + tg.sum(tg.tanh(a)).item());
        }
        parentPort.postMessage({ backend: tg.getBackend().name, out });
      });
    `;
    const run = () => new Promise<{ backend: string; out: number[] }>((ok, fail) => {
      const w = new Worker(code, { eval: true });
      w.once('message', (m) => { ok(m); void w.terminate(); });
      w.once('error', fail);
    });
    const workers = [run(), run()];
    const here = onNative(() => {
      const out: number[] = [];
      for (let i = 0; i < 20; i++) {
        const a = randn([300, 200], { seed: i }), b = randn([200, 250], { seed: i + 1 });
        out.push(sum(matmul(a, b).mul(0.01).exp()).item() + sum(a.tanh()).item());
      }
      return out;
    });
    for (const w of await Promise.all(workers)) {
      expect(w.backend).toBe('native');
      expect(w.out).toEqual(here);
    }
  }, 60_000);
});

describe('factorizations that fail', () => {
  /** The error a kernel throws, with its class, message and batch index. */
  function failure(backend: Backend, op: 'solve' | 'cholesky' | 'eigh' | 'svd', inputs: View[], out: View, attrs: object = {}): unknown {
    try {
      (backend[op] as (i: readonly View[], o: View, a: unknown) => void)(inputs, out, attrs);
    } catch (err) {
      const e = err as { name: string; message: string; batchIndex?: unknown };
      return { name: e.name, message: e.message, batchIndex: e.batchIndex };
    }
    return 'no error';
  }
  const eye = (i: number): number => (Math.floor(i / 3) % 3 === i % 3 ? 1 : 0);

  it('solve: a singular matrix in a batch is a LinAlgError naming its batch index, as in the reference', () => {
    // Batch [2, 2] of 3x3 matrices: identity, except entry [1, 0] whose last row is zero.
    const a = view([2, 2, 3, 3], [18, 9, 3, 1], 0, 'float64', (i) => (i >= 18 && i < 27 && Math.floor(i / 3) % 3 === 2 ? 0 : eye(i)));
    const b = view([2, 2, 3, 1], [3, 6, 1, 1], 0, 'float64', (i) => i + 1);
    const want = failure(jsBackend, 'solve', [a, b], fresh([2, 2, 3, 1], 'float64'));
    expect(want).toMatchObject({ name: 'LinAlgError', batchIndex: [1, 0] });
    expect(failure(native, 'solve', [a, b], fresh([2, 2, 3, 1], 'float64'))).toEqual(want);
  });

  it('cholesky: a matrix that is not positive definite, or has NaN, is a LinAlgError naming its batch index', () => {
    for (const bad of [-1, NaN]) {
      const a = view([3, 3, 3], [9, 3, 1], 0, 'float32', (i) => (i === 9 + 4 ? bad : eye(i)));
      const want = failure(jsBackend, 'cholesky', [a], fresh([3, 3, 3], 'float32'));
      expect(want).toMatchObject({ name: 'LinAlgError', batchIndex: [1] });
      expect(failure(native, 'cholesky', [a], fresh([3, 3, 3], 'float32'))).toEqual(want);
    }
  });

  it('eigh: a NaN or infinite entry of the lower triangle, on or off the diagonal, is a LinAlgError naming its batch index', () => {
    // Batch [2, 2] of 3x3 identities; entry [1, 1] gets the bad value at [2, 0] or [1, 1].
    for (const [bad, at] of [[NaN, 18 + 6], [Infinity, 27 + 6], [-Infinity, 27 + 4], [NaN, 27 + 4]] as const) {
      for (const dtype of ['float64', 'float32'] as const) {
        const a = view([2, 2, 3, 3], [18, 9, 3, 1], 0, dtype, (i) => (i === at ? bad : eye(i)));
        const want = failure(jsBackend, 'eigh', [a], fresh([2, 2, 4, 3], dtype));
        expect(want).toMatchObject({ name: 'LinAlgError', message: 'the iteration did not converge: the matrix has NaN or infinite entries', batchIndex: [1, Math.floor(at / 9) - 2] });
        expect(failure(native, 'eigh', [a], fresh([2, 2, 4, 3], dtype))).toEqual(want);
      }
    }
    const one = view([1, 1], [1, 1], 0, 'float64', () => NaN);
    expect(failure(native, 'eigh', [one], fresh([2, 1], 'float64'))).toEqual(failure(jsBackend, 'eigh', [one], fresh([2, 1], 'float64')));
    expect(failure(native, 'eigh', [one], fresh([2, 1], 'float64'))).toMatchObject({ name: 'LinAlgError', batchIndex: [] });
  });

  it('eigh reads only the lower triangle: NaN above the diagonal is no error', () => {
    const a = view([3, 3], [3, 1], 0, 'float64', (i) => (i % 3 > Math.floor(i / 3) ? NaN : i + 1));
    const [got, want] = both('eigh', [a], [4, 3], 'float64');
    expect(want.every(Number.isFinite)).toBe(true);
    expectScaled(got, want, 1e-13);
  });

  it('svd: a NaN or infinite entry anywhere, also in a single row or column, is a LinAlgError naming its batch index', () => {
    for (const [shape, at] of [[[3, 4, 2], 8 + 7], [[3, 2, 4], 8 + 1], [[3, 1, 4], 4 + 2], [[3, 4, 1], 4 + 3]] as const) {
      for (const [bad, computeUV] of [[NaN, true], [Infinity, false], [-Infinity, true]] as const) {
        const [b, m, n] = shape;
        const a = view([b, m, n], [m * n, n, 1], 0, 'float32', (i) => (i === at ? bad : Math.sin(i + 1)));
        const k = Math.min(m, n);
        const outShape = computeUV ? [b, m + 1 + k, n] : [b, k];
        const want = failure(jsBackend, 'svd', [a], fresh(outShape, 'float32'), { computeUV });
        expect(want).toMatchObject({ name: 'LinAlgError', message: 'the iteration did not converge: the matrix has NaN or infinite entries', batchIndex: [1] });
        expect(failure(native, 'svd', [a], fresh(outShape, 'float32'), { computeUV })).toEqual(want);
      }
    }
  });
});

/** Equal where the reference is not finite, else within rtol of the largest finite |want|. */
function expectScaled(got: number[], want: number[], rtol: number): void {
  expect(got.length).toBe(want.length);
  const scale = want.reduce((m, w) => (Number.isFinite(w) ? Math.max(m, Math.abs(w)) : m), 0);
  got.forEach((g, i) => {
    const w = want[i]!;
    if (!(Object.is(g, w) || Math.abs(g - w) <= rtol * scale)) expect(`[${i}] ${g}`).toBe(`[${i}] ${w} (rtol ${rtol} of ${scale})`);
  });
}

describe('eigh and svd (LAPACK) against the Jacobi reference: packed layout, order and signs', () => {
  // Batch [2, 3] with a gap between matrices, and each matrix column-major, so the kernels read strides.
  function batch(m: number, n: number, dtype: DType, value: (flat: number) => number): View {
    return view([2, 3, m, n], [3 * (m * n + 2), m * n + 2, 1, m], 1, dtype, value);
  }
  const RTOL = { float64: 1e-12, float32: 1e-5 } as const;

  it('eigh: ascending eigenvalues in row 0, unit eigenvectors as columns, largest entry positive', () => {
    for (const n of [1, 2, 5, 40]) {
      for (const dtype of ['float64', 'float32'] as const) {
        // The entry at flat index (row r, column c) of matrix b: symmetric in (r, c), NaN above the diagonal.
        const a = batch(n, n, dtype, (i) => {
          const b = Math.floor(i / (n * n)), r = Math.floor(i / n) % n, c = i % n;
          return c > r ? NaN : Math.sin(1.3 * (b + 1) * (r + 1) * (c + 2) + r + c) * 2 + (r === c ? r * 0.7 : 0);
        });
        const [got, want] = both('eigh', [a], [2, 3, n + 1, n], dtype);
        const per = (n + 1) * n;
        for (let b = 0; b < 6; b++) expectScaled(got.slice(b * per, (b + 1) * per), want.slice(b * per, (b + 1) * per), RTOL[dtype]);
      }
    }
  });

  it('svd: tall, wide and square, with and without U and Vh', () => {
    for (const [m, n] of [[7, 4], [3, 6], [5, 5], [1, 3], [4, 1], [30, 33]]) {
      const k = Math.min(m, n);
      for (const dtype of ['float64', 'float32'] as const) {
        const a = batch(m, n, dtype, (i) => Math.sin(0.37 * i * i + i) * 3 + Math.cos(i));
        for (const computeUV of [true, false]) {
          const per = computeUV ? (m + 1 + k) * n : k;
          const [got, want] = both('svd', [a], computeUV ? [2, 3, m + 1 + k, n] : [2, 3, k], dtype, { computeUV });
          for (let b = 0; b < 6; b++) expectScaled(got.slice(b * per, (b + 1) * per), want.slice(b * per, (b + 1) * per), RTOL[dtype]);
        }
      }
    }
  });

  it('svd of a rank-deficient matrix: the same singular values (zeros included), and U diag(S) Vh reconstructs it', () => {
    // Rank 2, 5x4: the vectors for the zero singular values are not unique, the product is.
    const u = [1, -2, 0.5, 3, 1], v = [2, 1, -1, 0.5], w = [0, 1, 1, -2, 4], x = [1, 1, 3, -1];
    const a = view([5, 4], [4, 1], 0, 'float64', (i) => u[Math.floor(i / 4)]! * v[i % 4]! + w[Math.floor(i / 4)]! * x[i % 4]!);
    const [gotS, wantS] = both('svd', [a], [4], 'float64', { computeUV: false });
    expectScaled(gotS, wantS, 1e-12);
    expect(gotS[3]! / gotS[0]!).toBeLessThan(1e-14);
    const [got] = both('svd', [a], [10, 4], 'float64', { computeUV: true });
    const rebuilt = Array.from({ length: 20 }, (_, i) => {
      const r = Math.floor(i / 4), c = i % 4;
      let s = 0;
      for (let j = 0; j < 4; j++) s += got[r * 4 + j]! * got[20 + j]! * got[24 + j * 4 + c]!;
      return s;
    });
    expectScaled(rebuilt, Array.from({ length: 20 }, (_, i) => a.buf[i]!), 1e-14);
  });

  it('svd of exactly rank-deficient matrices: zero singular values exactly 0, completed as in the reference', () => {
    // Dependent columns, a zero column, a zero matrix (tall and wide): LAPACK's one-sided Jacobi
    // finds the same exact zeros as the reference, whose completion of U (or Vh) it shares.
    const cases: [number[][], number][] = [
      [[[1, 2], [2, 4], [3, 6]], 1], [[[1, 2, 3], [2, 4, 6]], 1], [[[1, 0, 2], [3, 0, 1], [0, 0, 5], [1, 0, 1]], 2],
      [[[0, 0], [0, 0], [0, 0]], 0], [[[0, 0, 0], [0, 0, 0]], 0],
    ];
    for (const [rowsOf, rank] of cases) {
      const m = rowsOf.length, n = rowsOf[0]!.length, k = Math.min(m, n);
      const a = view([m, n], [1, m], 0, 'float64', (i) => rowsOf[Math.floor(i / n)]![i % n]!); // stored column-major
      const [got, want] = both('svd', [a], [m + 1 + k, n], 'float64', { computeUV: true });
      expectScaled(got, want, 1e-14);
      expect(got.slice(m * n + rank, m * n + k)).toEqual(Array(k - rank).fill(0));
    }
  });
});
