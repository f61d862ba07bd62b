"""Writes the PyTorch safetensors fixtures that test/nn/serialize-torch.test.ts checks tapegrad against:
half precision and narrow integer files written by torch and read by tapegrad, and files written by tapegrad
(full precision, bfloat16, float16) read back by torch.

Run from the repository root with a Python that has torch and with node/tsx available (CI has neither, so the
outputs are committed):

    python3 test/nn/torch/make_safetensors_fixtures.py

It writes
  test/fixtures/torch-dtypes.safetensors  one tensor per safetensors dtype tapegrad reads (F64, F32, F16, BF16,
                                          I64, I32, I16, I8, U8, BOOL), with edge values (subnormal halves,
                                          infinities, NaN, the int32 limits in I64)
  test/fixtures/torch-bn.safetensors      the state_dict of a Linear-BatchNorm1d-ReLU-Linear model after a few
                                          training batches (float32 weights, int64 num_batches_tracked)
  test/fixtures/nn-safetensors.json       the values torch holds for both files, an input and the model's
                                          eval-mode output, and what torch found in the files tapegrad wrote.
The files are written by hand from torch's raw bytes (make_optim_fixtures.py's writer), or by the `safetensors`
package when it is installed.
"""

import json
import math
import os
import subprocess
import sys
import tempfile

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_optim_fixtures import CODES, read_safetensors, same_bits, write_safetensors  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
FIXTURES = os.path.join(ROOT, 'test', 'fixtures')

# Float values that probe rounding to half precision: ties to even, the subnormal range and its edge,
# overflow, and values whose float64 -> float32 -> half rounding differs from a direct float64 -> half one.
TRICKY = [1 / 3, 0.1, -2.5, 65504.0, 65519.99, 65520.0, 1e5, 1e-5, 2 ** -24, 2 ** -25, 1.5 * 2 ** -25, 2 ** -26, 1e-40,
          1 + 2 ** -11, 1 + 3 * 2 ** -11, 1 + 2 ** -8, 1 + 3 * 2 ** -8, 1 + 2 ** -8 + 2 ** -40, 1 + 2 ** -11 + 2 ** -40,
          3.3895313892515355e38, 3.4e38, -0.0, math.inf, -math.inf, math.nan]


def save(tensors, path, metadata):
    try:
        import safetensors.torch  # noqa: F401  (not installed here; used when present)
        safetensors.torch.save_file(dict(tensors), path, metadata=metadata)
    except ImportError:
        write_safetensors(tensors, path, metadata)


def dtype_tensors():
    g = torch.Generator().manual_seed(5)
    return {
        'f64': torch.randn(2, 3, generator=g, dtype=torch.float64),
        'f32': torch.randn(4, generator=g).float(),
        'f16': torch.tensor([[1 / 3, -2.5, 65504.0, 2 ** -24, 6e-5], [-0.0, math.inf, -math.inf, math.nan, 1000.5]]).half(),
        'bf16': torch.tensor([1 / 3, -2.5, 3.0e38, 1e-39, -0.0, math.inf, math.nan, 7.0]).bfloat16(),
        'i64': torch.tensor([0, -1, 2 ** 31 - 1, -(2 ** 31), 123456789], dtype=torch.int64),
        'i32': torch.tensor([[7, -7]], dtype=torch.int32),
        'i16': torch.tensor([-32768, 32767, 5], dtype=torch.int16),
        'i8': torch.tensor([-128, 127, 0, -3], dtype=torch.int8),
        'u8': torch.tensor([0, 255, 128], dtype=torch.uint8),
        'bool': torch.tensor([True, False, True]),
        'scalar_i64': torch.tensor(42, dtype=torch.int64),
    }


def bn_model():
    torch.manual_seed(3)
    m = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.ReLU(), torch.nn.Linear(4, 2)).float()
    g = torch.Generator().manual_seed(9)
    for _ in range(3):  # running statistics and num_batches_tracked move
        m((torch.randn(8, 3, generator=g) * 2 + 1).float())
    m.eval()
    return m


def json_float(v):
    """A float as JSON allows it: non-finite values as the strings JavaScript's Number() reads."""
    return 'NaN' if math.isnan(v) else 'Infinity' if v == math.inf else '-Infinity' if v == -math.inf else v


def values(t):
    """Exact values as JSON (every float16/bfloat16/int value is a float64 or a safe integer)."""
    flat = t.reshape(-1)
    if t.dtype == torch.bool:
        out = [bool(v) for v in flat.tolist()]
    elif t.dtype.is_floating_point:
        out = [json_float(v) for v in flat.double().tolist()]
    else:
        out = [int(v) for v in flat.tolist()]
    return {'dtype': CODES[t.dtype], 'shape': list(t.shape), 'values': out}


TAPEGRAD_WRITER = r"""
(async () => {
  const nn = await import('%(nn)s');
  const { tensor } = await import('@tapegrad/tensor');
  const [source, dir, tricky] = process.argv.slice(-3);
  const model = new nn.Sequential(new nn.Linear(3, 4), new nn.BatchNorm1d(4), new nn.ReLU(), new nn.Linear(4, 2));
  model.loadStateDict(await nn.loadSafetensors(source));
  const sd = model.stateDict();
  await nn.saveSafetensors(sd, dir + '/full.safetensors');
  await nn.saveSafetensors(sd, dir + '/bf16.safetensors', { dtype: 'bfloat16' });
  await nn.saveSafetensors(sd, dir + '/f16.safetensors', { dtype: 'float16' });
  const v = tensor(Float64Array.from(JSON.parse(tricky), (x) => (x === 'NaN' ? NaN : x === 'Infinity' ? Infinity : x === '-Infinity' ? -Infinity : x)));
  for (const dtype of ['float16', 'bfloat16']) {
    await nn.saveSafetensors({ from64: v, from32: v.to('float32') }, dir + '/tricky-' + dtype + '.safetensors', { dtype });
  }
})().catch((e) => { console.error(e); process.exit(1); });
"""


def tapegrad_writes(model, bn_path):
    """tapegrad loads torch's BatchNorm file into its own model and writes it back in full and half precision,
    plus the tricky values in half precision; torch reads every file and compares."""
    tricky_json = json.dumps([json_float(x) for x in TRICKY])
    with tempfile.TemporaryDirectory() as d:
        script = TAPEGRAD_WRITER % {'nn': os.path.join(ROOT, 'packages', 'nn', 'src', 'index.ts')}
        try:
            subprocess.run(['npx', '-y', 'tsx', '-e', script, '--', bn_path, d, tricky_json], cwd=ROOT, check=True,
                           capture_output=True, text=True, timeout=300)
        except subprocess.CalledProcessError as e:
            return {'ran': False, 'reason': f'tapegrad failed: {e.stderr.strip()[-2000:]}'}
        files = {name: read_safetensors(os.path.join(d, f'{name}.safetensors'))[0]
                 for name in ['full', 'bf16', 'f16', 'tricky-float16', 'tricky-bfloat16']}
    sd = model.state_dict()
    full = files['full']
    loaded = bn_model()
    for p in loaded.parameters():
        torch.nn.init.zeros_(p)
    loaded.load_state_dict(full, strict=True)
    x = torch.randn(5, 3, generator=torch.Generator().manual_seed(4)).float()
    result = {
        'ran': True,
        'fullDtypes': {k: CODES[v.dtype] for k, v in full.items()},
        'fullBitIdentical': all(same_bits(sd[k], full[k]) for k in sd),
        'fullLoadStateDictStrictAndForwardEqual': bool(torch.equal(loaded(x), model(x))),
    }
    for name, dtype in [('bf16', torch.bfloat16), ('f16', torch.float16)]:
        f = files[name]
        result[f'{name}Dtypes'] = {k: CODES[v.dtype] for k, v in f.items()}
        # Every float tensor holds exactly torch's own conversion of the float32 values.
        result[f'{name}MatchesTorchConversion'] = all(
            same_bits(v.to(dtype) if v.dtype.is_floating_point else v, f[k]) for k, v in sd.items())
        half_model = bn_model()
        half_model.load_state_dict({k: v.float() if v.dtype.is_floating_point else v for k, v in f.items()}, strict=True)
        result[f'{name}ForwardMaxAbsError'] = (half_model(x) - model(x)).abs().max().item()
    for name, dtype in [('float16', torch.float16), ('bfloat16', torch.bfloat16)]:
        f = files[f'tricky-{name}']
        want64 = torch.tensor(TRICKY, dtype=torch.float64).to(dtype)
        want32 = torch.tensor(TRICKY, dtype=torch.float64).float().to(dtype)
        # Bit for bit, except that any NaN matches any NaN (torch itself writes 0x7fc0 or 0xffff for a bfloat16 NaN
        # depending on the conversion path).
        def mismatches(got, want):
            return [TRICKY[i] if math.isfinite(TRICKY[i]) else str(TRICKY[i]) for i in range(len(TRICKY))
                    if not (same_bits(got[i:i + 1], want[i:i + 1]) or (got[i].isnan() and want[i].isnan()))]
        result[f'tricky{name.capitalize()}From64Mismatches'] = mismatches(f['from64'], want64)
        result[f'tricky{name.capitalize()}From32Mismatches'] = mismatches(f['from32'], want32)
    return result


def main():
    tensors = dtype_tensors()
    dtypes_path = os.path.join(FIXTURES, 'torch-dtypes.safetensors')
    save(tensors, dtypes_path, {'source': 'torch ' + torch.__version__})
    back, _, _ = read_safetensors(dtypes_path)
    assert all(same_bits(tensors[k], back[k]) for k in tensors)

    model = bn_model()
    bn_path = os.path.join(FIXTURES, 'torch-bn.safetensors')
    save(model.state_dict(), bn_path, {'format': 'pt'})
    x = torch.randn(6, 3, generator=torch.Generator().manual_seed(12)).float()
    with torch.no_grad():
        y = model(x)
    fixture = {
        'generatedBy': 'test/nn/torch/make_safetensors_fixtures.py',
        'torch': torch.__version__,
        'dtypes': {'file': 'test/fixtures/torch-dtypes.safetensors', 'tensors': {k: values(v) for k, v in tensors.items()}},
        'bn': {
            'file': 'test/fixtures/torch-bn.safetensors',
            'model': 'Sequential(Linear(3, 4), BatchNorm1d(4), ReLU(), Linear(4, 2)), float32, eval mode',
            'stateDict': {k: values(v) for k, v in model.state_dict().items()},
            'x': x.tolist(),
            'y': y.tolist(),
        },
        'trickyFloat16': values(torch.tensor(TRICKY, dtype=torch.float64).to(torch.float16)),
        'trickyBfloat16': values(torch.tensor(TRICKY, dtype=torch.float64).to(torch.bfloat16)),
        'tricky': [json_float(v) for v in TRICKY],
        'tapegradWrites': tapegrad_writes(model, bn_path),
    }
    with open(os.path.join(FIXTURES, 'nn-safetensors.json'), 'w') as f:
        json.dump(fixture, f, indent=1, allow_nan=False)
        f.write('\n')
    print('tapegrad -> torch:', json.dumps(fixture['tapegradWrites']))


if __name__ == '__main__':
    main()
