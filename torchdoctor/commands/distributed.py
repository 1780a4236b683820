"""`torchdoctor smoke --distributed`: options -> DistributedRequest -> operations.distributed -> emit.

Exit codes: 0 every rank passed; 1 a rank failed or the group never formed (or the requested device or
backend is not in this torch); 2 usage error. Rank 0 (or the local launcher) prints the report; the other
ranks of a joined group print one line on stderr.
"""

from __future__ import annotations

import os
import sys


def run_distributed(device: str = "all", json_out: bool = False, nproc: int | None = None,
                    backend: str | None = None, timeout: float = 120.0, python: str | None = None,
                    epochs: int = 100, seed: int = 0, nnodes: int | None = None, node_rank: int | None = None,
                    rdzv_endpoint: str | None = None, json_line: bool = False, node_label: str | None = None,
                    bandwidth_max: str | None = None) -> int:
    from torchdoctor.distributed.launch import joining
    from torchdoctor.operations.distributed import distributed_report
    from torchdoctor.render.emit import emit
    from torchdoctor.render.json import check_line_options, write_report
    from torchdoctor.requests.distributed import DistributedRequest

    node = check_line_options(json_out, json_line, node_label)

    environ = dict(os.environ)
    request = DistributedRequest.build(device=device, backend=backend, nproc=nproc, timeout=timeout, python=python,
                                       epochs=epochs, seed=seed, nnodes=nnodes, node_rank=node_rank,
                                       rdzv_endpoint=rdzv_endpoint, joining=joining(environ),
                                       bandwidth_max=bandwidth_max)
    report = distributed_report(request, environ, note=_note)
    doc = report.document
    if report.rank not in (None, "0") and not _only_self(doc):
        mine = next((r for r in doc["ranks"] if str(r["rank"]) == report.rank), {})
        _note(f"rank {report.rank} of {doc['world_size']}: {mine.get('status', 'unknown')}; "
              f"group {'passed' if doc['ok'] else 'FAILED'} (rank 0 prints the report)")
    elif json_line or node is not None:
        write_report(report, sys.stdout, json_line, node)
    else:
        emit(report, "json" if json_out else "human", sys.stdout)
    return report.exit_code


def _only_self(doc: dict) -> bool:
    # Without the gathered results this rank's view is all it can report: it prints it itself.
    return any(r["status"] == "unknown" for r in doc["ranks"]) or not doc["ranks"]


def _note(message: str) -> None:
    sys.stderr.write(f"torchdoctor: {message}\n")
    sys.stderr.flush()
