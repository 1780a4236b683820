"""What several operations share: the knowledge tables, the machine probes, the doctor's own distributions."""

from __future__ import annotations

import os
import time
from typing import Any

from torchdoctor.facts import Facts, ProbeNote


def knowledge() -> Any:
    """The tables, or None when they cannot be read (checks that need them then say they could not judge)."""
    try:
        from torchdoctor.knowledge import load

        return load()
    except Exception:  # noqa: BLE001
        return None


def machine() -> Facts:
    """The machine probes (platform, GPUs, drivers, container, ...); a failure is a probe note, never a raise."""
    started = time.monotonic()
    try:
        from torchdoctor.probes import gather_machine

        return gather_machine(timeout=5.0)
    except Exception as exc:  # noqa: BLE001
        return Facts(probes=(ProbeNote("machine", False, round(time.monotonic() - started, 4),
                                       f"{type(exc).__name__}: {exc}"),))


def own_distributions() -> tuple[Any, ProbeNote]:
    """The torch family installed for the doctor's own interpreter, read in-process."""
    started = time.monotonic()
    try:
        from torchdoctor.probes.torch_dist import gather_distributions

        found = gather_distributions()
        return found, ProbeNote("distributions", True, round(time.monotonic() - started, 4))
    except Exception as exc:  # noqa: BLE001
        return None, ProbeNote("distributions", False, round(time.monotonic() - started, 4),
                               f"{type(exc).__name__}: {exc}")


def shown_path(path: str | None) -> str | None:
    """An interpreter path as reports show it: absolute, home as ~."""
    from torchdoctor.privacy import tilde

    return tilde(os.path.abspath(path)) if path else path
