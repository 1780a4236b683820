"""`torchdoctor fleet report`: many nodes' reports joined."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from torchdoctor.facts import SCHEMA
from torchdoctor.findings import Finding
from torchdoctor.report import Line, Report


@dataclass(frozen=True, repr=False)
class FleetReport(Report):
    """The fleet's document: groups of identical nodes, outliers, missing nodes, smoke and busbw rows."""

    document: dict[str, Any]  # operations.fleet.build(): {"ok", "expected", "counts", "groups", ...}
    findings: tuple[Finding, ...] = ()

    kind: ClassVar[str] = "fleet"
    title: ClassVar[str] = "torchdoctor fleet report"

    @property
    def exit_code(self) -> int:  # type: ignore[override]
        return 0 if self.document.get("ok") else 1

    def to_dict(self) -> dict[str, Any]:
        from torchdoctor.sanitize import strict_json

        return strict_json({"schema": SCHEMA, **self.document})

    def lines(self) -> list[Line]:
        from torchdoctor.render.fleet import report_lines

        return report_lines(self.to_dict())

    def markdown(self) -> str:
        from torchdoctor.render.fleet import markdown

        return markdown(self.to_dict())
