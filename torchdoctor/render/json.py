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


def check_line_options(json_out: bool, json_line: bool, node_label: str | None) -> str | None:
    """--json / --json-line / --node-label together: the node's label (None: off); a clash is a UsageError."""
    from torchdoctor.errors import UsageError
    from torchdoctor.hostlist import node_label as resolve

    if json_out and json_line:
        raise UsageError("--json and --json-line: choose one (--json-line is the JSON on one line)")
    node = resolve(node_label)
    if node is not None and not (json_out or json_line):
        raise UsageError("--node-label labels the JSON report: add --json-line (or --json)")
    return node


def write_report(report: Any, stream: Any, json_line: bool, node: str | None) -> None:
    """The report's JSON: one line with --json-line, indented otherwise; `node` first after `schema`."""
    from torchdoctor.render.stream import write_safely

    doc = report.to_dict()
    if json_line:
        write_safely(stream, node_line(doc, node))
    else:
        write_safely(stream, dumps({"schema": doc.get("schema"), "node": node, **doc} if node is not None else doc))
