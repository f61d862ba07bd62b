/** Thrown when operand shapes do not fit an op. The message names the op and both shapes. */
export class ShapeError extends Error {
  override readonly name = 'ShapeError';
}
