"""Which devices can the smoke run use, and why a requested one is missing.

Two parts, kept apart:
- `discover(python, timeout)` runs ONE child (torchdoctor/patient/smoke_child.py --discover)
  that describes the build and its devices (patient/torch_build.py).
- `resolve` and `why_missing` are pure: a parsed `--device` (requests.DeviceRequest) and the
  discovery dict in, devices or one sentence out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from torchdoctor.patient import script
from torchdoctor.patient.torch_build import build_kind

if TYPE_CHECKING:
    from torchdoctor.requests.smoke import DeviceRequest

KINDS = ("cpu", "cuda", "mps", "xpu")


# ------------------------------------------------------------------ pure

def build_label(info: dict) -> str:
    kind = build_kind(info)
    version = info.get("torch_version", "?")
    if kind == "rocm":
        return f"a ROCm build ({version}, HIP {info.get('hip')})"
    if kind == "cuda":
        return f"a CUDA build ({version}, CUDA {info.get('cuda')})"
    if kind == "xpu":
        return f"an XPU build ({version})"
    return f"a CPU-only build ({version})"


def available(info: dict) -> list[str]:
    """Every device this torch can use, in a fixed order: cpu, cuda:N, mps, xpu:N."""
    devices = ["cpu"]
    devices += [f"cuda:{i}" for i in range(int(info.get("cuda_count") or 0))]
    if info.get("mps_available"):
        devices.append("mps")
    devices += [f"xpu:{i}" for i in range(int(info.get("xpu_count") or 0))]
    return devices


def resolve(request: DeviceRequest, info: dict) -> tuple[list[str], str | None]:
    """(devices to run, None) or ([], the reason the requested device is missing)."""
    have = available(info)
    if request.kind == "all":
        return have, None
    if request.kind in ("cpu", "mps"):
        return ([request.kind], None) if request.kind in have else ([], why_missing(request, info))
    matching = [d for d in have if d.split(":")[0] == request.kind]
    if request.index is None:
        return (matching, None) if matching else ([], why_missing(request, info))
    wanted = f"{request.kind}:{request.index}"
    return ([wanted], None) if wanted in have else ([], why_missing(request, info))


def why_missing(request: DeviceRequest, info: dict) -> str:
    """One sentence: why this torch cannot use the requested device."""
    name = request.text
    version = info.get("torch_version", "?")
    kind = build_kind(info)
    if request.kind == "cuda":
        if kind not in ("cuda", "rocm"):
            return (f"{name} is not available: this torch is {build_label(info)}; "
                    "`torchdoctor suggest` prints the install command for a GPU build")
        count = int(info.get("cuda_count") or 0)
        if not info.get("cuda_available") or count == 0:
            hint = "; ".join(info.get("cuda_warnings") or []) or "no GPU is visible to it"
            cvd = info.get("cuda_visible_devices")
            if cvd is not None and not cvd.strip():
                hint = "CUDA_VISIBLE_DEVICES is set but empty, which hides every GPU"
            return (f"{name} is not available: torch {version} is {build_label(info)} but "
                    f"torch.cuda.is_available() is False ({hint}); run `torchdoctor check`")
        return (f"{name} does not exist: torch sees {count} CUDA device"
                f"{'s' if count != 1 else ''} (cuda:0" + (f"..cuda:{count - 1}" if count > 1 else "") + ")"
                + _visible_note(info))
    if request.kind == "mps":
        if info.get("platform") != "darwin":
            return f"mps is not available: MPS needs macOS on Apple silicon; this is {info.get('platform')}"
        if not info.get("mps_built"):
            return f"mps is not available: torch {version} was built without MPS"
        return ("mps is not available: torch has MPS but cannot use it "
                "(needs macOS 12.3+ on Apple silicon, and a native arm64 Python)")
    if request.kind == "xpu":
        if not info.get("xpu_built"):
            return (f"{name} is not available: this torch is {build_label(info)} without XPU support; "
                    "`torchdoctor suggest` prints the install command for an XPU build")
        count = int(info.get("xpu_count") or 0)
        if count == 0:
            return (f"{name} is not available: torch {version} has XPU support but sees no Intel GPU "
                    "(check the Intel GPU driver); run `torchdoctor check`")
        return f"{name} does not exist: torch sees {count} XPU device{'s' if count != 1 else ''}"
    return f"{name} is not available"


# The checks that say why a GPU build cannot use this machine's GPU; smoke repeats their words.
BUILD_FIT_CHECKS = ("torch.cuda_build_without_gpu", "torch.rocm_build_without_gpu")


def from_check(name: str, finding: Any) -> str:
    """`check`'s finding as smoke's reason: the same sentence, and the fix with its commands."""
    fix = finding.fix
    commands = "; ".join(f"`{c}`" for c in fix.commands) if fix is not None else ""
    told = f" Fix: {fix.summary}" + (f": {commands}" if commands else "") if fix is not None else ""
    return f"{name} is not available: {finding.message}{told} ({finding.id})"


def runtime_facts(info: dict) -> Any:
    """The discovery answer as the runtime facts the checks judge."""
    from torchdoctor.facts import TorchRuntime

    return TorchRuntime(status="ok", version=info.get("torch_version"), cuda=info.get("cuda"), hip=info.get("hip"),
                        cuda_available=bool(info.get("cuda_available")), device_count=info.get("cuda_count"),
                        xpu_available=info.get("xpu_available"), warnings=tuple(info.get("cuda_warnings") or ()))


def _visible_note(info: dict) -> str:
    cvd = info.get("cuda_visible_devices")
    return f"; CUDA_VISIBLE_DEVICES={cvd}" if cvd else ""


# ------------------------------------------------------------------ the doctor's side

CHILD_SCRIPT = script("smoke_child")


def discover(python: str | None, timeout: float):
    """Run ONE cheap child (import torch, count devices). Returns the ChildResult."""
    from torchdoctor.child import run_script

    return run_script(CHILD_SCRIPT, ["--discover"], timeout=timeout, python=python)
