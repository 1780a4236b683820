"""Fleet knowledge (fleet.json): all-reduce bus bandwidth floors per GPU type, and the slow-node share.

Read on first use: only `fleet report` needs it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from torchdoctor.knowledge import _read_cached


@dataclass(frozen=True)
class BusbwFloor:
    name: str  # "8xH100"
    gpu_names: tuple[str, ...]  # the exact names nvidia-smi / torch give ("NVIDIA H100 80GB HBM3")
    gpus: int  # how many on one node
    busbw_gbps: float
    min_bytes: int  # the message size the floor was measured at; smaller runs are not compared
    source: tuple[str, ...] = ()


@functools.lru_cache(maxsize=1)
def busbw_floors() -> tuple[BusbwFloor, ...]:
    return tuple(BusbwFloor(r["name"], tuple(r["gpu_names"]), int(r["gpus"]), float(r["busbw_gbps"]),
                            int(r["min_bytes"]), tuple(r["source"]))
                 for r in _read_cached("fleet.json")["busbw_floors"])


def slow_fraction() -> float:
    """A node below this share of its group's median smoke throughput is slow (0.8)."""
    return int(_read_cached("fleet.json")["slow_below_percent"]) / 100.0
