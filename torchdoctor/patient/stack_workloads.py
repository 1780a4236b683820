"""The stack workloads: the libraries people's first real script calls, after the classic loop.

Patient code (stdlib + torch, loaded by path by smoke_child.py). Each workload runs on its own, returns
its numbers, and an error in one never stops the next: conv2d forward/backward (cuDNN on CUDA, oneDNN on
the CPU), a float32 matmul (cuBLAS), TF32 and bfloat16 matmuls where the device has them,
scaled_dot_product_attention, an autocast step (float16 on CUDA, bfloat16 elsewhere) and a DataLoader
with two worker processes moving a few MB through shared memory. Results are compared with the CPU in
float64; the tolerances live in torchdoctor/verdicts/stack.py.
"""

import time
import traceback

NAMES = ("conv", "matmul", "tf32", "bf16", "sdpa", "autocast", "dataloader")


def _sync(torch, device):
    kind = device.split(":")[0]
    if kind == "cuda":
        torch.cuda.synchronize()
    elif kind == "xpu":
        torch.xpu.synchronize()
    elif kind == "mps":
        torch.mps.synchronize()


def _rel(torch, got, ref):
    got = got.detach().to("cpu", torch.float64)
    return float((got - ref).abs().max() / ref.abs().max().clamp_min(1e-30))


def _rand(torch, seed, *shape):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def conv(torch, device, seed):
    x = _rand(torch, seed, 4, 3, 32, 32)
    w = _rand(torch, seed + 1, 8, 3, 3, 3)
    ref_x, ref_w = x.clone().requires_grad_(), w.clone().requires_grad_()
    ref = torch.nn.functional.conv2d(ref_x, ref_w, padding=1)
    ref.square().sum().backward()
    dx = x.to(device, torch.float32).requires_grad_()
    dw = w.to(device, torch.float32).requires_grad_()
    out = torch.nn.functional.conv2d(dx, dw, padding=1)
    out.square().sum().backward()
    _sync(torch, device)
    return {"max_rel_err": max(_rel(torch, out, ref.detach()), _rel(torch, dx.grad, ref_x.grad),
                               _rel(torch, dw.grad, ref_w.grad)), "dtype": "float32",
            "library": "cuDNN" if device.startswith("cuda") else "oneDNN" if device == "cpu" else device}


def _matmul(torch, device, seed, dtype):
    a, b = _rand(torch, seed, 256, 256), _rand(torch, seed + 1, 256, 256)
    got = a.to(device, dtype) @ b.to(device, dtype)
    _sync(torch, device)
    return {"max_rel_err": _rel(torch, got, a @ b), "dtype": str(dtype).replace("torch.", "")}


def matmul(torch, device, seed):
    return _matmul(torch, device, seed, torch.float32)


def tf32(torch, device, seed):
    if not device.startswith("cuda") or torch.version.hip or torch.cuda.get_device_capability(device)[0] < 8:
        return {"skipped": "TF32 needs an NVIDIA GPU of compute capability 8.0 or newer"}
    matmul_ = torch.backends.cuda.matmul
    attr = "fp32_precision" if hasattr(torch.backends, "fp32_precision") else "allow_tf32"  # 2.9+: the new API
    before = getattr(matmul_, attr)
    try:
        setattr(matmul_, attr, "tf32" if attr == "fp32_precision" else True)
        out = _matmul(torch, device, seed, torch.float32)
    finally:
        setattr(matmul_, attr, before)
    out["dtype"] = "tf32"
    return out


def bf16(torch, device, seed):
    kind = device.split(":")[0]
    if kind == "cuda" and not torch.cuda.is_bf16_supported():
        return {"skipped": "this GPU has no bfloat16"}
    if kind == "mps":
        return {"skipped": "not checked on MPS"}
    return _matmul(torch, device, seed, torch.bfloat16)


def sdpa(torch, device, seed):
    q, k, v = (_rand(torch, seed + i, 2, 4, 64, 32) for i in range(3))
    ref = torch.softmax(q @ k.transpose(-2, -1) / (32 ** 0.5), dim=-1) @ v
    got = torch.nn.functional.scaled_dot_product_attention(*(t.to(device, torch.float32) for t in (q, k, v)))
    _sync(torch, device)
    return {"max_rel_err": _rel(torch, got, ref), "dtype": "float32"}


def autocast(torch, device, seed):
    kind = device.split(":")[0]
    dtype = torch.float16 if kind == "cuda" else torch.bfloat16
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(64, 128), torch.nn.ReLU(), torch.nn.Linear(128, 8)).to(device)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    x = _rand(torch, seed, 32, 64).to(device, torch.float32)
    y = _rand(torch, seed + 1, 32, 8).to(device, torch.float32)
    scaler = torch.amp.GradScaler(kind) if kind == "cuda" and hasattr(torch, "amp") and \
        hasattr(torch.amp, "GradScaler") else None
    with torch.autocast(device_type=kind, dtype=dtype):
        loss = torch.nn.functional.mse_loss(model(x), y)
    if scaler is not None:
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
    else:
        loss.backward()
        opt.step()
    _sync(torch, device)
    finite = all(bool(torch.isfinite(p).all()) for p in model.parameters())
    return {"loss": float(loss.detach().float().cpu().item()), "finite": finite,
            "dtype": str(dtype).replace("torch.", "")}


def dataloader(torch, device, seed):
    """Two worker processes hand batches back through shared memory (a container's small /dev/shm
    fails here with 'DataLoader worker ... exited unexpectedly' or a bus error)."""
    from torch.utils.data import DataLoader, TensorDataset

    data = _rand(torch, seed, 1024, 1024).float()  # 4 MiB
    loader = DataLoader(TensorDataset(data), batch_size=128, num_workers=2, timeout=60)
    total, moved = 0.0, 0
    for (batch,) in loader:
        total += float(batch.to(device).double().sum().cpu().item())
        moved += batch.numel() * 4
    want = float(data.double().sum())
    return {"workers": 2, "mib": moved / 2 ** 20,
            "max_rel_err": abs(total - want) / max(abs(want), 1e-30)}


def run_all(torch, device, seed, progress):
    out = {}
    for name in NAMES:
        t0 = time.perf_counter()
        try:
            value = globals()[name](torch, device, seed)
        except BaseException as exc:  # noqa: BLE001 - one library failing is that line's finding
            if isinstance(exc, KeyboardInterrupt):
                raise
            value = {"error": "%s: %s" % (type(exc).__name__, str(exc)[:2000]),
                     "traceback": traceback.format_exc(limit=6)[-3000:]}
        value["seconds"] = time.perf_counter() - t0
        out[name] = value
        progress(out)
    return out
