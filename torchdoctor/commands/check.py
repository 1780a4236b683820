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
    from torchdoctor.limits import check_timeout

    timeout = check_timeout(timeout)
    if from_ is not None and python is not None:
        raise UsageError("--from and --python cannot be combined: --from judges a recorded machine")

    if from_ is not None:
        facts = _recorded(from_)
        note = f"Diagnosing a recorded machine: {facts.origin} (checks that need the live machine are skipped)"
    else:
        require_cwd()
        target = None
        if python is not None:
            from torchdoctor.probes.torch_runtime import resolve_python

            target = resolve_python(python)
            if target is None:
                raise UsageError(f"--python {python}: no such interpreter or virtualenv")
        facts = gather(timeout=timeout, python=target)
        if target is not None:
            _require_python(python, facts, target)
        note = f"Diagnosing {_tilde(target)}" if target else None

    from torchdoctor.checks import exit_code, run_checks

    knowledge = _knowledge()
    findings = run_checks(facts, knowledge)
    code = exit_code(findings, strict)
    _render(fmt, facts, findings, code, verbose, note)
    return code


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


def require_cwd() -> None:
    """A deleted working directory makes every child Python fail at start: say that, not "torch crashed"."""
    try:
        os.getcwd()
    except FileNotFoundError:
        raise UsageError("the current directory no longer exists (it was deleted or moved): cd into an existing "
                         "directory and run again") from None
    except OSError:
        pass  # unreadable but present: the children can still start there


def _require_python(given: str, facts: Any, target: str | None = None) -> None:
    """--python must name something that runs as Python; otherwise there is nothing to diagnose."""
    rt = facts.runtime
    if facts.python is not None or rt is None:
        return
    if rt.status == "not_run" or rt.error_kind == "interpreter":
        if target:
            require_python3(given, target)
        why = (rt.error or "it printed no answer").strip().splitlines()[0]
        raise UsageError(f"--python {given}: did not run as a Python interpreter ({why})")


def require_python3(given: str, python: str) -> None:
    """A Python too old for the doctor's children (2.7, 3.5): say which it is and what to install."""
    old = _old_python(python)
    if not old:
        return
    k = _knowledge()
    last = k.python_too_old.get(".".join(old.split(".")[:2])) if k is not None else None
    then = (f"torch {last} was the last release for it" if last
            else "no torch release that this doctor knows (1.13 and newer) supports it")
    recommended = k.recommended_python() if k is not None else "3"
    newest = (f" (torch {k.releases[0].version} supports {k.releases[0].pythons[0]}-{k.releases[0].pythons[-1]})"
              if k is not None else "")
    raise UsageError(f"--python {given} is Python {old}: {then}, and this doctor's probe needs Python 3.6 "
                     f"or newer. Install Python {recommended}{newest} and create a new environment with it")


def _old_python(python: str) -> str | None:
    """The version of a Python too old for the probe (2.7, 3.5): one tiny query that both understand."""
    from torchdoctor.runner import child_env, run

    code = "import sys; sys.stdout.write('%d.%d.%d' % tuple(sys.version_info[:3]))"
    result = run([python, "-c", code], timeout=10, env=child_env())
    m = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)", result.stdout.strip()) if result.ok else None
    if m and (int(m.group(1)), int(m.group(2))) < (3, 6):
        return result.stdout.strip()
    return None


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
    from torchdoctor.probes.torch_dist import tilde

    return tilde(os.path.abspath(path)) if path else path


def _render(fmt: str, facts: Any, findings: Any, code: int, verbose: bool, note: str | None) -> None:
    from torchdoctor import __version__
    from torchdoctor.render.check_human import write_safely

    if fmt == "json":
        from torchdoctor.render.check_json import render

        write_safely(sys.stdout, render(facts, findings, code, __version__))
    elif fmt == "markdown":
        from torchdoctor.render.check_markdown import render as md

        write_safely(sys.stdout, md(facts, findings, note, __version__))
    else:
        from torchdoctor.render.check_human import render as human

        human(facts, findings, sys.stdout, os.environ, verbose, note)


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
