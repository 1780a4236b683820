"""`smoke`'s request: which devices, how long."""

from __future__ import annotations

import re
from dataclasses import dataclass

from torchdoctor.errors import UsageError
from torchdoctor.limits import check_seed, check_timeout
from torchdoctor.requests import EPOCHS_MAX, python_option

_DEVICE = re.compile(r"^(all|cpu|mps|cuda|xpu)(?::(\d+))?$")


@dataclass(frozen=True)
class DeviceRequest:
    text: str  # as typed, normalised ("cuda:1")
    kind: str  # "all" | "cpu" | "cuda" | "mps" | "xpu"
    index: int | None  # None: every device of that kind


def parse_device(text: str) -> DeviceRequest:
    """`--device` value -> DeviceRequest; anything unknown is a UsageError (exit 2)."""
    norm = (text or "").strip().lower()
    m = _DEVICE.match(norm)
    if not m or (m.group(2) is not None and m.group(1) in ("all", "cpu", "mps")):
        raise UsageError(f"unknown device {text!r}: use cpu, cuda, cuda:N, mps, xpu, xpu:N or all")
    index = int(m.group(2)) if m.group(2) is not None else None
    return DeviceRequest(norm, m.group(1), index)


@dataclass(frozen=True)
class SmokeRequest:
    device: DeviceRequest
    epochs: int = 100
    seed: int = 0
    timeout: float = 120.0  # seconds per device
    python: str | None = None
    search: bool = True
    compile: bool = False  # --compile: also prove torch.compile on each device (its own child and deadline)
    compile_timeout: float = 180.0  # --compile-timeout: seconds for that child (first compiles are slow)

    @classmethod
    def build(cls, device: str = "all", epochs: int = 100, seed: int = 0, timeout: float = 120.0,
              python: str | None = None, search: bool = True, compile: bool = False,
              compile_timeout: float = 180.0) -> "SmokeRequest":
        parsed = parse_device(device)
        if epochs < 1 or epochs > EPOCHS_MAX:
            raise UsageError(f"--epochs must be between 1 and {EPOCHS_MAX}, not {epochs}")
        return cls(parsed, epochs, check_seed(seed), check_timeout(timeout), python_option(python), search,
                   bool(compile), check_timeout(compile_timeout, "--compile-timeout"))
