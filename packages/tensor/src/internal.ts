/**
 * @tapegrad/tensor/internal: the tape plumbing and helpers that tapegrad's own packages
 * (autograd, nn, graph, backends) share. Not part of the user API: names here may change
 * between releases without notice. Importing this module has no side effects.
 */
export {
  record, reachableNodes, tapeClock, isGradEnabled, withGradMode, isAnomalyEnabled, withAnomalyMode,
  isTimingEnabled, withTimingMode, addOpTime, opTimeOf, markWritten, writeCount, lastWrite,
  type OpTime, type CustomVjp,
} from './tape.js';
export { runKernel, makeView, setBatchInterpreter, type BatchInterpreter } from './dispatch.js';
export { type BatchInfo } from './tensor.js';
export {
  PRIMITIVE_TABLE, PRIMITIVES, familyOf,
  type Family, type PrimitiveDecl, type PrimitiveOf, type UnaryPrimitive, type BinaryPrimitive, type ComparePrimitive, type ReducePrimitive,
} from './primitives.js';
export { fmtShape, sameShape, shapeSize, describe, checkShape, normAxis, normAxes } from './shape.js';
/** Views into the linalg primitives' packed outputs (for their VJP rules), and the batch-index suffix of LinAlgError messages. */
export { atBatch, lastAt, block as linalgBlock, rowOf as linalgRow } from './ops/linalg-common.js';
export { isFloat, checkDType, allocate } from './dtype.js';
export { asTensor, checkOperand } from './ops/operand.js';
export { checkNumber, checkInteger, checkFlag, checkOptions } from './validate.js';
export { checkSeed, floatSamples } from './random.js';
export { checkSize as checkElementCount } from './shape.js';
export { scatterAddZeros, stridedSlice, sliceRange, checkIndex, castAs, layerNorm, axpy, axpyInPlace } from './internal-ops.js';
export { openPool, closePool, bornInPool, release as releaseStorage, pooledBytes, poisonReleased, POOL_MIN_ELEMENTS } from './storage-pool.js';
