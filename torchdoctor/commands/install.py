"""`torchdoctor install`: plan for the target interpreter, show the commands, ask, run them, prove it.

Thin: the steps come from torchdoctor.install; this module talks to the user and maps
the outcome to an exit code (0 installed and proven, 1 refused / failed / not proven,
2 usage).
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from typing import Any

from torchdoctor.errors import UsageError

PIP_TIMEOUT = 3600.0  # a CUDA build is several GB: pip gets an hour, then it is killed


def run_install(torch: str | None = None, with_: str | None = None, python: str | None = None,
                index_base: str | None = None, yes: bool = False, dry_run: bool = False, json_out: bool = False,
                verify: bool = True, replace_conda: bool = False, timeout: float = 300.0) -> int:
    from torchdoctor import install as ins
    from torchdoctor.commands.suggest import validated_request
    from torchdoctor.knowledge import load
    from torchdoctor.plan import plan_install
    from torchdoctor.probes import gather_machine
    from torchdoctor.runner import run, stream

    from torchdoctor.limits import check_timeout

    started = time.monotonic()
    timeout = check_timeout(timeout)
    if not (yes or dry_run or _interactive()):
        raise UsageError("install runs pip, and there is no terminal to ask: pass --yes to run it, "
                         "or --dry-run to see the commands")
    k = load()
    from torchdoctor.target import resolve_target

    target = resolve_target(python)
    env = ins.probe_env(target.executable)
    if env.error or env.python is None:
        raise UsageError(f"{_tilde(target.executable)}: did not run as a Python interpreter ({env.error})")
    companions = tuple(dict.fromkeys([*_split(with_), *ins.installed_companions(env)]))
    req = validated_request(torch=torch, with_=",".join(companions), index_base=index_base, k=k)

    facts = gather_machine().with_(python=env.python)  # the machine's GPUs, the target's Python
    try:
        result = plan_install(facts, k, req)
    except ValueError as exc:  # a pinned version/variant the tables do not know
        raise UsageError(str(exc)) from None
    os_name = facts.platform.os if facts.platform else sys.platform
    out = _Out(json_out)
    out.data.update({"schema": 1, "ok": False, "target": target.to_dict(),
                     "previous": ins.installed_versions(env), "plan": None, "steps": [], "installed": None,
                     "verification": None, "fallback": None, "dry_run": dry_run})
    out.line(f"Target: {_tilde(target.executable)} ({target.reason})")
    if result.plan is None:
        message = " ".join(p.message for p in result.problems) or "no published build fits this machine"
        out.data["problems"] = [{"id": p.id, "message": p.message} for p in result.problems]
        out.data["blocked"] = {"id": "install.no_plan", "message": message, "commands": []}
        out.line(f"✗ {message}")
        if result.fallback is not None:
            out.line(f"  The CPU-only build would install with: {result.fallback.command}")
        return out.finish(1, "Nothing was changed; `torchdoctor suggest` says why no build fits.")

    iplan = ins.prepare(env, result.plan, os_name, shutil.which, replace_conda=replace_conda)
    out.data["plan"] = result.plan.to_dict()
    _show_plan(out, iplan)
    if iplan.blocked:
        b = iplan.blocked
        out.data["blocked"] = {"id": b.id, "message": b.message, "commands": [c.to_dict() for c in b.commands]}
        out.line(f"✗ {b.message}")
        for c in b.commands:
            out.line(f"    $ {c.line}")
        return out.finish(1, "Nothing was changed.")
    if dry_run:
        out.data["ok"] = True
        return out.finish(0, "Dry run: nothing was changed.")
    if iplan.steps and not yes:
        _confirm(len(iplan.steps))

    overhead = time.monotonic() - started
    results = ins.run_steps(iplan.steps, PIP_TIMEOUT, stream) if iplan.steps else []
    final_plan = iplan.plan
    if ins.no_such_wheel(results) and result.plan.retry_torch:
        # The wheel the tables infer is not on the index: the verified fallback, said out loud.
        out.line(f"! torch {result.plan.torch} is not on {result.plan.index_url}: trying the verified "
                 f"torch {result.plan.retry_torch} instead.")
        retry = plan_install(facts, k, type(req)(torch=result.plan.retry_torch, with_=req.with_,
                                                 fmt=req.fmt, index_base=req.index_base))
        if retry.plan is not None:
            final_plan = retry.plan
            again = ins.prepare(env, retry.plan, os_name, shutil.which, replace_conda=replace_conda)
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
    if not verify:
        out.data["ok"] = True
        return out.finish(0, "Installed (not verified: --no-verify).")
    proof = ins.verify(target.executable, ins.smoke_devices(final_plan), run, timeout=timeout)
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


def _show_plan(out: "_Out", iplan: Any) -> None:
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


def _interactive() -> bool:
    try:
        return bool(sys.stdin and sys.stdin.isatty())
    except (ValueError, OSError):  # stdin closed
        return False


def _confirm(count: int) -> None:
    sys.stderr.write(f"Run {'this command' if count == 1 else f'these {count} commands'}? [y/N] ")
    sys.stderr.flush()
    answer = sys.stdin.readline().strip().lower()
    if answer not in ("y", "yes"):
        raise UsageError("not confirmed: nothing was changed")


class _Out:
    """Human lines on stdout, or one JSON document at the end."""

    def __init__(self, json_out: bool):
        self.json_out = json_out
        self.data: dict[str, Any] = {}

    def line(self, text: str) -> None:
        if not self.json_out:
            from torchdoctor.sanitize import clean

            sys.stdout.write(clean(text) + "\n")

    def finish(self, code: int, message: str) -> int:
        self.data["message"] = message
        self.data["exit_code"] = code
        if self.json_out:
            from torchdoctor.sanitize import strict_json

            sys.stdout.write(json.dumps(strict_json(self.data), indent=2, allow_nan=False) + "\n")
        else:
            self.line(message)
        return code


def _split(text: str | None) -> list[str]:
    return [p.strip().lower() for p in (text or "").split(",") if p.strip()]


def _tilde(path: str) -> str:
    from torchdoctor.privacy import home_to_tilde

    return home_to_tilde(path)
