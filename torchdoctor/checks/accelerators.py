"""Checks on the GPU side: NVIDIA driver and CUDA, ROCm, Apple MPS, containers and WSL."""

from __future__ import annotations

import re
from typing import Any

from torchdoctor.checks import areas
from torchdoctor.checks.base import (Fix, build, smi_broken, check, cmd, driver_os, error, find_text, has_nvidia_hardware, info,
                                     nvidia_gpus, platform_key, python_cmd, reinstall_fix, skipped, torch_version, variant, warning)
from torchdoctor.versions import driver_key, is_driver_version


def _driver_unreadable(f: Any) -> bool:
    return f.nvidia is None or not f.nvidia.driver or not is_driver_version(f.nvidia.driver)


@check("cuda.no_driver", areas.NVIDIA, "an NVIDIA GPU has a working driver", needs=("nvidia",))
def no_driver(f: Any, k: Any) -> Any:
    if not _driver_unreadable(f):
        return None
    if f.nvidia.cuda_driver:
        return None  # a driver answered with its CUDA version ("found version 11040"): one is loaded
    if not has_nvidia_hardware(f):
        return _smi_fails(f)
    if any("mismatch" in e.lower() for e in f.nvidia.errors):
        return None  # cuda.nvml_mismatch says it better
    if f.platform is not None and f.platform.container and f.device_nodes is not None and not _nodes(f, "nvidia"):
        return None  # the container check says it better
    bound = sorted({p.driver for p in f.pci or () if p.vendor_id.lower() == "10de" and p.driver})
    said = "; ".join(f.nvidia.errors) or "no driver answered"
    linux = f.platform is None or f.platform.os == "linux"
    hints = []
    if "nouveau" in bound:
        hints.append("the open-source nouveau driver is bound to the GPU instead")
    if linux:
        hints.append("if the driver is installed, Secure Boot may be refusing its unsigned kernel module "
                     "('Key was rejected by service'): check `mokutil --sb-state` and enrol a MOK or sign the module")
    commands = ("mokutil --sb-state", "sudo modprobe nvidia", "nvidia-smi") if linux else ("nvidia-smi",)
    return error(f"An NVIDIA GPU is present but no NVIDIA driver is loaded ({said})" +
                 (": " + "; ".join(hints) if hints else "") + ".",
                 Fix("Install (or load) the NVIDIA driver for the running kernel, then reboot.", commands))


def _smi_fails(f: Any) -> Any:
    """No GPU seen, but an installed nvidia-smi fails or hangs: the classic broken-driver state, never a ✓."""
    said = smi_broken(f)
    if said is None or any("mismatch" in e.lower() for e in f.nvidia.errors):
        return None  # not installed / cuda.nvml_mismatch says it
    hung = any(w in said for w in ("timed out", "was killed", "did not answer"))
    linux = f.platform is None or f.platform.os == "linux"
    causes = ("the kernel was updated and the driver's module was not rebuilt for it (DKMS), Secure Boot "
              "refuses the unsigned module, or a driver upgrade is half done" if linux
              else "the driver is not installed completely or a driver upgrade is half done")
    what = "hangs" if hung else "fails"
    commands = (("dkms status", "mokutil --sb-state", "sudo modprobe nvidia", "nvidia-smi") if linux
                else ("nvidia-smi",))
    return warning(f"NVIDIA driver software is installed but {what} when asked ({said}): {causes}. "
                   "No GPU can be seen (or used by torch) until the driver loads.",
                   Fix("Reinstall (or rebuild) the NVIDIA driver for the running kernel, then reboot; if this "
                       "machine has no NVIDIA GPU any more, remove the driver packages.", commands))


@check("cuda.nvml_mismatch", areas.NVIDIA, "driver libraries match the loaded kernel module", needs=("nvidia",))
def nvml_mismatch(f: Any, k: Any) -> Any:
    nv = f.nvidia
    said = next((e for e in nv.errors if "mismatch" in e.lower()), None)
    module_differs = bool(nv.kernel_module and nv.driver and nv.kernel_module != nv.driver)
    if said is None and not module_differs:
        return None
    versions = (f"the loaded kernel module is {nv.kernel_module} but the driver libraries are {nv.driver}"
                if module_differs else said)
    container = f.platform is not None and f.platform.container
    return error(f"Driver/library version mismatch: {versions}. The driver was upgraded without a reboot"
                 + (" (or a driver was installed inside this container)" if container else "") + ".",
                 Fix("Reboot (or unload and reload the nvidia kernel modules).", ("sudo reboot",)))


@check("cuda.driver_too_old", areas.CUDA, "the driver is new enough for torch's CUDA", needs=())
def driver_too_old(f: Any, k: Any) -> Any:
    b = build(f)
    if b is None or b[0] != "cuda":
        return None
    seen = find_text(f, r"found version (\d+)")
    insufficient = find_text(f, r"CUDA driver version is insufficient for CUDA runtime version")
    version = torch_version(f)
    if f.nvidia is None and not (seen or insufficient):
        return skipped("needs the NVIDIA driver probe")
    if _driver_unreadable(f) or not b[1] or k is None:
        # torch's own words decide (a pasted traceback may give no version and no driver)
        built = f"torch {version} is built for CUDA {b[1]}" if version and b[1] else \
            f"torch{' ' + version if version else ''} is a CUDA build"
        has = f" (driver {f.nvidia.driver})" if f.nvidia is not None and f.nvidia.driver else ""
        if seen:
            cuda = int(seen.group(1))
            return error(f"{built}, but the NVIDIA driver{has} only supports CUDA {cuda // 1000}.{cuda % 1000 // 10} "
                         f"('found version {seen.group(1)}').", _fix(f, k, None))
        if insufficient:
            return error(f"{built}, but torch says '{insufficient.group(0)}': the NVIDIA driver{has} is older than "
                         "this CUDA needs.", _fix(f, k, None))
        return None
    need = k.driver_floor(b[1], driver_os(f))
    if need is None or driver_key(f.nvidia.driver) >= driver_key(need):
        return None
    where = "Windows (WSL uses the Windows driver)" if f.platform and f.platform.wsl else driver_os(f).capitalize()
    return error(f"torch {version} is built for CUDA {b[1]}, which needs NVIDIA driver {need} or newer on {where}; "
                 f"this machine has {f.nvidia.driver}, so CUDA is unavailable.", _fix(f, k, need))


def _fix(f: Any, k: Any, need: str | None) -> Fix:
    fix = reinstall_fix(f, k, "Install the build this driver can run" +
                        (f", or update the NVIDIA driver to {need} or newer" if need else ", or update the driver"))
    return fix


def _arch_list(f: Any, k: Any) -> tuple[tuple[str, ...] | None, str]:
    rt = f.runtime
    if rt is not None and rt.arch_list:
        return rt.arch_list, "torch.cuda.get_arch_list()"
    version, var, key = torch_version(f), variant(f), platform_key(f)
    if k is None or not (version and var and key):
        return None, ""
    return k.arch_list(version, var, key), "the release tables"


@check("cuda.gpu_arch_unsupported", areas.CUDA, "the build has code for each GPU", needs=())
def gpu_arch_unsupported(f: Any, k: Any) -> Any:
    from torchdoctor.knowledge import gpu_runs_on

    b = build(f)
    seen = find_text(f, r"(.+?) with CUDA capability (sm_\d+) is not compatible")
    if b is None or b[0] != "cuda":
        return None
    archs, where = _arch_list(f, k)
    gpus = [(g.name, g.capability) for g in nvidia_gpus(f) if g.capability]
    if not gpus and f.runtime is not None:
        gpus = [(d.name, d.capability) for d in f.runtime.devices if d.capability]
    bad = [(n, cc) for n, cc in gpus if archs and not gpu_runs_on(cc, archs)]
    version = torch_version(f)
    if bad:
        names = ", ".join(f"{n or 'GPU'} (compute capability {cc[0]}.{cc[1]}, sm_{cc[0]}{cc[1]})" for n, cc in bad)
        return error(f"{names} is not in torch {version}'s CUDA build, which has {' '.join(archs)} (from {where}): "
                     "CUDA kernels fail with 'no kernel image is available for execution on the device'.",
                     reinstall_fix(f, k, "Install a build that contains this GPU's architecture"))
    if seen and not gpus:
        return error(f"torch says: '{seen.group(0)}' (torch {version}).",
                     reinstall_fix(f, k, "Install a build that contains this GPU's architecture"))
    # Older torch words it so when the GPU is below its minimum (catalog #5).
    too_old = find_text(f, r"Found GPU(\d+) (.+?) which is of cuda capability (\d+\.\d+)")
    if too_old and not gpus:
        return error(f"torch {version} says GPU {too_old.group(1)}, {too_old.group(2)} (compute capability "
                     f"{too_old.group(3)}), is too old for this build: CUDA kernels fail with 'no kernel image is "
                     "available for execution on the device'.",
                     Fix("Install an older torch/CUDA build that still ships this architecture, or run on the CPU."))
    return None


@check("cuda.visible_devices", areas.CUDA, "CUDA_VISIBLE_DEVICES names existing GPUs", needs=("env",))
def visible_devices(f: Any, k: Any) -> Any:
    value = f.env.get("CUDA_VISIBLE_DEVICES")
    count = len(nvidia_gpus(f))
    if value is None or (f.gpus is not None and count == 0):
        return None
    text = value.strip()
    unset = Fix("Unset it (or list GPUs that exist, e.g. CUDA_VISIBLE_DEVICES=0).", ("unset CUDA_VISIBLE_DEVICES",))
    if text == "" or text.startswith("-"):
        return warning(f"CUDA_VISIBLE_DEVICES is set to {value!r}, which hides every GPU: torch.cuda.is_available() "
                       "is False ('No CUDA GPUs are available').", unset)
    if f.gpus is None:
        return None
    items = [x.strip() for x in text.split(",")]
    indices = []
    for item in items:
        if not re.fullmatch(r"\d+", item):
            return None  # GPU-/MIG- UUIDs: we keep no UUIDs, so we cannot judge them
        indices.append(int(item))
    absent = [i for i in indices if i >= count]
    if not absent:
        return None
    listed = f"{count} NVIDIA GPUs (0-{count - 1})" if count > 1 else "1 NVIDIA GPU (0)"
    if len(absent) == len(indices) or absent[0] == indices[0]:
        # CUDA stops at the first invalid entry: nothing after it is visible either.
        return error(f"CUDA_VISIBLE_DEVICES={value} names GPU {absent[0]}, but this machine has {listed}: torch sees "
                     "no GPU at all.", unset)
    return warning(f"CUDA_VISIBLE_DEVICES={value} names GPU {', '.join(map(str, absent))}, which does not exist "
                   f"(this machine has {listed}): CUDA ignores it and every entry after it.", unset)


_INIT_CAUSES = (
    (r"Error 804|forward compatibility was attempted", "error 804: the forward-compatibility libcuda (cuda-compat) "
     "is loaded on a GPU that does not support it, or the host driver is older than the container's CUDA",
     Fix("Update the host driver, or drop the cuda-compat folder from LD_LIBRARY_PATH.",
         ("echo $LD_LIBRARY_PATH", "nvidia-smi"))),
    (r"Error 802|system not yet initialized", "error 802: on NVSwitch systems (HGX A100/H100/H200) the Fabric "
     "Manager is not running (see cuda.fabric_manager)",
     Fix("Install and start nvidia-fabricmanager for this driver branch.",
         ("sudo systemctl enable --now nvidia-fabricmanager", "systemctl status nvidia-fabricmanager"))),
    (r"Error 803|unsupported display driver / cuda driver combination", "error 803: the CUDA driver library "
     "does not match the loaded kernel module (a driver upgrade without a reboot, or a cuda-compat libcuda on "
     "LD_LIBRARY_PATH)",
     Fix("Reboot after a driver upgrade; otherwise drop the cuda-compat folder from LD_LIBRARY_PATH.",
         ("sudo reboot", "echo $LD_LIBRARY_PATH"))),
    (r"busy or unavailable", "the GPU is in an exclusive compute mode and held by another process",
     Fix("Use another GPU or stop the other process (admin: reset the compute mode).", ("nvidia-smi", "sudo nvidia-smi -c DEFAULT"))),
    (r"unknown error|Error 999", "'CUDA unknown error', typically after suspend/resume: the nvidia_uvm module "
     "lost its state",
     Fix("Reload nvidia_uvm (or reboot).", ("sudo modprobe -r nvidia_uvm", "sudo modprobe nvidia_uvm"))),
    (r"CUDA initialisation did not finish", "CUDA initialisation hangs: a stuck driver or GPU",
     Fix("Check the GPU with nvidia-smi, enable the persistence daemon; if it persists, drain and reboot the node.",
         ("nvidia-smi", "sudo systemctl enable --now nvidia-persistenced"))),
)


@check("cuda.init_failed", areas.CUDA, "CUDA initialises", needs=("runtime",))
def init_failed(f: Any, k: Any) -> Any:
    rt = f.runtime
    b = build(f)
    if rt.status != "ok" or b is None or b[0] != "cuda":
        return None
    if rt.cuda_available and not rt.cuda_init_error:
        return None
    if rt.cuda_available is None and not rt.cuda_init_error and not rt.warnings:
        return None  # a report that does not say (yolo checks, a cut paste): nothing to judge
    if f.gpus is not None and not nvidia_gpus(f) and not has_nvidia_hardware(f):
        return None  # a CUDA build on a machine without an NVIDIA GPU is simply CPU-only
    said_old = driver_too_old(f, k)
    if find_text(f, r"too old|insufficient for CUDA runtime|found version \d+") or \
            (said_old is not None and said_old.severity in ("error", "warning")):
        return None  # cuda.driver_too_old says it
    if _driver_unreadable(f) and find_text(f, r"Found no NVIDIA driver"):
        return None  # cuda.no_driver
    if f.nvidia is not None and any("mismatch" in e.lower() for e in f.nvidia.errors):
        return None  # cuda.nvml_mismatch
    cvd = (f.env or {}).get("CUDA_VISIBLE_DEVICES")
    if cvd is not None and find_text(f, r"No CUDA GPUs are available|no CUDA-capable device"):
        return None  # cuda.visible_devices
    said = rt.cuda_init_error or next((w for w in rt.warnings if "CUDA" in w), None)
    for pattern, cause, fix in _INIT_CAUSES:
        if find_text(f, pattern):
            return error(f"CUDA initialisation failed with {cause}. torch said: {said}", fix)
    if not said and not nvidia_gpus(f):
        return None
    driver = f.nvidia.driver if f.nvidia is not None and f.nvidia.driver else "unknown"
    built = f"torch {torch_version(f)} is a CUDA {b[1]} build" if torch_version(f) and b[1] else "torch is a CUDA build"
    return error(f"{built} and the driver is {driver}, but CUDA is unavailable"
                 + (f": {said}" if said else " (torch printed no reason)") + ".",
                 Fix("Run nvidia-smi; if it works, reload the driver modules or reboot.", ("nvidia-smi",)))


_NVSWITCH = re.compile(r"\b(A100|A800|H100|H800|H200|H20|B200|B300|GB200|GB300)\b.*\b(SXM|HGX)|\b(SXM|HGX)\w*\b.*\b"
                       r"(A100|H100|H200|B200)|\bDGX\b|\bH200\b|\bB200\b", re.I)


@check("cuda.fabric_manager", areas.CUDA, "the NVSwitch Fabric Manager runs", needs=("runtime",))
def fabric_manager(f: Any, k: Any) -> Any:
    """Error 802 'system not yet initialized': on NVSwitch systems CUDA waits for nvidia-fabricmanager."""
    said = find_text(f, r"Error 802\b[^\n]*|system not yet initiali[sz]ed")
    if said is None:
        return None
    gpus = [g.name for g in nvidia_gpus(f) if g.name]
    nvswitch = [n for n in gpus if _NVSWITCH.search(n)]
    where = (f" on {len(gpus)} x {nvswitch[0]}" if nvswitch else "")
    branch = f.nvidia.driver.split(".")[0] if f.nvidia is not None and f.nvidia.driver else None
    package = f"nvidia-fabricmanager-{branch}" if branch else "nvidia-fabricmanager (of the driver's branch)"
    return error(f"CUDA initialisation failed with '{said.group(0).strip()}'{where}: on NVSwitch systems (HGX/DGX "
                 "A100, H100, H200, B200) CUDA waits for the NVIDIA Fabric Manager, which is not running (or not "
                 "the driver's version).",
                 Fix(f"Install {package} (same version as the driver) and start it.",
                     ("sudo systemctl enable --now nvidia-fabricmanager", "systemctl status nvidia-fabricmanager")))


_OVERRIDES = (("gfx103", "10.3.0", "gfx1030"), ("gfx110", "11.0.0", "gfx1100"), ("gfx115", "11.0.0", "gfx1100"),
              ("gfx120", "12.0.1", "gfx1201"))


@check("rocm.gfx_unsupported", areas.ROCM, "the ROCm build has code for each AMD GPU", needs=("gpus",))
def gfx_unsupported(f: Any, k: Any) -> Any:
    b = build(f)
    amd = [g for g in f.gpus if g.vendor == "amd" and g.gfx]
    if b is None or b[0] != "rocm" or not amd:
        return None
    archs, where = _arch_list(f, k)
    said = find_text(f, r"hipErrorNoBinaryForGpu[^\n\"]*|HIP error: invalid device function|"
                        r"TensileLibrary\w*?_(gfx\w+)\.dat")
    if not archs and said:
        # a paste: ROCm itself says it has no code object for this GPU
        g = amd[0]
        current = (f.env or {}).get("HSA_OVERRIDE_GFX_VERSION")
        override = next(((v, t) for p, v, t in _OVERRIDES if g.gfx.startswith(p)), None)
        msg = (f"{g.name or 'AMD GPU'} ({g.gfx}) has no code in this ROCm build: it says '{said.group(0)}'.")
        if current:
            msg += (f" With HSA_OVERRIDE_GFX_VERSION={current} (as in the paste) it runs as "
                    f"{_override_target(current) or current}: an unofficial workaround that works for most operations.")
        fix = (Fix(f"Run it as the closest supported target ({override[1]}) — unofficial, but the usual workaround "
                   "— or use a build that contains this GPU.", (f"export HSA_OVERRIDE_GFX_VERSION={override[0]}",))
               if override else Fix("Use a ROCm build that contains this GPU (ROCm's per-gfx wheels), or run on the CPU."))
        return error(msg, fix)
    if not archs:
        return None
    bare = {a.split(":")[0] for a in archs}
    bad = [g for g in amd if g.gfx.split(":")[0] not in bare]
    if not bad:
        return None
    current = (f.env or {}).get("HSA_OVERRIDE_GFX_VERSION")
    if current and _override_target(current) in bare:
        g = bad[0]
        return info(f"{g.name or 'AMD GPU'} ({g.gfx}) is not in torch {torch_version(f)}'s ROCm build, but "
                    f"HSA_OVERRIDE_GFX_VERSION={current} runs it as {_override_target(current)}, which is: an "
                    "unofficial workaround that works for most operations.")
    g = bad[0]
    override = next(((v, t) for p, v, t in _OVERRIDES if g.gfx.startswith(p) and t in bare), None)
    msg = (f"{g.name or 'AMD GPU'} ({g.gfx}) is not in torch {torch_version(f)}'s ROCm build, which has "
           f"{' '.join(archs)} (from {where}): kernels fail with 'HIP error: invalid device function'.")
    if current:
        msg += f" HSA_OVERRIDE_GFX_VERSION is set to {current}."
    if override and not current:
        return error(msg, Fix(f"Run it as the closest supported target ({override[1]}) — unofficial, but the "
                              "usual workaround — or use a build that contains this GPU.",
                              (cmd(f, "export", f"HSA_OVERRIDE_GFX_VERSION={override[0]}"),)))
    return error(msg, Fix("Use a ROCm build that contains this GPU (ROCm's per-gfx wheels), or run on the CPU."))


def _override_target(value: str) -> str | None:
    """HSA_OVERRIDE_GFX_VERSION "10.3.0" -> "gfx1030" ("9.0.10" -> "gfx90a"): the target ROCm loads."""
    m = re.fullmatch(r"\s*(\d+)\.(\d+)\.(\d+)\s*", value or "")
    return f"gfx{int(m.group(1))}{int(m.group(2)):x}{int(m.group(3)):x}" if m else None


def _macos_version(text: str | None) -> tuple[int, ...] | None:
    """"macOS 13.7.4" -> (13, 7, 4); None when there is no version to read."""
    m = re.search(r"(\d+)(?:\.(\d+))?(?:\.(\d+))?", text or "")
    return tuple(int(x or 0) for x in m.groups()) if m else None


def _release_series(version: str | None) -> str | None:
    """"2.10.0.dev20251008" / "2.12.1+cpu" -> "2.10" / "2.12": the release whose tables apply."""
    m = re.match(r"(\d+)\.(\d+)", version or "")
    return f"{m.group(1)}.{m.group(2)}" if m else None


@check("mps.unavailable", areas.MPS, "MPS works on Apple Silicon", needs=("platform",))
def mps_unavailable(f: Any, k: Any) -> Any:
    p = f.platform
    if p.os != "macos":
        return None
    if p.rosetta or (p.arch == "x86_64" and p.machine_arch == "arm64"):
        return error("This Python is an x86_64 build running under Rosetta on Apple Silicon: MPS is unavailable and "
                     "torch gets the Intel build.",
                     Fix("Install an arm64 Python (python.org universal2, Homebrew, or Miniforge arm64), recreate "
                         "the environment, and reinstall torch.", ("python3 -c \"import platform; "
                                                                  "print(platform.machine())\"",)))
    if p.arch not in ("arm64", "aarch64"):
        return None
    rt = f.runtime
    version = torch_version(f)
    series = _release_series(version)
    rel = k.release(series) if k is not None and series else None
    need = rel.macos_min.get("macos-arm64") if rel is not None else None
    have = _macos_version(p.os_version)
    if rt is not None and rt.mps_available:
        return None  # it works, whatever the tables say
    if need and have and have < _macos_version(need):
        return error(f"torch {version} is built for macOS {need} or newer (the torch {series} wheels), but this Mac "
                     f"runs {p.os_version}: MPS (and possibly the import itself) cannot work here.",
                     reinstall_fix(f, k, f"Update macOS to {need} or newer, or install a torch release that "
                                         f"supports {p.os_version}", keep_version=False))
    # MPS has its own floor, above the wheel's: a 2.9 wheel imports on macOS 11, its MPS needs 14.
    mps = k.mps_macos_minimum(version) if k is not None and version else None
    if mps and have and have < _macos_version(mps[0]) and not (rt is not None and rt.status != "ok"):
        how = "" if mps[2] == "confirmed" else " (inferred from PyTorch's changes; the release notes do not say)"
        return error(f"torch {version}'s MPS backend needs macOS {mps[0]} or newer{how}, but this Mac runs "
                     f"{p.os_version}: torch runs here on the CPU only.",
                     reinstall_fix(f, k, f"Update macOS to {mps[0]} or newer for MPS, or install a torch release "
                                         f"whose MPS supports {p.os_version}", keep_version=False))
    said = find_text(f, r"The MPS backend is supported on mac ?OS (\d+(?:\.\d+)?)\+")
    if said and rt is not None and not rt.mps_available:
        # a paste: torch's own words, where the tables do not settle it (no version, or no floor known)
        return error(f"torch{' ' + version if version else ''} says '{said.group(0)}': MPS cannot be used on "
                     f"{p.os_version or 'this macOS'}.",
                     reinstall_fix(f, k, f"Update macOS to {said.group(1)} or newer, or install a torch release "
                                         f"whose MPS supports {p.os_version or 'this macOS'}", keep_version=False))
    if rt is None:
        return skipped("needs the torch import probe")
    if rt.status != "ok":
        return None  # torch.import_failed says why
    if rt.mps_available is None:
        also = f" and its MPS minimum (macOS {mps[0]})" if mps else ""
        floor = (f"; {p.os_version} meets the torch {series} minimum (macOS {need}){also}" if need and have
                 else f"; the tables have no macOS minimum for torch {version}" if version else "")
        return skipped(f"the report does not say whether MPS is available{floor}")
    built = "built with MPS" if rt.mps_built else "built without MPS"
    return warning(f"torch {rt.version} is {built} but MPS is unavailable on {p.os_version or 'this macOS'}.",
                   Fix(f"Check that this is an Apple Silicon Mac on macOS {mps[0] if mps else '12.3'} or newer, then "
                       "reinstall torch.",
                       (cmd(f, python_cmd(f), "-c", "import torch; print(torch.backends.mps.is_available())"),)))


def _nodes(f: Any, prefix: str) -> list[str]:
    return [n for n in f.device_nodes or () if n.rsplit("/", 1)[-1].startswith(prefix)]


@check("container.gpu_devices", areas.ENVIRONMENT, "a container was given its GPU devices", needs=("platform",))
def container_gpu_devices(f: Any, k: Any) -> Any:
    p = f.platform
    if not p.container:
        return None
    if f.device_nodes is None:
        # a report: torch's own words from inside the container
        said = find_text(f, r"Found no NVIDIA driver on your system")
        if said is None:
            return skipped("needs the live machine (the /dev device nodes)")
        return error(f"This is a {p.container} container where torch says '{said.group(0)}': the GPU was not passed "
                     "into the container.",
                     Fix("Install the NVIDIA Container Toolkit on the host and start the container with the GPUs "
                         "(compose: a `deploy.resources.reservations.devices` entry with `capabilities: [gpu]`).",
                         ("docker run --gpus all ...", "sudo nvidia-ctk runtime configure --runtime=docker && "
                                                       "sudo systemctl restart docker")))
    b = build(f)
    env = f.env or {}
    if b is not None and b[0] == "rocm" and not _nodes(f, "kfd"):
        return error(f"This is a {p.container} container with a ROCm build of torch but no /dev/kfd: the AMD GPU "
                     "was not passed in.", Fix("Start the container with the AMD devices.",
                                               ("docker run --device=/dev/kfd --device=/dev/dri --group-add video ...",)))
    if _nodes(f, "nvidia") or not _driver_unreadable(f):
        return None  # the driver answered from inside: the GPU was passed in
    expected = has_nvidia_hardware(f) or bool(env.get("NVIDIA_VISIBLE_DEVICES"))
    if not expected and not (b is not None and b[0] == "cuda"):
        return None
    if not expected and f.pci is not None:
        return None  # the PCI bus shows no NVIDIA GPU at all: torch.cuda_build_without_gpu says it, not "pass it in"
    fix = Fix("Install the NVIDIA Container Toolkit on the host and start the container with the GPUs.",
              ("docker run --gpus all ...", "sudo nvidia-ctk runtime configure --runtime=docker",
               "sudo systemctl restart docker"))
    msg = (f"This is a {p.container} container without /dev/nvidia* device nodes: no GPU was passed in, so torch "
           "reports 'Found no NVIDIA driver'.")
    return error(msg, fix) if expected else info(msg + " (Fine if this container is meant to run on the CPU.)", fix)


# WSL 2 kernels before 5.10.43.3 have no GPU compute (Microsoft's "GPU accelerated ML training in WSL" guide)
_WSL_GPU_KERNEL = (5, 10, 43, 3)


@check("wsl.gpu", areas.ENVIRONMENT, "WSL 2 exposes the GPU", needs=("platform",))
def wsl_gpu(f: Any, k: Any) -> Any:
    p = f.platform
    if not p.wsl:
        return None
    b = build(f)
    # These block any GPU use whatever torch's build (a paste often names no torch at all).
    if p.kernel and re.search(r"^4\.4\.0-\d+-Microsoft$", p.kernel):
        return error(f"This is WSL 1 (kernel {p.kernel}): WSL 1 has no GPU passthrough, so CUDA cannot reach the GPU.",
                     Fix("Convert the distribution to WSL 2 (and keep the Windows NVIDIA driver current; do not "
                         "install a Linux driver inside WSL).", ("wsl --set-version <distro> 2", "wsl --update")))
    m = re.match(r"^(\d+)\.(\d+)\.(\d+)(?:\.(\d+))?-microsoft-standard", p.kernel or "", re.I)
    if m and tuple(int(x or 0) for x in m.groups()) < _WSL_GPU_KERNEL:
        return error(f"This WSL 2 kernel ({p.kernel}) is older than 5.10.43.3, the first with GPU compute: CUDA "
                     "finds no GPU ('Found no NVIDIA driver on your system').",
                     Fix("Update WSL's kernel from Windows, then restart WSL.", ("wsl --update", "wsl --shutdown")))
    if find_text(f, r"libcuda\.so[^ ]*: cannot open|Failed to dlopen libcuda"):
        return error("On WSL the driver's libcuda lives in /usr/lib/wsl/lib, which the loader did not find.",
                     Fix("Put it on the library path.", ("export LD_LIBRARY_PATH=/usr/lib/wsl/lib:$LD_LIBRARY_PATH",)))
    if b is None or b[0] != "cuda":
        return None
    if f.device_nodes is not None and "/dev/dxg" not in f.device_nodes:
        return error("This is WSL without /dev/dxg: GPU paravirtualisation is off (WSL 1, or an old Windows/WSL), "
                     "so CUDA cannot reach the GPU.",
                     Fix("Use WSL 2 with a current WSL and the current Windows NVIDIA driver (do not install a "
                         "Linux driver inside WSL).", ("wsl --update", "wsl --set-version <distro> 2")))
    return None
