"""`torchdoctor preview`: what an install command would do to torch and its companions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from torchdoctor.findings import Finding
from torchdoctor.report import Report


@dataclass(frozen=True, repr=False)
class PreviewReport(Report):
    """`preview`: the JSON document (docs/preview.md), its findings, and the lines a person is shown."""

    document: dict[str, Any]  # {"schema", "target", "command", "installed", "would_install", "changes", "torch", ...}
    findings: tuple[Finding, ...] = ()
    said: tuple[str, ...] = ()

    kind: ClassVar[str] = "preview"
    title: ClassVar[str] = "torchdoctor preview"

    @property
    def exit_code(self) -> int:  # type: ignore[override]
        return int(self.document.get("exit_code", 1))

    def to_dict(self) -> dict[str, Any]:
        from torchdoctor.sanitize import strict_json

        return strict_json({**self.document, "findings": [f.to_dict() for f in self.findings]})
