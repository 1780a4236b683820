"""Every report the doctor makes: check, suggest, smoke, distributed and install (one module each, loaded on
first use so `suggest` does not build the classes of the other four).

A report is the result of one operation (operations/*): its data, its findings, its exit code. It is what
the Python API returns and what the CLI renders. Each has `to_dict()` (exactly the command's `--json`,
schema SCHEMA), `json()`, and the views a person sees: `str()`, `rich.print(report)` (`__rich__`) and a
notebook's `_repr_html_`. The views call the renderers (render/*), which is why this module sits above them
(docs/architecture.md); the renderers read a report by duck typing and never import this module.
"""

from __future__ import annotations

from typing import Any, ClassVar

from torchdoctor.facts import SCHEMA
from torchdoctor.findings import Finding

__all__ = ["SCHEMA", "Report", "CheckReport", "SuggestReport", "SmokeReport", "DeviceRun", "DistributedReport",
           "InstallReport", "FleetReport"]

Line = tuple[str, "str | None"]  # (text, rich style) — one line of a report as a person sees it


class Report:
    """What every report shares: the exit code, the findings and the views."""

    kind: ClassVar[str] = ""
    title: ClassVar[str] = "torchdoctor"
    exit_code: int
    findings: tuple[Finding, ...]

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    def to_dict(self) -> dict[str, Any]:
        raise NotImplementedError

    def json(self, compact: bool = False) -> str:
        """Exactly what the CLI prints with --json (strict: a NaN becomes null, never a bare NaN)."""
        from torchdoctor.render.json import dumps

        return dumps(self.to_dict(), compact=compact)

    def lines(self) -> list[Line]:
        from torchdoctor.render.emit import lines_of

        return lines_of(self)

    def text(self) -> str:
        from torchdoctor.render.views import plain

        return plain(self.lines())

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        from torchdoctor.sanitize import clean

        last = next((t for t, _ in reversed(self.lines()) if t.strip()), "")
        return f"<{type(self).__name__} exit_code={self.exit_code}: {clean(last.strip())}>"

    def __rich__(self) -> Any:
        from torchdoctor.render.views import as_rich

        return as_rich(self.lines())

    def _repr_html_(self) -> str:
        from torchdoctor.render.views import as_html

        return as_html(self.lines(), self.title)


_WHERE = {
    "CheckReport": "check",
    "SuggestReport": "suggest",
    "DeviceRun": "smoke",
    "SmokeReport": "smoke",
    "DistributedReport": "distributed",
    "InstallReport": "install",
    "FleetReport": "fleet",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(f"torchdoctor.report.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'torchdoctor.report' has no attribute {name!r}")
