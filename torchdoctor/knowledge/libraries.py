"""Native libraries (libraries.json): the pip wheel a CUDA library file comes from, and the library an
undefined symbol belongs to.

Read on first use: only a failed `import torch` needs it.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from torchdoctor.knowledge import _read_cached


@dataclass(frozen=True)
class SymbolLibrary:
    library: str  # "NCCL": the name to print
    wheel: str | None  # "nvidia-nccl" (without -cuXX); None where no pip wheel ships it (MKL)
    source: tuple[str, ...]


@functools.lru_cache(maxsize=1)
def cuda_wheels() -> tuple[tuple[str, str], ...]:
    """(file-name prefix, wheel) in table order: the first prefix a file name starts with decides."""
    return tuple((r["prefix"], r["wheel"]) for r in _read_cached("libraries.json")["cuda_wheels"])


def wheel_for_library(filename: str) -> str | None:
    """'libcudnn.so.9' -> 'nvidia-cudnn', 'libcusparseLt.so.0' -> 'nvidia-cusparselt'; None when no
    CUDA wheel of the table ships it (the driver's libcuda.so is not a wheel's)."""
    return next((wheel for prefix, wheel in cuda_wheels() if filename.startswith(prefix)), None)


@functools.lru_cache(maxsize=1)
def _symbol_rows() -> tuple[tuple[re.Pattern[str], SymbolLibrary], ...]:
    return tuple((re.compile(r["pattern"]), SymbolLibrary(r["library"], r["wheel"], tuple(r["source"])))
                 for r in _read_cached("libraries.json")["symbol_libraries"])


def library_of_symbol(text: str) -> SymbolLibrary | None:
    """'ncclCommInitRankConfig' / 'version libcublas.so.12' -> NCCL / cuBLAS; None when no row matches."""
    return next((lib for pattern, lib in _symbol_rows() if pattern.search(text)), None)
