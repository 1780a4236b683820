"""The one JSON writer: strict (a NaN or infinity becomes null, never a bare NaN that parsers refuse)."""

from __future__ import annotations

import json
from typing import Any

from torchdoctor.sanitize import strict_json


def dumps(data: Any, indent: int = 2, compact: bool = False) -> str:
    """A document as the CLI prints it; `compact`: one line (for a fleet's one-line-per-node output)."""
    if compact:
        return json.dumps(strict_json(data), separators=(",", ":"), default=str, allow_nan=False) + "\n"
    return json.dumps(strict_json(data), indent=indent, default=str, allow_nan=False) + "\n"
