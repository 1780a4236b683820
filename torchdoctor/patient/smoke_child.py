"""The smoke run for ONE device, executed in a child interpreter.

    python smoke_child.py --device cuda:0 --epochs 100 --seed 0
    python smoke_child.py --discover      # only describe the build and its devices

It answers JSON (answer.py) after every stage, so a device that hangs or crashes half-way
still leaves what it finished. Every stage catches its own error: a CUDA error ("no kernel
image is available ...") is recorded as that stage's error.

Patient code (torchdoctor/patient/__init__.py): it runs under the target interpreter, where
torchdoctor may be missing, and loads its siblings by path.
"""

import argparse
import math
import os
import runpy
import sys
import time
import traceback
import warnings

load = runpy.run_path(os.path.join(os.path.dirname(os.path.abspath(__file__)), "_load.py"))["load"]
answer = load("answer").answer
W = load("workloads")
describe_torch = load("torch_build").describe_torch

# Sizes. The gradient check and the agreement run are small: they test numbers, not speed.
GRAD = dict(d_in=8, d_hidden=16, d_out=4, n=32, lam=0.1)
AGREE = dict(d_in=8, d_hidden=16, d_out=4, n=64, lam=1e-3, steps=100, lr=0.5)
# Throughput: small on the CPU so CI stays fast; big enough on a GPU to keep it busy.
THROUGHPUT = {
    "cpu": dict(d_in=256, d_hidden=512, d_out=64, n=256, budget=0.25),
    "gpu": dict(d_in=1024, d_hidden=4096, d_out=1024, n=8192, budget=1.0),
}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--discover", action="store_true")
    parser.add_argument("--compile", action="store_true", help="only the torch.compile workloads")
    parser.add_argument("--compile-root", default=None, help="the empty folder for the fresh caches (the doctor "
                        "makes it and removes it, so a child killed at its deadline leaves nothing behind)")
    opts = parser.parse_args()

    result: dict = {"device": opts.device}
    prep = None
    if opts.compile:  # before `import torch`: Inductor reads its cache folder from the environment
        CW = load("compile_workloads")
        prep = CW.prepare(opts.compile_root)
        result["compile"] = {"phase": "import", "unset": prep["unset"]}
        answer(result)
    start = time.perf_counter()
    try:
        import torch
    except BaseException as exc:  # noqa: BLE001 - ImportError, OSError (missing .so), anything
        result["import_error"] = f"{type(exc).__name__}: {exc}"
        result["import_missing"] = isinstance(exc, ModuleNotFoundError) and getattr(exc, "name", "") == "torch"
        answer(result)
        return 0
    result["import_seconds"] = time.perf_counter() - start
    result["torch"] = describe_torch(torch)
    answer(result)
    if opts.discover:
        return 0
    if prep is not None:
        return compile_only(torch, opts, result, prep, CW, start)

    device = opts.device
    # We verify numbers, so float32 means float32: no TF32 in matmuls (cuDNN is unused here).
    _stage(result, "settings", lambda: _precision_settings(torch))
    _stage(result, "init", lambda: _first_op(torch, device))
    _stage(result, "classic", lambda: W.classic_loop(torch, device, epochs=opts.epochs))
    _stage(result, "gradcheck", lambda: gradcheck(torch, device, opts.seed))
    _stage(result, "agreement", lambda: agreement(torch, device, opts.seed, result))
    _stage(result, "throughput", lambda: throughput(torch, device, opts.seed))
    _stage(result, "stack", lambda: stack(torch, device, opts.seed, result))  # after the classic stages
    result["child_seconds"] = time.perf_counter() - start
    answer(result)
    return 0


def compile_only(torch, opts, result: dict, prep: dict, CW, start: float) -> int:
    """`smoke --compile`'s child: the compile workloads on one device, then the cache folders go."""
    last: dict = {}

    def progress(partial):
        last.clear()
        last.update(partial)
        result["compile"] = dict(partial)
        answer(result)

    try:
        _stage(result, "compile", lambda: CW.run(torch, opts.device, opts.seed, prep, progress, W))
        entry = result.get("compile") or {}
        if entry.get("error"):  # keep how far it got next to the error
            for key in ("phase", "unset", "first_call_seconds", "function_ok"):
                if key in last:
                    entry.setdefault(key, last[key])
            entry.setdefault("unset", prep["unset"])
    finally:
        CW.cleanup(prep)
    result["child_seconds"] = time.perf_counter() - start
    answer(result)
    return 0


def stack(torch, device: str, seed: int, result: dict) -> dict:
    """The stack workloads (stack_workloads.py), answering after each one."""
    def progress(partial):
        result["stack"] = dict(partial)
        answer(result)

    return load("stack_workloads").run_all(torch, device, seed, progress)


def _stage(result: dict, name: str, fn) -> None:
    """Run one stage; its result or its error goes in the answer, which is re-sent."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result[name] = fn()
        except BaseException as exc:  # noqa: BLE001 - a CUDA error must become data
            if isinstance(exc, KeyboardInterrupt):
                raise
            result[name] = {"error": f"{type(exc).__name__}: {exc}",
                            "traceback": traceback.format_exc(limit=6)}
    seen = result.setdefault("warnings", [])
    for w in caught:  # the same CUDA warning tends to repeat at every stage
        text = " ".join(str(w.message).split())[:500]
        if text not in seen:
            seen.append(text)
    answer(result)


def _precision_settings(torch) -> dict:
    """TF32 off, through whichever API this torch has (1.x .. 2.15): we compare float32 numbers."""
    backends = torch.backends
    out: dict = {}
    if hasattr(backends, "fp32_precision"):
        # torch 2.9+: the allow_tf32 flags are deprecated, and mixing the two APIs can raise.
        backends.fp32_precision = "ieee"
        backends.cuda.matmul.fp32_precision = "ieee"
        backends.cudnn.conv.fp32_precision = "ieee"
        out["fp32_precision"] = str(backends.cuda.matmul.fp32_precision)
        out["allow_tf32"] = False
    else:
        backends.cuda.matmul.allow_tf32 = False
        backends.cudnn.allow_tf32 = False
        out["allow_tf32"] = bool(backends.cuda.matmul.allow_tf32)
        if hasattr(torch, "set_float32_matmul_precision"):  # torch 1.12+
            torch.set_float32_matmul_precision("highest")
    if hasattr(torch, "get_float32_matmul_precision"):
        out["float32_matmul_precision"] = torch.get_float32_matmul_precision()
    return out


def _first_op(torch, device: str) -> dict:
    """First-operation latency: creating the device context, loading kernels, one add."""
    info: dict = {}
    t0 = time.perf_counter()
    x = torch.ones(4, device=device)
    y = float((x + 1).sum().cpu().item())  # a real kernel, read back
    W.synchronize(torch, device)
    info["first_op_seconds"] = time.perf_counter() - t0
    if y != 8.0:
        info["error"] = f"1 + 1 on {device} gave {y / 4} instead of 2"
    kind = device.split(":")[0]
    if kind == "cuda":
        index = torch.device(device).index or 0
        props = torch.cuda.get_device_properties(index)
        info["name"] = props.name
        info["capability"] = list(torch.cuda.get_device_capability(index))
        info["memory_gib"] = round(props.total_memory / 2**30, 1)
        info["arch_list"] = list(torch.cuda.get_arch_list())
        if getattr(props, "gcnArchName", None):  # ROCm: the gfx target ("gfx942:sramecc+:xnack-")
            info["gfx"] = props.gcnArchName
    elif kind == "xpu":
        index = torch.device(device).index or 0
        info["name"] = torch.xpu.get_device_name(index)
    elif kind == "mps":
        info["name"] = "Apple MPS"
    else:
        import platform

        info["name"] = platform.processor() or platform.machine()
        info["threads"] = torch.get_num_threads()
    return info


def _dtypes(device: str) -> list:
    import torch

    # MPS has no float64.
    return [torch.float32] if device.startswith("mps") else [torch.float64, torch.float32]


def gradcheck(torch, device: str, seed: int) -> dict:
    """Autograd on the device against the hand-derived formulas computed on the CPU in float64."""
    g = GRAD
    w0 = W.CLASSIC_W0
    classic_ref = [W.classic_grad_by_hand(w0, x, y) for x, y in zip(W.CLASSIC_X, W.CLASSIC_Y)]
    W1, W2 = W.two_layer_init(torch, seed, g["d_in"], g["d_hidden"], g["d_out"], torch.float64, "cpu")
    x, y = W.two_layer_data(torch, seed, g["d_in"], g["d_out"], g["n"], torch.float64, "cpu")
    ref = W.two_layer_grads_by_hand(torch, W1, W2, x, y, g["lam"])

    out: dict = {"reference": "hand-derived formulas, cpu float64", "phi": "tanh",
                 "sizes": {k: g[k] for k in ("d_in", "d_hidden", "d_out", "n")}, "lam": g["lam"],
                 "max_rel_err": {}}
    for dtype in _dtypes(device):
        name = str(dtype).replace("torch.", "")
        got_classic = [W.classic_grad_by_autograd(torch, w0, xv, yv, device, dtype)
                       for xv, yv in zip(W.CLASSIC_X, W.CLASSIC_Y)]
        classic_err = max(abs(a - r) for a, r in zip(got_classic, classic_ref)) / max(abs(r) for r in classic_ref)
        moved = [t.to(dtype=dtype).to(device=device) for t in (W1, W2, x, y)]
        auto = W.two_layer_grads_by_autograd(torch, *moved, g["lam"])
        errs = {"dl/dw": classic_err if math.isfinite(classic_err) else float("inf")}
        for key in ("W2", "h", "W1", "o"):
            errs[f"dJ/d{key}"] = W.max_relative_error(torch, auto[key], ref[key])
        out["max_rel_err"][name] = errs
    return out


def agreement(torch, device: str, seed: int, result: dict) -> dict:
    """Weights trained on this device (float32) against the same training on the CPU in float64."""
    a = AGREE
    sizes = {k: a[k] for k in ("d_in", "d_hidden", "d_out", "n")}
    ref = W.two_layer_train(torch, "cpu", seed, a["steps"], a["lr"], a["lam"], dtype=torch.float64, **sizes)
    got = W.two_layer_train(torch, device, seed, a["steps"], a["lr"], a["lam"], dtype=torch.float32, **sizes)
    out: dict = {"reference": "cpu float64", "dtype": "float32", "steps": a["steps"], "max_rel_err": {
        "W1": W.max_relative_error(torch, got["W1"], ref["W1"]),
        "W2": W.max_relative_error(torch, got["W2"], ref["W2"]),
    }, "final_loss": got["loss_curve"][-1], "reference_final_loss": ref["loss_curve"][-1]}
    # The classic loop's w against the same SGD done by hand in float64 (exact reference).
    classic = result.get("classic") or {}
    if "w" in classic:
        w_ref = classic_reference_w(classic.get("epochs", 100), classic.get("lr", W.CLASSIC_LR))
        out["w_reference"] = w_ref
        out["max_rel_err"]["w"] = abs(classic["w"] - w_ref) / abs(w_ref)
    return out


def classic_reference_w(epochs: int, lr: float) -> float:
    w = W.CLASSIC_W0
    for _ in range(epochs):
        for x, y in zip(W.CLASSIC_X, W.CLASSIC_Y):
            w -= lr * W.classic_grad_by_hand(w, x, y)
    return w


def throughput(torch, device: str, seed: int) -> dict:
    """SGD steps/s of the two-layer net in float32, timed between synchronizes."""
    t = THROUGHPUT["cpu" if device == "cpu" else "gpu"]
    W1, W2 = W.two_layer_init(torch, seed, t["d_in"], t["d_hidden"], t["d_out"], torch.float32, device)
    x, y = W.two_layer_data(torch, seed, t["d_in"], t["d_out"], t["n"], torch.float32, device)
    lr, lam = 1e-3, 1e-4

    def step():
        J = W.two_layer_loss(torch, W1, W2, x, y, lam)
        J.backward()
        with torch.no_grad():
            W1.sub_(lr * W1.grad)
            W2.sub_(lr * W2.grad)
        W1.grad = None
        W2.grad = None
        return J

    for _ in range(2):  # warm-up: allocator, kernel selection
        step()
    W.synchronize(torch, device)
    steps, chunk = 0, 1
    start = time.perf_counter()
    while True:
        for _ in range(chunk):
            J = step()
        steps += chunk
        W.synchronize(torch, device)
        elapsed = time.perf_counter() - start
        if elapsed >= t["budget"] and steps >= 3:
            break
        chunk = min(chunk * 2, 64)
    flops = 6 * t["n"] * (t["d_in"] * t["d_hidden"] + t["d_hidden"] * t["d_out"])  # matmuls fwd+bwd
    loss = float(J.detach().cpu().item())
    return {"steps": steps, "seconds": elapsed, "steps_per_s": steps / elapsed,
            "samples_per_s": steps * t["n"] / elapsed, "tflops": flops * steps / elapsed / 1e12,
            "dtype": "float32", "sizes": {k: t[k] for k in ("d_in", "d_hidden", "d_out", "n")},
            "finite": math.isfinite(loss)}


if __name__ == "__main__":
    sys.exit(main())
