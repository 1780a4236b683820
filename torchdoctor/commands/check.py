"""`torchdoctor check`: options -> CheckRequest -> operations.check -> emit -> exit code."""

from __future__ import annotations

import sys

from torchdoctor.errors import DoctorError, UsageError

FORMATS = ("human", "markdown", "json", "nhc", "slurm-reason")
SHOWN_FORMATS = ("human", "markdown", "nhc", "slurm-reason")
EXIT_STYLES = ("doctor", "nagios")
TIMEOUT = 60.0
NHC_TIMEOUT = 40.0  # Slurm kills HealthCheckProgram after 60 s: the import probe's share leaves room for the rest
NAGIOS_OK, NAGIOS_WARN, NAGIOS_CRITICAL, NAGIOS_UNKNOWN = 0, 1, 2, 3


def run_check(json_out: bool = False, verbose: bool = False, fmt: str = "human", strict: bool = False,
              timeout: float | None = None, python: str | None = None, list_checks: bool = False,
              from_: str | None = None, json_line: bool = False, node_label: str | None = None,
              exit_style: str = "doctor", build: bool = False) -> int:
    style = (exit_style or "doctor").strip().lower()
    if style not in EXIT_STYLES:
        raise UsageError(f"--exit-style must be one of {', '.join(EXIT_STYLES)} (got {exit_style!r})")
    if style == "nagios":
        try:
            return _run(json_out, verbose, fmt, strict, timeout, python, list_checks, from_, json_line, node_label,
                        build, nagios=True)
        except DoctorError as exc:  # the check could not run: UNKNOWN, never CRITICAL (Nagios' 2)
            raise DoctorError(exc.message, NAGIOS_UNKNOWN) from None
    return _run(json_out, verbose, fmt, strict, timeout, python, list_checks, from_, json_line, node_label, build)


def _run(json_out: bool, verbose: bool, fmt: str, strict: bool, timeout: float | None, python: str | None,
         list_checks: bool, from_: str | None, json_line: bool, node_label: str | None,
         build: bool = False, nagios: bool = False) -> int:
    fmt = (fmt or "human").strip().lower()
    if fmt not in FORMATS:
        raise UsageError(f"--format must be one of {', '.join(SHOWN_FORMATS)} (got {fmt!r})")
    from torchdoctor.render.json import check_line_options

    node = check_line_options(json_out or fmt == "json", json_line, node_label)
    if json_out or json_line:
        fmt = "json"
    if timeout is None:
        timeout = NHC_TIMEOUT if fmt in ("nhc", "slurm-reason") else TIMEOUT
    if list_checks:
        return _list_checks(fmt)
    from torchdoctor.operations.check import check_report
    from torchdoctor.render.emit import emit
    from torchdoctor.requests.check import CheckRequest

    report = check_report(CheckRequest.build(python=python, from_=from_, timeout=timeout, strict=strict,
                                             build=build))
    if fmt in ("nhc", "slurm-reason"):
        from torchdoctor.render.health import drain_reason, nhc_lines
        from torchdoctor.render.stream import write_safely

        if fmt == "nhc":
            write_safely(sys.stdout, nhc_lines(report.findings, strict))
        else:
            reason = drain_reason(report.findings, strict)
            write_safely(sys.stdout, reason + "\n" if reason else "")
    elif json_line or node is not None:
        from torchdoctor.render.json import write_report

        write_report(report, sys.stdout, json_line, node)
    else:
        emit(report, fmt, sys.stdout, verbose=verbose)
    return nagios_code(report.findings) if nagios else report.exit_code


def nagios_code(findings) -> int:
    """Nagios/GCM: 0 OK, 1 WARN (warnings or a crashed check), 2 CRITICAL (an error)."""
    severities = {f.severity for f in findings}
    if "error" in severities:
        return NAGIOS_CRITICAL
    if severities & {"warning", "crashed"}:
        return NAGIOS_WARN
    return NAGIOS_OK


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
