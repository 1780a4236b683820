"""The smoke workloads: small, real training and gradient computations.

These functions run inside a child interpreter (never in the doctor's process), so
this module does not import torch at module level: every function takes the `torch`
module as its first argument. `torchdoctor smoke` and `smoke --distributed` both
import them.

Models
------
The classic loop (the exercise every PyTorch course starts with): fit y = w*x with
w = 3.0, x = [1, 2, 3], y = [2, 4, 6], loss (w*x - y)**2 per sample, per-sample SGD.

The two-layer network with an L2 penalty, in column-vector convention so the
hand-derived backprop formulas read exactly as written:

    x: (d_in, n)   y: (d_out, n)   W1: (d_hidden, d_in)   W2: (d_out, d_hidden)
    z = W1 @ x     h = tanh(z)     o = W2 @ h
    L = sum((o - y)**2) / (2n)     s = lam/2 * (||W1||^2 + ||W2||^2)     J = L + s

    dJ/do  = (o - y) / n
    dJ/dW2 = dJ/do @ h.T + lam*W2
    dJ/dh  = W2.T @ dJ/do
    dJ/dz  = dJ/dh * (1 - tanh(z)**2)          (phi = tanh, phi' = 1 - tanh^2)
    dJ/dW1 = dJ/dz @ x.T + lam*W1

Weights and data are always drawn on the CPU in float64 from a seeded generator and
then moved, so every device (and every distributed rank) starts from the same numbers.
"""

from __future__ import annotations

import math
import time
from typing import Any

# The classic exercise's data and hyper-parameters.
CLASSIC_X = (1.0, 2.0, 3.0)
CLASSIC_Y = (2.0, 4.0, 6.0)
CLASSIC_W0 = 3.0
CLASSIC_LR = 0.01
CLASSIC_TARGET = 2.0  # y = 2x
CONVERGED_WITHIN = 1e-3  # |w - 2| below this counts as converged


def synchronize(torch: Any, device: str) -> None:
    """Wait for queued kernels: GPU timings are meaningless without it."""
    kind = device.split(":")[0]
    if kind == "cuda":
        torch.cuda.synchronize(device)
    elif kind == "mps":
        mps = getattr(torch, "mps", None)  # torch.mps.synchronize() is 2.0+
        if mps is not None and hasattr(mps, "synchronize"):
            mps.synchronize()
        else:
            torch.zeros(1, device="mps").cpu()  # a read-back waits for the queue
    elif kind == "xpu":
        torch.xpu.synchronize(device)


def student_epochs(torch: Any, w: Any, epochs: int, lr: float, record: Any = None) -> Any:
    """The classic exercise exactly as students write it: Python floats for the data, `forward(x) = w * x`,
    `loss = (y_pred - y) ** 2`, `l.backward()`, `w.data = w.data - lr * w.grad.data`, `w.grad.data.zero_()`.
    `record(l, w)`, when given, is called after each epoch (the untimed run that keeps the curves)."""
    l = None
    for _epoch in range(epochs):
        for x_val, y_val in zip(CLASSIC_X, CLASSIC_Y):
            y_pred = w * x_val
            l = (y_pred - y_val) ** 2
            l.backward()
            w.data = w.data - lr * w.grad.data
            w.grad.data.zero_()
        if record is not None:
            record(l, w)
    return l


def classic_w(torch: Any, device: str, dtype: Any) -> Any:
    """`w = torch.tensor([3.0], requires_grad=True)`, on the device."""
    return torch.tensor([CLASSIC_W0], dtype=dtype, device=device, requires_grad=True)


def classic_loop(torch: Any, device: str, epochs: int = 100, lr: float = CLASSIC_LR,
                 dtype: Any = None) -> dict:
    """Fit y = w*x by per-sample SGD, faithfully to the classic exercise.

    Returns {"w", "final_loss", "converged_epoch", "loss_curve", "w_curve", "seconds",
    "prediction_at_4", "epochs", "lr", "dtype"}. The loss curve holds, per epoch, the loss
    of the last sample of that epoch (what the classic prints); `converged_epoch` is the
    first epoch (1-based) after which |w - 2| < 1e-3, or None.

    The loop runs twice, with the same numbers: first with the bookkeeping (the curves, read
    back after it), untimed, which also warms up autograd; then bare — the student's loop and
    nothing else — between two synchronizes, and that is the time reported.
    """
    dtype = dtype or torch.float32
    losses, ws = [], []
    w = classic_w(torch, device, dtype)
    student_epochs(torch, w, epochs, lr, record=lambda l, w: (losses.append(l.detach()), ws.append(w.detach().clone())))
    loss_curve = [float(v) for v in torch.cat(losses).cpu().tolist()] if losses else []
    w_curve = [float(v) for v in torch.cat(ws).cpu().tolist()] if ws else []

    w = classic_w(torch, device, dtype)
    synchronize(torch, device)
    start = time.perf_counter()
    l = student_epochs(torch, w, epochs, lr)
    synchronize(torch, device)
    seconds = time.perf_counter() - start

    w_final = float(w.detach().cpu().item())
    converged = next((i + 1 for i, wv in enumerate(w_curve)
                      if abs(wv - CLASSIC_TARGET) < CONVERGED_WITHIN), None)
    with torch.no_grad():
        prediction = float((w * 4.0).cpu().item())
    return {
        "w": w_final,
        "final_loss": float(l.detach().cpu().item()) if l is not None else None,
        "converged_epoch": converged,
        "loss_curve": loss_curve,
        "w_curve": w_curve,
        "prediction_at_4": prediction,
        "seconds": seconds,
        "epochs": epochs,
        "lr": lr,
        "dtype": str(dtype).replace("torch.", ""),
        "timed": "the bare loop (a second, identical run; the curves come from the first)",
    }


# ---------------------------------------------------------------- gradient formulas

def classic_grad_by_hand(w: float, x: float, y: float) -> float:
    """dl/dw for l = (w*x - y)**2."""
    return 2.0 * x * (w * x - y)


def classic_grad_by_autograd(torch: Any, w: float, x: float, y: float, device: str, dtype: Any) -> float:
    wt = torch.tensor(w, dtype=dtype, device=device, requires_grad=True)
    xt = torch.tensor(x, dtype=dtype, device=device)
    yt = torch.tensor(y, dtype=dtype, device=device)
    loss = (wt * xt - yt) ** 2
    loss.backward()
    return float(wt.grad.cpu().item())


def two_layer_init(torch: Any, seed: int, d_in: int, d_hidden: int, d_out: int,
                   dtype: Any = None, device: str = "cpu") -> tuple:
    """(W1, W2), drawn on the CPU in float64 (scaled 1/sqrt(fan_in)), moved to device/dtype,
    with requires_grad set. Same seed -> same weights on every device."""
    gen = torch.Generator().manual_seed(int(seed))
    w1 = torch.randn(d_hidden, d_in, generator=gen, dtype=torch.float64) / math.sqrt(d_in)
    w2 = torch.randn(d_out, d_hidden, generator=gen, dtype=torch.float64) / math.sqrt(d_hidden)
    dtype = dtype or torch.float32
    # Cast on the CPU first, then move: MPS has no float64 to cast from.
    return (w1.to(dtype=dtype).to(device=device).requires_grad_(),
            w2.to(dtype=dtype).to(device=device).requires_grad_())


def two_layer_data(torch: Any, seed: int, d_in: int, d_out: int, n: int,
                   dtype: Any = None, device: str = "cpu") -> tuple:
    """(x, y) with x: (d_in, n), y: (d_out, n); a fixed random teacher makes y learnable."""
    gen = torch.Generator().manual_seed(int(seed) + 1_000_003)
    x = torch.randn(d_in, n, generator=gen, dtype=torch.float64)
    teacher = torch.randn(d_out, d_in, generator=gen, dtype=torch.float64) / math.sqrt(d_in)
    y = torch.tanh(teacher @ x)
    dtype = dtype or torch.float32
    return x.to(dtype=dtype).to(device=device), y.to(dtype=dtype).to(device=device)


def two_layer_loss(torch: Any, W1: Any, W2: Any, x: Any, y: Any, lam: float) -> Any:
    """J = L + s (see the module docstring); differentiable, for autograd."""
    n = x.shape[1]
    o = W2 @ torch.tanh(W1 @ x)
    data_loss = ((o - y) ** 2).sum() / (2 * n)
    penalty = (lam / 2) * ((W1 ** 2).sum() + (W2 ** 2).sum())
    return data_loss + penalty


def two_layer_grads_by_hand(torch: Any, W1: Any, W2: Any, x: Any, y: Any, lam: float) -> dict:
    """The hand-derived backward pass: {"W1": dJ/dW1, "W2": dJ/dW2, "h": dJ/dh, "o": dJ/do}."""
    with torch.no_grad():
        n = x.shape[1]
        z = W1 @ x
        h = torch.tanh(z)
        o = W2 @ h
        d_o = (o - y) / n
        d_w2 = d_o @ h.T + lam * W2
        d_h = W2.T @ d_o
        d_z = d_h * (1 - h ** 2)
        d_w1 = d_z @ x.T + lam * W1
    return {"W1": d_w1, "W2": d_w2, "h": d_h, "o": d_o}


def two_layer_grads_by_autograd(torch: Any, W1: Any, W2: Any, x: Any, y: Any, lam: float) -> dict:
    """Autograd's {"W1", "W2", "h", "o"} gradients (h and o via retain_grad)."""
    W1 = W1.detach().clone().requires_grad_()
    W2 = W2.detach().clone().requires_grad_()
    n = x.shape[1]
    h = torch.tanh(W1 @ x)
    h.retain_grad()
    o = W2 @ h
    o.retain_grad()
    loss = ((o - y) ** 2).sum() / (2 * n) + (lam / 2) * ((W1 ** 2).sum() + (W2 ** 2).sum())
    loss.backward()
    return {"W1": W1.grad, "W2": W2.grad, "h": h.grad, "o": o.grad}


def max_relative_error(torch: Any, got: Any, reference: Any) -> float:
    """max|got - ref| / max|ref| over the tensor (normwise, so tiny entries don't explode it).

    Both are compared on the CPU in float64."""
    g = got.detach().to("cpu", torch.float64)
    r = reference.detach().to("cpu", torch.float64)
    scale = float(r.abs().max()) if r.numel() else 0.0
    diff = float((g - r).abs().max()) if r.numel() else 0.0
    if not math.isfinite(diff):
        return float("inf")
    return diff / scale if scale > 0 else diff


def two_layer_train(torch: Any, device: str, seed: int, steps: int, lr: float, lam: float,
                    d_in: int, d_hidden: int, d_out: int, n: int, dtype: Any = None) -> dict:
    """Full-batch gradient descent on the two-layer net; returns the trained (W1, W2) and losses."""
    W1, W2 = two_layer_init(torch, seed, d_in, d_hidden, d_out, dtype, device)
    x, y = two_layer_data(torch, seed, d_in, d_out, n, dtype, device)
    losses = []
    for _ in range(steps):
        J = two_layer_loss(torch, W1, W2, x, y, lam)
        J.backward()
        with torch.no_grad():
            W1 -= lr * W1.grad
            W2 -= lr * W2.grad
        W1.grad = None
        W2.grad = None
        losses.append(J.detach())
    curve = [float(v) for v in torch.stack(losses).cpu().tolist()] if losses else []
    return {"W1": W1.detach(), "W2": W2.detach(), "loss_curve": curve}
