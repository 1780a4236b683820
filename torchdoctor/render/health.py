"""A check report in the formats health-check systems read: LBNL NHC's failure lines and a Slurm drain reason.

NHC writes `ERROR:  nhc:  Health check failed:  <check>:  <message>` for a failed check (two spaces after each
colon, as its log does); a healthy node prints nothing. A Slurm drain reason is one short line (`scontrol
update State=DRAIN Reason=...` shows it in `sinfo -R`), kept under REASON_MAX characters. Every text
here comes from findings, whose messages may hold outside values: they pass `sanitize.clean` and lose
their line breaks.
"""

from __future__ import annotations

import re
from typing import Any, Iterable

from torchdoctor.sanitize import clean

NHC_CHECK = "check_torchdoctor"
REASON_MAX = 120
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z(`'\"])")


def first_sentence(text: str, limit: int = 200) -> str:
    one = " ".join(clean(text or "").split())
    one = _SENTENCE.split(one, 1)[0]
    return one if len(one) <= limit else one[: limit - 3].rstrip() + "..."


def failing(findings: Iterable[Any], strict: bool = False) -> list[Any]:
    """The findings that fail a node: errors (and, with --strict, warnings and crashed checks)."""
    bad = {"error"} | ({"warning", "crashed"} if strict else set())
    return [f for f in findings if f.severity in bad]


def nhc_lines(findings: Iterable[Any], strict: bool = False) -> str:
    """One NHC failure line per failing finding; "" when the node is healthy."""
    return "".join(f"ERROR:  nhc:  Health check failed:  {NHC_CHECK}:  {f.id}: {first_sentence(f.message)}\n"
                   for f in failing(findings, strict))


def drain_reason(findings: Iterable[Any], strict: bool = False) -> str:
    """`torchdoctor: cuda.driver_too_old: <first sentence> (+2 more)`, at most REASON_MAX characters; "" when healthy."""
    bad = failing(findings, strict)
    if not bad:
        return ""
    more = f" (+{len(bad) - 1} more)" if len(bad) > 1 else ""
    head = f"torchdoctor: {bad[0].id}: "
    room = REASON_MAX - len(head) - len(more)
    text = first_sentence(bad[0].message, limit=10_000)
    if len(text) > room:
        text = text[: max(0, room - 3)].rstrip() + "..."
    return (head + text + more)[:REASON_MAX]
