"""The installer behind `torchdoctor install`: plan -> steps -> run -> proof.

The planner (the same as `suggest`) picks the build; this module turns the plan into
argument lists for the target's own installer and runs them. Losing nothing is pip's
own order of work, which we rely on and test: it resolves and downloads everything
first, uninstalls the old build only once the new one is in hand, and rolls the
uninstall back if the install fails. What pip would get wrong on its own: `torch==X`
is satisfied by any installed `X+local` (a `+cu113` on a machine with no NVIDIA GPU), so
replacing another build of the same release is forced explicitly.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

from torchdoctor.facts import Distribution, PythonFacts
from torchdoctor.patient import script
from torchdoctor.shell import Command, shell_for_os

ENV_CHILD = script("env_child")
COMPANIONS = ("torchvision", "torchaudio")
# pip's words when the index has no such file (the inferred 2.15 on /whl/cpu): then the verified fallback.
_NO_MATCH = re.compile(r"No matching distribution found|Could not find a version that satisfies|"
                       r"No solution found when resolving|not found in the package registry|"
                       r"Because there is no version of", re.I)
_NAME = re.compile(r"^([A-Za-z0-9_.-]+)==(.+)$")


@dataclass(frozen=True)
class TargetEnv:
    """What the environment child said about the interpreter we install into."""

    executable: str
    python: PythonFacts | None
    venv: bool = False
    conda: bool = False
    externally_managed: bool = False
    has_pip: bool = False
    distributions: tuple[Distribution, ...] = ()
    error: str | None = None  # the child did not answer: nothing can be installed


@dataclass(frozen=True)
class Step:
    purpose: str
    command: Command


# What each reason to stop verifies (the finding's title).
BLOCKED_TITLES = {
    "install.conda_torch": "torch is not conda's own package (pip would break conda's environment)",
    "install.externally_managed": "the environment accepts pip installs (PEP 668)",
    "install.no_installer": "the target has pip, or uv is on PATH",
    "install.no_plan": "a published build fits this machine",
    "install.mirror_lacks_wheel": "the mirror has the planned wheel",
    "install.would_break_companion": "the torch change keeps the installed companions working",
}


@dataclass(frozen=True)
class Blocked:
    """Why we stop before running anything, and what the user can run instead."""

    id: str  # install.conda_torch | install.externally_managed | install.no_installer | install.no_plan
    message: str
    commands: tuple[Command, ...] = ()


@dataclass(frozen=True)
class InstallPlan:
    plan: Any  # plan.Plan
    installer: str  # "pip" | "uv"
    steps: tuple[Step, ...] = ()
    replacing: tuple[tuple[str, str], ...] = ()  # (installed version, planned) pairs that are forced
    already: bool = False  # the planned builds are installed already: nothing to run
    blocked: Blocked | None = None


@dataclass
class StepResult:
    purpose: str
    command: Command
    exit_code: int | None
    seconds: float
    timed_out: bool = False
    tail: str = ""

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.timed_out

    def to_dict(self) -> dict[str, Any]:
        return {"purpose": self.purpose, "argv": list(self.command.argv), "command": self.command.line,
                "exit_code": self.exit_code, "seconds": round(self.seconds, 3), "timed_out": self.timed_out}


# ------------------------------------------------------------------------------ the target environment
def probe_env(executable: str, timeout: float = 30.0) -> TargetEnv:
    """Run the environment child under the target interpreter; never raises."""
    from torchdoctor.child import interpret
    from torchdoctor.privacy import tilde
    from torchdoctor.probes.torch_dist import to_facts
    from torchdoctor.runner import child_env, run

    res = interpret(run([executable, str(ENV_CHILD)], timeout=timeout, env=child_env()))
    data = res.data or {}
    py = data.get("python")
    if res.status != "ok" or not isinstance(py, dict):
        return TargetEnv(executable, None, error=res.detail or "the interpreter gave no answer")
    facts = PythonFacts(version=str(py.get("version")), implementation=str(py.get("implementation") or "cpython"),
                        bits=int(py.get("bits") or 64), free_threaded=bool(py.get("free_threaded")),
                        executable=tilde(py.get("executable")),
                        env_kind="conda" if data.get("conda") else "venv" if data.get("venv") else "system")
    return TargetEnv(executable, facts, venv=bool(data.get("venv")), conda=bool(data.get("conda")),
                     externally_managed=bool(data.get("externally_managed")), has_pip=bool(data.get("has_pip")),
                     distributions=to_facts(data.get("distributions") or ()))


def installed(env: TargetEnv, name: str) -> Distribution | None:
    """The distribution Python would import (the first on sys.path)."""
    return next((d for d in env.distributions if d.name == name and d.installer != "conda"), None) or \
        next((d for d in env.distributions if d.name == name), None)


def installed_companions(env: TargetEnv) -> tuple[str, ...]:
    """Companions already in the environment move to matching builds with torch."""
    return tuple(c for c in COMPANIONS if installed(env, c) is not None)


# ------------------------------------------------------------------------------ plan -> steps
def prepare(env: TargetEnv, plan: Any, os_name: str, which: Callable[[str], str | None],
            replace_conda: bool = False, break_companions: bool = False) -> InstallPlan:
    """The steps that put `plan` into `env` (pure, apart from `which` to find uv and conda)."""
    shell = shell_for_os(os_name)
    exe = env.executable
    conda_torch = [d for d in env.distributions if d.installer == "conda" and d.name in ("torch", *COMPANIONS)]
    pre: list[Step] = []
    if conda_torch:
        conda = which("conda") or which("mamba") or which("micromamba")
        names = tuple(dict.fromkeys("pytorch" if d.name == "torch" else d.name for d in conda_torch))
        prefix = _prefix_of(exe)
        remove = Command((conda or "conda", "remove", "-y", "-p", prefix, *names), shell)
        if not replace_conda:
            return InstallPlan(plan, "pip", blocked=Blocked(
                "install.conda_torch",
                f"torch in this environment came from conda ({', '.join(f'{d.name} {d.version}' for d in conda_torch)}). "
                "Installing with pip on top of it leaves two copies that shadow each other "
                "(torch.multiple_installs). Remove conda's copy first, then install with pip, or run "
                "`torchdoctor install --replace-conda` to do both.",
                (remove, *_install_commands(exe, "pip", plan, False, shell))))
        if conda is None:
            return InstallPlan(plan, "pip", blocked=Blocked(
                "install.no_installer", "--replace-conda needs conda (or mamba) on PATH to remove conda's torch.",
                (remove,)))
        pre.append(Step("remove conda's torch", remove))
    if env.externally_managed and not env.venv:
        venv = str(Path("~") / ".venvs" / "torch")
        return InstallPlan(plan, "pip", blocked=Blocked(
            "install.externally_managed",
            f"{env.python.executable if env.python else exe} is managed by the operating system (PEP 668): "
            "pip must not install into it. Make a virtual environment and install there.",
            (Command(("python3", "-m", "venv", venv), shell),
             Command((f"{venv}/bin/python", "-m", "pip", "install", "torchdoctor"), shell),
             Command((f"{venv}/bin/torchdoctor", "install"), shell))))
    if env.has_pip:
        installer = "pip"
    elif which("uv"):
        installer = "uv"
    else:
        return InstallPlan(plan, "pip", blocked=Blocked(
            "install.no_installer", f"{exe} has no pip and uv is not on PATH: add pip to it first.",
            (Command((exe, "-m", "ensurepip", "--upgrade"), shell),)))

    replacing, missing = [], []
    for spec in plan.packages:
        m = _NAME.match(spec)
        if not m:
            missing.append(spec)
            continue
        name, version = m.group(1), m.group(2)
        have = installed(env, name)
        want = version if "+" in version else version + _expected_local(plan, os_name)
        if have is None or _public(have.version) != _public(want):
            missing.append(spec)
        elif _local(have.version) != _local(want):
            replacing.append((have.version, want))
    if not missing and not replacing and not pre:
        return InstallPlan(plan, installer, already=True)
    uv = which("uv") if installer == "uv" else None
    steps = pre + [Step(purpose, cmd) for purpose, cmd in
                   _install_steps(exe, installer, plan, bool(replacing), shell, uv)]
    broken = companions_broken(env, plan, os_name)
    if broken and not break_companions:
        return InstallPlan(plan, installer, blocked=Blocked(
            "install.would_break_companion",
            f"{broken} These are not moved with torch (only torchvision and torchaudio are). Run "
            "`torchdoctor install --break-companions` to go ahead anyway, then reinstall or rebuild them "
            "for the new torch (`torchdoctor check` names the fix for each).",
            tuple(s.command for s in steps)))
    return InstallPlan(plan, installer, tuple(steps), tuple(replacing))


def companions_broken(env: TargetEnv, plan: Any, os_name: str) -> str:
    """The installed companions (xformers, flash-attn, torch-scatter, ...) the planned torch would break, in
    words ("" when none): the same judge as `preview` (verdicts/preview.py)."""
    from torchdoctor.verdicts.preview import Planned, judge

    planned = []
    for spec in plan.packages:
        m = _NAME.match(spec)
        if m:
            version = m.group(2) if "+" in m.group(2) else m.group(2) + _expected_local(plan, os_name)
            planned.append(Planned(m.group(1).lower(), version, (), plan.index_url, True))
    verdict = judge(env.distributions, planned, os_name)
    return next((f.message for f in verdict.findings if f.id == "preview.companion_breaks"), "")


def _install_commands(exe: str, installer: str, plan: Any, force: bool, shell: str) -> tuple[Command, ...]:
    return tuple(cmd for _, cmd in _install_steps(exe, installer, plan, force, shell, None))


def _install_steps(exe: str, installer: str, plan: Any, force: bool, shell: str,
                   uv: str | None) -> list[tuple[str, Command]]:
    index = []
    if getattr(plan, "find_links", None):  # a flat-listing mirror: -f, the dependencies from its PyPI mirror
        index = ["--find-links", plan.find_links]
    if plan.index_url:
        index += ["--extra-index-url" if plan.index_style == "extra" else "--index-url", plan.index_url]
    pkgs = list(plan.packages)
    if installer == "uv":
        head = [uv or "uv", "pip", "install", "--python", exe]
        if force:
            head += [a for spec in pkgs for a in ("--reinstall-package", spec.split("==")[0])]
        return [("install", Command(tuple(head + pkgs + index), shell))]
    head = [exe, "-m", "pip", "install"]
    if not force:
        return [("install", Command(tuple(head + pkgs + index), shell))]
    # pip keeps an installed 2.13.0+cu130 for `torch==2.13.0`: force the new build in (pip downloads it
    # before it uninstalls anything), then let pip add what the new build depends on.
    return [("replace the installed build", Command(tuple(head + ["--force-reinstall", "--no-deps"] + pkgs + index),
                                                    shell)),
            ("install its dependencies", Command(tuple(head + pkgs + index), shell))]


def _expected_local(plan: Any, os_name: str) -> str:
    """The local tag the planned wheel carries: download.pytorch.org tags its builds (+cpu, +cu126);
    PyPI's default wheels and macOS wheels carry none."""
    if not plan.index_url or os_name == "macos":
        return ""
    return f"+{plan.variant}"


def _public(version: str) -> str:
    return version.split("+", 1)[0]


def _local(version: str) -> str:
    return version.split("+", 1)[1] if "+" in version else ""


def _prefix_of(executable: str) -> str:
    """The environment folder of an interpreter: .../env/bin/python -> .../env (Windows: env/python.exe)."""
    path = Path(executable)
    return str(path.parent.parent if path.parent.name in ("bin", "Scripts") else path.parent)


# ------------------------------------------------------------------------------ running
def run_steps(steps: Iterable[Step], timeout: float, stream: Callable[..., Any]) -> list[StepResult]:
    """Run each step in order with its output streamed to stderr; stop at the first failure."""
    results = []
    for step in steps:
        res = stream(list(step.command.argv), timeout=timeout)
        tail = (res.stdout or "") + (res.stderr or "")
        results.append(StepResult(step.purpose, step.command, res.returncode, res.seconds, res.timed_out,
                                  tail[-4000:] or (res.error or "")))
        if not results[-1].ok:
            break
    return results


def no_such_wheel(results: list[StepResult]) -> bool:
    return bool(results) and not results[-1].ok and bool(_NO_MATCH.search(results[-1].tail))


# ------------------------------------------------------------------------------ the proof
def verify(executable: str, devices: Iterable[str], run: Callable[..., Any], timeout: float = 300.0,
           compile_on: Iterable[str] = ()) -> dict[str, Any]:
    """`check` and `smoke` on the target, as the user would run them; each a child with a deadline."""
    doctor = [sys.executable, "-m", "torchdoctor"]
    out: dict[str, Any] = {"ok": False}
    res = run(doctor + ["check", "--python", executable, "--json"], timeout=timeout)
    report = _json(res.stdout)
    errors = [f.get("id") for f in (report or {}).get("findings", []) if f.get("severity") == "error"]
    out["check"] = {"exit_code": res.returncode, "errors": errors, "timed_out": res.timed_out}
    smokes = []
    for device in dict.fromkeys(devices):
        extra = ["--compile"] if device in tuple(compile_on) else []  # torch.compile proved too (GPU on Linux)
        res = run(doctor + ["smoke", "--python", executable, "--device", device, "--json", *extra], timeout=timeout)
        report = _json(res.stdout) or {}
        smokes.append({"device": device, "exit_code": res.returncode, "ok": bool(report.get("ok")),
                       "timed_out": res.timed_out, "error": report.get("error"),
                       "devices": [{k: d.get(k) for k in ("device", "ok", "status", "w", "seconds")}
                                   for d in report.get("devices") or () if isinstance(d, dict)]})
    out["smoke"] = smokes
    out["ok"] = out["check"]["exit_code"] == 0 and all(s["exit_code"] == 0 and s["ok"] for s in smokes)
    return out


def compile_devices(plan: Any, os_name: str | None) -> tuple[str, ...]:
    """The devices whose proof includes `smoke --compile`: the GPU a plan targets, on Linux (where torch's
    wheels bring Triton); elsewhere compiling needs more than the install gives."""
    device = {"rocm": "cuda"}.get(plan.device, plan.device)
    return (device,) if os_name == "linux" and device in ("cuda", "xpu") else ()


def smoke_devices(plan: Any) -> tuple[str, ...]:
    """cpu, plus the device the plan targets (ROCm runs through torch's cuda device)."""
    device = {"rocm": "cuda"}.get(plan.device, plan.device)
    return ("cpu",) if device == "cpu" else ("cpu", device)


def _json(text: str | None) -> dict[str, Any] | None:
    try:
        data = json.loads(text or "")
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def installed_versions(env: TargetEnv) -> dict[str, str]:
    return {d.name: d.version for d in env.distributions if d.name in ("torch", *COMPANIONS)}
