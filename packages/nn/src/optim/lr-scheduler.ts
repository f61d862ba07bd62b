import type { BaseHyper, Optimizer } from './optimizer.js';
import { describe } from '@tapegrad/tensor/internal';

/** A schedule's saved progress, under PyTorch's names (plus any state of the schedule itself). */
export interface LRSchedulerStateDict {
  last_epoch: number;
  base_lrs: number[];
  _last_lr: number[];
  _step_count?: number;
  [extra: string]: unknown;
}

/** Anything `ChainedScheduler` can drive. */
export interface Steppable {
  readonly optimizer: Optimizer<BaseHyper>;
  step(): void;
  getLastLr(): number[];
  stateDict(): LRSchedulerStateDict;
  loadStateDict(sd: LRSchedulerStateDict): void;
}

export function checkOptions(name: string, opts: unknown, keys: readonly string[]): Record<string, unknown> {
  if (typeof opts !== 'object' || opts === null || Array.isArray(opts)) throw new TypeError(`${name}: expected an options object { ${keys.join(', ')} }`);
  for (const k of Object.keys(opts)) {
    if (!keys.includes(k)) throw new TypeError(`${name}: unknown option '${k}'; expected some of ${keys.join(', ')}`);
  }
  return opts as Record<string, unknown>;
}

export function checkNumber(name: string, what: string, v: unknown, ok: (x: number) => boolean, expected: string): number {
  if (typeof v !== 'number' || !ok(v)) throw new RangeError(`${name}: invalid ${what}: ${describe(v)} (expected ${expected})`);
  return v;
}

export const positiveInt = (x: number): boolean => Number.isInteger(x) && x > 0;

export function checkOptimizer(name: string, optimizer: unknown): Optimizer<BaseHyper> {
  if (typeof optimizer !== 'object' || optimizer === null || !Array.isArray((optimizer as { paramGroups?: unknown }).paramGroups)) {
    throw new TypeError(`${name}: expected an Optimizer as the first argument`);
  }
  return optimizer as Optimizer<BaseHyper>;
}

/** Checks a list of finite numbers, one per parameter group. */
export function perGroup(name: string, what: string, v: unknown, n: number): number[] {
  if (!Array.isArray(v) || v.length !== n || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
    throw new TypeError(`${name}: '${what}' must be an array of ${n} finite numbers (one per parameter group)`);
  }
  return v.slice();
}

/**
 * The base of learning-rate schedules, with PyTorch's semantics: constructing a schedule records each
 * group's initial lr (`initialLr`, kept if an earlier schedule set it) and performs step 0; each
 * `step()` advances `lastEpoch` and sets every group's lr from the schedule's rule, which (as in
 * PyTorch) updates the lr the group has now, so schedules on one optimizer compose (see
 * `ChainedScheduler`). Call `step()` after `optimizer.step()`.
 */
export abstract class LRScheduler implements Steppable {
  readonly optimizer: Optimizer<BaseHyper>;
  /** The number of `step()` calls since construction (0 after it). */
  lastEpoch = -1;
  /** Each group's initial lr. */
  baseLrs: number[];
  /** Steps taken since the schedule (re)started, PyTorch's `_step_count`. */
  protected stepCount = 0;
  private lastLr: number[];

  protected constructor(optimizer: Optimizer<BaseHyper>) {
    this.optimizer = checkOptimizer(new.target.name, optimizer);
    for (const g of optimizer.paramGroups) g.initialLr ??= g.lr;
    this.baseLrs = optimizer.paramGroups.map((g) => g.initialLr!);
    this.lastLr = this.baseLrs.slice();
  }

  /** Every group's lr at `lastEpoch`, from the lr it has now (PyTorch's `get_lr`). */
  protected abstract nextLrs(): number[];

  /** Every group's lr at `lastEpoch` from the initial lrs, for schedules that have one (PyTorch's `_get_closed_form_lr`). */
  protected closedForm(): number[] | null {
    return null;
  }

  /** The groups' current lrs. */
  protected groupLrs(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr);
  }

  /** Restarts the count and performs step 0: called at the end of a subclass's constructor, and by SequentialLR. */
  initialStep(): void {
    this.stepCount = 0;
    this.step();
  }

  /**
   * Advances one epoch and updates the optimizer's learning rates. With `epoch` (as PyTorch's
   * deprecated `step(epoch)`, which SequentialLR uses) jumps to that epoch through the closed form.
   */
  step(epoch?: number): void {
    this.stepCount++;
    let lrs: number[];
    if (epoch === undefined) {
      this.lastEpoch++;
      lrs = this.nextLrs();
    } else {
      checkNumber(`${this.constructor.name}.step`, 'epoch', epoch, (x) => Number.isInteger(x) && x >= 0, 'a non-negative integer');
      this.lastEpoch = epoch;
      lrs = this.closedForm() ?? this.nextLrs();
    }
    this.optimizer.paramGroups.forEach((g, i) => (g.lr = lrs[i]!));
    this.lastLr = this.groupLrs();
  }

  /** The learning rates this schedule last set, one per group. */
  getLastLr(): number[] {
    return this.lastLr.slice();
  }

  /** Extra state of a schedule (restored by `loadExtra`). */
  protected extraState(): Record<string, unknown> {
    return {};
  }

  protected loadExtra(_sd: LRSchedulerStateDict): void {}

  /** `{ last_epoch, base_lrs, _last_lr, _step_count, ... }`, as PyTorch's `state_dict()` (without the optimizer). */
  stateDict(): LRSchedulerStateDict {
    return { last_epoch: this.lastEpoch, base_lrs: this.baseLrs.slice(), _last_lr: this.lastLr.slice(), _step_count: this.stepCount, ...this.extraState() };
  }

  /** Restores the epoch count and base lrs (the optimizer's own state dict restores its lrs). */
  loadStateDict(sd: LRSchedulerStateDict): void {
    const name = `${this.constructor.name}.loadStateDict`;
    const n = this.optimizer.paramGroups.length;
    if (typeof sd !== 'object' || sd === null) throw new TypeError(`${name}: expected { last_epoch, base_lrs, _last_lr }`);
    checkNumber(name, 'last_epoch', sd.last_epoch, (x) => Number.isInteger(x) && x >= -1, 'an integer >= -1');
    const baseLrs = perGroup(name, 'base_lrs', sd.base_lrs, n);
    const lastLr = perGroup(name, '_last_lr', sd._last_lr, n);
    const count = sd._step_count === undefined ? this.stepCount : checkNumber(name, '_step_count', sd._step_count, (x) => Number.isInteger(x) && x >= 0, 'a non-negative integer');
    this.loadExtra(sd);
    this.lastEpoch = sd.last_epoch;
    this.baseLrs = baseLrs;
    this.lastLr = lastLr;
    this.stepCount = count;
  }
}

/** Multiplies the lr by `gamma` (default 0.1) every `stepSize` epochs: `lr = initialLr * gamma^floor(epoch / stepSize)`. */
export class StepLR extends LRScheduler {
  readonly stepSize: number;
  readonly gamma: number;

  constructor(optimizer: Optimizer<BaseHyper>, opts: { stepSize: number; gamma?: number }) {
    super(optimizer);
    const o = checkOptions('StepLR', opts, ['stepSize', 'gamma']);
    this.stepSize = checkNumber('StepLR', 'stepSize', o.stepSize, positiveInt, 'a positive integer');
    this.gamma = checkNumber('StepLR', 'gamma', o.gamma ?? 0.1, Number.isFinite, 'a finite number');
    this.initialStep();
  }

  protected nextLrs(): number[] {
    const e = this.lastEpoch;
    return this.groupLrs().map((lr) => (e === 0 || e % this.stepSize !== 0 ? lr : lr * this.gamma));
  }

  protected override closedForm(): number[] {
    return this.baseLrs.map((b) => b * this.gamma ** Math.floor(this.lastEpoch / this.stepSize));
  }
}

/** Multiplies the lr by `gamma` (default 0.1) at each milestone epoch (a milestone listed twice counts twice). */
export class MultiStepLR extends LRScheduler {
  readonly milestones: number[];
  readonly gamma: number;

  constructor(optimizer: Optimizer<BaseHyper>, opts: { milestones: number[]; gamma?: number }) {
    super(optimizer);
    const o = checkOptions('MultiStepLR', opts, ['milestones', 'gamma']);
    if (!Array.isArray(o.milestones) || !o.milestones.every((m) => Number.isInteger(m) && m >= 0)) {
      throw new RangeError(`MultiStepLR: invalid milestones: ${describe(o.milestones)} (expected an array of non-negative integers)`);
    }
    this.milestones = (o.milestones as number[]).slice().sort((a, b) => a - b);
    this.gamma = checkNumber('MultiStepLR', 'gamma', o.gamma ?? 0.1, Number.isFinite, 'a finite number');
    this.initialStep();
  }

  protected nextLrs(): number[] {
    const hits = this.milestones.filter((m) => m === this.lastEpoch).length;
    return this.groupLrs().map((lr) => (hits === 0 ? lr : lr * this.gamma ** hits));
  }

  protected override closedForm(): number[] {
    const passed = this.milestones.filter((m) => m <= this.lastEpoch).length;
    return this.baseLrs.map((b) => b * this.gamma ** passed);
  }
}

/** Multiplies the lr by `gamma` every epoch: `lr = initialLr * gamma^epoch`. */
export class ExponentialLR extends LRScheduler {
  readonly gamma: number;

  constructor(optimizer: Optimizer<BaseHyper>, opts: { gamma: number }) {
    super(optimizer);
    const o = checkOptions('ExponentialLR', opts, ['gamma']);
    this.gamma = checkNumber('ExponentialLR', 'gamma', o.gamma, Number.isFinite, 'a finite number');
    this.initialStep();
  }

  protected nextLrs(): number[] {
    return this.groupLrs().map((lr) => (this.lastEpoch === 0 ? lr : lr * this.gamma));
  }

  protected override closedForm(): number[] {
    return this.baseLrs.map((b) => b * this.gamma ** this.lastEpoch);
  }
}

/**
 * Cosine annealing from the initial lr down to `etaMin` (default 0) over `tMax` epochs:
 * `lr = etaMin + (initialLr - etaMin) * (1 + cos(pi * epoch / tMax)) / 2`, applied as PyTorch does,
 * as a ratio of successive values of that curve. Past `tMax` the cosine carries on, so the lr climbs
 * back (period 2 tMax).
 */
export class CosineAnnealingLR extends LRScheduler {
  readonly tMax: number;
  readonly etaMin: number;

  constructor(optimizer: Optimizer<BaseHyper>, opts: { tMax: number; etaMin?: number }) {
    super(optimizer);
    const o = checkOptions('CosineAnnealingLR', opts, ['tMax', 'etaMin']);
    this.tMax = checkNumber('CosineAnnealingLR', 'tMax', o.tMax, positiveInt, 'a positive integer');
    this.etaMin = checkNumber('CosineAnnealingLR', 'etaMin', o.etaMin ?? 0, Number.isFinite, 'a finite number');
    this.initialStep();
  }

  protected nextLrs(): number[] {
    const e = this.lastEpoch;
    const T = this.tMax;
    const m = this.etaMin;
    if (e === 0) return this.groupLrs();
    if (this.stepCount === 1 && e > 0) return this.closedForm();
    if ((e - 1 - T) % (2 * T) === 0) return this.groupLrs().map((lr, i) => lr + ((this.baseLrs[i]! - m) * (1 - Math.cos(Math.PI / T))) / 2);
    const ratio = (1 + Math.cos((Math.PI * e) / T)) / (1 + Math.cos((Math.PI * (e - 1)) / T));
    return this.groupLrs().map((lr) => ratio * (lr - m) + m);
  }

  protected override closedForm(): number[] {
    return this.baseLrs.map((b) => this.etaMin + ((b - this.etaMin) * (1 + Math.cos((Math.PI * this.lastEpoch) / this.tMax))) / 2);
  }
}

/** A function of the epoch, one for every group or one per group. */
type Lambdas = ((epoch: number) => number) | ((epoch: number) => number)[];

function lambdasOf(name: string, f: unknown, n: number): ((epoch: number) => number)[] {
  const list = Array.isArray(f) ? f : Array.from({ length: n }, () => f);
  if (list.length !== n || !list.every((g) => typeof g === 'function')) {
    throw new TypeError(`${name}: expected a function of the epoch, or an array of ${n} (one per parameter group)`);
  }
  return list as ((epoch: number) => number)[];
}

/**
 * `lr = initialLr * lrLambda(epoch)`: any schedule as a function, e.g. the inverse-time decay
 * `new LambdaLR(opt, (e) => 1 / (1 + decay * e))`.
 */
export class LambdaLR extends LRScheduler {
  readonly lrLambdas: ((epoch: number) => number)[];

  constructor(optimizer: Optimizer<BaseHyper>, lrLambda: Lambdas) {
    super(optimizer);
    this.lrLambdas = lambdasOf('LambdaLR', lrLambda, optimizer.paramGroups.length);
    this.initialStep();
  }

  protected nextLrs(): number[] {
    return this.baseLrs.map((b, i) => b * this.lrLambdas[i]!(this.lastEpoch));
  }
}

/** Multiplies the current lr by `lrLambda(epoch)` every epoch after the first. */
export class MultiplicativeLR extends LRScheduler {
  readonly lrLambdas: ((epoch: number) => number)[];

  constructor(optimizer: Optimizer<BaseHyper>, lrLambda: Lambdas) {
    super(optimizer);
    this.lrLambdas = lambdasOf('MultiplicativeLR', lrLambda, optimizer.paramGroups.length);
    this.initialStep();
  }

  protected nextLrs(): number[] {
    return this.groupLrs().map((lr, i) => (this.lastEpoch > 0 ? lr * this.lrLambdas[i]!(this.lastEpoch) : lr));
  }
}

/**
 * Scales the lr linearly from `startFactor` (default 1/3) to `endFactor` (default 1) times the
 * initial lr over `totalIters` epochs (default 5), then keeps it: a warm-up.
 */
export class LinearLR extends LRScheduler {
  readonly startFactor: number;
  readonly endFactor: number;
  readonly totalIters: number;

  constructor(optimizer: Optimizer<BaseHyper>, opts: { startFactor?: number; endFactor?: number; totalIters?: number } = {}) {
    super(optimizer);
    const o = checkOptions('LinearLR', opts, ['startFactor', 'endFactor', 'totalIters']);
    this.startFactor = checkNumber('LinearLR', 'startFactor', o.startFactor ?? 1 / 3, (x) => x > 0 && x <= 1, 'a number in (0, 1]');
    this.endFactor = checkNumber('LinearLR', 'endFactor', o.endFactor ?? 1, (x) => x >= 0 && x <= 1, 'a number in [0, 1]');
    this.totalIters = checkNumber('LinearLR', 'totalIters', o.totalIters ?? 5, positiveInt, 'a positive integer');
    this.initialStep();
  }

  protected nextLrs(): number[] {
    const e = this.lastEpoch;
    const s = this.startFactor;
    const d = this.endFactor - s;
    if (e === 0) return this.groupLrs().map((lr) => lr * s);
    if (e > this.totalIters) return this.groupLrs();
    return this.groupLrs().map((lr) => lr * (1 + d / (this.totalIters * s + (e - 1) * d)));
  }

  protected override closedForm(): number[] {
    const f = this.startFactor + ((this.endFactor - this.startFactor) * Math.min(this.totalIters, this.lastEpoch)) / this.totalIters;
    return this.baseLrs.map((b) => b * f);
  }
}

/** Multiplies the lr by `factor` (default 1/3) for the first `totalIters` epochs (default 5), then restores it. */
export class ConstantLR extends LRScheduler {
  readonly factor: number;
  readonly totalIters: number;

  constructor(optimizer: Optimizer<BaseHyper>, opts: { factor?: number; totalIters?: number } = {}) {
    super(optimizer);
    const o = checkOptions('ConstantLR', opts, ['factor', 'totalIters']);
    this.factor = checkNumber('ConstantLR', 'factor', o.factor ?? 1 / 3, (x) => x > 0 && x <= 1, 'a number in (0, 1]');
    this.totalIters = checkNumber('ConstantLR', 'totalIters', o.totalIters ?? 5, positiveInt, 'a positive integer');
    this.initialStep();
  }

  protected nextLrs(): number[] {
    const e = this.lastEpoch;
    if (e === 0) return this.groupLrs().map((lr) => lr * this.factor);
    if (e !== this.totalIters) return this.groupLrs();
    return this.groupLrs().map((lr) => lr * (1 / this.factor));
  }

  protected override closedForm(): number[] {
    return this.baseLrs.map((b) => b * (this.factor + (this.lastEpoch >= this.totalIters ? 1 - this.factor : 0)));
  }
}

/** Decays the lr polynomially to 0 over `totalIters` epochs (default 5): `lr = initialLr * (1 - epoch / totalIters)^power` (default power 1). */
export class PolynomialLR extends LRScheduler {
  readonly totalIters: number;
  readonly power: number;

  constructor(optimizer: Optimizer<BaseHyper>, opts: { totalIters?: number; power?: number } = {}) {
    super(optimizer);
    const o = checkOptions('PolynomialLR', opts, ['totalIters', 'power']);
    this.totalIters = checkNumber('PolynomialLR', 'totalIters', o.totalIters ?? 5, positiveInt, 'a positive integer');
    this.power = checkNumber('PolynomialLR', 'power', o.power ?? 1, Number.isFinite, 'a finite number');
    this.initialStep();
  }

  protected nextLrs(): number[] {
    const e = this.lastEpoch;
    const T = this.totalIters;
    if (e === 0 || e > T) return this.groupLrs();
    const decay = ((1 - e / T) / (1 - (e - 1) / T)) ** this.power;
    return this.groupLrs().map((lr) => lr * decay);
  }

  protected override closedForm(): number[] {
    return this.baseLrs.map((b) => b * (1 - Math.min(this.totalIters, this.lastEpoch) / this.totalIters) ** this.power);
  }
}
