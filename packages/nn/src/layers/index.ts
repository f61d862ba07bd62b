export { type LayerInitOptions } from './common.js';
export { Sequential, Identity } from './container.js';
export { Linear, type LinearOptions } from './linear.js';
export { Flatten, Unflatten } from './flatten.js';
export { ReLU, LeakyReLU, Tanh, Sigmoid, Softplus, GELU, Softmax, LogSoftmax, SiLU, Mish, ELU, PReLU, Hardtanh, Hardswish, Softsign } from './activation.js';
export { Dropout } from './dropout.js';
export { BatchNorm1d, BatchNorm2d, LayerNorm, RMSNorm, type BatchNormOptions, type LayerNormOptions, type RMSNormOptions } from './normalization.js';
export { GroupNorm, InstanceNorm1d, InstanceNorm2d, type GroupNormOptions, type InstanceNormOptions } from './group-norm.js';
export { Embedding, type EmbeddingOptions } from './embedding.js';
export {
  Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d, type Conv1dLayerOptions, type Conv2dLayerOptions, type ConvTranspose1dLayerOptions,
  type ConvTranspose2dLayerOptions,
} from './conv.js';
export { MaxPool2d, AvgPool2d, MaxPool1d, AvgPool1d, AdaptiveAvgPool2d, AdaptiveMaxPool2d, Upsample } from './pooling.js';
export { RNN, LSTM, GRU, type RNNOptions, type LSTMOptions, type ElmanOptions } from './recurrent.js';
export {
  scaledDotProductAttention, MultiheadAttention, type AttentionOptions, type MultiheadAttentionOptions, type MultiheadAttentionCallOptions,
} from './attention.js';
export {
  TransformerEncoderLayer, TransformerDecoderLayer, TransformerEncoder, TransformerDecoder, type TransformerLayerOptions,
  type TransformerActivation, type TransformerEncoderCallOptions, type TransformerDecoderCallOptions,
} from './transformer.js';
