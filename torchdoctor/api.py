"""The Python API: `check()`, `suggest()`, `smoke()` for scripts and notebooks.

Each returns a report object carrying the data (`findings`, `exit_code`, `to_dict()` with the
CLI's JSON schema) that shows itself in a terminal (`__rich__`, `str()`) and in a notebook
(`_repr_html_`). The CLI runs the same functions (commands/*: `*_report`) and only adds
rendering and the exit; the API never prints, never exits, and never imports torch: the
examined interpreter (by default the caller's own, e.g. the notebook kernel's) runs in a child
as always. A bad argument raises ValueError or TypeError with one clear message; whatever is
wrong with the examined install is in the report, never an exception.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any, Sequence

__all__ = ["check", "suggest", "smoke", "CheckReport", "SuggestReport", "SmokeReport"]


class _Report:
    """What every report shares: the views. Subclasses give `title`, `lines()` and `to_dict()`."""

    title = "torchdoctor"
    exit_code: int

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    def lines(self) -> list[tuple[str, str | None]]:
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        raise NotImplementedError

    def json(self) -> str:
        """Exactly what the CLI prints with --json (strict: a NaN becomes null, never a bare NaN)."""
        from torchdoctor.sanitize import strict_json

        return json.dumps(strict_json(self.to_dict()), indent=2, default=str, allow_nan=False) + "\n"

    def text(self) -> str:
        from torchdoctor.render.views import plain

        return plain(self.lines())

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        last = next((t for t, _ in reversed(self.lines()) if t.strip()), "")
        from torchdoctor.sanitize import clean

        return f"<{type(self).__name__} exit_code={self.exit_code}: {clean(last.strip())}>"

    def __rich__(self) -> Any:
        from torchdoctor.render.views import as_rich

        return as_rich(self.lines())

    def _repr_html_(self) -> str:
        from torchdoctor.render.views import as_html

        return as_html(self.lines(), self.title)


@dataclass(frozen=True, repr=False)
class CheckReport(_Report):
    facts: Any
    findings: tuple
    exit_code: int
    note: str | None = None  # the first line: which interpreter and why (or the recorded machine)
    target: Any = None  # torchdoctor.target.Target; None for a recorded machine (--from)

    title = "torchdoctor check"

    def to_dict(self) -> dict[str, Any]:
        from torchdoctor._version import __version__
        from torchdoctor.render.check_json import document

        return document(self.facts, self.findings, self.exit_code, __version__, self.target)

    def json(self) -> str:
        from torchdoctor._version import __version__
        from torchdoctor.render.check_json import render

        return render(self.facts, self.findings, self.exit_code, __version__, self.target)

    def lines(self, verbose: bool = False) -> list[tuple[str, str | None]]:
        from torchdoctor.render.check_human import lines

        return lines(self.facts, self.findings, verbose, True, self.note)

    def markdown(self) -> str:
        from torchdoctor._version import __version__
        from torchdoctor.render.check_markdown import render

        return render(self.facts, self.findings, self.note, __version__)


@dataclass(frozen=True, repr=False)
class SuggestReport(_Report):
    result: Any  # plan.PlanResult: plan, problems, fallback, rejected, ...
    fmt: str
    origin: str | None
    exit_code: int
    target: Any = None  # None when --python-version described the Python

    title = "torchdoctor suggest"

    @property
    def plan(self) -> Any:
        return self.result.plan

    @property
    def findings(self) -> tuple:
        """Why nothing fits (empty when a plan was found)."""
        return tuple(self.result.problems)

    def to_dict(self) -> dict[str, Any]:
        data = {"schema": 1, **self.result.to_dict(), "origin": self.origin}
        data["target"] = self.target.to_dict() if self.target is not None else None
        return data

    def lines(self) -> list[tuple[str, str | None]]:
        from torchdoctor.render.suggest import STYLES, lines_for

        return [(text, STYLES.get(style, "")) for style, text in lines_for(self.result, self.fmt, self.target)]


@dataclass(frozen=True, repr=False)
class SmokeReport(_Report):
    data: dict = field(default_factory=dict)  # the CLI's JSON document (schema 1)
    exit_code: int = 1
    target: Any = None

    title = "torchdoctor smoke"

    @property
    def devices(self) -> list[dict]:
        return list(self.data.get("devices") or [])

    @property
    def findings(self) -> tuple:
        """Every problem a device run reported, and the run's error (torch missing, ...)."""
        out = [f"{d.get('device')}: {p}" for d in self.devices for p in d.get("problems") or ()]
        return tuple(out + ([self.data["error"]] if self.data.get("error") else []))

    @property
    def error(self) -> str | None:
        return self.data.get("error")

    def to_dict(self) -> dict[str, Any]:
        from torchdoctor.commands.smoke import json_safe

        return json_safe(self.data)

    def lines(self) -> list[tuple[str, str | None]]:
        from torchdoctor.render.smoke import report_lines

        return report_lines(self.data)


# ------------------------------------------------------------------------------------------ the calls
def check(python: str | os.PathLike | None = None, timeout: float = 60.0, *, strict: bool = False,
          from_: str | os.PathLike | None = None) -> CheckReport:
    """Diagnose an install (default: this interpreter, in a child); `torchdoctor check` as a report."""
    from torchdoctor.commands.check import check_report

    return _call(check_report, strict=_flag(strict, "strict"), timeout=_seconds(timeout, "timeout"),
                 python=_path(python, "python"), from_=_path(from_, "from_"), search=False)


def suggest(torch: str | None = None, with_: str | Sequence[str] | None = None, format: str = "pip", *,
            os: str | None = None, arch: str | None = None, python_version: str | None = None,
            driver: str | None = None, gpu: str | Sequence[str] = (), index_base: str | None = None,
            python: str | os.PathLike | None = None) -> SuggestReport:
    """The install plan for this machine (or a described one); `torchdoctor suggest` as a report.
    The Python planned for is `python_version`, else the interpreter `python`, else this one."""
    from torchdoctor.commands.suggest import suggest_report

    if isinstance(with_, (list, tuple)):
        with_ = ",".join(_text(w, "with_") for w in with_)
    gpus = (gpu,) if isinstance(gpu, str) else tuple(gpu or ())
    return _call(suggest_report, torch=_text(torch, "torch"), with_=_text(with_, "with_"),
                 fmt=_text(format, "format"), os_=_text(os, "os"), arch=_text(arch, "arch"),
                 python_version=_text(python_version, "python_version"), driver=_text(driver, "driver"),
                 gpus=tuple(_text(g, "gpu") for g in gpus), index_base=_text(index_base, "index_base"),
                 python=_path(python, "python"), search=False)


def smoke(device: str = "cpu", *, epochs: int = 100, seed: int = 0, timeout: float = 120.0,
          python: str | os.PathLike | None = None) -> SmokeReport:
    """Train on `device` (cpu | cuda | cuda:N | mps | xpu | all) in a child; `torchdoctor smoke` as a report."""
    from torchdoctor.commands.smoke import smoke_report

    return _call(smoke_report, device=_text(device, "device"), epochs=_int(epochs, "epochs"),
                 seed=_int(seed, "seed"), timeout=_seconds(timeout, "timeout"), python=_path(python, "python"),
                 search=False)


# ------------------------------------------------------------------------------------------ arguments
def _call(fn: Any, **kwargs: Any) -> Any:
    """The CLI's usage errors become ValueError here (one message, no CLI flag syntax lost)."""
    from torchdoctor.errors import UsageError

    try:
        return fn(**kwargs)
    except UsageError as exc:
        raise ValueError(exc.message) from None


def _path(value: Any, name: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, (str, os.PathLike)):
        return os.fspath(value)
    raise TypeError(f"{name} must be a path (str or os.PathLike), not {type(value).__name__}")


def _text(value: Any, name: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise TypeError(f"{name} must be a str, not {type(value).__name__}")


def _int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    return value


def _flag(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, not {type(value).__name__}")
    return value


def _seconds(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number of seconds, not {type(value).__name__}")
    if not value > 0 or value != value or value == float("inf"):
        raise ValueError(f"{name} must be a positive, finite number of seconds (got {value})")
    return float(value)

