"""`lshw -C display` blocks and /proc/driver/nvidia/version ("NVRM version: ... Kernel Module  470.223.02").

lshw names the GPU as pci.ids does ("GP107 [GeForce GTX 1050 Ti]", "DG2 [Arc A770]") with its vendor
and the kernel driver bound to it; the NVRM line is the loaded kernel module's version: the driver.
"""

from __future__ import annotations

import re

from torchdoctor.facts import Gpu
from torchdoctor.recorded.evidence import Evidence
from torchdoctor.recorded.readers._common import gpu_from_name
from torchdoctor.recorded.paste import Paste
from torchdoctor.versions import is_driver_version

READER = "lshw"
_PRODUCT = re.compile(r"^\s*product:\s*(.+?)\s*$")
_VENDOR = re.compile(r"^\s*vendor:\s*(.+?)\s*$")
_NVRM = re.compile(r"NVRM version:.*?Kernel Module\s+(\d{3}\.\d+(?:\.\d+)?)")
_VENDORS = {"nvidia": "nvidia", "advanced micro devices": "amd", "amd": "amd", "ati": "amd", "intel": "intel"}


def read(paste: Paste) -> list[Evidence]:
    lines = paste.lines
    out: list[Evidence] = []
    gpus: list[tuple[int, Gpu]] = []
    for i in paste.candidates(("*-display", "nvrm version")):
        line = lines[i]
        m = _NVRM.search(line)
        if m and is_driver_version(m.group(1)):
            out += [Evidence("nvidia.driver", m.group(1), READER, i + 1, line),
                    Evidence("nvidia.kernel_module", m.group(1), READER, i + 1, line),
                    Evidence("nvidia.source", "procfs", READER, i + 1, line)]
            continue
        if "*-display" not in line:
            continue
        product = vendor = None
        for nxt in lines[i + 1: i + 16]:
            p, v = _PRODUCT.match(nxt), _VENDOR.match(nxt)
            product = product or (p.group(1) if p else None)
            vendor = vendor or (v.group(1) if v else None)
            if "*-" in nxt:
                break
        if not product:
            continue
        kind = next((k for word, k in _VENDORS.items() if vendor and vendor.lower().startswith(word)), None)
        g = gpu_from_name(product, "lshw")
        if kind is not None:
            g = Gpu(vendor=kind, name=product, gfx=g.gfx if g else None, source="lshw")
        if g is not None:
            gpus.append((i, g))
    if gpus:
        out.append(Evidence("gpus", tuple(g for _, g in gpus), READER, gpus[0][0] + 1, lines[gpus[0][0]]))
    return out
