"""Hard limits on what the user may ask for, checked before anything runs (UsageError, exit 2).

A deadline must be a real number of seconds: `inf` or `1e300` would overflow the timers below
(an exit 3 that left smoke's child or torchrun running). Local ranks are processes with torch
loaded, so their number is bounded: one per GPU for CUDA, one per CPU core (at most 64) for gloo
on the CPU. A seed is what torch.Generator.manual_seed accepts (a 64-bit integer).
"""

from __future__ import annotations

import math
import os

from torchdoctor.errors import UsageError

TIMEOUT_MIN, TIMEOUT_MAX = 1.0, 3600.0
CPU_RANKS_MAX = 64
SEED_MIN, SEED_MAX = -(2 ** 63), 2 ** 63 - 1


def check_timeout(value: float, flag: str = "--timeout") -> float:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise UsageError(f"{flag} must be a positive number of seconds, not {value!r}") from None
    if not (math.isfinite(seconds) and TIMEOUT_MIN <= seconds <= TIMEOUT_MAX):
        raise UsageError(f"{flag} {value:g}: must be a positive number of seconds from {TIMEOUT_MIN:g} to "
                         f"{TIMEOUT_MAX:g}")
    return seconds


def check_seed(value: int) -> int:
    if not SEED_MIN <= value <= SEED_MAX:
        raise UsageError(f"--seed {str(value)[:40]}: must be a 64-bit integer "
                         f"({SEED_MIN} to {SEED_MAX}), as torch's random generator takes")
    return value


def cpu_ranks_max() -> int:
    """One gloo rank per CPU core, at most 64 (and never fewer than the default 2)."""
    return max(2, min(CPU_RANKS_MAX, os.cpu_count() or 2))


def check_nproc(nproc: int, device: str, gpus: int | None = None) -> int:
    """--nproc within the machine: the visible GPUs for CUDA, cpu_ranks_max() on the CPU."""
    if nproc < 1:
        raise UsageError(f"--nproc {nproc}: at least one rank is needed")
    if device == "cuda" and gpus is not None and nproc > gpus:
        raise UsageError(f"--nproc {nproc} needs {nproc} GPUs, but {gpus} are visible (one rank per GPU)")
    if device == "cpu" and nproc > cpu_ranks_max():
        raise UsageError(f"--nproc {nproc}: at most {cpu_ranks_max()} CPU ranks here (one per CPU core, "
                         f"at most {CPU_RANKS_MAX})")
    if nproc > max(CPU_RANKS_MAX, cpu_ranks_max()):
        raise UsageError(f"--nproc {nproc}: at most {CPU_RANKS_MAX} local ranks")
    return nproc
