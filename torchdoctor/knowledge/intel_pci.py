"""Intel GPU kinds by PCI device id (intel_pci.json, from the Linux kernel's pciids.h): the id ranges
of Arc, Data Center and DG1 GPUs, the iGPU's slot, and the ids PVC shares with an old Atom iGPU.

Read on first use: only an Intel GPU on the PCI bus needs it.
"""

from __future__ import annotations

import functools

from torchdoctor.knowledge import _read_cached


@functools.lru_cache(maxsize=1)
def _ranges() -> tuple[tuple[int, int, str], ...]:
    return tuple((int(r["from"], 16), int(r["to"], 16), r["kind"])
                 for r in _read_cached("intel_pci.json")["ranges"])


def kind_of_device(device: int) -> str | None:
    """0x56a0 -> "arc" (DG2), 0x0bd5 -> "datacenter" (PVC), 0x4905 -> "discrete" (DG1); None outside
    the kernel's ranges (then the pci.ids name decides)."""
    return next((kind for low, high, kind in _ranges() if low <= device <= high), None)


@functools.lru_cache(maxsize=1)
def igpu_address() -> str:
    """'0000:00:02.0': the PCI slot of Intel's integrated GPU."""
    return str(_read_cached("intel_pci.json")["igpu_address"]["address"])


@functools.lru_cache(maxsize=1)
def _shared() -> tuple[frozenset[int], str, str]:
    row = _read_cached("intel_pci.json")["shared_with_igpu"]
    return frozenset(int(i, 16) for i in row["ids"]), row["kind"], row["igpu_kind"]


def kind_of_shared_id(device: int, address: str) -> str | None:
    """An id PVC shares with the Atom D2xxx/N2xxx iGPU: "integrated" in the iGPU slot, "datacenter"
    elsewhere; None for any other id."""
    ids, kind, igpu_kind = _shared()
    if device not in ids:
        return None
    return igpu_kind if address == igpu_address() else kind
