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

    target, live = None, facts is None
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
    notes: tuple = ()
    online = None
    if request.online and result.plan is not None:
        from torchdoctor.operations.online import probe_plan

        plan, found, probe = probe_plan(result.plan, facts, load())
        result, notes = replace(result, plan=plan), tuple(found)
        if probe.status == "found":
            online = f"Confirmed online: {probe.wheel} is on {probe.url} ({probe.seconds:.2f} s)."
    if live and result.plan is not None and request.described.empty:  # a described machine's config is not ours
        result, more = under_config(result, request, target, facts)
        notes += more
    hints = tuple(h for h in (online, region_hint(result, request), staleness_line(result.as_of)) if h)
    return SuggestReport(result=result, fmt=request.plan.fmt, origin=facts.origin,
                         exit_code=0 if result.plan is not None else 1, target=target, notes=notes, hints=hints)


def _this_os(facts: Facts) -> str | None:
    return facts.platform.os if facts.platform is not None else None


def under_config(result: Any, request: SuggestRequest, target: Any, facts: Facts) -> tuple[Any, tuple]:
    """The target's pip/uv configuration (files and environment): when it would change what the plan
    installs, the command becomes one that holds under it, and the finding says what it overrides."""
    from torchdoctor.plan.config import finding_for
    from torchdoctor.probes.pip_config import read_index_config, target_prefix
    from torchdoctor.shell import argv_of

    try:
        config = read_index_config(_this_os(facts) or "", target_prefix(target.executable if target else None))
    except Exception:  # noqa: BLE001 - an unreadable configuration is not a reason to fail the plan
        return result, ()
    tool = "uv" if request.plan.fmt == "uv" else "pip"
    found = finding_for(config, result.plan, _this_os(facts), tool)
    if found is None:
        return result, ()
    plan = result.plan
    held = [c for c in (found.fix.commands if found.fix else ()) if argv_of(c)]
    if held and str(held[-1]) != str(plan.command):
        plan = replace(plan, command=held[-1])
    if plan.retry_command:
        from torchdoctor.plan.config import holding_command, overrides

        again = holding_command(replace(plan, command=plan.retry_command), overrides(config, plan, tool),
                                _this_os(facts))
        if again and argv_of(again[-1]):
            plan = replace(plan, retry_command=again[-1].line)
    plan = replace(plan, warnings=plan.warnings + (f"{found.message} {found.fix.summary if found.fix else ''}".strip(),))
    return replace(result, plan=plan), (found,)


REGION_LOCALES = ("zh_CN",)
REGION_ZONES = ("Asia/Shanghai",)


def region_hint(result: Any, request: SuggestRequest, env: Any = None) -> str | None:
    """One line offering a mirror that works, when the locale is zh_CN or the time zone Asia/Shanghai and
    no mirror was chosen. Never applied on its own."""
    env = os.environ if env is None else env
    if result.plan is None or request.plan.mirror or request.plan.index_base.rstrip("/") != _DEFAULT_BASE:
        return None
    locale = " ".join(env.get(v, "") for v in ("LC_ALL", "LC_MESSAGES", "LANG"))
    zone = env.get("TZ", "").lstrip(":") or _system_zone()
    if not any(loc in locale for loc in REGION_LOCALES) and zone not in REGION_ZONES:
        return None
    from torchdoctor.knowledge.mirrors import by_name

    m = by_name("nju")
    return (f"In mainland China? download.pytorch.org is often slow there: `torchdoctor suggest --mirror {m.name}` "
            f"gives the same build from {m.base} (not applied; docs/mirrors.md lists the others).")


_DEFAULT_BASE = "https://download.pytorch.org/whl"


def _system_zone() -> str:
    try:
        link = os.readlink("/etc/localtime")
    except OSError:
        return ""
    return link.split("zoneinfo/", 1)[1] if "zoneinfo/" in link else ""


STALE_DAYS = 90


def _today() -> Any:
    import datetime

    return datetime.date.today()


def staleness_line(as_of: str) -> str | None:
    """How old the tables are, once older than STALE_DAYS: a newer torch may exist that the plan cannot know."""
    import datetime

    try:
        age = (_today() - datetime.date.fromisoformat(as_of)).days
    except (TypeError, ValueError):
        return None
    if age <= STALE_DAYS:
        return None
    return (f"The release tables are {age} days old (as of {as_of}): a newer torch may exist; the plan uses only "
            "releases the tables know. A newer torchdoctor has newer tables.")


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
