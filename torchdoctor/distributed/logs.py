"""Read what torch's launcher and the ranks printed (pure: text in, facts out).

torchrun ends a failed run with a ChildFailedError block naming each failed rank, its exit
code and the "Root Cause (first observed failure)"; NCCL prints `NCCL WARN ...` lines
(NCCL_DEBUG=WARN); c10d prints rendezvous errors followed by C++ stack dumps, which we drop.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_RANK = re.compile(r"^\s*rank\s*:\s*(\d+)(?:\s*\(local_rank:\s*(\d+)\))?")
_EXIT = re.compile(r"^\s*exitcode\s*:\s*(-?\d+)")
_NCCL_WARN = re.compile(r"NCCL WARN\s*(.*)$")
# Lines that say the group could not form (c10d store / rendezvous), as torch words them.
_RENDEZVOUS = (
    "DistNetworkError", "DistStoreError", "RendezvousTimeoutError", "RendezvousConnectionError",
    "client socket has timed out", "failed to connect", "Connection refused",
    "Timed out after", "timed out initializing",
)
_NOISE = (
    "frame #", "Exception raised from", "<omitting python frames>",
    "Setting OMP_NUM_THREADS", "*****************************************",
)


@dataclass(frozen=True)
class RankExit:
    rank: int
    local_rank: int | None
    exitcode: int
    root_cause: bool  # torchrun's "first observed failure"


@dataclass(frozen=True)
class LauncherLog:
    exits: tuple[RankExit, ...] = ()
    nccl_warnings: tuple[str, ...] = ()
    rendezvous_errors: tuple[str, ...] = ()
    tail: tuple[str, ...] = field(default=())  # the last meaningful lines, stack dumps removed


def parse(text: str, tail_lines: int = 8) -> LauncherLog:
    exits: list[RankExit] = []
    nccl: list[str] = []
    rdzv: list[str] = []
    meaningful: list[str] = []
    in_root = False
    pending: tuple[int, int | None] | None = None
    for raw in (text or "").splitlines():
        line = raw.rstrip()
        if "Root Cause" in line:
            in_root = True
        m = _RANK.match(line)
        if m:
            pending = (int(m.group(1)), int(m.group(2)) if m.group(2) else None)
            continue
        m = _EXIT.match(line)
        if m and pending is not None:
            exits.append(RankExit(pending[0], pending[1], int(m.group(1)), in_root))
            pending = None
            continue
        m = _NCCL_WARN.search(line)
        if m:
            _add_once(nccl, m.group(1).strip())
        if any(key in line for key in _RENDEZVOUS) and "frame #" not in line:
            _add_once(rdzv, _strip_log_prefix(line))
        if line.strip() and not any(noise in line for noise in _NOISE):
            meaningful.append(_strip_log_prefix(line))
    return LauncherLog(tuple(exits), tuple(nccl[:20]), tuple(rdzv[:10]), tuple(meaningful[-tail_lines:]))


def _add_once(items: list[str], text: str) -> None:
    if text and text not in items:
        items.append(text)


_PREFIX = re.compile(r"^\[?[EWIF]\d{4} [\d:.]+ (?:\d+ )?\S+\]\s*")


def _strip_log_prefix(line: str) -> str:
    """Drop glog's `E1127 13:30:38.750074 socket.cpp:1028]` prefix: the message is what matters."""
    return _PREFIX.sub("", line.strip())[:400]
