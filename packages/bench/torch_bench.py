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
import os
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


KINDS = {
    "matmul": kind_matmul,
    "ewise_fma": kind_ewise_fma,
    "op_chain": kind_op_chain,
    "mlp_step": kind_mlp_step,
}

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
        "results": results,
    }))


if __name__ == "__main__":
    main()
