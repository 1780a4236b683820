"""`torchdoctor check --json`: schema 1, facts, findings, counts. Parses even when a check crashed
(a crashed check is just a finding with severity "crashed" and its traceback in "detail")."""

from __future__ import annotations

import json
from typing import Any, Sequence


def document(facts: Any, findings: Sequence[Any], exit_code: int, version: str, target: Any = None) -> dict[str, Any]:
    from torchdoctor.checks import counts

    return {
        "schema": 1,
        "tool": {"name": "torchdoctor", "version": version},
        "origin": facts.origin,
        # which interpreter was examined and why ({executable, reason, source}); null for --from
        "target": target.to_dict() if target is not None else None,
        "facts": facts.to_dict(),
        "findings": [f.to_dict() for f in findings],
        "counts": counts(findings),
        "exit_code": exit_code,
    }


def render(facts: Any, findings: Sequence[Any], exit_code: int, version: str, target: Any = None) -> str:
    return json.dumps(document(facts, findings, exit_code, version, target), indent=1, default=str) + "\n"
