"""What a command was asked to do: one frozen request per command, validated once.

The CLI (commands/*) and the Python API (api.py) both build these with `X.build(...)`; the operations
(operations/*) take them. A new option touches the request, the CLI option and the API parameter,
nothing else. One module per command, loaded on first use (`suggest` builds only its own request
classes); the names are importable from here too. A bad value is a UsageError (exit 2 on the CLI,
ValueError in the API) with one line.
Presentation (--json, --format human|markdown, -v, --plot) is not part of a request: it is the edge's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from torchdoctor.shell import check_arg

DEFAULT_INDEX_BASE = "https://download.pytorch.org/whl"
PLAN_FORMATS = ("pip", "uv", "requirements")
COMPANIONS = ("torchvision", "torchaudio")
EPOCHS_MAX = 1_000_000


@dataclass(frozen=True)
class PlanRequest:
    """What the planner is asked for: a torch release (or the newest that fits), companions, the format."""

    torch: str | None = None  # "2.7", "2.7.1", "2.7.1+cu118"
    with_: tuple[str, ...] = ()  # companions: "torchvision", "torchaudio"
    fmt: str = "pip"
    index_base: str = DEFAULT_INDEX_BASE
    mirror: str | None = None  # a mirrors.json name (--mirror / TORCHDOCTOR_MIRROR): its layout decides the command


def python_option(python: str | None) -> str | None:
    """--python: a path with a newline or NUL cannot be shown in one line or put into a fix command."""
    if python is not None:
        check_arg(python, "--python")
    return python


_WHERE = {
    "CheckRequest": "check",
    "Description": "suggest",
    "SuggestRequest": "suggest",
    "plan_request": "suggest",
    "describe": "suggest",
    "parse_gpu": "suggest",
    "DeviceRequest": "smoke",
    "parse_device": "smoke",
    "SmokeRequest": "smoke",
    "DISTRIBUTED_DEVICES": "distributed",
    "BACKENDS": "distributed",
    "Nodes": "distributed",
    "DistributedRequest": "distributed",
    "distributed_options": "distributed",
    "split_endpoint": "distributed",
    "InstallRequest": "install",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(f"torchdoctor.requests.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'torchdoctor.requests' has no attribute {name!r}")
