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

    kind: ClassVar[str] = "suggest"
    title: ClassVar[str] = "torchdoctor suggest"

    @property
    def plan(self) -> Any:
        return self.result.plan

    @property
    def findings(self) -> tuple[Finding, ...]:  # type: ignore[override]
        """Why nothing fits (empty when a plan was found)."""
        return tuple(self.result.problems)

    def to_dict(self) -> dict[str, Any]:
        data = {"schema": SCHEMA, **self.result.to_dict(), "origin": self.origin}
        data["target"] = self.target.to_dict() if self.target is not None else None
        data["findings"] = [f.to_dict() for f in self.findings if isinstance(f, Finding)]
        return data
