"""Small pieces several readers share: a GPU from its printed name, torch facts from a version string."""

from __future__ import annotations

import re

from torchdoctor.facts import Gpu
from torchdoctor.recorded.evidence import Evidence, excerpt

_AMD = re.compile(r"\b(AMD|Radeon|Instinct|gfx\d{3,4}[a-z]?)\b", re.I)
_INTEL = re.compile(r"\b(Intel|Arc|Iris|UHD Graphics|HD Graphics)\b", re.I)
_APPLE = re.compile(r"^\s*Apple\s+M\d", re.I)
_NVIDIA = re.compile(r"\b(NVIDIA|GeForce|Quadro|Tesla|TITAN|RTX|GTX|Jetson|[AHBLV]\d{2,3}[A-Z]?\b|A\d{4}\b|T4\b|P100|P40|K80|DGX|GB\d{3})", re.I)
_GFX = re.compile(r"\b(gfx[0-9a-f]{3,4})\b")
_MIB = re.compile(r"(\d+)\s*MiB", re.I)


def gpu_from_name(name: str, source: str) -> Gpu | None:
    """"NVIDIA GeForce RTX 3090" -> Gpu(vendor="nvidia", ...); the vendor from the name, None if it names none.

    The capability is not looked up here: the merge step asks the GPU table, once, for every reader."""
    name = re.sub(r"\s*\(UUID:[^)]*\)", "", name).strip().strip("'\"`*").strip()
    if not name or len(name) > 120:
        return None
    memory = _MIB.search(name)
    gfx = _GFX.search(name)
    clean = re.sub(r"\s*[,(]\s*\d+\s*MiB\)?", "", name)
    clean = re.sub(r"\s*\(gfx[^)]*\)", "", clean).strip(" ,")
    if _APPLE.search(clean):
        vendor = "apple"
    elif _AMD.search(name):
        vendor = "amd"
    elif _INTEL.search(clean) and not re.search(r"NVIDIA|GeForce", clean, re.I):
        vendor = "intel"
    elif _NVIDIA.search(clean):
        vendor = "nvidia"
    else:
        return None
    return Gpu(vendor=vendor, name=clean or None, gfx=gfx.group(1) if gfx else None,
               memory_mib=int(memory.group(1)) if memory else None, source=source)


_TAG = re.compile(r"^(\d+\.\d+(?:\.\d+)?(?:[a-z]+\d*)?(?:\.dev\d+|\.post\d+)?)(?:\+([\w.]+))?$", re.I)


def torch_from_version(version: str, reader: str, line: int, text: str, macos: bool = False,
                       cuda_available: bool | None = None) -> list[Evidence]:
    """Evidence of a torch that imported, from its __version__ ("2.1.0+cu121").

    torch.version.cuda is read from the local tag; without a tag the build is unknown
    (conda and source builds print none), so no runtime is claimed, only the version
    ("report.torch_version"), unless it is a Mac, where every build is the CPU/MPS one."""
    m = _TAG.match(version.strip())
    if not m:
        return []
    tag = (m.group(2) or "").lower()
    ex = excerpt(text)
    out = [Evidence("report.torch_version", version.strip(), reader, line, ex)]
    cuda = hip = None
    if tag.startswith("cu") and tag[2:].isdigit() and len(tag) >= 4:
        cuda = f"{int(tag[2:-1])}.{tag[-1]}"
    elif tag.startswith("rocm"):
        hip = tag[4:] or None
        if hip is None:
            return out
    elif tag != "cpu" and not macos:
        return out
    out += [Evidence("runtime.status", "ok", reader, line, ex), Evidence("runtime.version", version.strip(), reader, line, ex),
            Evidence("runtime.cuda", cuda, reader, line, ex), Evidence("runtime.hip", hip, reader, line, ex)]
    if cuda_available is not None:
        out.append(Evidence("runtime.cuda_available", cuda_available, reader, line, ex))
    return out


def bool_word(text: str) -> bool | None:
    v = text.strip().strip("`*'\"").lower()
    if v in ("true", "yes", "y", "1"):
        return True
    if v in ("false", "no", "n", "0"):
        return False
    return None
