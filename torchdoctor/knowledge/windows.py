"""Windows knowledge (windows.json): where the Visual C++ Redistributable comes from.

Read on first use: only a failed `import torch` on Windows needs it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from torchdoctor.knowledge import _read_cached


@dataclass(frozen=True)
class VcRedist:
    url: str  # "https://aka.ms/vc14/vc_redist.x64.exe": the latest x64 redistributable
    winget_id: str  # "Microsoft.VCRedist.2015+.x64": `winget install <id>`
    arch: str  # "x64"
    source: tuple[str, ...]


@functools.lru_cache(maxsize=1)
def vc_redist() -> VcRedist:
    row = _read_cached("windows.json")["vc_redist"]
    return VcRedist(row["url"], row["winget_id"], row["arch"], tuple(row["source"]))
