"""Toolchain knowledge (toolchain.json): what torch.compile and extension builds need around torch.

Read on first use: only the compile.* and build.* checks need it.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from torchdoctor.knowledge import _read_cached


def _key(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", text)[:2])


@functools.lru_cache(maxsize=1)
def table() -> dict[str, Any]:
    return _read_cached("toolchain.json")


def dynamo_floor(python: str) -> dict[str, Any] | None:
    """The row for this Python minor ("3.12.4" -> the 3.12 row: min_torch 2.4), or None (no floor known:
    an older Python, or one newer than the table, which says nothing rather than guess)."""
    series = _key(python)
    for row in table()["dynamo_python"]:
        if _key(row["python"]) == series:
            return row
    return None


def windows_compile() -> dict[str, Any]:
    return table()["windows_compile"]


def triton_windows_minor(torch_series: str) -> str | None:
    """The triton-windows minor a torch minor is guaranteed to work with ("2.8" -> "3.4"); None: unknown."""
    for row in table()["triton_windows"]:
        if _key(row["torch"]) == _key(torch_series):
            return row["triton"]
    return None


def triton_min_cc() -> tuple[int, int]:
    major, minor = _key(table()["triton_min_cc"]["cc"])
    return major, minor


def gcc_max(cuda: str) -> int | None:
    """The newest gcc major nvcc of this CUDA release accepts ("12.4" -> 13); None: not in the table."""
    key = _key(cuda)
    for row in table()["nvcc_gcc_max"]:
        if _key(row["from"]) <= key <= _key(row["to"]):
            return int(row["gcc_max"])
    return None


def shm_min_mib() -> int:
    return int(table()["shm_min_mib"]["mib"])


def sources(*keys: str) -> tuple[str, ...]:
    own = table().get("sources", {})
    return tuple(own.get(k, k) for k in keys)
