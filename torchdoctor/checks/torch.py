"""torch.*: the torch install itself — installed, importable, one copy, the right wheel and the right build
for the GPU this machine really has (the beginner's classic: a CUDA build on a laptop with an Intel GPU).
"""

from __future__ import annotations

import re


from torchdoctor.checks import areas
from torchdoctor.checks.fixes import cmd, cpu_fix, pip_argv, python_cmd, reinstall_fix
from torchdoctor.checks.registry import check
from torchdoctor.checks.views import (base_version, build, build_description, dists, said, hardware_scanned,
                                      listing, listing_partial, local_tag, messages, minor, no_nvidia_gpu, nvidia_gpus,
                                      other_gpus, platform_key, same_build, torch_version)
from torchdoctor.facts import Facts
from torchdoctor.findings import Finding, Fix, error, skipped, warning
from torchdoctor.knowledge import Knowledge
from torchdoctor.knowledge.libraries import library_of_symbol, wheel_for_library
from torchdoctor.knowledge.windows import vc_redist
from torchdoctor.knowledge.platforms import wheel_arch_endings, wheel_os_words

@check("torch.not_installed", areas.PYTORCH, "torch is installed", needs=())
def not_installed(f: Facts, k: Knowledge | None) -> Finding | None:
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
def shadowed(f: Facts, k: Knowledge | None) -> Finding | None:
    if not f.shadowing:
        return None
    paths = ", ".join(f.shadowing)
    commands = tuple(cmd(f, "mv", p, f"{p[:-3]}_local.py") for p in f.shadowing if p.endswith("torch.py") and "/" not in p[2:])
    return error(f"{paths} comes before the installed torch on sys.path, so `import torch` loads it instead of "
                 "PyTorch ('partially initialized module', 'cannot import name', or the torch/_C message).",
                 Fix("Rename it (and delete its __pycache__), or run Python from another directory.", commands))


def _library_hint(f: Facts, lib: str | None) -> tuple[str, str | None]:
    if not lib:
        return "", None
    if lib.startswith("libcuda.so"):
        wsl = f.platform is not None and f.platform.wsl
        return (f" {lib} belongs to the NVIDIA driver, not to torch: the driver is not installed or its library "
                "is not on the loader's path" + (" (on WSL it lives in /usr/lib/wsl/lib)" if wsl else "") + "."), "driver"
    wheel = wheel_for_library(lib)  # knowledge/libraries.json
    if wheel is not None:
        have = [d for d in f.distributions or () if d.name.startswith(wheel + "-cu") or d.name == wheel]
        if have:
            d = have[0]
            return (f" {lib} comes from {d.name} {d.version} (installed in {d.location}), which the loader did "
                    "not find: a lib/lib64 split or an LD_LIBRARY_PATH pointing elsewhere."), wheel
        return (f" {lib} comes from the {wheel}-cuXX wheel, which is not installed (torch installed with "
                "--no-deps, or by a resolver that skipped its CUDA dependencies)."), wheel
    return f" torch needs {lib}, which the loader could not find.", None


@check("torch.import_failed", areas.PYTORCH, "import torch works", needs=("runtime",))
def import_failed(f: Facts, k: Knowledge | None) -> Finding | None:
    from torchdoctor.knowledge.import_errors import missing_library

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
                     Fix(f"Install the latest Microsoft Visual C++ Redistributable (x64) from {vc_redist().url}, then "
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
def multiple_installs(f: Facts, k: Knowledge | None) -> Finding | None:
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
        listed = "; ".join(listing(dists(f, n)) for n in others)
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
    return finding(f"{len(torches)} torch installs ({kind}): {listing(torches)}.",
                   Fix(fix.summary, tuple(commands) + fix.commands))


def _symbol_library(f: Facts, error: str) -> str:
    """" (the symbol is NCCL's; nvidia-nccl-cu12 2.21.5 is installed)" -- the library to look at."""
    symbol = error.split("undefined symbol:", 1)[-1] if "undefined symbol:" in error else error
    lib = library_of_symbol(symbol)  # knowledge/libraries.json
    if lib is None:
        return ""
    name, wheel = lib.library, lib.wheel
    have = [d for d in f.distributions or () if wheel and d.name.startswith(wheel + "-cu")]
    there = f"; {have[0].name} {have[0].version} is installed" if have else ""
    return f" (the missing symbol is {name}'s: another {name} than torch's was loaded{there})"


@check("torch.wheel_mismatch", areas.PYTORCH, "the torch wheel fits this interpreter",
       needs=("distributions", "python", "platform"))
def wheel_mismatch(f: Facts, k: Knowledge | None) -> Finding | None:
    torches = [d for d in dists(f, "torch") if d.wheel_tags]
    if not torches:
        return None
    d = torches[0]
    py = f.python
    maj, mnr = minor(py.version)
    want_py = f"cp{maj}{mnr}"
    want_abi = want_py + ("t" if py.free_threaded else "")
    arch_ok = wheel_arch_endings(f.platform.arch)
    os_ok = wheel_os_words(f.platform.os)
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
def cpu_build_with_gpu(f: Facts, k: Knowledge | None) -> Finding | None:
    b = build(f)
    if b is None or b[0] != "cpu" or (f.platform is not None and f.platform.os == "macos"):
        return None
    version = torch_version(f)
    told = said(f, "not_compiled", backend="cuda")
    tag = local_tag(version)
    if told and tag and tag != "cpu":
        seen = ", ".join(sorted({g.name or "NVIDIA GPU" for g in nvidia_gpus(f)}))
        return warning(f"The paste lists torch {version}, but the torch that ran says '{told.text}': that one is "
                       f"a CPU-only build{' (on a machine with ' + seen + ')' if seen else ''}. Another environment "
                       "or interpreter than the one listed runs the code, or a later install replaced the CUDA "
                       "build with the CPU one.",
                       reinstall_fix(f, k, "In the environment that runs the code, install the CUDA build that fits "
                                           "this driver (`python -c \"import sys, torch; print(sys.executable, "
                                           "torch.__version__)\"` shows which one that is)"))
    if f.gpus is None:
        asked = f.origin != "live" and f.runtime is not None and f.runtime.cuda_available is False
        if told is None and asked and f.nvidia is None:
            # a paste that shows torch.cuda.is_available() False on a CPU build, and nothing of the hardware
            return warning(f"torch {version} is a CPU-only build, so torch.cuda.is_available() is False whatever "
                           "GPU the machine has; the paste does not show one.",
                           reinstall_fix(f, k, "If the machine has an NVIDIA GPU, install the CUDA build that fits "
                                               "its driver (see `nvidia-smi`)"))
        if told is None:
            return skipped("needs a GPU scan")
        # A pasted error: torch itself says it is a CPU build, and the code asked it for CUDA.
        return warning(f"torch{' ' + version if version else ''} is a CPU-only build: it says '{told.text}' "
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
def conda_cpu_variant(f: Facts, k: Knowledge | None) -> Finding | None:
    """conda's pytorch carries its variant in the build string ("py3.10_cpu_0", "cpu_generic_py310...");
    a `cpuonly` package or pytorch-mutex's "cpu" build pins the CPU one, even on a GPU machine."""
    import re

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


@check("torch.cuda_build_without_gpu", areas.PYTORCH, "a CUDA build has an NVIDIA GPU to use", needs=())
def cuda_build_without_gpu(f: Facts, k: Knowledge | None) -> Finding | None:
    b = build(f)
    if b is None or b[0] != "cuda":
        return None
    how = no_nvidia_gpu(f)
    if how is None:
        return None
    instead = other_gpus(f, "nvidia")
    has = f"it has: {instead}" if instead not in ("none", "none listed") else (
        "it has no other GPU either" if instead == "none" else "the report lists no other GPU")
    consequence = ("CUDA runs only on NVIDIA GPUs, so torch.cuda.is_available() will always be False here and "
                   "everything runs on the CPU: the CUDA build is a multi-GB download for nothing.")
    if hardware_scanned(f):
        msg = f"{build_description(f, b)}, but this machine has no NVIDIA GPU ({how}; {has}). {consequence}"
    else:  # nobody looked at the hardware: it may be an NVIDIA GPU without its driver
        msg = (f"{build_description(f, b)}, but no NVIDIA GPU shows on this machine ({how}; {has}). If it has none: "
               f"{consequence} If it does have an NVIDIA GPU, its driver is missing: install the NVIDIA driver "
               "instead.")
    return warning(msg, cpu_fix(f, k, _fix_words(f)))


def _fix_words(f: Facts) -> str:
    kinds = {g.vendor: g for g in f.gpus or ()}
    linux = f.platform is not None and f.platform.os == "linux"
    if "amd" in kinds and linux:
        return "Install the build for this machine's AMD GPU (ROCm) instead"
    if "intel" in kinds:
        return "Install the build for this machine (CPU, or XPU where PyTorch supports this Intel GPU) instead"
    if f.platform is not None and f.platform.os == "windows":
        return "Install the CPU build instead (on Windows, PyPI's default torch)"
    return "Install the CPU build instead"


@check("torch.rocm_build_without_gpu", areas.PYTORCH, "a ROCm build has an AMD GPU to use", needs=("gpus",))
def rocm_build_without_gpu(f: Facts, k: Knowledge | None) -> Finding | None:
    b = build(f)
    if b is None or b[0] != "rocm" or any(g.vendor == "amd" for g in f.gpus):
        return None
    rt = f.runtime
    if rt is not None and rt.cuda_available:
        return None  # torch.cuda is HIP on a ROCm build: it found a GPU, whatever our scan says
    if not hardware_scanned(f) and f.origin == "live":
        return None  # nobody looked at the hardware: "no AMD GPU" would be a guess
    instead = other_gpus(f, "amd")
    where = "the PCI bus shows no AMD GPU" if f.pci is not None else "no AMD GPU is listed"
    msg = (f"{build_description(f, b)}, but this machine has no AMD GPU ({where}; it has: {instead}). ROCm runs only "
           "on AMD GPUs, so torch.cuda.is_available() will always be False here and everything runs on the CPU: "
           "the ROCm build is a multi-GB download for nothing.")
    return warning(msg, cpu_fix(f, k, "Install the build for this machine's GPU instead"))


@check("torch.no_wheel_for_platform", areas.PYTORCH, "PyTorch publishes wheels for this platform", needs=("platform",))
def no_wheel_for_platform(f: Facts, k: Knowledge | None) -> Finding | None:
    """pip or uv found no torch wheel for this machine, and the release tables say PyTorch publishes none for its
    platform: an Intel Mac (or an x86_64 Python on Apple silicon) after torch 2.2, Linux on 32-bit ARM, ..."""
    told = next((m for m in messages(f) if m.kind == "no_matching_wheel" and
                 re.match(r"torch(?![\w-])", m.fields.get("requirement") or "torch")), None)
    p = f.platform
    if told is None or k is None or not k.releases or p.os is None:
        return None
    latest = k.releases[0]
    key = platform_key(f)
    if key is None or p.arch is None:
        if p.os != "macos" or "macos-x86_64" in latest.platforms:
            return None
        last = next((r.version for r in k.releases if "macos-x86_64" in r.platforms), None)
        return error(f"{told.fields.get('tool', 'the installer')} finds no torch wheel for this Mac ('{told.text}'). "
                     f"Since torch {_after(k, last)} PyTorch publishes macOS wheels for Apple silicon (arm64) only "
                     "(from the release tables): this Python is most likely an x86_64 build (an Intel Mac, or an "
                     "x86_64 Python running under Rosetta).",
                     Fix(f"On Apple silicon use an arm64 Python; on an Intel Mac the last torch with wheels is {last}.",
                         ("python3 -c 'import platform; print(platform.machine())'",)))
    if key in latest.platforms:
        return None
    last = next((r.version for r in k.releases if key in r.platforms), None)
    since = f"torch {last} was the last release with wheels for it" if last else "no release this doctor knows has any"
    return error(f"{told.fields.get('tool', 'the installer')} finds no torch wheel here ('{told.text}'): PyTorch "
                 f"publishes no wheels for {key} (from the release tables; {since}).",
                 Fix("Use a platform PyTorch publishes wheels for (" + ", ".join(latest.platforms) + ")"
                     + (f", or pin torch {last}" if last else "") + "."))


def _after(k: Knowledge, last: str | None) -> str:
    """The release after `last` (the first without the platform)."""
    versions = [r.version for r in k.releases]
    return versions[versions.index(last) - 1] if last in versions and versions.index(last) > 0 else "2.3"
