"""Evaluates the op table's cases in PyTorch (float64) and writes the reference fixtures.

Reads test/fixtures/op-cases.json (written by test/torch/export-cases.ts) and writes
test/fixtures/op-torch.json: for every case, the output of the row's PyTorch expression and the
gradients of <output, cotangent> with respect to each float input (J^T u). Float inputs become
float64 tensors, index inputs int64 (tapegrad's int32 indices) and mask inputs bool. An expression
that returns several tensors (split) is checked as the concatenation of their flattened values,
as the op table does. Run with `pnpm fixtures`.

Regeneration is deterministic and touches only the rows that changed: PyTorch runs on one thread
(so a BLAS never splits a sum differently between runs), every entry carries a hash of its case,
and an entry whose case hash is unchanged is copied from the existing file as it is.
"""
import hashlib
import json
import os
import sys

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, '..', 'fixtures')
DTYPES = {'float': torch.float64, 'index': torch.int64, 'mask': torch.bool}


def as_tensor(data, shape, dtype):
    return torch.tensor(data, dtype=dtype).reshape(shape)


def as_json(t):
    return {'shape': list(t.shape), 'data': t.detach().reshape(-1).tolist()}


def single(out):
    if isinstance(out, (tuple, list)):
        return torch.cat([o.reshape(-1) for o in out])
    return out


def run_case(case):
    fn = eval(case['torch'], {'torch': torch, 'F': F})
    inputs = []
    for spec in case['inputs']:
        t = as_tensor(spec['data'], spec['shape'], DTYPES[spec['kind']])
        if spec['kind'] == 'float':
            t.requires_grad_(True)
        inputs.append(t)
    aux = [as_tensor(a['data'], a['shape'], torch.float64) for a in case['aux']]
    out = single(fn(*inputs, *aux))
    if out.dtype != torch.float64:
        raise TypeError(f"{case['id']}: expected a float64 output, got {out.dtype}")
    u = as_tensor(case['cotangent']['data'], case['cotangent']['shape'], torch.float64)
    if list(out.shape) != list(u.shape):
        raise ValueError(f"{case['id']}: torch output shape {list(out.shape)} != tapegrad's {list(u.shape)}")
    floats = [t for t in inputs if t.requires_grad]
    grads = torch.autograd.grad(out, floats, u, allow_unused=True) if out.requires_grad else [None] * len(floats)
    it = iter(grads)
    result = []
    for spec, t in zip(case['inputs'], inputs):
        if spec['kind'] != 'float':
            result.append(None)
            continue
        g = next(it)
        result.append(as_json(g if g is not None else torch.zeros_like(t)))
    return {'id': case['id'], 'value': as_json(out), 'grads': result}


def case_hash(case):
    return hashlib.sha256(json.dumps(case, sort_keys=True, separators=(',', ':')).encode()).hexdigest()[:16]


def previous_entries(path):
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        return {e['id']: e for e in json.load(f)['cases'] if 'hash' in e}


def main():
    torch.set_num_threads(1)
    with open(os.path.join(FIXTURES, 'op-cases.json')) as f:
        cases = json.load(f)['cases']
    path = os.path.join(FIXTURES, 'op-torch.json')
    old = previous_entries(path)
    results = []
    kept = 0
    for c in cases:
        h = case_hash(c)
        if c['id'] in old and old[c['id']]['hash'] == h:
            results.append(old[c['id']])
            kept += 1
            continue
        results.append({**run_case(c), 'hash': h})
    header = json.dumps({'version': 1, 'torch': torch.__version__})[:-1]
    with open(path, 'w') as f:
        f.write(header + ',"cases":[\n' + ',\n'.join(json.dumps(r, separators=(',', ':')) for r in results) + '\n]}\n')
    print(f'wrote {len(results)} cases to {os.path.normpath(path)} ({len(results) - kept} computed, {kept} unchanged; torch {torch.__version__})', file=sys.stderr)


if __name__ == '__main__':
    main()
