"""Where we run: OS, distro, kernel, arch, libc, WSL2, container, macOS and Rosetta.

Everything here is read in-process (files, `platform`, `os.confstr`, `sysctlbyname` through
ctypes on macOS): no subprocess except the musl loader, which is the only place that
states musl's version. The arch is the *Python's* arch, because that decides which wheels
install; the hardware's arch goes to `machine_arch` when it differs (Rosetta, 32-bit Python).
"""

from __future__ import annotations

import os
import platform as _platform
import re
import struct
import sys
from dataclasses import replace
from pathlib import Path
from typing import Callable, Mapping

from torchdoctor import runner
from torchdoctor.facts import PlatformFacts, ProbeNote
from torchdoctor.probes._util import Stopwatch, read_text, under

Sysctl = Callable[[str], "bytes | None"]

def normalise_os(system: str) -> str:
    from torchdoctor.knowledge.platforms import os_name

    return os_name(system) or system.lower()


def normalise_arch(machine: str, os_name: str, bits: int) -> tuple[str, str | None]:
    """(the Python's arch, the machine's arch when different).

    Linux says aarch64, macOS and Windows say arm64 (the names their wheel tags use).
    A 32-bit Python on a 64-bit x86 machine is "x86": it can only install 32-bit wheels.
    """
    from torchdoctor.knowledge.platforms import arch_name

    m = machine.strip().lower()
    arch = arch_name(m, os_name) or m or "unknown"
    hardware = None
    if bits == 32 and arch == "x86_64":
        arch, hardware = "x86", "x86_64"
    elif bits == 32 and arch in ("aarch64", "arm64"):
        arch, hardware = "arm", arch
    return arch, hardware


def parse_os_release(text: str) -> dict[str, str]:
    """KEY=value lines of /etc/os-release, quotes removed."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        out[key.strip()] = value
    return out


def distro_name(fields: Mapping[str, str]) -> str | None:
    if fields.get("PRETTY_NAME"):
        return fields["PRETTY_NAME"]
    name = fields.get("NAME")
    if name:
        return f"{name} {fields.get('VERSION_ID', '')}".strip()
    return None


def is_wsl2(kernel: str, proc_version: str | None) -> bool:
    """WSL2 kernels are named "...-microsoft-standard-WSL2"; WSL1 ("...-Microsoft") has no GPU at all."""
    text = f"{kernel} {proc_version or ''}".lower()
    return "microsoft-standard" in text or "wsl2" in text


def parse_tegra_release(text: str | None) -> str | None:
    """/etc/nv_tegra_release "# R35 (release), REVISION: 3.1, GCID: ..." -> "35.3.1" (the L4T release)."""
    m = re.search(r"#\s*R(\d+)\s*\(release\),\s*REVISION:\s*([\d.]+)", text or "")
    return f"{m.group(1)}.{m.group(2)}" if m else None


def detect_container(root: Path, environ: Mapping[str, str]) -> str | None:
    if environ.get("KUBERNETES_SERVICE_HOST"):
        return "kubernetes"
    if under(root, "/run/.containerenv").exists():
        return "podman"
    if under(root, "/.dockerenv").exists():
        return "docker"
    declared = environ.get("container", "").strip().lower()  # systemd's convention
    if declared:
        return declared if declared in ("docker", "podman", "lxc", "systemd-nspawn") else "container"
    cgroup = (read_text(under(root, "/proc/1/cgroup"), 1 << 16) or "").lower()
    for marker, kind in (("kubepods", "kubernetes"), ("libpod", "podman"), ("docker", "docker"),
                         ("lxc", "lxc"), ("containerd", "container")):
        if marker in cgroup:
            return kind
    return None


_MUSL_LOADER = re.compile(rb"/lib/ld-musl-[A-Za-z0-9_]+\.so\.1")


def detect_libc(
    executable: str,
    confstr: Callable[[str], "str | None"] | None = None,
    run: Callable[..., runner.RunResult] = runner.run,
) -> tuple[str | None, str | None]:
    """("glibc", "2.39") | ("musl", "1.2.4") | (None, None).

    glibc answers os.confstr; musl does not, so look for the musl loader named in the
    executable's ELF header and ask the loader itself (it prints its version on stderr).
    """
    confstr = confstr or _confstr
    text = confstr("CS_GNU_LIBC_VERSION")
    if text:
        name, _, version = text.partition(" ")
        if name.lower() == "glibc":
            return "glibc", version or None
    try:
        with open(executable, "rb") as fh:
            head = fh.read(1 << 16)
    except OSError:
        return None, None
    found = _MUSL_LOADER.search(head)
    if not found:
        return None, None
    loader = found.group(0).decode()
    result = run([loader], timeout=2.0)
    match = re.search(r"Version\s+([\d.]+)", result.stderr + result.stdout)
    return "musl", match.group(1) if match else None


def _confstr(name: str) -> str | None:
    try:
        return os.confstr(name)
    except (AttributeError, ValueError, OSError):
        return None


def sysctl(name: str) -> bytes | None:
    """sysctlbyname(3) on macOS, in-process (no `sysctl` subprocess); None when absent."""
    if sys.platform != "darwin":
        return None
    try:
        import ctypes

        libc = ctypes.CDLL("/usr/lib/libSystem.B.dylib")
        size = ctypes.c_size_t(0)
        key = name.encode()
        if libc.sysctlbyname(key, None, ctypes.byref(size), None, ctypes.c_size_t(0)) != 0:
            return None
        buf = ctypes.create_string_buffer(size.value)
        if libc.sysctlbyname(key, buf, ctypes.byref(size), None, ctypes.c_size_t(0)) != 0:
            return None
        return buf.raw[: size.value]
    except (OSError, AttributeError, ValueError):
        return None


def sysctl_int(get: Sysctl, name: str) -> int | None:
    raw = get(name)
    if not raw:
        return None
    return int.from_bytes(raw[:8] if len(raw) >= 8 else raw[:4], sys.byteorder)


def sysctl_str(get: Sysctl, name: str) -> str | None:
    raw = get(name)
    if raw is None:
        return None
    text = raw.split(b"\0", 1)[0].decode("utf-8", errors="replace").strip()
    return text or None


def windows_name(version: str) -> str:
    """platform.win32_ver()'s "10.0.22631" -> "Windows 11 (10.0.22631)" (build 22000+ is Windows 11)."""
    parts = version.split(".")
    try:
        build = int(parts[2])
    except (IndexError, ValueError):
        return f"Windows {version}".strip()
    return f"Windows {'11' if parts[0] == '10' and build >= 22000 else parts[0]} ({version})"


def probe_platform(
    root: Path = Path("/"),
    *,
    system: str | None = None,
    machine: str | None = None,
    kernel: str | None = None,
    bits: int | None = None,
    environ: Mapping[str, str] | None = None,
    get_sysctl: Sysctl = sysctl,
    executable: str | None = None,
    confstr: Callable[[str], "str | None"] | None = None,
    run: Callable[..., runner.RunResult] = runner.run,
) -> tuple[PlatformFacts, ProbeNote]:
    """Never raises: anything unreadable is left None."""
    clock = Stopwatch()
    environ = os.environ if environ is None else environ
    os_name = normalise_os(system if system is not None else _platform.system())
    bits = bits if bits is not None else struct.calcsize("P") * 8
    arch, machine_arch = normalise_arch(machine if machine is not None else _platform.machine(), os_name, bits)
    kernel = kernel if kernel is not None else _platform.release()
    facts = PlatformFacts(os=os_name, arch=arch, kernel=kernel or None, machine_arch=machine_arch)
    notes: list[str] = []

    if os_name == "linux":
        release = read_text(under(root, "/etc/os-release")) or read_text(under(root, "/usr/lib/os-release"))
        libc, libc_version = detect_libc(executable or sys.executable, confstr, run)
        proc_version = read_text(under(root, "/proc/version"), 4096)
        wsl = is_wsl2(kernel or "", proc_version)
        if not wsl and "microsoft" in f"{kernel} {proc_version}".lower():
            notes.append("WSL1 kernel: WSL1 has no GPU support")
        facts = replace(
            facts,
            os_version=distro_name(parse_os_release(release)) if release else None,
            libc=libc,
            libc_version=libc_version,
            wsl=wsl,
            container=detect_container(root, environ),
            jetson=parse_tegra_release(read_text(under(root, "/etc/nv_tegra_release"), 4096)),
        )
    elif os_name == "macos":
        version = sysctl_str(get_sysctl, "kern.osproductversion") or _platform.mac_ver()[0]
        translated = sysctl_int(get_sysctl, "sysctl.proc_translated") == 1
        if translated:
            machine_arch = "arm64"
        facts = replace(facts, os_version=f"macOS {version}" if version else None,
                         rosetta=translated, machine_arch=machine_arch)
    elif os_name == "windows":
        version = _platform.win32_ver()[1] if system is None else ""
        facts = replace(facts, os_version=windows_name(version) if version else None)

    return facts, ProbeNote("platform", True, clock.seconds, "; ".join(notes))

