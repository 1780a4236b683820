#!/usr/bin/env python3
"""Regenerate torchdoctor/knowledge/pci_ids.tsv from a pci.ids file (run by hand, not at build time).

    git clone https://github.com/pciutils/pciids && python3 scripts/gen_pci_ids.py pciids/pci.ids

Keeps the display devices of NVIDIA (10de), AMD/ATI (1002) and Intel (8086) only, so a GPU with no
driver loaded can be named offline. pci.ids lists every device of a vendor (audio functions, USB
controllers, chipset bridges), and has no class per device: the filter below decides by name.
The table records the pci.ids version and date it was built from; pci.ids itself is not committed.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout, installed or not
from torchdoctor.probes.pci import iter_pci_ids  # noqa: E402

VENDORS = ("10de", "1002", "8086")
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "torchdoctor" / "knowledge" / "pci_ids.tsv"

# Functions of a GPU board or chipset that are not the GPU itself ("GA102 High Definition Audio
# Controller", "TU116 USB 3.1 Host Controller", "MCP79 PCI Express Bridge", "SB600 SMBus").
_NOT_GPU = re.compile(
    r"audio|\bhdmi\b|\busb\b|ucsi|\bsata\b|\bide\b|\braid\b|smbus|\blpc\b|(?<!ivy )(?<!sandy )\bbridge|"
    r"root (port|complex)|express (port|x\d+ controller)|graphics port|ethernet|xilleon|theater|dummy function|hbiu|daio|"
    r"network|modem|firewire|serial|\bisa\b|memory controller|\bdram\b|pcie? switch|nvswitch|\biommu\b|"
    r"\bfch\b|\bpmu\b|co-?processor|\bmcp\d|nforce|\bapc\b|\bacp\b|crypto|\bpsp\b|trusted|i2c|\bspi\b|sdio|"
    r"hda\b|\bsensor|\bthermal|\bfan\b|multimedia|\bdebug|\bnb\b|\bsb\d|southbridge|northbridge|host controller",
    re.IGNORECASE)

# NVIDIA GPU chips as pci.ids writes them: NV4, G92, GT200, GF100, GK110B, GM204, GP102, GV100, TU106,
# GA100, AD102, GH100, GB202, with suffixes (M mobile, GL professional, B/BM revisions, "GLM").
NVIDIA_CHIP = re.compile(r"^(NV\d+[A-Za-z]*|G\d{2,3}[A-Za-z]*|GT2\d\d[A-Za-z]*|G[FKMPVAHB]\d{2,3}[A-Za-z]*|"
                         r"TU\d{3}[A-Za-z]*|AD\d{3}[A-Za-z]*|GR\d{3}[A-Za-z]*)$")
# Intel devices that are graphics (the vendor id also covers every chipset function).
_INTEL_GPU = re.compile(r"graphics|\barc\b|\biris\b|\buhd\b|\bgma\b|data center gpu|\bgpu\b|(\b|\d)xe\b|\bgt\d\b|"
                        r"ponte vecchio", re.IGNORECASE)
# A product name in brackets that says GPU outright ("C61 [GeForce 6150SE nForce 430]" is the GPU of a chipset).
_BRAND = re.compile(r"geforce|quadro|radeon|firepro|graphics|\barc\b|\biris\b", re.IGNORECASE)

_HEADER = re.compile(r"^#\s*(Version|Date):\s*(.+?)\s*$")


def parse(text: str) -> tuple[dict[str, str], list[tuple[str, str, str]]]:
    """pci.ids text -> (header {"Version", "Date"}, [(vendor, device, name)] for our vendors)."""
    header: dict[str, str] = {}
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        m = _HEADER.match(line)
        if m:
            header.setdefault(m.group(1), m.group(2))
    rows = [(v, d, n) for v, d, n in iter_pci_ids(text, VENDORS) if re.fullmatch(r"[0-9a-f]{4}", d) and n]
    return header, rows


def split_name(name: str) -> tuple[str, str | None]:
    """'AD106M [GeForce RTX 3050 A Laptop GPU]' -> ('AD106M', 'GeForce RTX 3050 A Laptop GPU');
    'GH100' -> ('GH100', None); 'HD Graphics 630' -> ('HD Graphics 630', None)."""
    m = re.fullmatch(r"(.*?)\s*\[(.+)\]\s*", name)
    return (m.group(1), m.group(2)) if m else (name, None)


def chip_of(vendor: str, name: str) -> str:
    """The chip code a GPU's capability follows: NVIDIA 'GA106M', AMD 'Navi 31'; '' when not stated."""
    before, product = split_name(name)
    if vendor == "10de":
        token = before.split(" ")[0] if before else ""
        return token if NVIDIA_CHIP.match(token) else ""
    if vendor == "1002":  # the codename: "Navi 31", "Ellesmere [Radeon RX 470/480]", "Phoenix1"
        return before
    return before if product is not None else ""  # Intel: "DG2", "Meteor Lake-P"; bare names have none


def is_gpu(vendor: str, name: str) -> bool:
    before, product = split_name(name)
    if _NOT_GPU.search(before) or (product and _NOT_GPU.search(product) and not _BRAND.search(product)):
        return False
    if vendor == "10de":  # a chip code, or a product name in brackets ("C79 [GeForce 9400M G]")
        return bool(chip_of(vendor, name)) or bool(product and re.search(
            r"geforce|quadro|tesla|titan|\brtx\b|\bgrid\b|\bnvs\b|\bcmp\b|\b[abhl]\d+\b|gpu", product, re.I))
    if vendor == "8086":
        return bool(_INTEL_GPU.search(name))
    return True  # ATI/AMD 1002: after the exclusions, graphics


def build(text: str, source: str) -> str:
    header, rows = parse(text)
    if "Version" not in header:
        raise SystemExit("gen_pci_ids: no '# Version:' line: is this a pci.ids file?")
    lines = [
        "# GPU display devices from pci.ids: NVIDIA 10de, AMD/ATI 1002, Intel 8086. Generated by",
        "# scripts/gen_pci_ids.py: do not edit by hand, regenerate.",
        f"# pci.ids version: {header['Version']}",
        f"# pci.ids date: {header.get('Date', 'unknown')}",
        f"# source: {source}",
        "# pci.ids: The PCI ID Project (https://pci-ids.ucw.cz/), GPL-2.0-or-later or BSD-3-Clause.",
        "# columns: vendor<TAB>device<TAB>chip<TAB>name (the pci.ids device name; chip: '' when not stated)",
    ]
    kept = sorted({(v, d, n) for v, d, n in rows if is_gpu(v, n)})
    lines += [f"{v}\t{d}\t{chip_of(v, n)}\t{n}" for v, d, n in kept]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("pci_ids", type=Path, help="a pci.ids file (github.com/pciutils/pciids)")
    ap.add_argument("-o", "--output", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--source", default="https://github.com/pciutils/pciids (pci.ids)",
                    help="where the pci.ids file came from (recorded in the table), e.g. the commit")
    args = ap.parse_args(argv)
    table = build(args.pci_ids.read_text(encoding="utf-8", errors="replace"), args.source)
    args.output.write_text(table, encoding="utf-8")
    count = sum(1 for ln in table.splitlines() if not ln.startswith("#"))
    print(f"{args.output}: {count} devices, {len(table.encode()) // 1024} KiB", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
