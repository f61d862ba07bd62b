/** Thrown when operand shapes do not fit an op. The message names the op and both shapes. */
export class ShapeError extends Error {
  override readonly name = 'ShapeError';
}

/**
 * Thrown when a matrix cannot be factorized as a `linalg` function needs: singular for
 * `linalg.solve` / `linalg.inv`, not positive definite for `linalg.cholesky`, rank-deficient for
 * `linalg.lstsq`. The message names the function and, for a batch, which matrix
 * (`batchIndex`, its index over the leading dims; empty for a single matrix).
 *
 * ```ts
 * try { linalg.inv(tensor([[1, 2], [2, 4]])); } catch (e) { if (e instanceof LinAlgError) ... }
 * ```
 */
export class LinAlgError extends Error {
  override readonly name = 'LinAlgError';
  /** Which matrix of the batch failed (one index per leading dim), or null when not known. */
  readonly batchIndex: readonly number[] | null;

  constructor(message: string, batchIndex: readonly number[] | null = null) {
    super(message);
    this.batchIndex = batchIndex;
  }
}
