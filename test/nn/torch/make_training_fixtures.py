"""Writes the PyTorch fixtures that test/nn/schedules-torch.test.ts checks tapegrad's learning-rate schedules
and gradient clipping against.

Run from the repository root with a Python that has torch (CI has none, so the output is committed):

    python3 test/nn/torch/make_training_fixtures.py

It writes test/fixtures/nn-training.json:
  schedules  one case per schedule configuration (schedules combined with SequentialLR and ChainedScheduler
             included): an optimizer over two parameter groups, the schedule's options in tapegrad's names,
             and every group's lr (and momentum, for OneCycleLR) after construction and after each of 30
             steps; ReduceLROnPlateau cases carry the metric fed to each step.
  clipping   gradients of three parameters, and the total norm and gradients after clipGradNorm_ (several
             norm orders and limits) and clipGradValue_.
"""

import json
import math
import os

import torch
from torch.optim import lr_scheduler as S

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
OUT = os.path.join(ROOT, 'test', 'fixtures', 'nn-training.json')
STEPS = 30

torch.set_default_dtype(torch.float64)

SPECIAL = {'t0': 'T_0', 'tMult': 'T_mult', 'tMax': 'T_max'}


def snake(k):
    return SPECIAL.get(k) or ''.join('_' + c.lower() if c.isupper() else c for c in k)


# The functions LambdaLR and MultiplicativeLR cases use, by name (test/nn/schedules-torch.test.ts has the same).
LAMBDAS = {
    'inverseTime': lambda e: 1 / (1 + 0.25 * e),
    'warmup': lambda e: min(1.0, (e + 1) / 5),
    'shrink': lambda e: 0.9,
    'wobble': lambda e: 0.8 if e % 3 == 0 else 1.05,
}

PLATEAU_METRICS = [1.0, 0.8, 0.7, 0.69, 0.695, 0.7, 0.71, 0.6, 0.6, 0.6, 0.6, 0.6, 0.5, 0.45, 0.46, 0.47, 0.47, 0.47,
                   0.3, 0.3, 0.31, 0.32, 0.3, 0.3, 0.29, 0.29, 0.29, 0.29, 0.29, 0.29]
ACCURACY = [0.5, 0.6, 0.6, 0.6, 0.61, 0.65, 0.65, 0.65, 0.65, 0.7, 0.71, 0.71, 0.71, 0.71, 0.72, 0.8, 0.8, 0.8, 0.8,
            0.8, 0.81, 0.81, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9]

SCHEDULES = [
    {'name': 'step', 'schedule': {'type': 'StepLR', 'options': {'stepSize': 4, 'gamma': 0.5}}},
    {'name': 'multi_step', 'schedule': {'type': 'MultiStepLR', 'options': {'milestones': [3, 7, 7, 12], 'gamma': 0.5}}},
    {'name': 'exponential', 'schedule': {'type': 'ExponentialLR', 'options': {'gamma': 0.9}}},
    {'name': 'cosine', 'schedule': {'type': 'CosineAnnealingLR', 'options': {'tMax': 10, 'etaMin': 0.001}}},
    {'name': 'lambda', 'schedule': {'type': 'LambdaLR', 'lambda': 'inverseTime'}},
    {'name': 'lambda_per_group', 'schedule': {'type': 'LambdaLR', 'lambda': ['warmup', 'inverseTime']}},
    {'name': 'multiplicative', 'schedule': {'type': 'MultiplicativeLR', 'lambda': 'wobble'}},
    {'name': 'linear_default', 'schedule': {'type': 'LinearLR', 'options': {}}},
    {'name': 'linear_decay', 'schedule': {'type': 'LinearLR', 'options': {'startFactor': 1.0, 'endFactor': 0.1, 'totalIters': 20}}},
    {'name': 'constant', 'schedule': {'type': 'ConstantLR', 'options': {'factor': 0.25, 'totalIters': 6}}},
    {'name': 'polynomial', 'schedule': {'type': 'PolynomialLR', 'options': {'totalIters': 12, 'power': 2.0}}},
    {'name': 'one_cycle', 'optimizer': 'SGD', 'schedule': {'type': 'OneCycleLR', 'options': {'maxLr': [1.0, 0.1], 'totalSteps': 30}}},
    {'name': 'one_cycle_three_phase_adam', 'optimizer': 'Adam',
     'schedule': {'type': 'OneCycleLR', 'options': {'maxLr': 0.01, 'epochs': 6, 'stepsPerEpoch': 5, 'pctStart': 0.25, 'annealStrategy': 'linear',
                                                    'threePhase': True, 'divFactor': 10.0, 'finalDivFactor': 100.0, 'baseMomentum': 0.8,
                                                    'maxMomentum': 0.9}}},
    {'name': 'warm_restarts', 'schedule': {'type': 'CosineAnnealingWarmRestarts', 'options': {'t0': 4}}},
    {'name': 'warm_restarts_mult', 'schedule': {'type': 'CosineAnnealingWarmRestarts', 'options': {'t0': 3, 'tMult': 2, 'etaMin': 0.001}}},
    {'name': 'plateau', 'metrics': PLATEAU_METRICS,
     'schedule': {'type': 'ReduceLROnPlateau', 'options': {'patience': 2, 'cooldown': 1, 'threshold': 0.01, 'factor': 0.5, 'minLr': [0.01, 0.004]}}},
    {'name': 'plateau_max_abs', 'metrics': ACCURACY,
     'schedule': {'type': 'ReduceLROnPlateau', 'options': {'mode': 'max', 'thresholdMode': 'abs', 'threshold': 0.005, 'patience': 1}}},
    {'name': 'sequential_warmup_cosine',
     'schedule': {'type': 'SequentialLR', 'milestones': [5], 'schedulers': [
         {'type': 'LinearLR', 'options': {'startFactor': 0.1, 'totalIters': 5}},
         {'type': 'CosineAnnealingLR', 'options': {'tMax': 25}}]}},
    {'name': 'sequential_three',
     'schedule': {'type': 'SequentialLR', 'milestones': [4, 12], 'schedulers': [
         {'type': 'ConstantLR', 'options': {'factor': 0.5, 'totalIters': 4}},
         {'type': 'ExponentialLR', 'options': {'gamma': 0.8}},
         {'type': 'StepLR', 'options': {'stepSize': 3, 'gamma': 0.5}}]}},
    {'name': 'chained',
     'schedule': {'type': 'ChainedScheduler', 'schedulers': [
         {'type': 'ConstantLR', 'options': {'factor': 0.5, 'totalIters': 3}},
         {'type': 'ExponentialLR', 'options': {'gamma': 0.9}},
         {'type': 'MultiStepLR', 'options': {'milestones': [10, 20], 'gamma': 0.3}}]}},
]


def build(spec, opt):
    kind = spec['type']
    cls = getattr(S, kind)
    if kind == 'SequentialLR':
        return cls(opt, [build(s, opt) for s in spec['schedulers']], spec['milestones'])
    if kind == 'ChainedScheduler':
        return cls([build(s, opt) for s in spec['schedulers']])
    if kind in ('LambdaLR', 'MultiplicativeLR'):
        lam = spec['lambda']
        return cls(opt, [LAMBDAS[n] for n in lam] if isinstance(lam, list) else LAMBDAS[lam])
    return cls(opt, **{snake(k): v for k, v in spec['options'].items()})


def momentum_of(opt):
    return [g['betas'][0] if 'betas' in g else g['momentum'] for g in opt.param_groups]


def run_schedule(cfg):
    a = torch.zeros(2, requires_grad=True)
    b = torch.zeros(3, requires_grad=True)
    kind = cfg.get('optimizer', 'SGD')
    if kind == 'Adam':
        opt = torch.optim.Adam([{'params': [a]}, {'params': [b], 'lr': 0.02}], lr=0.1)
    else:
        opt = torch.optim.SGD([{'params': [a]}, {'params': [b], 'lr': 0.02}], lr=0.1, momentum=0.9)
    sched = build(cfg['schedule'], opt)
    lrs = [[g['lr'] for g in opt.param_groups]]
    momenta = [momentum_of(opt)]
    for i in range(STEPS):
        opt.step()
        if 'metrics' in cfg:
            sched.step(cfg['metrics'][i])
        else:
            sched.step()
        lrs.append([g['lr'] for g in opt.param_groups])
        momenta.append(momentum_of(opt))
    out = {**cfg, 'optimizer': kind, 'lrs': lrs}
    if cfg['schedule']['type'] == 'OneCycleLR':
        out['momenta'] = momenta
    return out


def clipping():
    g = torch.Generator().manual_seed(11)
    grads = [torch.randn(3, 4, generator=g) * 0.7, torch.randn(5, generator=g) * 2.0, torch.randn(2, 2, generator=g) * 0.1]
    cases = []
    for fn, opts in [('norm', {'maxNorm': 1.0}), ('norm', {'maxNorm': 2.0, 'normType': 1.0}), ('norm', {'maxNorm': 0.5, 'normType': math.inf}),
                     ('norm', {'maxNorm': 1.5, 'normType': 3.0}), ('norm', {'maxNorm': 100.0}), ('value', {'clipValue': 0.3})]:
        ps = [torch.zeros_like(t, requires_grad=True) for t in grads]
        for p, t in zip(ps, grads):
            p.grad = t.clone()
        case = {'fn': fn, 'options': {k: ('inf' if v == math.inf else v) for k, v in opts.items()}}
        if fn == 'norm':
            total = torch.nn.utils.clip_grad_norm_(ps, opts['maxNorm'], norm_type=opts.get('normType', 2.0))
            case['total'] = total.item()
        else:
            torch.nn.utils.clip_grad_value_(ps, opts['clipValue'])
        case['after'] = [p.grad.tolist() for p in ps]
        cases.append(case)
    return {'grads': [t.tolist() for t in grads], 'cases': cases}


def main():
    data = {
        'generatedBy': 'test/nn/torch/make_training_fixtures.py',
        'torch': torch.__version__,
        'steps': STEPS,
        'schedules': [run_schedule(c) for c in SCHEDULES],
        'clipping': clipping(),
    }
    with open(OUT, 'w') as f:
        json.dump(data, f, indent=1, allow_nan=False)
        f.write('\n')
    print(f'wrote {OUT}: {len(data["schedules"])} schedules, {len(data["clipping"]["cases"])} clipping cases')


if __name__ == '__main__':
    main()
