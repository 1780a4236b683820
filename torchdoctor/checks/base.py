"""The shapes every check shares: Fix, Finding, the registry decorator, and small fact readers.

A check is a pure function `(facts, knowledge) -> Finding | None`: guard clauses
first, None when healthy, one Finding (message with the real values, a Fix) when not.
No subprocess, no os.environ, no rich here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any, Callable, Iterable

from torchdoctor.findings import SEVERITIES, Area, Finding, Fix, error, info, skipped, warning  # noqa: F401 - the checks' vocabulary
from torchdoctor.shell import Command, UnsafeArgument, render, shell_for_os


@dataclass(frozen=True)
class Check:
    id: str
    area: str
    title: str
    needs: tuple[str, ...]  # Facts attributes (or "knowledge") that must be present to judge
    fn: Callable[[Any, Any], Finding | None]


REGISTRY: list[Check] = []


def check(id: str, area: Area, title: str, needs: Iterable[str] = ()) -> Callable:
    """Register a judge under its documented id, in its declared area (torchdoctor.checks.areas)."""
    def register(fn: Callable) -> Callable:
        REGISTRY.append(Check(id, area.name, title, tuple(needs), fn))
        return fn
    return register


def with_id(finding: Finding, c: Check) -> Finding:
    return replace(finding, id=c.id, area=c.area, title=c.title)


# ---- small readers over the facts (pure) ---------------------------------------------------------

def dists(f: Any, name: str) -> tuple:
    return tuple(d for d in (f.distributions or ()) if d.name == name)


def listing_partial(f: Any) -> bool:
    """A pasted package list that was cut, or names a few packages only: what it lacks is unknown."""
    report = (f.extra or {}).get("report") or {}
    return bool(report.get("packages_cut") or report.get("packages_partial"))


def torch_version(f: Any) -> str | None:
    """What torch is here: the imported version, else the first distribution's."""
    if f.runtime is not None and f.runtime.version:
        return f.runtime.version
    found = dists(f, "torch")
    return found[0].version if found else None


def base_version(version: str | None) -> str | None:
    return version.split("+", 1)[0] if version else None


def local_tag(version: str | None) -> str | None:
    return version.split("+", 1)[1] if version and "+" in version else None


def build(f: Any) -> tuple[str, str | None] | None:
    """("cuda", "12.6") | ("rocm", "6.2") | ("cpu", None) | None (cannot tell)."""
    rt = f.runtime
    if f.origin != "live" and find_text(f, r"Torch not compiled with CUDA enabled"):
        return ("cpu", None)  # torch's own word on the torch that ran beats a pasted version string
    if rt is not None and rt.status == "ok" and rt.version:
        if rt.cuda:
            return ("cuda", rt.cuda)
        if rt.hip:
            return ("rocm", rt.hip)
        return ("cpu", None)
    version = torch_version(f)
    tag = local_tag(version)
    if tag:
        m = re.fullmatch(r"cu(\d+?)(\d)", tag)
        if m:
            return ("cuda", f"{int(m.group(1))}.{m.group(2)}")
        if tag.startswith("rocm"):
            return ("rocm", tag[4:] or None)
        if tag == "cpu":
            return ("cpu", None)
        return None
    for d in dists(f, "torch"):
        for req in d.requires:
            m = re.match(r"nvidia-cuda-runtime(?:-cu\d+)?\s*[=~]=\s*(\d+)\.(\d+)", req.replace("_", "-"))
            if m:
                return ("cuda", f"{m.group(1)}.{m.group(2)}")
    return _build_said(f)


def _build_said(f: Any) -> tuple[str, str | None] | None:
    """No version anywhere (a pasted traceback): torch's own words still tell the kind of build."""
    if find_text(f, r"hipErrorNoBinaryForGpu|HIP error|TensileLibrary\w*_gfx\w+\.dat|HSA_OVERRIDE_GFX_VERSION"):
        return ("rocm", None)
    if find_text(f, r"found version \d+|NVIDIA driver on your system is too old|cudaGetDeviceCount|"
                    r"CUDA initialization|with CUDA capability sm_\d+ is not compatible|CUDA error: |"
                    r"CUDA driver version is insufficient|CUDA failed with error|forward compatibility was attempted|"
                    r"system not yet initiali[sz]ed|CUDA unknown error|Found no NVIDIA driver|cuInit|"
                    r"no kernel image is available|cuda runtime error"):
        return ("cuda", None)
    return None


def variant(f: Any) -> str | None:
    b = build(f)
    if b is None:
        return None
    if b[0] == "cuda" and b[1]:
        return "cu" + b[1].replace(".", "")
    if b[0] == "rocm" and b[1]:
        return "rocm" + b[1]
    return b[0] if b[0] == "cpu" else None


def nvidia_gpus(f: Any) -> tuple:
    return tuple(g for g in (f.gpus or ()) if g.vendor == "nvidia")


def has_nvidia_hardware(f: Any) -> bool:
    if nvidia_gpus(f):
        return True
    return any(p.vendor_id.lower() == "10de" and p.class_code.startswith(("0x03", "03")) for p in (f.pci or ()))


def platform_key(f: Any) -> str | None:
    p = f.platform
    if p is None:
        return None
    arch = {"amd64": "x86_64", "arm64": "arm64" if p.os == "macos" else "aarch64"}.get(p.arch, p.arch)
    return f"{p.os}-{arch}"


def driver_os(f: Any) -> str:
    """The OS whose driver table applies: WSL runs the Windows driver."""
    if f.platform is None:
        return "linux"
    return "windows" if f.platform.wsl or f.platform.os == "windows" else f.platform.os


def texts(f: Any) -> tuple[str, ...]:
    """Every text torch printed: warnings, the CUDA init error, the import error."""
    rt = f.runtime
    if rt is None:
        return ()
    out = list(rt.warnings)
    for extra in (rt.cuda_init_error, rt.error):
        if extra:
            out.append(extra)
    return tuple(out)


def find_text(f: Any, pattern: str) -> re.Match | None:
    rx = re.compile(pattern, re.I)
    for t in texts(f):
        m = rx.search(t)
        if m:
            return m
    return None


def shell(f: Any) -> str:
    """The shell the diagnosed machine's fix lines are written for."""
    return shell_for_os(f.platform.os if f.platform is not None else None)


def cmd(f: Any, *argv: str) -> Command | str:
    """A fix command for the diagnosed machine, quoted for its shell. A recorded machine's value
    that no shell can quote (a newline, ESC) gives no command rather than a crashed check."""
    try:
        return Command(tuple(argv), shell(f))
    except UnsafeArgument:
        return "(no command: one of its values holds a control character)"


def python_cmd(f: Any) -> str:
    """The diagnosed interpreter (unquoted: pass it to `cmd`, never into an f-string command)."""
    return (f.extra or {}).get("target_python") or "python"


def pip_argv(f: Any) -> tuple[str, ...]:
    """How to call pip for the diagnosed interpreter (never a bare `pip`: it may be another env's)."""
    return (python_cmd(f), "-m", "pip")


def pip(f: Any) -> str:
    """`pip_argv` as a quoted line prefix (prefer `cmd(f, *pip_argv(f), ...)`)."""
    return render(pip_argv(f), shell(f))


def reinstall_fix(f: Any, k: Any, summary: str, with_: Iterable[str] = (), keep_version: bool = True,
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


def plan_command(f: Any, k: Any, fmt: str = "pip") -> tuple[Command | str | None, str | None]:
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


def _uninstall_first(f: Any, command: Command, with_: tuple[str, ...]) -> tuple[Command, ...]:
    """An installed torch satisfies `torch==2.13.0` whatever its build (+cpu), so pip would keep it:
    the old build goes first."""
    if not torch_version(f):
        return ()
    if command.argv[:1] == ("uv",):
        return (cmd(f, "uv", "pip", "uninstall", "torch", *with_),)
    return (cmd(f, *pip_argv(f), "uninstall", "-y", "torch", *with_),)


def _for_target(f: Any, line: str) -> Command | str:
    """The planner says `pip install ...`; the fix names the diagnosed interpreter's pip, like its uninstall."""
    argv = tuple(getattr(line, "argv", None) or line.split())
    for prefix in (("python", "-m", "pip"), ("pip3",), ("pip",)):
        if argv[:len(prefix)] == prefix:
            return cmd(f, *pip_argv(f), *argv[len(prefix):])
    return cmd(f, *argv)


# nvidia-smi ran but did not answer: "couldn't communicate with the NVIDIA driver" (exit 9), a hang.
# The whole nvidia probe missing its deadline means NVML or nvidia-smi hung (without a driver stack
# both answer "not found" at once).
_SMI_BROKEN = re.compile(r"^(?:nvidia-smi (?:exited with status|timed out|was killed)|nvidia probe did not answer)",
                         re.I)


def smi_broken(f: Any) -> str | None:
    """What a present-but-failing nvidia-smi said (None: it answered, or is not installed)."""
    for e in f.nvidia.errors if f.nvidia is not None else ():
        # A probe past its deadline says "hung" only where the rest of the machine was scanned in time.
        if _SMI_BROKEN.match(e) and (f.gpus is not None or e.startswith("nvidia-smi")):
            return e
    return None
