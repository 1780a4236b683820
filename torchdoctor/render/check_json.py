"""`torchdoctor check --json`: schema 1, facts, findings, counts. Parses even when a check crashed
(a crashed check is just a finding with severity "crashed" and its traceback in "detail")."""

from __future__ import annotations

import json
from typing import Any, Sequence

from torchdoctor.privacy import mask_ids, private_tree
from torchdoctor.sanitize import strict_json

# Environment values that can hold GPU/MIG UUIDs (masked in every output, JSON included).
_DEVICE_LISTS = ("CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES", "HIP_VISIBLE_DEVICES")


def masked_facts(facts: Any) -> dict[str, Any]:
    """facts.to_dict() without device UUIDs: a report is pasted into public issues."""
    out = private_tree(facts.to_dict())  # a GPU name or error text that carries a UUID or a serial too
    env = out.get("env")
    if isinstance(env, dict):
        out["env"] = {k: mask_ids(v) if k in _DEVICE_LISTS and isinstance(v, str) else v
                      for k, v in env.items()}
    return out


def document(facts: Any, findings: Sequence[Any], exit_code: int, version: str, target: Any = None) -> dict[str, Any]:
    from torchdoctor.checks import counts

    return {
        "schema": 1,
        "tool": {"name": "torchdoctor", "version": version},
        "origin": facts.origin,
        # which interpreter was examined and why ({executable, reason, source}); null for --from
        "target": target.to_dict() if target is not None else None,
        "facts": masked_facts(facts),
        "findings": [f.to_dict() for f in findings],
        "counts": counts(findings),
        "exit_code": exit_code,
    }


def render(facts: Any, findings: Sequence[Any], exit_code: int, version: str, target: Any = None) -> str:
    # strict: a NaN copied from a report becomes null, never a bare NaN that JSON parsers refuse
    return json.dumps(strict_json(document(facts, findings, exit_code, version, target)), indent=1, default=str,
                      allow_nan=False) + "\n"
