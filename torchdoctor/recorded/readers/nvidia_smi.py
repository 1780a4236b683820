"""`nvidia-smi` (the table) and `nvidia-smi -L`: the driver, the driver's CUDA, the GPUs.

The table's header is "| NVIDIA-SMI 535.129.03   Driver Version: 535.129.03   CUDA Version: 12.2 |"
(its "CUDA Version" is the newest CUDA the driver runs, not anything installed); each GPU row
starts "|   0  NVIDIA GeForce RTX 3090     Off |" (drivers before ~510 cut long names to
"NVIDIA GeForce ..."; those rows are kept, ranked below any source with whole names).
"""

from __future__ import annotations

import re

from torchdoctor.recorded.evidence import Evidence
from torchdoctor.recorded.readers._common import gpu_from_name
from torchdoctor.recorded.paste import Paste
from torchdoctor.versions import is_driver_version

READER = "nvidia_smi"
_HEADER = re.compile(r"NVIDIA-SMI\s+([\d.]+)\s+Driver Version:\s*([\d.]+)(?:\s+CUDA Version:\s*([\d.]+|N/A))?", re.I)
_ROW = re.compile(r"^\|\s+(\d{1,2})\s+(.+?)\s+(On|Off|WDDM|TCC)\s+\|")
_MEMORY = re.compile(r"\|\s*\d+MiB\s*/\s*(\d+)MiB\s*\|")
_LIST = re.compile(r"^\s*GPU (\d{1,2}): (.+?)\s*\(UUID:")


def read(paste: Paste) -> list[Evidence]:
    lines = paste.lines
    out: list[Evidence] = []
    table: list = []
    listed: list = []
    header_at = None
    for i, line in enumerate(lines):
        m = _HEADER.search(line)
        if m:
            if header_at is not None:
                break  # a second nvidia-smi (another machine, or later): the first one is read
            header_at = i
            driver = m.group(2)
            if is_driver_version(driver):
                out += [Evidence("nvidia.driver", driver, READER, i + 1, line),
                        Evidence("nvidia.source", "nvidia-smi", READER, i + 1, line)]
            if m.group(3) and m.group(3) != "N/A":
                out.append(Evidence("nvidia.cuda_driver", m.group(3), READER, i + 1, line))
            continue
        if header_at is not None:
            r = _ROW.match(line)
            if r:
                nxt = lines[i + 1] if i + 1 < len(lines) else ""
                mem = _MEMORY.search(nxt)
                name = r.group(2).strip()
                g = gpu_from_name(name, "nvidia-smi")
                if g is not None:
                    table.append((i, g if not mem else g.__class__(**{**g.__dict__, "memory_mib": int(mem.group(1))})))
        m = _LIST.match(line)
        if m:
            g = gpu_from_name(m.group(2), "nvidia-smi")
            if g is not None:
                listed.append((i, g))
    if listed:
        out.append(Evidence("gpus", tuple(g for _, g in listed), READER, listed[0][0] + 1, lines[listed[0][0]]))
    elif table:
        cut = any((g.name or "").endswith("...") for _, g in table)
        out.append(Evidence("gpus", tuple(g for _, g in table), "nvidia_smi_truncated" if cut else READER,
                            table[0][0] + 1, lines[table[0][0]]))
    return out
