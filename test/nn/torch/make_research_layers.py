"""Writes the PyTorch fixtures that test/nn/torch-research-layers.test.ts checks tapegrad's second-release
layers against (attention, transformers, more norms and activations, transposed convolutions, 1-d and
adaptive pooling, upsampling, bidirectional / stacked / projected recurrent layers).

Run from the repository root with a Python that has torch (CI has none, so the output is committed):

    python3 test/nn/torch/make_research_layers.py

It writes test/fixtures/nn-research-layers.json in the layout of test/fixtures/nn-layers.json (see
make_nn_fixtures.py, whose case builder it uses): per case the module's state_dict, the inputs, outputs,
cotangents, parameter and input gradients, and updated buffers. float64 throughout. Masks are inputs that
are not differentiated. torch 1.13 has no nn.RMSNorm and no F.scaled_dot_product_attention; their cases use
the documented formulas written with torch ops (RMSNorm as torch 2.4 defines it, attention with torch 2's
mask convention: a bool mask is true where attention is allowed).
"""

import json
import math
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_nn_fixtures import GEN, away_from_zero, layer_case, rand, randn  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
OUT = os.path.join(ROOT, 'test', 'fixtures', 'nn-research-layers.json')

torch.manual_seed(20250101)
GEN.manual_seed(101)
f64 = torch.float64


class RMSNorm(nn.Module):
    """torch 2.4's nn.RMSNorm: x / sqrt(mean(x^2) + eps) * weight, eps defaulting to the dtype's machine epsilon."""

    def __init__(self, shape, eps=None):
        super().__init__()
        self.shape = (shape,) if isinstance(shape, int) else tuple(shape)
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(self.shape))

    def forward(self, x):
        dims = tuple(range(-len(self.shape), 0))
        eps = self.eps if self.eps is not None else torch.finfo(x.dtype).eps
        return x * torch.rsqrt(x.pow(2).mean(dims, keepdim=True) + eps) * self.weight


class Attention(nn.Module):
    """scaled_dot_product_attention as torch 2 documents it: softmax(q k^T * scale + mask) v."""

    def __init__(self, is_causal=False, scale=None):
        super().__init__()
        self.is_causal = is_causal
        self.scale = scale

    def forward(self, q, k, v, mask=None):
        L, S = q.shape[-2], k.shape[-2]
        scores = q @ k.transpose(-2, -1) * (self.scale if self.scale is not None else 1 / math.sqrt(q.shape[-1]))
        if self.is_causal:
            mask = torch.ones(L, S, dtype=torch.bool).tril()
        if mask is not None:
            scores = scores.masked_fill(~mask, -math.inf) if mask.dtype == torch.bool else scores + mask
        return torch.softmax(scores, -1) @ v


def perturb(m, scale=0.3):
    """Non-zero biases and non-unit norm weights, so that every parameter matters."""
    with torch.no_grad():
        for name, p in m.named_parameters():
            if name.endswith('bias'):
                p.copy_(randn(*p.shape, scale=scale))
            elif ('norm' in name and name.endswith('weight')) or name == 'weight':
                p.copy_(rand(*p.shape, lo=0.5, hi=1.5))
    return m


def causal_float(n):
    return torch.triu(torch.full((n, n), -math.inf, dtype=f64), diagonal=1)


def both(m, *xs, **kw):
    out = m(*xs, **kw)
    return [out[0], out[1]]


def layers():
    cases = []
    add = cases.append
    # Activations (inputs kept off the kinks)
    x = away_from_zero(randn(3, 5, scale=2.0))
    add(layer_case('silu', nn.SiLU(), [x]))
    add(layer_case('mish', nn.Mish(), [torch.cat([x, torch.tensor([[25.0, -30.0, 0.0, 19.0, 21.0]], dtype=f64)])]))
    add(layer_case('elu', nn.ELU(0.7), [x]))
    add(layer_case('prelu', nn.PReLU(), [x]))
    prelu = nn.PReLU(3, init=0.1)
    with torch.no_grad():
        prelu.weight.copy_(torch.tensor([0.1, -0.2, 0.3]))
    add(layer_case('prelu_channels', prelu, [away_from_zero(randn(2, 3, 4))]))
    ht = randn(3, 6, scale=2.0)
    ht = torch.where((ht + 0.5).abs() < 0.05, ht + 0.1, ht)
    ht = torch.where((ht - 1.5).abs() < 0.05, ht + 0.1, ht)
    add(layer_case('hardtanh', nn.Hardtanh(-0.5, 1.5), [ht]))
    hs = randn(4, 5, scale=3.0)
    hs = torch.where((hs.abs() - 3).abs() < 0.05, hs * 1.05, hs)
    add(layer_case('hardswish', nn.Hardswish(), [hs]))
    add(layer_case('softsign', nn.Softsign(), [x]))
    # Normalization
    add(layer_case('groupnorm', perturb(nn.GroupNorm(2, 6)), [randn(2, 6, 3, 2, scale=2.0) + 0.5]))
    add(layer_case('groupnorm_3d_noaffine', nn.GroupNorm(3, 3, eps=1e-3, affine=False), [randn(4, 3, 5)]))
    add(layer_case('rmsnorm', perturb(RMSNorm(5)), [randn(2, 3, 5, scale=2.0)]))
    add(layer_case('rmsnorm_2d_eps', perturb(RMSNorm([3, 4], eps=1e-3)), [randn(2, 3, 4)]))
    add(layer_case('instancenorm1d', nn.InstanceNorm1d(3), [randn(2, 3, 5, scale=2.0) + 1.0]))
    inst = perturb(nn.InstanceNorm1d(3, affine=True, track_running_stats=True, momentum=0.2))
    with torch.no_grad():
        inst.running_mean.copy_(randn(3, scale=0.5))
        inst.running_var.copy_(rand(3, lo=0.5, hi=2.0))
    add(layer_case('instancenorm1d_track_train', inst, [randn(4, 3, 6)]))
    inst2 = perturb(nn.InstanceNorm2d(2, affine=True, track_running_stats=True))
    with torch.no_grad():
        inst2.running_mean.copy_(randn(2, scale=0.5))
        inst2.running_var.copy_(rand(2, lo=0.5, hi=2.0))
    add(layer_case('instancenorm2d_track_eval', inst2, [randn(2, 2, 3, 4)], mode='eval'))
    add(layer_case('instancenorm2d_unbatched', nn.InstanceNorm2d(2, eps=1e-3), [randn(2, 3, 3)]))
    # Transposed convolutions
    add(layer_case('convtranspose2d', nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1, output_padding=1), [randn(2, 2, 3, 4)]))
    add(layer_case('convtranspose2d_groups_dilation', nn.ConvTranspose2d(4, 2, (2, 3), groups=2, dilation=(2, 1), bias=False), [randn(1, 4, 3, 3)]))
    add(layer_case('convtranspose1d', nn.ConvTranspose1d(3, 2, 4, stride=2, padding=1), [randn(2, 3, 5)]))
    # Pooling, resizing, reshaping (distinct values: one clear maximum per window)
    seq = torch.randperm(2 * 3 * 9, generator=GEN).to(f64).reshape(2, 3, 9) / 10.0
    add(layer_case('maxpool1d', nn.MaxPool1d(3, stride=2, padding=1), [seq]))
    add(layer_case('avgpool1d', nn.AvgPool1d(4, stride=2, padding=2), [randn(2, 3, 9)]))
    img = torch.randperm(2 * 2 * 5 * 7, generator=GEN).to(f64).reshape(2, 2, 5, 7) / 10.0
    add(layer_case('adaptive_avgpool2d', nn.AdaptiveAvgPool2d((3, 2)), [randn(2, 2, 5, 7)]))
    add(layer_case('adaptive_maxpool2d', nn.AdaptiveMaxPool2d((2, 4)), [img]))
    add(layer_case('upsample_nearest', nn.Upsample(scale_factor=2, mode='nearest'), [randn(1, 2, 3, 3)]))
    add(layer_case('upsample_bilinear', nn.Upsample(size=(5, 7), mode='bilinear'), [randn(1, 2, 3, 4)]))
    add(layer_case('upsample_bilinear_align', nn.Upsample(scale_factor=1.5, mode='bilinear', align_corners=True), [randn(2, 1, 4, 4)]))
    add(layer_case('unflatten', nn.Sequential(nn.Linear(6, 12), nn.Unflatten(1, (3, 4))), [randn(2, 6)]))
    # Recurrent: bidirectional, stacked, projected (dropout between layers is inactive in eval mode)
    add(layer_case('lstm_bidirectional_2layer', nn.LSTM(3, 4, num_layers=2, bidirectional=True, batch_first=True), [randn(2, 5, 3)],
                   call=lambda m, x: (lambda r: [r[0], r[1][0], r[1][1]])(m(x))))
    add(layer_case('gru_bidirectional', nn.GRU(3, 4, bidirectional=True, batch_first=True), [randn(2, 4, 3), randn(2, 2, 4, scale=0.5)],
                   call=lambda m, x, h: list(m(x, h))))
    add(layer_case('rnn_bidirectional_relu_dropout_eval', nn.RNN(2, 3, num_layers=2, nonlinearity='relu', bidirectional=True, dropout=0.5, batch_first=True),
                   [randn(3, 4, 2)], call=lambda m, x: list(m(x)), mode='eval'))
    add(layer_case('lstm_proj', nn.LSTM(3, 5, proj_size=2, batch_first=True), [randn(2, 4, 3)],
                   call=lambda m, x: (lambda r: [r[0], r[1][0], r[1][1]])(m(x))))
    add(layer_case('lstm_proj_bidirectional_2layer_state', nn.LSTM(2, 4, num_layers=2, proj_size=3, bidirectional=True, batch_first=True),
                   [randn(2, 3, 2), randn(4, 2, 3, scale=0.5), randn(4, 2, 4, scale=0.5)],
                   call=lambda m, x, h, c: (lambda r: [r[0], r[1][0], r[1][1]])(m(x, (h, c)))))
    add(layer_case('gru_bidirectional_unbatched', nn.GRU(2, 3, bidirectional=True), [randn(4, 2)], call=lambda m, x: list(m(x))))
    # Attention
    q, k, v = randn(2, 2, 4, 3), randn(2, 2, 5, 3), randn(2, 2, 5, 2)
    add(layer_case('sdpa', Attention(), [q, k, v]))
    add(layer_case('sdpa_bool_mask_scale', Attention(scale=0.3), [q, k, v, torch.rand(4, 5, generator=GEN) > 0.3]))
    add(layer_case('sdpa_float_mask', Attention(), [q, k, v, randn(2, 1, 4, 5)], constants=(3,)))
    add(layer_case('sdpa_causal', Attention(is_causal=True), [randn(3, 4, 3), randn(3, 4, 3), randn(3, 4, 2)]))
    x8 = randn(2, 4, 6)
    add(layer_case('mha_self', perturb(nn.MultiheadAttention(6, 2, batch_first=True)), [x8, x8.clone(), x8.clone()], call=both))
    add(layer_case('mha_per_head_weights', perturb(nn.MultiheadAttention(6, 3, batch_first=True)), [x8, randn(2, 5, 6), randn(2, 5, 6)],
                   call=lambda m, q, k, v: both(m, q, k, v, average_attn_weights=False)))
    add(layer_case('mha_kdim_vdim', perturb(nn.MultiheadAttention(6, 2, kdim=4, vdim=3, batch_first=True)), [x8, randn(2, 5, 4), randn(2, 5, 3)], call=both))
    pad = torch.tensor([[False, False, False, True, True], [False, False, False, False, True]])
    add(layer_case('mha_masks', perturb(nn.MultiheadAttention(6, 2, batch_first=True)), [x8, randn(2, 5, 6), randn(2, 5, 6), pad, randn(4, 5)],
                   call=lambda m, q, k, v, kpm, am: both(m, q, k, v, key_padding_mask=kpm, attn_mask=am), constants=(4,)))
    add(layer_case('mha_causal_bool_3d_mask', perturb(nn.MultiheadAttention(6, 2, batch_first=True)),
                   [x8, x8.clone(), x8.clone(), ~torch.ones(4, 4, dtype=torch.bool).tril().expand(4, 4, 4).contiguous()],
                   call=lambda m, q, k, v, am: both(m, q, k, v, attn_mask=am)))
    add(layer_case('mha_nobias_seq_first', nn.MultiheadAttention(6, 2, bias=False), [randn(4, 2, 6), randn(5, 2, 6), randn(5, 2, 6)], call=both))
    add(layer_case('mha_unbatched_no_weights', perturb(nn.MultiheadAttention(6, 2)), [randn(4, 6), randn(3, 6), randn(3, 6)],
                   call=lambda m, q, k, v: m(q, k, v, need_weights=False)[0]))
    # Transformers (dropout 0, so training mode computes what eval does)
    src = randn(2, 5, 8)
    mask = causal_float(5)
    kpm = torch.tensor([[False, False, False, False, True], [False, False, False, False, False]])
    enc = lambda **kw: perturb(nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0, batch_first=True, **kw))  # noqa: E731
    dec = lambda **kw: perturb(nn.TransformerDecoderLayer(8, 2, dim_feedforward=16, dropout=0.0, batch_first=True, **kw))  # noqa: E731
    add(layer_case('encoder_layer', enc(), [src]))
    add(layer_case('encoder_layer_prenorm_gelu_masks', enc(norm_first=True, activation='gelu', layer_norm_eps=1e-6), [src, mask, kpm],
                   call=lambda m, s, am, kp: m(s, src_mask=am, src_key_padding_mask=kp), constants=(1,)))
    tgt, memory = randn(2, 4, 8), randn(2, 6, 8)
    mkpm = torch.tensor([[False] * 6, [False, False, False, False, True, True]])
    add(layer_case('decoder_layer', dec(), [tgt, memory, causal_float(4), mkpm],
                   call=lambda m, t, mem, tm, mk: m(t, mem, tgt_mask=tm, memory_key_padding_mask=mk), constants=(2,)))
    add(layer_case('decoder_layer_prenorm_gelu', dec(norm_first=True, activation='gelu'), [tgt, memory]))
    stack = nn.TransformerEncoder(enc(), 2, norm=perturb(nn.LayerNorm(8)), enable_nested_tensor=False)
    with torch.no_grad():  # the copies start equal; make the second layer differ, as after training
        for p in stack.layers[1].parameters():
            p.add_(randn(*p.shape, scale=0.1))
    add(layer_case('encoder_stack', stack, [src, mask], call=lambda m, s, am: m(s, mask=am), constants=(1,)))
    dstack = nn.TransformerDecoder(dec(), 2, norm=perturb(nn.LayerNorm(8)))
    add(layer_case('decoder_stack', dstack, [tgt, memory, causal_float(4)], call=lambda m, t, mem, tm: m(t, mem, tgt_mask=tm), constants=(2,)))
    return cases


def main():
    data = {'torch': torch.__version__, 'generatedBy': 'test/nn/torch/make_research_layers.py', 'layers': layers()}
    with open(OUT, 'w') as f:
        json.dump(data, f, separators=(',', ':'))
        f.write('\n')
    print(f'wrote {OUT} ({os.path.getsize(OUT)} bytes, {len(data["layers"])} layer cases)')


if __name__ == '__main__':
    main()
