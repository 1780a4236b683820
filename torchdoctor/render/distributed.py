"""Human view of a `smoke --distributed` report: one row per rank, the bandwidth, the findings.

Only formats: the report dict comes from torchdoctor.verdicts.distributed.judge.
"""

from __future__ import annotations

import sys
from typing import IO, Any


def render_human(report: dict, file: IO[str] | None = None) -> None:
    from rich import box
    from rich.console import Console
    from rich.table import Table

    from torchdoctor.sanitize import clean_tree

    report = clean_tree(report)  # rank logs and child answers are untrusted text

    # markup off: paths, messages and device names are data, never rich markup
    out = file or sys.stdout
    # piped into a file or a bug report: wide enough that no column is cut to "..."
    width = None if getattr(out, "isatty", lambda: False)() else 160
    console = Console(file=out, markup=False, highlight=False, soft_wrap=False, width=width)
    ok = report["ok"]
    console.print(summary_line(report), style="bold green" if ok else "bold red")

    ranks = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for name, justify in (("rank", "right"), ("node/local", "right"), ("device", "left"), ("status", "left"),
                          ("all-reduce", "left"), ("classic w", "right"), ("2-layer err", "right"),
                          ("identical", "left"), ("rdzv s", "right"), ("total s", "right")):
        ranks.add_column(name, justify=justify, no_wrap=name != "status")
    for r in report["ranks"]:
        ranks.add_row(*rank_cells(r), style=None if r["status"] == "passed" else "red")
    if report["ranks"]:  # none when no rank ever started (a multi-node preflight or join failed)
        console.print(ranks)

    if report["bandwidth"]:
        bw = Table(title="all-reduce (slowest rank)", box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False,
                   title_justify="left")
        for name in ("size", "time", "algbw", "busbw"):
            bw.add_column(name, justify="right", no_wrap=True)
        for row in report["bandwidth"]:
            bw.add_row(_size(row["bytes"]), _ms(row["seconds"]), f"{row['algbw_gbps']:.2f} GB/s",
                       f"{row['busbw_gbps']:.2f} GB/s")
        console.print(bw)
        if (report.get("world_size") or 0) == 1:
            console.print("one rank: nothing crosses a link, so the bus bandwidth is 0 by definition")

    for f in report["findings"]:
        style = {"error": "red", "warning": "yellow"}.get(f["severity"], None)
        console.print(f"{f['severity']}: {f['message']}  [{f['id']}]", style=style)
        for line in fix_lines(f.get("fix")):
            console.print(line)
    for r in report["ranks"]:  # the others' problems are in the findings above
        for problem in r.get("problems", []) if r["status"] in ("stopped", "unknown") else ():
            console.print(f"rank {r['rank']}: {problem}", style="red")


def summary_line(report: dict) -> str:
    word = "PASSED" if report["ok"] else "FAILED"
    backend = report.get("backend") or "?"
    version = report.get("backend_version")
    backend_text = f"{backend} {version}" if version else backend
    if not version and backend == "gloo":
        backend_text += " (no version of its own)"
    passed = sum(1 for r in report["ranks"] if r["status"] == "passed")
    node = f", node {report['node_rank']} of {report['nnodes']}" if report.get("nnodes") else ""
    return (f"{word}: {passed}/{report.get('world_size') or 0} ranks passed{node}, {report.get('device')}, "
            f"{backend_text}, torch {report.get('torch') or '?'}, {report.get('seconds', 0):.1f} s")


def rank_cells(r: dict) -> tuple[str, ...]:
    ar = r.get("allreduce") or {}
    classic = r.get("classic") or {}
    two = r.get("two_layer") or {}
    timings = r.get("timings") or {}
    allreduce = "-" if not ar else (f"{ar['got']:g} exact" if ar.get("exact") else f"{ar.get('got')} WRONG")
    same = "-"
    if classic or two:
        same = "yes" if classic.get("identical") and two.get("identical") else "NO"
    node = r.get("node_rank")
    where = f"{_dash(node)}/{_dash(r.get('local_rank'))}"
    device = r.get("device") or "-"
    if r.get("device_name"):
        device += f" {r['device_name']}"
    return (str(r["rank"]), where, device, _status(r), allreduce, _num(classic.get("w"), "{:.6f}"),
            _num(two.get("rel_error"), "{:.1e}"), same, _secs(timings.get("rendezvous")), _secs(timings.get("total")))


def _status(r: dict) -> str:
    if r["status"] in ("passed", "missing", "unknown"):
        return r["status"]
    return f"{r['status']} ({r['stage']})" if r.get("stage") else r["status"]


def _num(value: Any, fmt: str) -> str:
    return fmt.format(value) if isinstance(value, (int, float)) else "-"


def _secs(value: Any) -> str:
    return f"{value:.2f}" if isinstance(value, (int, float)) else "-"


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.3f} ms"


def _size(n: int) -> str:
    for unit, div in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= div and n % div == 0:
            return f"{n // div} {unit}"
    return f"{n} B"


def _dash(value: Any) -> str:
    return "-" if value is None else str(value)


def fix_lines(fix: Any) -> list[str]:
    """A finding's fix (the shared {summary, commands, argv} object) as indented lines."""
    if not fix:
        return []
    if isinstance(fix, str):
        return [f"  fix: {fix}"]
    return [f"  fix: {fix.get('summary', '')}"] + [f"    $ {c}" for c in fix.get("commands") or ()]


def report_lines(report: dict) -> list[tuple[str, str | None]]:
    """The report as plain lines (str(), notebooks): the summary, each rank, the bandwidth, the findings."""
    ok = report.get("ok")
    out: list[tuple[str, str | None]] = [(summary_line(report), "bold green" if ok else "bold red")]
    for r in report.get("ranks") or ():
        out.append(("  ".join(rank_cells(r)), None if r.get("status") == "passed" else "red"))
    for row in report.get("bandwidth") or ():
        out.append((f"all-reduce {_size(row['bytes'])}: {_ms(row['seconds'])}, algbw {row['algbw_gbps']:.2f} GB/s, "
                    f"busbw {row['busbw_gbps']:.2f} GB/s", None))
    for f in report.get("findings") or ():
        out.append((f"{f['severity']}: {f['message']}  [{f['id']}]", {"error": "red", "warning": "yellow"}.get(f["severity"])))
        out += [(line, None) for line in fix_lines(f.get("fix"))]
    return out
