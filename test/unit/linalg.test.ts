/**
 * The `linalg` namespace beyond the op table: reconstruction identities at float64 precision on
 * larger matrices, batching and broadcasting, float32, the errors for singular / indefinite /
 * rank-deficient input, 1x1, 0x0 and empty batches, sign conventions, and gradients at repeated
 * eigenvalues and singular values.
 */
import { describe, expect, it } from 'vitest';
import {
  LinAlgError, ShapeError, Tensor, abs, add, cast, eye, linalg, matmul, max, mul, randn, sub, sum, tensor, transpose, unsqueeze, zeros,
} from '@tapegrad/tensor';
import { checkGrad, grad } from '@tapegrad/autograd';
import * as umbrella from 'tapegrad';

const f64 = (data: number[] | number[][] | number[][][]): Tensor => tensor(data, { dtype: 'float64' });
const gauss = (shape: number[], seed: number, dtype: 'float32' | 'float64' = 'float64'): Tensor => randn(shape, { seed, dtype });
const mT = (x: Tensor): Tensor => transpose(x, -1, -2);
const maxAbs = (x: Tensor): number => (x.size === 0 ? 0 : max(abs(x)).item());
/** max |a - b| / max(max |b|, 1e-300): the error relative to the size of the reference. */
const relErr = (a: Tensor, b: Tensor): number => {
  expect(a.shape).toEqual(b.shape);
  return maxAbs(sub(cast(a, 'float64'), cast(b, 'float64'))) / Math.max(maxAbs(cast(b, 'float64')), 1e-300);
};
const eyeLike = (n: number): Tensor => eye(n, { dtype: 'float64' });
/** Well-conditioned n x n: Gaussian plus n I (eigenvalues near n, spread about sqrt(n)). */
const wellConditioned = (n: number, seed: number, batch: number[] = []): Tensor => add(gauss([...batch, n, n], seed), mul(eyeLike(n), n));
/** Symmetric positive definite: X X^T + n I. */
const spd = (n: number, seed: number, batch: number[] = []): Tensor => {
  const x = gauss([...batch, n, n], seed);
  return add(matmul(x, mT(x)), mul(eyeLike(n), n));
};
const SIZES = [1, 2, 5, 16, 40];
/** The gradient of a function of one tensor. */
const grad1 = (f: (x: Tensor) => Tensor) => (x: Tensor): Tensor => grad(f)(x) as Tensor;

describe('linalg: reconstruction identities in float64', () => {
  it('solve recovers a known solution; inv(A) A = I', () => {
    for (const n of SIZES) {
      const A = wellConditioned(n, n);
      const X = gauss([n, 3], 100 + n);
      expect(relErr(linalg.solve(A, matmul(A, X)), X)).toBeLessThan(1e-13);
      expect(maxAbs(sub(matmul(linalg.inv(A), A), eyeLike(n)))).toBeLessThan(1e-13);
    }
  });

  it('det and slogdet: products, triangular matrices, and no overflow for large determinants', () => {
    const A = wellConditioned(6, 1), B = wellConditioned(6, 2);
    expect(Math.abs(linalg.det(matmul(A, B)).item() / (linalg.det(A).item() * linalg.det(B).item()) - 1)).toBeLessThan(1e-12);
    expect(linalg.det(f64([[2, 7, 1], [0, -3, 5], [0, 0, 4]])).item()).toBeCloseTo(-24, 12);
    // det(10 I_200) = 1e200 overflows nothing in slogdet; a row swap flips the sign.
    const [sign, logabs] = linalg.slogdet(mul(eyeLike(200), 10));
    expect(sign.item()).toBe(1);
    expect(Math.abs(logabs.item() - 200 * Math.log(10))).toBeLessThan(1e-10);
    expect(linalg.slogdet(f64([[0, 1], [1, 0]]))[0].item()).toBe(-1);
  });

  it('cholesky: L L^T = A with L lower triangular; upper gives U = L^T', () => {
    for (const n of SIZES) {
      const A = spd(n, n);
      const L = linalg.cholesky(A);
      expect(relErr(matmul(L, mT(L)), A)).toBeLessThan(1e-14);
      const l = L.toArray() as number[][];
      for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) expect(l[i]![j]).toBe(0);
      expect(linalg.cholesky(A, { upper: true }).toArray()).toEqual(mT(L).toArray());
    }
  });

  it('qr: Q R = A, Q^T Q = I, R upper triangular (tall, square, wide)', () => {
    for (const n of SIZES) {
      for (const [m, c] of [[n, n], [n + 3, n], [n, n + 3]] as const) {
        const A = gauss([m, c], m * 100 + c);
        const [Q, R] = linalg.qr(A);
        const k = Math.min(m, c);
        expect(Q.shape).toEqual([m, k]);
        expect(R.shape).toEqual([k, c]);
        expect(relErr(matmul(Q, R), A)).toBeLessThan(1e-14);
        expect(maxAbs(sub(matmul(mT(Q), Q), eyeLike(k)))).toBeLessThan(1e-14);
        const r = R.toArray() as number[][];
        for (let i = 0; i < k; i++) for (let j = 0; j < i; j++) expect(r[i]![j]).toBe(0);
      }
    }
  });

  it('eigh: A V = V diag(w), V^T V = I, ascending; the known spectrum of the 1-D Laplacian', () => {
    for (const n of SIZES) {
      const x = gauss([n, n], 7 * n);
      const A = add(x, mT(x));
      const [w, V] = linalg.eigh(A);
      expect(relErr(matmul(A, V), mul(V, unsqueeze(w, 0)))).toBeLessThan(1e-13);
      expect(maxAbs(sub(matmul(mT(V), V), eyeLike(n)))).toBeLessThan(1e-13);
      const ws = Array.from(w.data());
      expect(ws).toEqual(ws.slice().sort((a, b) => a - b));
    }
    const n = 30;
    const lap = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 2 : Math.abs(i - j) === 1 ? -1 : 0)));
    const w = Array.from(linalg.eigh(f64(lap))[0].data());
    w.forEach((v, k) => expect(Math.abs(v - (2 - 2 * Math.cos(((k + 1) * Math.PI) / (n + 1))))).toBeLessThan(1e-14));
  });

  it('eigh reads only the lower triangle', () => {
    const A = f64([[2, 100], [1, 3]]);
    const [w] = linalg.eigh(A);
    const [w2] = linalg.eigh(f64([[2, 1], [1, 3]]));
    expect(w.toArray()).toEqual(w2.toArray());
  });

  it('svd: U diag(S) Vh = A, orthonormal U and Vh, descending S (tall, square, wide)', () => {
    for (const n of SIZES) {
      for (const [m, c] of [[n, n], [n + 4, n], [n, n + 4]] as const) {
        const A = gauss([m, c], m * 31 + c);
        const [U, S, Vh] = linalg.svd(A);
        const k = Math.min(m, c);
        expect([U.shape, S.shape, Vh.shape]).toEqual([[m, k], [k], [k, c]]);
        expect(relErr(matmul(mul(U, unsqueeze(S, 0)), Vh), A)).toBeLessThan(1e-13);
        expect(maxAbs(sub(matmul(mT(U), U), eyeLike(k)))).toBeLessThan(1e-13);
        expect(maxAbs(sub(matmul(Vh, mT(Vh)), eyeLike(k)))).toBeLessThan(1e-13);
        const s = Array.from(S.data());
        expect(s).toEqual(s.slice().sort((a, b) => b - a));
        expect(s.every((v) => v >= 0)).toBe(true);
      }
    }
  });

  it('svd keeps singular values far below sqrt(eps) |A| (a Gram-matrix method cannot)', () => {
    // A = Q1 diag(s) Q2^T with s down to 1e-12: the error of every S must stay near eps |A|.
    const s = [1, 1e-3, 1e-6, 1e-9, 1e-12];
    const [Q1] = linalg.qr(gauss([8, 5], 1));
    const [Q2] = linalg.qr(gauss([5, 5], 2));
    const A = matmul(mul(Q1, unsqueeze(f64(s), 0)), mT(Q2));
    const S = Array.from(linalg.svd(A)[1].data());
    S.forEach((v, i) => expect(Math.abs(v - s[i]!)).toBeLessThan(2e-15));
    // The norms built on it, too.
    expect(Math.abs(linalg.matrixNorm(A, -2).item() - 1e-12)).toBeLessThan(2e-15);
  });

  it('svd of a rank-deficient matrix: zero singular values, U still orthonormal', () => {
    const a = gauss([6, 2], 3);
    const A = matmul(a, gauss([2, 4], 4)); // rank 2, 6 x 4
    for (const M of [A, mT(A)]) {
      const [U, S, Vh] = linalg.svd(M);
      const s = Array.from(S.data());
      expect(s[2]! / s[0]!).toBeLessThan(1e-14);
      expect(maxAbs(sub(matmul(mT(U), U), eyeLike(4)))).toBeLessThan(1e-13);
      expect(maxAbs(sub(matmul(Vh, mT(Vh)), eyeLike(4)))).toBeLessThan(1e-13);
      expect(relErr(matmul(mul(U, unsqueeze(S, 0)), Vh), M)).toBeLessThan(1e-13);
    }
  });

  it('lstsq: the normal-equations solution when tall, the minimum-norm solution when wide', () => {
    const A = gauss([9, 4], 5), B = gauss([9, 2], 6);
    const X = linalg.lstsq(A, B);
    expect(relErr(X, linalg.solve(matmul(mT(A), A), matmul(mT(A), B)))).toBeLessThan(1e-12);
    expect(maxAbs(matmul(mT(A), sub(matmul(A, X), B)))).toBeLessThan(1e-13); // residual orthogonal to range(A)
    const W = gauss([3, 7], 7), C = gauss([3, 2], 8);
    const Y = linalg.lstsq(W, C);
    expect(relErr(matmul(W, Y), C)).toBeLessThan(1e-13);
    expect(relErr(Y, matmul(mT(W), linalg.solve(matmul(W, mT(W)), C)))).toBeLessThan(1e-12); // in the row space of W
  });

  it('vectorNorm and matrixNorm against their definitions', () => {
    const x = f64([[3, -4, 0], [1, 2, -2]]);
    expect(linalg.vectorNorm(x).item()).toBeCloseTo(Math.sqrt(34), 14);
    expect(linalg.vectorNorm(x, 1, 1).toArray()).toEqual([7, 5]);
    expect(linalg.vectorNorm(x, Infinity, 0).toArray()).toEqual([3, 4, 2]);
    expect(linalg.vectorNorm(x, -Infinity, 1).toArray()).toEqual([0, 1]);
    expect(linalg.vectorNorm(x, 0, 1, true).toArray()).toEqual([[2], [3]]);
    expect(linalg.vectorNorm(x, 3, [0, 1]).item()).toBeCloseTo(Math.cbrt(27 + 64 + 1 + 8 + 8), 13);
    expect(linalg.vectorNorm(x, -1, 0).toArray()).toEqual([1 / (1 / 3 + 1), 1 / (1 / 4 + 1 / 2), 0]);
    const A = gauss([5, 3], 9);
    const S = Array.from(linalg.svd(A)[1].data());
    const a = A.toArray() as number[][];
    expect(linalg.matrixNorm(A).item()).toBeCloseTo(Math.sqrt(a.flat().reduce((t, v) => t + v * v, 0)), 13);
    expect(linalg.matrixNorm(A, 'nuc').item()).toBeCloseTo(S.reduce((t, v) => t + v, 0), 13);
    expect(linalg.matrixNorm(A, 2).item()).toBe(S[0]);
    expect(linalg.matrixNorm(A, -2).item()).toBe(S[2]);
    const colSums = [0, 1, 2].map((j) => a.reduce((t, r) => t + Math.abs(r[j]!), 0));
    const rowSums = a.map((r) => r.reduce((t, v) => t + Math.abs(v), 0));
    expect(linalg.matrixNorm(A, 1).item()).toBeCloseTo(Math.max(...colSums), 14);
    expect(linalg.matrixNorm(A, -1).item()).toBeCloseTo(Math.min(...colSums), 14);
    expect(linalg.matrixNorm(A, Infinity).item()).toBeCloseTo(Math.max(...rowSums), 14);
    expect(linalg.matrixNorm(A, -Infinity).item()).toBeCloseTo(Math.min(...rowSums), 14);
    expect(linalg.matrixNorm(gauss([2, 5, 3], 1), 'fro', [0, 2], true).shape).toEqual([1, 5, 1]);
  });
});

describe('linalg: batches', () => {
  /** f applied to each matrix of x [..., r, c] alone: the values of its outputs, per matrix. */
  const perMatrix = (x: Tensor, f: (m: Tensor) => Tensor | Tensor[]): number[][] => {
    const [r, c] = x.shape.slice(-2) as [number, number];
    const flat = x.data();
    return Array.from({ length: flat.length / (r * c) }, (_, i) => {
      const m = tensor(Float64Array.from(flat.slice(i * r * c, (i + 1) * r * c)), { shape: [r, c], dtype: 'float64' });
      return [f(m)].flat().flatMap((t) => Array.from(t.data()));
    });
  };

  it("each batch entry gets exactly its own matrix's result, for every function", () => {
    const A = wellConditioned(4, 11, [2, 3]);
    const S = spd(4, 12, [2, 3]);
    const R = gauss([2, 3, 5, 3], 13);
    const fns: [Tensor, (m: Tensor) => Tensor | Tensor[]][] = [
      [A, (m) => linalg.inv(m)], [A, (m) => linalg.det(m)], [A, (m) => linalg.slogdet(m)], [S, (m) => linalg.cholesky(m)],
      [S, (m) => linalg.eigh(m)], [R, (m) => linalg.qr(m)], [R, (m) => linalg.svd(m)], [mT(R), (m) => linalg.svd(m)],
      [R, (m) => linalg.matrixNorm(m, 'nuc')], [R, (m) => linalg.lstsq(m, eye(5, { dtype: 'float64' }))],
    ];
    for (const [x, f] of fns) {
      const whole = [f(x)].flat();
      perMatrix(x, f).forEach((vals, i) => {
        const got = whole.flatMap((t) => Array.from(t.data().slice((i * t.size) / 6, ((i + 1) * t.size) / 6)));
        expect(got).toEqual(vals);
      });
    }
  });

  it('solve and lstsq broadcast batch dims; output shapes', () => {
    const A = wellConditioned(3, 1, [2, 1]);
    expect(linalg.solve(A, gauss([4, 3, 2], 2)).shape).toEqual([2, 4, 3, 2]);
    expect(linalg.solve(A, gauss([3], 3)).shape).toEqual([2, 1, 3]);
    expect(linalg.solve(A, gauss([2, 1, 3], 3)).shape).toEqual([2, 1, 3]); // A's shape without its last dim: vectors
    expect(linalg.lstsq(gauss([2, 1, 5, 3], 4), gauss([4, 5, 2], 5)).shape).toEqual([2, 4, 3, 2]);
    expect(linalg.lstsq(gauss([2, 5, 3], 4), gauss([2, 5], 5)).shape).toEqual([2, 3]);
    const [Q, R] = linalg.qr(gauss([2, 3, 5], 6));
    expect([Q.shape, R.shape]).toEqual([[2, 3, 3], [2, 3, 5]]);
    const [U, S, Vh] = linalg.svd(gauss([2, 5, 3], 7));
    expect([U.shape, S.shape, Vh.shape]).toEqual([[2, 5, 3], [2, 3], [2, 3, 3]]);
    expect(linalg.slogdet(A).map((t) => t.shape)).toEqual([[2, 1], [2, 1]]);
  });
});

describe('linalg: float32', () => {
  it('float32 in, float32 out, agreeing with float64 to float32 rounding; gradients too', () => {
    const A64 = spd(5, 21);
    const A32 = cast(A64, 'float32');
    const A = cast(A32, 'float64'); // the same values, in float64
    const pairs: [(m: Tensor) => Tensor, number][] = [
      [(m) => linalg.inv(m), 1e-6], [(m) => linalg.det(m), 1e-6], [(m) => linalg.cholesky(m), 1e-6],
      [(m) => linalg.eigh(m)[0], 1e-6], [(m) => mul(linalg.eigh(m)[1], linalg.eigh(m)[1]), 1e-5],
      [(m) => linalg.qr(m)[1], 1e-6], [(m) => linalg.svd(m)[1], 1e-6], [(m) => linalg.lstsq(m, eye(5, { dtype: m.dtype })), 1e-6],
      [(m) => linalg.matrixNorm(m, 'nuc'), 1e-6], [(m) => linalg.vectorNorm(m, 3), 1e-6],
    ];
    for (const [f, tol] of pairs) {
      const out = f(A32);
      expect(out.dtype).toBe('float32');
      expect(relErr(out, f(A))).toBeLessThan(tol);
      const g32 = grad1((m: Tensor) => sum(mul(f(m), f(m))))(A32);
      const g64 = grad1((m: Tensor) => sum(mul(f(m), f(m))))(A);
      expect(g32.dtype).toBe('float32');
      expect(relErr(g32, g64)).toBeLessThan(1e-3);
    }
  });

  it('mixed float32 / float64 operands compute in float64', () => {
    expect(linalg.solve(cast(spd(3, 1), 'float32'), gauss([3], 2)).dtype).toBe('float64');
  });
});

describe('linalg: errors', () => {
  const singular = f64([[1, 2], [2, 4]]);
  const expectLinAlg = (f: () => unknown, message: RegExp, batchIndex?: number[]): void => {
    let err: unknown = null;
    try { f(); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(LinAlgError);
    expect((err as Error).message).toMatch(message);
    if (batchIndex) expect((err as LinAlgError).batchIndex).toEqual(batchIndex);
  };

  it('a singular matrix is an error naming the function and the batch entry', () => {
    expectLinAlg(() => linalg.inv(singular), /^linalg\.inv: the matrix is singular \(U\[1,1\] = 0 in its LU factorization\)$/, []);
    expectLinAlg(() => linalg.solve(singular, f64([[1], [2]])), /^linalg\.solve: the matrix is singular/);
    const batch = tensor([[[1, 0], [0, 1]], [[1, 2], [2, 4]]], { dtype: 'float64' });
    expectLinAlg(() => linalg.inv(batch), /^linalg\.inv: the matrix is singular .* \(batch index \[1\]\)$/, [1]);
    expectLinAlg(() => linalg.solve(zeros([3, 3]), zeros([3])), /^linalg\.solve: the matrix is singular \(U\[0,0\] = 0/);
  });

  it('cholesky of a matrix that is not positive definite names the batch entry', () => {
    const batch = tensor([[[[1, 0], [0, 1]], [[1, 2], [2, 1]]], [[[4, 0], [0, 4]], [[1, 0], [0, 1]]]]);
    expectLinAlg(() => linalg.cholesky(batch), /^linalg\.cholesky: the matrix is not positive definite \(its leading minor of order 2 is not\) \(batch index \[0, 1\]\)$/, [0, 1]);
    expectLinAlg(() => linalg.cholesky(f64([[-1, 0], [0, 1]])), /leading minor of order 1/);
  });

  it('lstsq of a rank-deficient matrix is an error', () => {
    expectLinAlg(() => linalg.lstsq(f64([[1, 2], [2, 4], [3, 6]]), f64([[1], [2], [3]])), /^linalg\.lstsq: A does not have full rank/);
    expectLinAlg(() => linalg.lstsq(f64([[1, 2, 3], [2, 4, 6]]), f64([[1], [2]])), /^linalg\.lstsq: A does not have full rank/);
  });

  it('det and slogdet of a singular matrix are values; their gradient there is an error', () => {
    expect(linalg.det(singular).item()).toBe(0);
    expect(linalg.slogdet(singular).map((t) => t.item())).toEqual([0, -Infinity]);
    expectLinAlg(() => grad1((a: Tensor) => linalg.det(a))(singular), /^linalg\.slogdet: the gradient is not defined at a singular matrix$/);
  });

  it('bad arguments are TypeError / ShapeError / RangeError naming the function', () => {
    const cases: [() => unknown, new (...a: never[]) => Error, RegExp][] = [
      [() => linalg.inv(tensor([[1, 2], [3, 4]], { dtype: 'int32' })), TypeError, /^linalg\.inv: expected a float32 or float64 tensor for A, got int32$/],
      [() => linalg.det(zeros([2, 3])), ShapeError, /^linalg\.det: expected A to be square \[\.\.\., n, n\], got shape \[2,3\]$/],
      [() => linalg.eigh(zeros([3])), ShapeError, /^linalg\.eigh: expected A to be a matrix or a batch of matrices \[\.\.\., m, n\], got shape \[3\]$/],
      [() => linalg.solve(eye(3), zeros([2, 1])), ShapeError, /^linalg\.solve: A \[3,3\] and B \[2,1\] do not fit \(B needs 3 rows\)$/],
      [() => linalg.solve(zeros([2, 3, 3]), zeros([4, 3, 1])), ShapeError, /^linalg\.solve: cannot broadcast \[2\] with \[4\]/],
      [() => linalg.lstsq(zeros([3, 2]), zeros([4])), ShapeError, /^linalg\.lstsq: A \[3,2\] and B \[4,1\] do not fit/],
      [() => linalg.cholesky(eye(2), { upper: 'yes' } as never), TypeError, /^linalg\.cholesky: expected upper to be a boolean, got "yes"$/],
      [() => linalg.matrixNorm(eye(2), 3), RangeError, /^linalg\.matrixNorm: unsupported ord 3/],
      [() => linalg.matrixNorm(eye(2), 'fro', [1, -1]), RangeError, /^linalg\.matrixNorm: expected two different axes/],
      [() => linalg.matrixNorm(zeros([0, 2]), 2), ShapeError, /^linalg\.matrixNorm: the 2-norm of an empty matrix is not defined/],
      [() => linalg.vectorNorm(eye(2), 'fro' as never), TypeError, /^linalg\.vectorNorm: expected ord to be a number/],
      [() => linalg.vectorNorm(eye(2), 2, 2), RangeError, /^linalg\.vectorNorm: axis 2 is out of range/],
    ];
    for (const [f, cls, re] of cases) {
      let err: unknown = null;
      try { f(); } catch (e) { err = e; }
      expect(err, String(re)).toBeInstanceOf(cls);
      expect((err as Error).message).toMatch(re);
    }
  });

  it('eigh and svd of a matrix with NaN entries is an error, not a silent result', () => {
    expectLinAlg(() => linalg.eigh(f64([[1, NaN], [NaN, 1]])), /^linalg\.eigh: the iteration did not converge/);
    expectLinAlg(() => linalg.svd(f64([[1, NaN], [2, 1]])), /^linalg\.svd: the iteration did not converge/);
  });

  it('also when the bad entry is on the diagonal only, or the matrix is 1x1 or a single row or column', () => {
    expectLinAlg(() => linalg.eigh(f64([[NaN, 0], [0, 1]])), /^linalg\.eigh: the iteration did not converge: the matrix has NaN or infinite entries/);
    expectLinAlg(() => linalg.eigh(f64([[1, 5], [0.5, -Infinity]])), /^linalg\.eigh: the iteration did not converge/);
    expectLinAlg(() => linalg.eigh(f64([[Infinity]])), /^linalg\.eigh: the iteration did not converge/);
    expectLinAlg(() => linalg.svd(f64([[1, Infinity, 2]])), /^linalg\.svd: the iteration did not converge/);
    expectLinAlg(() => linalg.matrixNorm(f64([[NaN], [1]]), 2), /^linalg\.matrixNorm: the iteration did not converge/);
    // eigh reads the lower triangle only.
    expect(linalg.eigh(f64([[2, NaN], [0, 3]]))[0].toArray()).toEqual([2, 3]);
  });
});

describe('linalg: 1x1, 0x0 and empty batches', () => {
  it('1x1 matrices', () => {
    const a = f64([[-4]]);
    expect(linalg.solve(a, f64([[2]])).toArray()).toEqual([[-0.5]]);
    expect(linalg.inv(a).toArray()).toEqual([[-0.25]]);
    expect(linalg.det(a).item()).toBeCloseTo(-4, 14);
    expect(linalg.cholesky(f64([[9]])).toArray()).toEqual([[3]]);
    expect(linalg.qr(a).map((t) => t.toArray())).toEqual([[[1]], [[-4]]]);
    expect(linalg.eigh(a).map((t) => t.toArray())).toEqual([[-4], [[1]]]);
    expect(linalg.svd(a).map((t) => t.toArray())).toEqual([[[1]], [4], [[-1]]]);
  });

  it('0x0 matrices: det 1, logabsdet 0, empty factors', () => {
    const e = zeros([0, 0], { dtype: 'float64' });
    expect(linalg.det(e).item()).toBe(1);
    expect(linalg.slogdet(e).map((t) => t.item())).toEqual([1, 0]);
    expect(linalg.inv(e).shape).toEqual([0, 0]);
    expect(linalg.qr(zeros([3, 0])).map((t) => t.shape)).toEqual([[3, 0], [0, 0]]);
    expect(linalg.svd(zeros([0, 3])).map((t) => t.shape)).toEqual([[0, 0], [0], [0, 3]]);
    expect(linalg.lstsq(zeros([0, 2]), zeros([0, 1])).toArray()).toEqual([[0], [0]]);
  });

  it('an empty batch gives empty outputs of the right shapes', () => {
    const A = zeros([0, 3, 3], { dtype: 'float64' });
    expect(linalg.inv(A).shape).toEqual([0, 3, 3]);
    expect(linalg.det(A).shape).toEqual([0]);
    expect(linalg.cholesky(A).shape).toEqual([0, 3, 3]);
    expect(linalg.eigh(A).map((t) => t.shape)).toEqual([[0, 3], [0, 3, 3]]);
    expect(linalg.svd(zeros([2, 0, 4, 3])).map((t) => t.shape)).toEqual([[2, 0, 4, 3], [2, 0, 3], [2, 0, 3, 3]]);
    expect(linalg.solve(A, zeros([0, 3, 2])).shape).toEqual([0, 3, 2]);
    expect(linalg.matrixNorm(A, 'nuc').shape).toEqual([0]);
    expect(grad1((a: Tensor) => sum(linalg.det(a)))(A).shape).toEqual([0, 3, 3]);
  });
});

describe('linalg: sign conventions', () => {
  it('eigenvectors and left singular vectors have their largest-magnitude entry positive', () => {
    const x = gauss([6, 6], 40);
    const [, V] = linalg.eigh(add(x, mT(x)));
    const [U] = linalg.svd(gauss([7, 4], 41));
    const [U2] = linalg.svd(gauss([3, 6], 42));
    for (const M of [V, U, U2]) {
      const cols = mT(M).toArray() as number[][];
      for (const c of cols) expect(c.reduce((best, v) => (Math.abs(v) > Math.abs(best) ? v : best), 0)).toBeGreaterThan(0);
    }
  });

  it("qr follows LAPACK's Householder signs (R's diagonal is -sign(a_jj) |column|)", () => {
    const [Q, R] = linalg.qr(f64([[3], [4]]));
    expect(R.toArray()).toEqual([[-5]]);
    expect(relErr(Q, f64([[-0.6], [-0.8]]))).toBeLessThan(1e-15);
    expect(linalg.qr(f64([[-3], [4]]))[1].toArray()).toEqual([[5]]);
  });
});

describe('linalg: gradients at repeated eigenvalues and singular values', () => {
  it('losses of the eigenvalues alone, and of a whole repeated eigenspace, have their gradient there', () => {
    const A = f64([[2, 0, 0], [0, 2, 0], [0, 0, 5]]);
    expect(grad1((a: Tensor) => sum(linalg.eigh(a)[0]))(A).toArray()).toEqual(eye(3, { dtype: 'float64' }).toArray());
    expect(relErr(grad1((a: Tensor) => sum(mul(linalg.eigh(a)[0], linalg.eigh(a)[0])))(A), mul(A, 2))).toBeLessThan(1e-15);
    // The projector onto the eigenspace of 2 does not depend on the basis chosen in it: smooth in A.
    const C = f64([[1, 2, 0], [2, 0, 1], [0, 1, 3]]);
    const proj = (x: Tensor): Tensor => {
      const V = linalg.eigh(mul(add(x, mT(x)), 0.5))[1];
      const V2 = mul(V, f64([1, 1, 0]));
      return sum(mul(matmul(V2, mT(V2)), C));
    };
    const r = checkGrad(proj, [add(A, mul(f64([[0, 1, 0], [-1, 0, 0], [0, 0, 0]]), 0.3))]); // a skew part: only the symmetric part counts
    expect(r.ok, JSON.stringify(r)).toBe(true);
  });

  it('a loss that depends on the basis of a repeated eigenspace has no gradient: an error', () => {
    const A = f64([[2, 0], [0, 2]]);
    expect(() => grad1((a: Tensor) => sum(mul(linalg.eigh(a)[1], f64([[0, 0], [1, 0]]))))(A)).toThrow(LinAlgError);
    expect(() => grad1((a: Tensor) => sum(mul(linalg.eigh(a)[1], f64([[0, 0], [1, 0]]))))(A)).toThrow(/^linalg\.eigh: the gradient is not defined: an eigenvalue is repeated/);
  });

  it('nuclear and spectral norms at repeated and zero singular values', () => {
    const I = eye(3, { dtype: 'float64' });
    expect(grad1((a: Tensor) => linalg.matrixNorm(a, 'nuc'))(I).toArray()).toEqual(I.toArray());
    const g = grad1((a: Tensor) => sum(linalg.svd(a)[1]))(mul(I, 2));
    expect(relErr(g, I)).toBeLessThan(1e-15);
    // Rank 1, 3 x 2: one zero singular value; a loss of S alone has the gradient U diag(1) Vh.
    const R = f64([[1, 2], [2, 4], [3, 6]]);
    const gr = grad1((a: Tensor) => sum(linalg.svd(a)[1]))(R);
    const [U, , Vh] = linalg.svd(R);
    expect(relErr(gr, matmul(U, Vh))).toBeLessThan(1e-14);
    expect(() => grad1((a: Tensor) => sum(mul(linalg.svd(a)[0], f64([[0, 1], [0, 0], [0, 0]]))))(R)).toThrow(/^linalg\.svd: the gradient is not defined: a singular value is 0 and m > n/);
  });

  it('vector norms have gradient 0 at 0, not NaN', () => {
    const z = zeros([3], { dtype: 'float64' });
    for (const ord of [2, 3, 0.5, 1]) expect(grad1((x: Tensor) => linalg.vectorNorm(x, ord))(z).toArray()).toEqual([0, 0, 0]);
    expect(grad1((x: Tensor) => linalg.matrixNorm(x))(zeros([2, 2], { dtype: 'float64' })).toArray()).toEqual([[0, 0], [0, 0]]);
    expect(grad1((x: Tensor) => linalg.vectorNorm(x, 0.5))(f64([0, 4])).toArray()).toEqual([0, 1]);
  });
});

describe('linalg: exports', () => {
  it("is the same namespace from 'tapegrad'", () => {
    expect(umbrella.linalg).toBe(linalg);
    expect(umbrella.LinAlgError).toBe(LinAlgError);
  });
});
