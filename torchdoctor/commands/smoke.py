"""`torchdoctor smoke`: options -> SmokeRequest -> operations.smoke -> emit (and --plot) -> exit code.

Exit codes: 0 every requested device passed; 1 a device failed, is unavailable, or torch is missing or
broken; 2 usage error (bad flag, bad --python path, --plot without matplotlib: checked before anything runs).
"""

from __future__ import annotations

import sys
from pathlib import Path

from torchdoctor.errors import DoctorError, UsageError

PLOT_INSTALL = "pip install 'torchdoctor[plot]' (or: pip install matplotlib)"


def run_smoke(device: str = "all", json_out: bool = False, epochs: int = 100, seed: int = 0,
              plot: str | None = None, timeout: float = 120.0, python: str | None = None,
              nproc: int | None = None, backend: str | None = None, json_line: bool = False,
              node_label: str | None = None, compile: bool = False, compile_timeout: float = 180.0) -> int:
    if nproc is not None or backend is not None:
        raise UsageError("--nproc and --backend only apply with --distributed")
    from torchdoctor.render.json import check_line_options, write_report

    node = check_line_options(json_out, json_line, node_label)
    from torchdoctor.operations.smoke import smoke_report
    from torchdoctor.render.emit import emit
    from torchdoctor.render.smoke import Progress
    from torchdoctor.requests.smoke import SmokeRequest

    request = SmokeRequest.build(device=device, epochs=epochs, seed=seed, timeout=timeout, python=python,
                                 compile=compile, compile_timeout=compile_timeout)
    if plot:
        _check_plot_target(plot)
    progress = Progress(sys.stderr)
    report = smoke_report(request, on_event=progress)
    if json_line or node is not None:
        write_report(report, sys.stdout, json_line, node)
    else:
        emit(report, "json" if json_out else "human", sys.stdout)
    if plot and report.devices:
        from torchdoctor.render.smoke import write_plot

        try:
            write_plot(report.to_dict(), plot)
        except OSError as exc:
            raise DoctorError(f"cannot write the plot to {plot}: {exc}", 1) from None
        progress.note(f"loss curves written to {plot}")
    if report.error:
        raise DoctorError(report.error, 1)
    return report.exit_code


def _check_plot_target(plot: str) -> None:
    """Before any training: matplotlib importable (Agg), the folder exists."""
    folder = Path(plot).expanduser().resolve().parent
    if not folder.is_dir():
        raise UsageError(f"--plot {plot}: the folder {folder} does not exist")
    try:
        import matplotlib  # noqa: F401 - only to know it is there; imported for real when plotting
    except ImportError:
        raise UsageError(f"--plot needs matplotlib, which is not installed: {PLOT_INSTALL}") from None
