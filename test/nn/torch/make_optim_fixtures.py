"""Writes the PyTorch fixtures that test/nn/optim-torch.test.ts and test/nn/serialize.test.ts check tapegrad against.

Run from the repository root with a Python that has torch (CI has none, so the outputs are committed):

    python3 test/nn/torch/make_optim_fixtures.py

It writes
  test/fixtures/nn-optim.json             a 4-8-3 tanh MLP (float64 weights and data), 20 full-batch steps of
                                          each optimizer configuration, the parameters, losses, learning
                                          rates and optimizer state after them; the expected contents of
                                          torch-state.safetensors; and the outcome of reading a file that
                                          tapegrad wrote back into torch.
  test/fixtures/torch-state.safetensors   a torch state_dict written in the safetensors format by hand
                                          (the `safetensors` package is used instead when it is installed).
"""

import json
import math
import os
import struct
import subprocess
import sys
import tempfile

import torch

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
FIXTURES = os.path.join(ROOT, 'test', 'fixtures')
STEPS = 20

torch.set_default_dtype(torch.float64)
assert sys.byteorder == 'little', 'the raw-byte writer below assumes a little-endian host'


# --------------------------------------------------------------------------------------------
# Optimizers on a small MLP
# --------------------------------------------------------------------------------------------

def initial_model():
    g = torch.Generator().manual_seed(1234)
    params = {
        'w1': torch.randn(8, 4, generator=g) * 0.5,
        'b1': torch.randn(8, generator=g) * 0.1,
        'w2': torch.randn(3, 8, generator=g) * 0.5,
        'b2': torch.randn(3, generator=g) * 0.1,
    }
    x = torch.randn(16, 4, generator=g)
    y = torch.sin(x @ torch.randn(4, 3, generator=g))
    return params, x, y


def forward_loss(p, x, y):
    h = torch.tanh(x @ p['w1'].T + p['b1'])
    out = h @ p['w2'].T + p['b2']
    return ((out - y) ** 2).mean()


# Each configuration: the optimizer, its options (tapegrad's camelCase names; `torch_kwargs` maps
# them), optional parameter groups (by parameter name) and an optional schedule.
CONFIGS = [
    {'name': 'sgd_plain', 'optimizer': 'SGD', 'options': {'lr': 0.1}},
    {'name': 'sgd_momentum', 'optimizer': 'SGD', 'options': {'lr': 0.05, 'momentum': 0.9, 'dampening': 0.1}},
    {'name': 'sgd_nesterov', 'optimizer': 'SGD', 'options': {'lr': 0.05, 'momentum': 0.9, 'nesterov': True}},
    {'name': 'sgd_weight_decay_steplr', 'optimizer': 'SGD', 'options': {'lr': 0.2, 'momentum': 0.5, 'weightDecay': 0.01},
     'schedule': {'type': 'StepLR', 'options': {'stepSize': 5, 'gamma': 0.5}}},
    {'name': 'rmsprop', 'optimizer': 'RMSprop', 'options': {'lr': 0.01}},
    {'name': 'rmsprop_centered_momentum', 'optimizer': 'RMSprop',
     'options': {'lr': 0.005, 'alpha': 0.9, 'eps': 1e-6, 'momentum': 0.8, 'centered': True, 'weightDecay': 0.001}},
    {'name': 'adam_cosine', 'optimizer': 'Adam', 'options': {'lr': 0.01},
     'schedule': {'type': 'CosineAnnealingLR', 'options': {'tMax': 8, 'etaMin': 0.001}}},
    {'name': 'adam_amsgrad_weight_decay', 'optimizer': 'Adam',
     'options': {'lr': 0.02, 'betas': [0.8, 0.99], 'amsgrad': True, 'weightDecay': 0.05}},
    {'name': 'adamw_exponential', 'optimizer': 'AdamW', 'options': {'lr': 0.01, 'weightDecay': 0.1},
     'schedule': {'type': 'ExponentialLR', 'options': {'gamma': 0.9}}},
    {'name': 'adamw_defaults', 'optimizer': 'AdamW', 'options': {}},
    {'name': 'adam_groups', 'optimizer': 'Adam', 'options': {'lr': 0.01, 'weightDecay': 0.01},
     'groups': [{'params': ['w1', 'w2']}, {'params': ['b1', 'b2'], 'lr': 0.003, 'weightDecay': 0}]},
    {'name': 'adagrad', 'optimizer': 'Adagrad', 'options': {'lr': 0.1}},
    {'name': 'adagrad_decay_accumulator', 'optimizer': 'Adagrad',
     'options': {'lr': 0.2, 'lrDecay': 0.05, 'weightDecay': 0.01, 'initialAccumulatorValue': 0.1, 'eps': 1e-6}},
    # torch 1.13's default (single-tensor) NAdam multiplies the next momentum product by mu once too
    # often (fixed in torch 2); its foreach path has the published update that tapegrad implements.
    {'name': 'nadam', 'optimizer': 'NAdam', 'options': {}, 'torchOptions': {'foreach': True}},
    {'name': 'nadam_weight_decay', 'optimizer': 'NAdam', 'options': {'lr': 0.01, 'betas': [0.8, 0.99], 'weightDecay': 0.05, 'momentumDecay': 0.01},
     'torchOptions': {'foreach': True}},
    {'name': 'radam', 'optimizer': 'RAdam', 'options': {'lr': 0.01}},
    {'name': 'radam_weight_decay', 'optimizer': 'RAdam', 'options': {'lr': 0.02, 'betas': [0.9, 0.9], 'weightDecay': 0.1}},
    {'name': 'lbfgs', 'optimizer': 'LBFGS', 'options': {'lr': 0.5, 'maxIter': 4, 'historySize': 3}},
    {'name': 'lbfgs_strong_wolfe', 'optimizer': 'LBFGS', 'options': {'maxIter': 5, 'lineSearchFn': 'strong_wolfe'}},
]

TORCH_NAMES = {'tMax': 'T_max'}


def snake(k):
    return TORCH_NAMES.get(k) or ''.join('_' + c.lower() if c.isupper() else c for c in k)


def torch_kwargs(opts):
    return {snake(k): (tuple(v) if isinstance(v, list) else v) for k, v in opts.items()}


def state_entry(k, v):
    """One optimizer state entry as JSON (PyTorch's own names), or None for LBFGS's history lists."""
    if v is None or isinstance(v, list):
        return None
    if torch.is_tensor(v) and v.dim() == 0:
        v = v.item()
    if k in ('step', 'func_evals', 'n_iter'):
        return int(v)
    return v.tolist() if torch.is_tensor(v) else v


def run_config(cfg, init, x, y):
    p = {k: v.clone().requires_grad_(True) for k, v in init.items()}
    order = ['w1', 'b1', 'w2', 'b2']
    if 'groups' in cfg:
        params = [{'params': [p[n] for n in g['params']],
                   **torch_kwargs({k: v for k, v in g.items() if k != 'params'})} for g in cfg['groups']]
    else:
        params = [p[n] for n in order]
    opt = getattr(torch.optim, cfg['optimizer'])(params, **torch_kwargs(cfg['options']), **cfg.get('torchOptions', {}))
    sched = None
    if 'schedule' in cfg:
        s = cfg['schedule']
        sched = getattr(torch.optim.lr_scheduler, s['type'])(opt, **torch_kwargs(s['options']))
    losses, lrs = [], []

    def closure():
        opt.zero_grad()
        loss = forward_loss(p, x, y)
        loss.backward()
        return loss

    for _ in range(STEPS):
        lrs.append([g['lr'] for g in opt.param_groups])
        if cfg['optimizer'] == 'LBFGS':
            # The loss LBFGS.step returns: the closure's first evaluation in that step.
            losses.append(opt.step(closure).item())
        else:
            loss = closure()
            opt.step()
            losses.append(loss.item())
        if sched is not None:
            sched.step()
    # State by parameter name, under torch's names (torch keeps None for an unused buffer).
    state = {}
    for n in order:
        entry = {}
        for k, v in opt.state[p[n]].items():
            e = state_entry(k, v)
            if e is not None:
                entry[k] = e
        state[n] = entry
    return {
        **cfg,
        'final': {n: p[n].detach().tolist() for n in order},
        'losses': losses,
        'lrs': lrs,
        'state': state,
    }


# --------------------------------------------------------------------------------------------
# safetensors written by hand from torch's raw bytes
# --------------------------------------------------------------------------------------------

CODES = {torch.float32: 'F32', torch.float64: 'F64', torch.int32: 'I32', torch.bool: 'BOOL', torch.float16: 'F16', torch.bfloat16: 'BF16',
         torch.int64: 'I64', torch.int16: 'I16', torch.int8: 'I8', torch.uint8: 'U8'}
FROM_CODE = {v: k for k, v in CODES.items()}


class Small(torch.nn.Module):
    def __init__(self):
        super().__init__()
        g = torch.Generator().manual_seed(7)
        self.fc = torch.nn.Linear(3, 2).to(torch.float32)
        with torch.no_grad():
            self.fc.weight.copy_(torch.randn(2, 3, generator=g).float())
            self.fc.bias.copy_(torch.randn(2, generator=g).float())
        self.register_buffer('scale', torch.tensor(2.5, dtype=torch.float64))
        self.register_buffer('running', torch.randn(2, 2, generator=g))
        self.register_buffer('counts', torch.tensor([3, -1, 2147483647, -2147483648], dtype=torch.int32))
        self.register_buffer('steps', torch.tensor(42, dtype=torch.int32))
        self.register_buffer('mask', torch.tensor([[True, False, True], [False, False, True]]))
        self.register_buffer('flag', torch.tensor(True))
        self.register_buffer('special', torch.tensor([math.nan, math.inf, -math.inf, -0.0, 1e-40, 3.4e38], dtype=torch.float32))
        self.register_buffer('empty', torch.zeros(0, 3, dtype=torch.float32))

    def forward(self, x):
        return self.fc(x) * self.scale.float()


def raw_bytes(t):
    flat = t.detach().contiguous().reshape(-1)
    return bytes(flat.view(torch.uint8).tolist()) if flat.numel() > 0 else b''


def write_safetensors(tensors, path, metadata):
    """The published layout: u64 little-endian header length, JSON header padded with spaces to a
    multiple of 8, then every tensor's raw little-endian bytes. Written in the state_dict's own
    order (not sorted by alignment), so an F64 tensor may start at an unaligned offset."""
    header, blobs, at = {'__metadata__': metadata}, [], 0
    for name, t in tensors.items():
        b = raw_bytes(t)
        header[name] = {'dtype': CODES[t.dtype], 'shape': list(t.shape), 'data_offsets': [at, at + len(b)]}
        blobs.append(b)
        at += len(b)
    text = json.dumps(header, separators=(',', ':')).encode('utf-8')
    text += b' ' * (-len(text) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def read_safetensors(path):
    """An independent reader: checks the layout and returns (tensors, metadata, header length)."""
    with open(path, 'rb') as f:
        data = f.read()
    (n,) = struct.unpack('<Q', data[:8])
    header = json.loads(data[8:8 + n].decode('utf-8'))
    body = data[8 + n:]
    metadata = header.pop('__metadata__', {})
    out, spans = {}, []
    for name, info in header.items():
        begin, end = info['data_offsets']
        dtype = FROM_CODE[info['dtype']]
        shape = info['shape']
        chunk = bytearray(body[begin:end])
        if len(chunk) == 0:
            t = torch.zeros(shape, dtype=dtype)
        else:
            t = torch.frombuffer(chunk, dtype=torch.uint8).view(dtype).reshape(shape).clone()
        out[name] = t
        spans.append((begin, end))
    spans.sort()
    covered = 0
    for begin, end in spans:
        assert begin == covered, f'gap or overlap at {begin}'
        covered = end
    assert covered == len(body), 'data section not fully covered'
    return out, metadata, n


def expected_values(t):
    def enc(v):
        if isinstance(v, list):
            return [enc(u) for u in v]
        if isinstance(v, bool):
            return v
        if isinstance(v, float) and not math.isfinite(v):
            return 'NaN' if math.isnan(v) else ('Infinity' if v > 0 else '-Infinity')
        return v
    return {'dtype': CODES[t.dtype], 'shape': list(t.shape), 'values': enc(t.tolist())}


def same_bits(a, b):
    return a.dtype == b.dtype and list(a.shape) == list(b.shape) and raw_bytes(a) == raw_bytes(b)


TAPEGRAD_WRITER = r"""
(async () => {
  const { loadSafetensors, saveSafetensors } = await import('%(src)s');
  const { tensor } = await import('@tapegrad/tensor');
  const [source, target] = process.argv.slice(-2);
  const sd = await loadSafetensors(source);
  sd['tapegrad_made'] = tensor(new Float64Array([0.5, -1.25, 3, 1e-300, -0, 7]), { shape: [2, 3] });
  await saveSafetensors(sd, target, { metadata: { writer: 'tapegrad', note: 'round trip of torch-state' } });
})().catch((e) => { console.error(e); process.exit(1); });
"""


def tapegrad_to_torch(module, source_path):
    """Has tapegrad load torch's file and save it again (plus one tensor of its own), then reads the
    result back into torch with the reader above and checks every tensor bit for bit."""
    with tempfile.TemporaryDirectory() as d:
        out_path = os.path.join(d, 'from-tapegrad.safetensors')
        script = TAPEGRAD_WRITER % {'src': os.path.join(ROOT, 'packages', 'nn', 'src', 'serialize.ts')}
        try:
            subprocess.run(['npx', '-y', 'tsx', '-e', script, '--', source_path, out_path], cwd=ROOT,
                           check=True, capture_output=True, text=True, timeout=300)
        except subprocess.CalledProcessError as e:
            return {'ran': False, 'ok': False, 'reason': f'tapegrad failed: {e.stderr.strip()[-2000:]}'}
        except (OSError, subprocess.SubprocessError) as e:
            return {'ran': False, 'ok': False, 'reason': f'could not run tapegrad: {e}'}
        tensors, metadata, header_len = read_safetensors(out_path)
    sd = module.state_dict()
    mismatched = [k for k, v in sd.items() if k not in tensors or not same_bits(v, tensors[k])]
    made = tensors.get('tapegrad_made')
    made_ok = made is not None and same_bits(made, torch.tensor([[0.5, -1.25, 3.0], [1e-300, -0.0, 7.0]], dtype=torch.float64))
    loaded = Small()
    for b in loaded.buffers():
        b.zero_()
    loaded.load_state_dict({k: v for k, v in tensors.items() if k != 'tapegrad_made'}, strict=True)
    x = torch.randn(5, 3, generator=torch.Generator().manual_seed(3)).float()
    outputs_equal = bool(torch.equal(loaded(x), module(x)))
    ok = not mismatched and made_ok and outputs_equal and header_len % 8 == 0 and metadata == {
        'writer': 'tapegrad', 'note': 'round trip of torch-state'}
    return {
        'ran': True,
        'ok': bool(ok),
        'tensorsChecked': sorted(tensors.keys()),
        'mismatched': mismatched,
        'tapegradMadeTensorOk': bool(made_ok),
        'headerLengthMultipleOf8': header_len % 8 == 0,
        'metadata': metadata,
        'loadStateDictStrictAndForwardEqual': outputs_equal,
    }


def main():
    init, x, y = initial_model()
    results = [run_config(cfg, init, x, y) for cfg in CONFIGS]

    module = Small()
    sd = module.state_dict()
    st_path = os.path.join(FIXTURES, 'torch-state.safetensors')
    metadata = {'format': 'pt', 'source': 'torch ' + torch.__version__}
    try:
        import safetensors.torch  # noqa: F401  (not installed here; used when present)
        safetensors.torch.save_file(dict(sd), st_path, metadata=metadata)
        writer = 'safetensors ' + safetensors.__version__
    except ImportError:
        write_safetensors(sd, st_path, metadata)
        writer = 'written by hand from torch raw bytes (no safetensors package installed)'
    # The file must read back through the independent reader identically.
    back, back_meta, _ = read_safetensors(st_path)
    assert back_meta == metadata and all(same_bits(sd[k], back[k]) for k in sd)

    fixture = {
        'generatedBy': 'test/nn/torch/make_optim_fixtures.py',
        'torch': torch.__version__,
        'model': {'layers': [4, 8, 3], 'activation': 'tanh', 'loss': 'mean squared error',
                  'forward': 'tanh(x @ w1.T + b1) @ w2.T + b2', 'dtype': 'float64'},
        'steps': STEPS,
        'init': {k: v.tolist() for k, v in init.items()},
        'x': x.tolist(),
        'y': y.tolist(),
        'configs': results,
        'torchState': {
            'file': 'test/fixtures/torch-state.safetensors',
            'writer': writer,
            'metadata': metadata,
            'tensors': {k: expected_values(v) for k, v in sd.items()},
        },
        'tapegradToTorch': tapegrad_to_torch(module, st_path),
    }
    with open(os.path.join(FIXTURES, 'nn-optim.json'), 'w') as f:
        json.dump(fixture, f, indent=1, allow_nan=False)
        f.write('\n')
    print('tapegrad -> torch:', json.dumps(fixture['tapegradToTorch']))


if __name__ == '__main__':
    main()
