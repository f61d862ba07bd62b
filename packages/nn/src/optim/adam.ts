import type { Tensor } from '@tapegrad/tensor';
import { axpy, axpyInPlace } from '@tapegrad/tensor/internal';
import {
  buffer, checkNonNegative, checkUnitInterval, Optimizer, type ParamGroup, type ParamGroupInput, type ParamState, type StateSpec,
} from './optimizer.js';

/** Adam's and AdamW's hyperparameters (PyTorch's names in camelCase). */
export interface AdamHyper {
  lr: number;
  betas: readonly [number, number];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  maximize: boolean;
}

/**
 * Options of {@link Adam} and {@link AdamW}: any of {@link AdamHyper}; the rest keep their defaults.
 *
 * @example
 * const opt = new AdamW(model.parameters(), { lr: 3e-4, weightDecay: 0.1 });
 */
export type AdamOptions = Partial<AdamHyper>;

const ADAM_STATE: StateSpec = { buffers: ['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq'], counters: ['step'] };

/** Adam and AdamW: one update, which `decoupled` switches between an L2 term and decoupled weight decay. */
abstract class AdamFamily extends Optimizer<AdamHyper> {
  private readonly decoupled: boolean;

  protected constructor(name: string, params: readonly Tensor[] | readonly ParamGroupInput<AdamHyper>[], weightDecay: number, opts: AdamOptions, decoupled: boolean) {
    super(name, params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay, amsgrad: false, maximize: false }, opts);
    this.decoupled = decoupled;
  }

  protected checkHyper(h: AdamHyper): void {
    checkNonNegative(this.name, 'learning rate lr', h.lr);
    checkNonNegative(this.name, 'eps', h.eps);
    checkUnitInterval(this.name, 'betas[0]', h.betas[0]);
    checkUnitInterval(this.name, 'betas[1]', h.betas[1]);
    checkNonNegative(this.name, 'weightDecay', h.weightDecay);
  }

  protected get stateSpec(): StateSpec {
    return ADAM_STATE;
  }

  /**
   * One step for one parameter, in place as PyTorch does it: the moment buffers (the optimizer's
   * own, never handed out: stateDict copies them) are updated where they lie, so a step makes two
   * temporaries of the parameter's size (g*g, and the update) instead of a dozen.
   */
  protected update(p: Tensor, grad: Tensor, h: ParamGroup<AdamHyper>, state: ParamState): void {
    const [beta1, beta2] = h.betas;
    const step = ((state.step as number | undefined) ?? 0) + 1;
    state.step = step;
    let g = h.maximize ? grad.neg() : grad;
    if (h.weightDecay !== 0) {
      if (this.decoupled) p.mul_(1 - h.lr * h.weightDecay);
      else g = axpy(g, p, h.weightDecay, this.name);
    }
    const expAvg = buffer(state, 'exp_avg', p).mul_(beta1);
    axpyInPlace(expAvg, g, 1 - beta1, this.name);
    const expAvgSq = buffer(state, 'exp_avg_sq', p).mul_(beta2);
    axpyInPlace(expAvgSq, g.mul(g), 1 - beta2, this.name);
    const biasCorrection1 = 1 - beta1 ** step;
    const biasCorrection2Sqrt = Math.sqrt(1 - beta2 ** step);
    const stepSize = h.lr / biasCorrection1;
    let second = expAvgSq;
    if (h.amsgrad) {
      second = buffer(state, 'max_exp_avg_sq', p).maximum(expAvgSq);
      state.max_exp_avg_sq = second;
    }
    const denom = second.sqrt().div_(biasCorrection2Sqrt).add_(h.eps);
    axpyInPlace(p, expAvg.div(denom), -stepSize, this.name);
  }
}

/**
 * Adam with PyTorch's update and defaults (lr 1e-3, betas [0.9, 0.999], eps 1e-8); weightDecay adds
 * an L2 term to the gradient:
 *
 *     g = grad + weightDecay * p
 *     m = b1 * m + (1 - b1) * g;   v = b2 * v + (1 - b2) * g^2;   (amsgrad: vmax = max(vmax, v), used for v)
 *     p = p - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
 */
export class Adam extends AdamFamily {
  constructor(params: readonly Tensor[] | readonly ParamGroupInput<AdamHyper>[], opts: AdamOptions = {}) {
    super('Adam', params, 0, opts, false);
  }
}

/**
 * AdamW: Adam with decoupled weight decay (default 0.01), as PyTorch: each step first shrinks the
 * parameter, `p = p * (1 - lr * weightDecay)`, then applies Adam's update to the raw gradient.
 */
export class AdamW extends AdamFamily {
  constructor(params: readonly Tensor[] | readonly ParamGroupInput<AdamHyper>[], opts: AdamOptions = {}) {
    super('AdamW', params, 1e-2, opts, true);
  }
}
