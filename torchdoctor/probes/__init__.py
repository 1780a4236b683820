"""Gather the machine: platform, Python, NVIDIA driver, GPUs, PCI display devices.

`gather_machine()` never raises and never hangs: the slow sources (NVML, nvidia-smi, the
ROCm tools) run in daemon threads, and whatever has not answered by the deadline is
recorded as "did not answer" and left behind (a thread stuck in a driver call must not
keep the doctor alive; daemon threads do not block interpreter exit). Every probe leaves a
ProbeNote (ok, seconds, detail) so `-v` and bug reports can say what was tried.
"""

from __future__ import annotations

import shutil
import threading
import time
from dataclasses import fields, replace
from pathlib import Path
from typing import Any, Callable

from torchdoctor import runner
from torchdoctor.facts import Facts, Gpu, NvidiaFacts, PciDevice, PlatformFacts, ProbeNote, PythonFacts

__all__ = ["gather_machine", "merge_gpus"]


class _Task:
    """A probe running in a daemon thread; `result(deadline)` waits at most until the deadline."""

    def __init__(self, name: str, fn: Callable[[], Any]) -> None:
        self.name = name
        self.value: Any = None
        self.error: BaseException | None = None
        self.started = time.monotonic()
        self.seconds = 0.0
        self._thread = threading.Thread(target=self._run, args=(fn,), name=f"probe-{name}", daemon=True)
        self._thread.start()

    def _run(self, fn: Callable[[], Any]) -> None:
        try:
            self.value = fn()
        except BaseException as exc:  # a probe bug must become a fact, not a crash
            self.error = exc
        finally:
            self.seconds = round(time.monotonic() - self.started, 4)

    def wait(self, deadline: float) -> bool:
        self._thread.join(max(0.0, deadline - time.monotonic()))
        return not self._thread.is_alive()


def _guarded(name: str, notes: list[ProbeNote], fn: Callable[[], Any], default: Any = None) -> Any:
    start = time.monotonic()
    try:
        return fn()
    except Exception as exc:
        notes.append(ProbeNote(name, False, round(time.monotonic() - start, 4), f"crashed: {type(exc).__name__}: {exc}"))
        return default


def gather_machine(
    timeout: float = 5.0,
    *,
    root: Path = Path("/"),
    run: Callable[..., runner.RunResult] = runner.run,
    nvml: Any = None,
    which: Callable[[str], "str | None"] = shutil.which,
    platform_overrides: dict[str, Any] | None = None,
    windows_adapters: Callable[[], Any] | None = None,
) -> Facts:
    """The machine's facts. `timeout` is the deadline for the slow probes together (they run
    concurrently). The keyword arguments exist for tests: a fake filesystem root, a scripted
    runner, a fake pynvml module, a fake `which`, fixed platform values, a fake registry."""
    # Only what this OS needs is imported (import time is part of `suggest`'s budget).
    from torchdoctor.probes import nvidia, pci
    from torchdoctor.probes._util import under
    from torchdoctor.probes.platform import probe_platform, sysctl
    from torchdoctor.probes.python_env import probe_python

    deadline = time.monotonic() + timeout
    notes: list[ProbeNote] = []
    overrides = dict(platform_overrides or {})
    get_sysctl = overrides.pop("get_sysctl", sysctl)

    plat = _guarded("platform", notes, lambda: probe_platform(root, run=run, get_sysctl=get_sysctl, **overrides))
    platform_facts: PlatformFacts | None = plat[0] if plat else None
    if plat:
        notes.append(plat[1])
    py = _guarded("python", notes, lambda: probe_python(which=which))
    python_facts: PythonFacts | None = py[0] if py else None
    if py:
        notes.append(py[1])
    os_name = platform_facts.os if platform_facts else "unknown"
    wsl = bool(platform_facts and platform_facts.wsl)

    # The slow one starts first, so it overlaps with the cheap sysfs reads below.
    nvidia_task = _Task("nvidia", lambda: nvidia.probe_nvidia(
        os_name, wsl=wsl, root=root, run=run, timeout=max(0.1, deadline - time.monotonic()), nvml=nvml, which=which))

    pci_devices: tuple[PciDevice, ...] | None = None
    found: list[Gpu] = []
    if os_name == "linux":
        t = time.monotonic()
        pci_devices = _guarded("pci", notes, lambda: pci.scan_pci(root))
        if pci_devices is not None:
            notes.append(ProbeNote("pci", True, round(time.monotonic() - t, 4), f"{len(pci_devices)} display device(s)"))
            found.extend(pci.gpus_from_pci(pci_devices))
        elif not any(n.name == "pci" for n in notes):
            notes.append(ProbeNote("pci", False, round(time.monotonic() - t, 4), "no /sys/bus/pci/devices"))

    if os_name == "windows":
        from torchdoctor.probes import windows

        t = time.monotonic()
        adapters = _guarded("registry", notes, windows_adapters or windows.read_registry_adapters)
        if adapters is not None:
            listed = windows.gpus_from_adapters(adapters)
            found.extend(listed)
            notes.append(ProbeNote("registry", True, round(time.monotonic() - t, 4), f"{len(listed)} GPU adapter(s)"))

    amd_agents: tuple = ()
    wants_amd = os_name == "linux" and (any(g.vendor == "amd" for g in found) or under(root, "/sys/class/kfd").exists())
    if wants_amd:
        from torchdoctor.probes import amd

        t = time.monotonic()
        kfd = _guarded("kfd", notes, lambda: amd.read_kfd(root))
        if kfd is not None:
            amd_agents = kfd
            notes.append(ProbeNote("kfd", True, round(time.monotonic() - t, 4), f"{len(kfd)} GPU node(s)"))
    rocm_task = None
    amd_without_gfx = [g for g in found if g.vendor == "amd"] and not amd_agents
    if wants_amd and amd_without_gfx:
        rocm_task = _Task("rocm-tools", lambda: amd.read_rocm_tools(
            run, max(0.1, deadline - time.monotonic()), which))

    if os_name == "macos" and platform_facts is not None:
        from torchdoctor.probes import apple

        gpu = _guarded("apple-gpu", notes, lambda: apple.apple_gpu(get_sysctl))
        if gpu is not None:
            found.append(gpu)
            notes.append(ProbeNote("apple-gpu", True, 0.0, gpu.name or "Apple Silicon"))

    # NVIDIA: wait for the thread until the deadline, then move on without it.
    nvidia_facts: NvidiaFacts | None
    if nvidia_task.wait(deadline) and nvidia_task.error is None and nvidia_task.value is not None:
        result = nvidia_task.value
        nvidia_facts = result.facts
        notes.extend(result.notes)
        nvidia_gpus = result.gpus
    else:
        why = (f"crashed: {type(nvidia_task.error).__name__}: {nvidia_task.error}" if nvidia_task.error
               else f"did not answer within {timeout:.1f} s")
        notes.append(ProbeNote("nvidia", False, round(time.monotonic() - nvidia_task.started, 4), why))
        kernel = _guarded("nvidia-kernel", notes, lambda: nvidia.read_kernel_files(root)) if os_name == "linux" else None
        nvidia_facts = NvidiaFacts(
            driver=kernel.module_version if kernel else None,
            source="sysfs" if kernel and kernel.module_version else None,
            kernel_module=kernel.module_version if kernel else None,
            errors=(f"nvidia probe {why}",),
        )
        nvidia_gpus = ()
    if os_name == "macos":
        nvidia_facts = None  # not applicable: no NVIDIA driver exists for current macOS
    found = merge_gpus(found, nvidia_gpus)
    if any(g.source == "nvml" for g in nvidia_gpus):
        # NVML lists every NVIDIA GPU; a registry entry it did not claim is a stale adapter key
        found = [g for g in found if not (g.vendor == "nvidia" and g.source == "registry")]
    if platform_facts is not None and platform_facts.jetson and not any(g.vendor == "nvidia" for g in found):
        found.append(nvidia.jetson_gpu(root))

    if rocm_task is not None:
        if rocm_task.wait(deadline) and rocm_task.error is None:
            agents, errors = rocm_task.value
            amd_agents = agents
            notes.append(ProbeNote("rocm-tools", bool(agents), rocm_task.seconds, "; ".join(errors)))
        else:
            notes.append(ProbeNote("rocm-tools", False, rocm_task.seconds,
                                   f"crashed: {rocm_task.error}" if rocm_task.error else f"did not answer within {timeout:.1f} s"))
    found = _attach_amd(found, amd_agents)

    # A GPU no driver named (no driver loaded, nouveau, an Intel/AMD GPU NVML does not see): its pci.ids
    # name from the bundled table ("GA106M [GeForce RTX 3060 Mobile / Max-Q]"; the chip decides the cc).
    unnamed = {g.pci_id for g in found if g.name is None and g.pci_id}
    if unnamed:
        names = _guarded("pci-names", notes, lambda: pci.pci_names(unnamed, root), {}) or {}
        found = [replace(g, name=names.get(g.pci_id or "")) if g.name is None else g for g in found]

    scanned = pci_devices is not None or os_name == "macos" or bool(found) or any(
        n.name == "registry" and n.ok for n in notes)
    return Facts(
        platform=platform_facts,
        python=python_facts,
        nvidia=nvidia_facts,
        gpus=tuple(found) if scanned else None,
        pci=pci_devices,
        probes=tuple(notes),
    )


def merge_gpus(base: list[Gpu] | tuple[Gpu, ...], better: tuple[Gpu, ...] | list[Gpu]) -> list[Gpu]:
    """Enrich base entries (PCI scan, Windows registry) with a better source's entry for the same
    bus id (or, for registry entries, which have none, the same PCI ids); entries without a
    match are appended. The better source wins on every field it knows."""
    merged = list(base)
    by_bus = {}  # bus id -> index: linear, whatever the number of GPUs
    for i, g in enumerate(merged):
        if g.pci_bus_id:
            by_bus.setdefault(g.pci_bus_id, i)
    for gpu in better:
        index = by_bus.get(gpu.pci_bus_id) if gpu.pci_bus_id else None
        if index is None and gpu.pci_id:  # Windows' registry has ids but no bus address
            index = next((i for i, g in enumerate(merged) if g.pci_bus_id is None and g.pci_id == gpu.pci_id
                          and g.source == "registry"), None)
        if index is None:
            merged.append(gpu)
            if gpu.pci_bus_id:
                by_bus.setdefault(gpu.pci_bus_id, len(merged) - 1)
            continue
        old = merged[index]
        changes = {f.name: getattr(gpu, f.name) for f in fields(Gpu)
                   if getattr(gpu, f.name) not in (None, "") and f.name != "vendor"}
        merged[index] = replace(old, **changes)
    return merged


def _attach_amd(gpus: list[Gpu], agents: tuple) -> list[Gpu]:
    """Give AMD GPUs their gfx target: by bus id (KFD knows it), else in order (ROCm tools)."""
    if not agents:
        return gpus
    out = list(gpus)
    pending = []
    for agent in agents:
        index = next((i for i, g in enumerate(out) if g.vendor == "amd" and agent.pci_bus_id
                      and g.pci_bus_id == agent.pci_bus_id), None)
        if index is None:
            pending.append(agent)
        else:
            out[index] = replace(out[index], gfx=agent.gfx, name=out[index].name or agent.name, source="kfd")
    for agent in pending:
        index = next((i for i, g in enumerate(out) if g.vendor == "amd" and g.gfx is None), None)
        source = "kfd" if agent.pci_bus_id else "rocminfo"
        if index is None:
            out.append(Gpu(vendor="amd", name=agent.name, gfx=agent.gfx, pci_bus_id=agent.pci_bus_id,
                           pci_id=agent.pci_id, source=source))
        else:
            out[index] = replace(out[index], gfx=agent.gfx, name=out[index].name or agent.name, source=source)
    return out
