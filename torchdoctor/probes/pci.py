"""Linux PCI scan: which display devices exist and which kernel driver holds each.

This is what tells "an NVIDIA GPU is present but no driver is loaded" (a 10de device with
no driver, or with nouveau) from "no NVIDIA GPU" (no 10de device at all). It reads only
/sys/bus/pci/devices: no lspci (often not installed: it was missing on the H200 VM too).
"""

from __future__ import annotations

import os
from pathlib import Path

from torchdoctor.facts import Gpu, PciDevice
from torchdoctor.probes._util import read_text, under

VENDORS = {"10de": "nvidia", "1002": "amd", "8086": "intel"}

# Intel GPU kind, decided by PCI device id. Source: the Linux kernel's
# include/drm/intel/pciids.h (INTEL_DG2_*, INTEL_ATS_M_*, INTEL_BMG_*, INTEL_PVC_*, INTEL_DG1_*).
# Intel's integrated GPU always sits at 0000:00:02.0, so an unknown id elsewhere is a
# discrete card we do not know yet (say "discrete", never guess "arc").
_INTEL_RANGES = (
    (0x5690, 0x56BF, "arc"),         # DG2 / Alchemist: Arc A-series (desktop, mobile, Pro)
    (0x56C0, 0x56C2, "datacenter"),  # ATS-M: Data Center GPU Flex 140/170
    (0xE202, 0xE22F, "arc"),         # BMG / Battlemage: Arc B-series and Arc Pro B
    (0x0B69, 0x0B6E, "datacenter"),  # PVC: Data Center GPU Max
    (0x0BD0, 0x0BEF, "datacenter"),  # PVC: Data Center GPU Max 1100/1550
    (0x4905, 0x4909, "discrete"),    # DG1: Iris Xe MAX (no PyTorch XPU support)
)
INTEL_IGPU_ADDRESS = "0000:00:02.0"

PCI_IDS_PATHS = ("/usr/share/hwdata/pci.ids", "/usr/share/misc/pci.ids", "/usr/share/pci.ids")


def intel_kind(device_id: str, address: str | None) -> str:
    try:
        dev = int(device_id, 16)
    except ValueError:
        return "integrated" if address == INTEL_IGPU_ADDRESS else "discrete"
    for low, high, kind in _INTEL_RANGES:
        if low <= dev <= high:
            return kind
    if address is None or address == INTEL_IGPU_ADDRESS:
        return "integrated"
    return "discrete"


def _hex_id(text: str | None) -> str | None:
    """sysfs "0x10de\\n" -> "10de"."""
    if not text:
        return None
    value = text.strip().lower()
    value = value[2:] if value.startswith("0x") else value
    return value if value and all(c in "0123456789abcdef" for c in value) else None


def scan_pci(root: Path = Path("/")) -> tuple[PciDevice, ...] | None:
    """Display-class (0x03xxxx) devices, or None when there is no PCI sysfs to read."""
    base = under(root, "/sys/bus/pci/devices")
    try:
        entries = sorted(os.listdir(base))
    except OSError:
        return None
    found = []
    for name in entries:
        device = base / name
        class_code = _hex_id(read_text(device / "class", 64))
        if not class_code or not class_code.zfill(6).startswith("03"):
            continue
        vendor = _hex_id(read_text(device / "vendor", 64)) or "????"
        device_id = _hex_id(read_text(device / "device", 64)) or "????"
        try:
            driver = os.path.basename(os.readlink(device / "driver"))
        except OSError:
            driver = None
        found.append(PciDevice(address=name, vendor_id=vendor, device_id=device_id,
                               class_code=f"0x{class_code.zfill(6)}", driver=driver or None))
    return tuple(found)


def gpus_from_pci(devices: tuple[PciDevice, ...], names: dict[str, str] | None = None) -> tuple[Gpu, ...]:
    """One Gpu per NVIDIA/AMD/Intel display device (others: BMC VGA, virtio-gpu, are not GPUs to compute on)."""
    names = names or {}
    gpus = []
    for dev in devices:
        vendor = VENDORS.get(dev.vendor_id)
        if vendor is None:
            continue
        pci_id = f"{dev.vendor_id}:{dev.device_id}"
        gpus.append(Gpu(
            vendor=vendor,
            name=names.get(pci_id),
            kind=intel_kind(dev.device_id, dev.address) if vendor == "intel" else None,
            pci_bus_id=dev.address,
            pci_id=pci_id,
            source="pci",
        ))
    return tuple(gpus)


def pci_names(wanted: set[str], root: Path = Path("/")) -> dict[str, str]:
    """Device names for "vendor:device" ids from the system's pci.ids (hwdata), when installed.

    Names look like "GA102 [GeForce RTX 3090]" or "Navi 31 [Radeon RX 7900 XT/7900 XTX/7900M]".
    Only read when a GPU has no better name (the file is ~1.3 MB).
    """
    if not wanted:
        return {}
    for candidate in PCI_IDS_PATHS:
        text = read_text(under(root, candidate), 8 << 20)
        if text is not None:
            return parse_pci_ids(text, wanted)
    return {}


def parse_pci_ids(text: str, wanted: set[str]) -> dict[str, str]:
    vendors = {w.split(":")[0] for w in wanted}
    out: dict[str, str] = {}
    vendor = None
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        if not line.startswith("\t"):
            if line.startswith("C "):  # the device-class section ends the vendor list
                break
            vendor = line[:4].lower() if line[:4].lower() in vendors else None
            continue
        if vendor is None or line.startswith("\t\t"):
            continue
        device, _, name = line.strip().partition(" ")
        key = f"{vendor}:{device.lower()}"
        if key in wanted:
            out[key] = name.strip()
    return out
