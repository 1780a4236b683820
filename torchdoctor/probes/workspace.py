"""The working environment around the interpreter: shadowing files, allow-listed
environment variables, and the GPU device nodes a container was given.

Privacy: only the variables named here are ever read into facts, and paths under
the home directory are shown with "~".
"""

from __future__ import annotations

import glob
import os
from typing import Mapping, Sequence

from torchdoctor.privacy import tilde

# Variables that change what torch sees or loads. Nothing else is reported.
ALLOWED_ENV = (
    "CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES", "HIP_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES",
    "HSA_OVERRIDE_GFX_VERSION", "ZE_AFFINITY_MASK", "CUDA_HOME", "CUDA_PATH", "CUDA_MODULE_LOADING",
    "CUDA_LAUNCH_BLOCKING", "PYTORCH_CUDA_ALLOC_CONF", "PYTORCH_HIP_ALLOC_CONF", "PYTORCH_ALLOC_CONF",
    "PYTORCH_NVML_BASED_CUDA_CHECK", "PYTORCH_ENABLE_MPS_FALLBACK", "PYTORCH_MPS_HIGH_WATERMARK_RATIO",
    "TORCH_CUDA_ARCH_LIST", "TORCH_USE_CUDA_DSA", "TORCH_HOME", "LD_LIBRARY_PATH", "LD_PRELOAD",
    "DYLD_LIBRARY_PATH", "PYTHONPATH", "CONDA_PREFIX", "CONDA_DEFAULT_ENV", "VIRTUAL_ENV",
)
_PATH_LISTS = ("LD_LIBRARY_PATH", "LD_PRELOAD", "DYLD_LIBRARY_PATH", "PYTHONPATH")
_PATHS = ("CUDA_HOME", "CUDA_PATH", "TORCH_HOME", "CONDA_PREFIX", "VIRTUAL_ENV")
DEVICE_GLOBS = ("nvidia*", "nvidia-caps/*", "kfd", "dri/*", "dxg", "accel/*")


def allowed_env(environ: Mapping[str, str]) -> dict[str, str]:
    out = {}
    for name in ALLOWED_ENV:
        if name not in environ:
            continue
        value = environ[name]
        if name in _PATH_LISTS:
            value = os.pathsep.join(tilde(p) or p for p in value.split(os.pathsep))
        elif name in _PATHS:
            value = tilde(value) or value
        out[name] = value
    return out


def device_nodes(dev: str = "/dev") -> tuple[str, ...]:
    """GPU device nodes present (/dev/nvidia0, /dev/kfd, /dev/dri/renderD128, /dev/dxg on WSL)."""
    if os.name == "nt":
        return ()
    found: set[str] = set()
    for pattern in DEVICE_GLOBS:
        try:
            found.update(glob.glob(os.path.join(dev, pattern)))
        except OSError:
            continue
    return tuple(sorted(found))


def _is_real_torch(entry: str) -> bool:
    """A folder that holds the installed torch: its dist-info, or a built `_C` extension."""
    try:
        names = os.listdir(entry)
    except OSError:
        return False
    if any(n.startswith(("torch-", "torch_")) and n.endswith((".dist-info", ".egg-info")) for n in names):
        return True
    try:
        return any(n.startswith("_C.") and n.endswith((".so", ".pyd")) for n in os.listdir(os.path.join(entry, "torch")))
    except OSError:
        return False


def find_shadowing(sys_path: Sequence[str]) -> tuple[str, ...]:
    """`torch.py` or a `torch/` package met on sys.path before the installed torch ("~" paths).

    sys_path is the target interpreter's, with the working directory first (the child
    runs with `-c`). Scanning stops at the folder that holds the real torch.
    """
    found: list[str] = []
    seen: set[str] = set()
    for entry in sys_path:
        entry = os.path.abspath(entry or os.curdir)
        if entry in seen or not os.path.isdir(entry):
            continue
        seen.add(entry)
        if _is_real_torch(entry):
            break
        for candidate in (os.path.join(entry, "torch.py"), os.path.join(entry, "torch", "__init__.py")):
            if os.path.isfile(candidate):
                shown = candidate if candidate.endswith("torch.py") else os.path.dirname(candidate) + os.sep
                found.append(tilde(shown) or shown)
    return tuple(found)
