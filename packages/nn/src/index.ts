/**
 * @tapegrad/nn: modules, layers, losses, optimizers, initializers, data loading and serialization.
 * Importing this module has no side effects.
 */
export {};
// Optimizers, lr schedules, data loading and safetensors serialization.
export * from './optim/index.js';
export { TensorDataset, DataLoader, type Dataset, type DataLoaderOptions } from './data.js';
export {
  toSafetensorsBytes, fromSafetensorsBytes, decodeSafetensors, saveSafetensors, loadSafetensors, SafetensorsError,
  MAX_HEADER_BYTES, type Safetensors,
} from './serialize.js';
