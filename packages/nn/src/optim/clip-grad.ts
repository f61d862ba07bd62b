import { Tensor, abs, max, norm, reshape, stack, tensor } from '@tapegrad/tensor';
import { noGrad } from '@tapegrad/autograd';
import { describe } from '@tapegrad/tensor/internal';
import { gradOf } from './optimizer.js';

/** Options of {@link clipGradNorm_}. */
export interface ClipGradNormOptions {
  /** The norm's order: a positive number or Infinity (default 2). */
  normType?: number;
  /** Throw when the total norm is NaN or infinite instead of scaling by it (default false). */
  errorIfNonfinite?: boolean;
}

function gradsOf(op: string, parameters: Tensor | Iterable<Tensor>): Tensor[] {
  const list = parameters instanceof Tensor ? [parameters] : parameters !== null && typeof parameters === 'object' && Symbol.iterator in parameters ? [...parameters] : null;
  if (list === null || !list.every((p) => p instanceof Tensor)) throw new TypeError(`${op}: expected a tensor or an array of tensors (e.g. model.parameters())`);
  return list.map((p) => gradOf(p, op)).filter((g): g is Tensor => g !== null);
}

/**
 * Scales the gradients of `parameters` in place so that their total norm (the norm of all of them
 * concatenated, order `normType`) is at most `maxNorm`, as PyTorch's clip_grad_norm_: each gradient
 * is multiplied by min(1, maxNorm / (total + 1e-6)). Returns the total norm before clipping (a 0-d
 * float tensor). Parameters without a gradient are skipped.
 *
 * @example
 * backward(loss); clipGradNorm_(model.parameters(), 1.0); opt.step();
 */
export function clipGradNorm_(parameters: Tensor | Iterable<Tensor>, maxNorm: number, opts: ClipGradNormOptions = {}): Tensor {
  const op = 'clipGradNorm_';
  if (opts === null || typeof opts !== 'object') throw new TypeError(`${op}: expected an options object, got ${describe(opts)}`);
  if (typeof maxNorm !== 'number' || Number.isNaN(maxNorm)) throw new TypeError(`${op}: expected a number maxNorm, got ${describe(maxNorm)}`);
  const p = opts.normType ?? 2;
  if (typeof p !== 'number' || !(p > 0)) throw new RangeError(`${op}: expected normType > 0 (or Infinity), got ${describe(p)}`);
  const grads = gradsOf(op, parameters);
  if (grads.length === 0) return tensor(0);
  return noGrad(() => {
    const total = p === Infinity
      ? max(stack(grads.map((g) => max(abs(g))), 0))
      : norm(stack(grads.map((g) => norm(reshape(g, [-1]), p)), 0), p);
    const value = total.item();
    if (opts.errorIfNonfinite && !Number.isFinite(value)) {
      throw new RangeError(`${op}: the total norm of order ${p} of the gradients is ${value}, so they cannot be clipped (pass errorIfNonfinite: false to scale by it anyway)`);
    }
    const coef = maxNorm / (value + 1e-6);
    if (coef < 1) for (const g of grads) g.mul_(coef);
    return total;
  });
}

/** Clamps every gradient of `parameters` to [-clipValue, clipValue] in place, as PyTorch's clip_grad_value_. */
export function clipGradValue_(parameters: Tensor | Iterable<Tensor>, clipValue: number): void {
  const op = 'clipGradValue_';
  if (typeof clipValue !== 'number' || !(clipValue >= 0)) throw new RangeError(`${op}: expected a clip value >= 0, got ${describe(clipValue)}`);
  noGrad(() => {
    for (const g of gradsOf(op, parameters)) g.copy_(g.clamp(-clipValue, clipValue));
  });
}
