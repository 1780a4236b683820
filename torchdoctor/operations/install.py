"""`install`: plan for the target interpreter, show the commands, run them (once confirmed), prove it.

The steps come from torchdoctor.install. Lines a person should see while it works go to `say` (the CLI
prints them as they come: pip's own output streams in between); `confirm(count)` asks before running.
Exit codes in the report: 0 installed and proven, 1 refused / failed / not proven.
"""

from __future__ import annotations

import shutil
import sys
import time
from typing import Any, Callable

from torchdoctor.errors import UsageError
from torchdoctor.facts import SCHEMA
from torchdoctor.findings import ERROR, Finding, Fix, finding
from torchdoctor.report.install import InstallReport
from torchdoctor.requests.install import InstallRequest
from torchdoctor.requests.suggest import plan_request

PIP_TIMEOUT = 3600.0  # a CUDA build is several GB: pip gets an hour, then it is killed


class _Record:
    """The JSON document being built, the lines shown, the findings."""

    def __init__(self, say: Callable[[str], None]):
        self.data: dict[str, Any] = {}
        self.said: list[str] = []
        self.findings: list[Finding] = []
        self._say = say

    def line(self, text: str) -> None:
        self.said.append(text)
        self._say(text)

    def finish(self, code: int, message: str) -> InstallReport:
        self.data["message"] = message
        self.data["exit_code"] = code
        self.line(message)
        return InstallReport(dict(self.data), tuple(self.findings), tuple(self.said))


def install_report(request: InstallRequest, say: Callable[[str], None] | None = None,
                   confirm: Callable[[int], bool] | None = None) -> InstallReport:
    from torchdoctor import install as ins
    from torchdoctor.checks.areas import INSTALL
    from torchdoctor.knowledge import load
    from torchdoctor.plan import plan_install
    from torchdoctor.privacy import home_to_tilde
    from torchdoctor.probes import gather_machine
    from torchdoctor.runner import run, stream
    from torchdoctor.target import resolve_target

    started = time.monotonic()
    k = load()
    target = resolve_target(request.python)
    env = ins.probe_env(target.executable)
    if env.error or env.python is None:
        raise UsageError(f"{home_to_tilde(target.executable)}: did not run as a Python interpreter ({env.error})")
    companions = tuple(dict.fromkeys([*request.with_, *ins.installed_companions(env)]))
    req = plan_request(torch=request.plan.torch, with_=companions, index_base=request.plan.index_base, k=k,
                       mirror=request.plan.mirror)

    facts = gather_machine().with_(python=env.python)  # the machine's GPUs, the target's Python
    try:
        result = plan_install(facts, k, req)
    except ValueError as exc:  # a pinned version/variant the tables do not know
        raise UsageError(str(exc)) from None
    os_name = facts.platform.os if facts.platform else sys.platform
    out = _Record(say or (lambda text: None))
    out.data.update({"schema": SCHEMA, "ok": False, "target": target.to_dict(),
                     "previous": ins.installed_versions(env), "plan": None, "steps": [], "installed": None,
                     "verification": None, "fallback": None, "dry_run": request.dry_run})
    out.line(f"Target: {home_to_tilde(target.executable)} ({target.reason})")
    if result.plan is None:
        message = " ".join(p.message for p in result.problems) or "no published build fits this machine"
        out.data["problems"] = [_problem_dict(p) for p in result.problems]
        out.data["blocked"] = {"id": "install.no_plan", "message": message, "commands": []}
        out.findings += [p for p in result.problems if isinstance(p, Finding)]
        out.findings.append(finding("install.no_plan", ERROR, message, area=INSTALL,
                                    title="a published build fits this machine"))
        out.line(f"✗ {message}")
        if result.fallback is not None:
            out.line(f"  The CPU-only build would install with: {result.fallback.command}")
        return out.finish(1, "Nothing was changed; `torchdoctor suggest` says why no build fits.")

    iplan = ins.prepare(env, result.plan, os_name, shutil.which, replace_conda=request.replace_conda,
                        break_companions=request.break_companions)
    if request.probe and not request.dry_run and not iplan.blocked and not iplan.already:
        # a dry run reads no index (it shows the plan only); a stop above needs no page
        stop = _probe(out, result, facts, k, req, INSTALL)
        if stop is not None:
            return stop
        probed = out.data.pop("_result")
        if probed.plan != result.plan:
            result = probed
            iplan = ins.prepare(env, result.plan, os_name, shutil.which, replace_conda=request.replace_conda,
                                break_companions=request.break_companions)
    out.data["plan"] = result.plan.to_dict()
    _show_plan(out, iplan)
    if iplan.blocked:
        b = iplan.blocked
        out.data["blocked"] = {"id": b.id, "message": b.message, "commands": [c.to_dict() for c in b.commands]}
        out.findings.append(finding(b.id, ERROR, b.message, Fix(b.message, tuple(b.commands)), INSTALL,
                                    ins.BLOCKED_TITLES.get(b.id, "")))
        out.line(f"✗ {b.message}")
        for c in b.commands:
            out.line(f"    $ {c.line}")
        return out.finish(1, "Nothing was changed.")
    if request.dry_run:
        out.data["ok"] = True
        return out.finish(0, "Dry run: nothing was changed.")
    if iplan.steps and not request.yes and not (confirm and confirm(len(iplan.steps))):
        raise UsageError("not confirmed: nothing was changed")

    overhead = time.monotonic() - started
    results = ins.run_steps(iplan.steps, PIP_TIMEOUT, stream) if iplan.steps else []
    final_plan = iplan.plan
    if ins.no_such_wheel(results) and result.plan.retry_torch:
        # The wheel the tables infer is not on the index: the verified fallback, said out loud.
        out.line(f"! torch {result.plan.torch} is not on {result.plan.index_url}: trying the verified "
                 f"torch {result.plan.retry_torch} instead.")
        retry = plan_install(facts, k, type(req)(torch=result.plan.retry_torch, with_=req.with_,
                                                 fmt=req.fmt, index_base=req.index_base, mirror=req.mirror))
        if retry.plan is not None:
            final_plan = retry.plan
            again = ins.prepare(env, retry.plan, os_name, shutil.which, replace_conda=request.replace_conda,
                        break_companions=request.break_companions)
            results += ins.run_steps(again.steps, PIP_TIMEOUT, stream)
            out.data["fallback"] = {"torch": retry.plan.torch, "plan": retry.plan.to_dict()}
    out.data["steps"] = [r.to_dict() for r in results]
    out.data["overhead_seconds"] = round(overhead, 3)
    after = ins.probe_env(target.executable)
    out.data["installed"] = ins.installed_versions(after)
    for r in results:
        out.line(f"{'✓' if r.ok else '✗'} {r.purpose}: exit {r.exit_code}"
                 f"{' (timed out)' if r.timed_out else ''}, {r.seconds:.1f} s")
    if results and not results[-1].ok:
        kept = ", ".join(f"{n} {v}" for n, v in out.data["installed"].items()) or "no torch"
        return out.finish(1, f"The install failed; the environment still has {kept} "
                             "(pip removes the old build only after the new one is in hand).")
    out.line("Installed: " + (", ".join(f"{n} {v}" for n, v in out.data["installed"].items()) or "nothing"))
    if not request.verify:
        out.data["ok"] = True
        return out.finish(0, "Installed (not verified: --no-verify).")
    proof = ins.verify(target.executable, ins.smoke_devices(final_plan), run, timeout=request.timeout,
                       compile_on=ins.compile_devices(final_plan, os_name))
    out.data["verification"] = proof
    check = proof["check"]
    out.line(f"{'✓' if check['exit_code'] == 0 else '✗'} check: exit {check['exit_code']}"
             + (f" ({', '.join(check['errors'])})" if check["errors"] else ""))
    for s in proof["smoke"]:
        out.line(f"{'✓' if s['ok'] and s['exit_code'] == 0 else '✗'} smoke --device {s['device']}: exit {s['exit_code']}"
                 + (f" ({s['error']})" if s.get("error") else ""))
    if not proof["ok"]:
        return out.finish(1, "Installed, but the proof failed: run `torchdoctor check` for the diagnosis.")
    out.data["ok"] = True
    return out.finish(0, f"torch {out.data['installed'].get('torch')} is installed and trains.")


def _probe(out: _Record, result: Any, facts: Any, k: Any, req: Any, area: Any) -> InstallReport | None:
    """Look at the plan's page first (bounded): switch to -f where it is a flat listing, warn on upstream
    links, stop with install.mirror_lacks_wheel (and the official command) where a mirror lacks the wheel."""
    from dataclasses import replace

    from torchdoctor.install import BLOCKED_TITLES
    from torchdoctor.operations.online import probe_plan
    from torchdoctor.plan import plan_install
    from torchdoctor.requests import DEFAULT_INDEX_BASE

    plan, found, probe = probe_plan(result.plan, facts, k, area=area.name)
    out.data["probe"] = {"status": probe.status, "layout": probe.layout, "url": probe.url, "wheel": probe.wheel,
                         "upstream": probe.upstream, "seconds": probe.seconds, "reason": probe.reason or None}
    mirrored = bool(req.mirror) or req.index_base.rstrip("/") != DEFAULT_INDEX_BASE
    if probe.status == "found":
        out.line(f"✓ {probe.wheel} is on {probe.url} ({probe.seconds:.1f} s)")
    elif probe.status == "unverified":
        out.line(f"? could not look at the index ({probe.reason}): installing as planned")
    for f in found:
        if f.id != "index.wheel_missing":
            out.findings.append(f)
            out.line(f"! {f.message}")
    if probe.status == "missing" and mirrored and not result.plan.retry_torch:  # an inferred wheel: the fallback below
        official = plan_install(facts, k, replace(req, mirror=None, index_base=DEFAULT_INDEX_BASE)).plan
        command = str(official.command) if official is not None else ""
        message = (f"The mirror lacks the planned wheel: {probe.reason}. Nothing was changed; the official index "
                   f"has it: {command}")
        out.data["blocked"] = {"id": "install.mirror_lacks_wheel", "message": message,
                               "commands": [{"command": command, "argv": official.argv}] if command else []}
        out.findings.append(finding("install.mirror_lacks_wheel", ERROR, message,
                                    Fix("Install from the official index (or another mirror).",
                                        (official.command,) if official is not None else ()), area,
                                    BLOCKED_TITLES["install.mirror_lacks_wheel"]))
        out.line(f"✗ {message}")
        return out.finish(1, "Nothing was changed.")
    if probe.status == "missing":
        out.line(f"! {probe.reason}")
    out.data["_result"] = replace(result, plan=plan)
    return None


def _problem_dict(p: Any) -> dict[str, Any]:
    """A planner problem as install's JSON has always shown it: {id, message} (plus the shared finding keys)."""
    data = p.to_dict() if hasattr(p, "to_dict") else {}
    return {"id": p.id, "message": p.message, **{k: v for k, v in data.items() if k not in ("id", "message")}}


def _show_plan(out: _Record, iplan: Any) -> None:
    plan = iplan.plan
    out.line(f"Plan: torch {plan.torch} ({plan.variant}) from {plan.index_url or 'PyPI'}")
    for why in plan.reasons[:3]:
        out.line(f"  - {why}")
    for old, new in iplan.replacing:
        out.line(f"Replacing {old} with {new}: pip would keep the installed build, so it is forced.")
    if iplan.already:
        out.line("The planned build is installed already: nothing to run.")
    elif iplan.steps:
        out.line("Commands:")
        for step in iplan.steps:
            out.line(f"  $ {step.command.line}")
    out.data["steps"] = [{"purpose": s.purpose, **s.command.to_dict(), "exit_code": None, "seconds": None}
                         for s in iplan.steps]
