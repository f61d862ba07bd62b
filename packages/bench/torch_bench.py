#!/usr/bin/env python3
"""PyTorch side of `pnpm bench` (packages/bench/src/main.ts runs this file).

Reads a JSON request on stdin:
    {"timing": {...TimingOptions...}, "cases": [{"id", "kind", "params", "timing"}]}
and prints one JSON object on stdout:
    {"available": true, "version", "threads", "results": {id: {"secondsPerCall", ...} | {"error"}}}
or, when torch cannot be imported:
    {"available": false, "reason": "..."}

Progress goes to stderr. The timing procedure mirrors src/harness.ts, and the
input data mirrors src/data.ts, so the numbers are comparable with the JS
columns. To add a benchmark case, add a function to KINDS below (same name as
the case's `torch.kind` in src/cases.ts).
"""
import json
import math
import os
import re
import sys
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

try:
    import numpy as np
    import torch
except Exception as exc:  # ImportError, or a broken install
    reason = f"`{sys.executable} -c 'import torch'` fails: {type(exc).__name__}: {exc}"
    print(json.dumps({"available": False, "reason": reason}))
    sys.exit(0)

NUM_THREADS = 2
torch.set_num_threads(NUM_THREADS)


def fill(count, seed, lo=-1.0, hi=1.0):
    """Same float32 numbers as fill() in src/data.ts (lowbias32 hash of the index)."""
    m = np.uint64(0xFFFFFFFF)
    i = np.arange(1, count + 1, dtype=np.uint64)
    s = np.uint64(((seed + 1) * 0x85EBCA77) & 0xFFFFFFFF)
    h = ((i * np.uint64(0x9E3779B1)) & m) ^ s
    h ^= h >> np.uint64(16)
    h = (h * np.uint64(0x7FEB352D)) & m
    h ^= h >> np.uint64(15)
    h = (h * np.uint64(0x846CA68B)) & m
    h ^= h >> np.uint64(16)
    return (lo + (hi - lo) * (h.astype(np.float64) / 4294967296.0)).astype(np.float32)


def tensor_from(count, seed, shape, lo=-1.0, hi=1.0, requires_grad=False):
    t = torch.from_numpy(fill(count, seed, lo, hi)).reshape(shape).clone()
    return t.requires_grad_(requires_grad)


def mean_abs(t):
    return float(t.detach().abs().to(torch.float64).mean())


def summary(t):
    """Same numbers as summarize() in src/cases.ts."""
    flat = t.detach().reshape(-1)
    return [mean_abs(flat), float(flat[0]), float(flat[-1])]


# --- workloads: each returns (run, check) ------------------------------------


def kind_matmul(p):
    n = p["n"]
    a = tensor_from(n * n, p["seedA"], (n, n))
    b = tensor_from(n * n, p["seedB"], (n, n))

    def run():
        torch.matmul(a, b)

    return run, lambda: summary(torch.matmul(a, b))


def kind_ewise_fma(p):
    size = p["size"]
    a = tensor_from(size, p["seedA"], (size,))
    b = tensor_from(size, p["seedB"], (size,))
    c = tensor_from(size, p["seedC"], (size,))

    def run():
        a * b + c

    return run, lambda: summary(a * b + c)


def kind_op_chain(p):
    ops, size = p["ops"], p["size"]
    x0 = tensor_from(size, p["seedX"], (size,))
    w = tensor_from(size, p["seedW"], (size,), p["wLo"], p["wHi"], requires_grad=True)
    b = tensor_from(size, p["seedB"], (size,), p["bLo"], p["bHi"], requires_grad=True)

    def step():
        x = x0
        for i in range(ops):
            k = i % 3
            if k == 0:
                x = x * w
            elif k == 1:
                x = x + b
            else:
                x = torch.tanh(x)
        loss = x.sum()
        loss.backward()
        return loss

    def run():
        step()
        w.grad = None
        b.grad = None

    def check():
        w.grad = None
        b.grad = None
        loss = step()
        out = [float(loss), mean_abs(w.grad), mean_abs(b.grad)]
        w.grad = None
        b.grad = None
        return out

    return run, check


def kind_mlp_step(p):
    sizes, batch, lr, scale = p["sizes"], p["batch"], p["lr"], p["scale"]
    n_layers = len(sizes) - 1
    mods = []
    for i in range(n_layers):
        mods.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
        if i < n_layers - 1:
            mods.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*mods)
    initial = {}
    for i in range(n_layers):
        fan_in, out = sizes[i], sizes[i + 1]
        initial[f"{2 * i}.weight"] = tensor_from(out * fan_in, p["seedW"] + 2 * i, (out, fan_in), -scale, scale)
        initial[f"{2 * i}.bias"] = tensor_from(out, p["seedW"] + 2 * i + 1, (out,), -scale, scale)
    x = tensor_from(batch * sizes[0], p["seedX"], (batch, sizes[0]))
    y = torch.from_numpy(np.floor(fill(batch, p["seedY"], 0.0, float(sizes[-1]))).astype(np.int64))
    opt = torch.optim.SGD(model.parameters(), lr=lr)

    def step():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    def run():
        step()

    def check():
        model.load_state_dict(initial)
        before = float(step())
        with torch.no_grad():
            after = float(torch.nn.functional.cross_entropy(model(x), y))
        return [before, after]

    return run, check


def load_filled(model, seed, scale):
    """Same weights as loadFilled() in src/training-cases.ts: parameter i from fill(seed + i)."""
    with torch.no_grad():
        for i, (_, prm) in enumerate(model.named_parameters()):
            prm.copy_(torch.from_numpy(fill(prm.numel(), seed + i, -scale, scale)).reshape(prm.shape))
    return {k: v.clone() for k, v in model.state_dict().items()}


class Block(torch.nn.Module):
    """The pre-norm transformer block of transformerStepCase() in src/training-cases.ts."""

    def __init__(self, d, heads, ff):
        super().__init__()
        self.heads = heads
        self.ln1 = torch.nn.LayerNorm(d)
        self.q = torch.nn.Linear(d, d)
        self.k = torch.nn.Linear(d, d)
        self.v = torch.nn.Linear(d, d)
        self.o = torch.nn.Linear(d, d)
        self.ln2 = torch.nn.LayerNorm(d)
        self.fc1 = torch.nn.Linear(d, ff)
        self.fc2 = torch.nn.Linear(ff, d)

    def forward(self, x):
        b, t, d = x.shape
        dh = d // self.heads
        h = self.ln1(x)

        def split(u):
            return u.reshape(b, t, self.heads, dh).permute(0, 2, 1, 3)

        q, k, v = split(self.q(h)), split(self.k(h)), split(self.v(h))
        att = torch.softmax(torch.matmul(q, k.transpose(-1, -2)) * (1 / math.sqrt(dh)), -1)
        mixed = torch.matmul(att, v).permute(0, 2, 1, 3).reshape(b, t, d)
        x1 = x + self.o(mixed)
        return x1 + self.fc2(torch.nn.functional.gelu(self.fc1(self.ln2(x1))))


def kind_transformer_step(p):
    b, t, d = p["batch"], p["seq"], p["d"]
    model = Block(d, p["heads"], p["ff"])
    initial = load_filled(model, p["seedW"], p["scale"])
    x = tensor_from(b * t * d, p["seedX"], (b, t, d))
    target = tensor_from(b * t * d, p["seedT"], (b, t, d))
    opt = torch.optim.SGD(model.parameters(), lr=p["lr"])
    mse = torch.nn.functional.mse_loss

    def step():
        opt.zero_grad()
        loss = mse(model(x), target)
        loss.backward()
        opt.step()
        return loss

    def check():
        model.load_state_dict(initial)
        before = float(step())
        with torch.no_grad():
            return [before, float(mse(model(x), target))]

    return step, check


def demo_cnn():
    """The CNN of packages/examples/src/mnist-cnn.ts (demoCnn() in src/training-cases.ts)."""
    nn = torch.nn
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * 7 * 7, 128), nn.ReLU(),
        nn.Linear(128, 10),
    )


def labels_from(count, seed):
    return torch.from_numpy(np.floor(fill(count, seed, 0.0, 10.0)).astype(np.int64))


def kind_cnn_step(p):
    n = p["batch"]
    model = demo_cnn()
    initial = load_filled(model, p["seedW"], p["scale"])
    x = tensor_from(n * 784, p["seedX"], (n, 1, 28, 28), 0.0, 1.0)
    y = labels_from(n, p["seedY"])
    state = {"opt": torch.optim.Adam(model.parameters(), lr=p["lr"])}
    ce = torch.nn.functional.cross_entropy

    def step():
        loss = ce(model(x), y)
        state["opt"].zero_grad()
        loss.backward()
        state["opt"].step()
        return loss

    def check():
        model.load_state_dict(initial)
        state["opt"] = torch.optim.Adam(model.parameters(), lr=p["lr"])
        before = float(step())
        with torch.no_grad():
            return [before, float(ce(model(x), y))]

    return step, check


def kind_cnn_epoch(p):
    train, test, batch = p["train"], p["test"], p["batch"]
    model = demo_cnn()
    load_filled(model, p["seedW"], p["scale"])
    x = tensor_from(train * 784, p["seedX"], (train, 1, 28, 28), 0.0, 1.0)
    y = labels_from(train, p["seedY"])
    xt = tensor_from(test * 784, p["seedX"] + 2, (test, 1, 28, 28), 0.0, 1.0)
    yt = labels_from(test, p["seedY"] + 2)
    opt = torch.optim.Adam(model.parameters(), lr=p["lr"])
    gen = torch.Generator().manual_seed(0)
    ce = torch.nn.functional.cross_entropy

    def epoch():
        model.train()
        order = torch.randperm(train, generator=gen)
        for i in range(0, train, batch):
            idx = order[i:i + batch]
            loss = ce(model(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            loss.item()
        model.eval()
        with torch.no_grad():
            for i in range(0, test, p["evalBatch"]):
                logits = model(xt[i:i + p["evalBatch"]])
                ce(logits, yt[i:i + p["evalBatch"]], reduction="sum").item()
                (logits.argmax(1) == yt[i:i + p["evalBatch"]]).float().sum().item()

    return epoch, None


def mlp_params(p, sizes):
    """The MLP of perSampleCase()/hvpCase() in src/research-cases.ts: [W0, b0, W1, b1, ...], W of shape [in, out]."""
    shapes = []
    for i in range(len(sizes) - 1):
        shapes += [(sizes[i], sizes[i + 1]), (sizes[i + 1],)]
    params = [tensor_from(int(np.prod(s)), p["seedW"] + k, s, -p["scale"], p["scale"]) for k, s in enumerate(shapes)]
    return params, shapes


def mlp_forward(qs, x):
    h = x
    for i in range(0, len(qs), 2):
        h = h @ qs[i] + qs[i + 1]
        if i + 2 < len(qs):
            h = torch.tanh(h)
    return h


def kind_per_sample(p):
    sizes, batch = p["sizes"], p["batch"]
    ps, _ = mlp_params(p, sizes)
    x = tensor_from(batch * sizes[0], p["seedX"], (batch, sizes[0]))
    y = tensor_from(batch * sizes[-1], p["seedY"], (batch, sizes[-1]))

    def loss(qs, xi, yi):
        return ((mlp_forward(qs, xi) - yi) ** 2).sum()

    if p["mode"] == "vmap":
        try:
            from torch.func import grad, vmap
        except ImportError:
            from functorch import grad, vmap
        per_sample = vmap(grad(loss), in_dims=(None, 0, 0))

        def compute():
            return list(per_sample(tuple(ps), x, y))
    else:
        def compute():
            rows = []
            for i in range(batch):
                qs = [q.detach().requires_grad_(True) for q in ps]
                rows.append(torch.autograd.grad(loss(qs, x[i], y[i]), qs))
            return [torch.stack([r[k] for r in rows]) for k in range(len(ps))]

    return (lambda: compute()), (lambda: [mean_abs(t) for t in compute()])


def kind_hvp(p):
    sizes, batch = p["sizes"], p["batch"]
    ps, shapes = mlp_params(p, sizes)
    vs = [tensor_from(int(np.prod(s)), p["seedV"] + k, s) for k, s in enumerate(shapes)]
    x = tensor_from(batch * sizes[0], p["seedX"], (batch, sizes[0]))
    y = tensor_from(batch * sizes[-1], p["seedY"], (batch, sizes[-1]))

    def loss(*qs):
        return ((mlp_forward(qs, x) - y) ** 2).mean()

    def compute():
        return torch.autograd.functional.hvp(loss, tuple(ps), tuple(vs))[1]

    return (lambda: compute()), (lambda: [mean_abs(t) for t in compute()])


def kind_encoder_layer_step(p):
    """encoderLayerCase() in src/research-cases.ts: parameters filled in sorted-name order."""
    b, t, d = p["batch"], p["seq"], p["d"]
    layer = torch.nn.TransformerEncoderLayer(d, p["heads"], p["ff"], dropout=0.0, batch_first=True)
    with torch.no_grad():
        named = dict(layer.named_parameters())
        for i, name in enumerate(sorted(named)):
            prm = named[name]
            prm.copy_(torch.from_numpy(fill(prm.numel(), p["seedW"] + i, -p["scale"], p["scale"])).reshape(prm.shape))
    initial = {k: v.clone() for k, v in layer.state_dict().items()}
    x = tensor_from(b * t * d, p["seedX"], (b, t, d))
    target = tensor_from(b * t * d, p["seedT"], (b, t, d))
    opt = torch.optim.AdamW(layer.parameters(), lr=p["lr"])
    mse = torch.nn.functional.mse_loss

    def step():
        opt.zero_grad()
        loss = mse(layer(x), target)
        loss.backward()
        opt.step()
        return loss

    def check():
        layer.load_state_dict(initial)
        return [float(step())]

    return step, check


KINDS = {
    "matmul": kind_matmul,
    "ewise_fma": kind_ewise_fma,
    "op_chain": kind_op_chain,
    "mlp_step": kind_mlp_step,
    "transformer_step": kind_transformer_step,
    "cnn_step": kind_cnn_step,
    "cnn_epoch": kind_cnn_epoch,
    "per_sample": kind_per_sample,
    "hvp": kind_hvp,
    "encoder_layer_step": kind_encoder_layer_step,
}


def blas_in_use():
    """Which BLAS torch's GEMMs call: the library libblas.so.3 resolves to in this process.

    Debian's torch links the generic libblas.so.3, which the alternatives system points at
    OpenBLAS (libopenblas0-pthread) or at the slow reference implementation (libblas3).
    """
    torch.matmul(torch.ones(64, 64), torch.ones(64, 64))
    paths = set()
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                parts = line.split()
                if len(parts) >= 6 and re.match(r"lib(open)?blas|libmkl|libblis|libcblas|libsatlas|libtatlas", os.path.basename(parts[5])):
                    paths.add(os.path.realpath(parts[5]))
    except OSError:
        pass
    generic = sorted(q for q in paths if os.path.basename(q).startswith("libblas"))
    chosen = generic[0] if generic else (sorted(paths)[0] if paths else None)
    if chosen is None:
        return {"name": "unknown (no BLAS library mapped)", "path": None, "reference": False}
    low = chosen.lower()
    if "openblas" in low:
        name = "OpenBLAS"
    elif "mkl" in low:
        name = "MKL"
    elif "blis" in low:
        name = "BLIS"
    elif "atlas" in low:
        name = "ATLAS"
    elif "/blas/" in low or os.path.basename(low).startswith("libblas"):
        name = "reference BLAS"
    else:
        name = os.path.basename(chosen)
    return {"name": name, "path": chosen, "reference": name == "reference BLAS"}

# --- timing (mirrors src/harness.ts) ------------------------------------------

DEFAULT_TIMING = {
    "warmupSeconds": 1.0,
    "minWarmupCalls": 1,
    "maxWarmupCalls": 1000000,
    "sampleSeconds": 0.05,
    "budgetSeconds": 1.5,
    "minSamples": 3,
    "maxSamples": 15,
}


def measure(run, opts):
    o = dict(DEFAULT_TIMING)
    o.update(opts or {})
    now = time.perf_counter

    calls, elapsed = 0, 0.0
    w0 = now()
    while calls < o["maxWarmupCalls"] and (calls < o["minWarmupCalls"] or elapsed < o["warmupSeconds"]):
        run()
        calls += 1
        elapsed = now() - w0
    estimate = max(elapsed / calls, 1e-9)
    inner = max(1, round(o["sampleSeconds"] / estimate))

    per_call = []
    s0 = now()
    while len(per_call) < o["maxSamples"] and (len(per_call) < o["minSamples"] or now() - s0 < o["budgetSeconds"]):
        t0 = now()
        for _ in range(inner):
            run()
        per_call.append((now() - t0) / inner)

    s = sorted(per_call)
    k = len(s) // 2
    med = s[k] if len(s) % 2 == 1 else (s[k - 1] + s[k]) / 2
    return {
        "secondsPerCall": med,
        "samples": len(per_call),
        "inner": inner,
        "spread": (max(per_call) - min(per_call)) / med,
    }


def main():
    request = json.load(sys.stdin)
    timing = request.get("timing", {})
    results = {}
    blas = blas_in_use()
    if blas["reference"]:
        # A torch column on the reference BLAS would make every native GEMM look fast: refuse it.
        print(json.dumps({
            "available": False,
            "reason": f"torch runs on the reference BLAS ({blas['path']}); install libopenblas0-pthread "
                      "so that its GEMMs run on OpenBLAS, then run the bench again",
        }))
        return
    for case in request["cases"]:
        cid, kind = case["id"], case["kind"]
        fn = KINDS.get(kind)
        if fn is None:
            results[cid] = {"error": f"torch_bench.py has no workload kind '{kind}'"}
            continue
        try:
            run, check = fn(case.get("params", {}))
            opts = dict(timing)
            opts.update(case.get("timing") or {})
            r = measure(run, opts)
            if check is not None:
                r["check"] = check()
            results[cid] = r
            print(f"  torch      {cid:<24} {r['secondsPerCall']:.3e} s/call", file=sys.stderr, flush=True)
        except Exception as exc:  # report and go on with the other cases
            results[cid] = {"error": f"{type(exc).__name__}: {exc}"}
            print(f"  torch      {cid:<24} error: {exc}", file=sys.stderr, flush=True)

    print(json.dumps({
        "available": True,
        "version": torch.__version__,
        "threads": torch.get_num_threads(),
        "interopThreads": torch.get_num_interop_threads(),
        "python": sys.version.split()[0],
        "ompWaitPolicy": os.environ.get("OMP_WAIT_POLICY"),
        "blas": f"{blas['name']} ({blas['path']})",
        "results": results,
    }))


if __name__ == "__main__":
    main()
