"""`torchdoctor smoke --distributed`: the group's verdict."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from torchdoctor.findings import Finding
from torchdoctor.report import Report


@dataclass(frozen=True, repr=False)
class DistributedReport(Report):
    """`smoke --distributed`: the verdict's document (ranks, bandwidth, findings) as the launcher judged it."""

    document: dict[str, Any]  # verdicts: judge() -> {"schema", "ok", "mode", "world_size", ...}
    findings: tuple[Finding, ...] = ()
    rank: str | None = None  # a joined rank other than 0 prints one line, not the report

    kind: ClassVar[str] = "distributed"
    title: ClassVar[str] = "torchdoctor smoke --distributed"

    @property
    def exit_code(self) -> int:  # type: ignore[override]
        return 0 if self.document.get("ok") else 1

    def to_dict(self) -> dict[str, Any]:
        from torchdoctor.sanitize import strict_json

        return strict_json(self.document)
