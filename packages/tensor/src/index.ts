/**
 * @tapegrad/tensor: tensors over typed-array storage, every op, and the tape that ops record on.
 * Importing it changes nothing outside the package (its own Tensor class gets its methods).
 * Tape plumbing for tapegrad's own packages is in `@tapegrad/tensor/internal`.
 */
import './install-methods.js';

export { Tensor, type NestedArray } from './tensor.js';
export { type DType, type TypedArray, DTYPES, isDType, promoteTypes } from './dtype.js';
export { ShapeError, LinAlgError } from './errors.js';
export { broadcastShapes, contiguousStrides } from './shape.js';
export { MAX_ELEMENTS, MAX_DIMS } from './shape.js';
export { tensor, zeros, ones, full, eye, arange, linspace, zerosLike, onesLike, type CreateOptions } from './creation.js';
export { Generator, manualSeed, rand, randn, randint, randperm, type RandomOptions } from './random.js';
export type { Operand } from './ops/operand.js';
// Every op family file exports public ops only: a new op needs no line here.
export * from './ops/elementwise.js';
export * from './ops/reduce.js';
export { variance as var } from './ops/reduce.js';
export * from './ops/movement.js';
export * from './ops/linalg.js';
/** Linear algebra (PyTorch's `torch.linalg`): solve, inv, det, slogdet, cholesky, qr, eigh, svd, lstsq, vectorNorm, matrixNorm. */
export * as linalg from './ops/linalg-namespace.js';
export * from './ops/nn.js';
export * from './ops/inplace.js';
export * from './ops/rearrange.js';
export * from './ops/indexing.js';
export * from './ops/einsum.js';
export * from './ops/sampling.js';
export * from './ops/logical.js';
export * from './ops/scan.js';
export * from './ops/sort.js';
export * from './ops/conv-transpose.js';
export * from './ops/pooling.js';
export * from './ops/resize.js';
export { AnomalyError, type TapeNode } from './tape.js';
export type {
  Primitive, PrimitiveAttrs, KernelPrimitive, ViewPrimitive, ReduceAttrs, WindowAttrs, ScatterAttrs, ScatterReduce, ScanAttrs, SortAttrs,
} from './primitives.js';
export { getBackend, setBackend, type Backend, type Kernel, type KernelTable, type View } from './backend/backend.js';
export { jsBackend } from './backend/js/index.js';
