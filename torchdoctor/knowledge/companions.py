"""Compiled companions (companions.json): the packages built against one torch, how their releases
follow it, which module loads their binary, and what a local version tag (+pt212cu130) says.

Read on first use: only an environment that has a companion needs it.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from torchdoctor.knowledge import _read_cached


@dataclass(frozen=True)
class Companion:
    name: str  # the normalised distribution name, "flash-attn"
    modules: tuple[str, ...]  # imported one at a time ("flash_attn_2_cuda" loads the binary)
    follows: str  # exact_pin | local_tag | build | range
    fix: str  # torch_index | pyg | rebuild | pypi
    gpu: bool  # a GPU-only package (no use on a CPU build of torch)
    source: tuple[str, ...]


@dataclass(frozen=True)
class TagSays:
    """What a local version tag names: the torch series it was built for (None: the tag does not say) and
    its variant ("cu121", "cpu", "rocm6.2")."""

    series: str | None
    variant: str | None


@functools.lru_cache(maxsize=1)
def companions() -> dict[str, Companion]:
    return {r["name"]: Companion(r["name"], tuple(r["modules"]), r["follows"], r["fix"], bool(r["gpu"]),
                                 tuple(r["source"]))
            for r in _read_cached("companions.json")["companions"]}


def companion(name: str) -> Companion | None:
    return companions().get(name)


@functools.lru_cache(maxsize=1)
def _patterns() -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(r["pattern"]) for r in _read_cached("companions.json")["tag_patterns"])


def read_tag(tag: str | None) -> TagSays | None:
    """'pt212cu130' -> (2.12, cu130); 'cu122torch2.4cxx11abiFALSE' -> (2.4, cu122); 'cu118' -> (None, cu118);
    None for a tag no pattern reads (a source checkout's 'git3f2a', say)."""
    if not tag:
        return None
    for pattern in _patterns():
        m = pattern.fullmatch(tag)
        if not m:
            continue
        groups = m.groupdict()
        series = groups.get("series")
        digits = groups.get("torch")
        if digits:
            series = f"{digits[0]}.{digits[1:]}"
        return TagSays(series, groups.get("variant"))
    return None
