import {
  LinAlgError, abs, add, any, concat, diagonal, div, eq, eye, gt, linalg, logicalAnd, matmul, max, mul, neg, pad, sub, sum, tensor, transpose,
  unsqueeze, where, zerosLike, type Tensor,
} from '@tapegrad/tensor';
import { atBatch, lastAt, linalgBlock as block, linalgRow as rowOf } from '@tapegrad/tensor/internal';
import { physical } from '../levels.js';
import { addTangents, leadingBatch, matmulBatch } from './batching.js';
import { type RuleTable } from './rule.js';

// The factorizations' rules follow PyTorch's derivations (FunctionsManual: solve, slogdet,
// cholesky, linalg_qr, linalg_eig (hermitian), svd, and their forward-mode counterparts), restricted
// to real matrices. The packed outputs (see primitives.ts) are unpacked with the same views as the
// public functions; tangents are packed the same way. Batching: the primitives already treat the
// leading dims as batch dims, so the vmap batch is one more of them.

/** The last two dims swapped. */
const mT = (x: Tensor): Tensor => transpose(x, -1, -2);

/** Whether x's last two dims are stored column by column (x is the transpose of a contiguous matrix). */
function columnMajor(x: Tensor): boolean {
  const r = x.ndim;
  return r >= 2 && x.shape[r - 1]! > 1 && x.shape[r - 2]! > 1 && x.strides[r - 2] === 1 && x.strides[r - 1] === x.shape[r - 2];
}

/** 0/1 constant [r, c]: 1 where keep(j - i). */
function mask(r: number, c: number, dtype: Tensor['dtype'], keep: (d: number) => boolean): Tensor {
  const m = new Float64Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) m[i * c + j] = keep(j - i) ? 1 : 0;
  return tensor(m, { shape: [r, c], dtype });
}
const dims = (x: Tensor): [number, number] => [x.shape[x.ndim - 2]!, x.shape[x.ndim - 1]!];
/** Entries on and above diagonal k. */
const triu = (x: Tensor, k = 0): Tensor => mul(x, mask(...dims(x), x.dtype, (d) => d >= k));
/** Entries on and below diagonal k. */
const tril = (x: Tensor, k = 0): Tensor => mul(x, mask(...dims(x), x.dtype, (d) => d <= k));
/** Identity of size n (to add or multiply) in x's dtype. */
const eyeOf = (n: number, x: Tensor): Tensor => eye(n, { dtype: x.dtype });
/** A batch of vectors [..., n] as diagonal matrices [..., n, n]. */
const diagEmbed = (v: Tensor): Tensor => mul(unsqueeze(v, -1), eyeOf(v.shape[v.ndim - 1]!, v));
/** The skew part X - X^T. */
const skew = (x: Tensor): Tensor => sub(x, mT(x));
/** solve(A, B) for matrices B, with a singular A reported as a failure of `op`'s gradient. */
function solveIn(op: string, A: Tensor, B: Tensor): Tensor {
  try {
    return linalg.solve(A, B);
  } catch (e) {
    if (!(e instanceof LinAlgError)) throw e;
    throw new LinAlgError(`${op}: the gradient is not defined at a singular matrix${atBatch(e.batchIndex)}`, e.batchIndex);
  }
}
/** B A^{-1} for square A, as (A^{-T} B^T)^T. */
const solveRight = (op: string, B: Tensor, A: Tensor): Tensor => mT(solveIn(op, mT(A), mT(B)));

/** 1/d where d != 0 and 0 where d = 0 (with a zero gradient there too); see {@link checkWellPosed}. */
function reciprocalOrZero(d: Tensor): Tensor {
  const zero = eq(d, 0);
  return where(zero, 0, div(1, where(zero, 1, d)));
}

/**
 * The eigen and singular rules divide `num` by `den` (eigenvalue gaps, S_k^2 - S_j^2, S) and take
 * 0 where den = 0. That is exact when num = 0 there: the loss does not depend on how a basis of a
 * repeated eigenspace (or of a null space) is chosen, as for losses of the eigenvalues alone. When
 * num is not negligible there, the gradient does not exist: throw rather than return a number.
 */
function checkWellPosed(op: string, num: Tensor, den: Tensor, what: string): void {
  // Written with ops, so it also checks a batch inside vmap (each element against its own scale);
  // only the final yes/no is read.
  const a = abs(num.detach());
  const tol = mul(max(a), Math.sqrt(num.dtype === 'float32' ? 2 ** -23 : 2 ** -52));
  const bad = physical(any(logicalAnd(eq(den.detach(), 0), gt(a, tol)))).data();
  if (bad.some((b) => b !== 0)) {
    throw new LinAlgError(`${op}: the gradient is not defined: ${what}, and the loss depends on the choice of the singular or eigen vectors there`);
  }
}

/** Stacks [..., r, c] blocks along the rows, each padded with zero columns to `cols`. */
function packRows(blocks: readonly Tensor[], cols: number): Tensor {
  return concat(blocks.map((b) => (b.shape[b.ndim - 1] === cols ? b : pad(b, [0, cols - b.shape[b.ndim - 1]!]))), -2);
}

/** x with the diagonal of each matrix set to 0. */
const offDiagonal = (x: Tensor): Tensor => sub(x, diagEmbed(diagonal(x, 0, -2, -1)));

/** A tangent for an input that has none, so formulas can add it. */
const orZero = (t: Tensor | null, like: Tensor): Tensor => t ?? zerosLike(like);

/** X - X^T restricted to below the diagonal, mirrored: the skew matrix whose lower part is that of X. */
const lowerSkew = (x: Tensor): Tensor => sub(tril(x, -1), mT(tril(x, -1)));

type Linalg = 'matmul' | 'solve' | 'slogdet' | 'cholesky' | 'qr' | 'eigh' | 'svd';

export const linalgRules: RuleTable<Linalg> = {
  /**
   * d(AB) = dA B + A dB, so gA = g B^T and gB = A^T g (batch dims already aligned by expand). An
   * operand stored transposed (Linear's weight.T) gets its gradient computed as (B g^T)^T or
   * (g^T A)^T, the same sums laid out like the operand, so the transpose back to the weight is
   * contiguous and its .grad needs no copy.
   */
  matmul: {
    vjp: (g, [a, b], _, __, needs) => [
      needs[0] ? (columnMajor(a!) ? mT(matmul(b!, mT(g))) : matmul(g, mT(b!))) : null,
      needs[1] ? (columnMajor(b!) ? mT(matmul(mT(g), a!)) : matmul(mT(a!), g)) : null,
    ],
    jvp: ([ta, tb], [a, b]) => addTangents(ta === null ? null : matmul(ta, b!), tb === null ? null : matmul(a!, tb)),
    batch: matmulBatch,
  },
  /** X = A^{-1} B: dX = A^{-1}(dB - dA X), so gB = A^{-T} g and gA = -gB X^T */
  solve: { vjp: (g, [a], x, _, needs) => {
    const gB = solveIn('linalg.solve', mT(a!), g);
    return [needs[0] ? neg(matmul(gB, mT(x))) : null, needs[1] ? gB : null];
  },
  /** dX = A^{-1} (dB - dA X) */
  jvp: ([ta, tb], [a, b], x) => solveIn('linalg.solve', a!, sub(orZero(tb, b!), ta ? matmul(ta, x) : zerosLike(x))),
  batch: leadingBatch },
  /** d log|det A| = tr(A^{-1} dA), so gA = g_logabsdet A^{-T}; the sign is piecewise constant */
  slogdet: { vjp: (g, [a]) => {
    const gl = unsqueeze(unsqueeze(lastAt(g, 1), -1), -1);
    return [solveIn('linalg.slogdet', mT(a!), mul(gl, eyeOf(a!.shape[a!.ndim - 1]!, a!)))];
  },
  /** [d sign, d log|det A|] = [0, tr(A^{-1} dA)] */
  jvp: ([t], [a]) => {
    const dl = sum(diagonal(solveIn('linalg.slogdet', a!, t!), 0, -2, -1), -1);
    return concat([unsqueeze(zerosLike(dl), -1), unsqueeze(dl, -1)], -1);
  },
  batch: leadingBatch },
  /** A = L L^T: gA = L^{-T} Phi L^{-1} with P = tril(L^T g), Phi = (P + tril(P, -1)^T) / 2 (symmetric) */
  cholesky: { vjp: (g, _, L) => {
    const P = tril(matmul(mT(L), g));
    const phi = mul(add(P, mT(tril(P, -1))), 0.5);
    return [solveRight('linalg.cholesky', solveIn('linalg.cholesky', mT(L), phi), L)];
  },
  /** dL = L Phi(L^{-1} dA L^{-T}), Phi(X) = the lower triangle of X with its diagonal halved */
  jvp: ([t], _, L) => {
    const X = solveRight('linalg.cholesky', solveIn('linalg.cholesky', L, t!), mT(L));
    return matmul(L, sub(tril(X), mul(diagEmbed(diagonal(X, 0, -2, -1)), 0.5)));
  },
  batch: leadingBatch },
  /**
   * A = QR, M = gR R^T - Q^T gQ. m >= n: gA = (Q sym(triu M) + gQ) R^{-T}, sym(X) = X + triu(X, 1)^T;
   * m < n: gA = [Q tril(M^T - M) R1^{-T}, 0] + Q gR, R1 = R[:, :m]
   */
  qr: { vjp: (g, [a], out) => {
    const [m, n] = dims(a!);
    const k = Math.min(m, n);
    const Q = block(out, 0, m, 0, k), R = block(out, m, m + k, 0, n);
    const gQ = block(g, 0, m, 0, k), gR = block(g, m, m + k, 0, n);
    const M = sub(matmul(gR, mT(R)), matmul(mT(Q), gQ));
    if (m >= n) {
      const sym = add(triu(M), mT(triu(M, 1)));
      return [solveRight('linalg.qr', add(matmul(Q, sym), gQ), mT(R))];
    }
    const left = solveRight('linalg.qr', matmul(Q, tril(sub(mT(M), M))), mT(block(R, 0, m, 0, m)));
    return [add(pad(left, [0, n - m]), matmul(Q, gR))];
  },
  /**
   * With A1 the first k columns (R1 = R[:, :k], invertible) and C = Q^T dA1 R1^{-1}: Q^T dQ = X, the
   * skew matrix with the strictly lower part of C, dR1 = (C - X) R1 (upper); m >= n: dQ = dA R^{-1} - Q dR R^{-1};
   * m < n: dQ = Q X, and the other columns dR2 = Q^T dA2 - X R2.
   */
  jvp: ([t], [a], out) => {
    const [m, n] = dims(a!);
    const k = Math.min(m, n);
    const Q = block(out, 0, m, 0, k), R = block(out, m, m + k, 0, n);
    const R1 = block(R, 0, k, 0, k);
    const C = solveRight('linalg.qr', matmul(mT(Q), block(t!, 0, m, 0, k)), R1);
    const X = lowerSkew(C);
    const dR1 = matmul(sub(C, X), R1);
    if (m >= n) {
      const dQ = sub(solveRight('linalg.qr', t!, R), matmul(Q, sub(C, X)));
      return packRows([dQ, dR1], n);
    }
    const dR2 = sub(matmul(mT(Q), block(t!, 0, m, k, n)), matmul(X, block(R, 0, k, k, n)));
    return packRows([matmul(Q, X), concat([dR1, dR2], -1)], n);
  },
  batch: leadingBatch },
  /**
   * A = V diag(w) V^T: gA = V (K / E + diag(gw)) V^T, K = skew(V^T gV) / 2, E_ij = w_j - w_i; entries
   * with E_ij = 0 (a repeated eigenvalue) count as 0 and must have K_ij = 0 (checkWellPosed)
   */
  eigh: { vjp: (g, [a], out) => {
    const n = a!.shape[a!.ndim - 1]!;
    const w = rowOf(out, 0, n), V = block(out, 1, n + 1, 0, n);
    const gw = rowOf(g, 0, n), gV = block(g, 1, n + 1, 0, n);
    const E = sub(unsqueeze(w, -2), unsqueeze(w, -1));
    const K = mul(skew(matmul(mT(V), gV)), 0.5);
    checkWellPosed('linalg.eigh', K, E, 'an eigenvalue is repeated');
    const F = add(mul(K, reciprocalOrZero(E)), diagEmbed(gw));
    return [matmul(V, matmul(F, mT(V)))];
  },
  /** With P = V^T dA V: dw = diag(P), dV = V (P / E) (0 on the diagonal; a repeated eigenvalue must meet P_ij = 0) */
  jvp: ([t], [a], out) => {
    const n = a!.shape[a!.ndim - 1]!;
    const w = rowOf(out, 0, n), V = block(out, 1, n + 1, 0, n);
    const P = matmul(mT(V), matmul(t!, V));
    const E = sub(unsqueeze(w, -2), unsqueeze(w, -1));
    const off = offDiagonal(P);
    checkWellPosed('linalg.eigh', off, E, 'an eigenvalue is repeated');
    return packRows([unsqueeze(diagonal(P, 0, -2, -1), -2), matmul(V, mul(off, reciprocalOrZero(E)))], n);
  },
  batch: leadingBatch },
  /**
   * A = U diag(S) Vh: gA = U [(skew(U^T gU) S + S skew(Vh gVh^T)) / E + diag(gS)] Vh, E_jk = S_k^2 - S_j^2,
   * plus (I - U U^T) gU S^{-1} Vh when m > n, or U S^{-1} gVh (I - Vh^T Vh) when m < n. Divisions by
   * a zero E_jk or S_j count as 0 and must meet a zero numerator (checkWellPosed).
   * Singular values only (computeUV false): gA = U diag(gS) Vh from a fresh svd(A).
   */
  svd: { vjp: (g, [a], out, attrs) => {
    if (!attrs.computeUV) {
      const [U, , Vh] = linalg.svd(a!);
      return [matmul(mul(U, unsqueeze(g, -2)), Vh)];
    }
    const [m, n] = dims(a!);
    const k = Math.min(m, n);
    const U = block(out, 0, m, 0, k), S = rowOf(out, m, k), Vh = block(out, m + 1, m + 1 + k, 0, n);
    const gU = block(g, 0, m, 0, k), gS = rowOf(g, m, k), gVh = block(g, m + 1, m + 1 + k, 0, n);
    const S2 = mul(S, S);
    const E = sub(unsqueeze(S2, -2), unsqueeze(S2, -1));
    const num = add(mul(skew(matmul(mT(U), gU)), unsqueeze(S, -2)), mul(unsqueeze(S, -1), skew(matmul(Vh, mT(gVh)))));
    checkWellPosed('linalg.svd', num, E, 'a singular value is repeated');
    const inner = add(mul(num, reciprocalOrZero(E)), diagEmbed(gS));
    if (m > n) {
      const outside = sub(gU, matmul(U, matmul(mT(U), gU))); // (I - U U^T) gU
      checkWellPosed('linalg.svd', outside, unsqueeze(S, -2), 'a singular value is 0 and m > n');
      return [matmul(add(matmul(U, inner), mul(outside, unsqueeze(reciprocalOrZero(S), -2))), Vh)];
    }
    if (m < n) {
      const outside = sub(gVh, matmul(matmul(gVh, mT(Vh)), Vh)); // gVh (I - Vh^T Vh)
      checkWellPosed('linalg.svd', outside, unsqueeze(S, -1), 'a singular value is 0 and m < n');
      return [matmul(U, add(matmul(inner, Vh), mul(unsqueeze(reciprocalOrZero(S), -1), outside)))];
    }
    return [matmul(U, matmul(inner, Vh))];
  },
  jvp: svdJvp,
  batch: leadingBatch },
};

/**
 * The tangent of A = U diag(S) Vh. With dP = U^T dA V: dS = diag(dP), U^T dU = (dP S + S dP^T) / E and
 * V^T dV = (S dP + dP^T S) / E off the diagonal (0 on it), E_jk = S_k^2 - S_j^2; plus
 * (I - U U^T) dA V S^{-1} in dU when m > n, or (I - V V^T) dA^T U S^{-1} in dV when m < n.
 * A zero E_jk or S_j must meet a zero numerator (checkWellPosed). Singular values only: dS from a fresh svd(A).
 */
function svdJvp([t]: readonly (Tensor | null)[], [a]: readonly Tensor[], out: Tensor, attrs: { computeUV: boolean }): Tensor {
  const dA = t!;
  if (!attrs.computeUV) {
    const [U, , Vh] = linalg.svd(a!);
    return diagonal(matmul(mT(U), matmul(dA, mT(Vh))), 0, -2, -1);
  }
  const [m, n] = dims(a!);
  const k = Math.min(m, n);
  const U = block(out, 0, m, 0, k), S = rowOf(out, m, k), Vh = block(out, m + 1, m + 1 + k, 0, n);
  const V = mT(Vh);
  const dP = matmul(mT(U), matmul(dA, V));
  const dS = diagonal(dP, 0, -2, -1);
  const S2 = mul(S, S);
  const E = sub(unsqueeze(S2, -2), unsqueeze(S2, -1));
  const rowS = unsqueeze(S, -2), colS = unsqueeze(S, -1);
  const numU = offDiagonal(add(mul(dP, rowS), mul(colS, mT(dP))));
  const numV = offDiagonal(add(mul(colS, dP), mul(mT(dP), rowS)));
  checkWellPosed('linalg.svd', numU, E, 'a singular value is repeated');
  checkWellPosed('linalg.svd', numV, E, 'a singular value is repeated');
  const F = reciprocalOrZero(E);
  let dU = matmul(U, mul(numU, F));
  let dV = matmul(V, mul(numV, F));
  if (m > n) {
    const outside = sub(matmul(dA, V), matmul(U, matmul(mT(U), matmul(dA, V)))); // (I - U U^T) dA V
    checkWellPosed('linalg.svd', outside, rowS, 'a singular value is 0 and m > n');
    dU = add(dU, mul(outside, unsqueeze(reciprocalOrZero(S), -2)));
  }
  if (m < n) {
    const AtU = matmul(mT(dA), U);
    const outside = sub(AtU, matmul(V, matmul(Vh, AtU))); // (I - V V^T) dA^T U
    checkWellPosed('linalg.svd', outside, rowS, 'a singular value is 0 and m < n');
    dV = add(dV, mul(outside, unsqueeze(reciprocalOrZero(S), -2)));
  }
  return packRows([dU, unsqueeze(dS, -2), mT(dV)], n);
}
