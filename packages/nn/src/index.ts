/**
 * @tapegrad/nn: modules, layers, losses, optimizers, initializers, data loading and serialization.
 * Importing this module has no side effects.
 */
export {};
// Optimizers, lr schedules, data loading and safetensors serialization.
export { TensorDataset, DataLoader, type Dataset, type DataLoaderOptions } from './data.js';
