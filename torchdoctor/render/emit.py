"""One way out for every report: `emit(report, fmt, stream)` in json, markdown or human form.

The human form of each kind has its renderer (check_human, suggest, smoke, distributed); markdown is
check's own, and for the other kinds the human lines in a fenced block. Reports are read by duck typing
(`report.kind`), so this module never imports torchdoctor.report.
"""

from __future__ import annotations

import os
from typing import Any, TextIO

FORMATS = ("human", "markdown", "json")
Line = tuple[str, "str | None"]


def emit(report: Any, fmt: str, stream: TextIO, verbose: bool = False, compact: bool = False) -> None:
    from torchdoctor.render.stream import write_safely

    if fmt == "json":
        write_safely(stream, report.json(compact=compact))
    elif fmt == "markdown":
        write_safely(stream, markdown_of(report))
    elif report.kind == "check":
        from torchdoctor.render.check_human import render

        render(report.facts, report.findings, stream, os.environ, verbose, report.note)
    elif report.kind == "suggest":
        from torchdoctor.render.suggest import render_suggest

        render_suggest(report.result, fmt=report.fmt, file=stream, target=report.target,
                       hints=getattr(report, "hints", ()))
    elif report.kind == "smoke":
        if report.devices:
            from torchdoctor.render.smoke import render_report

            render_report(report.to_dict(), _console(stream))
    elif report.kind == "distributed":
        from torchdoctor.render.distributed import render_human

        render_human(report.to_dict(), stream)
    else:
        from torchdoctor.render.views import plain

        write_safely(stream, plain(lines_of(report)))


def lines_of(report: Any, verbose: bool = False) -> list[Line]:
    """The report as (text, style) lines: what str(), rich and a notebook show."""
    if report.kind == "check":
        from torchdoctor.render.check_human import lines

        return lines(report.facts, report.findings, verbose, True, report.note)
    if report.kind == "suggest":
        from torchdoctor.render.suggest import STYLES, lines_for

        return [(text, STYLES.get(style, "")) for style, text in lines_for(report.result, report.fmt, report.target,
                                                                               getattr(report, "hints", ()))]
    if report.kind == "smoke":
        from torchdoctor.render.smoke import report_lines

        return report_lines(report.to_dict())
    if report.kind == "distributed":
        from torchdoctor.render.distributed import report_lines as distributed_lines

        return distributed_lines(report.to_dict())
    if report.kind == "fleet":
        from torchdoctor.render.fleet import report_lines as fleet_lines

        return fleet_lines(report.to_dict())
    return [(text, None) for text in getattr(report, "said", ())]


def markdown_of(report: Any) -> str:
    if report.kind == "check":
        from torchdoctor._version import __version__
        from torchdoctor.render.check_markdown import render

        return render(report.facts, report.findings, report.note, __version__)
    if report.kind == "fleet":
        from torchdoctor.render.fleet import markdown

        return markdown(report.to_dict())
    from torchdoctor.sanitize import clean

    body = "\n".join(clean(text).replace("```", "'''") for text, _ in lines_of(report))
    return f"### {report.title}\n\n```text\n{body}\n```\n"


def _console(stream: TextIO) -> Any:
    import sys

    if stream is sys.stdout:
        return None  # the renderer's own console (it follows the terminal)
    from rich.console import Console

    return Console(file=stream, highlight=False, no_color=True, width=160)
