import {
  LRScheduler, checkNumber, checkOptimizer, checkOptions, perGroup, positiveInt, type LRSchedulerStateDict, type Steppable,
} from './lr-scheduler.js';
import type { BaseHyper, Optimizer } from './optimizer.js';
import { describe } from '@tapegrad/tensor/internal';

/**
 * Cosine annealing with warm restarts (SGDR): the lr follows `etaMin + (initialLr - etaMin) *
 * (1 + cos(pi * tCur / tI)) / 2`, restarting at the initial lr after `t0` epochs, then after
 * `t0 * tMult`, `t0 * tMult^2`, ... (tMult default 1, etaMin default 0).
 */
export class CosineAnnealingWarmRestarts extends LRScheduler {
  readonly t0: number;
  readonly tMult: number;
  readonly etaMin: number;
  /** The length of the current cycle and the position in it. */
  tI: number;
  tCur = -1;

  constructor(optimizer: Optimizer<BaseHyper>, opts: { t0: number; tMult?: number; etaMin?: number }) {
    super(optimizer);
    const n = 'CosineAnnealingWarmRestarts';
    const o = checkOptions(n, opts, ['t0', 'tMult', 'etaMin']);
    this.t0 = checkNumber(n, 't0', o.t0, positiveInt, 'a positive integer');
    this.tMult = checkNumber(n, 'tMult', o.tMult ?? 1, positiveInt, 'an integer >= 1');
    this.etaMin = checkNumber(n, 'etaMin', o.etaMin ?? 0, Number.isFinite, 'a finite number');
    this.tI = this.t0;
    this.initialStep();
  }

  protected nextLrs(): number[] {
    return this.baseLrs.map((b) => this.etaMin + ((b - this.etaMin) * (1 + Math.cos((Math.PI * this.tCur) / this.tI))) / 2);
  }

  override step(epoch?: number): void {
    if (epoch === undefined && this.lastEpoch >= 0) {
      this.tCur++;
      if (this.tCur >= this.tI) {
        this.tCur -= this.tI;
        this.tI *= this.tMult;
      }
      super.step();
      return;
    }
    const e = epoch ?? 0;
    checkNumber('CosineAnnealingWarmRestarts.step', 'epoch', e, (x) => Number.isInteger(x) && x >= 0, 'a non-negative integer');
    if (e >= this.t0 && this.tMult === 1) {
      this.tCur = e % this.t0;
    } else if (e >= this.t0) {
      const k = Math.floor(Math.log((e / this.t0) * (this.tMult - 1) + 1) / Math.log(this.tMult));
      this.tCur = e - (this.t0 * (this.tMult ** k - 1)) / (this.tMult - 1);
      this.tI = this.t0 * this.tMult ** k;
    } else {
      this.tI = this.t0;
      this.tCur = e;
    }
    this.lastEpoch = e - 1;
    super.step();
  }

  protected override extraState(): Record<string, unknown> {
    return { T_i: this.tI, T_cur: this.tCur };
  }

  protected override loadExtra(sd: LRSchedulerStateDict): void {
    const n = 'CosineAnnealingWarmRestarts.loadStateDict';
    const tI = checkNumber(n, 'T_i', sd.T_i, positiveInt, 'a positive integer');
    const tCur = checkNumber(n, 'T_cur', sd.T_cur, (x) => Number.isInteger(x) && x >= -1, 'an integer >= -1');
    this.tI = tI;
    this.tCur = tCur;
  }
}

/**
 * Options of {@link OneCycleLR}: `maxLr`, and the cycle's length as `totalSteps` or as `epochs` times
 * `stepsPerEpoch`; the rest as PyTorch's defaults.
 */
export interface OneCycleOptions {
  /** The peak lr: one for every group or one per group. */
  maxLr: number | number[];
  /** The number of steps in the cycle (or give epochs and stepsPerEpoch). */
  totalSteps?: number;
  epochs?: number;
  stepsPerEpoch?: number;
  /** Fraction of the cycle spent increasing the lr (default 0.3). */
  pctStart?: number;
  /** 'cos' (default) or 'linear'. */
  annealStrategy?: 'cos' | 'linear';
  /** Cycle the momentum (SGD, RMSprop) or betas[0] (Adam family) inversely to the lr (default true). */
  cycleMomentum?: boolean;
  baseMomentum?: number | number[];
  maxMomentum?: number | number[];
  /** initial lr = maxLr / divFactor (default 25). */
  divFactor?: number;
  /** minimum lr = initial lr / finalDivFactor (default 1e4). */
  finalDivFactor?: number;
  /** Three phases (up, down to the initial lr, then annihilation) instead of two (default false). */
  threePhase?: boolean;
}

interface Phase { end: number; lr: ['initial' | 'max' | 'min', 'initial' | 'max' | 'min']; momentum: ['max' | 'base', 'max' | 'base'] }

/**
 * The 1cycle policy (Smith and Topsom), stepped after every batch: the lr rises from
 * `maxLr / divFactor` to `maxLr` over the first `pctStart` of `totalSteps`, then falls to
 * `maxLr / divFactor / finalDivFactor`, while the momentum moves the other way between
 * `maxMomentum` and `baseMomentum`. As PyTorch, constructing it sets each group's `initialLr` to
 * maxLr / divFactor; stepping past `totalSteps` is an error.
 */
export class OneCycleLR extends LRScheduler {
  readonly totalSteps: number;
  readonly annealStrategy: 'cos' | 'linear';
  readonly cycleMomentum: boolean;
  readonly maxLrs: number[];
  readonly minLrs: number[];
  readonly maxMomentums: number[];
  readonly baseMomentums: number[];
  readonly #phases: Phase[];
  readonly #useBeta1: boolean;

  constructor(optimizer: Optimizer<BaseHyper>, opts: OneCycleOptions) {
    const n = 'OneCycleLR';
    const o = checkOptions(n, opts, [
      'maxLr', 'totalSteps', 'epochs', 'stepsPerEpoch', 'pctStart', 'annealStrategy', 'cycleMomentum', 'baseMomentum', 'maxMomentum',
      'divFactor', 'finalDivFactor', 'threePhase',
    ]) as unknown as OneCycleOptions;
    const opt = checkOptimizer(n, optimizer);
    const groups = opt.paramGroups.length;
    const list = (what: string, v: number | number[]): number[] => (Array.isArray(v) ? perGroup(n, what, v, groups) : perGroup(n, what, [v].flatMap((x) => Array(groups).fill(x) as number[]), groups));
    let total: number;
    if (o.totalSteps !== undefined) total = checkNumber(n, 'totalSteps', o.totalSteps, positiveInt, 'a positive integer');
    else if (o.epochs !== undefined && o.stepsPerEpoch !== undefined) {
      total = checkNumber(n, 'epochs', o.epochs, positiveInt, 'a positive integer') * checkNumber(n, 'stepsPerEpoch', o.stepsPerEpoch, positiveInt, 'a positive integer');
    } else throw new TypeError(`${n}: give totalSteps, or epochs and stepsPerEpoch`);
    const pct = checkNumber(n, 'pctStart', o.pctStart ?? 0.3, (x) => x >= 0 && x <= 1, 'a number in [0, 1]');
    const anneal = o.annealStrategy ?? 'cos';
    if (anneal !== 'cos' && anneal !== 'linear') throw new RangeError(`${n}: annealStrategy must be 'cos' or 'linear', got ${describe(anneal)}`);
    const div = checkNumber(n, 'divFactor', o.divFactor ?? 25, (x) => x > 0, 'a positive number');
    const finalDiv = checkNumber(n, 'finalDivFactor', o.finalDivFactor ?? 1e4, (x) => x > 0, 'a positive number');
    const maxLrs = list('maxLr', o.maxLr);
    const cycle = o.cycleMomentum ?? true;
    const defaults = opt.defaults as Record<string, unknown>;
    if (cycle && !('momentum' in defaults) && !('betas' in defaults)) {
      throw new TypeError(`${n}: ${opt.name} has no momentum or betas to cycle; pass { cycleMomentum: false }`);
    }
    const initial = maxLrs.map((m) => m / div);
    opt.paramGroups.forEach((g, i) => (g.initialLr = initial[i]));
    super(opt);
    this.totalSteps = total;
    this.annealStrategy = anneal;
    this.cycleMomentum = cycle;
    this.maxLrs = maxLrs;
    this.minLrs = initial.map((lr) => lr / finalDiv);
    this.maxMomentums = list('maxMomentum', o.maxMomentum ?? 0.95);
    this.baseMomentums = list('baseMomentum', o.baseMomentum ?? 0.85);
    this.#useBeta1 = 'betas' in defaults;
    this.#phases = o.threePhase
      ? [
          { end: pct * total - 1, lr: ['initial', 'max'], momentum: ['max', 'base'] },
          { end: 2 * pct * total - 2, lr: ['max', 'initial'], momentum: ['base', 'max'] },
          { end: total - 1, lr: ['initial', 'min'], momentum: ['max', 'max'] },
        ]
      : [
          { end: pct * total - 1, lr: ['initial', 'max'], momentum: ['max', 'base'] },
          { end: total - 1, lr: ['max', 'min'], momentum: ['base', 'max'] },
        ];
    if (cycle) this.#setMomentum(this.maxMomentums);
    this.initialStep();
  }

  #anneal(start: number, end: number, pct: number): number {
    return this.annealStrategy === 'cos' ? end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1) : (end - start) * pct + start;
  }

  #setMomentum(values: number[]): void {
    this.optimizer.paramGroups.forEach((g, i) => {
      const group = g as unknown as Record<string, unknown>;
      if (this.#useBeta1) group.betas = [values[i]!, ...(group.betas as number[]).slice(1)];
      else group.momentum = values[i]!;
    });
  }

  protected nextLrs(): number[] {
    const step = this.lastEpoch;
    if (step > this.totalSteps) throw new RangeError(`OneCycleLR: tried to step ${step + 1} times; the schedule has ${this.totalSteps} steps`);
    const lrs: number[] = [];
    const momenta: number[] = [];
    this.baseLrs.forEach((initial, i) => {
      const value = { initial, max: this.maxLrs[i]!, min: this.minLrs[i]! };
      const mom = { max: this.maxMomentums[i]!, base: this.baseMomentums[i]! };
      let start = 0;
      for (const [k, ph] of this.#phases.entries()) {
        if (step <= ph.end || k === this.#phases.length - 1) {
          const pct = (step - start) / (ph.end - start);
          lrs.push(this.#anneal(value[ph.lr[0]], value[ph.lr[1]], pct));
          momenta.push(this.#anneal(mom[ph.momentum[0]], mom[ph.momentum[1]], pct));
          break;
        }
        start = ph.end;
      }
    });
    if (this.cycleMomentum) this.#setMomentum(momenta);
    return lrs;
  }
}

/** Options of {@link ReduceLROnPlateau}, with PyTorch's names and defaults. */
export interface ReduceLROnPlateauOptions {
  /** 'min' (default): a lower metric is better; 'max': a higher one. */
  mode?: 'min' | 'max';
  /** The lr is multiplied by this when it plateaus (default 0.1, must be < 1). */
  factor?: number;
  /** Epochs without improvement tolerated before reducing (default 10). */
  patience?: number;
  /** What counts as an improvement (default 1e-4), relative (`thresholdMode` 'rel', default) or absolute ('abs'). */
  threshold?: number;
  thresholdMode?: 'rel' | 'abs';
  /** Epochs to wait after a reduction before counting again (default 0). */
  cooldown?: number;
  /** A floor for the lr: one for every group or one per group (default 0). */
  minLr?: number | number[];
  /** Reductions smaller than this are skipped (default 1e-8). */
  eps?: number;
}

/**
 * Reduces the lr by `factor` when a metric has stopped improving for more than `patience` epochs:
 * call `step(metric)` once per epoch with the validation loss (or accuracy, with mode 'max').
 */
export class ReduceLROnPlateau implements Steppable {
  readonly optimizer: Optimizer<BaseHyper>;
  readonly mode: 'min' | 'max';
  readonly factor: number;
  readonly patience: number;
  readonly threshold: number;
  readonly thresholdMode: 'rel' | 'abs';
  readonly cooldown: number;
  readonly minLrs: number[];
  readonly eps: number;
  lastEpoch = 0;
  best: number;
  numBadEpochs = 0;
  cooldownCounter = 0;
  private lastLr: number[];

  constructor(optimizer: Optimizer<BaseHyper>, opts: ReduceLROnPlateauOptions = {}) {
    const n = 'ReduceLROnPlateau';
    this.optimizer = checkOptimizer(n, optimizer);
    const o = checkOptions(n, opts, ['mode', 'factor', 'patience', 'threshold', 'thresholdMode', 'cooldown', 'minLr', 'eps']);
    const mode = o.mode ?? 'min';
    if (mode !== 'min' && mode !== 'max') throw new RangeError(`${n}: mode must be 'min' or 'max', got ${describe(mode)}`);
    const tm = o.thresholdMode ?? 'rel';
    if (tm !== 'rel' && tm !== 'abs') throw new RangeError(`${n}: thresholdMode must be 'rel' or 'abs', got ${describe(tm)}`);
    this.mode = mode;
    this.thresholdMode = tm;
    this.factor = checkNumber(n, 'factor', o.factor ?? 0.1, (x) => x >= 0 && x < 1, 'a number in [0, 1)');
    this.patience = checkNumber(n, 'patience', o.patience ?? 10, (x) => Number.isInteger(x) && x >= 0, 'a non-negative integer');
    this.threshold = checkNumber(n, 'threshold', o.threshold ?? 1e-4, (x) => x >= 0 && Number.isFinite(x), 'a finite number >= 0');
    this.cooldown = checkNumber(n, 'cooldown', o.cooldown ?? 0, (x) => Number.isInteger(x) && x >= 0, 'a non-negative integer');
    const groups = optimizer.paramGroups.length;
    const minLr = o.minLr ?? 0;
    this.minLrs = perGroup(n, 'minLr', Array.isArray(minLr) ? minLr : Array(groups).fill(minLr), groups);
    this.eps = checkNumber(n, 'eps', o.eps ?? 1e-8, (x) => x >= 0, 'a number >= 0');
    this.best = mode === 'min' ? Infinity : -Infinity;
    this.lastLr = optimizer.paramGroups.map((g) => g.lr);
  }

  #isBetter(a: number): boolean {
    const b = this.best;
    if (this.mode === 'min') return this.thresholdMode === 'rel' ? a < b * (1 - this.threshold) : a < b - this.threshold;
    return this.thresholdMode === 'rel' ? a > b * (1 + this.threshold) : a > b + this.threshold;
  }

  /** Records this epoch's metric (a number or a one-element tensor) and reduces the lr if it has plateaued. */
  step(metric?: number | { item(): number }): void {
    const current = typeof metric === 'number' ? metric : metric !== undefined && typeof metric.item === 'function' ? metric.item() : NaN;
    if (typeof current !== 'number' || Number.isNaN(current)) throw new TypeError(`ReduceLROnPlateau.step: expected the epoch's metric (a number), got ${describe(metric)}`);
    this.lastEpoch++;
    if (this.#isBetter(current)) {
      this.best = current;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs++;
    }
    if (this.cooldownCounter > 0) {
      this.cooldownCounter--;
      this.numBadEpochs = 0;
    }
    if (this.numBadEpochs > this.patience) {
      this.optimizer.paramGroups.forEach((g, i) => {
        const next = Math.max(g.lr * this.factor, this.minLrs[i]!);
        if (g.lr - next > this.eps) g.lr = next;
      });
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  getLastLr(): number[] {
    return this.lastLr.slice();
  }

  stateDict(): LRSchedulerStateDict {
    return {
      last_epoch: this.lastEpoch, base_lrs: [], _last_lr: this.lastLr.slice(), best: this.best, num_bad_epochs: this.numBadEpochs, cooldown_counter: this.cooldownCounter,
    };
  }

  loadStateDict(sd: LRSchedulerStateDict): void {
    const n = 'ReduceLROnPlateau.loadStateDict';
    if (typeof sd !== 'object' || sd === null) throw new TypeError(`${n}: expected { last_epoch, best, num_bad_epochs, cooldown_counter }`);
    const lastEpoch = checkNumber(n, 'last_epoch', sd.last_epoch, (x) => Number.isInteger(x) && x >= 0, 'a non-negative integer');
    const best = checkNumber(n, 'best', sd.best, (x) => !Number.isNaN(x), 'a number');
    const bad = checkNumber(n, 'num_bad_epochs', sd.num_bad_epochs, (x) => Number.isInteger(x) && x >= 0, 'a non-negative integer');
    const cool = checkNumber(n, 'cooldown_counter', sd.cooldown_counter, (x) => Number.isInteger(x) && x >= 0, 'a non-negative integer');
    const lastLr = perGroup(n, '_last_lr', sd._last_lr, this.optimizer.paramGroups.length);
    Object.assign(this, { lastEpoch, best, numBadEpochs: bad, cooldownCounter: cool, lastLr });
  }
}

function checkSameOptimizer(name: string, schedulers: unknown, optimizer?: Optimizer<BaseHyper>): Steppable[] {
  if (!Array.isArray(schedulers) || schedulers.length === 0 || !schedulers.every((s) => typeof s === 'object' && s !== null && typeof (s as Steppable).step === 'function')) {
    throw new TypeError(`${name}: expected a non-empty array of schedules`);
  }
  const opt = optimizer ?? (schedulers[0] as Steppable).optimizer;
  schedulers.forEach((s: Steppable, i) => {
    if (s.optimizer !== opt) throw new RangeError(`${name}: schedule ${i} belongs to another optimizer`);
  });
  return schedulers as Steppable[];
}

function nestedState(list: Steppable[], sd: LRSchedulerStateDict, name: string): LRSchedulerStateDict[] {
  const inner = sd._schedulers;
  if (!Array.isArray(inner) || inner.length !== list.length) throw new TypeError(`${name}: '_schedulers' must hold the state of ${list.length} schedules`);
  return inner as LRSchedulerStateDict[];
}

/**
 * Runs `schedulers` one after another: the first until epoch `milestones[0]`, the second (started
 * from its initial lr at that epoch) until `milestones[1]`, and so on, as PyTorch's SequentialLR
 * (e.g. a LinearLR warm-up then a cosine decay).
 */
export class SequentialLR implements Steppable {
  readonly optimizer: Optimizer<BaseHyper>;
  readonly schedulers: LRScheduler[];
  readonly milestones: number[];
  lastEpoch = 0;
  private lastLr: number[];

  constructor(optimizer: Optimizer<BaseHyper>, schedulers: LRScheduler[], milestones: number[]) {
    const n = 'SequentialLR';
    this.optimizer = checkOptimizer(n, optimizer);
    checkSameOptimizer(n, schedulers, optimizer);
    if (!schedulers.every((s) => s instanceof LRScheduler)) throw new TypeError(`${n}: every schedule must be an LRScheduler (not ReduceLROnPlateau or a combination)`);
    if (!Array.isArray(milestones) || milestones.length !== schedulers.length - 1 || !milestones.every((m, i) => positiveInt(m) && (i === 0 || m > milestones[i - 1]!))) {
      throw new RangeError(`${n}: expected ${schedulers.length - 1} increasing positive milestones (one fewer than the schedules), got ${describe(milestones)}`);
    }
    this.schedulers = schedulers.slice();
    this.milestones = milestones.slice();
    // Start over: initial lrs, every schedule one epoch back, the first one stepped to epoch 0.
    for (const g of optimizer.paramGroups) g.lr = g.initialLr ?? g.lr;
    for (const s of this.schedulers) s.lastEpoch--;
    this.schedulers[0]!.initialStep();
    this.lastLr = this.schedulers[0]!.getLastLr();
  }

  step(): void {
    this.lastEpoch++;
    const idx = this.milestones.filter((m) => m <= this.lastEpoch).length;
    const s = this.schedulers[idx]!;
    if (idx > 0 && this.milestones[idx - 1] === this.lastEpoch) s.step(0);
    else s.step();
    this.lastLr = s.getLastLr();
  }

  getLastLr(): number[] {
    return this.lastLr.slice();
  }

  stateDict(): LRSchedulerStateDict {
    return { last_epoch: this.lastEpoch, base_lrs: [], _last_lr: this.lastLr.slice(), _schedulers: this.schedulers.map((s) => s.stateDict()) };
  }

  loadStateDict(sd: LRSchedulerStateDict): void {
    const n = 'SequentialLR.loadStateDict';
    const inner = nestedState(this.schedulers, sd, n);
    const lastEpoch = checkNumber(n, 'last_epoch', sd.last_epoch, (x) => Number.isInteger(x) && x >= 0, 'a non-negative integer');
    const lastLr = perGroup(n, '_last_lr', sd._last_lr, this.optimizer.paramGroups.length);
    this.schedulers.forEach((s, i) => s.loadStateDict(inner[i]!));
    this.lastEpoch = lastEpoch;
    this.lastLr = lastLr;
  }
}

/** Steps several schedules on one optimizer together, each acting on the lr the previous one left (their effects multiply). */
export class ChainedScheduler implements Steppable {
  readonly optimizer: Optimizer<BaseHyper>;
  readonly schedulers: Steppable[];
  private lastLr: number[];

  constructor(schedulers: Steppable[]) {
    this.schedulers = checkSameOptimizer('ChainedScheduler', schedulers).slice();
    this.optimizer = this.schedulers[0]!.optimizer;
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  step(): void {
    for (const s of this.schedulers) s.step();
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  getLastLr(): number[] {
    return this.lastLr.slice();
  }

  stateDict(): LRSchedulerStateDict {
    return { last_epoch: 0, base_lrs: [], _last_lr: this.lastLr.slice(), _schedulers: this.schedulers.map((s) => s.stateDict()) };
  }

  loadStateDict(sd: LRSchedulerStateDict): void {
    const n = 'ChainedScheduler.loadStateDict';
    const inner = nestedState(this.schedulers, sd, n);
    const lastLr = perGroup(n, '_last_lr', sd._last_lr, this.optimizer.paramGroups.length);
    this.schedulers.forEach((s, i) => s.loadStateDict(inner[i]!));
    this.lastLr = lastLr;
  }
}
