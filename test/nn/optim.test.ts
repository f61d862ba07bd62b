import { describe, expect, it } from 'vitest';
import { tensor, Tensor } from '@tapegrad/tensor';
import { backward } from '@tapegrad/autograd';
import {
  Adam, AdamW, CosineAnnealingLR, ExponentialLR, RMSprop, SGD, StepLR, type Optimizer, type OptimizerStateDict,
} from '@tapegrad/nn';

const f64 = (values: number[]): Tensor => tensor(new Float64Array(values)).requiresGrad_();
const setGrad = (p: Tensor, values: number[]): void => {
  p.grad = tensor(new Float64Array(values));
};
const values = (t: Tensor): number[] => Array.from(t.data());

/** Runs `steps` steps, feeding each parameter the given gradient each time. */
function run(opt: Optimizer<{ lr: number }>, params: Tensor[], grads: number[][][]): void {
  for (const step of grads) {
    params.forEach((p, i) => setGrad(p, step[i]!));
    opt.step();
  }
}

function expectClose(actual: number[], expected: number[], digits = 12): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((a, i) => expect(a).toBeCloseTo(expected[i]!, digits));
}

describe('SGD', () => {
  it('takes a plain step p - lr * g', () => {
    const p = f64([1, -2]);
    const opt = new SGD([p], { lr: 0.1 });
    run(opt, [p], [[[0.5, 0.25]]]);
    expectClose(values(p), [0.95, -2.025]);
  });

  it('momentum with dampening and weight decay: first buffer is the gradient, then momentum * b + (1 - dampening) * g', () => {
    const p = f64([1, -2]);
    const opt = new SGD([p], { lr: 0.1, momentum: 0.9, dampening: 0.5, weightDecay: 0.1 });
    // step 1: d = g + 0.1 p = [0.6, 0.05]; b = d; p = [0.94, -2.005]
    run(opt, [p], [[[0.5, 0.25]]]);
    expectClose(values(p), [0.94, -2.005]);
    // step 2: d = [0.594, 0.0495]; b = 0.9 [0.6, 0.05] + 0.5 d = [0.837, 0.06975]; p = [0.8563, -2.011975]
    run(opt, [p], [[[0.5, 0.25]]]);
    expectClose(values(p), [0.8563, -2.011975]);
    expectClose(values(opt.state.get(p)!.momentum_buffer as Tensor), [0.837, 0.06975]);
  });

  it('nesterov uses g + momentum * b', () => {
    const p = f64([1]);
    const opt = new SGD([p], { lr: 0.1, momentum: 0.9, nesterov: true });
    run(opt, [p], [[[0.5]]]); // b = 0.5; d = 0.5 + 0.45 = 0.95
    expectClose(values(p), [0.905]);
    run(opt, [p], [[[0.5]]]); // b = 0.95; d = 0.5 + 0.855 = 1.355
    expectClose(values(p), [0.7695]);
  });

  it('maximize ascends', () => {
    const p = f64([1]);
    run(new SGD([p], { lr: 0.1, maximize: true }), [p], [[[0.5]]]);
    expectClose(values(p), [1.05]);
  });

  it('copies the first momentum buffer, so zeroing the gradient in place does not change it', () => {
    const p = f64([1]);
    const opt = new SGD([p], { lr: 0.1, momentum: 0.9 });
    run(opt, [p], [[[0.5]]]);
    opt.zeroGrad(false);
    expect(values(p.grad!)).toEqual([0]);
    expect(values(opt.state.get(p)!.momentum_buffer as Tensor)).toEqual([0.5]);
  });
});

describe('RMSprop', () => {
  it('plain step with the defaults alpha 0.99, eps 1e-8', () => {
    const p = f64([1]);
    const opt = new RMSprop([p], { lr: 0.01 });
    // v = 0.01 * 0.25 = 0.0025; p = 1 - 0.01 * 0.5 / (0.05 + 1e-8)
    run(opt, [p], [[[0.5]]]);
    expectClose(values(p), [0.900000019999996]);
    expect(opt.state.get(p)!.step).toBe(1);
  });

  it('centered with momentum', () => {
    const p = f64([2]);
    const opt = new RMSprop([p], { lr: 0.1, alpha: 0.5, eps: 0, momentum: 0.5, centered: true });
    // step 1: v = 0.5, a = 0.5, d = sqrt(0.5 - 0.25) = 0.5, b = 2, p = 1.8
    run(opt, [p], [[[1]]]);
    expectClose(values(p), [1.8]);
    // step 2: v = 0.75, a = 0.75, d = sqrt(0.1875), b = 1 + 1/d, p = 1.8 - 0.1 b
    run(opt, [p], [[[1]]]);
    expectClose(values(p), [1.4690598923241498]);
    expectClose(values(opt.state.get(p)!.grad_avg as Tensor), [0.75]);
  });
});

describe('Adam and AdamW', () => {
  it('Adam: bias-corrected moments, two steps', () => {
    const p = f64([1, -1]);
    const opt = new Adam([p], { lr: 0.1 });
    run(opt, [p], [[[0.2, -3]]]);
    expectClose(values(p), [0.9000000049999998, -0.9000000003333333]);
    run(opt, [p], [[[0.2, -3]]]);
    expectClose(values(p), [0.8000000100000002, -0.8000000006666673]);
    expect(opt.state.get(p)!.step).toBe(2);
  });

  it('amsgrad keeps the largest second moment', () => {
    const steps = [[[1]], [[0.01]]];
    const a = f64([0]);
    run(new Adam([a], { lr: 0.1, eps: 0, amsgrad: true }), [a], steps);
    expectClose(values(a), [-0.1677164509445954]);
    const b = f64([0]);
    run(new Adam([b], { lr: 0.1, eps: 0 }), [b], steps);
    expectClose(values(b), [-0.16774694393183123]);
  });

  it('Adam adds weight decay to the gradient; AdamW decays the parameter directly', () => {
    const a = f64([1]);
    run(new Adam([a], { lr: 0.1, weightDecay: 0.1 }), [a], [[[0.5]]]);
    expectClose(values(a), [1 - (0.1 * 0.6) / (0.6 + 1e-8)]);
    const w = f64([1]);
    run(new AdamW([w], { lr: 0.1, weightDecay: 0.1 }), [w], [[[0.5]]]);
    expectClose(values(w), [0.99 - (0.1 * 0.5) / (0.5 + 1e-8)]);
  });

  it('has PyTorch defaults', () => {
    const p = f64([1]);
    const { params: _a, ...adam } = new Adam([p]).paramGroups[0]!;
    expect(adam).toEqual({ lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false });
    const { params: _b, ...adamw } = new AdamW([p]).paramGroups[0]!;
    expect(adamw).toEqual({ lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.01, amsgrad: false, maximize: false });
    const { params: _c, ...rms } = new RMSprop([p]).paramGroups[0]!;
    expect(rms).toEqual({ lr: 0.01, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false, maximize: false });
    const { params: _d, ...sgd } = new SGD([p], { lr: 0.5 }).paramGroups[0]!;
    expect(sgd).toEqual({ lr: 0.5, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0, maximize: false });
  });
});

describe('Optimizer base', () => {
  it('updates in place without recording, and keeps float32 parameters float32', () => {
    const p = tensor([1, 2, 3]).requiresGrad_();
    const buf = p.buf;
    const view = p.detach().reshape([3]);
    const opt = new Adam([p], { lr: 0.5 });
    p.grad = tensor([1, -1, 0.5]);
    opt.step();
    expect(p.buf).toBe(buf);
    expect(p.isLeaf).toBe(true);
    expect(p.dtype).toBe('float32');
    expect(p.data()).toBeInstanceOf(Float32Array);
    expect(values(view)).toEqual(values(p));
    expect(values(p)[0]).toBeCloseTo(0.5, 6);
    expect(opt.state.get(p)!.exp_avg).toHaveProperty('dtype', 'float32');
  });

  it('skips parameters whose grad is null', () => {
    const a = f64([1]);
    const b = f64([1]);
    const opt = new Adam([a, b], { lr: 0.1 });
    setGrad(a, [1]);
    opt.step();
    expect(values(b)).toEqual([1]);
    expect(opt.state.has(b)).toBe(false);
    expect(values(a)[0]).toBeLessThan(1);
  });

  it('zeroGrad sets grads to null (or zeroes them in place)', () => {
    const a = f64([1, 2]);
    const opt = new SGD([a], { lr: 0.1 });
    setGrad(a, [3, 4]);
    opt.zeroGrad(false);
    expect(values(a.grad!)).toEqual([0, 0]);
    opt.zeroGrad();
    expect(a.grad).toBeNull();
  });

  it('works with gradients from backward, and step(closure) returns the loss', () => {
    const w = f64([2, -1]);
    const opt = new SGD([w], { lr: 0.25 });
    const loss = opt.step(() => {
      opt.zeroGrad();
      const l = w.mul(w).sum(); // grad 2w
      backward(l);
      return l.item();
    });
    expect(loss).toBe(5);
    expect(values(w)).toEqual([1, -0.5]);
  });

  it('parameter groups override the defaults', () => {
    const a = f64([1]);
    const b = f64([1]);
    const opt = new SGD([{ params: [a] }, { params: [b], lr: 0.5 }], { lr: 0.1 });
    run(opt, [a, b], [[[1], [1]]]);
    expect(values(a)).toEqual([0.9]);
    expect(values(b)).toEqual([0.5]);
    opt.paramGroups[0]!.lr = 0.2;
    run(opt, [a, b], [[[1], [1]]]);
    expectClose(values(a), [0.7]);
    opt.addParamGroup({ params: [f64([0])], momentum: 0.9 });
    expect(opt.paramGroups[2]).toMatchObject({ lr: 0.1, momentum: 0.9 });
  });

  it('rejects bad arguments with clear errors', () => {
    const p = f64([1]);
    expect(() => new SGD([p], {} as { lr: number })).toThrow(/'lr', which has no default/);
    expect(() => new SGD([p], { lr: -1 })).toThrow(/invalid learning rate lr: -1/);
    expect(() => new SGD([p], { lr: Number.NaN })).toThrow(/invalid learning rate/);
    expect(() => new SGD([p], { lr: 0.1, nesterov: true })).toThrow(/nesterov momentum requires momentum > 0 and dampening = 0/);
    expect(() => new SGD([p], { lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true })).toThrow(/dampening = 0/);
    expect(() => new SGD([p], { lr: 0.1, momentun: 0.9 } as { lr: number })).toThrow(/unknown option 'momentun'/);
    expect(() => new Adam([p], { betas: [0.9, 1] })).toThrow(/invalid betas\[1\]: 1/);
    expect(() => new Adam([p], { betas: [0.9] as unknown as [number, number] })).toThrow(/'betas' must be an array of 2 numbers/);
    expect(() => new Adam([p], { eps: -1 })).toThrow(/invalid eps/);
    expect(() => new RMSprop([p], { alpha: -0.5 })).toThrow(/invalid alpha/);
    expect(() => new Adam([p], { amsgrad: 1 as unknown as boolean })).toThrow(/'amsgrad' must be a boolean, got 1/);
    expect(() => new Adam([])).toThrow(/empty parameter list/);
    expect(() => new Adam([p, p])).toThrow(/lists params\[1\] twice/);
    expect(() => new Adam([{ params: [p] }, { params: [p] }])).toThrow(/already in parameter group 0/);
    expect(() => new Adam([tensor([1], { dtype: 'int32' })])).toThrow(/must be float32 or float64, got int32/);
    expect(() => new Adam([p.mul(2)])).toThrow(/not a leaf tensor/);
    expect(() => new Adam([[1, 2]] as unknown as Tensor[])).toThrow(/parameter group 0 must be an object \{ params, ...options \}, got array of length 2/);
    expect(() => new Adam([{ params: p }] as unknown as Tensor[])).toThrow(/params must be an array of tensors, got a float64 Tensor of shape \[1\]/);
    expect(() => new Adam([{ params: [p, 3] }] as unknown as Tensor[])).toThrow(/params\[1\] must be a Tensor, got 3/);
    const opt = new Adam([p]);
    p.grad = tensor(new Float64Array([1, 2]));
    expect(() => opt.step()).toThrow(/parameter of shape \[1\] has a gradient of shape \[2\]/);
  });
});

/** One optimizer per rule with non-default settings, over two float64 parameters. */
const MAKERS: [string, (ps: Tensor[]) => Optimizer<{ lr: number }>][] = [
  ['SGD', (ps) => new SGD(ps, { lr: 0.1, momentum: 0.9, weightDecay: 0.01, nesterov: true })],
  ['RMSprop', (ps) => new RMSprop(ps, { lr: 0.01, momentum: 0.5, centered: true })],
  ['Adam', (ps) => new Adam(ps, { lr: 0.05, amsgrad: true, weightDecay: 0.1 })],
  ['AdamW', (ps) => new AdamW(ps, { lr: 0.05, betas: [0.8, 0.9] })],
];

const GRADS = (k: number): number[][] => [[Math.sin(k), Math.cos(3 * k), 0.5 - k / 10], [Math.cos(k) * 2]];

describe('stateDict / loadStateDict', () => {
  for (const [name, make] of MAKERS) {
    it(`${name}: a restored optimizer continues exactly as the original`, () => {
      const params = [f64([1, -2, 0.5]), f64([3])];
      const opt = make(params);
      for (let k = 0; k < 3; k++) run(opt, params, [GRADS(k)]);
      const saved = opt.stateDict();
      const snapshot = params.map((p) => values(p));
      for (let k = 3; k < 6; k++) run(opt, params, [GRADS(k)]);
      // The saved dict is a copy: the later steps did not change it.
      const again = opt.stateDict();
      expect(JSON.stringify(saved.state)).not.toBe(JSON.stringify(again.state));

      const fresh = snapshot.map((v) => f64(v));
      const other = make(fresh);
      other.paramGroups[0]!.lr = 123; // restored from the dict
      other.loadStateDict(saved);
      expect(other.paramGroups[0]!.lr).toBe(opt.paramGroups[0]!.lr);
      for (let k = 3; k < 6; k++) run(other, fresh, [GRADS(k)]);
      fresh.forEach((p, i) => expect(values(p)).toEqual(values(params[i]!)));
      // The state itself matches too.
      const a = other.stateDict();
      for (const [i, s] of Object.entries(again.state)) {
        for (const [key, v] of Object.entries(s)) {
          const w = a.state[Number(i)]![key]!;
          if (typeof v === 'number') expect(w).toBe(v);
          else expect(values(w as Tensor)).toEqual(values(v as Tensor));
        }
      }
    });
  }

  it('has PyTorch layout: state by parameter position, groups with hyperparameters and positions', () => {
    const a = f64([1]);
    const b = f64([2, 3]);
    const opt = new Adam([{ params: [a] }, { params: [b], lr: 0.5 }]);
    setGrad(b, [1, 1]);
    opt.step();
    const sd = opt.stateDict();
    expect(sd.param_groups.map((g) => g.params)).toEqual([[0], [1]]);
    expect(sd.param_groups[1]!.lr).toBe(0.5);
    expect(Object.keys(sd.state)).toEqual(['1']);
    expect(Object.keys(sd.state[1]!).sort()).toEqual(['exp_avg', 'exp_avg_sq', 'step']);
    // Hyperparameters under PyTorch's names.
    expect(Object.keys(sd.param_groups[0]!).sort()).toEqual(['amsgrad', 'betas', 'eps', 'lr', 'maximize', 'params', 'weight_decay']);
  });

  it('loads a dict in the form PyTorch saves it: implementation flags ignored, step as a 0-d tensor', () => {
    const p = f64([1, 2]);
    const opt = new Adam([p]);
    const torchLike = {
      state: { 0: { step: tensor(3, { dtype: 'float64' }), exp_avg: f64([0.1, 0.2]), exp_avg_sq: f64([0.01, 0.04]) } },
      param_groups: [{ lr: 0.01, betas: [0.8, 0.9], eps: 1e-8, weight_decay: 0, amsgrad: false, maximize: false, foreach: null, capturable: false, differentiable: false, fused: null, params: [0] }],
    } as unknown as OptimizerStateDict;
    opt.loadStateDict(torchLike);
    expect(opt.state.get(p)!.step).toBe(3);
    expect(opt.paramGroups[0]!.betas).toEqual([0.8, 0.9]);
    expect(opt.paramGroups[0]!.lr).toBe(0.01);
    expect(() => opt.loadStateDict({ ...torchLike, param_groups: [{ ...torchLike.param_groups[0]!, weightDecay: 0 }] })).toThrow(/unknown option 'weightDecay'.*weight_decay/);
  });

  it('rejects a mismatched dict without changing anything', () => {
    const p = f64([1, 2]);
    const opt = new Adam([p], { lr: 0.1 });
    setGrad(p, [1, 1]);
    opt.step();
    const good = opt.stateDict();
    const clone = (): OptimizerStateDict => {
      const sd = opt.stateDict();
      return { state: { ...sd.state }, param_groups: sd.param_groups.map((g) => ({ ...g })) };
    };
    const bad: [OptimizerStateDict | unknown, RegExp][] = [
      [null, /expected \{ state, param_groups \}/],
      [{ state: {}, param_groups: [] }, /saved state has 0 parameter groups, this optimizer has 1/],
      [{ ...clone(), param_groups: [{ ...good.param_groups[0], params: [0, 1] }] }, /has 2 parameters, this optimizer's group 0 has 1/],
      [(() => { const sd = clone(); delete (sd.param_groups[0] as Record<string, unknown>).eps; return sd; })(), /lacks hyperparameter 'eps'/],
      [(() => { const sd = clone(); sd.param_groups[0]!.lr = -3; return sd; })(), /invalid learning rate lr: -3/],
      [(() => { const sd = clone(); sd.param_groups[0]!.amsgrad = 'yes' as unknown as boolean; return sd; })(), /'amsgrad' must be a boolean/],
      [{ ...clone(), state: { 5: {} } }, /state entry '5' names no parameter/],
      [{ ...clone(), state: { 0: { step: 1, exp_avg: tensor(new Float64Array([1, 2, 3])) } } }, /'exp_avg' has shape \[3\], its parameter has shape \[2\]/],
      [{ ...clone(), state: { 0: { step: 1, momentum_buffer: tensor(new Float64Array([1, 2])) } } }, /unknown entry 'momentum_buffer'; Adam keeps exp_avg, exp_avg_sq, max_exp_avg_sq, step/],
      [{ ...clone(), state: { 0: { step: -1 } } }, /'step' must be a non-negative integer/],
      [{ ...clone(), state: { 0: { exp_avg: [1, 2] } } }, /'exp_avg' must be a tensor/],
    ];
    for (const [sd, msg] of bad) {
      expect(() => opt.loadStateDict(sd as OptimizerStateDict)).toThrow(msg);
      expect(opt.stateDict().param_groups).toEqual(good.param_groups);
      expect(values(opt.state.get(p)!.exp_avg as Tensor)).toEqual(values(good.state[0]!.exp_avg as Tensor));
    }
  });

  it('casts saved buffers to the parameter dtype', () => {
    const p = tensor([1, 2]).requiresGrad_();
    const opt = new SGD([p], { lr: 0.1, momentum: 0.9 });
    opt.loadStateDict({ state: { 0: { momentum_buffer: tensor(new Float64Array([1, 1])) } }, param_groups: opt.stateDict().param_groups });
    expect((opt.state.get(p)!.momentum_buffer as Tensor).dtype).toBe('float32');
  });
});

describe('lr schedules', () => {
  const lrsOver = (opt: Optimizer<{ lr: number }>, sched: { step(): void; getLastLr(): number[] }, n: number): number[][] => {
    const out: number[][] = [];
    for (let i = 0; i < n; i++) {
      out.push(opt.paramGroups.map((g) => g.lr));
      expect(sched.getLastLr()).toEqual(out[i]);
      sched.step();
    }
    return out;
  };

  it('StepLR multiplies by gamma every stepSize epochs', () => {
    const opt = new SGD([f64([1])], { lr: 1 });
    const lrs = lrsOver(opt, new StepLR(opt, { stepSize: 2, gamma: 0.5 }), 7).map((l) => l[0]);
    expect(lrs).toEqual([1, 1, 0.5, 0.5, 0.25, 0.25, 0.125]);
    const d = new SGD([f64([1])], { lr: 1 });
    const s = new StepLR(d, { stepSize: 1 });
    s.step();
    expect(s.getLastLr()[0]).toBeCloseTo(0.1, 15); // default gamma 0.1
  });

  it('ExponentialLR multiplies by gamma every epoch, per group', () => {
    const opt = new Adam([{ params: [f64([1])] }, { params: [f64([1])], lr: 0.1 }], { lr: 1 });
    const lrs = lrsOver(opt, new ExponentialLR(opt, { gamma: 0.5 }), 4);
    expect(lrs).toEqual([[1, 0.1], [0.5, 0.05], [0.25, 0.025], [0.125, 0.0125]]);
    expect(opt.paramGroups.map((g) => g.initialLr)).toEqual([1, 0.1]);
  });

  it('CosineAnnealingLR follows the closed form, climbing back after tMax', () => {
    const opt = new SGD([f64([1])], { lr: 1 });
    const lrs = lrsOver(opt, new CosineAnnealingLR(opt, { tMax: 4, etaMin: 0.2 }), 9).map((l) => l[0]!);
    const c = Math.SQRT1_2;
    const expected = [1, 0.2 + 0.8 * (1 + c) / 2, 0.6, 0.2 + 0.8 * (1 - c) / 2, 0.2, 0.2 + 0.8 * (1 - c) / 2, 0.6, 0.2 + 0.8 * (1 + c) / 2, 1];
    expectClose(lrs, expected, 14);
  });

  it('saves and restores its progress, and rejects bad options', () => {
    const opt = new SGD([f64([1])], { lr: 1 });
    const s = new StepLR(opt, { stepSize: 1, gamma: 0.5 });
    s.step();
    s.step();
    const sd = s.stateDict();
    const opt2 = new SGD([f64([1])], { lr: 1 });
    opt2.loadStateDict(opt.stateDict());
    const s2 = new StepLR(opt2, { stepSize: 1, gamma: 0.5 });
    s2.loadStateDict(sd);
    s.step();
    s2.step();
    expect(opt2.paramGroups[0]!.lr).toBe(0.125);
    expect(s2.getLastLr()).toEqual(s.getLastLr());
    expect(() => new StepLR(opt, { stepSize: 0 })).toThrow(/invalid stepSize: 0/);
    expect(() => new CosineAnnealingLR(opt, { tMax: 2.5 })).toThrow(/invalid tMax/);
    expect(() => new ExponentialLR(opt, {} as { gamma: number })).toThrow(/invalid gamma: undefined/);
    expect(() => new ExponentialLR(opt, { gamma: 0.9, gama: 1 } as { gamma: number })).toThrow(/unknown option 'gama'/);
    expect(() => s2.loadStateDict({ last_epoch: 1, base_lrs: [1, 2], _last_lr: [1] })).toThrow(/'base_lrs' must be an array of 1 finite numbers/);
  });
});
