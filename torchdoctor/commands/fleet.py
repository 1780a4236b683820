"""`torchdoctor fleet report` and `fleet run`: many nodes' one-line reports -> one table -> exit code.

Exit codes: 0 every expected node reported and passed; 1 a node failed, is missing or unreachable; 2 usage
error or unreadable input (a FILE that cannot be read, a bad host list).
"""

from __future__ import annotations

import sys

from torchdoctor.errors import UsageError

FORMATS = ("human", "markdown", "json")


def _format(fmt: str, json_out: bool) -> str:
    fmt = (fmt or "human").strip().lower()
    if fmt not in FORMATS:
        raise UsageError(f"--format must be one of human, markdown (got {fmt!r})")
    return "json" if json_out else fmt


def run_fleet_report(files: list[str], expect: int | None = None, expect_nodes: str | None = None,
                     floors: list[str] | None = None, json_out: bool = False, fmt: str = "human") -> int:
    from torchdoctor.operations.fleet import fleet_report
    from torchdoctor.render.emit import emit
    from torchdoctor.requests.fleet import FleetReportRequest

    fmt = _format(fmt, json_out)
    request = FleetReportRequest.build(files=files, expect=expect, expect_nodes=expect_nodes, floors=floors or ())
    report = fleet_report(request)
    emit(report, fmt, sys.stdout)
    return report.exit_code


def run_fleet_run(via: str, nodes: str | None, args: list[str], timeout: float = 120.0, fanout: int = 32,
                  program: str = "torchdoctor", floors: list[str] | None = None, json_out: bool = False,
                  fmt: str = "human", dry_run: bool = False) -> int:
    from torchdoctor.operations.fleet import engine_command, fleet_run
    from torchdoctor.render.emit import emit
    from torchdoctor.render.stream import write_safely
    from torchdoctor.requests.fleet import FleetRunRequest

    fmt = _format(fmt, json_out)
    request = FleetRunRequest.build(via=via, nodes=nodes, args=args, timeout=timeout, fanout=fanout,
                                    program=program, floors=floors or ())
    if dry_run:
        hosts = request.hosts if request.via == "ssh" else (None,)
        write_safely(sys.stdout, "".join(f"{engine_command(request, h)}\n" for h in hosts))
        return 0
    report = fleet_run(request, note=_note)
    emit(report, fmt, sys.stdout)
    return report.exit_code


def _note(message: str) -> None:
    from torchdoctor.sanitize import clean

    sys.stderr.write(f"torchdoctor: {clean(message)}\n")
    sys.stderr.flush()
