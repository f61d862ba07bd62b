import type { Tensor } from '../tensor.js';
import { gather, reshape } from './movement.js';

/**
 * gather(x, axis, index) that also takes 0-d tensors (as one element along axis 0), for the ops that
 * pick values by positions computed along an axis (cummax, sort, topk, median...). Internal: not
 * exported from the package.
 */
export function gatherAlong(x: Tensor, axis: number, index: Tensor): Tensor {
  if (x.ndim > 0) return gather(x, axis, index);
  return reshape(gather(reshape(x, [1]), 0, reshape(index, [1])), []);
}
