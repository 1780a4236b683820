"""`torchdoctor install`: what was planned, run and verified."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from torchdoctor.findings import Finding
from torchdoctor.report import Report


@dataclass(frozen=True, repr=False)
class InstallReport(Report):
    """`install`: what was planned, run and proven (the JSON document), and the lines a person was shown."""

    document: dict[str, Any]  # {"schema", "ok", "target", "previous", "plan", "steps", ..., "message", "exit_code"}
    findings: tuple[Finding, ...] = ()  # the planner's problems, and why nothing was run (install.*)
    said: tuple[str, ...] = ()  # the human lines, in the order they were shown

    kind: ClassVar[str] = "install"
    title: ClassVar[str] = "torchdoctor install"

    @property
    def exit_code(self) -> int:  # type: ignore[override]
        return int(self.document.get("exit_code", 1))

    def to_dict(self) -> dict[str, Any]:
        from torchdoctor.sanitize import strict_json

        return strict_json({**self.document, "findings": [f.to_dict() for f in self.findings]})
