"""container.* and wsl.*: what the environment around the interpreter passes through to it."""

from __future__ import annotations

import re

from torchdoctor.checks import areas
from torchdoctor.checks.registry import check
from torchdoctor.checks.views import build, device_nodes_named, driver_unreadable, has_nvidia_hardware, said
from torchdoctor.facts import Facts
from torchdoctor.findings import Finding, Fix, error, info, skipped, warning
from torchdoctor.knowledge import Knowledge
from torchdoctor.knowledge.wsl import gpu_kernel_floor


@check("container.gpu_devices", areas.ENVIRONMENT, "a container was given its GPU devices", needs=("platform",))
def container_gpu_devices(f: Facts, k: Knowledge | None) -> Finding | None:
    p = f.platform
    if not p.container:
        return None
    needs = said(f, "container_driver_too_old")
    if needs is not None:  # the image's NVIDIA_REQUIRE_CUDA is newer than the host driver's CUDA
        cuda = needs.fields.get("cuda")
        floor = k.toolkit_driver(cuda, "linux") if k is not None and cuda else None
        has = f" (this host has {f.nvidia.driver})" if f.nvidia is not None and f.nvidia.driver else ""
        return error(f"The NVIDIA container runtime refuses the image: '{needs.text}'. The image is built for CUDA "
                     f"{cuda}, newer than the host driver{has} supports, so the container does not start.",
                     Fix("Update the host's NVIDIA driver" + (f" to {floor} or newer (CUDA {cuda}'s toolkit driver; "
                         "from the tables)" if floor else "") + ", or use an image built for an older CUDA.",
                         ("nvidia-smi",)))
    toolkit = said(f, "container_no_toolkit", "container_wsl_no_adapters", "container_no_driver")
    if toolkit is not None:  # docker / nvidia-container-cli said why no GPU reached the container
        if toolkit.kind == "container_wsl_no_adapters":
            return error(f"The NVIDIA container runtime says '{toolkit.text}': WSL 2 exposes no GPU to Docker (no "
                         "NVIDIA GPU, an old Windows driver, or Docker Desktop without WSL GPU support).",
                         Fix("Update the Windows NVIDIA driver and WSL, check nvidia-smi inside WSL, then restart "
                             "Docker; without an NVIDIA GPU, drop the GPU request and run on the CPU.",
                             ("wsl --update", "nvidia-smi")))
        if toolkit.kind == "container_no_driver":
            return error(f"The NVIDIA container runtime says '{toolkit.text}': the host's NVIDIA driver is not "
                         "loaded, so no GPU can be passed into the container.",
                         Fix("Install (or load) the NVIDIA driver on the host and check nvidia-smi there.",
                             ("nvidia-smi",)))
        return error(f"Docker says '{toolkit.text}': the NVIDIA Container Toolkit is not installed or not "
                     "configured for Docker, so `--gpus` passes no GPU into the container.",
                     Fix("Install the NVIDIA Container Toolkit on the host, register its runtime and restart Docker.",
                         ("sudo nvidia-ctk runtime configure --runtime=docker", "sudo systemctl restart docker")))
    if f.device_nodes is None:
        # a report: torch's own words from inside the container
        told = said(f, "no_nvidia_driver")
        if told is None:
            return skipped("needs the live machine (the /dev device nodes)")
        return error(f"This is a {p.container} container where torch says '{told.text}': the GPU was not passed "
                     "into the container.",
                     Fix("Install the NVIDIA Container Toolkit on the host and start the container with the GPUs "
                         "(compose: a `deploy.resources.reservations.devices` entry with `capabilities: [gpu]`).",
                         ("docker run --gpus all ...", "sudo nvidia-ctk runtime configure --runtime=docker && "
                                                       "sudo systemctl restart docker")))
    b = build(f)
    env = f.env or {}
    if b is not None and b[0] == "rocm" and not device_nodes_named(f, "kfd"):
        return error(f"This is a {p.container} container with a ROCm build of torch but no /dev/kfd: the AMD GPU "
                     "was not passed in.", Fix("Start the container with the AMD devices.",
                                               ("docker run --device=/dev/kfd --device=/dev/dri --group-add video ...",)))
    if device_nodes_named(f, "nvidia") or not driver_unreadable(f):
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


# WSL 2 kernels before the floor (5.10.43.3, Microsoft's WSL GPU guide: knowledge/wsl.json) have no GPU compute


@check("wsl.gpu", areas.ENVIRONMENT, "WSL 2 exposes the GPU", needs=("platform",))
def wsl_gpu(f: Facts, k: Knowledge | None) -> Finding | None:
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
    if m and tuple(int(x or 0) for x in m.groups()) < gpu_kernel_floor().version:
        return error(f"This WSL 2 kernel ({p.kernel}) is older than {gpu_kernel_floor()}, the first with GPU compute: CUDA "
                     "finds no GPU ('Found no NVIDIA driver on your system').",
                     Fix("Update WSL's kernel from Windows, then restart WSL.", ("wsl --update", "wsl --shutdown")))
    if said(f, "libcuda_missing"):
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


@check("container.shm_small", areas.ENVIRONMENT, "a container's /dev/shm is big enough for DataLoader workers",
       needs=("platform", "toolchain"))
def container_shm_small(f: Facts, k: Knowledge | None) -> Finding | None:
    from torchdoctor.knowledge.toolchain import shm_min_mib

    size = f.toolchain.shm_mib
    if not f.platform.container or size is None or size >= shm_min_mib():
        return None
    return warning(f"This {f.platform.container} container has {size} MiB of /dev/shm: DataLoader worker processes "
                   "pass batches through it and die with 'DataLoader worker ... exited unexpectedly' or 'Bus error' "
                   "when it fills.",
                   Fix("Start the container with more shared memory (or the host's IPC namespace)",
                       ("docker run --shm-size=8g ...", "docker run --ipc=host ...")))
