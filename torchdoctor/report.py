"""Every report the doctor makes, in one module: check, suggest, smoke, distributed and install.

A report is the result of one operation (operations/*): its data, its findings, its exit code. It is what
the Python API returns and what the CLI renders. Each has `to_dict()` (exactly the command's `--json`,
schema SCHEMA), `json()`, and the views a person sees: `str()`, `rich.print(report)` (`__rich__`) and a
notebook's `_repr_html_`. The views call the renderers (render/*), which is why this module sits above them
(docs/architecture.md); the renderers read a report by duck typing and never import this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from torchdoctor._version import __version__
from torchdoctor.facts import SCHEMA, Facts
from torchdoctor.findings import Finding, counts
from torchdoctor.privacy import private_facts

__all__ = ["SCHEMA", "Report", "CheckReport", "SuggestReport", "SmokeReport", "DeviceRun", "DistributedReport",
           "InstallReport"]

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


# ------------------------------------------------------------------------------------------ check
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


# ------------------------------------------------------------------------------------------ suggest
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


# ------------------------------------------------------------------------------------------ smoke
_DEVICE_KEYS = ("device", "ok", "status", "problems", "checks", "name", "w", "final_loss", "seconds",
                "converged_epoch", "timings", "warnings", "findings")


@dataclass(frozen=True)
class DeviceRun:
    """One device's smoke run: the verdict, the classic loop's short form, and the child's measurements."""

    device: str
    ok: bool
    status: str  # passed | failed | error | timeout | crashed
    problems: tuple[str, ...] = ()
    checks: dict[str, str] = field(default_factory=dict)  # stage -> passed | failed | error | missing
    name: str | None = None
    w: float | None = None
    final_loss: float | None = None
    seconds: float | None = None
    converged_epoch: int | None = None
    stages: dict[str, dict[str, Any]] = field(default_factory=dict)  # classic, gradcheck, ... as the child gave
    timings: dict[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    findings: tuple[Finding, ...] = ()

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "DeviceRun":
        return cls(str(d.get("device")), bool(d.get("ok")), str(d.get("status")), tuple(d.get("problems") or ()),
                   dict(d.get("checks") or {}), d.get("name"), d.get("w"), d.get("final_loss"), d.get("seconds"),
                   d.get("converged_epoch"), {k: v for k, v in d.items() if k not in _DEVICE_KEYS},
                   dict(d.get("timings") or {}), tuple(d.get("warnings") or ()),
                   tuple(Finding.from_dict(f) for f in d.get("findings") or ()))

    def __getitem__(self, key: str) -> Any:
        """0.2's API gave each device as its JSON dict (`report.devices[0]["ok"]`): that still works."""
        return self.to_dict()[key]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"device": self.device, "ok": self.ok, "status": self.status,
                               "problems": list(self.problems), "checks": dict(self.checks), "name": self.name,
                               "w": self.w, "final_loss": self.final_loss, "seconds": self.seconds,
                               "converged_epoch": self.converged_epoch}
        out.update(self.stages)
        out["timings"] = dict(self.timings)
        out["warnings"] = list(self.warnings)
        out["findings"] = [f.to_dict() for f in self.findings]
        return out


@dataclass(frozen=True, repr=False)
class SmokeReport(Report):
    requested: str
    devices: tuple[DeviceRun, ...] = ()
    torch: dict[str, Any] | None = None  # torch_version, build, cuda, hip, python, executable
    unavailable: tuple[dict[str, str], ...] = ()  # {device, reason}
    error: str | None = None  # torch missing or broken, the requested device missing
    target: Any = None
    findings: tuple[Finding, ...] = ()  # every device's findings, then the run's own

    kind: ClassVar[str] = "smoke"
    title: ClassVar[str] = "torchdoctor smoke"

    @classmethod
    def from_dict(cls, data: dict[str, Any], target: Any = None) -> "SmokeReport":
        """The operation's collected run (the JSON document's shape) as a report."""
        return cls(str(data.get("requested")), tuple(DeviceRun.from_dict(d) for d in data.get("devices") or ()),
                   data.get("torch"), tuple(data.get("unavailable") or ()), data.get("error"), target,
                   tuple(Finding.from_dict(f) for f in data.get("findings") or ()))

    @property
    def exit_code(self) -> int:  # type: ignore[override]
        return 0 if self.passed else 1

    @property
    def passed(self) -> bool:
        return bool(self.devices) and all(d.ok for d in self.devices) and not self.error

    @property
    def data(self) -> dict[str, Any]:
        """The JSON document (kept for the API's users of 0.2: `report.data["devices"]`)."""
        return self.to_dict()

    def to_dict(self) -> dict[str, Any]:
        from torchdoctor.sanitize import strict_json

        out: dict[str, Any] = {"schema": SCHEMA, "ok": self.passed, "requested": self.requested, "torch": self.torch,
                               "devices": [d.to_dict() for d in self.devices],
                               "unavailable": [dict(u) for u in self.unavailable], "error": self.error}
        if self.target is not None:  # which interpreter and why: {executable, reason, source}
            out["target"] = self.target.to_dict()
        out["findings"] = [f.to_dict() for f in self.findings]
        return strict_json(out)  # NaN and infinity are not JSON: null (the problems say what happened)


# ------------------------------------------------------------------------------------------ distributed
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


# ------------------------------------------------------------------------------------------ install
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
