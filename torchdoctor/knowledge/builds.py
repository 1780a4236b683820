"""Which devices PyTorch's builds reach (builds.json): Jetson boards, the XPU hardware list, retired variants.

Read on first use: only the planner needs it, and only for a Jetson, an Intel GPU or a retired variant.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from torchdoctor.knowledge import _read_cached


def _cc(text: str) -> tuple[int, int]:
    major, minor = text.split(".")
    return int(major), int(minor)


@dataclass(frozen=True)
class Jetson:
    capabilities: frozenset[tuple[int, int]]  # L4T boards: the SBSA aarch64 wheels do not run there
    name_words: tuple[str, ...]  # a GPU name with one of these is a Jetson board
    sbsa_capabilities: frozenset[tuple[int, int]]  # Jetson boards that do run the SBSA wheels (Thor)


@dataclass(frozen=True)
class RetiredVariant:
    variant: str  # "cu126"
    family: str  # "CUDA 12.x"
    last_series: str  # "2.14": the last release with it
    below_cc: tuple[int, int]  # GPUs under this compute capability had kernels only in it
    kernels: str  # "Maxwell/Pascal/Volta"


@functools.cache
def jetson() -> Jetson:
    row = _read_cached("builds.json")["jetson"]
    return Jetson(frozenset(_cc(c) for c in row["capabilities"]), tuple(row["name_words"]),
                  frozenset(_cc(c) for c in row["sbsa_capabilities"]))


@functools.cache
def xpu_os() -> dict[str | None, tuple[str, ...]]:
    """Intel GPU class (Gpu.kind; None = not known) -> the OSes PyTorch's XPU build supports it on."""
    return {row["kind"]: tuple(row["os"]) for row in _read_cached("builds.json")["xpu_os"]["rows"]}


@functools.cache
def retired_variants() -> tuple[RetiredVariant, ...]:
    return tuple(RetiredVariant(r["variant"], r["family"], r["last_series"], _cc(r["below_cc"]), r["kernels"])
                 for r in _read_cached("builds.json")["retired_variants"])
