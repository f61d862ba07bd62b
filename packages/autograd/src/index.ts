/**
 * @tapegrad/autograd: differentiation over the tape that @tapegrad/tensor records (reverse and forward
 * mode) and vectorization (vmap), as transforms that compose.
 * Importing this module has no side effects.
 */
export { backward, type BackwardOptions } from './backward.js';
export { grad, valueAndGrad, vjp, noGrad, enableGrad, gradients, type GradOptions, type VjpResult } from './transforms.js';
export { jvp, type JvpResult } from './forward.js';
export { vmap, type VmapOptions } from './vmap.js';
export { jacrev, jacfwd, hessian, hvp, type Jacobian, type JacobianOptions } from './jacobians.js';
export { defineOp, type OpSpec } from './define-op.js';
export { checkGrad, type CheckGradOptions, type CheckGradResult } from './check-grad.js';
export { detectAnomaly, profileOps } from './anomaly.js';
export { rules, sumTo, type Rule, type JvpRule, type BatchRule, type PrimitiveRules } from './rules/index.js';
export { AnomalyError } from '@tapegrad/tensor';
// Graph export (traceGraph, toDot, toMermaid, graphScope and the Graph document types).
export * from './graph/index.js';
