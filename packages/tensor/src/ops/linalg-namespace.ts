/**
 * The `linalg` namespace of @tapegrad/tensor (PyTorch's `torch.linalg`): `import { linalg } from
 * '@tapegrad/tensor'`, then `linalg.solve(A, B)`, `linalg.svd(A)`, ... Every function works on a
 * matrix or a batch of matrices (the last two dims; leading dims are the batch), in float32 and
 * float64, and is differentiable. See docs/guides/linalg.md for conventions and degenerate cases.
 */
export { solve, inv, det, slogdet } from './linalg-solve.js';
export { cholesky, qr, eigh, svd, lstsq, type CholeskyOptions } from './linalg-factor.js';
export { vectorNorm, matrixNorm, type MatrixNormOrd } from './linalg-norm.js';
