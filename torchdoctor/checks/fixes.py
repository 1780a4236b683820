"""Fix builders: the commands a finding offers, built from argument lists and quoted for the diagnosed
machine's shell (torchdoctor.shell). Reinstall commands come from the planner, for THIS machine.
"""

from __future__ import annotations

from typing import Iterable

from torchdoctor.checks.views import base_version, torch_version
from torchdoctor.facts import Facts
from torchdoctor.findings import Fix
from torchdoctor.knowledge import Knowledge
from torchdoctor.shell import Command, UnsafeArgument, render, shell_for_os


def shell(f: Facts) -> str:
    """The shell the diagnosed machine's fix lines are written for."""
    return shell_for_os(f.platform.os if f.platform is not None else None)


def cmd(f: Facts, *argv: str) -> Command | str:
    """A fix command for the diagnosed machine, quoted for its shell. A recorded machine's value
    that no shell can quote (a newline, ESC) gives no command rather than a crashed check."""
    try:
        return Command(tuple(argv), shell(f))
    except UnsafeArgument:
        return "(no command: one of its values holds a control character)"


def python_cmd(f: Facts) -> str:
    """The diagnosed interpreter (unquoted: pass it to `cmd`, never into an f-string command)."""
    return (f.extra or {}).get("target_python") or "python"


def pip_argv(f: Facts) -> tuple[str, ...]:
    """How to call pip for the diagnosed interpreter (never a bare `pip`: it may be another env's)."""
    return (python_cmd(f), "-m", "pip")


def pip(f: Facts) -> str:
    """`pip_argv` as a quoted line prefix (prefer `cmd(f, *pip_argv(f), ...)`)."""
    return render(pip_argv(f), shell(f))


def reinstall_fix(f: Facts, k: Knowledge | None, summary: str, with_: Iterable[str] = (), keep_version: bool = True,
                  cpu_summary: str | None = None) -> Fix:
    """The planner's command for THIS machine (same torch release first, then the newest that fits).
    `cpu_summary` replaces a GPU-minded summary when the planner picks the CPU build."""
    try:
        from torchdoctor.plan import PlanRequest, plan_install
    except ImportError:
        return Fix(summary + " (no command: the install planner is not available)")
    if k is None:
        return Fix(summary + " (no command: the knowledge tables could not be loaded)")
    if f.platform is not None and f.platform.arch in (None, "", "unknown"):
        return Fix(summary + " (no install command: the CPU architecture is not known)")
    wanted = tuple(with_)
    tries = []
    series = base_version(torch_version(f)) if keep_version else None
    if series and k.release(series) is not None:  # a release older than the tables (1.10) cannot be pinned
        tries.append(series)
    tries.append(None)
    problems: list[str] = []
    try:
        for torch in tries:
            res = plan_install(f, k, PlanRequest(torch=torch, with_=wanted))
            if res.plan is not None:
                command = _for_target(f, res.plan.command)
                first = _uninstall_first(f, command, wanted) if isinstance(command, Command) else ()
                said = cpu_summary if cpu_summary and res.plan.device == "cpu" else summary
                return Fix(said, first + (command,))
            problems = [p.message for p in res.problems]
    except Exception as exc:  # noqa: BLE001 - a planner bug must not hide the finding
        return Fix(f"{summary} (no command: the planner failed: {type(exc).__name__}: {exc})")
    why = "; ".join(problems) or "no published build fits this machine"
    return Fix(f"{summary} (no install command: {why})")


def plan_command(f: Facts, k: Knowledge | None, fmt: str = "pip") -> tuple[Command | str | None, str | None]:
    """The planner's install command for these facts and what it installs ("2.15.0+cpu"); (None, None)
    when nothing fits or the planner fails."""
    try:
        from torchdoctor.plan import PlanRequest, plan_install

        res = plan_install(f, k, PlanRequest(fmt=fmt))
    except Exception:  # noqa: BLE001 - a planner bug must not hide the finding that asked
        return None, None
    if res.plan is None:
        return None, None
    return _for_target(f, res.plan.command), f"{res.plan.torch}+{res.plan.variant}"


def _uninstall_first(f: Facts, command: Command, with_: tuple[str, ...]) -> tuple[Command | str, ...]:
    """An installed torch satisfies `torch==2.13.0` whatever its build (+cpu), so pip would keep it:
    the old build goes first."""
    if not torch_version(f):
        return ()
    if command.argv[:1] == ("uv",):
        return (cmd(f, "uv", "pip", "uninstall", "torch", *with_),)
    return (cmd(f, *pip_argv(f), "uninstall", "-y", "torch", *with_),)


def _for_target(f: Facts, line: str) -> Command | str:
    """The planner says `pip install ...`; the fix names the diagnosed interpreter's pip, like its uninstall."""
    argv = tuple(getattr(line, "argv", None) or line.split())
    for prefix in (("python", "-m", "pip"), ("pip3",), ("pip",)):
        if argv[:len(prefix)] == prefix:
            return cmd(f, *pip_argv(f), *argv[len(prefix):])
    return cmd(f, *argv)


def cpu_fix(f: Facts, k: Knowledge | None, summary: str) -> Fix:
    """The planner's command for this machine (old build out first); for a Python older than the
    planner's tables, the same release's CPU wheel where that is certain (Windows: PyPI's is the CPU
    build), and the way forward (python.end_of_life) otherwise."""
    fix = reinstall_fix(f, k, summary)
    if fix.commands or f.python is None:
        return fix
    if f.gpus:  # no GPU build fits this GPU (an unlisted gfx, say): the CPU build still runs everything
        cpu = reinstall_fix(f.with_(gpus=(), pci=()), k, summary)
        if cpu.commands:
            return Fix(f"{fix.summary}; the CPU build meanwhile", cpu.commands)
    from torchdoctor.knowledge import python_life

    life = python_life(f.python.version)
    os_name = f.platform.os if f.platform is not None else None
    last = life.last_torch.get(os_name or "") if life is not None else None
    if last and os_name == "windows":
        return Fix(f"{summary}: PyPI's Windows wheels of torch are the CPU build; torch {last} is the last "
                   f"release for Python {life.series} (see python.end_of_life for a current Python)",
                   (cmd(f, *pip_argv(f), "uninstall", "-y", "torch"), cmd(f, *pip_argv(f), "install", f"torch=={last}")))
    if last:
        return Fix(f"{fix.summary}. Python {life.series} ends at torch {last}: install a current Python first "
                   "(see python.end_of_life), then the CPU build there.")
    return fix


def driver_fix(f: Facts, k: Knowledge | None, need: str | None) -> Fix:
    fix = reinstall_fix(f, k, "Install the build this driver can run" +
                        (f", or update the NVIDIA driver to {need} or newer" if need else ", or update the driver"))
    return fix
