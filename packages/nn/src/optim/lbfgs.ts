import { Tensor, concat, dot, reshape, zeros } from '@tapegrad/tensor';
import { withGradMode, describe } from '@tapegrad/tensor/internal';
import { noGrad } from '@tapegrad/autograd';
import { checkNonNegative, gradOf, Optimizer, type ParamGroup, type ParamGroupInput, type ParamState, type StateSpec } from './optimizer.js';
import { strongWolfe } from './strong-wolfe.js';

/** LBFGS's hyperparameters (PyTorch's names in camelCase). */
export interface LBFGSHyper {
  lr: number;
  maxIter: number;
  maxEval: number;
  toleranceGrad: number;
  toleranceChange: number;
  historySize: number;
  lineSearchFn: 'strong_wolfe' | null;
}

/**
 * Options of {@link LBFGS}: any of {@link LBFGSHyper}; the rest keep their defaults (lr 1, maxIter 20,
 * historySize 100, no line search).
 */
export type LBFGSOptions = Partial<LBFGSHyper>;

/** What the closure returns: the loss, as a one-element tensor or a number. */
export type LossClosure = () => Tensor | number;

function lossValue(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v instanceof Tensor && v.size === 1) return v.item();
  throw new TypeError(`LBFGS.step: the closure must return the loss (a number or a one-element tensor), got ${v instanceof Tensor ? `a tensor of shape [${v.shape.join(',')}]` : typeof v}`);
}

const maxAbs = (t: Tensor): number => t.abs().max().item();

/**
 * Limited-memory BFGS (PyTorch's LBFGS, after minFunc), for full-batch problems such as PINNs: each
 * `step(closure)` runs up to `maxIter` quasi-Newton iterations, calling `closure` (which zeroes the
 * gradients, computes the loss, calls `backward` and returns the loss) whenever it needs the loss and
 * gradient. Directions come from the last `historySize` curvature pairs (two-loop recursion); the
 * step length is `lr` (the first iteration scaled to the gradient), or comes from a line search
 * satisfying the strong Wolfe conditions with `lineSearchFn: 'strong_wolfe'`. Stops on `maxEval`
 * evaluations, a gradient below `toleranceGrad`, or changes below `toleranceChange`. One parameter
 * group only. Defaults: lr 1, maxIter 20, maxEval maxIter * 5 / 4, toleranceGrad 1e-7,
 * toleranceChange 1e-9, historySize 100. Returns the closure's first loss.
 *
 * @example
 * const opt = new LBFGS(model.parameters(), { lineSearchFn: 'strong_wolfe' });
 * for (let i = 0; i < 50; i++) opt.step(() => { opt.zeroGrad(); const l = lossOf(model); backward(l); return l; });
 */
export class LBFGS extends Optimizer<LBFGSHyper> {
  constructor(params: readonly Tensor[] | readonly ParamGroupInput<LBFGSHyper>[], opts: LBFGSOptions = {}) {
    if (opts === null || typeof opts !== 'object') throw new TypeError(`LBFGS: expected an options object, got ${describe(opts)}`);
    // maxEval's default follows maxIter; a maxIter that is not a number is refused by the checks below.
    const maxIter = typeof opts.maxIter === 'number' ? opts.maxIter : 20;
    super('LBFGS', params, {
      lr: 1, maxIter: 20, maxEval: Math.floor((maxIter * 5) / 4), toleranceGrad: 1e-7, toleranceChange: 1e-9, historySize: 100, lineSearchFn: null,
    }, opts);
    if (this.paramGroups.length !== 1) throw new RangeError(`LBFGS: supports one parameter group only, got ${this.paramGroups.length}`);
  }

  protected checkHyper(h: LBFGSHyper): void {
    checkNonNegative('LBFGS', 'learning rate lr', h.lr);
    for (const k of ['maxIter', 'maxEval', 'historySize'] as const) {
      if (!Number.isInteger(h[k]) || h[k] < 1) throw new RangeError(`LBFGS: invalid ${k}: ${h[k]} (expected a positive integer)`);
    }
    checkNonNegative('LBFGS', 'toleranceGrad', h.toleranceGrad);
    checkNonNegative('LBFGS', 'toleranceChange', h.toleranceChange);
    if (h.lineSearchFn !== null && h.lineSearchFn !== 'strong_wolfe') {
      throw new RangeError(`LBFGS: lineSearchFn must be null or 'strong_wolfe', got ${describe(h.lineSearchFn)}`);
    }
  }

  protected get stateSpec(): StateSpec {
    const n = this.#numel();
    const flat = (k: string, v: unknown): Tensor => {
      if (!(v instanceof Tensor) || v.ndim !== 1 || v.size !== n) throw new TypeError(`LBFGS.loadStateDict: '${k}' must be a 1-D tensor of ${n} elements`);
      return noGrad(() => v.clone());
    };
    const scalar = (k: string, v: unknown): number => {
      const x = v instanceof Tensor && v.size === 1 ? v.item() : v;
      if (typeof x !== 'number' || Number.isNaN(x)) throw new TypeError(`LBFGS.loadStateDict: '${k}' must be a number`);
      return x;
    };
    return {
      buffers: [],
      counters: ['func_evals', 'n_iter'],
      other: (k, v) => {
        if (k === 'd' || k === 'prev_flat_grad') return flat(k, v);
        if (k === 't' || k === 'H_diag' || k === 'prev_loss') return scalar(k, v);
        if (k === 'old_dirs' || k === 'old_stps' || k === 'ro') {
          if (!Array.isArray(v)) throw new TypeError(`LBFGS.loadStateDict: '${k}' must be an array`);
          return k === 'ro' ? v.map((x) => scalar(k, x)) : v.map((x) => flat(k, x));
        }
        return undefined;
      },
    };
  }

  protected update(): void {
    throw new Error('LBFGS: parameters are updated by step(closure)');
  }

  get #params(): Tensor[] {
    return this.paramGroups[0]!.params;
  }

  #numel(): number {
    return this.#params.reduce((n, p) => n + p.size, 0);
  }

  /** Every gradient flattened into one vector (zeros for a parameter without one). */
  #flatGrad(): Tensor {
    return noGrad(() => concat(this.#params.map((p) => {
      const g = gradOf(p, 'LBFGS.step');
      return g === null ? zeros([p.size], { dtype: p.dtype }) : reshape(g.detach(), [p.size]);
    }), 0));
  }

  /** p += step * (the parameter's slice of `dir`), for every parameter. */
  #addScaled(step: number, dir: Tensor): void {
    noGrad(() => {
      let at = 0;
      for (const p of this.#params) {
        p.add_(reshape(dir.slice([at], [at + p.size]), p.shape).mul(step));
        at += p.size;
      }
    });
  }

  #evaluate(closure: LossClosure): number {
    return lossValue(withGradMode(true, closure));
  }

  /** Runs up to maxIter L-BFGS iterations; `closure` re-evaluates the loss and its gradients. Returns the first loss. */
  override step<T = undefined>(closure?: () => T): T | undefined {
    if (typeof closure !== 'function') throw new TypeError('LBFGS.step: expected a closure that recomputes the loss, calls backward and returns the loss');
    const h = this.paramGroups[0]! as ParamGroup<LBFGSHyper>;
    const first = this.#params[0]!;
    let state = this.state.get(first);
    if (state === undefined) {
      state = { func_evals: 0, n_iter: 0 };
      this.state.set(first, state);
    }
    const s = state as ParamState & { func_evals: number; n_iter: number };
    const origLoss = withGradMode(true, closure);
    let loss = lossValue(origLoss);
    let evals = 1;
    s.func_evals++;
    let g = this.#flatGrad();
    if (maxAbs(g) <= h.toleranceGrad) return origLoss;

    let d = s.d as Tensor | undefined;
    let t = s.t as number | undefined;
    const oldDirs = (s.old_dirs as Tensor[] | undefined) ?? [];
    const oldStps = (s.old_stps as Tensor[] | undefined) ?? [];
    const ro = (s.ro as number[] | undefined) ?? [];
    let hDiag = (s.H_diag as number | undefined) ?? 1;
    let prevG = s.prev_flat_grad as Tensor | undefined;
    let prevLoss = s.prev_loss as number | undefined;

    for (let iter = 1; iter <= h.maxIter; iter++) {
      s.n_iter++;
      if (s.n_iter === 1 || d === undefined || prevG === undefined || t === undefined) {
        d = g.neg();
        oldDirs.length = 0;
        oldStps.length = 0;
        ro.length = 0;
        hDiag = 1;
      } else {
        // Curvature pair from the last step, kept when it is positive enough.
        const y = g.sub(prevG);
        const st = d.mul(t);
        const ys = dot(y, st).item();
        if (ys > 1e-10) {
          if (oldDirs.length === h.historySize) {
            oldDirs.shift();
            oldStps.shift();
            ro.shift();
          }
          oldDirs.push(y);
          oldStps.push(st);
          ro.push(1 / ys);
          hDiag = ys / dot(y, y).item();
        }
        // Two-loop recursion: d = -H g.
        const al = new Array<number>(oldDirs.length);
        let q = g.neg();
        for (let i = oldDirs.length - 1; i >= 0; i--) {
          al[i] = dot(oldStps[i]!, q).item() * ro[i]!;
          q = q.sub(oldDirs[i]!.mul(al[i]!));
        }
        let r = q.mul(hDiag);
        for (let i = 0; i < oldDirs.length; i++) {
          const be = dot(oldDirs[i]!, r).item() * ro[i]!;
          r = r.add(oldStps[i]!.mul(al[i]! - be));
        }
        d = r;
      }
      prevG = noGrad(() => g.clone());
      prevLoss = loss;
      t = s.n_iter === 1 ? Math.min(1, 1 / g.abs().sum().item()) * h.lr : h.lr;
      const gtd = dot(g, d).item();
      if (gtd > -h.toleranceChange) break;

      let lsEvals = 0;
      let optimal = false;
      if (h.lineSearchFn === 'strong_wolfe') {
        const start = noGrad(() => this.#params.map((p) => p.clone()));
        const dir = d;
        const objective = (step: number): [number, Tensor] => {
          this.#addScaled(step, dir);
          const f = this.#evaluate(closure as LossClosure);
          const grad = this.#flatGrad();
          noGrad(() => this.#params.forEach((p, i) => p.copy_(start[i]!)));
          return [f, grad];
        };
        const res = strongWolfe(objective, t, d, loss, g, gtd, h.toleranceChange);
        [loss, g, t, lsEvals] = [res.f, res.g, res.t, res.evals];
        this.#addScaled(t, d);
        optimal = maxAbs(g) <= h.toleranceGrad;
      } else {
        this.#addScaled(t, d);
        if (iter !== h.maxIter) {
          loss = this.#evaluate(closure as LossClosure);
          g = this.#flatGrad();
          optimal = maxAbs(g) <= h.toleranceGrad;
          lsEvals = 1;
        }
      }
      evals += lsEvals;
      s.func_evals += lsEvals;
      if (iter === h.maxIter || evals >= h.maxEval || optimal) break;
      if (maxAbs(d.mul(t)) <= h.toleranceChange) break;
      if (Math.abs(loss - prevLoss) < h.toleranceChange) break;
    }
    Object.assign(s, { old_dirs: oldDirs, old_stps: oldStps, ro, H_diag: hDiag });
    if (d !== undefined) s.d = d;
    if (t !== undefined) s.t = t;
    if (prevG !== undefined) s.prev_flat_grad = prevG;
    if (prevLoss !== undefined) s.prev_loss = prevLoss;
    return origLoss;
  }
}
