"""The one result vocabulary of every judge: checks, the planner, smoke, distributed and install.

A Finding says what was observed (with the real values), why it matters, and how to fix it. Its
JSON shape is the same in every command's output:
    {"id", "severity", "area", "title", "message", "fix": {"summary", "commands", "argv"} | null[, "detail"]}
Areas (the lines of `check`'s report, and the parts of the other commands) are declared once, in
torchdoctor.checks.areas; a finding names its area by that declaration, so a typo cannot make a new one.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Callable, Iterable, Sequence

from torchdoctor.shell import Command, argv_of

OK, INFO, WARNING, ERROR, SKIPPED, CRASHED = "ok", "info", "warning", "error", "skipped", "crashed"
SEVERITIES = (OK, INFO, WARNING, ERROR, SKIPPED, CRASHED)
# What a report shows as a problem, with its message and fix (ok and skipped are shown under -v only).
PROBLEMS = (ERROR, WARNING, CRASHED, INFO)


@dataclass(frozen=True)
class Fix:
    """A sentence and the lines to paste. A command is a `Command` (an argument list, quoted for its
    shell) or a plain string: a fixed line of our own that holds no outside value."""

    summary: str
    commands: tuple[str | Command, ...] = ()  # given as Commands or str; kept as rendered lines (shell.Line)

    def __post_init__(self) -> None:
        object.__setattr__(self, "commands", tuple(c.line if isinstance(c, Command) else c
                                                   for c in self.commands))

    @property
    def argv(self) -> tuple[list[str] | None, ...]:
        return tuple(argv_of(c) for c in self.commands)

    def to_dict(self) -> dict[str, Any]:
        return {"summary": self.summary, "commands": [str(c) for c in self.commands], "argv": list(self.argv)}

    @classmethod
    def from_dict(cls, data: Any) -> "Fix | None":
        """A fix read back from JSON (or a sentence): its lines keep their text; their argv is not rebuilt."""
        if isinstance(data, str):
            return cls(data)
        if not isinstance(data, dict):
            return None
        return cls(str(data.get("summary") or ""), tuple(str(c) for c in data.get("commands") or ()))


@dataclass(frozen=True)
class Finding:
    id: str  # stable, documented: "cuda.driver_too_old", "smoke.not_converged", "install.conda_torch"
    severity: str  # one of SEVERITIES
    message: str = ""
    fix: Fix | None = None
    area: str = ""  # an Area's name
    title: str = ""  # what the check verifies, in words ("the driver is new enough for torch's CUDA")
    detail: str | None = None  # the traceback of a crashed check (verbose / JSON only)

    @property
    def problem(self) -> bool:
        return self.severity in PROBLEMS

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "severity": self.severity, "area": self.area, "title": self.title,
                               "message": self.message, "fix": self.fix.to_dict() if self.fix else None}
        if self.detail:
            out["detail"] = self.detail
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Finding":
        return cls(str(data.get("id") or ""), str(data.get("severity") or ERROR), str(data.get("message") or ""),
                   Fix.from_dict(data.get("fix")), str(data.get("area") or ""), str(data.get("title") or ""),
                   data.get("detail"))


@dataclass(frozen=True)
class Area:
    """One part of a report: its name, the headline it shows (from the facts), and what earns it a ✓
    (the thing it names works). Verdict areas (smoke, distributed, ...) have neither."""

    name: str
    headline: Callable[[Any], str] | None = None
    works: Callable[[Any], bool] | None = None


def fix_of(value: Fix | str | None) -> Fix | None:
    """A fix given as a sentence (distributed's advice) is a Fix without commands."""
    return Fix(value) if isinstance(value, str) else value


def finding(id: str, severity: str, message: str, fix: Fix | str | None = None, area: Area | None = None,
            title: str = "") -> Finding:
    if severity not in SEVERITIES:
        raise ValueError(f"unknown severity {severity!r}")
    return Finding(id, severity, message, fix_of(fix), area.name if area is not None else "", title)


# A judge returns a finding without its id; the registry that runs it adds id, area and title.
def error(message: str, fix: Fix | None = None) -> Finding:
    return Finding("", ERROR, message, fix)


def warning(message: str, fix: Fix | None = None) -> Finding:
    return Finding("", WARNING, message, fix)


def info(message: str, fix: Fix | None = None) -> Finding:
    return Finding("", INFO, message, fix)


def skipped(reason: str) -> Finding:
    """The facts are there but do not settle the question: say so instead of calling it ok."""
    return Finding("", SKIPPED, reason)


def named(found: Finding, id: str, area: Area, title: str) -> Finding:
    return replace(found, id=id, area=area.name, title=title)


def counts(findings: Iterable[Finding]) -> dict[str, int]:
    out = {s: 0 for s in SEVERITIES}
    for f in findings:
        out[f.severity] = out.get(f.severity, 0) + 1
    return out


def exit_code(findings: Sequence[Finding], strict: bool = False) -> int:
    """0 without errors (warnings allowed), 1 with one; `strict` fails on warnings and crashed checks too."""
    c = counts(findings)
    if c[ERROR] or (strict and (c[WARNING] or c[CRASHED])):
        return 1
    return 0
