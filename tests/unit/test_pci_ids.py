"""The PCI id table: the generator on a real pci.ids excerpt, and the committed table it produced."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from torchdoctor.knowledge import load
from torchdoctor.knowledge.pci_ids import TABLE, PciName, lookup_pci, table_version

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import gen_pci_ids  # noqa: E402

EXCERPT = Path(__file__).parents[1] / "fixtures" / "pci" / "pci.ids-excerpt"


def rows(table: str) -> dict[str, tuple[str, str]]:
    out = {}
    for line in table.splitlines():
        if line.startswith("#"):
            continue
        vendor, device, chip, name = line.split("\t")
        out[f"{vendor}:{device}"] = (chip, name)
    return out


def test_generator_keeps_the_gpus_and_drops_their_other_functions(tmp_path):
    out = tmp_path / "pci_ids.tsv"
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_pci_ids.py"), str(EXCERPT), "-o", str(out),
                           "--source", "tests/fixtures/pci/pci.ids-excerpt"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    table = out.read_text(encoding="utf-8")
    assert "# pci.ids version: 2026.08.22\n" in table and "# pci.ids date: 2026-08-22 03:15:01\n" in table
    assert "# source: tests/fixtures/pci/pci.ids-excerpt\n" in table
    assert rows(table) == {
        "1002:15bf": ("Phoenix1", "Phoenix1"),
        "1002:744c": ("Navi 31", "Navi 31 [Radeon RX 7900 XT/7900 XTX/7900 GRE/7900M]"),
        "10de:03d0": ("", "C61 [GeForce 6150SE nForce 430]"),  # a chipset's GPU: a GPU, no chip code
        "10de:2204": ("GA102", "GA102 [GeForce RTX 3090]"),
        "10de:2335": ("GH100", "GH100 [H200 SXM 141GB]"),
        "10de:23f0": ("GH100", "GH100"),
        "10de:2520": ("GA106M", "GA106M [GeForce RTX 3060 Mobile / Max-Q]"),
        "10de:2822": ("AD106M", "AD106M [GeForce RTX 3050 A Laptop GPU]"),
        "8086:0162": ("IvyBridge GT2", "IvyBridge GT2 [HD Graphics 4000]"),  # "Bridge" in Ivy Bridge is kept
        "8086:0bd5": ("Ponte Vecchio XT (2 Tile)", "Ponte Vecchio XT (2 Tile) [Data Center GPU Max 1550]"),
        "8086:0be1": ("", "Atom Processor D2xxx/N2xxx Integrated Graphics Controller"),
        "8086:0be3": ("", "Atom Processor D2xxx/N2xxx Integrated Graphics Controller"),
        "8086:46a0": ("", "AlderLake-P GT2"),
        "8086:56a0": ("DG2", "DG2 [Arc A770]"),
        "8086:7d55": ("Meteor Lake-P", "Meteor Lake-P [Intel Arc Graphics]"),
        "8086:9a49": ("TigerLake-LP GT2", "TigerLake-LP GT2 [Iris Xe Graphics]"),
        "8086:a780": ("Raptor Lake-S GT1", "Raptor Lake-S GT1 [UHD Graphics 770]"),
        "8086:e20b": ("Battlemage G21", "Battlemage G21 [Arc B580]"),
    }
    # dropped: HDMI audio (ab30, 22bd, 4f90), USB (7314, 1ad8), SMBus, NVSwitch, memory controller,
    # the DRAM controller and the PCIe graphics port of Intel chipsets, AMD's 1022 root complex


def test_generator_refuses_a_file_that_is_not_pci_ids(tmp_path):
    bad = tmp_path / "not.ids"
    bad.write_text("hello\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="pci.ids"):
        gen_pci_ids.main([str(bad), "-o", str(tmp_path / "out.tsv")])


@pytest.mark.parametrize("name, chip", [
    ("GK110BGL [Tesla K40m]", "GK110BGL"), ("TU117GLM [T1200 Laptop GPU]", "TU117GLM"), ("GB202 [GeForce RTX 5090]",
     "GB202"), ("GV100GL [Tesla V100 SXM2 16GB]", "GV100GL"), ("NV44 [GeForce 6200 SE TurboCache]", "NV44"),
    ("G92 [GeForce 9800 GT]", "G92"), ("GT200b [GeForce GTX 275]", "GT200b"),
    ("C61 [GeForce 6150SE nForce 430]", ""), ("Tegra X1 PCIe x4 Root Complex", ""),
])
def test_nvidia_chip_codes(name, chip):
    assert gen_pci_ids.chip_of("10de", name) == chip


# ---------------------------------------------------------------- the committed table


def test_committed_table_records_its_pci_ids_and_stays_small():
    version = table_version()
    assert version["version"] == "2026.08.22" and version["date"].startswith("2026-08-22")
    assert "pciutils/pciids" in version["source"]
    assert Path(TABLE).stat().st_size < 300 * 1024
    table = Path(TABLE).read_text(encoding="utf-8")
    found = rows(table)
    assert len(found) > 2500
    # every row is one of the three vendors, a GPU by the generator's rule, with the chip it would parse
    for key, (chip, name) in found.items():
        vendor = key[:4]
        assert vendor in gen_pci_ids.VENDORS and gen_pci_ids.is_gpu(vendor, name), key
        assert chip == gen_pci_ids.chip_of(vendor, name), key
        assert "audio" not in name.lower() and " usb" not in name.lower(), key


@pytest.mark.parametrize("vendor, device, name, cc", [
    ("10de", "2335", "GH100 [H200 SXM 141GB]", (9, 0)),  # the H200 of tests/fixtures/h200/pci.txt
    ("10de", "2520", "GA106M [GeForce RTX 3060 Mobile / Max-Q]", (8, 6)),
    ("0x10DE", "0x2204", "GA102 [GeForce RTX 3090]", (8, 6)),
])
def test_lookup_names_nvidia_gpus_in_the_form_the_capability_table_reads(vendor, device, name, cc):
    found = lookup_pci(vendor, device)
    assert found is not None and found.name == name and found.chip == name.split(" ")[0]
    assert load().gpu_capability(found.name) == cc


def test_lookup_amd_intel_and_unknowns():
    assert lookup_pci("1002", "744c") == PciName("Navi 31 [Radeon RX 7900 XT/7900 XTX/7900 GRE/7900M]", "Navi 31")
    assert lookup_pci("1002", "744c").product == "Radeon RX 7900 XT/7900 XTX/7900 GRE/7900M"
    assert lookup_pci("8086", "e20b") == PciName("Battlemage G21 [Arc B580]", "Battlemage G21")
    assert lookup_pci("8086", "46a0") == PciName("AlderLake-P GT2", None)
    assert lookup_pci("10de", "22bd") is None  # the HDMI audio function of an Ada GPU
    assert lookup_pci("1af4", "1050") is None  # virtio-gpu: not one of the three vendors
    assert lookup_pci("10de", "zzzz") is None and lookup_pci("", "") is None
    assert lookup_pci("10de", "2335\n10de") is None
