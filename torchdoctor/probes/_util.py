"""Small helpers shared by the probes: reading files that may not exist, timing, "~" paths."""

from __future__ import annotations

import time
from pathlib import Path

from torchdoctor.privacy import tilde  # noqa: F401 - re-exported for the probes


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


class Stopwatch:
    def __init__(self) -> None:
        self.start = time.monotonic()

    @property
    def seconds(self) -> float:
        return round(time.monotonic() - self.start, 4)
