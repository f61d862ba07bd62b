import { Tensor, div } from '@tapegrad/tensor';
import { describe } from '@tapegrad/tensor/internal';
import {
  buffer, checkNonNegative, checkUnitInterval, Optimizer, type ParamGroup, type ParamGroupInput, type ParamState, type StateSpec,
} from './optimizer.js';

/** NAdam's hyperparameters (PyTorch 1.13's names in camelCase). */
export interface NAdamHyper {
  lr: number;
  betas: readonly [number, number];
  eps: number;
  weightDecay: number;
  momentumDecay: number;
}

/** Options of {@link NAdam}: any of {@link NAdamHyper}; the rest keep their defaults. */
export type NAdamOptions = Partial<NAdamHyper>;

/** The first and second moments, updated in place of the state: m = b1 m + (1 - b1) g, v = b2 v + (1 - b2) g^2. */
function moments(state: ParamState, p: Tensor, g: Tensor, beta1: number, beta2: number): [Tensor, Tensor] {
  const m = buffer(state, 'exp_avg', p).mul(beta1).add(g.mul(1 - beta1));
  const v = buffer(state, 'exp_avg_sq', p).mul(beta2).add(g.mul(g).mul(1 - beta2));
  state.exp_avg = m;
  state.exp_avg_sq = v;
  return [m, v];
}

function checkAdamLike(name: string, h: { lr: number; eps: number; betas: readonly [number, number]; weightDecay: number }): void {
  checkNonNegative(name, 'learning rate lr', h.lr);
  checkNonNegative(name, 'eps', h.eps);
  checkUnitInterval(name, 'betas[0]', h.betas[0]);
  checkUnitInterval(name, 'betas[1]', h.betas[1]);
  checkNonNegative(name, 'weightDecay', h.weightDecay);
}

/** A number kept in the state (NAdam's running product), or PyTorch's 0-d tensor of it. */
function scalarState(key: string, value: unknown): number | undefined {
  const v = value instanceof Tensor && value.size === 1 ? value.item() : value;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new TypeError(`state entry '${key}' must be a finite number, got ${describe(value)}`);
  return v;
}

/**
 * NAdam (Adam with Nesterov momentum, Dozat 2016) with PyTorch's update and defaults (lr 2e-3,
 * betas [0.9, 0.999], eps 1e-8, momentumDecay 4e-3):
 *
 *     mu_t = b1 (1 - 0.96^(t momentumDecay) / 2),  prod_t = prod_{i <= t} mu_i
 *     m, v as Adam;  d = sqrt(v / (1 - b2^t)) + eps
 *     p = p - lr (1 - mu_t) / (1 - prod_t) * g / d - lr mu_{t+1} / (1 - prod_t mu_{t+1}) * m / d
 */
export class NAdam extends Optimizer<NAdamHyper> {
  constructor(params: readonly Tensor[] | readonly ParamGroupInput<NAdamHyper>[], opts: NAdamOptions = {}) {
    super('NAdam', params, { lr: 2e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, momentumDecay: 4e-3 }, opts);
  }

  protected checkHyper(h: NAdamHyper): void {
    checkAdamLike('NAdam', h);
    checkNonNegative('NAdam', 'momentumDecay', h.momentumDecay);
  }

  protected get stateSpec(): StateSpec {
    return { buffers: ['exp_avg', 'exp_avg_sq'], counters: ['step'], other: (k, v) => (k === 'mu_product' ? scalarState(k, v) : undefined) };
  }

  protected update(p: Tensor, grad: Tensor, h: ParamGroup<NAdamHyper>, state: ParamState): void {
    const [beta1, beta2] = h.betas;
    const step = ((state.step as number | undefined) ?? 0) + 1;
    state.step = step;
    const g = h.weightDecay !== 0 ? grad.add(p.mul(h.weightDecay)) : grad;
    const mu = beta1 * (1 - 0.5 * 0.96 ** (step * h.momentumDecay));
    const muNext = beta1 * (1 - 0.5 * 0.96 ** ((step + 1) * h.momentumDecay));
    const muProduct = ((state.mu_product as number | undefined) ?? 1) * mu;
    state.mu_product = muProduct;
    const [m, v] = moments(state, p, g, beta1, beta2);
    const denom = v.div(1 - beta2 ** step).sqrt().add(h.eps);
    p.sub_(g.div(denom).mul((h.lr * (1 - mu)) / (1 - muProduct)));
    p.sub_(m.div(denom).mul((h.lr * muNext) / (1 - muProduct * muNext)));
  }
}

/** RAdam's hyperparameters (PyTorch 1.13's names in camelCase). */
export interface RAdamHyper {
  lr: number;
  betas: readonly [number, number];
  eps: number;
  weightDecay: number;
}

/** Options of {@link RAdam}: any of {@link RAdamHyper}; the rest keep their defaults. */
export type RAdamOptions = Partial<RAdamHyper>;

/**
 * Rectified Adam (Liu et al. 2019) with PyTorch's update and defaults (lr 1e-3, betas [0.9, 0.999],
 * eps 1e-8): while the variance of the adaptive lr is intractable (rho_t <= 5) it takes plain
 * momentum steps, afterwards Adam steps scaled by the rectification term r_t:
 *
 *     rho_inf = 2 / (1 - b2) - 1,  rho_t = rho_inf - 2 t b2^t / (1 - b2^t)
 *     p = p - lr m / (1 - b1^t) * (rho_t > 5 ? r_t sqrt(1 - b2^t) / (sqrt(v) + eps) : 1)
 */
export class RAdam extends Optimizer<RAdamHyper> {
  constructor(params: readonly Tensor[] | readonly ParamGroupInput<RAdamHyper>[], opts: RAdamOptions = {}) {
    super('RAdam', params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0 }, opts);
  }

  protected checkHyper(h: RAdamHyper): void {
    checkAdamLike('RAdam', h);
  }

  protected get stateSpec(): StateSpec {
    return { buffers: ['exp_avg', 'exp_avg_sq'], counters: ['step'] };
  }

  protected update(p: Tensor, grad: Tensor, h: ParamGroup<RAdamHyper>, state: ParamState): void {
    const [beta1, beta2] = h.betas;
    const step = ((state.step as number | undefined) ?? 0) + 1;
    state.step = step;
    const g = h.weightDecay !== 0 ? grad.add(p.mul(h.weightDecay)) : grad;
    const [m, v] = moments(state, p, g, beta1, beta2);
    const bc1 = 1 - beta1 ** step;
    const bc2 = 1 - beta2 ** step;
    const corrected = m.div(bc1);
    const rhoInf = 2 / (1 - beta2) - 1;
    const rhoT = rhoInf - (2 * step * beta2 ** step) / bc2;
    if (rhoT > 5) {
      const rect = Math.sqrt(((rhoT - 4) * (rhoT - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rhoT));
      const adaptive = div(Math.sqrt(bc2), v.sqrt().add(h.eps));
      p.sub_(corrected.mul(h.lr).mul(adaptive).mul(rect));
    } else {
      p.sub_(corrected.mul(h.lr));
    }
  }
}
