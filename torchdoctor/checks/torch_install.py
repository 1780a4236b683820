"""Checks on the interpreter and the torch install itself."""

from __future__ import annotations

from typing import Any

from torchdoctor.checks import areas
from torchdoctor.checks.base import (Fix, base_version, check, cmd, dists, error, listing_partial, local_tag, pip_argv,
                                     python_cmd, reinstall_fix, skipped, torch_version, warning)

# The CUDA library a missing .so comes from (pip wheel name, without the -cuXX suffix).
_LIB_WHEELS = (
    ("libcudnn", "nvidia-cudnn"), ("libcublas", "nvidia-cublas"), ("libcurand", "nvidia-curand"),
    ("libcusparseLt", "nvidia-cusparselt"), ("libcusparse", "nvidia-cusparse"), ("libcufft", "nvidia-cufft"),
    ("libcusolver", "nvidia-cusolver"), ("libnccl", "nvidia-nccl"), ("libnvJitLink", "nvidia-nvjitlink"),
    ("libcudart", "nvidia-cuda-runtime"), ("libnvrtc", "nvidia-cuda-nvrtc"), ("libcupti", "nvidia-cuda-cupti"),
    ("libcufile", "nvidia-cufile"), ("libnvshmem", "nvidia-nvshmem"), ("libnvToolsExt", "nvidia-nvtx"),
)
VC_REDIST_URL = "https://aka.ms/vc14/vc_redist.x64.exe"
# Which library an undefined symbol belongs to, from the symbol or the "version libX.so" the loader names.
_SYMBOL_LIBS = (
    (r"\bnccl[A-Z]\w*|libnccl", "NCCL", "nvidia-nccl"), (r"nvJitLink", "nvJitLink", "nvidia-nvjitlink"),
    (r"\bcusparse\w*|libcusparse", "cuSPARSE", "nvidia-cusparse"), (r"\bcublas\w*|libcublas", "cuBLAS", "nvidia-cublas"),
    (r"\bcudnn\w*|libcudnn", "cuDNN", "nvidia-cudnn"), (r"iJIT_NotifyEvent|libmkl", "MKL", None),
)


def _minor(version: str) -> tuple[int, int]:
    parts = version.split(".")
    return int(parts[0]), int(parts[1]) if len(parts) > 1 else 0


@check("python.unsupported", areas.PYTHON, "Python version and bitness have torch wheels", needs=("python",))
def python_unsupported(f: Any, k: Any) -> Any:
    py = f.python
    if py.bits == 32:
        return error(f"Python {py.version} is a 32-bit interpreter; PyTorch publishes 64-bit wheels only, so pip "
                     "finds no torch for it ('from versions: none').",
                     Fix("Install a 64-bit CPython of a supported version and recreate the environment."))
    if k is None or (f.runtime is not None and f.runtime.status == "ok"):
        return None  # torch imports: whatever the tables say, this Python runs it
    series = "{}.{}".format(*_minor(py.version))
    supported = sorted({p for r in k.releases for p in (*r.pythons, *r.python_limited)}, key=_minor)
    if not supported or series in supported:
        return None
    if _minor(series) < _minor(supported[0]):
        last = k.python_too_old.get(series)
        stay = (f" To stay on Python {series}: torch {last} was the last release with wheels for it "
                f"(old and unsupported).") if last else ""
        from torchdoctor.knowledge import python_life

        life = python_life(series)
        if life is not None and life.ended():
            stay = f" Python {series} reached its end of life on {_when(life.end_of_life)}." + stay
        recommended = k.recommended_python()
        return error(f"Python {py.version} is older than every PyTorch release this doctor knows supports "
                     f"(the oldest needs Python {supported[0]}).{stay}",
                     Fix(f"Install Python {recommended} (torch {k.releases[0].version} supports it) and recreate "
                         "the environment."))
    return warning(f"No PyTorch release known to this doctor (tables as of {k.as_of}) publishes wheels for Python "
                   f"{series}; the newest supported is Python {supported[-1]}.",
                   Fix(f"Use Python {supported[-1]} for PyTorch, or check https://pytorch.org for a newer release."))


def _when(date: str | None) -> str:
    """"2021-12-23" stays; "2026-10" -> "October 2026"."""
    import calendar

    if not date or len(date) != 7:
        return date or ""
    return f"{calendar.month_name[int(date[5:])]} {date[:4]}"


@check("python.end_of_life", areas.PYTHON, "Python still gets fixes and new torch releases", needs=("python",))
def python_end_of_life(f: Any, k: Any) -> Any:
    from torchdoctor.knowledge import python_life

    py = f.python
    life = python_life(py.version)
    if life is None or k is None or not life.ended() or py.implementation not in ("cpython", None):
        return None
    if python_unsupported(f, k) is not None:
        return None  # no torch installs at all: python.unsupported says it (with these dates)
    os_name = f.platform.os if f.platform is not None else ""
    last = life.last_torch.get(os_name) or (max(life.last_torch.values(), key=_minor) if life.last_torch else None)
    newest = k.releases[0]
    ended = (f"reached its {'planned ' if life.planned else ''}end of life {'in' if len(life.end_of_life) == 7 else 'on'} "
             f"{_when(life.end_of_life)} (no more security fixes)")
    if last and base_version(last) != newest.versions[-1]:
        released = f" ({_when(life.last_torch_released)})" if life.last_torch_released else ""
        tail = (f", and torch {last}{released} was the last PyTorch release with wheels for Python {life.series}: "
                f"no newer torch will install here; current torch {newest.versions[-1]} needs Python "
                f"{newest.pythons[0]} or newer.")
    else:
        tail = "; PyTorch will stop publishing wheels for it."
    return warning(f"Python {py.version} {ended}{tail}", _new_python_fix(f, k))


def _new_python_fix(f: Any, k: Any) -> Fix:
    """How to get a current Python, and the torch this machine gets with it (the planner's command)."""
    from dataclasses import replace

    from torchdoctor.checks.base import plan_command

    rec = k.recommended_python()
    fresh = f.with_(python=replace(f.python, version=f"{rec}.0"), runtime=None, distributions=None, extra={})
    command, torch = plan_command(fresh, k, fmt="uv")  # a uv venv has no pip of its own
    windows = f.platform is not None and f.platform.os == "windows"
    get = ("the python.org installer (https://www.python.org/downloads/windows/), " if windows else "") + \
        f"`uv python install {rec}`, `pyenv install {rec}` or `conda create -n torch python={rec}`"
    gives = (f"; with Python {rec} this machine gets torch {torch}" if torch
             else f"; then ask `torchdoctor suggest --python-version {rec}` for the torch command")
    activate = ".venv\\Scripts\\activate" if windows else ". .venv/bin/activate"
    commands = (f"uv python install {rec}", f"uv venv --python {rec} .venv", activate) + ((command,) if command else ())
    return Fix(f"Install a current Python ({get}), make a new environment with it and install torch there{gives}.",
               commands)


@check("torch.not_installed", areas.PYTORCH, "torch is installed", needs=())
def not_installed(f: Any, k: Any) -> Any:
    found = dists(f, "torch")
    rt = f.runtime
    if f.distributions is None and not (rt is not None and rt.status == "not_installed"):
        return skipped("needs the installed package list")
    if not found and listing_partial(f) and not (rt is not None and rt.status in ("not_installed", "ok")):
        return skipped("the pasted package list is partial: it does not show whether torch is installed")
    if found and rt is not None and rt.status == "not_installed":
        d = found[0]
        return error(f"Package metadata says torch {d.version} is installed in {d.location}, but no torch package "
                     "can be imported there: a half-removed install.",
                     Fix("Reinstall torch over the remains.",
                         (cmd(f, *pip_argv(f), "install", "--force-reinstall", "--no-deps", f"torch=={d.version.split('+')[0]}"),)))
    if found or (rt is not None and rt.status not in ("not_installed", "not_run")):
        return None
    where = f" for {f.python.executable}" if f.python is not None and f.python.executable else ""
    return error(f"torch is not installed{where}.", reinstall_fix(f, k, "Install the build that fits this machine.",
                                                                  keep_version=False))


@check("torch.shadowed", areas.PYTORCH, "no local torch.py or torch/ hides the package", needs=("shadowing",))
def shadowed(f: Any, k: Any) -> Any:
    if not f.shadowing:
        return None
    paths = ", ".join(f.shadowing)
    commands = tuple(cmd(f, "mv", p, f"{p[:-3]}_local.py") for p in f.shadowing if p.endswith("torch.py") and "/" not in p[2:])
    return error(f"{paths} comes before the installed torch on sys.path, so `import torch` loads it instead of "
                 "PyTorch ('partially initialized module', 'cannot import name', or the torch/_C message).",
                 Fix("Rename it (and delete its __pycache__), or run Python from another directory.", commands))


def _library_hint(f: Any, lib: str | None) -> tuple[str, str | None]:
    if not lib:
        return "", None
    if lib.startswith("libcuda.so"):
        wsl = f.platform is not None and f.platform.wsl
        return (f" {lib} belongs to the NVIDIA driver, not to torch: the driver is not installed or its library "
                "is not on the loader's path" + (" (on WSL it lives in /usr/lib/wsl/lib)" if wsl else "") + "."), "driver"
    for prefix, wheel in _LIB_WHEELS:
        if lib.startswith(prefix):
            have = [d for d in f.distributions or () if d.name.startswith(wheel + "-cu") or d.name == wheel]
            if have:
                d = have[0]
                return (f" {lib} comes from {d.name} {d.version} (installed in {d.location}), which the loader did "
                        "not find: a lib/lib64 split or an LD_LIBRARY_PATH pointing elsewhere."), wheel
            return (f" {lib} comes from the {wheel}-cuXX wheel, which is not installed (torch installed with "
                    "--no-deps, or by a resolver that skipped its CUDA dependencies)."), wheel
    return f" torch needs {lib}, which the loader could not find.", None


@check("torch.import_failed", areas.PYTORCH, "import torch works", needs=("runtime",))
def import_failed(f: Any, k: Any) -> Any:
    from torchdoctor.probes.torch_runtime import missing_library  # pure text helper

    rt = f.runtime
    if rt.status == "not_run":
        return skipped(f"`import torch` could not be tried: {rt.error or 'the interpreter did not start'}")
    if rt.status not in ("import_failed", "crashed", "timeout"):
        return None
    if rt.error_kind == "interpreter":
        return error(f"The Python interpreter {rt.error or 'ended before it answered'}, before `import torch` ran: "
                     "Python itself does not start (a broken sitecustomize, PYTHONHOME/PYTHONPATH, or a damaged "
                     "environment).", Fix("See what Python prints on its own, then recreate the environment.",
                                          (cmd(f, python_cmd(f), "-c", "pass"),)))
    said = f"`import torch` failed: {rt.error_type + ': ' if rt.error_type else ''}{rt.error}"
    env = f.env or {}
    kind = rt.error_kind
    if kind == "shadowed" and f.shadowing:
        return None  # torch.shadowed names the file
    if kind == "shadowed":
        return error(said + " — a local torch.py or torch/ is imported instead of PyTorch (see torch.shadowed).",
                     Fix("Rename the local file or folder, or run from another directory."))
    if kind == "missing_library":
        lib = missing_library(rt.error)
        hint, wheel = _library_hint(f, lib)
        if wheel == "driver":
            cmds = ("export LD_LIBRARY_PATH=/usr/lib/wsl/lib:$LD_LIBRARY_PATH",) if f.platform and f.platform.wsl else ()
            return error(said + "." + hint, Fix("Install the NVIDIA driver (or put its library on the path).", cmds))
        fix = reinstall_fix(f, k, "Reinstall torch with its CUDA library wheels (never with --no-deps)",
                            cpu_summary="Reinstall torch as the CPU build, which needs no CUDA libraries (no GPU "
                                        "that a CUDA build could use was found)")
        if env.get("LD_LIBRARY_PATH"):
            hint += f" LD_LIBRARY_PATH is set to {env['LD_LIBRARY_PATH']}."
        return error(said + "." + hint, fix)
    if kind == "undefined_symbol":
        causes = []
        if len(dists(f, "torch")) > 1:
            causes.append("more than one torch is installed (see torch.multiple_installs)")
        if env.get("LD_LIBRARY_PATH"):
            causes.append(f"LD_LIBRARY_PATH ({env['LD_LIBRARY_PATH']}) puts other CUDA/MKL libraries first")
        if "iJIT_NotifyEvent" in (rt.error or ""):
            causes.append("conda's mkl is newer than this torch was built with")
        cause = "; ".join(causes) or "a library of another version than torch was built with was loaded"
        cause += _symbol_library(f, rt.error or "")
        commands: list = []
        if env.get("LD_LIBRARY_PATH"):
            commands.append(cmd(f, "env", "-u", "LD_LIBRARY_PATH", python_cmd(f), "-c", "import torch"))
        if "iJIT_NotifyEvent" in (rt.error or ""):
            commands.append(cmd(f, "conda", "install", "mkl<2024.1"))
        fix = reinstall_fix(f, k, "Remove the foreign libraries from the path, or uninstall every torch and "
                                  "install one build")
        return error(f"{said}. An undefined symbol means {cause}.",
                     Fix(fix.summary, tuple(commands) + fix.commands))
    if kind == "dll_load" and "fbgemm.dll" in (rt.error or "").lower() and \
            base_version(torch_version(f)) == "2.4.0":
        # torch 2.4.0's Windows wheels need libomp140.x86_64.dll and do not ship it (fixed in 2.4.1,
        # pytorch/pytorch#131662); the VC++ redistributable alone does not bring it back.
        fix = reinstall_fix(f, k, "Upgrade torch to 2.4.1 or newer (its wheels no longer need libomp140)",
                            keep_version=False)
        return error(f"{said}. torch 2.4.0's Windows wheels load fbgemm.dll, which needs libomp140.x86_64.dll: "
                     "a DLL the wheel does not ship and a plain Windows lacks (fixed in torch 2.4.1).", fix)
    if kind in ("dll_load", "dll_init"):
        what = ("a DLL that torch needs could not be found" if kind == "dll_load"
                else "a DLL's initialisation routine failed")
        return error(f"{said}. On Windows this means {what}: usually the Microsoft Visual C++ Redistributable is "
                     "missing or old" + (" (or a GUI toolkit such as PyQt was imported before torch)"
                                         if kind == "dll_init" else "") + ".",
                     Fix(f"Install the latest Microsoft Visual C++ Redistributable (x64) from {VC_REDIST_URL}, then "
                         "open a new terminal.", ("winget install Microsoft.VCRedist.2015+.x64",)))
    if kind == "c_extensions":
        return error(said + ". Python found a torch folder without its compiled extensions: a PyTorch source "
                     "checkout in the working directory, or a broken wheel.",
                     reinstall_fix(f, k, "Run from outside the source tree, or reinstall torch"))
    if rt.status == "timeout":
        return error(f"`import torch` {rt.error or 'did not finish in time'}: a stuck file system, a very slow "
                     "disk, or a hang while loading libraries.",
                     Fix("See where it stops, or allow more time.",
                         (cmd(f, python_cmd(f), "-X", "importtime", "-c", "import torch"), "torchdoctor check --timeout 300")))
    if rt.status == "crashed":
        fix = reinstall_fix(f, k, "See where it crashes, then reinstall the build for this machine")
        return error(f"`import torch` {rt.error}: a native library crashed the interpreter (a wheel for another "
                     "CPU or platform, or conflicting libraries).",
                     Fix(fix.summary, (cmd(f, python_cmd(f), "-X", "faulthandler", "-c", "import torch"),) + fix.commands))
    return error(said + ".", reinstall_fix(f, k, "Reinstall the build that fits this machine"))


@check("torch.multiple_installs", areas.PYTORCH, "exactly one torch is installed", needs=("distributions",))
def multiple_installs(f: Any, k: Any) -> Any:
    torches = dists(f, "torch")
    rt = f.runtime
    if len(torches) <= 1:
        if torches and rt is not None and rt.status == "ok" and rt.version and not same_build(rt.version,
                                                                                             torches[0].version):
            return error(f"`import torch` loads {rt.version} from {rt.file}, but the installed metadata says "
                         f"{torches[0].version} ({torches[0].location}): files of two versions are mixed.",
                         reinstall_fix(f, k, "Uninstall torch completely, then install one build"))
        others = [n for n in ("torchvision", "torchaudio", "numpy", "triton") if len(dists(f, n)) > 1]
        if not others:
            return None
        listed = "; ".join(_listing(dists(f, n)) for n in others)
        return warning(f"More than one copy of {', '.join(others)} is installed: {listed}.",
                       Fix("Uninstall the extra copies.", tuple(cmd(f, *pip_argv(f), "uninstall", "-y", n) for n in others)))
    same_place = len({d.location for d in torches}) < len(torches)
    conda = any(d.installer == "conda" for d in torches)
    pip_side = any(d.installer != "conda" for d in torches)
    kind = ("pip and conda side by side" if conda and pip_side
            else "stale metadata in the same folder" if same_place else "in several places")
    fix = reinstall_fix(f, k, "Uninstall every copy, then install one build with one installer")
    # one uninstall per pip copy; the planner's fix (when it has a command) adds the last one before installing
    commands: list = [cmd(f, *pip_argv(f), "uninstall", "-y", "torch") for d in torches if d.installer != "conda"][1 if fix.commands else 0:]
    if conda:
        commands.append("conda remove --force pytorch")
    broken = rt is not None and rt.status != "ok"
    finding = error if (same_place or conda or broken) else warning
    return finding(f"{len(torches)} torch installs ({kind}): {_listing(torches)}.",
                   Fix(fix.summary, tuple(commands) + fix.commands))


def _symbol_library(f: Any, error: str) -> str:
    """" (the symbol is NCCL's; nvidia-nccl-cu12 2.21.5 is installed)" -- the library to look at."""
    import re

    symbol = error.split("undefined symbol:", 1)[-1] if "undefined symbol:" in error else error
    for pattern, name, wheel in _SYMBOL_LIBS:
        if re.search(pattern, symbol):
            have = [d for d in f.distributions or () if wheel and d.name.startswith(wheel + "-cu")]
            there = f"; {have[0].name} {have[0].version} is installed" if have else ""
            return f" (the missing symbol is {name}'s: another {name} than torch's was loaded{there})"
    return ""


def same_build(imported: str, metadata: str) -> bool:
    """Whether `torch.__version__` and the installed metadata name one build.

    PyPI's CUDA wheels say 2.11.0 in their metadata while __version__ says 2.11.0+cu130, so a
    local tag on one side only is the same install; a different public version, or two
    different local tags, is a real mix.
    """
    if base_version(imported) != base_version(metadata):
        return False
    a, b = local_tag(imported), local_tag(metadata)
    return a is None or b is None or a == b


def _listing(found: Any) -> str:
    return ", ".join(f"{d.name} {d.version} ({', '.join(x for x in (d.installer or 'unknown installer', d.location) if x)})"
                     for d in found)


_ARCH_WORDS = {"x86_64": ("x86_64", "amd64"), "aarch64": ("aarch64", "arm64"), "arm64": ("arm64", "aarch64"),
               "x86": ("win32", "i686", "i386")}
_OS_WORDS = {"linux": ("linux",), "windows": ("win",), "macos": ("macosx",)}


@check("torch.wheel_mismatch", areas.PYTORCH, "the torch wheel fits this interpreter",
       needs=("distributions", "python", "platform"))
def wheel_mismatch(f: Any, k: Any) -> Any:
    torches = [d for d in dists(f, "torch") if d.wheel_tags]
    if not torches:
        return None
    d = torches[0]
    py = f.python
    maj, mnr = _minor(py.version)
    want_py = f"cp{maj}{mnr}"
    want_abi = want_py + ("t" if py.free_threaded else "")
    arch_ok = _ARCH_WORDS.get(f.platform.arch, (f.platform.arch,))
    os_ok = _OS_WORDS.get(f.platform.os, (f.platform.os,))
    for tag in d.wheel_tags:
        parts = tag.split("-")
        if len(parts) != 3:
            return None  # not a tag we understand: do not guess
        pyt, abi, plat = parts
        # CPython before 3.8 tags its ABI "cp37m" (pymalloc): the same interpreter
        abis = (want_abi, "none", "abi3") + ((want_abi + "m",) if (maj, mnr) < (3, 8) else ())
        py_fits = pyt in (want_py, "py3") and abi in abis
        plat_fits = plat == "any" or (any(w in plat for w in os_ok) and plat.endswith(arch_ok + ("universal2",)))
        if py_fits and plat_fits:
            return None
    flavour = " free-threaded" if py.free_threaded else ""
    return error(f"torch {d.version} in {d.location} is a wheel for {', '.join(d.wheel_tags)}, but this is"
                 f"{flavour} CPython {py.version} on {f.platform.os}-{f.platform.arch}: it cannot load here.",
                 reinstall_fix(f, k, "Install the wheel built for this interpreter"))


@check("torch.cpu_build_with_gpu", areas.PYTORCH, "the build can use this machine's GPU", needs=())
def cpu_build_with_gpu(f: Any, k: Any) -> Any:
    from torchdoctor.checks.base import build, find_text, nvidia_gpus

    b = build(f)
    if b is None or b[0] != "cpu" or (f.platform is not None and f.platform.os == "macos"):
        return None
    version = torch_version(f)
    said = find_text(f, r"Torch not compiled with CUDA enabled")
    tag = local_tag(version)
    if said and tag and tag != "cpu":
        gpus = ", ".join(sorted({g.name or "NVIDIA GPU" for g in nvidia_gpus(f)}))
        return warning(f"The paste lists torch {version}, but the torch that ran says '{said.group(0)}': that one is "
                       f"a CPU-only build{' (on a machine with ' + gpus + ')' if gpus else ''}. Another environment "
                       "or interpreter than the one listed runs the code, or a later install replaced the CUDA "
                       "build with the CPU one.",
                       reinstall_fix(f, k, "In the environment that runs the code, install the CUDA build that fits "
                                           "this driver (`python -c \"import sys, torch; print(sys.executable, "
                                           "torch.__version__)\"` shows which one that is)"))
    if f.gpus is None:
        asked = f.origin != "live" and f.runtime is not None and f.runtime.cuda_available is False
        if said is None and asked and f.nvidia is None:
            # a paste that shows torch.cuda.is_available() False on a CPU build, and nothing of the hardware
            return warning(f"torch {version} is a CPU-only build, so torch.cuda.is_available() is False whatever "
                           "GPU the machine has; the paste does not show one.",
                           reinstall_fix(f, k, "If the machine has an NVIDIA GPU, install the CUDA build that fits "
                                               "its driver (see `nvidia-smi`)"))
        if said is None:
            return skipped("needs a GPU scan")
        # A pasted error: torch itself says it is a CPU build, and the code asked it for CUDA.
        return warning(f"torch{' ' + version if version else ''} is a CPU-only build: it says '{said.group(0)}' "
                       "where the code asks for CUDA.",
                       reinstall_fix(f, k, "If the machine has an NVIDIA GPU, install the CUDA build that fits its "
                                           "driver (see `nvidia-smi`)"))
    gpus = nvidia_gpus(f)
    amd = [g for g in f.gpus or () if g.vendor == "amd" and g.gfx]
    if gpus:
        names = ", ".join(sorted({g.name or "NVIDIA GPU" for g in gpus}))
        return warning(f"torch {version} is a CPU-only build, but this machine has {names}: "
                       "torch.cuda.is_available() is False ('Torch not compiled with CUDA enabled').",
                       reinstall_fix(f, k, "Install the CUDA build that fits this driver and GPU"))
    if amd and f.platform is not None and f.platform.os == "linux":
        names = ", ".join(sorted({f"{g.name or 'AMD GPU'} ({g.gfx})" for g in amd}))
        return warning(f"torch {version} is a CPU-only build, but this machine has {names}.",
                       reinstall_fix(f, k, "Install the ROCm build that fits this GPU"))
    return None


@check("torch.conda_cpu_variant", areas.PYTORCH, "conda installed the CUDA variant of pytorch", needs=("distributions",))
def conda_cpu_variant(f: Any, k: Any) -> Any:
    """conda's pytorch carries its variant in the build string ("py3.10_cpu_0", "cpu_generic_py310...");
    a `cpuonly` package or pytorch-mutex's "cpu" build pins the CPU one, even on a GPU machine."""
    import re

    from torchdoctor.checks.base import nvidia_gpus

    if f.platform is not None and f.platform.os == "macos":
        return None
    torch = [d for d in dists(f, "torch") if d.installer == "conda"]
    if not torch:
        return None
    d = torch[0]
    pins = [x for x in f.distributions if x.name == "cpuonly" or (x.name == "pytorch-mutex" and (x.build or "") == "cpu")]
    cpu_build = bool(re.search(r"(^|_)cpu(_|$)", d.build or "")) or (not re.search(r"cuda|cu\d", d.build or "") and pins)
    if not cpu_build:
        return None
    known_no_gpu = f.gpus is not None and not nvidia_gpus(f)
    if known_no_gpu:
        return None
    why = f"build {d.build}" if d.build else "its build string"
    pinned = f" ({', '.join(sorted({x.name for x in pins}))} pins the CPU variant)" if pins else ""
    gpus = ", ".join(sorted({g.name or "NVIDIA GPU" for g in nvidia_gpus(f)}))
    on = f" on a machine with {gpus}" if gpus else ""
    return warning(f"conda installed the CPU variant of pytorch {d.version} ({why}){pinned}{on}: "
                   "torch.cuda.is_available() is False ('Torch not compiled with CUDA enabled').",
                   reinstall_fix(f, k, "Remove the conda pytorch (and cpuonly), then install the CUDA wheel with pip "
                                       "into this environment (PyTorch publishes no conda packages after 2.5)",
                                 keep_version=False))
