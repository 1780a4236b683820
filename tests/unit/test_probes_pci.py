"""PCI scan, AMD gfx targets, Intel kinds, Apple Silicon, and merging GPUs from several sources."""

from __future__ import annotations

import pytest
from helpers.fake_probes import FakeRun, build_pci_tree, captured, failed, ok, timed_out, write

from torchdoctor.facts import Gpu, PciDevice
from torchdoctor.probes import amd, apple, merge_gpus, pci


def sysctl_of(values: dict):
    def get(name):
        value = values.get(name)
        if value is None:
            return None
        if isinstance(value, int):
            return value.to_bytes(4, "little")
        return value.encode() + b"\0"
    return get


# ---------------------------------------------------------------- PCI scan


def test_h200_scan_finds_the_one_display_device(tmp_path):
    build_pci_tree(tmp_path, captured("h200/pci.txt"))
    devices = pci.scan_pci(tmp_path)
    # 7 devices captured; only the 3D controller (class 0x0302) is display-class.
    assert devices == (PciDevice("0000:00:06.0", "10de", "2335", "0x030200", "nvidia"),)
    assert pci.gpus_from_pci(devices) == (
        Gpu(vendor="nvidia", pci_bus_id="0000:00:06.0", pci_id="10de:2335", source="pci"),)


def test_nvidia_present_without_driver_differs_from_absent(tmp_path):
    unbound = captured("h200/pci.txt").replace("driver=nvidia", "driver=")
    build_pci_tree(tmp_path, unbound)
    (dev,) = pci.scan_pci(tmp_path)
    assert dev.vendor_id == "10de" and dev.driver is None


def test_nouveau_bound(tmp_path):
    build_pci_tree(tmp_path, "0000:01:00.0 class=0x030000 vendor=0x10de device=0x1b80 driver=nouveau\n")
    assert pci.scan_pci(tmp_path)[0].driver == "nouveau"


def test_this_kind_of_vm_without_display_devices(tmp_path):
    build_pci_tree(tmp_path, "\n".join(ln for ln in captured("h200/pci.txt").splitlines() if "10de" not in ln))
    assert pci.scan_pci(tmp_path) == ()


def test_no_sysfs_is_not_gathered(tmp_path):
    assert pci.scan_pci(tmp_path) is None


def test_unreadable_entries_are_skipped(tmp_path):
    (tmp_path / "sys/bus/pci/devices/0000:00:09.0").mkdir(parents=True)  # no class file
    write(tmp_path / "sys/bus/pci/devices/0000:00:0a.0/class", "garbage\n")
    assert pci.scan_pci(tmp_path) == ()


def test_bmc_vga_is_display_class_but_not_a_gpu(tmp_path):
    build_pci_tree(tmp_path, "0000:02:00.0 class=0x030000 vendor=0x1a03 device=0x2000 driver=ast\n")
    devices = pci.scan_pci(tmp_path)
    assert len(devices) == 1 and pci.gpus_from_pci(devices) == ()


# ---------------------------------------------------------------- Intel kinds (ids from Linux's pciids.h)


@pytest.mark.parametrize("device, address, kind", [
    ("56a0", "0000:03:00.0", "arc"),         # Arc A770 (DG2 G10)
    ("5690", "0000:03:00.0", "arc"),         # Arc A770M
    ("e20b", "0000:03:00.0", "arc"),         # Arc B580 (Battlemage)
    ("56c0", "0000:4d:00.0", "datacenter"),  # Flex 170
    ("0bd5", "0000:29:00.0", "datacenter"),  # Max 1550 (PVC)
    ("4905", "0000:03:00.0", "discrete"),    # DG1, Iris Xe MAX
    ("7d55", "0000:00:02.0", "integrated-arc"),  # Meteor Lake "Arc Graphics": integrated, on PyTorch's XPU list
    ("a780", "0000:00:02.0", "integrated"),  # Raptor Lake UHD 770
    ("ffff", "0000:05:00.0", "discrete"),    # an id we do not know, off the iGPU slot: not guessed as arc
    # ids outside the kernel's ranges, classed by their pci.ids name (knowledge/pci_ids.tsv)
    ("7d55", "0000:05:00.0", "integrated-arc"),  # Meteor Lake iGPU passed through to a VM: not "discrete"
    ("b082", "0000:00:02.0", "integrated-arc"),  # Panther Lake [Arc B390]: branded Arc B, integrated
    ("7d45", "0000:00:02.0", "integrated"),  # Meteor Lake-P [Intel Graphics]: no Arc brand, no model
    ("4907", "0000:03:00.0", "discrete"),    # SG1 [Server GPU SG-18M]: the DG1 server card
    ("4f80", "0000:03:00.0", "discrete"),    # "DG2 [Intel Xe Graphics]": not in the kernel's lists, no Arc name
    # PVC reuses ids of the Atom D2xxx/N2xxx iGPU; the rest of 0x0bdc-0x0bef is the Atom only
    ("0be1", "0000:00:02.0", "integrated"),
    ("0be1", "0000:29:00.0", "datacenter"),
    ("0be3", "0000:00:02.0", "integrated"),  # was "datacenter" when the PVC range ran to 0x0bef
])
def test_intel_kind(device, address, kind):
    assert pci.intel_kind(device, address) == kind


def test_pci_names_from_the_bundled_table_without_a_system_pci_ids(tmp_path):
    names = pci.pci_names({"10de:2520", "8086:56a0", "1002:744c", "10de:ffff"}, tmp_path / "nowhere")
    assert names == {"10de:2520": "GA106M [GeForce RTX 3060 Mobile / Max-Q]", "8086:56a0": "DG2 [Arc A770]",
                     "1002:744c": "Navi 31 [Radeon RX 7900 XT/7900 XTX/7900 GRE/7900M]"}


def test_pci_names_fall_back_to_the_system_pci_ids_for_newer_ids(tmp_path):
    # 10de:2204 is in the bundled table (which wins); 10de:3001 is not: the system file may be newer
    write(tmp_path / "usr/share/hwdata/pci.ids",
          "# comment\n1002  Advanced Micro Devices, Inc. [AMD/ATI]\n\t744c  Navi 31 [Radeon RX 7900 XT/7900 XTX/7900 GRE/7900M]\n"
          "\t\t1002 0e3b  Radeon RX 7900 GRE\n10de  NVIDIA Corporation\n\t2204  GA102 [system name]\n"
          "\t3001  GR102 [GeForce RTX 6090]\nC 03  Display controller\n\t00  VGA compatible controller\n")
    names = pci.pci_names({"10de:2204", "10de:3001", "10de:ffff"}, tmp_path)
    assert names == {"10de:2204": "GA102 [GeForce RTX 3090]", "10de:3001": "GR102 [GeForce RTX 6090]"}
    assert pci.parse_pci_ids((tmp_path / "usr/share/hwdata/pci.ids").read_text(), {"1002:744c"}) == {
        "1002:744c": "Navi 31 [Radeon RX 7900 XT/7900 XTX/7900 GRE/7900M]"}


# ---------------------------------------------------------------- AMD


@pytest.mark.parametrize("value, gfx", [(110000, "gfx1100"), (90010, "gfx90a"), (90402, "gfx942"),
                                         (100302, "gfx1032"), (80003, "gfx803"), (120001, "gfx1201"),
                                         (110501, "gfx1151"), (0, None), (91600, None)])
def test_gfx_from_kfd_target_version(value, gfx):
    assert amd.gfx_from_target_version(value) == gfx


def test_kfd_topology(tmp_path):
    nodes = tmp_path / "sys/class/kfd/kfd/topology/nodes"
    write(nodes / "0/properties", captured("probes/kfd-cpu-properties.txt"))
    write(nodes / "1/properties", captured("probes/kfd-gfx1100-properties.txt"))
    # location_id 34304 = 0x8600: bus 0x86, device 0, function 0; device_id 29772 = 0x744c
    assert amd.read_kfd(tmp_path) == (amd.AmdAgent(gfx="gfx1100", pci_bus_id="0000:86:00.0", pci_id="1002:744c"),)
    assert amd.read_kfd(tmp_path / "none") is None


ROCMINFO = """ROCk module is loaded
=====================
HSA Agents
==========
*******
Agent 1
*******
  Name:                    AMD Ryzen 9 7950X 16-Core Processor
  Marketing Name:          AMD Ryzen 9 7950X 16-Core Processor
  Device Type:             CPU
*******
Agent 2
*******
  Name:                    gfx1100
  Uuid:                    GPU-1234
  Marketing Name:          Radeon RX 7900 XTX
  Vendor Name:             AMD
  Device Type:             GPU
  ISA Info:
    ISA 1
      Name:                    amdgcn-amd-amdhsa--gfx1100
"""


def test_rocminfo_gpu_agents():
    assert amd.parse_rocminfo(ROCMINFO) == (amd.AmdAgent(gfx="gfx1100", name="Radeon RX 7900 XTX"),)
    assert amd.parse_rocminfo("garbage") == ()


def test_rocm_agent_enumerator():
    assert amd.parse_agent_enumerator("gfx000\ngfx1030\ngfx1030\n") == (amd.AmdAgent("gfx1030"), amd.AmdAgent("gfx1030"))


def test_rocm_tools_fall_back_and_time_out():
    run = FakeRun({"rocm_agent_enumerator": lambda a: timed_out(a, 5.0), "rocminfo": lambda a: ok(a, ROCMINFO)})
    agents, errors = amd.read_rocm_tools(run, 5.0, which=lambda n: "/opt/rocm/bin/" + n)
    assert [a.gfx for a in agents] == ["gfx1100"]
    assert errors == ["rocm_agent_enumerator timed out after 5.0 s"]
    run = FakeRun({"rocminfo": lambda a: failed(a, 1, "", "hsa api call failure at: ... HSA_STATUS_ERROR_OUT_OF_RESOURCES\n")})
    agents, errors = amd.read_rocm_tools(run, 5.0, which=lambda n: "/usr/bin/rocminfo" if n == "rocminfo" else None,
                                         exists=lambda p: False)
    assert agents == () and errors[0].startswith("rocminfo exited with status 1")


def test_no_rocm_tools_runs_nothing():
    run = FakeRun({})
    assert amd.read_rocm_tools(run, 5.0, which=lambda n: None, exists=lambda p: False) == ((), [])
    assert run.calls == []


# ---------------------------------------------------------------- Apple


def test_apple_silicon_gpu():
    gpu = apple.apple_gpu(sysctl_of({"hw.optional.arm64": 1, "machdep.cpu.brand_string": "Apple M2 Pro"}))
    assert gpu == Gpu(vendor="apple", name="Apple M2 Pro", source="sysctl")


def test_intel_mac_has_no_apple_gpu():
    assert apple.apple_gpu(sysctl_of({"machdep.cpu.brand_string": "Intel(R) Core(TM) i9-9880H CPU @ 2.30GHz"})) is None


def test_apple_silicon_seen_from_rosetta_with_an_odd_brand():
    gpu = apple.apple_gpu(sysctl_of({"hw.optional.arm64": 1, "machdep.cpu.brand_string": "VirtualApple @ 2.50GHz processor"}))
    assert gpu == Gpu(vendor="apple", name=None, source="sysctl")


# ---------------------------------------------------------------- merging


def test_nvml_enriches_the_pci_entry_instead_of_duplicating_it():
    base = [Gpu(vendor="nvidia", pci_bus_id="0000:00:06.0", pci_id="10de:2335", source="pci"),
            Gpu(vendor="intel", kind="integrated", pci_bus_id="0000:00:02.0", pci_id="8086:a780", source="pci")]
    nvml = (Gpu(vendor="nvidia", name="NVIDIA H200", capability=(9, 0), memory_mib=143771,
                pci_bus_id="0000:00:06.0", source="nvml"),)
    merged = merge_gpus(base, nvml)
    assert merged[0] == Gpu(vendor="nvidia", name="NVIDIA H200", capability=(9, 0), memory_mib=143771,
                            pci_bus_id="0000:00:06.0", pci_id="10de:2335", source="nvml")
    assert merged[1] == base[1] and len(merged) == 2


def test_gpu_without_pci_match_is_appended():
    merged = merge_gpus([], (Gpu(vendor="nvidia", name="NVIDIA GeForce RTX 4090", source="nvml"),))
    assert [g.name for g in merged] == ["NVIDIA GeForce RTX 4090"]


# ---------------------------------------------------------------- Windows registry


def test_windows_matching_ids():
    from torchdoctor.probes import windows
    assert windows.parse_matching_id("PCI\\VEN_10DE&DEV_2206&SUBSYS_38971462") == ("10de", "2206")
    assert windows.parse_matching_id("pci\\ven_8086&dev_56a0") == ("8086", "56a0")
    assert windows.parse_matching_id("ROOT\\BasicDisplay") is None
    assert windows.parse_matching_id(None) is None


def test_windows_adapters_to_gpus():
    from torchdoctor.probes import windows
    adapters = [
        {"DriverDesc": "Intel(R) Arc(TM) A770 Graphics", "MatchingDeviceId": "PCI\\VEN_8086&DEV_56A0"},
        {"DriverDesc": "Intel(R) UHD Graphics 770", "MatchingDeviceId": "PCI\\VEN_8086&DEV_A780"},
        {"DriverDesc": "AMD Radeon RX 7900 XTX", "MatchingDeviceId": "PCI\\VEN_1002&DEV_744C&REV_C8"},
        {"DriverDesc": "Microsoft Basic Display Adapter", "MatchingDeviceId": "ROOT\\BasicDisplay"},
        {"DriverDesc": "Microsoft Remote Display Adapter"},
    ]
    assert [(g.vendor, g.kind, g.pci_id) for g in windows.gpus_from_adapters(adapters)] == [
        ("intel", "arc", "8086:56a0"), ("intel", "integrated", "8086:a780"), ("amd", None, "1002:744c")]
