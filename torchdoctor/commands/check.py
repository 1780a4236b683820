"""`torchdoctor check`: gather -> judge -> render, and the exit code.

Live: the machine probes and the ONE torch child run at the same time (the child is
the slow part: one torch import), the distributions are read in-process (or, for
`--python`, by that interpreter's child). `--from`: the same checks on a recorded
machine, with the origin stated at the top.
"""

from __future__ import annotations

import os
import re
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from torchdoctor.errors import UsageError

FORMATS = ("human", "markdown", "json")


def run_check(json_out: bool = False, verbose: bool = False, fmt: str = "human", strict: bool = False,
              timeout: float = 60.0, python: str | None = None, list_checks: bool = False,
              from_: str | None = None) -> int:
    fmt = (fmt or "human").strip().lower()
    if fmt not in FORMATS:
        raise UsageError(f"--format must be one of {', '.join(FORMATS[:2])} (got {fmt!r})")
    if json_out:
        fmt = "json"
    if list_checks:
        return _list_checks(fmt)
    report = check_report(strict=strict, timeout=timeout, python=python, from_=from_)
    _render(fmt, report, verbose)
    return report.exit_code


def check_report(strict: bool = False, timeout: float = 60.0, python: str | None = None,
                 from_: str | None = None, search: bool = True) -> Any:
    """Gather and judge: the CheckReport the CLI renders and the Python API returns.
    `search=False`: without --python, the doctor's own interpreter (the API's caller)."""
    from torchdoctor.api import CheckReport

    from torchdoctor.limits import check_timeout

    timeout = check_timeout(timeout)
    if from_ is not None and python is not None:
        raise UsageError("--from and --python cannot be combined: --from judges a recorded machine")

    target = None
    if from_ is not None:
        facts = _recorded(from_)
        note = f"Diagnosing a recorded machine: {facts.origin} (checks that need the live machine are skipped)"
    else:
        from torchdoctor.target import resolve_target

        from torchdoctor.target import require_cwd

        require_cwd()
        target = resolve_target(python, search=search)
        # In-process facts only for our own interpreter found by the search; --python always asks a child.
        exe = None if target.is_self and target.source != "option" else target.executable
        facts = gather(timeout=timeout, python=exe)
        if exe is not None:
            _require_python(target, facts)
        note = target.headline()

    from torchdoctor.checks import exit_code, run_checks

    findings = tuple(run_checks(facts, _knowledge()))
    return CheckReport(facts=facts, findings=findings, exit_code=exit_code(findings, strict), note=note,
                       target=target)


def gather(timeout: float = 60.0, python: str | None = None) -> Any:
    """Live facts for `check`; never raises (each probe's failure is a fact)."""
    from torchdoctor.facts import ProbeNote
    from torchdoctor.probes.torch_runtime import probe_target

    with ThreadPoolExecutor(max_workers=2) as pool:
        child = pool.submit(probe_target, python=python, timeout=timeout, with_dists=python is not None)
        machine = _machine()
        dists, dist_note = (None, None) if python else _own_distributions()
        _knowledge()  # cached: load the tables and the judges while the child imports torch
        import torchdoctor.checks  # noqa: F401
        target = child.result()

    notes = list(machine.probes) + [target.note] + ([dist_note] if dist_note else [])
    started = time.monotonic()
    shadowing = env = nodes = None
    try:
        from torchdoctor.probes.workspace import allowed_env, device_nodes, find_shadowing

        sys_path = target.sys_path or ((os.getcwd(),) + tuple(sys.path[1:]) if python is None else ())
        shadowing = find_shadowing(sys_path) if sys_path else None
        env = allowed_env(os.environ)
        nodes = device_nodes()
        notes.append(ProbeNote("workspace", True, round(time.monotonic() - started, 4)))
    except Exception as exc:  # noqa: BLE001 - a probe never raises
        notes.append(ProbeNote("workspace", False, round(time.monotonic() - started, 4), f"{type(exc).__name__}: {exc}"))

    py = machine.python
    if python is not None or py is None:
        py = target.python if target.python is not None else (None if python is not None else py)
    extra = dict(machine.extra or {})
    if python is not None:
        extra["target_python"] = _tilde(python)
    return machine.with_(python=py, distributions=target.distributions if python else dists,
                         runtime=target.runtime, shadowing=shadowing, env=env, device_nodes=nodes,
                         probes=tuple(notes), extra=extra)


def _require_python(target: Any, facts: Any) -> None:
    """The target must run as Python (3.6 or newer, for the probe); otherwise there is nothing to diagnose."""
    from torchdoctor.target import require_python3

    rt = facts.runtime
    if facts.python is not None and _older_than_36(facts.python.version):
        require_python3(target.reason, target.executable)  # 2.7 answers its version, then the probe fails
    if facts.python is not None or rt is None:
        return
    if rt.status == "not_run" or rt.error_kind == "interpreter":
        require_python3(target.reason, target.executable)
        why = (rt.error or "it printed no answer").strip().splitlines()[0]
        raise UsageError(f"{target.reason}: {target.display} did not run as a Python interpreter ({why})")


def _older_than_36(version: str) -> bool:
    m = re.match(r"(\d+)\.(\d+)", version or "")
    return bool(m) and (int(m.group(1)), int(m.group(2))) < (3, 6)


def _machine() -> Any:
    from torchdoctor.facts import Facts, ProbeNote

    started = time.monotonic()
    try:
        from torchdoctor.probes import gather_machine

        return gather_machine(timeout=5.0)
    except Exception as exc:  # noqa: BLE001 - the machine probes are another helper's; never let them stop us
        return Facts(probes=(ProbeNote("machine", False, round(time.monotonic() - started, 4),
                                       f"{type(exc).__name__}: {exc}"),))


def _own_distributions() -> tuple[Any, Any]:
    from torchdoctor.facts import ProbeNote

    started = time.monotonic()
    try:
        from torchdoctor.probes.torch_dist import gather_distributions

        found = gather_distributions()
        return found, ProbeNote("distributions", True, round(time.monotonic() - started, 4))
    except Exception as exc:  # noqa: BLE001
        return None, ProbeNote("distributions", False, round(time.monotonic() - started, 4),
                               f"{type(exc).__name__}: {exc}")


def _recorded(source: str) -> Any:
    from torchdoctor.reports import load_report
    from torchdoctor.reports.source import read_input

    from torchdoctor.reports.sane import check_facts

    text, origin = read_input(source)
    return check_facts(load_report(text, origin), origin)


def _knowledge() -> Any:
    try:
        from torchdoctor.knowledge import load

        return load()
    except Exception:  # noqa: BLE001 - checks needing the tables then say they could not judge
        return None


def _tilde(path: str | None) -> str | None:
    from torchdoctor.privacy import tilde

    return tilde(os.path.abspath(path)) if path else path


def _render(fmt: str, report: Any, verbose: bool) -> None:
    from torchdoctor.render.check_human import write_safely

    if fmt == "json":
        write_safely(sys.stdout, report.json())
    elif fmt == "markdown":
        write_safely(sys.stdout, report.markdown())
    else:
        from torchdoctor.render.check_human import render as human

        human(report.facts, report.findings, sys.stdout, os.environ, verbose, report.note)


def _list_checks(fmt: str) -> int:
    from torchdoctor.checks import CHECKS
    from torchdoctor.render.check_human import write_safely

    if fmt == "json":
        import json

        rows = [{"id": c.id, "area": c.area, "title": c.title, "needs": list(c.needs)} for c in CHECKS]
        write_safely(sys.stdout, json.dumps({"schema": 1, "checks": rows}, indent=1) + "\n")
        return 0
    width = max(len(c.id) for c in CHECKS)
    write_safely(sys.stdout, "".join(f"{c.id:<{width}}  {c.area:<13}  {c.title}\n" for c in CHECKS))
    return 0
