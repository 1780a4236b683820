"""Windows display adapters from the registry (in-process `winreg`, no PowerShell/WMI start-up).

Each adapter is a subkey of the display device class; its MatchingDeviceId names the PCI
ids ("PCI\\VEN_10DE&DEV_2206&SUBSYS_...") and DriverDesc the marketing name. This is how AMD
and Intel GPUs are found on Windows, where there is no sysfs and NVML sees only NVIDIA.
"""

from __future__ import annotations

import re
from typing import Callable, Iterable

from torchdoctor.facts import Gpu
from torchdoctor.probes.pci import VENDORS, intel_kind

DISPLAY_CLASS_KEY = r"SYSTEM\CurrentControlSet\Control\Class\{4d36e968-e325-11ce-bfc1-08002be10318}"

Reader = Callable[[], "Iterable[dict[str, str]] | None"]


def parse_matching_id(text: str | None) -> tuple[str, str] | None:
    """"PCI\\VEN_10DE&DEV_2206&SUBSYS_..." -> ("10de", "2206"); non-PCI adapters (ROOT\\BasicDisplay) -> None."""
    m = re.match(r"pci\\ven_([0-9a-f]{4})&dev_([0-9a-f]{4})", (text or "").strip().lower())
    return (m.group(1), m.group(2)) if m else None


def read_registry_adapters() -> list[dict[str, str]] | None:
    """DriverDesc / MatchingDeviceId / DriverVersion of every display adapter; None off Windows."""
    try:
        import winreg  # type: ignore[import-not-found]
    except ImportError:
        return None
    adapters = []
    try:
        with winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, DISPLAY_CLASS_KEY) as cls:
            index = 0
            while True:
                try:
                    sub = winreg.EnumKey(cls, index)
                except OSError:
                    break
                index += 1
                if not sub.isdigit():  # "Properties" and "Configuration" are not adapters
                    continue
                values: dict[str, str] = {}
                try:
                    with winreg.OpenKey(cls, sub) as key:
                        for name in ("DriverDesc", "MatchingDeviceId", "DriverVersion"):
                            try:
                                values[name] = str(winreg.QueryValueEx(key, name)[0])
                            except OSError:
                                pass
                except OSError:
                    continue
                adapters.append(values)
    except OSError:
        return None
    return adapters


def gpus_from_adapters(adapters: Iterable[dict[str, str]]) -> tuple[Gpu, ...]:
    """One Gpu per NVIDIA/AMD/Intel adapter. Two identical cards are two subkeys, so entries
    are not de-duplicated here; NVML, when it answers, is the authority for NVIDIA ones."""
    from torchdoctor.knowledge.gpu_names import identify  # the name table loads only when adapters exist

    gpus = []
    for adapter in adapters:
        ids = parse_matching_id(adapter.get("MatchingDeviceId"))
        if ids is None or ids[0] not in VENDORS:
            continue
        name = (adapter.get("DriverDesc") or "").strip() or None
        vendor = VENDORS[ids[0]]
        # The driver's name tells Core Ultra "Intel(R) Arc(TM) Graphics" from older iGPUs, which the id
        # ranges cannot, and gives an AMD card's target ("AMD Radeon RX 7900 XTX" -> gfx1100).
        known = identify(name) if name and vendor in ("intel", "amd") else None
        kind = (known.kind if known and known.kind else intel_kind(ids[1], None)) if vendor == "intel" else None
        gpus.append(Gpu(vendor=vendor, name=name, pci_id=f"{ids[0]}:{ids[1]}", kind=kind,
                        gfx=known.gfx if vendor == "amd" and known else None, source="registry"))
    return tuple(gpus)
