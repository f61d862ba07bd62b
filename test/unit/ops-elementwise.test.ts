/**
 * Edge cases of the research set's elementwise ops: PyTorch's rounding and modulo signs, integer
 * dtypes, accuracy where naive formulas lose it (erfc tails, expm1, log2/log10 at exact powers),
 * infinities and NaN, and gradients that must stay finite there.
 */
import { describe, expect, it } from 'vitest';
import {
  acosh, asinh, atan2, atanh, ceil, erfc, expm1, floor, fmod, hypot, lerp, log10, log2, logaddexp, mish, nanToNum,
  reciprocal, remainder, round, silu, sum, tensor, trunc, zeros, type Tensor,
} from '@tapegrad/tensor';
import { grad } from '@tapegrad/autograd';

const f64 = (v: number[] | number[][]): Tensor => tensor(v, { dtype: 'float64' });
const i32 = (v: number[]): Tensor => tensor(v, { dtype: 'int32' });
const values = (t: Tensor): number[] => Array.from(t.data());
const rel = (a: number, b: number): number => Math.abs(a - b) / Math.abs(b);
const gradOf = (f: (t: Tensor) => Tensor, x: Tensor): number[] => values(grad((t: Tensor) => sum(f(t)))(x) as Tensor);

describe('floor, ceil, round, trunc', () => {
  it('round halves to the even neighbour and keeps the sign of zero, as PyTorch', () => {
    const r = values(round(f64([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 0.49999999999999994, 3.7, -3.7, 2 ** 53 + 2])));
    expect(r).toEqual([0, 2, 2, -0, -2, -2, 0, 4, -4, 2 ** 53 + 2]);
    expect(Object.is(r[3], -0)).toBe(true);
    expect(Object.is(r[0], 0)).toBe(true);
    expect(values(round(tensor([2.5, -3.5, 1e30])))).toEqual([2, -4, Math.fround(1e30)]);
  });

  it('floor, ceil and trunc round towards -inf, +inf and 0', () => {
    const x = f64([-1.5, -0.5, 0.5, 1.5, Infinity, NaN]);
    expect(values(floor(x))).toEqual([-2, -1, 0, 1, Infinity, NaN]);
    expect(values(ceil(x))).toEqual([-1, -0, 1, 2, Infinity, NaN]);
    expect(values(trunc(x))).toEqual([-1, -0, 0, 1, Infinity, NaN]);
  });

  it('keep integer dtypes (bool computes as int32) and float dtypes', () => {
    expect(floor(i32([3, -2])).dtype).toBe('int32');
    expect(values(round(i32([3, -2])))).toEqual([3, -2]);
    expect(ceil(tensor([true, false])).dtype).toBe('int32');
    expect(trunc(tensor([1.5])).dtype).toBe('float32');
    expect(floor(f64([1.5])).dtype).toBe('float64');
  });

  it('have a zero gradient', () => {
    for (const f of [floor, ceil, round, trunc]) expect(gradOf(f, f64([-1.3, 0.2, 2.7]))).toEqual([0, 0, 0]);
  });

  it('work on 0-d and empty tensors', () => {
    expect(round(f64([2.5]).reshape([])).item()).toBe(2);
    expect(floor(zeros([0, 3])).shape).toEqual([0, 3]);
  });
});

describe('fmod and remainder', () => {
  const a = [5, -5, 5, -5, 5.5, -0, 7];
  const b = [3, 3, -3, -3, 2, 3, Infinity];
  it('take the sign of the dividend (fmod) or of the divisor (remainder), as PyTorch', () => {
    const fm = values(fmod(f64(a), f64(b)));
    const rm = values(remainder(f64(a), f64(b)));
    expect(fm).toEqual([2, -2, 2, -2, 1.5, -0, 7]);
    expect(rm).toEqual([2, 1, -1, -2, 1.5, -0, 7]);
    expect(Object.is(fm[5], -0) && Object.is(rm[5], -0)).toBe(true);
  });

  it('divide integers exactly, keep int32, and refuse an integer division by zero', () => {
    expect(fmod(i32([5, -5]), i32([3, 3])).dtype).toBe('int32');
    expect(values(fmod(i32([5, -5]), i32([3, 3])))).toEqual([2, -2]);
    expect(values(remainder(i32([5, -5]), i32([-3, 3])))).toEqual([-1, 1]);
    expect(values(remainder(i32([7]), 4))).toEqual([3]);
    expect(() => fmod(i32([5]), i32([0]))).toThrow(/^fmod: integer division by zero$/);
    expect(() => remainder(i32([5, 1]), 0)).toThrow(RangeError);
    expect(values(fmod(f64([5, 0]), 0)).every(Number.isNaN)).toBe(true);
  });

  it('have gradients 1 and -q(a / b) (q = trunc for fmod, floor for remainder)', () => {
    const b0 = f64([3, -3, 2]);
    const ga = grad((x: Tensor, y: Tensor) => sum(fmod(x, y)), { argnums: [0, 1] })(f64([5, 5, -5.5]), b0) as Tensor[];
    expect(values(ga[0]!)).toEqual([1, 1, 1]);
    expect(values(ga[1]!)).toEqual([-1, 1, 2]);
    const gr = grad((y: Tensor) => sum(remainder(f64([5, 5, -5.5]), y)))(b0) as Tensor;
    expect(values(gr)).toEqual([-1, 2, 3]);
  });
});

describe('transcendental functions', () => {
  it('erfc is accurate far into its tail and at both infinities', () => {
    const xs = [0.5, 1, 3, 5, 10, 26, -3];
    // Python's math.erfc (the C library's).
    const ref = [0.4795001221869535, 0.15729920705028513, 2.2090496998585438e-5, 1.5374597944280351e-12, 2.088487583762545e-45, 5.663192408856143e-296, 1.9999779095030015];
    values(erfc(f64(xs))).forEach((v, i) => expect(rel(v, ref[i]!)).toBeLessThan(4e-15));
    expect(values(erfc(f64([Infinity, -Infinity, NaN, 30])))).toEqual([0, 2, NaN, 0]);
  });

  it('expm1, asinh and atanh keep their relative accuracy near 0', () => {
    expect(expm1(f64([1e-10])).item()).toBe(1.00000000005e-10);
    expect(asinh(f64([-1e-8])).item()).toBe(-9.999999999999999e-9);
    expect(atanh(f64([1e-9])).item()).toBe(1e-9);
  });

  it('log2 and log10 are exact at powers of 2 and 10', () => {
    const e2 = Array.from({ length: 2098 }, (_, i) => i - 1074);
    expect(values(log2(f64(e2.map((e) => 2 ** e))))).toEqual(e2);
    const e10 = Array.from({ length: 601 }, (_, i) => i - 300);
    expect(values(log10(f64(e10.map((e) => Number(`1e${e}`)))))).toEqual(e10);
    expect(values(log2(tensor([8, 0.125])))).toEqual([3, -3]);
  });

  it('the inverse hyperbolic functions give NaN and infinities where PyTorch does', () => {
    expect(values(acosh(f64([0.5, 1])))).toEqual([NaN, 0]);
    expect(values(atanh(f64([1, -1, 2])))).toEqual([Infinity, -Infinity, NaN]);
    expect(asinh(f64([1e300])).item()).toBe(691.4686750787736);
  });

  it('asinh has a finite gradient at huge inputs (no x^2 overflow)', () => {
    const g = gradOf(asinh, f64([1e200, -1e200]));
    expect(g.map((v) => rel(v, 1e-200))).toEqual([0, 0]);
  });

  it('integer inputs compute in float32', () => {
    expect(erfc(i32([1])).dtype).toBe('float32');
    expect(atan2(i32([1]), i32([1])).dtype).toBe('float32');
    expect(hypot(i32([3]), i32([4])).dtype).toBe('float32');
    expect(reciprocal(i32([4])).dtype).toBe('float32');
    expect(values(reciprocal(i32([4])))).toEqual([0.25]);
  });
});

describe('atan2 and hypot', () => {
  it('atan2 covers all quadrants and signed zeros', () => {
    expect(values(atan2(f64([1, -0, 0, -1]), f64([-1, -1, 1, 0])))).toEqual([2.356194490192345, -Math.PI, 0, -Math.PI / 2]);
  });

  it('hypot neither overflows nor underflows', () => {
    expect(hypot(f64([1e200]), f64([1e200])).item()).toBe(1.414213562373095e200);
    expect(hypot(f64([3e-200]), f64([4e-200])).item()).toBe(5e-200);
    expect(hypot(tensor([3e30]), tensor([4e30])).item()).toBe(Math.fround(5e30));
    expect(values(hypot(f64([Infinity]), f64([NaN])))).toEqual([Infinity]);
  });
});

describe('logaddexp, silu, mish', () => {
  it('logaddexp is exact at large magnitudes and handles infinities', () => {
    expect(logaddexp(f64([1000]), f64([1000])).item()).toBe(1000 + Math.LN2);
    expect(logaddexp(f64([-1000]), f64([-1000])).item()).toBe(-1000 + Math.LN2);
    expect(values(logaddexp(f64([-Infinity, Infinity, -Infinity, NaN, 2]), f64([-Infinity, 1, 3, 1, Infinity])))).toEqual([-Infinity, Infinity, 3, NaN, Infinity]);
  });

  it('logaddexp has gradients softmax(a, b), 1/2 each at ties, finite at infinities', () => {
    // At (-Infinity, -Infinity) PyTorch gives NaN; tapegrad gives the limit along a = b.
    const [ga, gb] = grad((a: Tensor, b: Tensor) => sum(logaddexp(a, b)), { argnums: [0, 1] })(f64([-Infinity, 0, 1000, 2, -Infinity]), f64([-Infinity, 0, -1000, 2, 0])) as Tensor[];
    expect(values(ga!)).toEqual([0.5, 0.5, 1, 0.5, 0]);
    expect(values(gb!)).toEqual([0.5, 0.5, 0, 0.5, 1]);
  });

  it('logaddexp broadcasts and promotes integers to float32', () => {
    const r = logaddexp(i32([0, 1]), f64([[0], [1]]));
    expect(r.shape).toEqual([2, 2]);
    expect(r.dtype).toBe('float64');
    expect(logaddexp(i32([0]), 0).dtype).toBe('float32');
  });

  it('silu and mish stay finite, with finite gradients, at large |x|', () => {
    const x = f64([-800, -30, 0, 30, 800]);
    expect(values(silu(x)).every(Number.isFinite)).toBe(true);
    expect(values(mish(x))[4]).toBe(800);
    expect(values(mish(x))[0]).toBeCloseTo(0, 300);
    expect(gradOf(silu, x).every(Number.isFinite)).toBe(true);
    expect(gradOf(mish, x).every(Number.isFinite)).toBe(true);
    expect(gradOf(silu, f64([0]))).toEqual([0.5]);
  });
});

describe('lerp', () => {
  it('gives end exactly at weight 1 and start exactly at weight 0, with a number or a tensor weight', () => {
    const a = f64([0.1, -3, 7]);
    const b = f64([0.7, 1e-3, -2]);
    expect(values(lerp(a, b, 1))).toEqual(values(b));
    expect(values(lerp(a, b, 0))).toEqual(values(a));
    expect(values(lerp(a, b, f64([0, 1, 1])))).toEqual([0.1, 1e-3, -2]);
  });

  it('broadcasts the weight and has gradients 1 - w, w and b - a', () => {
    const r = lerp(f64([[0], [10]]), f64([1, 2, 3]), f64([0.5]));
    expect(r.toArray()).toEqual([[0.5, 1, 1.5], [5.5, 6, 6.5]]);
    const [ga, gb, gw] = grad((a: Tensor, b: Tensor, w: Tensor) => sum(lerp(a, b, w)), { argnums: [0, 1, 2] })(f64([1, 2]), f64([3, 6]), f64([0.25, 0.75])) as Tensor[];
    expect(values(ga!)).toEqual([0.75, 0.25]);
    expect(values(gb!)).toEqual([0.25, 0.75]);
    expect(values(gw!)).toEqual([2, 4]);
  });
});

describe('nanToNum', () => {
  it('replaces NaN and infinities by 0 and the dtype extremes, or by given values', () => {
    expect(values(nanToNum(f64([NaN, Infinity, -Infinity, 1.5])))).toEqual([0, Number.MAX_VALUE, -Number.MAX_VALUE, 1.5]);
    expect(values(nanToNum(tensor([NaN, Infinity, -Infinity])))).toEqual([0, 3.4028234663852886e38, -3.4028234663852886e38]);
    expect(values(nanToNum(f64([NaN, Infinity, -Infinity]), { nan: 1, posinf: 2, neginf: -2 }))).toEqual([1, 2, -2]);
    expect(() => nanToNum(f64([1]), { nan: 'x' as never })).toThrow(/^nanToNum: expected a number for nan, got "x"/);
  });

  it('leaves integer tensors alone and passes the gradient only where x is finite', () => {
    expect(values(nanToNum(i32([1, -2])))).toEqual([1, -2]);
    expect(gradOf((t) => nanToNum(t), f64([NaN, Infinity, -Infinity, 2]))).toEqual([0, 0, 0, 1]);
  });
});

describe('methods', () => {
  it('every new elementwise op is also a Tensor method', () => {
    const x = f64([0.25, 0.5]);
    expect(values(x.floor())).toEqual([0, 0]);
    expect(values(x.atan2(f64([1, 1])))).toEqual(values(atan2(x, f64([1, 1]))));
    expect(values(x.lerp(f64([1, 1]), 0.5))).toEqual([0.625, 0.75]);
    expect(values(x.fmod(0.3))).toEqual(values(fmod(x, 0.3)));
    expect(values(x.nanToNum())).toEqual([0.25, 0.5]);
    expect(values(x.erfc())).toEqual(values(erfc(x)));
  });
});

describe('errors name the op', () => {
  it('for operands that do not broadcast or are not tensors', () => {
    expect(() => logaddexp(zeros([2]), zeros([3]))).toThrow(/^logaddexp: cannot broadcast \[2\] with \[3\]/);
    expect(() => lerp(zeros([2]), zeros([2]), zeros([3]))).toThrow(/^lerp: cannot broadcast \[2\] with \[3\]/);
    expect(() => hypot(zeros([2]), zeros([3]))).toThrow(/^hypot: cannot broadcast/);
    expect(() => remainder(zeros([2]), 'x' as never)).toThrow(/^remainder: expected a Tensor, number or boolean operand, got "x"/);
    expect(() => silu('x' as never)).toThrow(/^silu: expected a Tensor, number or boolean operand/);
  });
});
