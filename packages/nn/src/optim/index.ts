export {
  Optimizer, type BaseHyper, type HyperValue, type ParamGroup, type ParamGroupInput, type ParamState, type OptimizerStateDict, type StateSpec,
} from './optimizer.js';
export { SGD, type SGDHyper, type SGDOptions } from './sgd.js';
export { RMSprop, type RMSpropHyper, type RMSpropOptions } from './rmsprop.js';
export { Adam, AdamW, type AdamHyper, type AdamOptions } from './adam.js';
export { LRScheduler, StepLR, ExponentialLR, CosineAnnealingLR, type LRSchedulerStateDict } from './lr-scheduler.js';
