"""What torch build this is and which devices it sees: runs INSIDE the smoke child (patient code).

`build_kind` is pure and shared: the doctor's probes/devices.py judges the same dict with it.
"""


def describe_torch(torch):
    """The build and its devices. Counting devices does not create a CUDA context."""
    import os
    import platform
    import sys
    import warnings

    info = {
        "torch_version": str(getattr(torch, "__version__", "?")),
        "cuda": getattr(torch.version, "cuda", None),
        "hip": getattr(torch.version, "hip", None),
        "python": platform.python_version(),
        "executable": sys.executable,
        "platform": sys.platform,
        "machine": platform.machine(),
        "cuda_visible_devices": os.environ.get("CUDA_VISIBLE_DEVICES"),
        "hip_visible_devices": os.environ.get("HIP_VISIBLE_DEVICES"),
    }
    # is_available() explains itself only through a warning (e.g. "CUDA driver too old").
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        info["cuda_available"] = _safe(lambda: bool(torch.cuda.is_available()), False)
        info["cuda_count"] = _safe(lambda: int(torch.cuda.device_count()), 0) if info["cuda_available"] else 0
    info["cuda_warnings"] = [_one_line(str(w.message)) for w in caught][:3]
    mps = getattr(torch.backends, "mps", None)
    info["mps_built"] = _safe(lambda: bool(mps.is_built()), False) if mps else False
    info["mps_available"] = _safe(lambda: bool(mps.is_available()), False) if mps else False
    xpu = getattr(torch, "xpu", None)
    info["xpu_built"] = _safe(lambda: bool(xpu._is_compiled()), False) if xpu else False
    info["xpu_available"] = _safe(lambda: bool(xpu.is_available()), False) if xpu else False
    info["xpu_count"] = _safe(lambda: int(xpu.device_count()), 0) if info["xpu_available"] else 0
    info["build"] = build_kind(info)
    return info


def _safe(fn, default):
    try:
        return fn()
    except Exception:  # noqa: BLE001 - a broken backend is "not available", never a crash
        return default


def _one_line(text):
    return " ".join(text.split())[:300]


def build_kind(info):
    """"rocm" | "cuda" | "xpu" | "cpu" — what the wheel was built for."""
    if info.get("hip"):
        return "rocm"
    if info.get("cuda"):
        return "cuda"
    if info.get("xpu_built"):
        return "xpu"
    return "cpu"
