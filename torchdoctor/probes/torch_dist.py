"""Installed torch-family distributions as facts.

The scan itself is patient code (torchdoctor/patient/distributions.py: it also runs inside the
target interpreter); this is the doctor's side: records -> `facts.Distribution`.
"""

from __future__ import annotations

import sys
from typing import Any, Iterable

from torchdoctor.facts import Distribution
from torchdoctor.patient.distributions import scan


def to_facts(records: Iterable[dict[str, Any]]) -> tuple[Distribution, ...]:
    """Raw records (from the scan, here or in a child) -> facts; a malformed record is skipped."""
    out = []
    for r in records:
        try:
            out.append(Distribution(name=str(r["name"]), version=str(r["version"]), location=r.get("location"),
                                    installer=r.get("installer"), wheel_tags=tuple(r.get("wheel_tags") or ()),
                                    requires=tuple(r.get("requires") or ()),
                                    requested=r.get("requested") if isinstance(r.get("requested"), bool) else None))
        except (KeyError, TypeError):
            continue
    return tuple(out)


def gather_distributions() -> tuple[Distribution, ...]:
    """This interpreter's torch family, in-process (no import of any of them)."""
    return to_facts(scan(sys.path, sys.prefix))
