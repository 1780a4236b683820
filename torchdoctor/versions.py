"""Version helpers shared by judges: driver strings and torch versions."""

from __future__ import annotations

import re

from packaging.version import InvalidVersion, Version

_DRIVER_RE = re.compile(r"^\d+(\.\d+){0,3}$")


def driver_key(driver: str) -> tuple[int, ...]:
    """'580.159.04' -> (580, 159, 4). Raises ValueError on anything else."""
    driver = driver.strip()
    if not _DRIVER_RE.match(driver):
        raise ValueError(f"not an NVIDIA driver version: {driver!r}")
    return tuple(int(p) for p in driver.split("."))


def is_driver_version(text: str) -> bool:
    return bool(_DRIVER_RE.match(text.strip()))


def torch_version(text: str) -> Version | None:
    """'2.7.1+cu128' -> Version('2.7.1+cu128'); None if unparseable."""
    try:
        return Version(text.strip())
    except InvalidVersion:
        return None


def local_variant(text: str) -> str | None:
    """'2.7.1+cu128' -> 'cu128'; '2.13.0' -> None."""
    v = torch_version(text)
    return v.local if v is not None and v.local else None


def series(text: str) -> str | None:
    """'2.7.1+cu128' -> '2.7'."""
    v = torch_version(text)
    return f"{v.major}.{v.minor}" if v is not None else None
