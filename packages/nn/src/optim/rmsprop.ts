import type { Tensor } from '@tapegrad/tensor';
import { buffer, checkNonNegative, Optimizer, type ParamGroup, type ParamGroupInput, type ParamState, type StateSpec } from './optimizer.js';

/** RMSprop's hyperparameters (PyTorch's names and defaults). */
export interface RMSpropHyper {
  lr: number;
  alpha: number;
  eps: number;
  weightDecay: number;
  momentum: number;
  centered: boolean;
  maximize: boolean;
}

/** Options of {@link RMSprop}: any of {@link RMSpropHyper}; the rest keep their defaults. */
export type RMSpropOptions = Partial<RMSpropHyper>;

/**
 * RMSprop with PyTorch's update and defaults (lr 0.01, alpha 0.99, eps 1e-8):
 *
 *     g = grad + weightDecay * p
 *     v = alpha * v + (1 - alpha) * g^2
 *     a = alpha * a + (1 - alpha) * g;  d = sqrt(v - a^2) + eps     (centered)
 *     d = sqrt(v) + eps                                             (otherwise)
 *     b = momentum * b + g / d;  p = p - lr * b                     (momentum > 0)
 *     p = p - lr * g / d                                            (otherwise)
 */
export class RMSprop extends Optimizer<RMSpropHyper> {
  constructor(params: readonly Tensor[] | readonly ParamGroupInput<RMSpropHyper>[], opts: RMSpropOptions = {}) {
    super('RMSprop', params, { lr: 0.01, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false, maximize: false }, opts);
  }

  protected checkHyper(h: RMSpropHyper): void {
    checkNonNegative('RMSprop', 'learning rate lr', h.lr);
    checkNonNegative('RMSprop', 'alpha', h.alpha);
    checkNonNegative('RMSprop', 'eps', h.eps);
    checkNonNegative('RMSprop', 'weightDecay', h.weightDecay);
    checkNonNegative('RMSprop', 'momentum', h.momentum);
  }

  protected get stateSpec(): StateSpec {
    return { buffers: ['square_avg', 'momentum_buffer', 'grad_avg'], counters: ['step'] };
  }

  protected update(p: Tensor, grad: Tensor, h: ParamGroup<RMSpropHyper>, state: ParamState): void {
    state.step = ((state.step as number | undefined) ?? 0) + 1;
    let g = h.maximize ? grad.neg() : grad;
    if (h.weightDecay !== 0) g = g.add(p.mul(h.weightDecay));
    const squareAvg = buffer(state, 'square_avg', p).mul(h.alpha).add(g.mul(g).mul(1 - h.alpha));
    state.square_avg = squareAvg;
    let avg: Tensor;
    if (h.centered) {
      const gradAvg = buffer(state, 'grad_avg', p).mul(h.alpha).add(g.mul(1 - h.alpha));
      state.grad_avg = gradAvg;
      avg = squareAvg.sub(gradAvg.mul(gradAvg)).sqrt();
    } else {
      avg = squareAvg.sqrt();
    }
    avg = avg.add(h.eps);
    if (h.momentum > 0) {
      const buf = buffer(state, 'momentum_buffer', p).mul(h.momentum).add(g.div(avg));
      state.momentum_buffer = buf;
      p.sub_(buf.mul(h.lr));
    } else {
      p.sub_(g.div(avg).mul(h.lr));
    }
  }
}
