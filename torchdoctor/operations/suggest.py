"""`suggest`: detect (or describe) the machine, plan the install, make the SuggestReport.

Options that describe another machine override what is detected here. When --os names another OS than
this one, this machine's driver, GPUs and libc are not carried over (they belong to this OS), and --arch
defaults to that OS's usual one. `suggest` never imports torch.
"""

from __future__ import annotations

import os
import sys
import threading
from dataclasses import replace
from typing import Any

from torchdoctor.errors import UsageError
from torchdoctor.facts import Facts
from torchdoctor.report.suggest import SuggestReport
from torchdoctor.requests.suggest import Description, SuggestRequest

_ASK_SECONDS = 10.0


def suggest_report(request: SuggestRequest, facts: Facts | None = None) -> SuggestReport:
    """The Python planned for is --python-version, else the target interpreter's (torchdoctor.target), asked
    in a quick child unless it is the doctor's own; `facts` given (tests): exactly those."""
    from torchdoctor.knowledge import load
    from torchdoctor.plan import plan_install

    target = None
    if facts is None:
        from torchdoctor.probes import gather_machine
        from torchdoctor.target import resolve_target

        if request.described.python is None:
            target = resolve_target(request.python, search=request.search)
        asking = _ask_python(target) if target is not None and not _same_binary(target) else None
        facts = gather_machine()  # while the target's child starts
        if asking is not None:
            facts = facts.with_(python=_target_python(target, asking, facts.python))
    facts = apply_description(facts, request.described)

    try:
        result = plan_install(facts, load(), request.plan)
    except ValueError as exc:  # a pinned version/variant the tables do not know
        raise UsageError(str(exc)) from None
    return SuggestReport(result=result, fmt=request.plan.fmt, origin=facts.origin,
                         exit_code=0 if result.plan is not None else 1, target=target)


def apply_description(facts: Facts, d: Description) -> Facts:
    """Overlay the described parts on the detected facts."""
    if d.empty:
        return facts
    from torchdoctor.facts import NvidiaFacts, PlatformFacts, PythonFacts

    plat = facts.platform or PlatformFacts(os="unknown", arch="unknown")
    py = facts.python or PythonFacts(version="3.12")
    nvidia, gpus = facts.nvidia, facts.gpus
    if d.os is not None and d.os != plat.os:
        # Another OS: this machine's hardware facts and libc do not describe it.
        default_arch = "arm64" if d.os == "macos" else "x86_64"
        plat = PlatformFacts(os=d.os, arch=d.arch or default_arch)
        nvidia, gpus = None, ()
    if d.arch is not None:
        plat = replace(plat, arch=d.arch)
    if d.python is not None:
        version, ft = d.python
        py = PythonFacts(version=version, free_threaded=ft, bits=32 if plat.arch == "x86" else 64)
    elif plat.arch == "x86":
        py = replace(py, bits=32)
    if d.no_driver:
        nvidia = NvidiaFacts(driver=None, source="user")
    elif d.driver is not None:
        nvidia = NvidiaFacts(driver=d.driver, source="user")
    if d.gpus is not None:
        gpus = d.gpus
    return facts.with_(origin="described", platform=plat, python=py, nvidia=nvidia, gpus=gpus)


def _ask_python(target: Any) -> tuple[threading.Thread, dict]:
    """Start asking the target for its Python facts in a thread; `_target_python` collects the answer."""
    from torchdoctor.probes.torch_runtime import probe_python_of

    box: dict = {}
    thread = threading.Thread(target=lambda: box.update(answer=probe_python_of(target.executable, _ASK_SECONDS)),
                              name="target-python", daemon=True)
    thread.start()
    return thread, box


def _same_binary(target: Any) -> bool:
    """The doctor's own interpreter binary (a venv's python links to its base): its version, bits and
    free-threading are ours, so no child needs to be asked."""
    if target.is_self:
        return True
    try:
        return os.path.samefile(os.path.realpath(target.executable), os.path.realpath(sys.executable))
    except OSError:
        return False


def _target_python(target: Any, asking: tuple[threading.Thread, dict], own: Any) -> Any:
    """The target interpreter's PythonFacts (the installers found on PATH are the same as ours)."""
    thread, box = asking
    thread.join(_ASK_SECONDS + 5.0)  # the runner's own deadline ends it first
    py, why = box.get("answer") or (None, f"no answer within {_ASK_SECONDS:g} s")
    if py is None:
        raise UsageError(f"{target.reason}: {target.display} did not run as a Python interpreter ({why}); "
                         "--python-version plans without asking it")
    return replace(py, tools=own.tools) if own is not None else py
