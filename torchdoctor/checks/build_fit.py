"""Checks that the torch build fits the GPU this machine really has: the beginner's classic
"my GPU is an Intel one, so I chose CUDA 11.3" — a CUDA build with no NVIDIA GPU, a ROCm build
with no AMD GPU. Everything then runs on the CPU, silently, after a multi-GB download.
"""

from __future__ import annotations

from typing import Any

from torchdoctor.checks import areas
from torchdoctor.checks.base import (Fix, build, check, cmd, find_text, has_nvidia_hardware, pip_argv, reinstall_fix,
                                     torch_version, warning)

NO_DRIVER_TEXT = r"Found no NVIDIA driver on your system"


def _scanned(f: Any) -> bool:
    """The hardware itself was looked at on the live machine: the PCI bus (Linux) or the display
    adapters in the Windows registry. Without that, "no NVIDIA GPU" is only "none answered"."""
    return f.pci is not None or any(n.name == "registry" and n.ok for n in f.probes)


def other_gpus(f: Any, vendor: str) -> str:
    """What the machine has instead of a `vendor` GPU: "Intel(R) UHD Graphics 620", "none", or
    "none listed" where nobody scanned the hardware."""
    names = sorted({g.name or f"{g.vendor.upper() if g.vendor == 'amd' else g.vendor.capitalize()} GPU"
                    for g in f.gpus or () if g.vendor != vendor})
    if names:
        return ", ".join(names)
    return "none" if _scanned(f) or f.gpus is not None else "none listed"


def _driver_answered(f: Any) -> bool:
    from torchdoctor.checks.accelerators import _driver_unreadable

    return not _driver_unreadable(f)


def no_nvidia_gpu(f: Any) -> str | None:
    """How we know this machine has no NVIDIA GPU, in words; None when we don't (or it has one)."""
    if has_nvidia_hardware(f) or _driver_answered(f):
        return None
    rt = f.runtime
    if rt is not None and rt.cuda_available:
        return None
    said = find_text(f, NO_DRIVER_TEXT)
    if _scanned(f):
        where = "the PCI bus lists" if f.pci is not None else "the Windows display adapters list"
        return f"{where} no NVIDIA device and no NVIDIA driver answered"
    if f.origin != "live" and f.nvidia is not None and rt is not None and rt.cuda_available is False:
        # collect_env: nvidia-smi found nothing ("No CUDA" / "Could not collect") and CUDA is unavailable
        return ("the report lists no NVIDIA GPU and no NVIDIA driver" +
                (", and torch says 'Found no NVIDIA driver on your system'" if said else ""))
    if said:
        return "torch says 'Found no NVIDIA driver on your system' and no NVIDIA GPU was found"
    return None


def _build_words(f: Any, b: tuple) -> str:
    version = torch_version(f)
    name = {"cuda": "CUDA", "rocm": "ROCm"}[b[0]]
    return f"torch {version} is a {name}{' ' + b[1] if b[1] else ''} build"


def cpu_fix(f: Any, k: Any, summary: str) -> Fix:
    """The planner's command for this machine (old build out first); for a Python older than the
    planner's tables, the same release's CPU wheel where that is certain (Windows: PyPI's is the CPU
    build), and the way forward (python.end_of_life) otherwise."""
    fix = reinstall_fix(f, k, summary)
    if fix.commands or f.python is None:
        return fix
    if f.gpus:  # no GPU build fits this GPU (an unlisted gfx, say): the CPU build still runs everything
        cpu = reinstall_fix(f.with_(gpus=(), pci=()), k, summary)
        if cpu.commands:
            return Fix(f"{fix.summary}; the CPU build meanwhile", cpu.commands)
    from torchdoctor.knowledge import python_life

    life = python_life(f.python.version)
    os_name = f.platform.os if f.platform is not None else None
    last = life.last_torch.get(os_name or "") if life is not None else None
    if last and os_name == "windows":
        return Fix(f"{summary}: PyPI's Windows wheels of torch are the CPU build; torch {last} is the last "
                   f"release for Python {life.series} (see python.end_of_life for a current Python)",
                   (cmd(f, *pip_argv(f), "uninstall", "-y", "torch"), cmd(f, *pip_argv(f), "install", f"torch=={last}")))
    if last:
        return Fix(f"{fix.summary}. Python {life.series} ends at torch {last}: install a current Python first "
                   "(see python.end_of_life), then the CPU build there.")
    return fix


@check("torch.cuda_build_without_gpu", areas.PYTORCH, "a CUDA build has an NVIDIA GPU to use", needs=())
def cuda_build_without_gpu(f: Any, k: Any) -> Any:
    b = build(f)
    if b is None or b[0] != "cuda":
        return None
    how = no_nvidia_gpu(f)
    if how is None:
        return None
    instead = other_gpus(f, "nvidia")
    has = f"it has: {instead}" if instead not in ("none", "none listed") else (
        "it has no other GPU either" if instead == "none" else "the report lists no other GPU")
    consequence = ("CUDA runs only on NVIDIA GPUs, so torch.cuda.is_available() will always be False here and "
                   "everything runs on the CPU: the CUDA build is a multi-GB download for nothing.")
    if _scanned(f):
        msg = f"{_build_words(f, b)}, but this machine has no NVIDIA GPU ({how}; {has}). {consequence}"
    else:  # nobody looked at the hardware: it may be an NVIDIA GPU without its driver
        msg = (f"{_build_words(f, b)}, but no NVIDIA GPU shows on this machine ({how}; {has}). If it has none: "
               f"{consequence} If it does have an NVIDIA GPU, its driver is missing: install the NVIDIA driver "
               "instead.")
    return warning(msg, cpu_fix(f, k, _fix_words(f)))


def _fix_words(f: Any) -> str:
    kinds = {g.vendor: g for g in f.gpus or ()}
    linux = f.platform is not None and f.platform.os == "linux"
    if "amd" in kinds and linux:
        return "Install the build for this machine's AMD GPU (ROCm) instead"
    if "intel" in kinds:
        return "Install the build for this machine (CPU, or XPU where PyTorch supports this Intel GPU) instead"
    if f.platform is not None and f.platform.os == "windows":
        return "Install the CPU build instead (on Windows, PyPI's default torch)"
    return "Install the CPU build instead"


@check("torch.rocm_build_without_gpu", areas.PYTORCH, "a ROCm build has an AMD GPU to use", needs=("gpus",))
def rocm_build_without_gpu(f: Any, k: Any) -> Any:
    b = build(f)
    if b is None or b[0] != "rocm" or any(g.vendor == "amd" for g in f.gpus):
        return None
    rt = f.runtime
    if rt is not None and rt.cuda_available:
        return None  # torch.cuda is HIP on a ROCm build: it found a GPU, whatever our scan says
    if not _scanned(f) and f.origin == "live":
        return None  # nobody looked at the hardware: "no AMD GPU" would be a guess
    instead = other_gpus(f, "amd")
    where = "the PCI bus shows no AMD GPU" if f.pci is not None else "no AMD GPU is listed"
    msg = (f"{_build_words(f, b)}, but this machine has no AMD GPU ({where}; it has: {instead}). ROCm runs only "
           "on AMD GPUs, so torch.cuda.is_available() will always be False here and everything runs on the CPU: "
           "the ROCm build is a multi-GB download for nothing.")
    return warning(msg, cpu_fix(f, k, "Install the build for this machine's GPU instead"))
