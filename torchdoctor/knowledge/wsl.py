"""WSL knowledge (wsl.json): the first WSL 2 kernel with GPU compute.

Read on first use: only `wsl.gpu` needs it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from torchdoctor.knowledge import _read_cached


@dataclass(frozen=True)
class KernelFloor:
    version: tuple[int, ...]  # (5, 10, 43, 3): compare with a kernel release's leading numbers
    source: tuple[str, ...]

    def __str__(self) -> str:
        return ".".join(str(part) for part in self.version)


@functools.lru_cache(maxsize=1)
def gpu_kernel_floor() -> KernelFloor:
    """The oldest WSL 2 kernel with GPU compute: 5.10.43.3 (Microsoft's WSL GPU guides)."""
    row = _read_cached("wsl.json")["gpu_compute_kernel"]
    return KernelFloor(tuple(int(part) for part in row["min"].split(".")), tuple(row["source"]))
