"""Small helpers shared by the probes: reading files that may not exist, timing, "~" paths."""

from __future__ import annotations

import os
import time
from pathlib import Path


def read_text(path: Path, limit: int = 1 << 20) -> str | None:
    """The file's text, or None when it is missing or unreadable (probes never raise)."""
    try:
        with open(path, "rb") as fh:
            return fh.read(limit).decode("utf-8", errors="replace")
    except (OSError, ValueError):
        return None


def under(root: Path, absolute: str) -> Path:
    """`absolute` ("/sys/module/nvidia/version") inside `root`, so tests can fake a filesystem."""
    return root / absolute.lstrip("/")


def tilde(path: str | None, home: str | None = None) -> str | None:
    """Show a path under the home directory as "~/..." (privacy: no user names in reports)."""
    if not path:
        return path
    home = home if home is not None else os.path.expanduser("~")
    if not home or home in ("/", "~"):
        return path
    home = home.rstrip("/\\")
    if path == home:
        return "~"
    for sep in ("/", "\\"):
        if path.startswith(home + sep):
            return "~" + sep + path[len(home) + 1 :]
    return path


class Stopwatch:
    def __init__(self) -> None:
        self.start = time.monotonic()

    @property
    def seconds(self) -> float:
        return round(time.monotonic() - self.start, 4)
