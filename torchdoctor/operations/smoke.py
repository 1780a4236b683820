"""`smoke`: run the training workloads on each device, one child per device, and make the SmokeReport.

Order: the CPU child first when the CPU is wanted (it also describes the build, so `--device cpu` and
`all` need no separate discovery child); otherwise one cheap discovery child. Then one child per
remaining device, each with its own deadline, so a hung GPU cannot block the others.
"""

from __future__ import annotations

import sys
from typing import Any, Callable

from torchdoctor.errors import UsageError
from torchdoctor.facts import SCHEMA
from torchdoctor.operations.common import knowledge, machine, shown_path
from torchdoctor.report.smoke import SmokeReport
from torchdoctor.requests.smoke import DeviceRequest, SmokeRequest



def smoke_report(request: SmokeRequest, on_event: Callable[..., None] | None = None) -> SmokeReport:
    """Run the children and judge them. A missing or broken torch is the report's `error`, not an exception."""
    from torchdoctor.target import require_cwd, require_python3, resolve_target

    require_cwd()
    target = resolve_target(request.python, search=request.search)
    if not target.is_self:
        require_python3(target.reason, target.executable)
    data = collect(request.device, epochs=request.epochs, seed=request.seed, timeout=request.timeout,
                   python=None if target.is_self else target.executable, on_event=on_event, target=target,
                   compile_timeout=request.compile_timeout if request.compile else None)
    return SmokeReport.from_dict(data, target=target)


def collect(request, epochs: int, seed: int, timeout: float, python: str | None,
            on_event: Callable[..., None] | None = None, runner: Callable[..., Any] | None = None,
            target: Any = None, compile_timeout: float | None = None) -> dict:
    """Run the children and judge them; returns the JSON-able report (schema 1).

    `runner(args, timeout, python) -> ChildResult` is injectable so tests can fake a GPU."""
    from torchdoctor.probes import devices as dev
    from torchdoctor.verdicts import smoke as verdict

    on_event = on_event or (lambda *a, **k: None)
    runner = runner or _run_child
    report: dict = {"schema": SCHEMA, "ok": False, "requested": request.text, "torch": None,
                    "devices": [], "unavailable": [], "error": None, "findings": []}
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
        report["findings"].extend(f.to_dict() for f in v.findings)
        _stack(report["devices"][-1], res.data, report)
        on_event("done", name, v, res.seconds)
        if compile_timeout is not None:
            _compile_device(name, report["devices"][-1], report, runner, seed, compile_timeout, python, on_event)
        return res.data

    info = None
    ran: list[str] = []
    if request.kind in ("all", "cpu"):
        data = run_device("cpu") or {}
        ran.append("cpu")
        if data.get("import_error"):
            return _failed(report, *_torch_import_message(data, label))
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
            return _failed(report, *_torch_import_message(data, label))
        info = data.get("torch")
        if info is None:
            return _failed(report, "smoke.torch_import_failed",
                           f"could not start torch in {label} to list its devices: {res.detail or res.status}")

    if info is not None:
        report["torch"] = {k: info.get(k) for k in ("torch_version", "build", "cuda", "hip", "python")}
        report["torch"]["executable"] = _display_path(info.get("executable") or exe)
        wanted, why = dev.resolve(request, info)
        if why and request.kind == "cuda":
            why = _check_says(request.text, info, python) or why
        if why:
            report["unavailable"].append({"device": request.text, "reason": why})
            return _failed(report, "smoke.device_unavailable", why)
        if request.kind == "all":
            for kind in ("cuda", "mps", "xpu"):
                if not any(d.split(":")[0] == kind for d in wanted):
                    reason = dev.why_missing(DeviceRequest(kind, kind, None), info)
                    if kind == "cuda":
                        reason = _check_says(kind, info, python) or reason
                    report["unavailable"].append({"device": kind, "reason": reason})
        for name in wanted:
            if name not in ran:
                run_device(name)
                ran.append(name)

    report["ok"] = bool(report["devices"]) and all(d["ok"] for d in report["devices"]) and not report["error"]
    return report


def _stack(entry: dict, data: dict | None, report: dict) -> None:
    """The stack workloads' lines (after the classic stages): each failure is its own finding, and fails the
    device; an older child without them changes nothing."""
    from torchdoctor.verdicts import stack as judge

    raw = (data or {}).get("stack")
    if not isinstance(raw, dict):
        return
    checks, found = judge.judge(entry["device"], raw)
    entry["stack"] = {k: {a: b for a, b in v.items() if a != "traceback"} for k, v in raw.items() if isinstance(v, dict)}
    entry.setdefault("checks", {}).update({f"stack.{k}": v for k, v in checks.items()})
    if found:
        entry["findings"] = list(entry.get("findings") or []) + [f.to_dict() for f in found]
        report["findings"].extend(f.to_dict() for f in found)
        entry["ok"] = False
        entry["problems"] = list(entry.get("problems") or []) + [f.message for f in found]
        if entry.get("status") == "passed":
            entry["status"] = "failed"


def _compile_device(name: str, entry: dict, report: dict, runner: Callable[..., Any], seed: int, timeout: float,
                    python: str | None, on_event: Callable[..., None]) -> None:
    """`--compile`: its own child on this device with its own deadline; the result is the device's
    "compile" entry (apart from the steady-state timings), a failure fails the device."""
    from torchdoctor.verdicts import compile as judge

    import shutil
    import tempfile

    on_event("start", f"{name} compile")
    root = tempfile.mkdtemp(prefix="torchdoctor-compile-")  # ours to remove: the child may be killed at its deadline
    try:
        res = runner(["--device", name, "--compile", "--seed", str(seed), "--compile-root", root], timeout, python)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    result, found = judge.judge(name, res.status, res.detail, res.data, timeout)
    result["child_seconds"] = round(res.seconds, 4)
    entry["compile"] = result
    entry.setdefault("checks", {})["compile"] = "passed" if result["ok"] else "failed"
    entry["findings"] = list(entry.get("findings") or []) + [f.to_dict() for f in found]
    report["findings"].extend(f.to_dict() for f in found)
    if not result["ok"]:
        entry["ok"] = False
        entry["problems"] = list(entry.get("problems") or []) + [f.message for f in found if f.severity == "error"]
        if entry.get("status") == "passed":
            entry["status"] = "failed"


def _check_says(name: str, info: dict, python: str | None) -> str | None:
    """When CUDA is missing because of the build (a CUDA/ROCm build on a machine without that GPU),
    `check`'s own finding and fix, so smoke and check say the same thing. None otherwise."""
    from torchdoctor.probes import devices as dev

    if info.get("build") not in ("cuda", "rocm") or info.get("cuda_available"):
        return None
    try:
        from dataclasses import replace

        from torchdoctor.checks import CHECKS, run_one

        facts = machine()
        py = facts.python
        if py is not None and info.get("python"):
            py = replace(py, version=str(info["python"]), executable=_display_path(info.get("executable") or ""))
        extra = dict(facts.extra or {})
        if python:
            extra["target_python"] = shown_path(python)
        facts = facts.with_(python=py, runtime=dev.runtime_facts(info), extra=extra)
        k = knowledge()
        for c in CHECKS:
            if c.id in dev.BUILD_FIT_CHECKS:
                found = run_one(c, facts, k)
                if found.severity in ("warning", "error"):
                    return dev.from_check(name, found)
    except Exception:  # noqa: BLE001 - the plain reason stands when the machine cannot be judged
        return None
    return None


def _run_child(args: list[str], timeout: float, python: str | None):
    from torchdoctor.child import run_script
    from torchdoctor.probes.devices import CHILD_SCRIPT

    return run_script(CHILD_SCRIPT, args, timeout=timeout, python=python)


def _refuse_unstartable(res, why: str | None) -> None:
    if res.status == "not_started":
        raise UsageError(f"{why}: {res.detail}" if why else f"cannot start Python: {res.detail}")


def _failed(report: dict, fid: str, message: str) -> dict:
    """The run could not train at all: the report's error, and its finding."""
    from torchdoctor.checks.areas import SMOKE
    from torchdoctor.findings import ERROR, finding
    from torchdoctor.verdicts.smoke import FINDING_IDS

    report["error"] = message
    report["findings"] = [finding(fid, ERROR, message, area=SMOKE, title=FINDING_IDS[fid]).to_dict()]
    return report


def _torch_import_message(data: dict, exe: str) -> tuple[str, str]:
    if data.get("import_missing"):
        return "smoke.torch_missing", (f"torch is not installed for {exe}; `torchdoctor suggest` prints the install "
                                       "command for this machine")
    first = " ".join(str(data.get("import_error")).split())[:300]
    return "smoke.torch_import_failed", f"torch is installed for {exe} but fails to import ({first}); run `torchdoctor check`"


def _display_path(path: str) -> str:
    """Home as ~ (reports must not carry user names)."""
    from torchdoctor.privacy import tilde

    return tilde(path) or path
