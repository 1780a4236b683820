"""Which device the install targets, and the GPUs it must serve: NVIDIA first, then AMD (ROCm, Linux
x86_64 only), Intel (XPU, on PyTorch's hardware list), Apple (MPS); else the CPU build.
"""

from __future__ import annotations

from dataclasses import dataclass

from torchdoctor.facts import Gpu
from torchdoctor.findings import Finding
from torchdoctor.knowledge import Knowledge, builds
from torchdoctor.plan.machine import Machine
from torchdoctor.plan.problems import problem


@dataclass(frozen=True)
class Target:
    device: str  # cuda | rocm | xpu | mps | cpu
    gpus: tuple[Gpu, ...] = ()  # the GPUs the build must serve
    notes: tuple[str, ...] = ()
    unusable: tuple[Finding, ...] = ()  # a GPU that no build for this OS can use
    maybe_xpu: tuple[Gpu, ...] = ()  # Intel GPUs off PyTorch's XPU list: plan CPU, show the XPU command to try


def capability(gpu: Gpu, k: Knowledge) -> tuple[int, int] | None:
    if gpu.capability:
        return tuple(gpu.capability)  # type: ignore[return-value]
    return k.gpu_capability(gpu.name) if gpu.name else None


def gpu_label(gpu: Gpu, k: Knowledge) -> str:
    name = gpu.name or {"nvidia": "NVIDIA GPU", "amd": "AMD GPU", "intel": "Intel GPU"}.get(gpu.vendor, "GPU")
    if gpu.vendor == "nvidia":
        cc = capability(gpu, k)
        if cc:
            arch = k.architecture_name(cc)
            return f"{name} (sm_{cc[0]}{cc[1]}{', ' + arch if arch else ''})"
        return f"{name} (compute capability unknown)"
    if gpu.vendor == "amd" and gpu.gfx:
        return f"{name} ({gpu.gfx})"
    return name


def choose_target(m: Machine, k: Knowledge) -> Target:
    """Which device the build is for (cuda, rocm, xpu, mps, cpu) and the GPUs it must serve."""
    by = {v: tuple(g for g in m.gpus if g.vendor == v) for v in ("nvidia", "amd", "intel", "apple")}
    if m.os == "macos":
        if m.arch == "arm64":
            return Target("mps", by["apple"])
        notes = ["Intel Mac: PyTorch builds only the CPU backend for macOS x86_64"]
        if by["nvidia"] or by["amd"]:
            notes.append("there are no CUDA or ROCm builds for macOS; the GPU is not used")
        return Target("cpu", (), tuple(notes))
    if by["nvidia"]:
        notes = []
        others = by["amd"] + by["intel"]
        if others:
            labels = ", ".join(gpu_label(g, k) for g in others)
            notes.append(f"a CUDA build uses the NVIDIA GPU(s) only; {labels} will not be used by it")
        return Target("cuda", by["nvidia"], tuple(notes))
    if by["amd"]:
        if m.os == "linux" and m.arch == "x86_64":
            return Target("rocm", by["amd"])
        where = "Windows" if m.os == "windows" else f"{m.os} {m.arch}"
        return Target("cpu", (), (), (problem(
            "amd.no_rocm_on_os",
            f"{gpu_label(by['amd'][0], k)}: PyTorch's ROCm builds exist for Linux x86_64 only; on {where} no "
            "PyTorch build uses this GPU (options: Linux or WSL2 with ROCm, or the separate torch-directml "
            "package on Windows)."),))
    if by["intel"]:
        return _intel_target(m, k, by["intel"])
    if m.driver:
        return Target("cuda", (), ("an NVIDIA driver is present but no GPU was described or found: the GPU's "
                                    "architecture cannot be checked",))
    return Target("cpu")


def _intel_target(m: Machine, k: Knowledge, intel: tuple[Gpu, ...]) -> Target:
    # PyTorch's XPU hardware list (knowledge/builds.json): the OSes per Intel GPU class, x86_64 only.
    xpu_os = builds.xpu_os()
    listed = [g for g in intel if g.kind in xpu_os]
    usable = [g for g in listed if m.os in xpu_os[g.kind] and m.arch == "x86_64"]
    if usable:
        notes = []
        if any("flex" in (g.name or "").lower() for g in usable):
            notes.append("PyTorch validates its XPU build on the Data Center GPU Max Series; the Flex Series is "
                         "not on that list (Intel's drivers support it; PyTorch does not promise it)")
        return Target("xpu", tuple(usable), tuple(notes))
    if listed:
        g = listed[0]
        where = "Linux x86_64 only" if g.kind == "datacenter" else "Linux and Windows x86_64 only"
        return Target("cpu", (), (), (problem(
            "intel.no_xpu_on_os", f"{gpu_label(g, k)}: PyTorch's XPU builds support this GPU on {where}; no "
            f"PyTorch build uses it on {m.os} {m.arch}."),))
    # integrated (older than Core Ultra?) or discrete (DG1, or an id these tables do not know)
    kinds = {g.kind for g in intel}
    what = ("an Intel discrete GPU that is not on PyTorch's XPU list (DG1 / Iris Xe MAX, or a model these "
            "tables do not know)" if "discrete" in kinds else "Intel integrated graphics")
    note = (f"{what}: the XPU build supports Arc A/B-series and Core Ultra (Meteor Lake or newer) graphics "
            "only, so this plan is the CPU build")
    if m.os in ("linux", "windows") and m.arch == "x86_64":
        return Target("cpu", (), (note,), maybe_xpu=intel)
    return Target("cpu", (), (note,))


def jetson_problem(m: Machine, k: Knowledge, target: Target) -> Finding | None:
    """A Jetson (L4T) board: the SBSA aarch64 CUDA wheels do not run there."""
    if m.key != "linux-aarch64" or target.device != "cuda":
        return None
    boards = builds.jetson()
    for gpu in target.gpus:
        cc = capability(gpu, k)
        name = (gpu.name or "").lower()
        if cc in boards.capabilities or any(w in name for w in boards.name_words):
            if cc in boards.sbsa_capabilities:
                continue  # Thor runs the SBSA wheels (cu130 has sm_110)
            return problem("gpu.jetson", f"{gpu_label(gpu, k)} is a Jetson board: the aarch64 CUDA wheels on "
                                         "PyPI/download.pytorch.org are built for SBSA servers and do not run on "
                                         "L4T. Install the torch wheel NVIDIA builds for your JetPack version "
                                         "(NVIDIA's 'PyTorch for Jetson' / Jetson AI Lab pip index).")
    return None

