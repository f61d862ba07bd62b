import type { BaseHyper, Optimizer } from './optimizer.js';

/** A schedule's saved progress. */
export interface LRSchedulerStateDict {
  lastEpoch: number;
  baseLrs: number[];
  lastLr: number[];
}

function checkOptions(name: string, opts: unknown, keys: readonly string[]): Record<string, unknown> {
  if (typeof opts !== 'object' || opts === null || Array.isArray(opts)) throw new TypeError(`${name}: expected an options object { ${keys.join(', ')} }`);
  for (const k of Object.keys(opts)) {
    if (!keys.includes(k)) throw new TypeError(`${name}: unknown option '${k}'; expected some of ${keys.join(', ')}`);
  }
  return opts as Record<string, unknown>;
}

function checkNumber(name: string, what: string, v: unknown, ok: (x: number) => boolean, expected: string): number {
  if (typeof v !== 'number' || !ok(v)) throw new RangeError(`${name}: invalid ${what}: ${String(v)} (expected ${expected})`);
  return v;
}

/**
 * The base of learning-rate schedules. Each sets every group's lr from a closed form of the epoch
 * count and the group's initial lr (`initialLr`, recorded on the group when the first schedule
 * attaches). Constructing a schedule is epoch 0 (lr = initial lr); each `step()` advances one epoch.
 * Because the forms are closed, two schedules on one optimizer do not compose: the last to step wins.
 */
export abstract class LRScheduler {
  readonly optimizer: Optimizer<BaseHyper>;
  /** The number of `step()` calls so far. */
  lastEpoch = 0;
  /** Each group's initial lr. */
  baseLrs: number[];
  private lastLr: number[];

  protected constructor(optimizer: Optimizer<BaseHyper>) {
    if (typeof optimizer !== 'object' || optimizer === null || !Array.isArray((optimizer as { paramGroups?: unknown }).paramGroups)) {
      throw new TypeError(`${this.constructor.name}: expected an Optimizer as the first argument`);
    }
    this.optimizer = optimizer;
    for (const g of optimizer.paramGroups) g.initialLr ??= g.lr;
    this.baseLrs = optimizer.paramGroups.map((g) => g.initialLr!);
    this.lastLr = this.baseLrs.slice();
  }

  /** The lr of a group with initial lr `base` at epoch `epoch`. */
  protected abstract closedForm(base: number, epoch: number): number;

  /** Sets every group's lr for epoch `lastEpoch`: call from a subclass constructor once its fields are set. */
  protected apply(): void {
    this.lastLr = this.baseLrs.map((base, i) => {
      const lr = this.closedForm(base, this.lastEpoch);
      this.optimizer.paramGroups[i]!.lr = lr;
      return lr;
    });
  }

  /** Advances one epoch and updates the optimizer's learning rates. Call after `optimizer.step()`. */
  step(): void {
    this.lastEpoch++;
    this.apply();
  }

  /** The learning rates this schedule last set, one per group. */
  getLastLr(): number[] {
    return this.lastLr.slice();
  }

  stateDict(): LRSchedulerStateDict {
    return { lastEpoch: this.lastEpoch, baseLrs: this.baseLrs.slice(), lastLr: this.lastLr.slice() };
  }

  /** Restores the epoch count and base lrs (the optimizer's own state dict restores its lrs). */
  loadStateDict(sd: LRSchedulerStateDict): void {
    const name = `${this.constructor.name}.loadStateDict`;
    const n = this.optimizer.paramGroups.length;
    const list = (what: string, v: unknown): number[] => {
      if (!Array.isArray(v) || v.length !== n || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
        throw new TypeError(`${name}: '${what}' must be an array of ${n} finite numbers (one per parameter group)`);
      }
      return v.slice();
    };
    if (typeof sd !== 'object' || sd === null) throw new TypeError(`${name}: expected { lastEpoch, baseLrs, lastLr }`);
    checkNumber(name, 'lastEpoch', sd.lastEpoch, (x) => Number.isInteger(x) && x >= 0, 'a non-negative integer');
    const baseLrs = list('baseLrs', sd.baseLrs);
    const lastLr = list('lastLr', sd.lastLr);
    this.lastEpoch = sd.lastEpoch;
    this.baseLrs = baseLrs;
    this.lastLr = lastLr;
  }
}

/** Multiplies the lr by `gamma` (default 0.1) every `stepSize` epochs: `lr = initialLr * gamma^floor(epoch / stepSize)`. */
export class StepLR extends LRScheduler {
  readonly stepSize: number;
  readonly gamma: number;

  constructor(optimizer: Optimizer<BaseHyper>, opts: { stepSize: number; gamma?: number }) {
    super(optimizer);
    const o = checkOptions('StepLR', opts, ['stepSize', 'gamma']);
    this.stepSize = checkNumber('StepLR', 'stepSize', o.stepSize, (x) => Number.isInteger(x) && x > 0, 'a positive integer');
    this.gamma = checkNumber('StepLR', 'gamma', o.gamma ?? 0.1, Number.isFinite, 'a finite number');
    this.apply();
  }

  protected closedForm(base: number, epoch: number): number {
    return base * this.gamma ** Math.floor(epoch / this.stepSize);
  }
}

/** Multiplies the lr by `gamma` every epoch: `lr = initialLr * gamma^epoch`. */
export class ExponentialLR extends LRScheduler {
  readonly gamma: number;

  constructor(optimizer: Optimizer<BaseHyper>, opts: { gamma: number }) {
    super(optimizer);
    const o = checkOptions('ExponentialLR', opts, ['gamma']);
    this.gamma = checkNumber('ExponentialLR', 'gamma', o.gamma, Number.isFinite, 'a finite number');
    this.apply();
  }

  protected closedForm(base: number, epoch: number): number {
    return base * this.gamma ** epoch;
  }
}

/**
 * Cosine annealing from the initial lr down to `etaMin` (default 0) over `tMax` epochs:
 * `lr = etaMin + (initialLr - etaMin) * (1 + cos(pi * epoch / tMax)) / 2`. Past `tMax` the cosine
 * carries on, so the lr climbs back (period 2 tMax), as in PyTorch.
 */
export class CosineAnnealingLR extends LRScheduler {
  readonly tMax: number;
  readonly etaMin: number;

  constructor(optimizer: Optimizer<BaseHyper>, opts: { tMax: number; etaMin?: number }) {
    super(optimizer);
    const o = checkOptions('CosineAnnealingLR', opts, ['tMax', 'etaMin']);
    this.tMax = checkNumber('CosineAnnealingLR', 'tMax', o.tMax, (x) => Number.isInteger(x) && x > 0, 'a positive integer');
    this.etaMin = checkNumber('CosineAnnealingLR', 'etaMin', o.etaMin ?? 0, Number.isFinite, 'a finite number');
    this.apply();
  }

  protected closedForm(base: number, epoch: number): number {
    return this.etaMin + ((base - this.etaMin) * (1 + Math.cos((Math.PI * epoch) / this.tMax))) / 2;
  }
}
