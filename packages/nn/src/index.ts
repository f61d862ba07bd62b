/**
 * @tapegrad/nn: modules, layers, losses, optimizers, initializers, data loading and serialization.
 * Importing this module has no side effects.
 */
export {};
