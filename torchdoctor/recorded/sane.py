"""A recorded machine's values of the right type but no meaning (`python.version: "three"`, a
5,000-digit version) are refused before any check sees them: one line, exit 2, never a crash."""

from __future__ import annotations

import re
from typing import Any

from torchdoctor.errors import UsageError

# Version-like fields: digits in dotted groups of sane length, then an optional suffix (+cu128, rc1).
_VERSION = re.compile(r"\d{1,9}(?:\.\d{1,9}){0,5}(?:[a-zA-Z+._-][A-Za-z0-9+._-]{0,40})?")
_PYTHON = re.compile(r"[1-9]\.\d{1,3}(?:\.\d{1,4})?(?:[a-z+][A-Za-z0-9+]{0,12})?")


def check_facts(facts: Any, origin: str) -> Any:
    """The facts, unchanged, or UsageError naming the first field that is not what it says."""
    def refuse(field: str, value: Any) -> None:
        shown = repr(value) if len(str(value)) <= 40 else repr(str(value)[:40]) + f" ({len(str(value))} characters)"
        raise UsageError(f"{origin}: {field} is {shown}, which is not a version: the report is damaged or edited")

    py = facts.python
    if py is not None and py.version is not None and not _PYTHON.fullmatch(str(py.version)):
        refuse("python.version", py.version)
    rt = facts.runtime
    if rt is not None and rt.version and not _VERSION.fullmatch(str(rt.version)):
        refuse("runtime.version", rt.version)
    for d in facts.distributions or ():
        if d.version and not _VERSION.fullmatch(str(d.version)):
            refuse(f"the version of {str(d.name)[:40]}", d.version)
    nv = facts.nvidia
    if nv is not None and nv.driver and not _VERSION.fullmatch(str(nv.driver)):
        refuse("nvidia.driver", nv.driver)
    return facts
