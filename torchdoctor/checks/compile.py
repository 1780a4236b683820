"""compile.*: whether `torch.compile` can work here, judged from the toolchain facts (nothing compiled).

Each check names the exact error torch or Triton raises when it fails, and the fix for this OS and this
environment's package manager. Floors and tables come from knowledge/toolchain.json.
"""

from __future__ import annotations

import re

from torchdoctor.checks import areas
from torchdoctor.checks.fixes import cmd, pip_argv, reinstall_fix
from torchdoctor.checks.views import build, dists, listing_partial, nvidia_gpus, release_series, torch_version
from torchdoctor.facts import Facts
from torchdoctor.findings import Finding, Fix, info, warning
from torchdoctor.knowledge import Knowledge
from torchdoctor.checks.registry import check

TRITONS = ("triton", "pytorch-triton", "pytorch-triton-rocm", "pytorch-triton-xpu", "triton-windows")
_PIN = re.compile(r"^(triton|pytorch-triton(?:-rocm|-xpu)?)\s*==\s*([0-9][\w.+]*)\s*(?:;\s*(.*))?$")


def series_key(version: str | None) -> tuple[int, int] | None:
    s = release_series(version)
    if not s:
        return None
    a, b = s.split(".")
    return int(a), int(b)


def has_compile(f: Facts) -> bool:
    """torch.compile exists: torch 2.0 or newer is installed."""
    key = series_key(torch_version(f))
    return key is not None and key >= (2, 0)


# ------------------------------------------------------------------------------ package-manager fixes
def package_manager(f: Facts) -> str | None:
    """"conda" | "apt" | "dnf" | "pacman" | "zypper" | "apk" | "brew" | "windows" | None (unknown)."""
    p = f.platform
    if p is None:
        return None
    if p.os == "windows":
        return "windows"
    if p.os == "macos":
        return "brew"
    words = (p.os_version or "").lower()
    for names, manager in ((("ubuntu", "debian", "mint", "pop!_os", "raspbian", "kali", "elementary"), "apt"),
                           (("fedora", "red hat", "rhel", "centos", "rocky", "alma", "amazon", "oracle"), "dnf"),
                           (("arch", "manjaro", "endeavour"), "pacman"), (("opensuse", "suse", "sles"), "zypper"),
                           (("alpine",), "apk")):
        if any(n in words for n in names):
            return manager
    return None


def conda_env(f: Facts) -> bool:
    return f.python is not None and f.python.env_kind == "conda"


_CXX_PACKAGES = {"apt": ("sudo", "apt-get", "install", "-y", "build-essential"),
                 "dnf": ("sudo", "dnf", "install", "-y", "gcc-c++"),
                 "pacman": ("sudo", "pacman", "-S", "--needed", "base-devel"),
                 "zypper": ("sudo", "zypper", "install", "-y", "gcc-c++"),
                 "apk": ("sudo", "apk", "add", "build-base")}


def cxx_fix(f: Facts) -> Fix:
    manager = package_manager(f)
    if manager == "windows":
        return Fix("Install Visual Studio Build Tools with the 'Desktop development with C++' workload, then run "
                   "Python from the 'x64 Native Tools Command Prompt for VS' (or after Launch-VsDevShell.ps1 "
                   "-Arch amd64) so that cl.exe is on PATH",
                   (cmd(f, "winget", "install", "--id", "Microsoft.VisualStudio.2022.BuildTools", "-e"),))
    if manager == "brew":
        return Fix("Install Apple's command line tools (clang++)", (cmd(f, "xcode-select", "--install"),))
    commands = []
    if manager in _CXX_PACKAGES:
        commands.append(cmd(f, *_CXX_PACKAGES[manager]))
    if conda_env(f):
        commands.append(cmd(f, "conda", "install", "-y", "-c", "conda-forge", "cxx-compiler"))
    summary = "Install a C++ compiler (g++)"
    if not commands:
        summary += ": your distribution's build-essential / gcc-c++ package"
    return Fix(summary, tuple(commands))


def python_minor(f: Facts) -> str | None:
    m = re.match(r"(\d+)\.(\d+)", f.python.version if f.python is not None else "")
    return f"{m.group(1)}.{m.group(2)}" if m else None


def headers_fix(f: Facts) -> Fix:
    manager = package_manager(f)
    series = python_minor(f) or "3"
    if manager == "windows":
        return Fix(f"An embedded Python has no include/ and libs/ folders: copy both from a full Python {series} "
                   "install of the same version (python.org) next to python.exe, or use a full Python")
    if conda_env(f):
        return Fix("A conda Python ships Python.h: reinstall the env's python",
                   (cmd(f, "conda", "install", "-y", "--force-reinstall", f"python={series}"),))
    packages = {"apt": ("sudo", "apt-get", "install", "-y", f"python{series}-dev"),
                "dnf": ("sudo", "dnf", "install", "-y", f"python{series}-devel"),
                "zypper": ("sudo", "zypper", "install", "-y", f"python{series.replace('.', '')}-devel"),
                "apk": ("sudo", "apk", "add", "python3-dev")}
    if manager in packages:
        return Fix(f"Install Python {series}'s development headers", (cmd(f, *packages[manager]),))
    return Fix(f"Install Python {series}'s development headers (python{series}-dev or python{series}-devel), or "
               "use a Python that ships them (python.org, uv, conda)")


# ------------------------------------------------------------------------------ a recorded machine's words
# What torch, Triton and nvcc print when the fact behind a check holds: a paste (`check --from`) that shows the
# text is judged by it; a recorded machine without the text and without toolchain facts is skipped.
def said_finding(f: Facts, fid: str):
    """The recorded machine's message (knowledge/messages/toolchain.json) that proves finding `fid`, or None."""
    from torchdoctor.checks.views import said

    return None if f.origin == "live" else said(f, "toolchain", finding=fid)


def recorded(f: Facts, fid: str, fix: Fix | None = None, severity: str = "warning") -> Finding | None:
    """The finding a recorded machine's own text proves (None: the text is not there)."""
    from torchdoctor.findings import error

    m = said_finding(f, fid)
    if m is None:
        return None
    make = {"warning": warning, "info": info, "error": error}[severity]
    return make(f"The report shows '{m.text[:200]}'.", fix)


def unprobed(f: Facts, fid: str, fix: Fix | None = None, severity: str = "warning") -> Finding:
    """No toolchain facts: the recorded text decides, else the check is skipped."""
    from torchdoctor.findings import skipped

    found = recorded(f, fid, fix, severity)
    if found is not None:
        return found
    return skipped("needs the live machine (the toolchain probe)" if f.origin != "live"
                   else "needs the toolchain probe (compilers, Python.h, CUDA toolkit)")


# ------------------------------------------------------------------------------ the checks
@check("compile.python_unsupported", areas.COMPILE, "torch.compile supports this Python", needs=("python",))
def python_unsupported(f: Facts, k: Knowledge | None) -> Finding | None:
    from torchdoctor.knowledge.toolchain import dynamo_floor

    version = torch_version(f)
    key = series_key(version)
    if not has_compile(f):
        return recorded(f, "compile.python_unsupported",
                        reinstall_fix(f, k, "Install a torch release whose torch.compile supports this Python",
                                      keep_version=False))
    row = dynamo_floor(f.python.version)
    if row is None:
        return None
    need = tuple(int(x) for x in row["min_torch"].split("."))
    if key >= need:
        return None
    return warning(f"torch {version} refuses torch.compile on Python {row['python']} (it raises 'Dynamo is not "
                   f"supported on Python {row['python']}+' or 'Python {row['python']}+ not yet supported for "
                   f"torch.compile'): torch.compile works on Python {row['python']} from torch {row['min_torch']}. "
                   "Eager mode is unaffected.",
                   reinstall_fix(f, k, f"Install torch {row['min_torch']} or newer (or use an older Python)",
                                 keep_version=False))


@check("compile.windows_unsupported", areas.COMPILE, "torch.compile supports Windows in this release",
       needs=("platform",))
def windows_unsupported(f: Facts, k: Knowledge | None) -> Finding | None:
    from torchdoctor.knowledge.toolchain import windows_compile

    if f.platform.os != "windows" or not has_compile(f):
        return recorded(f, "compile.windows_unsupported", severity="info")
    row = windows_compile()
    b = build(f)
    floor = row["xpu_min_torch"] if b is not None and b[0] == "xpu" else row["cpu_min_torch"]
    if series_key(torch_version(f)) >= tuple(int(x) for x in floor.split(".")):
        return None
    return info(f"torch {torch_version(f)} raises 'Windows not yet supported for torch.compile': torch.compile "
                f"works on Windows from torch {floor}. Eager mode is unaffected.",
                reinstall_fix(f, k, f"Install torch {floor} or newer to use torch.compile on Windows",
                              keep_version=False))


@check("compile.no_cxx", areas.COMPILE, "a C++ compiler for torch.compile is on PATH")
def no_cxx(f: Facts, k: Knowledge | None) -> Finding | None:
    tc = f.toolchain
    if tc is None:
        return unprobed(f, "compile.no_cxx", cxx_fix(f))
    if tc.cxx or tc.cxx_from == "CXX" or not has_compile(f):
        return None  # found, or CXX names one that is broken (compile.cc_env_broken says it)
    windows = f.platform is not None and f.platform.os == "windows"
    if windows:
        said = "torch.compile fails with 'InvalidCxxCompiler' / 'Compiler: cl is not found.'"
        if tc.msvc_off_path:
            return warning(f"cl.exe is not on PATH: {said}. Visual Studio Build Tools are installed "
                           f"({tc.msvc_off_path}) but this shell is not a developer prompt.",
                           Fix("Run Python from the 'x64 Native Tools Command Prompt for VS', or load the "
                               "environment first", ("Launch-VsDevShell.ps1 -Arch amd64",)))
        return warning(f"No C++ compiler (cl.exe) on PATH: {said}.", cxx_fix(f))
    said = "torch.compile fails with 'InvalidCxxCompiler: No working C++ compiler found'"
    if tc.other_cxx:
        found = tc.other_cxx[0]
        return warning(f"torch.compile calls g++ (or $CXX), which is not on PATH: {said}, although {found} is.",
                       Fix(f"Point torch at {found}", (cmd(f, "export", f"CXX={found}"),)))
    return warning(f"No C++ compiler (g++, clang++ or c++) on PATH: {said}, and Triton's 'Failed to find C "
                   "compiler'.", cxx_fix(f))


@check("compile.cc_env_broken", areas.COMPILE, "CC and CXX name working compilers", needs=("toolchain",))
def cc_env_broken(f: Facts, k: Knowledge | None) -> Finding | None:
    tc = f.toolchain
    if not tc.cc_env_broken:
        return None
    names = ", ".join(tc.cc_env_broken)
    unset = [s.split("=", 1)[0] for s in tc.cc_env_broken]
    windows = f.platform is not None and f.platform.os == "windows"
    lines = tuple(f"$env:{n} = $null" if windows else cmd(f, "unset", n) for n in unset)
    return warning(f"{names} does not name an executable: torch.compile ('InvalidCxxCompiler') and Triton ('Failed "
                   "to find C compiler') use it instead of looking for a compiler.",
                   Fix("Unset it (or set it to one compiler's full path, a single string)", lines))


@check("compile.no_python_headers", areas.COMPILE, "Python.h is installed for this interpreter")
def no_python_headers(f: Facts, k: Knowledge | None) -> Finding | None:
    tc = f.toolchain
    if tc is None:
        return unprobed(f, "compile.no_python_headers", headers_fix(f))
    if tc.python_h is not False or not has_compile(f):
        return None
    b = build(f)
    gpu = b is not None and b[0] in ("cuda", "rocm", "xpu")
    where = f" ({f.python.include})" if f.python is not None and f.python.include else ""
    msg = (f"Python.h is missing from this interpreter's include folder{where}: Triton compiles a C helper on first "
           "use and fails with 'fatal error: Python.h: No such file or directory'.")
    if tc.python_libs is False:
        msg += " This looks like an embedded Python (no libs folder either)."
    return (warning if gpu else info)(msg if gpu else msg + " (torch.compile on the GPU needs it; the CPU path "
                                      "may too.)", headers_fix(f))


def triton_pin(f: Facts) -> tuple[str, str] | None:
    """torch's own METADATA pin for this platform: ("triton", "3.4.0"), or None."""
    p = f.platform
    for d in dists(f, "torch")[:1]:
        for req in d.requires:
            m = _PIN.match(req.strip())
            if not m:
                continue
            marker = (m.group(3) or "").lower()
            system = {"macos": "darwin"}.get(p.os, p.os) if p is not None else None
            if system and "platform_system" in marker and f'"{system}"' not in marker:
                continue
            if p is not None and "platform_machine" in marker and f'"{p.arch}"' not in marker:
                continue
            return m.group(1), m.group(2)
    return None


@check("compile.triton_missing", areas.COMPILE, "Triton is installed for the GPU build")
def triton_missing(f: Facts, k: Knowledge | None) -> Finding | None:
    b = build(f)
    said = recorded(f, "compile.triton_missing", reinstall_fix(f, k, "Reinstall torch with its dependencies "
                                                                  "(it brings its Triton)"))
    if said is not None:
        return said
    if f.platform is None or f.distributions is None:
        from torchdoctor.findings import skipped

        return skipped("needs the platform facts and the installed package list")
    if f.platform.os != "linux" or b is None or b[0] not in ("cuda", "rocm") or not has_compile(f):
        return None
    if any(dists(f, n) for n in TRITONS):
        return None
    if f.origin != "live" and (listing_partial(f) or len(f.distributions) < 2):
        return None  # a paste that names torch alone says nothing about what else is installed
    pin = triton_pin(f)
    msg = ("No Triton is installed for this GPU build: torch.compile on the GPU raises 'Cannot find a working triton "
           "installation. Either the package is not installed or it is too old.'")
    if pin:
        return warning(msg + f" torch {torch_version(f)} asks for {pin[0]}=={pin[1]}.",
                       Fix("Install the Triton this torch was built with",
                           (cmd(f, *pip_argv(f), "install", f"{pin[0]}=={pin[1]}"),)))
    # No pin to read (a conda torch, a listing without Requires-Dist): the need is likely, not certain.
    return info(msg, reinstall_fix(f, k, "Reinstall torch with its dependencies (it brings its Triton)"))


@check("compile.triton_mismatch", areas.COMPILE, "the installed Triton is the one torch pins",
       needs=("platform", "distributions"))
def triton_mismatch(f: Facts, k: Knowledge | None) -> Finding | None:
    if f.platform.os == "windows" or not has_compile(f):
        return None
    installed = [d for n in TRITONS if n != "triton-windows" for d in dists(f, n)]
    if len(installed) > 1:
        listing = ", ".join(f"{d.name} {d.version}" for d in installed)
        pin = triton_pin(f)
        keep = pin[0] if pin else None
        drop = sorted({d.name for d in installed if d.name != keep}) or sorted({d.name for d in installed})
        lines = [cmd(f, *pip_argv(f), "uninstall", "-y", *drop)]
        if pin:
            lines.append(cmd(f, *pip_argv(f), "install", "--force-reinstall", "--no-deps", f"{pin[0]}=={pin[1]}"))
        return warning(f"Two Triton installs side by side ({listing}): both provide the `triton` module, and the one "
                       "Python imports may not be the one torch was built with.",
                       Fix("Keep only the Triton torch pins", tuple(lines)))
    pin = triton_pin(f)
    if pin is None or not installed:
        return None
    have = installed[0]
    if have.name == pin[0] and have.version.split("+")[0] == pin[1].split("+")[0]:
        return None
    return warning(f"torch {torch_version(f)} expects {pin[0]} {pin[1]} (its METADATA pin); {have.name} {have.version} "
                   "is installed: torch.compile may fail to import or miscompile.",
                   Fix("Install the Triton torch pins", (cmd(f, *pip_argv(f), "install", f"{pin[0]}=={pin[1]}"),)))


@check("compile.windows_triton", areas.COMPILE, "triton-windows matches torch on Windows",
       needs=("platform", "distributions"))
def windows_triton(f: Facts, k: Knowledge | None) -> Finding | None:
    from torchdoctor.knowledge.toolchain import triton_windows_minor

    b = build(f)
    if f.platform.os != "windows" or b is None or b[0] != "cuda":
        return None
    series = release_series(torch_version(f))
    key = series_key(torch_version(f))
    if key is None or key < (2, 4):
        return None  # no Windows torch.compile before 2.5 (compile.windows_unsupported); the table starts at 2.4
    want = triton_windows_minor(series)
    have = dists(f, "triton-windows")
    stray = dists(f, "triton")
    upper = None
    if want:
        major, minor = want.split(".")
        upper = f"triton-windows<{major}.{int(minor) + 1}"
    install = cmd(f, *pip_argv(f), "install", "-U", upper) if upper else None
    if stray:
        lines = (cmd(f, *pip_argv(f), "uninstall", "-y", "triton"),) + ((install,) if install else ())
        return warning(f"A `triton` package ({stray[0].version}) is installed on Windows: on Windows, Triton comes "
                       "as triton-windows, and the other one hides or breaks it.",
                       Fix("Remove it and install the triton-windows that matches torch", lines))
    if not have:
        if want is None:
            return info(f"No triton-windows is installed: torch.compile on the GPU needs it. Which triton-windows "
                        f"matches torch {series} is not in the tables (they end at 2.10); see its README.")
        return info(f"No triton-windows is installed: torch.compile on the GPU needs it (torch {series} works with "
                    f"triton-windows {want}.x).", Fix("Install it for this interpreter", (install,)))
    if want is None:
        return None  # a torch newer than the table: say nothing rather than guess
    got = release_series(have[0].version)
    if got == want:
        return None
    return warning(f"triton-windows {have[0].version} is installed, but torch {series} is only guaranteed to work with "
                   f"triton-windows {want}.x.", Fix("Install the matching minor", (install,)))


@check("compile.gpu_too_old", areas.COMPILE, "the GPU is new enough for Triton")
def gpu_too_old(f: Facts, k: Knowledge | None) -> Finding | None:
    from torchdoctor.knowledge.toolchain import triton_min_cc

    b = build(f)
    if b is None or b[0] != "cuda" or not has_compile(f):
        return recorded(f, "compile.gpu_too_old", severity="info")
    floor = triton_min_cc()
    caps = [(d.name, d.capability) for d in (f.runtime.devices if f.runtime is not None else ()) if d.capability]
    caps = caps or [(g.name, g.capability) for g in nvidia_gpus(f) if g.capability]
    old = [(n, c) for n, c in caps if tuple(c) < floor]
    if not old:
        return recorded(f, "compile.gpu_too_old", severity="info") if not caps else None
    name, cc = old[0]
    return info(f"{name or 'This GPU'} (cc {cc[0]}.{cc[1]}) is older than Triton supports (cc {floor[0]}.{floor[1]}): "
                "torch.compile on this GPU fails with 'Found ... which is too old to be supported by the triton GPU "
                "compiler'. Eager mode is unaffected.",
                Fix("Compile for the CPU only, or keep torch.compile off on this GPU",
                    (cmd(f, "export", "TORCHDYNAMO_DISABLE=1") if f.platform is None or f.platform.os != "windows"
                     else "$env:TORCHDYNAMO_DISABLE = '1'",)))


@check("compile.disabled_by_env", areas.COMPILE, "torch.compile is not switched off", needs=("toolchain",))
def disabled_by_env(f: Facts, k: Knowledge | None) -> Finding | None:
    tc = f.toolchain
    if not tc.disabled_by:
        return None
    windows = f.platform is not None and f.platform.os == "windows"
    names = [s.split("=", 1)[0] for s in tc.disabled_by]
    lines = tuple(f"$env:{n} = $null" if windows else cmd(f, "unset", n) for n in names)
    return info(f"{', '.join(tc.disabled_by)} is set: torch.compile silently runs the function uncompiled.",
                Fix("Unset it to compile", lines))
