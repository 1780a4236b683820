"""`torchdoctor suggest`: options -> SuggestRequest -> operations.suggest -> emit -> exit code."""

from __future__ import annotations

import sys
from typing import Any


def run_suggest(torch: str | None = None, with_: str | None = None, json_out: bool = False, fmt: str = "pip",
                os_: str | None = None, arch: str | None = None, python_version: str | None = None,
                driver: str | None = None, gpus: list[str] | tuple[str, ...] = (), index_base: str | None = None,
                facts: Any = None, python: str | None = None, mirror: str | None = None, online: bool = False) -> int:
    """`facts` (tests only): plan for exactly these facts instead of probing this machine."""
    from torchdoctor.operations.suggest import suggest_report
    from torchdoctor.render.emit import emit
    from torchdoctor.requests.suggest import SuggestRequest

    request = SuggestRequest.build(torch=torch, with_=with_, fmt=fmt, os_=os_, arch=arch,
                                   python_version=python_version, driver=driver, gpus=gpus, index_base=index_base,
                                   python=python, mirror=mirror, online=online)
    report = suggest_report(request, facts=facts)
    emit(report, "json" if json_out else "human", sys.stdout)
    return report.exit_code
