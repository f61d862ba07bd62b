import { full, type Tensor } from '@tapegrad/tensor';
import { checkNonNegative, Optimizer, type ParamGroup, type ParamGroupInput, type ParamState, type StateSpec } from './optimizer.js';

/** Adagrad's hyperparameters (PyTorch's names in camelCase). */
export interface AdagradHyper {
  lr: number;
  lrDecay: number;
  weightDecay: number;
  initialAccumulatorValue: number;
  eps: number;
  maximize: boolean;
}

/** Options of {@link Adagrad}: any of {@link AdagradHyper}; the rest keep their defaults. */
export type AdagradOptions = Partial<AdagradHyper>;

/**
 * Adagrad with PyTorch's update and defaults (lr 0.01, eps 1e-10): every parameter's state (`sum`
 * filled with `initialAccumulatorValue`, `step` 0) exists from construction, as in PyTorch.
 *
 *     g = grad + weightDecay * p
 *     sum = sum + g^2
 *     p = p - lr / (1 + (t - 1) lrDecay) * g / (sqrt(sum) + eps)
 */
export class Adagrad extends Optimizer<AdagradHyper> {
  constructor(params: readonly Tensor[] | readonly ParamGroupInput<AdagradHyper>[], opts: AdagradOptions = {}) {
    super('Adagrad', params, { lr: 0.01, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10, maximize: false }, opts);
    for (const g of this.paramGroups) {
      for (const p of g.params) this.state.set(p, { step: 0, sum: full(p.shape, g.initialAccumulatorValue, { dtype: p.dtype }) });
    }
  }

  protected checkHyper(h: AdagradHyper): void {
    checkNonNegative('Adagrad', 'learning rate lr', h.lr);
    checkNonNegative('Adagrad', 'lrDecay', h.lrDecay);
    checkNonNegative('Adagrad', 'weightDecay', h.weightDecay);
    checkNonNegative('Adagrad', 'initialAccumulatorValue', h.initialAccumulatorValue);
    checkNonNegative('Adagrad', 'eps', h.eps);
  }

  protected get stateSpec(): StateSpec {
    return { buffers: ['sum'], counters: ['step'] };
  }

  protected update(p: Tensor, grad: Tensor, h: ParamGroup<AdagradHyper>, state: ParamState): void {
    const step = ((state.step as number | undefined) ?? 0) + 1;
    state.step = step;
    let g = h.maximize ? grad.neg() : grad;
    if (h.weightDecay !== 0) g = g.add(p.mul(h.weightDecay));
    const prev = state.sum;
    const sum = (prev === undefined ? full(p.shape, h.initialAccumulatorValue, { dtype: p.dtype }) : (prev as Tensor)).add(g.mul(g));
    state.sum = sum;
    const clr = h.lr / (1 + (step - 1) * h.lrDecay);
    p.sub_(g.div(sum.sqrt().add(h.eps)).mul(clr));
  }
}
