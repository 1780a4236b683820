"""`smoke --compile`'s workloads: torch.compile really compiling, on one device, checked against eager.

Patient code (stdlib + torch, loaded by path by smoke_child.py). `prepare()` runs BEFORE `import torch`:
fresh Inductor and Triton cache folders (a cache hit must not hide a broken compiler, and the user's
cache stays clean) and Dynamo switched back on if TORCHDYNAMO_DISABLE / TORCH_COMPILE_DISABLE were set
(reported). `run()` then compiles a function and one training step of the smoke's two-layer net
(forward and backward: AOTAutograd), compares both with eager, and proves that compiling happened: a new
artifact in the cache folders and a Dynamo graph count of at least 1. The first call's time (the
compile) is kept apart from the steady-state time of the compiled function.
"""

import os
import shutil
import tempfile
import time
import traceback

SWITCHES = ("TORCHDYNAMO_DISABLE", "TORCH_COMPILE_DISABLE")
# Files that show a compile produced code: Inductor's C++ (.so/.pyd, .cpp), Triton's GPU binaries.
ARTIFACTS = (".so", ".pyd", ".dll", ".cpp", ".cubin", ".hsaco", ".ptx", ".spv", ".json")


def prepare(root=None):
    """Fresh cache folders (under `root`, which the doctor made, else a new temporary folder) and Dynamo on;
    returns what it did (for the answer and for cleanup)."""
    root = root or tempfile.mkdtemp(prefix="torchdoctor-compile-")
    inductor = os.path.join(root, "inductor")
    triton = os.path.join(root, "triton")
    os.makedirs(inductor)
    os.makedirs(triton)
    os.environ["TORCHINDUCTOR_CACHE_DIR"] = inductor
    os.environ["TRITON_CACHE_DIR"] = triton
    unset = []
    for name in SWITCHES:
        if os.environ.get(name, "").strip() not in ("", "0"):
            unset.append("%s=%s" % (name, os.environ.pop(name)))
    return {"root": root, "inductor": inductor, "triton": triton, "unset": unset}


def cleanup(prep):
    shutil.rmtree(prep["root"], ignore_errors=True)


def artifacts(prep):
    found = 0
    for folder in (prep["inductor"], prep["triton"]):
        for _dirpath, _dirs, files in os.walk(folder):
            found += sum(1 for f in files if f.endswith(ARTIFACTS))
    return found


def _sync(torch, device):
    kind = device.split(":")[0]
    if kind == "cuda":
        torch.cuda.synchronize()
    elif kind == "xpu":
        torch.xpu.synchronize()
    elif kind == "mps":
        torch.mps.synchronize()


def _graphs(torch):
    try:
        from torch._dynamo.utils import counters

        return int(counters["stats"]["unique_graphs"])
    except Exception:  # noqa: BLE001 - a torch without the counter: the artifacts still prove it
        return None


def failure(exc):
    text = "%s: %s" % (type(exc).__name__, exc)
    return {"error": text[:4000], "traceback": traceback.format_exc(limit=8)[-4000:]}


def run(torch, device, seed, prep, progress, W):
    """Both workloads; `progress(dict)` re-answers after each phase, so a deadline shows where it stopped."""
    import torch._dynamo  # noqa: F401 - torch.compile's tracer: its import error is the first finding

    torch._dynamo.config.suppress_errors = False  # a compile error must raise, not fall back to eager
    torch._dynamo.reset()
    out = {"phase": "function", "unset": prep["unset"], "graphs_before": _graphs(torch)}
    progress(out)

    def f(x):
        return torch.sin(x) + torch.cos(x) * 2

    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(4096, generator=gen).to(device)
    compiled = torch.compile(f, backend="inductor", fullgraph=True)
    t0 = time.perf_counter()
    got = compiled(x)
    _sync(torch, device)
    out["first_call_seconds"] = time.perf_counter() - t0
    want = f(x)
    out["function_max_abs_err"] = float((got - want).abs().max().cpu().item())
    out["function_ok"] = bool(torch.allclose(got, want, rtol=1e-4, atol=1e-5))
    steady = []
    for _ in range(5):
        t1 = time.perf_counter()
        compiled(x)
        _sync(torch, device)
        steady.append(time.perf_counter() - t1)
    out["steady_seconds"] = sorted(steady)[len(steady) // 2]
    out["phase"] = "training"
    progress(out)

    lam = 1e-3
    sizes = dict(d_in=8, d_hidden=16, d_out=4)
    W1, W2 = W.two_layer_init(torch, seed, sizes["d_in"], sizes["d_hidden"], sizes["d_out"], torch.float32, device)
    xs, ys = W.two_layer_data(torch, seed, sizes["d_in"], sizes["d_out"], 64, torch.float32, device)

    def loss(a, b, xx, yy):
        return W.two_layer_loss(torch, a, b, xx, yy, lam)

    eager = loss(W1, W2, xs, ys)
    eager.backward()
    ref = (W1.grad.detach().clone(), W2.grad.detach().clone(), float(eager.detach().cpu().item()))
    W1.grad = None
    W2.grad = None
    closs = torch.compile(loss, backend="inductor")
    t0 = time.perf_counter()
    J = closs(W1, W2, xs, ys)
    J.backward()
    _sync(torch, device)
    out["train_first_seconds"] = time.perf_counter() - t0
    errs = [W.max_relative_error(torch, W1.grad, ref[0]), W.max_relative_error(torch, W2.grad, ref[1])]
    out["train_grad_max_rel_err"] = max(errs)
    out["train_loss"] = float(J.detach().cpu().item())
    out["train_ok"] = bool(max(errs) < 1e-3 and abs(out["train_loss"] - ref[2]) <= 1e-4 * max(1.0, abs(ref[2])))
    out["graphs"] = _graphs(torch)
    out["artifacts"] = artifacts(prep)
    out["phase"] = "done"
    return out
