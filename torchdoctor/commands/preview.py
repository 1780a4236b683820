"""`torchdoctor preview -- pip install ...`: options -> PreviewRequest -> operations.preview -> exit.

Exit codes: 0 torch and its companions are safe, 1 torch would be replaced by another build or an older
release, a companion would break, or the command would fail; 2 usage.
"""

from __future__ import annotations

import sys


def run_preview(command: list[str], python: str | None = None, json_out: bool = False,
                timeout: float = 300.0) -> int:
    from torchdoctor.operations.preview import preview_report
    from torchdoctor.render.emit import emit
    from torchdoctor.requests.preview import PreviewRequest

    request = PreviewRequest.build(command, python=python, timeout=timeout)
    report = preview_report(request)
    emit(report, "json" if json_out else "human", sys.stdout)
    return report.exit_code
