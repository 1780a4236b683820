"""The build toolchain around the target interpreter: what torch.compile and extension builds will call.

Cheap by design (it runs in every `check`): PATH look-ups, environment variables and a few files. Nothing
is compiled. Two small programs may run, each through the runner with a deadline and only when a CUDA
toolkit was found: `nvcc --version` (the way torch.utils.cpp_extension reads the toolkit's release) and
the host compiler's `-dumpfullversion` (against nvcc's own bound in `crt/host_config.h`).

The compiler torch.compile picks is found the way torch/_inductor/cpp_builder.py picks it (torch 2.13):
`$CXX`, else `g++` (`clang++` on macOS); on Windows `$CXX`, else `cl`. CUDA's home is found the way
torch/utils/cpp_extension.py's `_find_cuda_home` finds it: CUDA_HOME or CUDA_PATH, else the folder above
`nvcc` on PATH, else /usr/local/cuda (Windows: the first CUDA\\v* folder).
"""

from __future__ import annotations

import glob
import os
import re
import shutil
from pathlib import Path
from typing import Callable, Mapping

from torchdoctor import runner
from torchdoctor.facts import ProbeNote, ToolchainFacts
from torchdoctor.probes._util import Stopwatch, read_text, tilde

Which = Callable[..., "str | None"]
_DEFAULT_CUDA = "/usr/local/cuda"
_WINDOWS_CUDA = "C:/Program Files/NVIDIA GPU Computing Toolkit/CUDA/v*.*"
_MSVC_GLOBS = ("C:/Program Files*/Microsoft Visual Studio/*/*/VC/Tools/MSVC/*/bin/Hostx64/x64/cl.exe",)
# A setup.py / pyproject.toml in the working directory that builds a torch extension: a build is plausible.
_SOURCE_WORDS = re.compile(r"CUDAExtension|CppExtension|BuildExtension|torch\.utils\.cpp_extension")


def _which(which: Which, name: str, path: str | None) -> str | None:
    try:
        return which(name, path=path)
    except TypeError:  # a test's which(name)
        return which(name)


def _executable(which: Which, value: str, path: str | None) -> str | None:
    """`CXX` as a command: an absolute/relative path that exists and runs, or a name on PATH."""
    value = value.strip()
    if not value or os.pathsep in value and os.name == "nt":
        return None  # a list ("C:\\a;C:\\b"): triton-windows README: it must be one string
    first = value.split()[0] if not os.path.exists(value) else value  # "ccache g++" -> ccache
    if os.sep in first or (os.altsep and os.altsep in first):
        return first if os.path.isfile(first) and os.access(first, os.X_OK) else None
    return _which(which, first, path)


def find_cxx(os_name: str, environ: Mapping[str, str], which: Which = shutil.which
             ) -> tuple[str | None, str | None, tuple[str, ...], tuple[str, ...]]:
    """(compiler torch would call, "CXX"|"PATH", other compilers on PATH, broken CC/CXX settings)."""
    path = environ.get("PATH", "")
    broken = []
    for name in ("CC", "CXX"):
        value = environ.get(name)
        if value is not None and value.strip() and _executable(which, value, path) is None:
            broken.append(f"{name}={value}")
    cxx_env = environ.get("CXX", "").strip()
    if cxx_env:
        found = _executable(which, cxx_env, path)
        return (found, "CXX", (), tuple(broken)) if found else (None, "CXX", (), tuple(broken))
    default = "cl" if os_name == "windows" else "clang++" if os_name == "macos" else "g++"
    found = _which(which, default, path)
    others = tuple(n for n in ("g++", "clang++", "c++", "clang-cl", "icx-cl")
                   if n != default and _which(which, n, path))
    return (found, "PATH" if found else None, () if found else others, tuple(broken))


def find_cuda_home(os_name: str, environ: Mapping[str, str], which: Which = shutil.which,
                   exists: Callable[[str], bool] = os.path.exists,
                   windows_homes: Callable[[], list[str]] | None = None) -> tuple[str | None, str | None]:
    """CUDA's home as torch.utils.cpp_extension finds it, and where from. A CUDA_HOME that does not
    exist is still torch's answer (torch then fails with "nvcc not found at ...")."""
    for name in ("CUDA_HOME", "CUDA_PATH"):
        if environ.get(name):
            return environ[name], name
    nvcc = _which(which, "nvcc", environ.get("PATH", ""))
    if nvcc:
        return os.path.dirname(os.path.dirname(nvcc)), "nvcc"
    if os_name == "windows":
        homes = (windows_homes or (lambda: sorted(glob.glob(_WINDOWS_CUDA))))()
        return (homes[0], "default") if homes else (None, None)
    return (_DEFAULT_CUDA, "default") if exists(_DEFAULT_CUDA) else (None, None)


def nvcc_release(text: str) -> str | None:
    """`nvcc --version`'s "Cuda compilation tools, release 12.4, V12.4.131" -> "12.4" (torch's regex)."""
    m = re.search(r"release (\d+[.]\d+)", text or "")
    return m.group(1) if m else None


def host_gcc_max(text: str | None) -> int | None:
    """crt/host_config.h's guard: `#if __GNUC__ > 13` (with the "later than 13" #error) -> 13."""
    if not text:
        return None
    m = re.search(r"gcc versions later than (\d+) are not supported", text)
    if m:
        return int(m.group(1))
    m = re.search(r"#if\s+__GNUC__\s*>\s*(\d+)", text)
    return int(m.group(1)) if m else None


def shm_mib(root: Path = Path("/")) -> int | None:
    try:
        st = os.statvfs(str(root / "dev" / "shm"))
    except (OSError, AttributeError):
        return None
    return int(st.f_blocks * st.f_frsize // (1024 * 1024))


def _source_package(cwd: str | None) -> bool:
    for name in ("setup.py", "pyproject.toml"):
        text = read_text(Path(cwd or os.curdir) / name, limit=1 << 18)
        if text and _SOURCE_WORDS.search(text):
            return True
    return False


def probe_toolchain(
    os_name: str,
    environ: Mapping[str, str] | None = None,
    include: str | None = None,
    *,
    build: bool = False,
    cwd: str | None = None,
    which: Which = shutil.which,
    run: Callable[..., runner.RunResult] = runner.run,
    timeout: float = 5.0,
    root: Path = Path("/"),
    windows_homes: Callable[[], list[str]] | None = None,
    msvc_globs: tuple[str, ...] = _MSVC_GLOBS,
) -> tuple[ToolchainFacts, ProbeNote]:
    """The toolchain facts and a note; never raises (a failure is in the note)."""
    clock = Stopwatch()
    environ = dict(os.environ if environ is None else environ)
    path = environ.get("PATH", "")
    cxx, cxx_from, others, broken = find_cxx(os_name, environ, which)
    msvc = None
    if os_name == "windows" and cxx is None:
        for pattern in msvc_globs:
            hits = sorted(glob.glob(pattern))
            if hits:
                msvc = hits[-1]  # the newest toolset sorts last
                break
    python_h = python_libs = None
    if include:
        folder = os.path.expanduser(include)
        python_h = os.path.isfile(os.path.join(folder, "Python.h"))
        if os_name == "windows":
            python_libs = os.path.isdir(os.path.join(os.path.dirname(folder), "libs"))
    cuda_home, cuda_from = find_cuda_home(os_name, environ, which,
                                          exists=lambda p: (root / p.lstrip("/")).exists(),
                                          windows_homes=windows_homes)
    wanted = "asked" if build else "toolkit" if cuda_home else "source" if _source_package(cwd) else None
    nvcc = nvcc_version = nvcc_error = gcc = gcc_version = None
    gcc_max = None
    details = []
    if cuda_home:
        home = cuda_home if cuda_from != "default" or os_name == "windows" else str(root / cuda_home.lstrip("/"))
        candidate = os.path.join(home, "bin", "nvcc.exe" if os_name == "windows" else "nvcc")
        if os.path.isfile(candidate):
            nvcc = candidate
            res = run([candidate, "--version"], timeout=timeout)
            nvcc_version = nvcc_release(res.stdout + res.stderr) if res.ok else None
            if nvcc_version is None:
                nvcc_error = res.describe_failure() if not res.ok else "nvcc printed no 'release X.Y'"
                details.append(nvcc_error)
        else:
            nvcc_error = f"no nvcc at {tilde(candidate)}"
        gcc_max = host_gcc_max(read_text(Path(home) / "include" / "crt" / "host_config.h"))
        if os_name == "linux":
            host = environ.get("CC", "").strip() or "gcc"
            gcc = _executable(which, host, path)
            if gcc:
                res = run([gcc, "-dumpfullversion", "-dumpversion"], timeout=timeout)
                out = (res.stdout or "").strip().splitlines()
                gcc_version = out[0].strip() if res.ok and out and re.match(r"\d+(\.\d+)*$", out[0].strip()) else None
                if gcc_version is None:
                    details.append(res.describe_failure() if not res.ok else f"{os.path.basename(gcc)}: no version")
    disabled = tuple(f"{n}={environ[n]}" for n in ("TORCHDYNAMO_DISABLE", "TORCH_COMPILE_DISABLE")
                     if environ.get(n, "").strip() == "1")
    facts = ToolchainFacts(
        cxx=tilde(cxx), cxx_from=cxx_from, other_cxx=others, cc_env_broken=tuple(tilde(b) for b in broken),
        msvc_off_path=tilde(msvc), python_h=python_h, python_libs=python_libs,
        ninja=tilde(_which(which, "ninja", path)), cuda_home=tilde(cuda_home), cuda_home_from=cuda_from,
        nvcc=tilde(nvcc), nvcc_version=nvcc_version, nvcc_error=nvcc_error, gcc_max=gcc_max, gcc=tilde(gcc),
        gcc_version=gcc_version, disabled_by=disabled, build_wanted=wanted,
        shm_mib=shm_mib(root) if os_name == "linux" else None,
    )
    return facts, ProbeNote("toolchain", True, clock.seconds, "; ".join(details)[:300])


def gather_toolchain(os_name: str | None, include: str | None, build: bool = False,
                     cwd: str | None = None) -> tuple[ToolchainFacts | None, ProbeNote]:
    """probe_toolchain for the live machine; a probe bug becomes a note, never a raise."""
    clock = Stopwatch()
    try:
        return probe_toolchain(os_name or "unknown", None, include, build=build, cwd=cwd)
    except Exception as exc:  # noqa: BLE001
        return None, ProbeNote("toolchain", False, clock.seconds, f"crashed: {type(exc).__name__}: {exc}")
