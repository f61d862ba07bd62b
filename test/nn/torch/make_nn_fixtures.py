"""Writes the PyTorch fixtures that test/nn/torch-layers.test.ts checks tapegrad's layers and losses against.

Run from the repository root with a Python that has torch (CI has none, so the output is committed):

    python3 test/nn/torch/make_nn_fixtures.py

It writes test/fixtures/nn-layers.json:
  layers  one case per layer configuration: the module's state_dict (after torch's own default init, with
          normalization weights and running statistics perturbed so that they matter), the inputs, the
          outputs, a fixed cotangent per output, the gradients of <outputs, cotangents> with respect to
          every parameter and float input, and (for BatchNorm in training mode) the buffers after the
          forward pass. float64 unless the case says float32.
  losses  one case per loss configuration: the inputs, the option values, the result, a cotangent (for
          reduction 'none') and the gradients with respect to the differentiable inputs.
Non-finite numbers are written as the strings "inf", "-inf" and "nan". int64 tensors (class indices,
num_batches_tracked) are written as "int64"; the test reads them as int32.
"""

import json
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
OUT = os.path.join(ROOT, 'test', 'fixtures', 'nn-layers.json')

torch.manual_seed(20240611)
GEN = torch.Generator().manual_seed(7)


def num(v):
    if math.isnan(v):
        return 'nan'
    if math.isinf(v):
        return 'inf' if v > 0 else '-inf'
    return v


def enc(t):
    t = t.detach()
    dtype = {torch.float64: 'float64', torch.float32: 'float32', torch.int64: 'int64', torch.int32: 'int32', torch.bool: 'bool'}[t.dtype]
    flat = t.reshape(-1).tolist()
    if t.dtype.is_floating_point:
        flat = [num(float(v)) for v in flat]
    elif t.dtype == torch.bool:
        flat = [bool(v) for v in flat]
    else:
        flat = [int(v) for v in flat]
    return {'shape': list(t.shape), 'dtype': dtype, 'data': flat}


def randn(*shape, dtype=torch.float64, scale=1.0):
    return (torch.randn(tuple(shape), generator=GEN, dtype=torch.float64) * scale).to(dtype)


def rand(*shape, lo=0.0, hi=1.0, dtype=torch.float64):
    return (torch.rand(tuple(shape), generator=GEN, dtype=torch.float64) * (hi - lo) + lo).to(dtype)


def away_from_zero(t, gap=0.05):
    """Moves values off the kinks of relu-like functions (and off max-pool ties)."""
    return torch.where(t.abs() < gap, t.sign() * gap + t, t)


def perturb_norm(m, dtype):
    """Non-trivial affine parameters and running statistics for normalization layers."""
    with torch.no_grad():
        if getattr(m, 'weight', None) is not None:
            m.weight.copy_(rand(*m.weight.shape, lo=0.5, hi=1.5, dtype=dtype))
        if getattr(m, 'bias', None) is not None:
            m.bias.copy_(randn(*m.bias.shape, scale=0.3, dtype=dtype))
        if getattr(m, 'running_mean', None) is not None:
            m.running_mean.copy_(randn(*m.running_mean.shape, scale=0.5, dtype=dtype))
            m.running_var.copy_(rand(*m.running_var.shape, lo=0.5, hi=2.0, dtype=dtype))
            m.num_batches_tracked.fill_(3)


def layer_case(name, module, inputs, call=None, mode='train', dtype=torch.float64, perturb=False, note='', constants=()):
    """`constants`: positions of float inputs (masks) that are not differentiated."""
    module = module.to(dtype)
    if perturb:
        perturb_norm(module, dtype)
    module.train(mode == 'train')
    state = {k: enc(v) for k, v in module.state_dict().items()}
    xs = [x.detach().clone().requires_grad_(x.dtype.is_floating_point and i not in constants) for i, x in enumerate(inputs)]
    outs = call(module, *xs) if call is not None else module(*xs)
    if isinstance(outs, torch.Tensor):
        outs = [outs]
    cots = [randn(*o.shape, dtype=dtype) for o in outs]
    total = sum((o * c).sum() for o, c in zip(outs, cots))
    params = [(n, p) for n, p in module.named_parameters()]
    float_inputs = [x for x in xs if x.requires_grad]
    grads = torch.autograd.grad(total, [p for _, p in params] + float_inputs, allow_unused=True)
    pgrads = grads[:len(params)]
    igrads = grads[len(params):]
    it = iter(igrads)
    case = {
        'name': name,
        'dtype': 'float64' if dtype == torch.float64 else 'float32',
        'mode': mode,
        'note': note,
        'state': state,
        'inputs': [enc(x) for x in inputs],
        'outputs': [enc(o) for o in outs],
        'cotangents': [enc(c) for c in cots],
        'paramGrads': {n: enc(g if g is not None else torch.zeros_like(p)) for (n, p), g in zip(params, pgrads)},
        'inputGrads': [enc(next(it)) if x.requires_grad else None for x in xs],
    }
    if mode == 'train' and any(b is not None for b in module.buffers()):
        case['stateAfter'] = {k: enc(v) for k, v in module.state_dict().items()}
    return case


def layers():
    f64 = torch.float64
    cases = []
    add = cases.append
    # Linear and containers
    add(layer_case('linear', nn.Linear(4, 3), [randn(2, 5, 4)]))
    add(layer_case('linear_nobias', nn.Linear(4, 3, bias=False), [randn(3, 4)]))
    add(layer_case('linear_1d', nn.Linear(4, 3), [randn(4)]))
    add(layer_case('mlp', nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 5), nn.GELU(), nn.Linear(5, 3), nn.Sigmoid()), [randn(7, 4)]))
    add(layer_case('flatten_linear', nn.Sequential(nn.Flatten(), nn.Linear(12, 2)), [randn(2, 3, 2, 2)]))
    # Activations
    x = away_from_zero(randn(3, 5, scale=2.0))
    add(layer_case('relu', nn.ReLU(), [x]))
    add(layer_case('leaky_relu', nn.LeakyReLU(0.2), [x]))
    add(layer_case('leaky_relu_default', nn.LeakyReLU(), [x]))
    add(layer_case('tanh', nn.Tanh(), [x]))
    add(layer_case('sigmoid', nn.Sigmoid(), [x]))
    add(layer_case('softplus', nn.Softplus(), [torch.cat([x, torch.tensor([[25.0, -30.0, 19.9, 20.1, 0.0]], dtype=f64)])]))
    add(layer_case('softplus_beta', nn.Softplus(beta=2.0, threshold=5.0), [x]))
    add(layer_case('gelu', nn.GELU(), [torch.cat([x, torch.tensor([[-6.0, 6.0, 0.0, -0.5, 3.5]], dtype=f64)])]))
    add(layer_case('gelu_tanh', nn.GELU(approximate='tanh'), [x]))
    add(layer_case('softmax', nn.Softmax(dim=1), [randn(2, 4, 3, scale=3.0)]))
    add(layer_case('log_softmax', nn.LogSoftmax(dim=-1), [torch.cat([randn(2, 4, scale=3.0), torch.tensor([[1000.0, -1000.0, 999.0, 0.0]], dtype=f64)])]))
    add(layer_case('dropout_eval', nn.Dropout(0.5), [x], mode='eval'))
    # Normalization
    add(layer_case('batchnorm1d_train', nn.BatchNorm1d(3), [randn(6, 3, scale=2.0) + 1.0], perturb=True))
    add(layer_case('batchnorm1d_train_3d', nn.BatchNorm1d(3), [randn(4, 3, 5)], perturb=True))
    add(layer_case('batchnorm1d_eval', nn.BatchNorm1d(3), [randn(6, 3)], mode='eval', perturb=True))
    add(layer_case('batchnorm1d_cumulative', nn.BatchNorm1d(3, momentum=None), [randn(6, 3)], perturb=True))
    add(layer_case('batchnorm1d_noaffine', nn.BatchNorm1d(3, affine=False, momentum=0.3, eps=1e-3), [randn(5, 3)], perturb=True))
    add(layer_case('batchnorm2d_train', nn.BatchNorm2d(2), [randn(3, 2, 3, 4, scale=1.5)], perturb=True))
    add(layer_case('batchnorm2d_eval', nn.BatchNorm2d(2), [randn(3, 2, 3, 4)], mode='eval', perturb=True))
    add(layer_case('batchnorm2d_nostats_eval', nn.BatchNorm2d(2, track_running_stats=False), [randn(3, 2, 2, 2)], mode='eval', perturb=True))
    add(layer_case('layernorm', nn.LayerNorm(5), [randn(2, 3, 5, scale=2.0)], perturb=True))
    add(layer_case('layernorm_2d', nn.LayerNorm([3, 4], eps=1e-3), [randn(2, 3, 4)], perturb=True))
    add(layer_case('layernorm_noaffine', nn.LayerNorm(4, elementwise_affine=False), [randn(3, 4)]))
    # Embedding
    idx = torch.tensor([[1, 4, 0, 4], [7, 2, 2, 9]], dtype=torch.int64)
    add(layer_case('embedding', nn.Embedding(10, 3), [idx]))
    emb = nn.Embedding(10, 3, padding_idx=2)
    add(layer_case('embedding_padding', emb, [idx]))
    # Convolution
    add(layer_case('conv2d', nn.Conv2d(2, 3, 3), [randn(2, 2, 5, 6)]))
    add(layer_case('conv2d_stride_pad', nn.Conv2d(2, 4, (3, 2), stride=2, padding=1), [randn(2, 2, 6, 5)]))
    add(layer_case('conv2d_dilation_groups', nn.Conv2d(4, 6, 3, padding=2, dilation=2, groups=2, bias=False), [randn(1, 4, 5, 5)]))
    add(layer_case('conv2d_same', nn.Conv2d(2, 2, 3, padding='same'), [randn(1, 2, 4, 4)]))
    add(layer_case('conv1d', nn.Conv1d(3, 2, 3, stride=2, padding=1), [randn(2, 3, 7)]))
    # Pooling (values spread apart so every window has one clear maximum)
    pool_in = torch.randperm(2 * 2 * 6 * 6, generator=GEN).to(f64).reshape(2, 2, 6, 6) / 10.0
    add(layer_case('maxpool2d', nn.MaxPool2d(2), [pool_in]))
    add(layer_case('maxpool2d_stride_pad', nn.MaxPool2d(3, stride=2, padding=1), [pool_in]))
    ties = torch.tensor([[[[1, 1, 2, 2], [1, 1, 2, 2], [0, 3, 3, 0], [3, 3, 0, 0]]]], dtype=f64)
    add(layer_case('maxpool2d_ties', nn.MaxPool2d(3, stride=1, padding=1), [ties], note='the gradient goes to the first maximum of each window'))
    add(layer_case('avgpool2d', nn.AvgPool2d(2), [randn(2, 2, 4, 6)]))
    add(layer_case('avgpool2d_stride_pad', nn.AvgPool2d(3, stride=2, padding=1), [randn(1, 2, 5, 5)]))
    add(layer_case('conv_net', nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.BatchNorm2d(2), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(8, 3)),
                   [torch.randperm(2 * 16, generator=GEN).to(f64).reshape(2, 1, 4, 4) / 8.0 - 2.0]))
    # Recurrent (batch-first, as tapegrad's default)
    add(layer_case('rnn', nn.RNN(3, 4, batch_first=True), [randn(2, 5, 3)], call=lambda m, x: m(x)[0]))
    add(layer_case('rnn_relu_state', nn.RNN(3, 4, nonlinearity='relu', batch_first=True), [randn(2, 4, 3), randn(1, 2, 4, scale=0.5)],
                   call=lambda m, x, h: list(m(x, h))))
    add(layer_case('rnn_2layer_nobias', nn.RNN(3, 4, num_layers=2, bias=False, batch_first=True), [randn(2, 3, 3)], call=lambda m, x: list(m(x))))
    add(layer_case('lstm', nn.LSTM(3, 4, batch_first=True), [randn(2, 5, 3)], call=lambda m, x: m(x)[0]))
    add(layer_case('lstm_state', nn.LSTM(3, 4, batch_first=True), [randn(2, 4, 3), randn(1, 2, 4, scale=0.5), randn(1, 2, 4, scale=0.5)],
                   call=lambda m, x, h, c: (lambda r: [r[0], r[1][0], r[1][1]])(m(x, (h, c)))))
    add(layer_case('lstm_2layer', nn.LSTM(2, 3, num_layers=2, batch_first=True), [randn(3, 4, 2)],
                   call=lambda m, x: (lambda r: [r[0], r[1][0], r[1][1]])(m(x))))
    add(layer_case('lstm_unbatched', nn.LSTM(3, 2), [randn(4, 3)], call=lambda m, x: (lambda r: [r[0], r[1][0], r[1][1]])(m(x))))
    add(layer_case('gru', nn.GRU(3, 4, batch_first=True), [randn(2, 5, 3)], call=lambda m, x: m(x)[0]))
    add(layer_case('gru_state', nn.GRU(3, 4, batch_first=True), [randn(2, 4, 3), randn(1, 2, 4, scale=0.5)], call=lambda m, x, h: list(m(x, h))))
    add(layer_case('gru_seq_first', nn.GRU(2, 3), [randn(4, 2, 2)], call=lambda m, x: list(m(x)), note='batch_first=False'))
    # float32 variants (checked to 1e-4)
    f32 = torch.float32
    add(layer_case('linear_f32', nn.Linear(4, 3), [randn(2, 5, 4, dtype=f32)], dtype=f32))
    add(layer_case('conv2d_f32', nn.Conv2d(2, 3, 3, padding=1), [randn(2, 2, 5, 5, dtype=f32)], dtype=f32))
    add(layer_case('batchnorm2d_train_f32', nn.BatchNorm2d(2), [randn(3, 2, 3, 3, dtype=f32)], dtype=f32, perturb=True))
    add(layer_case('lstm_f32', nn.LSTM(3, 4, batch_first=True), [randn(2, 5, 3, dtype=f32)], call=lambda m, x: m(x)[0], dtype=f32))
    add(layer_case('gru_f32', nn.GRU(3, 4, batch_first=True), [randn(2, 5, 3, dtype=f32)], call=lambda m, x: m(x)[0], dtype=f32))
    return cases


def loss_case(name, fn, inputs, differentiable, options, reductions=('mean', 'sum', 'none'), dtype_note=''):
    """fn(*inputs, reduction=...) for each reduction; gradients w.r.t. the inputs flagged differentiable."""
    out = []
    for reduction in reductions:
        xs = [x.detach().clone().requires_grad_(d) for x, d in zip(inputs, differentiable)]
        y = fn(*xs, reduction=reduction)
        cot = randn(*y.shape) if reduction == 'none' else torch.tensor(1.0, dtype=torch.float64)
        wanted = [x for x in xs if x.requires_grad]
        grads = torch.autograd.grad((y * cot).sum(), wanted)
        it = iter(grads)
        out.append({
            'name': name,
            'reduction': reduction,
            'options': options,
            'inputs': [enc(x) for x in inputs],
            'output': enc(y),
            'cotangent': enc(cot),
            'grads': [enc(next(it)) if d else None for d in differentiable],
        })
    return out


def losses():
    cases = []
    N = 5
    pred = randn(N, 3)
    target = randn(N, 3)
    cases += loss_case('l1Loss', F.l1_loss, [pred, target], [True, True], {})
    cases += loss_case('mseLoss', F.mse_loss, [pred, target], [True, True], {})
    big = randn(N, 3, scale=2.0)
    cases += loss_case('huberLoss', F.huber_loss, [big, target], [True, True], {})
    cases += loss_case('huberLoss_delta', lambda a, b, reduction: F.huber_loss(a, b, reduction=reduction, delta=0.5), [big, target], [True, True], {'delta': 0.5})
    cases += loss_case('smoothL1Loss', F.smooth_l1_loss, [big, target], [True, True], {})
    cases += loss_case('smoothL1Loss_beta', lambda a, b, reduction: F.smooth_l1_loss(a, b, reduction=reduction, beta=0.5), [big, target], [True, True], {'beta': 0.5})
    p = rand(N, 3, lo=0.02, hi=0.98)
    y = rand(N, 3)
    cases += loss_case('binaryCrossEntropy', F.binary_cross_entropy, [p, y], [True, True], {})
    w = rand(N, 3, lo=0.5, hi=2.0)
    cases += loss_case('binaryCrossEntropy_weight', lambda a, b, reduction: F.binary_cross_entropy(a, b, weight=w, reduction=reduction), [p, y], [True, True], {'weight': enc(w)})
    p_ext = torch.tensor([0.0, 0.0, 1.0, 1.0, 1e-30, 1 - 1e-16, 0.5, 1e-60], dtype=torch.float64)
    y_ext = torch.tensor([0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.25], dtype=torch.float64)
    cases += loss_case('binaryCrossEntropy_extremes', F.binary_cross_entropy, [p_ext, y_ext], [True, False], {})
    z = torch.cat([randn(N, 3, scale=3.0), torch.tensor([[1000.0, -1000.0, 0.0], [30.0, -30.0, 1e-3]], dtype=torch.float64)])
    yz = torch.cat([y, torch.tensor([[0.0, 1.0, 0.5], [0.0, 1.0, 1.0]], dtype=torch.float64)])
    cases += loss_case('binaryCrossEntropyWithLogits', F.binary_cross_entropy_with_logits, [z, yz], [True, True], {})
    pw = torch.tensor([0.5, 2.0, 3.0], dtype=torch.float64)
    wz = rand(N + 2, 3, lo=0.5, hi=2.0)
    cases += loss_case('binaryCrossEntropyWithLogits_posWeight',
                       lambda a, b, reduction: F.binary_cross_entropy_with_logits(a, b, pos_weight=pw, weight=wz, reduction=reduction),
                       [z, yz], [True, True], {'posWeight': enc(pw), 'weight': enc(wz)})
    logits = randn(N, 4, scale=2.0)
    cls = torch.tensor([0, 3, 1, 1, 2], dtype=torch.int64)
    cases += loss_case('crossEntropy', F.cross_entropy, [logits, cls], [True, False], {})
    big_logits = torch.tensor([[1000.0, -1000.0, 0.0, 999.0], [-500.0, -501.0, -499.0, -1000.0]], dtype=torch.float64)
    cases += loss_case('crossEntropy_large', F.cross_entropy, [big_logits, torch.tensor([3, 0])], [True, False], {})
    cw = torch.tensor([1.0, 2.0, 0.5, 1.5], dtype=torch.float64)
    cls_ign = torch.tensor([0, 3, -100, 1, 2], dtype=torch.int64)
    cases += loss_case('crossEntropy_weight_ignore', lambda a, b, reduction: F.cross_entropy(a, b, weight=cw, reduction=reduction),
                       [logits, cls_ign], [True, False], {'weight': enc(cw)})
    cases += loss_case('crossEntropy_ignoreIndex', lambda a, b, reduction: F.cross_entropy(a, b, ignore_index=1, reduction=reduction),
                       [logits, cls], [True, False], {'ignoreIndex': 1})
    cases += loss_case('crossEntropy_smoothing', lambda a, b, reduction: F.cross_entropy(a, b, label_smoothing=0.1, reduction=reduction),
                       [logits, cls], [True, False], {'labelSmoothing': 0.1})
    cases += loss_case('crossEntropy_smoothing_weight_ignore',
                       lambda a, b, reduction: F.cross_entropy(a, b, weight=cw, label_smoothing=0.2, reduction=reduction),
                       [logits, cls_ign], [True, False], {'weight': enc(cw), 'labelSmoothing': 0.2})
    probs = torch.softmax(randn(N, 4), dim=1)
    cases += loss_case('crossEntropy_probs', F.cross_entropy, [logits, probs], [True, True], {})
    cases += loss_case('crossEntropy_probs_smoothing_weight',
                       lambda a, b, reduction: F.cross_entropy(a, b, weight=cw, label_smoothing=0.1, reduction=reduction),
                       [logits, probs], [True, True], {'weight': enc(cw), 'labelSmoothing': 0.1})
    spatial = randn(2, 3, 2, 2)
    spatial_t = torch.tensor([[[0, 2], [1, 1]], [[2, 0], [0, 1]]], dtype=torch.int64)
    cases += loss_case('crossEntropy_spatial', F.cross_entropy, [spatial, spatial_t], [True, False], {})
    cases += loss_case('crossEntropy_unbatched', F.cross_entropy, [randn(4), torch.tensor(2)], [True, False], {})
    logp = torch.log_softmax(randn(N, 4), dim=1)
    cases += loss_case('nllLoss', F.nll_loss, [logp, cls], [True, False], {})
    cases += loss_case('nllLoss_weight_ignore', lambda a, b, reduction: F.nll_loss(a, b, weight=cw, ignore_index=3, reduction=reduction),
                       [logp, cls], [True, False], {'weight': enc(cw), 'ignoreIndex': 3})
    return cases


def main():
    data = {
        'torch': torch.__version__,
        'layers': layers(),
        'losses': losses(),
    }
    with open(OUT, 'w') as f:
        json.dump(data, f, separators=(',', ':'))
        f.write('\n')
    print(f'wrote {OUT} ({os.path.getsize(OUT)} bytes, {len(data["layers"])} layer cases, {len(data["losses"])} loss cases)')


if __name__ == '__main__':
    main()
