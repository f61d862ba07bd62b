import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { tensor, type Tensor } from '@tapegrad/tensor';
import { backward } from '@tapegrad/autograd';
import {
  Adagrad, Adam, AdamW, CosineAnnealingLR, ExponentialLR, LBFGS, NAdam, RAdam, RMSprop, SGD, StepLR, type LRScheduler, type Optimizer,
  type ParamGroupInput,
} from '@tapegrad/nn';

/**
 * Agreement with PyTorch: test/nn/torch/make_optim_fixtures.py ran 20 full-batch steps of each
 * optimizer configuration on a 4-8-3 tanh MLP in float64 with torch and recorded the result.
 * The same MLP is built here from plain tensors (matmul + tanh, parameters as leaves).
 */

type Matrix = number[] | number[][];
const NAMES = ['w1', 'b1', 'w2', 'b2'] as const;
type Name = (typeof NAMES)[number];
interface Config {
  name: string;
  optimizer: 'SGD' | 'RMSprop' | 'Adam' | 'AdamW' | 'Adagrad' | 'NAdam' | 'RAdam' | 'LBFGS';
  options: Record<string, unknown>;
  groups?: ({ params: Name[] } & Record<string, unknown>)[];
  schedule?: { type: 'StepLR' | 'ExponentialLR' | 'CosineAnnealingLR'; options: Record<string, number> };
  final: Record<Name, Matrix>;
  losses: number[];
  lrs: number[][];
  state: Record<Name, Record<string, number | Matrix>>;
}
interface Fixture {
  steps: number;
  init: Record<Name, Matrix>;
  x: number[][];
  y: number[][];
  configs: Config[];
}

const fixture = JSON.parse(readFileSync(new URL('../fixtures/nn-optim.json', import.meta.url), 'utf8')) as Fixture;
const f64 = (m: Matrix): Tensor => tensor(m, { dtype: 'float64' });
const X = f64(fixture.x);
const Y = f64(fixture.y);

function lossOf(p: Record<Name, Tensor>): Tensor {
  const h = X.matmul(p.w1.T).add(p.b1).tanh();
  return h.matmul(p.w2.T).add(p.b2).sub(Y).square().mean();
}

const OPTIMIZERS = { SGD, RMSprop, Adam, AdamW, Adagrad, NAdam, RAdam, LBFGS } as unknown as Record<string, new (ps: unknown, o: unknown) => Optimizer<{ lr: number }>>;
const SCHEDULES = { StepLR, ExponentialLR, CosineAnnealingLR } as unknown as Record<string, new (o: Optimizer<{ lr: number }>, s: unknown) => LRScheduler>;

function build(cfg: Config, values: Record<Name, Matrix>): { p: Record<Name, Tensor>; opt: Optimizer<{ lr: number }>; sched: LRScheduler | null } {
  const p = Object.fromEntries(NAMES.map((n) => [n, f64(values[n]).requiresGrad_()])) as Record<Name, Tensor>;
  const params: Tensor[] | ParamGroupInput<{ lr: number }>[] = cfg.groups
    ? cfg.groups.map((g) => ({ ...g, params: g.params.map((n) => p[n]) }))
    : NAMES.map((n) => p[n]);
  const opt = new OPTIMIZERS[cfg.optimizer]!(params, cfg.options);
  const sched = cfg.schedule ? new SCHEDULES[cfg.schedule.type]!(opt, cfg.schedule.options) : null;
  return { p, opt, sched };
}

function trainStep(p: Record<Name, Tensor>, opt: Optimizer<{ lr: number }>, sched: LRScheduler | null): { loss: number; lrs: number[] } {
  const closure = (): Tensor => {
    opt.zeroGrad();
    const loss = lossOf(p);
    backward(loss);
    return loss;
  };
  const lrs = opt.paramGroups.map((g) => g.lr);
  let loss: Tensor;
  if (opt instanceof LBFGS) {
    // LBFGS evaluates the loss itself (several times per step) and returns the first value.
    loss = opt.step(closure)!;
  } else {
    loss = closure();
    opt.step();
  }
  sched?.step();
  return { loss: loss.item(), lrs };
}

const flat = (m: number | Matrix): number[] => (typeof m === 'number' ? [m] : (m as number[]).flat(2) as number[]);

function expectAllClose(actual: number[], expected: number[], tol: number, what: string): void {
  expect(actual.length, what).toBe(expected.length);
  const worst = Math.max(0, ...actual.map((a, i) => Math.abs(a - expected[i]!)));
  expect(worst, `${what}: max abs difference`).toBeLessThanOrEqual(tol);
}

describe('optimizers agree with PyTorch (float64, 20 steps)', () => {
  it('has the expected fixture', () => {
    expect(fixture.steps).toBe(20);
    expect(fixture.configs.map((c) => c.optimizer).sort()).toEqual(expect.arrayContaining(['Adagrad', 'Adam', 'AdamW', 'LBFGS', 'NAdam', 'RAdam', 'RMSprop', 'SGD']));
  });

  for (const cfg of fixture.configs) {
    it(`${cfg.name}: parameters, losses, learning rates and state match to 1e-7`, () => {
      const { p, opt, sched } = build(cfg, fixture.init);
      const losses: number[] = [];
      const lrs: number[][] = [];
      for (let i = 0; i < fixture.steps; i++) {
        const r = trainStep(p, opt, sched);
        losses.push(r.loss);
        lrs.push(r.lrs);
      }
      expectAllClose(losses, cfg.losses, 1e-7, 'losses');
      expectAllClose(lrs.flat(), cfg.lrs.flat(), 1e-12, 'learning rates');
      for (const n of NAMES) expectAllClose(Array.from(p[n].data()), flat(cfg.final[n]), 1e-7, `parameter ${n}`);
      // The optimizer keeps the same state as torch, under tapegrad's names (keyed by position across groups).
      const order: readonly Name[] = cfg.groups ? cfg.groups.flatMap((g) => g.params) : NAMES;
      const state = opt.stateDict().state;
      for (const [i, n] of order.entries()) {
        const ours = state[i] ?? {};
        // LBFGS's curvature history (lists) is not in the fixture.
        const keys = Object.keys(ours).filter((k) => !Array.isArray(ours[k]));
        expect(keys.sort(), `state keys of ${n}`).toEqual(Object.keys(cfg.state[n]).sort());
        for (const [k, v] of Object.entries(cfg.state[n])) {
          const mine = ours[k]!;
          if (typeof v === 'number' && Number.isInteger(v)) expect(mine).toBe(v);
          else if (typeof v === 'number') expectAllClose([mine as number], [v], 1e-7, `state ${k} of ${n}`);
          else expectAllClose(Array.from((mine as Tensor).data()), flat(v), 1e-7, `state ${k} of ${n}`);
        }
      }
    });
  }

  for (const cfg of fixture.configs) {
    it(`${cfg.name}: saving the state after 10 steps and continuing in a fresh optimizer ends at torch's result`, () => {
      const first = build(cfg, fixture.init);
      for (let i = 0; i < 10; i++) trainStep(first.p, first.opt, first.sched);
      const saved = first.opt.stateDict();
      const savedSched = first.sched?.stateDict();
      const now = Object.fromEntries(NAMES.map((n) => [n, first.p[n].toArray()])) as Record<Name, Matrix>;
      const second = build(cfg, now);
      second.opt.loadStateDict(saved);
      if (savedSched) second.sched!.loadStateDict(savedSched);
      for (let i = 10; i < fixture.steps; i++) trainStep(second.p, second.opt, second.sched);
      for (const n of NAMES) expectAllClose(Array.from(second.p[n].data()), flat(cfg.final[n]), 1e-7, `parameter ${n}`);
    });
  }
});
