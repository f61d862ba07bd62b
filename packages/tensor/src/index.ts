/**
 * @tapegrad/tensor: tensors over typed-array storage, every op, and the tape that ops record on.
 * Importing this module has no side effects.
 */
export { Tensor, type NestedArray } from './tensor.js';
export { type DType, type TypedArray, DTYPES, isDType, promoteTypes } from './dtype.js';
export { ShapeError } from './errors.js';
export { broadcastShapes, contiguousStrides } from './shape.js';
export { tensor, zeros, ones, full, eye, arange, linspace, zerosLike, onesLike, type CreateOptions } from './creation.js';
export { Generator, manualSeed, rand, randn, randint, randperm, type RandomOptions } from './random.js';
export type { Operand } from './ops/operand.js';
export {
  add, sub, mul, div, pow, neg, abs, sign, exp, log, log1p, sqrt, rsqrt, square, sin, cos, tanh, sigmoid, relu,
  leakyRelu, softplus, elu, gelu, erf, maximum, minimum, clamp, where, eq, ne, lt, le, gt, ge, cast,
  type SoftplusOptions, type GeluOptions,
} from './ops/elementwise.js';
export { sum, mean, max, min, prod, variance as var, variance, std, logsumexp, argmax, argmin, norm, type VarOptions } from './ops/reduce.js';
export {
  reshape, flatten, squeeze, unsqueeze, expand, broadcastTo, permute, transpose, concat, stack, split, slice,
  gather, scatterAdd, pad, padStrided, contiguous, clone,
} from './ops/movement.js';
export { matmul, dot, outer } from './ops/linalg.js';
export {
  softmax, logSoftmax, conv1d, conv2d, maxPool2d, avgPool2d, dropout, unfold2d, fold2d,
  type Conv1dOptions, type Conv2dOptions, type Pool2dOptions, type UnfoldOptions, type DropoutOptions,
} from './ops/nn.js';
// The tape, for autograd and for people building on it.
export {
  record, tapeClock, isGradEnabled, withGradMode, isAnomalyEnabled, withAnomalyMode, AnomalyError,
  isTimingEnabled, withTimingMode, addOpTime, opTimeOf, markWritten, writeCount, lastWrite,
  type OpTime, type TapeNode, type CustomVjp,
} from './tape.js';
export { PRIMITIVES, type Primitive, type PrimitiveAttrs, type KernelPrimitive, type ViewPrimitive, type ReduceAttrs, type WindowAttrs } from './primitives.js';
export { getBackend, setBackend, type Backend, type Kernel, type View } from './backend/backend.js';
export { jsBackend } from './backend/js/index.js';
