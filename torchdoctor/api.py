"""The Python API: `check()`, `suggest()`, `smoke()` for scripts and notebooks.

Each returns a report object carrying the data (`findings`, `exit_code`, `to_dict()` with the
CLI's JSON schema) that shows itself in a terminal (`__rich__`, `str()`) and in a notebook
(`_repr_html_`). The CLI runs the same builders (operations/*, on the same request
objects) and only adds rendering and the exit; the API never prints, never exits, and never imports torch: the
examined interpreter (by default the caller's own, e.g. the notebook kernel's) runs in a child
as always. A bad argument raises ValueError or TypeError with one clear message; whatever is
wrong with the examined install is in the report, never an exception.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Sequence

if TYPE_CHECKING:
    from torchdoctor.report import CheckReport, SmokeReport, SuggestReport


_REPORTS = ("CheckReport", "SuggestReport", "SmokeReport")

__all__ = ["check", "suggest", "smoke", "fleet_report", "CheckReport", "SuggestReport", "SmokeReport"]


# ------------------------------------------------------------------------------------------ the calls
def check(python: str | os.PathLike | None = None, timeout: float = 60.0, *, strict: bool = False,
          from_: str | os.PathLike | None = None, build: bool = False) -> CheckReport:
    """Diagnose an install (default: this interpreter, in a child); `torchdoctor check` as a report."""
    from torchdoctor.operations.check import check_report
    from torchdoctor.requests.check import CheckRequest

    return _call(lambda: check_report(CheckRequest.build(
        python=_path(python, "python"), from_=_path(from_, "from_"), timeout=_seconds(timeout, "timeout"),
        strict=_flag(strict, "strict"), search=False, build=_flag(build, "build"))))


def suggest(torch: str | None = None, with_: str | Sequence[str] | None = None, format: str = "pip", *,
            os: str | None = None, arch: str | None = None, python_version: str | None = None,
            driver: str | None = None, gpu: str | Sequence[str] = (), index_base: str | None = None,
            python: str | os.PathLike | None = None, mirror: str | None = None,
            online: bool = False) -> SuggestReport:
    """The install plan for this machine (or a described one); `torchdoctor suggest` as a report.
    The Python planned for is `python_version`, else the interpreter `python`, else this one."""
    from torchdoctor.operations.suggest import suggest_report
    from torchdoctor.requests.suggest import SuggestRequest

    if isinstance(with_, (list, tuple)):
        with_ = ",".join(_text(w, "with_") for w in with_)
    gpus = (gpu,) if isinstance(gpu, str) else tuple(gpu or ())
    build = dict(torch=_text(torch, "torch"), with_=_text(with_, "with_"), fmt=_text(format, "format"),
                 os_=_text(os, "os"), arch=_text(arch, "arch"), python_version=_text(python_version, "python_version"),
                 driver=_text(driver, "driver"), gpus=tuple(_text(g, "gpu") for g in gpus),
                 index_base=_text(index_base, "index_base"), python=_path(python, "python"), search=False,
                 mirror=_text(mirror, "mirror"), online=_flag(online, "online"))
    return _call(lambda: suggest_report(SuggestRequest.build(**build)))


def smoke(device: str = "cpu", *, epochs: int = 100, seed: int = 0, timeout: float = 120.0,
          python: str | os.PathLike | None = None, compile: bool = False,
          compile_timeout: float = 180.0) -> SmokeReport:
    """Train on `device` (cpu | cuda | cuda:N | mps | xpu | all) in a child; `torchdoctor smoke` as a report."""
    from torchdoctor.operations.smoke import smoke_report
    from torchdoctor.requests.smoke import SmokeRequest

    build = dict(device=_text(device, "device"), epochs=_int(epochs, "epochs"), seed=_int(seed, "seed"),
                 timeout=_seconds(timeout, "timeout"), python=_path(python, "python"), search=False,
                 compile=_flag(compile, "compile"), compile_timeout=_seconds(compile_timeout, "compile_timeout"))
    return _call(lambda: smoke_report(SmokeRequest.build(**build)))


def fleet_report(files: Sequence[str | os.PathLike] = (), *, lines: Sequence[str] | None = None,
                 expect: int | None = None, expect_nodes: str | None = None,
                 busbw_floors: Sequence[str] = ()) -> Any:
    """Many nodes' reports joined (`torchdoctor fleet report` as a FleetReport): from FILES, or from `lines`
    (the nodes' output as strings, in any of the prefixes fleet report reads)."""
    from torchdoctor.operations.fleet import fleet_report as build_report
    from torchdoctor.recorded.fleet_lines import read_lines
    from torchdoctor.requests.fleet import FleetReportRequest

    if isinstance(files, (str, os.PathLike)):
        files = (files,)
    paths = [_path(f, "files") or "" for f in files]
    if lines is not None and (isinstance(lines, str) or not all(isinstance(x, str) for x in lines)):
        raise TypeError("lines must be a sequence of str (one per line)")
    if lines is not None and paths:
        raise ValueError("give files or lines, not both")
    if expect is not None:
        expect = _int(expect, "expect")

    def run() -> Any:
        request = FleetReportRequest.build(files=paths or ["-"], expect=expect,
                                           expect_nodes=_text(expect_nodes, "expect_nodes"),
                                           floors=[_text(f, "busbw_floors") or "" for f in busbw_floors])
        return build_report(request, read_lines(lines, "lines") if lines is not None else None)

    return _call(run)


# ------------------------------------------------------------------------------------------ arguments
def _call(fn: Any) -> Any:
    """The CLI's usage errors become ValueError here (one message, no CLI flag syntax lost)."""
    from torchdoctor.errors import UsageError

    try:
        return fn()
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



def __getattr__(name: str) -> Any:
    """The report classes, loaded on first use (importing the API stays as cheap as `import torchdoctor`)."""
    if name in _REPORTS:
        from torchdoctor import report

        return getattr(report, name)
    raise AttributeError(f"module 'torchdoctor.api' has no attribute {name!r}")
