"""`torchdoctor check`: options -> CheckRequest -> operations.check -> emit -> exit code."""

from __future__ import annotations

import sys

from torchdoctor.errors import UsageError

FORMATS = ("human", "markdown", "json")


def run_check(json_out: bool = False, verbose: bool = False, fmt: str = "human", strict: bool = False,
              timeout: float = 60.0, python: str | None = None, list_checks: bool = False,
              from_: str | None = None, build: bool = False) -> int:
    fmt = (fmt or "human").strip().lower()
    if fmt not in FORMATS:
        raise UsageError(f"--format must be one of {', '.join(FORMATS[:2])} (got {fmt!r})")
    if json_out:
        fmt = "json"
    if list_checks:
        return _list_checks(fmt)
    from torchdoctor.operations.check import check_report
    from torchdoctor.render.emit import emit
    from torchdoctor.requests.check import CheckRequest

    report = check_report(CheckRequest.build(python=python, from_=from_, timeout=timeout, strict=strict,
                                             build=build))
    emit(report, fmt, sys.stdout, verbose=verbose)
    return report.exit_code


def _list_checks(fmt: str) -> int:
    from torchdoctor.checks import CHECKS
    from torchdoctor.render.stream import write_safely

    if fmt == "json":
        from torchdoctor.facts import SCHEMA
        from torchdoctor.render.json import dumps

        rows = [{"id": c.id, "area": c.area, "title": c.title, "needs": list(c.needs)} for c in CHECKS]
        write_safely(sys.stdout, dumps({"schema": SCHEMA, "checks": rows}, indent=1))
        return 0
    width = max(len(c.id) for c in CHECKS)
    write_safely(sys.stdout, "".join(f"{c.id:<{width}}  {c.area:<13}  {c.title}\n" for c in CHECKS))
    return 0
