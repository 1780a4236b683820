"""`torchdoctor check`: facts, findings, counts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from torchdoctor._version import __version__
from torchdoctor.facts import SCHEMA, Facts
from torchdoctor.findings import Finding, counts
from torchdoctor.privacy import private_facts
from torchdoctor.report import Line, Report


@dataclass(frozen=True, repr=False)
class CheckReport(Report):
    facts: Facts
    findings: tuple[Finding, ...]
    exit_code: int
    note: str | None = None  # the first line: which interpreter and why (or the recorded machine)
    target: Any = None  # torchdoctor.target.Target; None for a recorded machine (--from)

    kind: ClassVar[str] = "check"
    title: ClassVar[str] = "torchdoctor check"

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "tool": {"name": "torchdoctor", "version": __version__},
            "origin": self.facts.origin,
            # which interpreter was examined and why ({executable, reason, source}); null for --from
            "target": self.target.to_dict() if self.target is not None else None,
            "facts": private_facts(self.facts.to_dict()),
            "findings": [f.to_dict() for f in self.findings],
            "counts": counts(self.findings),
            "exit_code": self.exit_code,
        }

    def lines(self, verbose: bool = False) -> list[Line]:
        from torchdoctor.render.check_human import lines

        return lines(self.facts, self.findings, verbose, True, self.note)

    def markdown(self) -> str:
        from torchdoctor.render.check_markdown import render

        return render(self.facts, self.findings, self.note, __version__)
