import { Tensor } from '@tapegrad/tensor';
import { axpyInPlace } from '@tapegrad/tensor/internal';
import { checkNonNegative, Optimizer, type ParamGroup, type ParamGroupInput, type ParamState, type StateSpec } from './optimizer.js';

/** SGD's hyperparameters (PyTorch's names in camelCase). */
export interface SGDHyper {
  lr: number;
  momentum: number;
  dampening: number;
  nesterov: boolean;
  weightDecay: number;
  maximize: boolean;
}

/**
 * Options of {@link SGD}: any of {@link SGDHyper}. `lr` has no default: give it here or in every parameter
 * group.
 *
 * @example
 * const opt = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9, nesterov: true });
 */
export type SGDOptions = Partial<SGDHyper>;

/**
 * Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and L2 weight
 * decay, with PyTorch's update (lr has no default):
 *
 *     g = grad + weightDecay * p
 *     b = g                                          (first step)
 *     b = momentum * b + (1 - dampening) * g          (later steps)
 *     g = nesterov ? g + momentum * b : b             (when momentum != 0)
 *     p = p - lr * g
 *
 * @example
 * const opt = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
 * opt.zeroGrad(); backward(loss); opt.step();
 */
export class SGD extends Optimizer<SGDHyper> {
  constructor(params: readonly Tensor[], opts: SGDOptions & { lr: number });
  constructor(params: readonly ParamGroupInput<SGDHyper>[], opts?: SGDOptions);
  constructor(params: readonly Tensor[] | readonly ParamGroupInput<SGDHyper>[], opts: SGDOptions = {}) {
    super('SGD', params, { lr: undefined, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0, maximize: false }, opts);
  }

  protected checkHyper(h: SGDHyper): void {
    checkNonNegative('SGD', 'learning rate lr', h.lr);
    checkNonNegative('SGD', 'momentum', h.momentum);
    checkNonNegative('SGD', 'weightDecay', h.weightDecay);
    if (!Number.isFinite(h.dampening)) throw new RangeError(`SGD: invalid dampening: ${h.dampening}`);
    if (h.nesterov && (h.momentum <= 0 || h.dampening !== 0)) {
      throw new RangeError(`SGD: nesterov momentum requires momentum > 0 and dampening = 0, got momentum ${h.momentum} and dampening ${h.dampening}`);
    }
  }

  protected get stateSpec(): StateSpec {
    return { buffers: ['momentum_buffer'], counters: [] };
  }

  protected update(p: Tensor, grad: Tensor, h: ParamGroup<SGDHyper>, state: ParamState): void {
    let g = h.maximize ? grad.neg() : grad;
    if (h.weightDecay !== 0) g = g.add(p.mul(h.weightDecay));
    if (h.momentum !== 0) {
      const prev = state.momentum_buffer;
      // The first buffer is a copy of the gradient: the user may zero that gradient in place later.
      const buf = prev instanceof Tensor ? prev.mul(h.momentum).add(g.mul(1 - h.dampening)) : g.clone();
      state.momentum_buffer = buf;
      g = h.nesterov ? g.add(buf.mul(h.momentum)) : buf;
    }
    axpyInPlace(p, g, -h.lr, 'SGD');
  }
}
