export {
  Optimizer, type BaseHyper, type HyperValue, type ParamGroup, type ParamGroupInput, type ParamState, type OptimizerStateDict, type StateSpec,
} from './optimizer.js';
export { SGD, type SGDHyper, type SGDOptions } from './sgd.js';
export { RMSprop, type RMSpropHyper, type RMSpropOptions } from './rmsprop.js';
export { Adam, AdamW, type AdamHyper, type AdamOptions } from './adam.js';
export { Adagrad, type AdagradHyper, type AdagradOptions } from './adagrad.js';
export { NAdam, RAdam, type NAdamHyper, type NAdamOptions, type RAdamHyper, type RAdamOptions } from './adam-variants.js';
export { LBFGS, type LBFGSHyper, type LBFGSOptions, type LossClosure } from './lbfgs.js';
export {
  LRScheduler, StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR, LambdaLR, MultiplicativeLR, LinearLR, ConstantLR, PolynomialLR,
  type LRSchedulerStateDict, type Steppable,
} from './lr-scheduler.js';
export {
  CosineAnnealingWarmRestarts, OneCycleLR, ReduceLROnPlateau, SequentialLR, ChainedScheduler, type OneCycleOptions, type ReduceLROnPlateauOptions,
} from './lr-scheduler-extra.js';
export { clipGradNorm_, clipGradValue_, type ClipGradNormOptions } from './clip-grad.js';
