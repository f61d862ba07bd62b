/**
 * @tapegrad/autograd: reverse-mode differentiation over the tape that @tapegrad/tensor records.
 * Importing this module has no side effects.
 */
export { backward, type BackwardOptions } from './backward.js';
export { grad, valueAndGrad, vjp, noGrad, enableGrad, gradients, type GradOptions, type VjpResult } from './transforms.js';
export { jvp } from './forward.js';
export { defineOp, type OpSpec } from './define-op.js';
export { checkGrad, type CheckGradOptions, type CheckGradResult } from './check-grad.js';
export { detectAnomaly, profileOps } from './anomaly.js';
export { rules, sumTo, type Rule } from './rules/index.js';
export { AnomalyError } from '@tapegrad/tensor';
// Graph export (traceGraph, toDot, toMermaid, graphScope and the Graph document types).
export * from './graph/index.js';
