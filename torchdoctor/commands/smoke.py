"""`torchdoctor smoke`: run the training workloads on each device, one child per device.

Order: the CPU child first when the CPU is wanted (it also describes the build, so
`--device cpu` and `all` need no separate discovery child); otherwise one cheap
discovery child. Then one child per remaining device, each with its own deadline, so
a hung GPU cannot block the others.

Exit codes: 0 every requested device passed; 1 a device failed, is unavailable, or
torch is missing/broken; 2 usage error (bad flag, bad --python path, --plot without
matplotlib: checked before anything runs).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Callable

from torchdoctor.errors import DoctorError, UsageError
from torchdoctor.limits import check_seed, check_timeout

SCHEMA = 1
PLOT_INSTALL = "pip install 'torchdoctor[plot]' (or: pip install matplotlib)"


def run_smoke(device: str = "all", json_out: bool = False, epochs: int = 100, seed: int = 0,
              plot: str | None = None, timeout: float = 120.0, python: str | None = None,
              nproc: int | None = None, backend: str | None = None) -> int:
    if nproc is not None or backend is not None:
        raise UsageError("--nproc and --backend only apply with --distributed")
    if plot:
        _check_plot_target(plot)

    from torchdoctor.render.smoke import Progress

    progress = Progress(sys.stderr)
    report = smoke_report(device, epochs=epochs, seed=seed, timeout=timeout, python=python, on_event=progress)
    data = report.data
    if json_out:
        sys.stdout.write(report.json())
    elif data["devices"]:
        from torchdoctor.render.smoke import render_report

        render_report(data)
    if plot and data["devices"]:
        from torchdoctor.render.smoke import write_plot

        try:
            write_plot(data, plot)
        except OSError as exc:
            raise DoctorError(f"cannot write the plot to {plot}: {exc}", 1) from None
        progress.note(f"loss curves written to {plot}")
    if data.get("error"):
        raise DoctorError(data["error"], 1)
    return report.exit_code


def smoke_report(device: str = "all", epochs: int = 100, seed: int = 0, timeout: float = 120.0,
                 python: str | None = None, search: bool = True,
                 on_event: Callable[..., None] | None = None) -> Any:
    """Validate, run the children, judge: the SmokeReport the CLI renders and the Python API returns.
    A missing or broken torch is the report's `error`, not an exception."""
    from torchdoctor.api import SmokeReport
    from torchdoctor.smoke.devices import parse_request
    from torchdoctor.target import resolve_target

    from torchdoctor.target import require_cwd, require_python3

    request = parse_request(device)
    if epochs < 1 or epochs > 1_000_000:
        raise UsageError(f"--epochs must be between 1 and 1000000, not {epochs}")
    check_timeout(timeout)
    check_seed(seed)
    require_cwd()
    target = resolve_target(python, search=search)
    if not target.is_self:
        require_python3(target.reason, target.executable)
    data = collect(request, epochs=epochs, seed=seed, timeout=timeout,
                   python=None if target.is_self else target.executable, on_event=on_event, target=target)
    return SmokeReport(data=data, exit_code=0 if data["ok"] else 1, target=target)


def json_safe(value: Any) -> Any:
    """NaN and infinity are not JSON: they become null (the problems text says what happened)."""
    from torchdoctor.sanitize import strict_json

    return strict_json(value)


def _check_plot_target(plot: str) -> None:
    """Before any training: matplotlib importable (Agg), the folder exists."""
    folder = Path(plot).expanduser().resolve().parent
    if not folder.is_dir():
        raise UsageError(f"--plot {plot}: the folder {folder} does not exist")
    try:
        import matplotlib  # noqa: F401 - only to know it is there; imported for real when plotting
    except ImportError:
        raise UsageError(f"--plot needs matplotlib, which is not installed: {PLOT_INSTALL}") from None


def collect(request, epochs: int, seed: int, timeout: float, python: str | None,
            on_event: Callable[..., None] | None = None, runner: Callable[..., Any] | None = None,
            target: Any = None) -> dict:
    """Run the children and judge them; returns the JSON-able report (schema 1).

    `runner(args, timeout, python) -> ChildResult` is injectable so tests can fake a GPU."""
    from torchdoctor.smoke import devices as dev
    from torchdoctor.smoke import verdict

    on_event = on_event or (lambda *a, **k: None)
    runner = runner or _run_child
    report: dict = {"schema": SCHEMA, "ok": False, "requested": request.text, "torch": None,
                    "devices": [], "unavailable": [], "error": None}
    if target is not None:  # which interpreter and why: {executable, reason, source}
        report["target"] = target.to_dict()
    exe = _display_path(python or sys.executable)
    why = target.reason if target is not None else (f"--python {python}" if python else None)
    label = f"{exe} ({target.why})" if target is not None else exe

    def run_device(name: str) -> dict | None:
        on_event("start", name)
        res = runner(["--device", name, "--epochs", str(epochs), "--seed", str(seed)], timeout, python)
        _refuse_unstartable(res, why)
        v = verdict.judge_device(name, res.status, res.detail, res.data, res.stderr, timeout)
        if (res.data or {}).get("import_error"):
            return res.data
        report["devices"].append(verdict.device_entry(v, res.data, res.seconds))
        on_event("done", name, v, res.seconds)
        return res.data

    info = None
    ran: list[str] = []
    if request.kind in ("all", "cpu"):
        data = run_device("cpu") or {}
        ran.append("cpu")
        if data.get("import_error"):
            report["error"] = _torch_import_message(data, label)
            return report
        info = data.get("torch")
        if info is None and request.kind == "all":
            report["unavailable"].append({"device": "cuda, mps, xpu", "reason":
                                          "could not list the other devices: the CPU child died first"})
    else:
        on_event("start", "discovery")
        res = runner(["--discover"], min(timeout, 120.0), python)
        _refuse_unstartable(res, why)
        data = res.data or {}
        if data.get("import_error"):
            report["error"] = _torch_import_message(data, label)
            return report
        info = data.get("torch")
        if info is None:
            report["error"] = (f"could not start torch in {label} to list its devices: "
                               f"{res.detail or res.status}")
            return report

    if info is not None:
        report["torch"] = {k: info.get(k) for k in ("torch_version", "build", "cuda", "hip", "python")}
        report["torch"]["executable"] = _display_path(info.get("executable") or exe)
        wanted, why = dev.resolve(request, info)
        if why and request.kind == "cuda":
            why = _check_says(request.text, info, python) or why
        if why:
            report["error"] = why
            report["unavailable"].append({"device": request.text, "reason": why})
            return report
        if request.kind == "all":
            for kind in ("cuda", "mps", "xpu"):
                if not any(d.split(":")[0] == kind for d in wanted):
                    reason = dev.why_missing(dev.Request(kind, kind, None), info)
                    if kind == "cuda":
                        reason = _check_says(kind, info, python) or reason
                    report["unavailable"].append({"device": kind, "reason": reason})
        for name in wanted:
            if name not in ran:
                run_device(name)
                ran.append(name)

    report["ok"] = bool(report["devices"]) and all(d["ok"] for d in report["devices"]) and not report["error"]
    return report


def _check_says(name: str, info: dict, python: str | None) -> str | None:
    """When CUDA is missing because of the build (a CUDA/ROCm build on a machine without that GPU),
    `check`'s own finding and fix, so smoke and check say the same thing. None otherwise."""
    from torchdoctor.smoke import devices as dev

    if info.get("build") not in ("cuda", "rocm") or info.get("cuda_available"):
        return None
    try:
        from dataclasses import replace

        from torchdoctor.checks import CHECKS, run_one
        from torchdoctor.commands.check import _knowledge, _machine, _tilde

        facts = _machine()
        py = facts.python
        if py is not None and info.get("python"):
            py = replace(py, version=str(info["python"]), executable=_display_path(info.get("executable") or ""))
        extra = dict(facts.extra or {})
        if python:
            extra["target_python"] = _tilde(python)
        facts = facts.with_(python=py, runtime=dev.runtime_facts(info), extra=extra)
        knowledge = _knowledge()
        for c in CHECKS:
            if c.id in dev.BUILD_FIT_CHECKS:
                found = run_one(c, facts, knowledge)
                if found.severity in ("warning", "error"):
                    return dev.from_check(name, found)
    except Exception:  # noqa: BLE001 - the plain reason stands when the machine cannot be judged
        return None
    return None


def _run_child(args: list[str], timeout: float, python: str | None):
    from torchdoctor.child import run_script
    from torchdoctor.smoke.devices import CHILD_SCRIPT

    return run_script(CHILD_SCRIPT, args, timeout=timeout, python=python)


def _refuse_unstartable(res, why: str | None) -> None:
    if res.status == "not_started":
        raise UsageError(f"{why}: {res.detail}" if why else f"cannot start Python: {res.detail}")


def _torch_import_message(data: dict, exe: str) -> str:
    if data.get("import_missing"):
        return (f"torch is not installed for {exe}; `torchdoctor suggest` prints the install "
                "command for this machine")
    first = " ".join(str(data.get("import_error")).split())[:300]
    return f"torch is installed for {exe} but fails to import ({first}); run `torchdoctor check`"


def _display_path(path: str) -> str:
    """Home as ~ (reports must not carry user names)."""
    from torchdoctor.privacy import tilde

    return tilde(path) or path
