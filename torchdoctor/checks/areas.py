"""The areas of a report, declared once: each with the headline it shows (from the facts) and what
earns it a ✓ (the thing it names works, not merely "nothing failed").

A check names its area by one of these objects, so a typo cannot make a new area; the check
report lists areas in this order. The verdict areas (smoke, distributed, plan, install) have no
headline: their findings carry their own words.
"""

from __future__ import annotations

from typing import Any

from torchdoctor.checks.views import companions, listing_partial, smi_broken
from torchdoctor.findings import Area
from torchdoctor.versions import is_driver_version


def _torch_did_not_run(f: Any) -> bool:
    rt = f.runtime
    return rt is None or rt.status != "ok" or not rt.version


def _python(f: Any) -> str:
    p = f.python
    if p is None:
        return "Python: not probed"
    bits = f"{p.bits}-bit" + (", free-threaded" if p.free_threaded else "") + (f", {p.env_kind}" if p.env_kind else "")
    return f"Python {p.version} ({bits})" + (f" at {p.executable}" if p.executable else "")


def build_words(rt: Any) -> str:
    if rt.cuda:
        return f"CUDA {rt.cuda} build"
    if rt.hip:
        return f"ROCm {rt.hip} build"
    return "CPU-only build"


def _torch(f: Any) -> str:
    rt = f.runtime
    found = [d for d in f.distributions or () if d.name == "torch"]
    installed = found[0].version if found else None
    if rt is None:
        return f"PyTorch {installed} (import not probed)" if installed else "PyTorch: not probed"
    if rt.status == "ok" and not rt.version and f.origin != "live":
        return f"PyTorch {installed}: the build is not in the report" if installed else \
            "PyTorch: the version is not in the report"
    if rt.status == "ok" and not rt.version:
        # A module without __version__: a local torch.py or torch/ was imported (torch.shadowed says which).
        return f"PyTorch: `import torch` loaded {rt.file or 'a module'}, which is not PyTorch"
    if rt.status == "ok":
        took = f", imported in {rt.seconds:.2f} s" if rt.seconds else ""
        return f"PyTorch {rt.version} ({build_words(rt)}{took})"
    if rt.status == "not_installed":
        return "PyTorch: not installed"
    name = f"PyTorch {installed}" if installed else "PyTorch"
    if rt.status == "not_run":
        return f"{name}: the import could not be tried ({rt.error})"
    how = {"import_failed": "failed", "timeout": "timed out"}.get(rt.status, rt.status.replace("_", " "))
    return f"{name}: import {how}"


def _packages(f: Any) -> str:
    names = ("torchvision", "torchaudio", "triton", "numpy")
    shown = [f"{d.name} {d.version}" for d in f.distributions or () if d.name in names]
    if f.distributions is None:
        return "Packages: not listed"
    if listing_partial(f):
        return "Packages: " + (", ".join(dict.fromkeys(shown)) or "none of torchvision, torchaudio, numpy") + \
            " (a partial list)"
    return "Packages: " + (", ".join(dict.fromkeys(shown)) or "no torchvision, torchaudio or numpy")


def _companions(f: Any) -> str:
    """The installed packages built against torch (companion.*), by name and version."""
    if f.distributions is None:
        return "Companions: not listed"
    found = companions(f)
    if not found:
        return "Companions: none installed"
    failed = {c.name for c in f.companion_imports or () if c.status != "ok" or c.kind}
    shown = [f"{d.name} {d.version}" + (" (failed to import)" if d.name in failed else "") for d in found[:8]]
    return "Companions: " + ", ".join(shown) + (f" and {len(found) - 8} more" if len(found) > 8 else "")


def _nvidia(f: Any) -> str:
    nv = f.nvidia
    gpus = [g for g in f.gpus or () if g.vendor == "nvidia"]
    names = ", ".join(_gpu(g) for g in gpus)
    if nv is not None and nv.driver:
        return f"NVIDIA driver {nv.driver}" + (f" (CUDA {nv.cuda_driver})" if nv.cuda_driver else "") + \
            (f": {names}" if names else "")
    if gpus:
        return f"NVIDIA: {names}, no driver answered"
    if f.gpus is None and nv is None:
        return "NVIDIA: not probed"
    if smi_broken(f):
        return "NVIDIA: nvidia-smi is installed but no driver answered"
    if f.gpus is None:  # nobody listed the GPUs: "no GPU found" would claim a scan that did not happen
        return "NVIDIA: no driver answered" + (f" ({nv.errors[0]})" if nv is not None and nv.errors else "")
    return "NVIDIA: no GPU found"


def _gpu(g: Any) -> str:
    cc = f" (cc {g.capability[0]}.{g.capability[1]})" if g.capability else ""
    mem = f", {g.memory_mib // 1024} GiB" if g.memory_mib else ""
    return f"{g.name or 'GPU'}{cc}{mem}"


def cudnn_text(version: Any) -> str:
    """torch.backends.cudnn.version(): 91900 -> "9.19.0" (cuDNN 9+: M*10000+m*100+p), 8902 -> "8.9.2"."""
    if not isinstance(version, int) or version <= 0:
        return str(version)
    if version >= 90000:
        return f"{version // 10000}.{version // 100 % 100}.{version % 100}"
    return f"{version // 1000}.{version // 100 % 10}.{version % 100}"


def _cuda(f: Any) -> str:
    rt = f.runtime
    if rt is not None and rt.status == "ok" and not rt.version and f.origin != "live":
        return "CUDA: unknown (the report does not say)"
    if rt is None or rt.status != "ok" or not rt.version:
        return "CUDA: unknown (torch did not import)"
    if not rt.cuda:
        return "CUDA: not in this build"
    if rt.cuda_available:
        n = rt.device_count  # None in a collect_env report: it does not count the devices
        count = "" if n is None else f", {n} device{'s' if n != 1 else ''}"
        return f"CUDA {rt.cuda}: available{count}" + \
            (f", cuDNN {cudnn_text(rt.cudnn)}" if rt.cudnn else "") + (f", NCCL {rt.nccl}" if rt.nccl else "")
    if rt.cuda_available is None:
        return f"CUDA {rt.cuda}: availability not reported"
    return f"CUDA {rt.cuda}: not available"


def _rocm(f: Any) -> str:
    amd = [g for g in f.gpus or () if g.vendor == "amd"]
    if not amd:
        return "ROCm: no AMD GPU" if f.gpus is not None or f.pci is not None else "ROCm: GPUs not listed"
    return "ROCm: " + ", ".join(f"{g.name or 'AMD GPU'} ({g.gfx or 'gfx unknown'})" for g in amd)


def _mps(f: Any) -> str:
    if f.platform is None:
        return "Apple MPS: unknown (no platform facts)"
    if f.platform.os != "macos":
        return "Apple MPS: not macOS"
    rt = f.runtime
    if rt is None or rt.mps_available is None:
        return "Apple MPS: unknown"
    return "Apple MPS: available" if rt.mps_available else "Apple MPS: not available"


def _environment(f: Any) -> str:
    parts = []
    p = f.platform
    if p is not None:
        parts.append(" ".join(x for x in (p.os_version or p.os, p.arch) if x and x != "unknown"))
        if p.wsl:
            parts.append("WSL")
        if p.container:
            parts.append(f"{p.container} container")
    for name in ("CUDA_VISIBLE_DEVICES", "HIP_VISIBLE_DEVICES", "HSA_OVERRIDE_GFX_VERSION"):
        if f.env and name in f.env:
            parts.append(f"{name}={f.env[name]!r}")
    return "Environment: " + (", ".join(parts) or "unknown")


def _driver_answers(f: Any) -> bool:
    return f.nvidia is not None and bool(f.nvidia.driver) and is_driver_version(f.nvidia.driver)


def _rocm_works(f: Any) -> bool:
    rt = f.runtime
    return bool(rt is not None and rt.status == "ok" and rt.hip and rt.cuda_available)


PYTHON = Area("Python", _python, lambda f: f.python is not None)
PYTORCH = Area("PyTorch", _torch, lambda f: not _torch_did_not_run(f))
PACKAGES = Area("Packages", _packages, lambda f: f.distributions is not None)
NVIDIA = Area("NVIDIA driver", _nvidia, _driver_answers)
CUDA = Area("CUDA", _cuda, lambda f: not _torch_did_not_run(f) and bool(f.runtime.cuda)
            and f.runtime.cuda_available is True)
ROCM = Area("ROCm", _rocm, _rocm_works)
MPS = Area("Apple MPS", _mps, lambda f: f.runtime is not None and f.runtime.mps_available is True)
ENVIRONMENT = Area("Environment", _environment, lambda f: f.platform is not None)
COMPANIONS = Area("Companions", _companions, lambda f: f.distributions is not None)
COMPILE = Area("Compile", lambda f: _compile(f), lambda f: _compile_works(f))
BUILD = Area("Build toolchain", lambda f: _build(f), lambda f: _build_works(f))
# The check report's lines, in this order.
CHECK_AREAS = (PYTHON, PYTORCH, PACKAGES, COMPANIONS, NVIDIA, CUDA, ROCM, MPS, ENVIRONMENT, COMPILE, BUILD)

# The other commands' parts.
PLAN = Area("Plan")
SMOKE = Area("Smoke")
DISTRIBUTED = Area("Distributed")
INSTALL = Area("Install")


def _compile(f: Any) -> str:
    tc = f.toolchain
    if tc is None:
        return "Compile: toolchain not probed"
    parts = [f"C++ compiler {tc.cxx}" if tc.cxx else "no C++ compiler on PATH"]
    if tc.python_h is not None:
        parts.append("Python.h found" if tc.python_h else "no Python.h")
    tritons = [f"{d.name} {d.version}" for d in f.distributions or () if "triton" in d.name]
    if tritons:
        parts.append(", ".join(dict.fromkeys(tritons)))
    if tc.disabled_by:
        parts.append(", ".join(tc.disabled_by))
    return "Compile: " + ", ".join(parts)


def _compile_works(f: Any) -> bool:
    tc = f.toolchain
    return tc is not None and bool(tc.cxx) and tc.python_h is not False and not tc.disabled_by


def _build(f: Any) -> str:
    tc = f.toolchain
    if tc is None:
        return "Build toolchain: not probed"
    if tc.cuda_home is None:
        return "Build toolchain: no CUDA toolkit" + (", ninja" if tc.ninja else ", no ninja") + \
            " (prebuilt wheels need none)"
    nvcc = f"nvcc {tc.nvcc_version}" if tc.nvcc_version else "no working nvcc"
    gcc = f", gcc {tc.gcc_version}" + (f" (nvcc takes <= {tc.gcc_max})" if tc.gcc_max else "") if tc.gcc_version else ""
    return f"Build toolchain: {nvcc} at {tc.cuda_home}{gcc}" + (", ninja" if tc.ninja else ", no ninja")


def _build_works(f: Any) -> bool:
    tc = f.toolchain
    return tc is not None and bool(tc.nvcc_version) and bool(tc.ninja)


def works(area: Area, facts: Any) -> bool:
    """An area earns ✓ only when what it names works: torch imports, the NVIDIA driver answers, CUDA/ROCm/MPS
    are available. "CUDA 13.0: not available", "PyTorch: not installed", "NVIDIA: no GPU found" are [-]."""
    try:
        return area.works(facts) if area.works is not None else True
    except Exception:  # noqa: BLE001 - decoration: never a ✓ we cannot back
        return False
