"""`torchdoctor suggest`: the plan and why."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from torchdoctor.facts import SCHEMA
from torchdoctor.findings import Finding
from torchdoctor.report import Report


@dataclass(frozen=True, repr=False)
class SuggestReport(Report):
    result: Any  # plan.PlanResult: plan, problems, fallback, rejected, ...
    fmt: str
    origin: str | None
    exit_code: int
    target: Any = None  # None when --python-version described the Python
    notes: tuple = ()  # findings about the plan that do not stop it (pip.index_overrides)
    hints: tuple = ()  # one-line remarks: the region's mirror, the tables' age

    kind: ClassVar[str] = "suggest"
    title: ClassVar[str] = "torchdoctor suggest"

    @property
    def plan(self) -> Any:
        return self.result.plan

    @property
    def findings(self) -> tuple[Finding, ...]:  # type: ignore[override]
        """Why nothing fits (empty when a plan was found), and the notes about the plan."""
        return tuple(self.result.problems) + tuple(self.notes)

    def to_dict(self) -> dict[str, Any]:
        data = {"schema": SCHEMA, **self.result.to_dict(), "origin": self.origin}
        data["target"] = self.target.to_dict() if self.target is not None else None
        data["hints"] = list(self.hints)
        data["findings"] = [f.to_dict() for f in self.findings if isinstance(f, Finding)]
        return data
