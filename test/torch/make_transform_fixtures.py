"""Reference values for the transform tests (test/transforms/torch-transforms.test.ts), from PyTorch.

Writes test/fixtures/transforms-torch.json with, all in float64:
- pinn: a tanh MLP u(x) (1 -> 16 -> 16 -> 1), collocation points x in [-1, 1] and the physics-informed
  loss mean((u''(x) + pi^2 sin(pi x))^2) + mean(u(-1)^2 + u(1)^2), where u'' comes from
  torch.autograd.grad with create_graph=True; the loss and the gradient of every parameter after
  loss.backward().
- hessian: a tanh MLP (3 -> 4 -> 2) mean squared error on a small batch, and its Hessian with
  respect to (W1, b1, W2, b2) from torch.autograd.functional.hessian (blocks H[i][j]).
- per_sample: per-example gradients of a softplus MLP's squared error (3 -> 5 -> 1) over a batch of 6,
  by a loop over the examples (and, where functorch is installed, checked against functorch.vmap).

Inputs are drawn from torch.manual_seed and stored beside the results, so tapegrad recomputes
exactly these cases. PyTorch runs on one thread, so the file is the same on every run.
Run with `pnpm fixtures` (needs Debian's python3-torch).
"""
import json
import math
import os

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, '..', 'fixtures', 'transforms-torch.json')
torch.set_num_threads(1)
torch.manual_seed(20240807)
D = torch.float64


def as_json(t):
    return {'shape': list(t.shape), 'data': t.detach().reshape(-1).tolist()}


def params(sizes, scale):
    ps = []
    for i in range(len(sizes) - 1):
        ps.append((torch.randn(sizes[i], sizes[i + 1], dtype=D) * scale).requires_grad_(True))
        ps.append((torch.randn(sizes[i + 1], dtype=D) * 0.1).requires_grad_(True))
    return ps


def mlp(ps, x, act):
    h = x
    for i in range(0, len(ps), 2):
        h = h @ ps[i] + ps[i + 1]
        if i + 2 < len(ps):
            h = act(h)
    return h


def pinn():
    ps = params([1, 16, 16, 1], 0.8)
    x = (torch.rand(12, 1, dtype=D) * 2 - 1).requires_grad_(True)
    u = mlp(ps, x, torch.tanh)
    (du,) = torch.autograd.grad(u.sum(), x, create_graph=True)
    (d2u,) = torch.autograd.grad(du.sum(), x, create_graph=True)
    residual = d2u + math.pi ** 2 * torch.sin(math.pi * x)
    boundary = mlp(ps, torch.tensor([[-1.0], [1.0]], dtype=D), torch.tanh)
    loss = (residual ** 2).mean() + (boundary ** 2).mean()
    loss.backward()
    return {
        'params': [as_json(p) for p in ps],
        'x': as_json(x),
        'loss': loss.item(),
        'grads': [as_json(p.grad) for p in ps],
    }


def hessian():
    ps = [p.detach() for p in params([3, 4, 2], 0.7)]
    x = torch.randn(5, 3, dtype=D)
    y = torch.randn(5, 2, dtype=D)

    def loss(*qs):
        return ((mlp(list(qs), x, torch.tanh) - y) ** 2).mean()

    h = torch.autograd.functional.hessian(loss, tuple(ps))
    return {
        'params': [as_json(p) for p in ps],
        'x': as_json(x),
        'y': as_json(y),
        'loss': loss(*ps).item(),
        'blocks': [[as_json(b) for b in row] for row in h],
    }


def per_sample():
    ps = [p.detach() for p in params([3, 5, 1], 0.9)]
    x = torch.randn(6, 3, dtype=D)
    y = torch.randn(6, 1, dtype=D)
    act = torch.nn.functional.softplus

    def loss(qs, xi, yi):
        return ((mlp(list(qs), xi, act) - yi) ** 2).sum()

    rows = []
    for i in range(x.shape[0]):
        qs = [p.clone().requires_grad_(True) for p in ps]
        rows.append(torch.autograd.grad(loss(qs, x[i], y[i]), qs))
    grads = [torch.stack([r[k] for r in rows]) for k in range(len(ps))]
    try:
        from functorch import grad, vmap
        vgrads = vmap(grad(lambda qs, xi, yi: loss(qs, xi, yi)), in_dims=(None, 0, 0))(tuple(ps), x, y)
        for a, b in zip(vgrads, grads):
            assert torch.allclose(a, b, rtol=1e-12, atol=1e-14), 'functorch.vmap disagrees with the loop'
    except ImportError:
        pass
    return {
        'params': [as_json(p) for p in ps],
        'x': as_json(x),
        'y': as_json(y),
        'grads': [as_json(g) for g in grads],
    }


fixtures = {'torch': torch.__version__, 'pinn': pinn(), 'hessian': hessian(), 'per_sample': per_sample()}
with open(OUT, 'w') as f:
    json.dump(fixtures, f, indent=1)
    f.write('\n')
print(f'wrote {os.path.relpath(OUT)}')
