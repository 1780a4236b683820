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


def node_line(document: dict[str, Any], node: str | None = None) -> str:
    """A report as one line for a fleet (`--json-line`): the document, with `node` after `schema` when labelled."""
    if node is not None:
        document = {"schema": document.get("schema"), "node": node,
                    **{k: v for k, v in document.items() if k not in ("schema", "node")}}
    return dumps(document, compact=True)
