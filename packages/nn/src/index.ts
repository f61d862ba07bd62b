/**
 * @tapegrad/nn: modules, layers, losses, optimizers, initializers, data loading and serialization.
 * Importing this module has no side effects.
 */
// Modules, layers, initializers and losses.
export {
  Module, parameter, buffer, functionalCall, StateDictError, type LoadStateDictOptions, type LoadStateDictResult,
} from './module.js';
export * from './layers/index.js';
export {
  zeros_, ones_, constant_, uniform_, normal_, xavierUniform_, xavierNormal_, kaimingUniform_, kaimingNormal_,
  calculateGain, calculateFanInAndFanOut, type RandomSource, type Nonlinearity, type FanMode, type XavierOptions, type KaimingOptions,
} from './init.js';
export {
  l1Loss, mseLoss, huberLoss, smoothL1Loss, binaryCrossEntropy, binaryCrossEntropyWithLogits, nllLoss, crossEntropy,
  type Reduction, type LossOptions, type NllLossOptions, type CrossEntropyOptions,
} from './losses.js';
// Optimizers, lr schedules, data loading and safetensors serialization.
export * from './optim/index.js';
export { TensorDataset, DataLoader, type Dataset, type DataLoaderOptions } from './data.js';
export {
  toSafetensorsBytes, fromSafetensorsBytes, decodeSafetensors, saveSafetensors, loadSafetensors, SafetensorsError,
  MAX_HEADER_BYTES, type Safetensors, type SafetensorsWriteOptions,
} from './serialize.js';
