"""The machine as the planner sees it: OS, arch, Python, libc, driver and one GPU per model, in wheel terms.

`preflight` rejects what no release could serve (another OS, 32-bit or non-CPython Python, musl, Rosetta).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from torchdoctor.facts import Facts, Gpu
from torchdoctor.findings import Finding
from torchdoctor.knowledge import PLATFORM_KEYS
from torchdoctor.knowledge.platforms import arch_name
from torchdoctor.plan.problems import problem


@dataclass(frozen=True)
class Machine:
    os: str
    arch: str
    key: str  # "linux-x86_64"
    python: str | None  # "3.12"
    bits: int
    implementation: str
    free_threaded: bool
    wsl: bool
    libc: str | None
    libc_version: str | None
    macos_version: str | None
    rosetta: bool
    driver: str | None
    gpus: tuple[Gpu, ...]

    @property
    def driver_os(self) -> str:
        # WSL2 sees the Windows driver (through /usr/lib/wsl/lib), numbered as on Windows.
        return "windows" if self.os == "windows" or self.wsl else "linux"


def read_machine(facts: Facts) -> Machine:
    plat, pyf, nv = facts.platform, facts.python, facts.nvidia
    os_ = (plat.os if plat else "unknown").lower()
    arch = (plat.arch if plat else "unknown").lower()
    arch = arch_name(arch) or arch  # the probe's names ("amd64" -> "x86_64"); an unknown one stays as it is
    if os_ == "macos" and arch == "aarch64":
        arch = "arm64"
    if os_ != "macos" and arch == "arm64":
        arch = "aarch64"
    python = None
    if pyf and pyf.version:
        m = re.match(r"(\d+)\.(\d+)", pyf.version)
        python = f"{m.group(1)}.{m.group(2)}" if m else None
    macos_version = None
    if plat and plat.os_version and os_ == "macos":
        m = re.search(r"(\d+)(?:\.(\d+))?", plat.os_version)
        macos_version = f"{m.group(1)}.{m.group(2) or 0}" if m else None
    return Machine(
        os=os_, arch=arch, key=f"{os_}-{arch}", python=python,
        bits=pyf.bits if pyf else 64, implementation=(pyf.implementation if pyf else "cpython") or "cpython",
        free_threaded=bool(pyf and pyf.free_threaded), wsl=bool(plat and plat.wsl),
        libc=plat.libc if plat else None, libc_version=plat.libc_version if plat else None,
        macos_version=macos_version, rosetta=bool(plat and plat.rosetta),
        driver=nv.driver if nv else None, gpus=_kinds(facts.gpus or ()),
    )


def _kinds(gpus) -> tuple[Gpu, ...]:
    """One GPU per model: eight H200s ask the gates the same question eight times."""
    seen: dict = {}
    for g in gpus:
        seen.setdefault((g.vendor, g.name, g.capability, g.gfx, g.kind), g)
    return tuple(seen.values())


def preflight(m: Machine) -> Finding | None:
    """Why no PyTorch wheel can exist for this interpreter at all (before any release is looked at)."""
    if m.os not in ("linux", "windows", "macos"):
        return problem("platform.unsupported_os", f"PyTorch publishes wheels for Linux, Windows and macOS only; "
                                                  f"this is {m.os!r}.")
    if m.bits == 32 or m.arch in ("x86", "armv7l", "armv6l", "i686"):
        return problem("python.32bit", "There are no PyTorch wheels for 32-bit Python: install a 64-bit Python "
                                       f"(this one is {m.bits}-bit, {m.arch}) and run suggest again.")
    if m.implementation != "cpython":
        return problem("python.implementation", f"PyTorch publishes wheels for CPython only; this interpreter is "
                                                f"{m.implementation}.")
    if m.libc == "musl":
        return problem("platform.musl", "There are no PyTorch wheels for musl libc (Alpine): use a glibc-based "
                                        "distribution or image (e.g. Debian/Ubuntu python images).")
    if m.key == "windows-aarch64":
        return problem("platform.unsupported_arch", "Windows on Arm has only nightly (pre-release) PyTorch wheels; "
                                                    "no stable release supports it.")
    if m.key not in PLATFORM_KEYS:
        return problem("platform.unsupported_arch", f"PyTorch publishes no wheels for {m.os} on {m.arch}.")
    if m.rosetta:
        return problem("python.rosetta", "This is an x86_64 Python running under Rosetta on Apple Silicon: it can "
                                         "only get the old Intel-Mac wheels (last: 2.2.2) without MPS. Install an "
                                         "arm64 Python (python.org universal2, Homebrew or Miniforge on arm64) "
                                         "and run suggest again.")
    return None

