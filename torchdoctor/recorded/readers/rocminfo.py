"""`rocminfo` excerpts: each GPU agent's gfx target ("Name: gfx1030") and marketing name."""

from __future__ import annotations

import re

from torchdoctor.facts import Gpu
from torchdoctor.recorded.evidence import Evidence
from torchdoctor.recorded.paste import Paste

READER = "rocminfo"
_NAME = re.compile(r"^\s*Name:\s+(gfx[0-9a-f]{3,4})\s*$")
_MARKETING = re.compile(r"^\s*Marketing Name:\s+(.+?)\s*$")


def read(paste: Paste) -> list[Evidence]:
    lines = paste.lines
    gpus: list[Gpu] = []
    first = None
    for i, line in enumerate(lines):
        if "gfx" not in line:
            continue
        m = _NAME.match(line)
        if not m:
            continue
        name = None
        for nxt in lines[i + 1: i + 6]:
            mk = _MARKETING.match(nxt)
            if mk:
                name = mk.group(1)
                break
        if any(g.gfx == m.group(1) and g.name == name for g in gpus) and len(gpus) >= 16:
            continue
        gpus.append(Gpu(vendor="amd", name=name, gfx=m.group(1), source="rocminfo"))
        first = i if first is None else first
    if not gpus:
        loaded = next((i for i, line in enumerate(lines) if line.strip() == "ROCk module is loaded"), None)
        # a rocminfo cut before its GPU agents: the amdgpu driver is loaded, the GPUs are not shown
        return [] if loaded is None else [Evidence("report.rocm_module_loaded", True, READER, loaded + 1,
                                                   lines[loaded])]
    return [Evidence("gpus", tuple(gpus), READER, first + 1, lines[first])]
