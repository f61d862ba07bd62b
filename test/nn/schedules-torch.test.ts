import { describe, expect, it } from 'vitest';
import { tensor, type Tensor } from '@tapegrad/tensor';
import {
  Adam, ChainedScheduler, ConstantLR, CosineAnnealingLR, CosineAnnealingWarmRestarts, ExponentialLR, LambdaLR, LinearLR, MultiStepLR,
  MultiplicativeLR, OneCycleLR, PolynomialLR, ReduceLROnPlateau, SGD, SequentialLR, StepLR, clipGradNorm_, clipGradValue_, type LRScheduler,
  type Optimizer, type Steppable,
} from '@tapegrad/nn';
import { readFixture } from './helpers.js';

/**
 * Agreement with PyTorch: test/nn/torch/make_training_fixtures.py recorded every group's lr (and the
 * momentum OneCycleLR cycles) after construction and after each of 30 steps of each schedule, and the
 * results of gradient clipping.
 */

interface Spec {
  type: string;
  options?: Record<string, unknown>;
  lambda?: string | string[];
  schedulers?: Spec[];
  milestones?: number[];
}
interface ScheduleCase { name: string; optimizer: 'SGD' | 'Adam'; schedule: Spec; metrics?: number[]; lrs: number[][]; momenta?: number[][] }
interface ClipCase { fn: 'norm' | 'value'; options: Record<string, number | 'inf'>; total?: number; after: number[][] }
interface Fixture { torch: string; steps: number; schedules: ScheduleCase[]; clipping: { grads: unknown[]; cases: ClipCase[] } }

const fixture = readFixture<Fixture>('nn-training.json');

/** The functions the fixture's LambdaLR / MultiplicativeLR cases name (the fixture script has the same). */
const LAMBDAS: Record<string, (e: number) => number> = {
  inverseTime: (e) => 1 / (1 + 0.25 * e),
  warmup: (e) => Math.min(1, (e + 1) / 5),
  shrink: () => 0.9,
  wobble: (e) => (e % 3 === 0 ? 0.8 : 1.05),
};

type Opt = Optimizer<{ lr: number }>;
const SIMPLE = { StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR, LinearLR, ConstantLR, PolynomialLR, OneCycleLR, CosineAnnealingWarmRestarts } as unknown as Record<
  string, new (o: Opt, opts: unknown) => LRScheduler
>;

function build(spec: Spec, opt: Opt): Steppable {
  if (spec.type === 'SequentialLR') return new SequentialLR(opt, spec.schedulers!.map((s) => build(s, opt) as LRScheduler), spec.milestones!);
  if (spec.type === 'ChainedScheduler') return new ChainedScheduler(spec.schedulers!.map((s) => build(s, opt)));
  if (spec.type === 'LambdaLR' || spec.type === 'MultiplicativeLR') {
    const f = Array.isArray(spec.lambda) ? spec.lambda.map((n) => LAMBDAS[n]!) : LAMBDAS[spec.lambda!]!;
    return spec.type === 'LambdaLR' ? new LambdaLR(opt, f) : new MultiplicativeLR(opt, f);
  }
  if (spec.type === 'ReduceLROnPlateau') return new ReduceLROnPlateau(opt, spec.options as never);
  return new SIMPLE[spec.type]!(opt, spec.options);
}

function optimizerFor(c: ScheduleCase): Opt {
  const a = tensor(new Float64Array(2)).requiresGrad_();
  const b = tensor(new Float64Array(3)).requiresGrad_();
  const groups = [{ params: [a] }, { params: [b], lr: 0.02 }];
  return (c.optimizer === 'Adam' ? new Adam(groups, { lr: 0.1 }) : new SGD(groups, { lr: 0.1, momentum: 0.9 })) as unknown as Opt;
}

const momentumOf = (opt: Opt): number[] =>
  opt.paramGroups.map((g) => ((g as unknown as { betas?: number[] }).betas?.[0] ?? (g as unknown as { momentum: number }).momentum));

function expectSequence(actual: number[][], expected: number[][], what: string): void {
  expect(actual.length, what).toBe(expected.length);
  actual.forEach((row, i) => row.forEach((v, j) => {
    const e = expected[i]![j]!;
    expect(Math.abs(v - e), `${what} at step ${i}, group ${j}: ${v} vs torch ${e}`).toBeLessThanOrEqual(1e-13 * Math.max(1, Math.abs(e)));
  }));
}

describe(`lr schedules agree with PyTorch ${fixture.torch} over ${fixture.steps} steps`, () => {
  it('covers every schedule of the API', () => {
    const kinds = new Set<string>();
    const walk = (s: Spec): void => {
      kinds.add(s.type);
      s.schedulers?.forEach(walk);
    };
    fixture.schedules.forEach((c) => walk(c.schedule));
    expect([...kinds].sort()).toEqual([
      'ChainedScheduler', 'ConstantLR', 'CosineAnnealingLR', 'CosineAnnealingWarmRestarts', 'ExponentialLR', 'LambdaLR', 'LinearLR', 'MultiStepLR',
      'MultiplicativeLR', 'OneCycleLR', 'PolynomialLR', 'ReduceLROnPlateau', 'SequentialLR', 'StepLR',
    ]);
  });

  for (const c of fixture.schedules) {
    it(c.name, () => {
      const opt = optimizerFor(c);
      const sched = build(c.schedule, opt);
      const lrs = [opt.paramGroups.map((g) => g.lr)];
      const momenta = [momentumOf(opt)];
      for (let i = 0; i < fixture.steps; i++) {
        if (c.metrics !== undefined) (sched as ReduceLROnPlateau).step(c.metrics[i]!);
        else sched.step();
        lrs.push(opt.paramGroups.map((g) => g.lr));
        momenta.push(momentumOf(opt));
        expect(sched.getLastLr()).toEqual(lrs[lrs.length - 1]);
      }
      expectSequence(lrs, c.lrs, 'lr');
      if (c.momenta !== undefined) expectSequence(momenta, c.momenta, 'momentum');
    });
  }

  it('a schedule saved mid-way and restored into a fresh one continues identically', () => {
    for (const c of fixture.schedules.filter((s) => s.metrics === undefined)) {
      const opt = optimizerFor(c);
      const sched = build(c.schedule, opt);
      for (let i = 0; i < 13; i++) sched.step();
      const saved = JSON.parse(JSON.stringify({ o: opt.stateDict(), s: sched.stateDict() })) as { o: never; s: never };
      const opt2 = optimizerFor(c);
      const sched2 = build(c.schedule, opt2);
      opt2.loadStateDict(saved.o);
      sched2.loadStateDict(saved.s);
      for (let i = 13; i < fixture.steps; i++) sched2.step();
      expectSequence([opt2.paramGroups.map((g) => g.lr)], [c.lrs[fixture.steps]!], `${c.name} after restoring`);
    }
  });
});

describe(`gradient clipping agrees with PyTorch ${fixture.torch}`, () => {
  for (const c of fixture.clipping.cases) {
    it(`${c.fn} ${JSON.stringify(c.options)}`, () => {
      const params = fixture.clipping.grads.map((g) => {
        const p = tensor(g as number[], { dtype: 'float64' }).requiresGrad_();
        p.grad = tensor(g as number[], { dtype: 'float64' });
        return p;
      });
      const num = (v: number | 'inf' | undefined): number | undefined => (v === 'inf' ? Infinity : v);
      if (c.fn === 'norm') {
        const opts = c.options.normType === undefined ? {} : { normType: num(c.options.normType)! };
        const total: Tensor = clipGradNorm_(params, num(c.options.maxNorm)!, opts);
        expect(total.ndim).toBe(0);
        expect(Math.abs(total.item() - c.total!)).toBeLessThanOrEqual(1e-12 * c.total!);
      } else {
        clipGradValue_(params, num(c.options.clipValue)!);
      }
      params.forEach((p, i) => {
        const got = Array.from(p.grad!.data());
        const want = (c.after[i] as unknown as number[] | number[][]).flat();
        got.forEach((v, j) => expect(Math.abs(v - want[j]!)).toBeLessThanOrEqual(1e-14));
      });
    });
  }
});
