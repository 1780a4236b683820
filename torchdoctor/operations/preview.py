"""`preview`: what `pip install ...` (or `uv pip install ...`) would do to torch and its companions, before it runs.

The user's command runs for the target interpreter with pip's `--dry-run --report -` (uv: `--dry-run`),
through the runner with a deadline: nothing is installed. Its report says what would be installed; the
installed distributions come from the environment child (the same scan as `check`). The judge
(verdicts/preview.py) says what happens to torch and the companions. Where torch would change, the same
command with torch held (`torch==<installed>` and its index) is dry-run too, so the command offered is one
pip can resolve.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import time
from typing import Any

from torchdoctor.errors import UsageError
from torchdoctor.facts import SCHEMA
from torchdoctor.findings import ERROR, Finding, Fix, finding
from torchdoctor.report.preview import PreviewReport
from torchdoctor.requests.preview import PreviewRequest

TORCH_INDEX = "https://download.pytorch.org/whl"
PYPI = "https://pypi.org/simple"


def preview_report(request: PreviewRequest) -> PreviewReport:
    from torchdoctor import install as ins
    from torchdoctor.knowledge import load
    from torchdoctor.privacy import home_to_tilde
    from torchdoctor.target import resolve_target

    started = time.monotonic()
    target = resolve_target(request.python)
    env = ins.probe_env(target.executable)
    if env.error or env.python is None:
        raise UsageError(f"{home_to_tilde(target.executable)}: did not run as a Python interpreter ({env.error})")
    before_s = time.monotonic() - started
    os_name = _os_name()
    said: list[str] = [f"Target: {home_to_tilde(target.executable)} ({target.reason})"]
    doc: dict[str, Any] = {"schema": SCHEMA, "target": target.to_dict(), "installer": request.installer,
                           "command": _shown(request), "installed": {d.name: d.version for d in env.distributions},
                           "would_install": [], "changes": [], "torch": None, "keep_torch": None}

    dry = dry_run(target.executable, request.installer, request.args, request.timeout)
    doc["dry_run"] = {"argv": [home_to_tilde(a) for a in dry["argv"]], "seconds": dry["seconds"],
                      "ok": dry["ok"]}
    findings: list[Finding] = []
    if not dry["ok"]:
        from torchdoctor.verdicts.preview import PREVIEW, TITLES

        why = dry["error"]
        findings.append(finding("preview.command_failed", ERROR, f"pip's dry run of this command failed: {why}",
                                area=PREVIEW, title=TITLES["preview.command_failed"]))
        said += [f"✗ The command would fail: {why}", "Nothing was installed (a dry run)."]
        return _report(doc, findings, said, 1, started, before_s, dry)

    from torchdoctor.verdicts.preview import judge

    verdict = judge(env.distributions, dry["planned"], os_name, load())
    doc["would_install"] = [{"name": p.name, "version": p.version, "from": _source(p.url)} for p in dry["planned"]]
    doc["changes"] = list(verdict.changes)
    doc["torch"] = {"before": verdict.torch_before, "after": verdict.torch_after, "changes": verdict.torch_changes}
    findings += verdict.findings
    said.append(f"$ {_shown(request)}  (previewed with pip's dry run: nothing installed)")
    said += [f"  {c}" for c in verdict.changes] or ["  nothing would be installed: everything is there already"]
    if verdict.torch_before and not verdict.torch_changes:
        said.append(f"✓ torch {verdict.torch_before} stays as it is.")
    bad = [f for f in findings if f.severity == ERROR]
    for f in findings:
        said.append(("✗ " if f.severity == ERROR else "• ") + f.message)
    if bad and verdict.torch_before and not verdict.torch_requested:
        keep = keep_torch(target.executable, request, env, verdict.torch_before)
        doc["keep_torch"] = {k: v for k, v in keep.items() if k != "command_obj"}
        dry["keep_seconds"] = keep["seconds"]
        if keep["command"]:
            said.append("The same install with torch kept as it is" +
                        (" (pip's dry run resolves it):" if keep["ok"] else ":"))
            said.append(f"    $ {keep['command']}")
        if not keep["ok"]:
            said.append(f"  pip cannot resolve it with torch held at {verdict.torch_before}: {keep['error']} — "
                        "a package in it pins another torch; install its release built for this torch instead "
                        "(`torchdoctor check` names it after the fact).")
        else:
            said.append("  To hold torch in every later install too: a constraints file with the line "
                        f"torch=={verdict.torch_before}, passed as -c FILE (or PIP_CONSTRAINT=FILE).")
        findings = [_with_fix(f, keep) for f in findings]
    said.append("Nothing was installed (a dry run).")
    return _report(doc, findings, said, 1 if bad else 0, started, before_s, dry)


def _report(doc: dict[str, Any], findings: list[Finding], said: list[str], code: int, started: float,
            before_s: float, dry: dict[str, Any]) -> PreviewReport:
    total = time.monotonic() - started
    doc["seconds"] = {"total": round(total, 3), "installed_scan": round(before_s, 3),
                      "dry_run": round(dry["seconds"], 3), "overhead": round(max(0.0, total - dry["seconds"]
                                                                                   - dry.get("keep_seconds", 0.0)), 3)}
    doc["exit_code"] = code
    doc["ok"] = code == 0
    return PreviewReport(doc, tuple(findings), tuple(said))


def _with_fix(f: Finding, keep: dict[str, Any]) -> Finding:
    from dataclasses import replace

    if f.severity != ERROR or not keep.get("command_obj"):
        return f
    summary = "Install the same packages with torch held at the installed build" + \
        ("" if keep["ok"] else " (pip's dry run cannot resolve it: a package pins another torch)")
    return replace(f, fix=Fix(summary, (keep["command_obj"],)))


def _os_name() -> str:
    return {"win32": "windows", "darwin": "macos"}.get(sys.platform, "linux" if sys.platform.startswith("linux")
                                                       else sys.platform)


def _shown(request: PreviewRequest) -> str:
    from torchdoctor.privacy import home_to_tilde
    from torchdoctor.shell import render, shell_for_os

    head = ("uv", "pip", "install") if request.installer == "uv" else ("pip", "install")
    return home_to_tilde(render((*head, *request.args), shell_for_os(_os_name()))) or ""


def _source(url: str | None) -> str:
    from torchdoctor.verdicts.preview import source_of

    return source_of(url)


# -- running the installer's dry run ---------------------------------------------------------------------

def dry_run(executable: str, installer: str, args: tuple[str, ...], timeout: float) -> dict[str, Any]:
    """{"ok", "planned": [Planned], "error", "seconds", "argv"}; never raises, never installs."""
    from torchdoctor.runner import child_env, run

    if installer == "uv":
        uv = shutil.which("uv")
        argv = [uv or "uv", "pip", "install", "--python", executable, *args, "--dry-run"]
        if uv is None:
            return {"ok": False, "planned": [], "error": "uv is not on PATH", "seconds": 0.0, "argv": argv}
    else:
        argv = [executable, "-m", "pip", "install", *args, "--dry-run", "--report", "-", "--quiet",
                "--disable-pip-version-check", "--no-input"]
    env = child_env({"PIP_NO_INPUT": "1"})
    res = run(argv, timeout=timeout, env=env)
    out: dict[str, Any] = {"argv": argv, "seconds": round(res.seconds, 3), "planned": [], "error": None}
    if not res.ok:
        out["ok"] = False
        out["error"] = _pip_error(res)
        return out
    try:
        out["planned"] = read_uv(res.stdout + "\n" + res.stderr) if installer == "uv" else read_report(res.stdout)
        out["ok"] = True
    except ValueError as exc:
        out["ok"] = False
        out["error"] = str(exc)
    return out


def _pip_error(res: Any) -> str:
    from torchdoctor.privacy import home_to_tilde
    from torchdoctor.sanitize import clean

    if res.timed_out or res.error:
        return res.describe_failure()
    text = (res.stderr or res.stdout or "").strip().splitlines()
    if any("no such option: --report" in line or "no such option: --dry-run" in line for line in text):
        return "this pip has no --dry-run --report (pip 22.2 or newer has): upgrade pip in the target first"
    lines = [ln.strip() for ln in text if ln.strip().startswith(("ERROR", "error", "×", "╰─>")) or "requires" in ln]
    shown = " ".join(lines[-3:]) or (text[-1] if text else f"exit status {res.returncode}")
    return clean(home_to_tilde(shown) or "")[:600]


def read_report(text: str) -> list[Any]:
    """pip's --report JSON (version 1) -> Planned items."""
    from torchdoctor.verdicts.preview import Planned, normalise

    start = text.find("{")
    if start < 0:
        raise ValueError("pip printed no report")
    try:
        data = json.loads(text[start:])
    except ValueError as exc:
        raise ValueError(f"pip's report does not parse ({exc})") from None
    out = []
    for item in data.get("install") or ():
        meta = item.get("metadata") or {}
        name, version = meta.get("name"), meta.get("version")
        if not name or not version:
            continue
        out.append(Planned(normalise(str(name)), str(version), tuple(str(r) for r in meta.get("requires_dist") or ()),
                           (item.get("download_info") or {}).get("url"), bool(item.get("requested"))))
    return out


_UV_LINE = re.compile(r"^\s*\+\s+([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)")


def read_uv(text: str) -> list[Any]:
    """uv's --dry-run lines (` + torch==2.5.1`, ` - torch==2.5.1+cu124`) -> Planned items (no URL, no pins)."""
    from torchdoctor.verdicts.preview import Planned, normalise

    return [Planned(normalise(m.group(1)), m.group(2)) for m in map(_UV_LINE.match, text.splitlines()) if m]


def keep_torch(executable: str, request: PreviewRequest, env: Any, torch: str) -> dict[str, Any]:
    """The same install with torch held at its installed build (torch==X and X's index), dry-run too."""
    from torchdoctor.privacy import home_to_tilde
    from torchdoctor.shell import Command, UnsafeArgument, shell_for_os

    tag = torch.split("+", 1)[1] if "+" in torch else ""
    index: tuple[str, ...] = ()
    if tag and (tag == "cpu" or tag.startswith(("cu", "rocm", "xpu"))):
        index = ("--extra-index-url", f"{TORCH_INDEX}/{tag}")
    args = (*request.args, f"torch=={torch}", *index)
    dry = dry_run(executable, request.installer, args, request.timeout)
    held = dry["ok"] and all(p.version == torch for p in dry["planned"] if p.name == "torch")
    head = (home_to_tilde(executable) or executable, "-m", "pip", "install") if request.installer == "pip" else \
        ("uv", "pip", "install", "--python", home_to_tilde(executable) or executable)
    try:
        command = Command((*head, *args), shell_for_os(_os_name()))
    except UnsafeArgument:
        command = None
    return {"ok": held, "command": command.line if command else None, "command_obj": command,
            "error": dry["error"], "seconds": dry["seconds"], "argv_extra": list(args[len(request.args):])}
