"""`check`: gather the facts (live, or from a recorded machine), run the checks, make the CheckReport.

Live: the machine probes and the ONE torch child run at the same time (the child is the slow part: one
torch import); the distributions are read in-process (or, for `--python`, by that interpreter's child).
`--from`: the same checks on a recorded machine, with the origin stated at the top.
"""

from __future__ import annotations

import os
import re
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from torchdoctor.errors import UsageError
from torchdoctor.facts import Facts, ProbeNote
from torchdoctor.operations.common import knowledge, machine, own_distributions, shown_path
from torchdoctor.report.check import CheckReport
from torchdoctor.requests.check import CheckRequest


def check_report(request: CheckRequest) -> CheckReport:
    from torchdoctor.checks import run_checks
    from torchdoctor.findings import exit_code

    target = None
    if request.from_ is not None:
        facts = recorded(request.from_)
        note = f"Diagnosing a recorded machine: {facts.origin} (checks that need the live machine are skipped)"
    else:
        from torchdoctor.target import require_cwd, resolve_target

        require_cwd()
        target = resolve_target(request.python, search=request.search)
        # In-process facts only for our own interpreter found by the search; --python always asks a child.
        exe = None if target.is_self and target.source != "option" else target.executable
        # `build` only when asked: gather's (timeout, python) form stays the one tests replace
        facts = gather(timeout=request.timeout, python=exe, **({"build": True} if request.build_toolchain else {}))
        if exe is not None:
            _require_python(target, facts)
        note = target.headline()

    findings = tuple(run_checks(facts, knowledge()))
    return CheckReport(facts=facts, findings=findings, exit_code=exit_code(findings, request.strict), note=note,
                       target=target)


def gather(timeout: float = 60.0, python: str | None = None, build: bool = False) -> Facts:
    """Live facts for `check`; never raises (each probe's failure is a fact)."""
    from torchdoctor.probes.torch_runtime import probe_target

    with ThreadPoolExecutor(max_workers=3) as pool:
        child = pool.submit(probe_target, python=python, timeout=timeout, with_dists=python is not None)
        facts = machine()
        dists, dist_note = (None, None) if python else own_distributions()
        # Our own interpreter: its companions are known now, so their import pass runs beside the torch child.
        early = pool.submit(_import_pass, dists, None, timeout) if python is None and dists else None
        knowledge()  # cached: load the tables and the judges while the child imports torch
        import torchdoctor.checks  # noqa: F401  (the judges load while the child works)
        target = child.result()

    notes = list(facts.probes) + [target.note] + ([dist_note] if dist_note else [])
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

    distributions = target.distributions if python else dists
    imports, note = early.result() if early is not None else _import_pass(distributions, python, timeout)
    if note is not None:
        notes.append(note)
    index_config = None
    try:  # files and environment only: no child, no pip import
        from torchdoctor.probes.pip_config import read_index_config, target_prefix

        os_name = facts.platform.os if facts.platform is not None else ""
        index_config = read_index_config(os_name, target_prefix(python))
    except Exception as exc:  # noqa: BLE001 - a probe never raises
        notes.append(ProbeNote("pip_config", False, 0.0, f"{type(exc).__name__}: {exc}"))

    py = facts.python
    if python is not None or py is None:
        py = target.python if target.python is not None else (None if python is not None else py)
    toolchain, tool_note = _toolchain(facts, py, build, target.cwd)
    notes.append(tool_note)
    extra = dict(facts.extra or {})
    if python is not None:
        extra["target_python"] = shown_path(python)
    return facts.with_(python=py, distributions=distributions, companion_imports=imports,
                       runtime=target.runtime, shadowing=shadowing, env=env, device_nodes=nodes,
                       probes=tuple(notes), extra=extra, toolchain=toolchain,
                       index_config=index_config)


def _toolchain(facts: Facts, py, build: bool, cwd: str | None):
    """The toolchain probe (PATH, environment, files; no child interpreter), never raising."""
    from torchdoctor.probes.toolchain import gather_toolchain

    os_name = facts.platform.os if facts.platform is not None else None
    return gather_toolchain(os_name, py.include if py is not None else None, build=build, cwd=cwd)


def _import_pass(dists, python: str | None, timeout: float):
    """(companion imports | None, its probe note | None): one bounded attempt per compiled companion."""
    started = time.monotonic()
    try:
        from torchdoctor.probes.companions import SECONDS_EACH, import_pass

        imports = import_pass(dists, python=python, timeout=min(SECONDS_EACH, timeout), torch_seconds=timeout)
    except Exception as exc:  # noqa: BLE001 - a probe never raises
        return None, ProbeNote("companion-imports", False, round(time.monotonic() - started, 4),
                               f"{type(exc).__name__}: {exc}")
    if imports is None:
        return None, None
    return imports, ProbeNote("companion-imports", True, round(time.monotonic() - started, 4),
                              ", ".join(f"{c.module}: {c.status}" for c in imports)[:300])


def recorded(source: str) -> Facts:
    """`--from FILE|-`: a recorded machine (a check --json report or a pasted text), checked for sanity."""
    from torchdoctor.recorded import load_report
    from torchdoctor.recorded.sane import check_facts
    from torchdoctor.recorded.source import read_input

    text, origin = read_input(source)
    return check_facts(load_report(text, origin), origin)


def _require_python(target, facts: Facts) -> None:
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
