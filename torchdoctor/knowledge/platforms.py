"""Platform names (platforms.json): an OS or CPU architecture as tools and people write it -> the
doctor's own name, the wheel-tag words that fit it, and conda's platform subdirs.

One table for every consumer: the platform probe, `suggest --os/--arch`, the planner, the
wheel check and the paste readers.
"""

from __future__ import annotations

import functools
import json
import os.path
from typing import Any


@functools.lru_cache(maxsize=1)
def _table() -> dict[str, Any]:
    with open(os.path.join(os.path.dirname(__file__), "platforms.json"), encoding="utf-8") as fh:
        return json.load(fh)


def os_name(text: str | None) -> str | None:
    """"Darwin" / "win" / "MINGW64_NT-10.0" -> "macos" / "windows" / "windows"; None when not an OS we know."""
    low = (text or "").strip().lower()
    table = _table()["os"]
    if low in table["aliases"]:
        return table["aliases"][low]
    return next((name for prefix, name in table["prefixes"].items() if low.startswith(prefix)), None)


def arch_name(text: str | None, os: str | None = None) -> str | None:
    """"AMD64" -> "x86_64"; "arm64" -> "aarch64" on Linux, "arm64" on macOS/Windows; None when unknown."""
    low = (text or "").strip().lower()
    table = _table()["arch"]
    arch = table["aliases"].get(low)
    if arch is None:
        return None
    return table["per_os"].get(os or "", {}).get(arch, arch)


def wheel_os_words(os: str) -> tuple[str, ...]:
    """The words a wheel's platform tag holds for this OS ("manylinux_2_28_x86_64" holds "linux")."""
    return tuple(_table()["wheel_tag_words"]["os"].get(os, (os,)))


def wheel_arch_endings(arch: str) -> tuple[str, ...]:
    """How a wheel's platform tag ends for this arch ("win_amd64" ends with "amd64")."""
    return tuple(_table()["wheel_tag_words"]["arch_endings"].get(arch, (arch,)))


def conda_subdir(name: str) -> tuple[str, str] | None:
    """"osx-arm64" -> ("macos", "arm64"); None for a subdir we do not know (noarch)."""
    row = _table()["conda_subdirs"]["rows"].get(name)
    return (row[0], row[1]) if row else None
