"""cuda.*: the NVIDIA driver and CUDA — a driver that answers, new enough for torch's CUDA, kernels for
each GPU, visible devices, and CUDA initialisation.
"""

from __future__ import annotations

import re
from typing import Any

from torchdoctor.checks import areas
from torchdoctor.checks.fixes import driver_fix, reinstall_fix
from torchdoctor.checks.registry import check
from torchdoctor.checks.views import (arch_list, build, device_nodes_named, driver_os, driver_unreadable, only_other_gpus, said, said_code,
                                      has_nvidia_hardware, nvidia_gpus, smi_broken, torch_version)
from torchdoctor.facts import Facts
from torchdoctor.findings import Finding, Fix, error, skipped, warning
from torchdoctor.knowledge import Knowledge
from torchdoctor.knowledge.nvswitch import is_nvswitch_system
from torchdoctor.versions import driver_key


@check("cuda.no_driver", areas.NVIDIA, "an NVIDIA GPU has a working driver", needs=("nvidia",))
def no_driver(f: Facts, k: Knowledge | None) -> Finding | None:
    if not driver_unreadable(f):
        return None
    if f.nvidia.cuda_driver:
        return None  # a driver answered with its CUDA version ("found version 11040"): one is loaded
    if not has_nvidia_hardware(f):
        return _smi_fails(f)
    if any("mismatch" in e.lower() for e in f.nvidia.errors):
        return None  # cuda.nvml_mismatch says it better
    if f.platform is not None and f.platform.container and f.device_nodes is not None and not device_nodes_named(f, "nvidia"):
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


def _smi_fails(f: Facts) -> Any:
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
def nvml_mismatch(f: Facts, k: Knowledge | None) -> Finding | None:
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
def driver_too_old(f: Facts, k: Knowledge | None) -> Finding | None:
    b = build(f)
    if b is None or b[0] != "cuda":
        return None
    seen = said(f, "driver_too_old")
    insufficient = said_code(f, 35)
    if (seen or insufficient) and driver_unreadable(f) and only_other_gpus(f):
        return None  # no NVIDIA GPU here: torch.cuda_build_without_gpu says what the message means
    version = torch_version(f)
    if f.nvidia is None and not (seen or insufficient):
        return skipped("needs the NVIDIA driver probe")
    if driver_unreadable(f) or not b[1] or k is None:
        # torch's own words decide (a pasted traceback may give no version and no driver)
        built = f"torch {version} is built for CUDA {b[1]}" if version and b[1] else \
            f"torch{' ' + version if version else ''} is a CUDA build"
        has = f" (driver {f.nvidia.driver})" if f.nvidia is not None and f.nvidia.driver else ""
        if seen:
            return error(f"{built}, but the NVIDIA driver{has} only supports CUDA {seen.fields['driver_cuda']} "
                         f"('found version {seen.fields['found']}').", driver_fix(f, k, None))
        if insufficient:
            return error(f"{built}, but torch says '{insufficient.text}': the NVIDIA driver{has} is older than "
                         "this CUDA needs.", driver_fix(f, k, None))
        return None
    need = k.driver_floor(b[1], driver_os(f))
    if need is None or driver_key(f.nvidia.driver) >= driver_key(need):
        return None
    where = "Windows (WSL uses the Windows driver)" if f.platform and f.platform.wsl else driver_os(f).capitalize()
    return error(f"torch {version} is built for CUDA {b[1]}, which needs NVIDIA driver {need} or newer on {where}; "
                 f"this machine has {f.nvidia.driver}, so CUDA is unavailable.", driver_fix(f, k, need))


@check("cuda.gpu_arch_unsupported", areas.CUDA, "the build has code for each GPU", needs=())
def gpu_arch_unsupported(f: Facts, k: Knowledge | None) -> Finding | None:
    from torchdoctor.knowledge import gpu_runs_on

    b = build(f)
    seen = said(f, "arch_unsupported")
    if b is None or b[0] != "cuda":
        return None
    archs, where = arch_list(f, k)
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
        return error(f"torch says: '{seen.text}' (torch {version}).",
                     reinstall_fix(f, k, "Install a build that contains this GPU's architecture"))
    # Older torch words it so when the GPU is below its minimum (catalog #5).
    too_old = said(f, "gpu_too_old")
    if too_old and not gpus:
        return error(f"torch {version} says GPU {too_old.fields['index']}, {too_old.fields['gpu']} (compute capability "
                     f"{too_old.fields['capability']}), is too old for this build: CUDA kernels fail with 'no kernel image is "
                     "available for execution on the device'.",
                     Fix("Install an older torch/CUDA build that still ships this architecture, or run on the CPU."))
    return None


@check("cuda.visible_devices", areas.CUDA, "CUDA_VISIBLE_DEVICES names existing GPUs", needs=("env",))
def visible_devices(f: Facts, k: Knowledge | None) -> Finding | None:
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
    ((804,), "error 804: the forward-compatibility libcuda (cuda-compat) "
     "is loaded on a GPU that does not support it, or the host driver is older than the container's CUDA",
     Fix("Update the host driver, or drop the cuda-compat folder from LD_LIBRARY_PATH.",
         ("echo $LD_LIBRARY_PATH", "nvidia-smi"))),
    ((802,), "error 802: on NVSwitch systems (HGX A100/H100/H200) the Fabric "
     "Manager is not running (see cuda.fabric_manager)",
     Fix("Install and start nvidia-fabricmanager for this driver branch.",
         ("sudo systemctl enable --now nvidia-fabricmanager", "systemctl status nvidia-fabricmanager"))),
    ((803,), "error 803: the CUDA driver library "
     "does not match the loaded kernel module (a driver upgrade without a reboot, or a cuda-compat libcuda on "
     "LD_LIBRARY_PATH)",
     Fix("Reboot after a driver upgrade; otherwise drop the cuda-compat folder from LD_LIBRARY_PATH.",
         ("sudo reboot", "echo $LD_LIBRARY_PATH"))),
    ((46,), "the GPU is in an exclusive compute mode and held by another process",
     Fix("Use another GPU or stop the other process (admin: reset the compute mode).", ("nvidia-smi", "sudo nvidia-smi -c DEFAULT"))),
    ((999,), "'CUDA unknown error', typically after suspend/resume: the nvidia_uvm module "
     "lost its state",
     Fix("Reload nvidia_uvm (or reboot).", ("sudo modprobe -r nvidia_uvm", "sudo modprobe nvidia_uvm"))),
    ((), "CUDA initialisation hangs: a stuck driver or GPU",
     Fix("Check the GPU with nvidia-smi, enable the persistence daemon; if it persists, drain and reboot the node.",
         ("nvidia-smi", "sudo systemctl enable --now nvidia-persistenced"))),
)


@check("cuda.init_failed", areas.CUDA, "CUDA initialises", needs=("runtime",))
def init_failed(f: Facts, k: Knowledge | None) -> Finding | None:
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
    if said(f, "driver_too_old", "gpu_too_old") or said_code(f, 35) or \
            (said_old is not None and said_old.severity in ("error", "warning")):
        return None  # cuda.driver_too_old says it
    if driver_unreadable(f) and said(f, "no_nvidia_driver"):
        return None  # cuda.no_driver
    if f.nvidia is not None and any("mismatch" in e.lower() for e in f.nvidia.errors):
        return None  # cuda.nvml_mismatch
    arch = gpu_arch_unsupported(f, k)
    if arch is not None and arch.severity == "error":
        return None  # cuda.gpu_arch_unsupported: no kernel image for this GPU, not a driver problem
    cvd = (f.env or {}).get("CUDA_VISIBLE_DEVICES")
    if cvd is not None and (said(f, "no_cuda_gpus") or said_code(f, 100)):
        return None  # cuda.visible_devices
    told = rt.cuda_init_error or next((w for w in rt.warnings if "CUDA" in w), None)
    for codes, cause, fix in _INIT_CAUSES:
        if said_code(f, *codes) if codes else "CUDA initialisation did not finish" in (rt.cuda_init_error or ""):
            return error(f"CUDA initialisation failed with {cause}. torch said: {told}", fix)
    if not told and not nvidia_gpus(f):
        return None
    driver = f.nvidia.driver if f.nvidia is not None and f.nvidia.driver else "unknown"
    built = f"torch {torch_version(f)} is a CUDA {b[1]} build" if torch_version(f) and b[1] else "torch is a CUDA build"
    return error(f"{built} and the driver is {driver}, but CUDA is unavailable"
                 + (f": {told}" if told else " (torch printed no reason)") + ".",
                 Fix("Run nvidia-smi; if it works, reload the driver modules or reboot.", ("nvidia-smi",)))


@check("cuda.fabric_manager", areas.CUDA, "the NVSwitch Fabric Manager runs", needs=("runtime",))
def fabric_manager(f: Facts, k: Knowledge | None) -> Finding | None:
    """Error 802 'system not yet initialized': on NVSwitch systems CUDA waits for nvidia-fabricmanager."""
    told = said_code(f, 802)
    if told is None:
        return None
    gpus = [g.name for g in nvidia_gpus(f) if g.name]
    nvswitch = [n for n in gpus if is_nvswitch_system(n)]  # knowledge/nvswitch.json
    where = (f" on {len(gpus)} x {nvswitch[0]}" if nvswitch else "")
    branch = f.nvidia.driver.split(".")[0] if f.nvidia is not None and f.nvidia.driver else None
    package = f"nvidia-fabricmanager-{branch}" if branch else "nvidia-fabricmanager (of the driver's branch)"
    return error(f"CUDA initialisation failed with '{told.text}'{where}: on NVSwitch systems (HGX/DGX "
                 "A100, H100, H200, B200) CUDA waits for the NVIDIA Fabric Manager, which is not running (or not "
                 "the driver's version).",
                 Fix(f"Install {package} (same version as the driver) and start it.",
                     ("sudo systemctl enable --now nvidia-fabricmanager", "systemctl status nvidia-fabricmanager")))
