"""ROCm knowledge (rocm.json): the HSA_OVERRIDE_GFX_VERSION workaround per gfx family, and how an
override value names the target ROCm then loads.

Read on first use: only `rocm.gfx_unsupported` needs it.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Collection

from torchdoctor.knowledge import _read_cached


@dataclass(frozen=True)
class GfxOverride:
    family: str  # "gfx103": the gfx targets (by prefix) it applies to
    value: str  # "10.3.0": what to export as HSA_OVERRIDE_GFX_VERSION
    target: str  # "gfx1030": what ROCm then loads instead
    source: tuple[str, ...]
    note: str | None = None


@functools.lru_cache(maxsize=1)
def gfx_overrides() -> tuple[GfxOverride, ...]:
    """Every row of the table, in its order."""
    return tuple(GfxOverride(r["family"], r["value"], r["target"], tuple(r["source"]), r.get("note"))
                 for r in _read_cached("rocm.json")["gfx_overrides"])


def gfx_override(gfx: str, targets: Collection[str] | None = None) -> GfxOverride | None:
    """The usual override for a GPU ('gfx1031' -> 10.3.0, run as gfx1030); None when the table has none.

    With `targets` (a build's gfx list, bare names), only an override whose target the build has."""
    return next((o for o in gfx_overrides()
                 if gfx.startswith(o.family) and (targets is None or o.target in targets)), None)


def override_target(value: str | None) -> str | None:
    """HSA_OVERRIDE_GFX_VERSION "10.3.0" -> "gfx1030" ("9.0.10" -> "gfx90a"): the target ROCm loads.

    The value is major.minor.stepping; a target name writes minor and stepping as one hex digit each
    (LLVM's processor names), so stepping 10 is the "a" of gfx90a. None when the value is not of that form."""
    m = re.fullmatch(r"\s*(\d+)\.(\d+)\.(\d+)\s*", value or "")
    return f"gfx{int(m.group(1))}{int(m.group(2)):x}{int(m.group(3)):x}" if m else None
