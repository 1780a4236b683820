"""Linux PCI scan: which display devices exist and which kernel driver holds each.

This is what tells "an NVIDIA GPU is present but no driver is loaded" (a 10de device with
no driver, or with nouveau) from "no NVIDIA GPU" (no 10de device at all). It reads only
/sys/bus/pci/devices: no lspci (often not installed: it was missing on the H200 VM too).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Iterator

from torchdoctor.facts import Gpu, PciDevice
from torchdoctor.probes._util import read_text, under

VENDORS = {"10de": "nvidia", "1002": "amd", "8086": "intel"}

PCI_IDS_PATHS = ("/usr/share/hwdata/pci.ids", "/usr/share/misc/pci.ids", "/usr/share/pci.ids")


def intel_kind(device_id: str, address: str | None) -> str:
    """The kind of an Intel GPU: the kernel's id ranges first (knowledge/intel_pci.json), then its
    pci.ids name. An id neither knows, outside the iGPU slot, is a discrete card we do not know yet
    ("discrete", never guessed to be "arc")."""
    from torchdoctor.knowledge import intel_pci  # only an Intel GPU needs the table (suggest imports this module)

    igpu = intel_pci.igpu_address()
    try:
        dev = int(device_id, 16)
    except ValueError:
        return "integrated" if address == igpu else "discrete"
    kind = intel_pci.kind_of_device(dev)
    if kind is not None:
        return kind
    shared = intel_pci.kind_of_shared_id(dev, address) if address is not None else None
    if shared is not None:
        return shared
    from torchdoctor.knowledge.pci_ids import lookup_pci

    named = lookup_pci("8086", device_id)
    if named is not None:
        return intel_kind_of_name(named.name, named.chip)
    if address is None or address == igpu:
        return "integrated"
    return "discrete"


def intel_kind_of_name(name: str, chip: str | None) -> str:
    """The kind of an Intel GPU from its pci.ids name. The chip decides discrete from integrated:
    "Panther Lake [Arc B390]" and "Meteor Lake-P [Intel Arc Graphics]" are integrated, branded Arc
    ("integrated-arc": on PyTorch's XPU list); "Meteor Lake-P [Intel Graphics]" is plain "integrated"."""
    from torchdoctor.knowledge.gpu_names import identify

    # PyTorch's XPU classes by name first (knowledge/gpu_names.py): "Meteor Lake-P [Intel Arc Graphics]",
    # "Lunar Lake [...]" and "Panther Lake [Arc B390]" are Core Ultra graphics on its XPU list.
    known = identify(name if "[" in name or not chip else f"{chip} [{name}]").kind
    if known:
        return known
    text = f"{chip or ''} {name}".lower()
    if "data center gpu" in text or "ponte vecchio" in text or "ats-m" in text:
        return "datacenter"
    chip_text = (chip or "").lower()
    if re.match(r"(dg2|battlemage)\b", chip_text):  # Alchemist / Battlemage cards: Arc A/B
        # a DG2 id outside the kernel's lists without an Arc name ("DG2 [Intel Xe Graphics]", pre-production
        # boards) is not guessed to be a supported Arc card
        return "arc" if re.search(r"\barc\b", name.lower()) else "discrete"
    if re.match(r"(dg1|sg1)\b", chip_text) or "iris xe max" in text:
        return "discrete"  # DG1 / SG1: not on PyTorch's XPU list
    return "integrated"


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
    """Device names for "vendor:device" ids: the bundled table first (knowledge/pci_ids.tsv), then the
    system's pci.ids (hwdata), when installed, for ids newer than the table.

    Names are pci.ids names: "GA102 [GeForce RTX 3090]", "Navi 31 [Radeon RX 7900 XT/7900 XTX/7900M]";
    the chip in front is what tells "AD106M [GeForce RTX 3050 A Laptop GPU]" (Ada) from the Ampere 3050.
    Only read when a GPU has no better name (the system file is ~1.3 MB).
    """
    from torchdoctor.knowledge.pci_ids import lookup_pci

    out: dict[str, str] = {}
    for pci_id in wanted:
        vendor, _, device = pci_id.partition(":")
        named = lookup_pci(vendor, device)
        if named is not None:
            out[pci_id] = named.name
    rest = set(wanted) - set(out)
    if not rest:
        return out
    for candidate in PCI_IDS_PATHS:
        text = read_text(under(root, candidate), 8 << 20)
        if text is not None:
            return {**parse_pci_ids(text, rest), **out}
    return out


def parse_pci_ids(text: str, wanted: set[str]) -> dict[str, str]:
    vendors = {w.split(":")[0] for w in wanted}
    return {key: name for vendor, device, name in iter_pci_ids(text, vendors)
            if (key := f"{vendor}:{device}") in wanted}


def iter_pci_ids(text: str, vendors: "set[str] | tuple[str, ...]") -> "Iterator[tuple[str, str, str]]":
    """(vendor, device, name) of every device line of these vendors in pci.ids text (ids lower-case;
    subsystem lines, comments and the device-class section skipped). scripts/gen_pci_ids.py uses it too."""
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
        yield vendor, device.lower(), " ".join(name.split())
