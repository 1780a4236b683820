"""gather_machine end to end: recorded machines through fake roots, deadlines, and this machine."""

from __future__ import annotations

import json
import os
import sys
import threading
from pathlib import Path

from helpers.fake_probes import FakeRun, build_h200, build_pci_tree, captured, failed, fake_nvml, ok, write

from torchdoctor.facts import Facts, Gpu
from torchdoctor.knowledge import load
from torchdoctor.probes import gather_machine

LINUX = {"system": "Linux", "machine": "x86_64", "kernel": "6.18.44-fc-v657-gpu", "bits": 64, "environ": {},
         "confstr": lambda n: "glibc 2.39"}


def h200_smi():
    return FakeRun({
        "nvidia-smi --query-gpu=*": lambda a: ok(a, "NVIDIA H200, 580.159.04, 9.0, 143771 MiB, 00000000:00:06.0\n"),
        "nvidia-smi": lambda a: ok(a, captured("h200/nvidia-smi.txt")),
    })


def test_the_h200_machine(tmp_path):
    build_h200(tmp_path)
    facts = gather_machine(root=tmp_path, run=h200_smi(), nvml=fake_nvml(), which=lambda n: None,
                           platform_overrides=LINUX)
    assert facts.platform.os_version == "Ubuntu 24.04.3 LTS"
    assert (facts.nvidia.driver, facts.nvidia.cuda_driver, facts.nvidia.source) == ("580.159.04", "13.0", "nvml")
    assert facts.nvidia.open_kernel_module is True
    # one GPU: the PCI entry enriched by NVML, not two entries
    assert facts.gpus == (Gpu(vendor="nvidia", name="NVIDIA H200", capability=(9, 0), memory_mib=143771,
                              pci_bus_id="0000:00:06.0", pci_id="10de:2335", source="nvml"),)
    assert [d.driver for d in facts.pci] == ["nvidia"]
    assert Facts.from_dict(json.loads(json.dumps(facts.to_dict()))) == facts


def test_h200_with_a_driver_library_mismatch(tmp_path):
    build_h200(tmp_path)
    smi = FakeRun({"nvidia-smi*": lambda a: failed(a, 18, captured("probes/nvidia-smi-mismatch.txt"))})
    facts = gather_machine(root=tmp_path, run=smi, nvml=fake_nvml(init_error="Driver/library version mismatch"),
                           which=lambda n: "/usr/bin/" + n if n == "nvidia-smi" else None, platform_overrides=LINUX)
    assert facts.nvidia.driver == "580.159.04" and facts.nvidia.source == "sysfs"
    assert facts.nvidia.errors[0] == "NVML: Driver/library version mismatch"
    assert "Driver/library version mismatch (NVML library version: 570.124)" in facts.nvidia.errors[1]
    # the GPU is still known from PCI, with its driver bound
    assert [(g.vendor, g.pci_id, g.source) for g in facts.gpus] == [("nvidia", "10de:2335", "pci")]


def test_nvidia_gpu_present_but_no_driver(tmp_path):
    build_pci_tree(tmp_path, captured("h200/pci.txt").replace("driver=nvidia", "driver="))
    facts = gather_machine(root=tmp_path, run=FakeRun({}), nvml=fake_nvml(), which=lambda n: None,
                           platform_overrides=LINUX)
    assert facts.nvidia.driver is None
    assert facts.nvidia.errors == ("kernel: the nvidia kernel module is not loaded (no /sys/module/nvidia)",)
    # named from the bundled pci.ids table, in the form the capability table reads
    assert [(g.vendor, g.name, g.source) for g in facts.gpus] == [("nvidia", "GH100 [H200 SXM 141GB]", "pci")]
    assert facts.pci[0].driver is None


def test_laptop_without_nvidia_driver_names_and_classes_both_gpus(tmp_path):
    # a Meteor Lake laptop with an RTX 3060 Mobile (10de:2520) before the NVIDIA driver is installed
    build_pci_tree(tmp_path, "0000:00:02.0 class=0x030000 vendor=0x8086 device=0x7d55 driver=i915\n"
                             "0000:01:00.0 class=0x030000 vendor=0x10de device=0x2520 driver=\n")
    facts = gather_machine(root=tmp_path, run=FakeRun({}), nvml=fake_nvml(), which=lambda n: None,
                           platform_overrides=LINUX)
    assert facts.gpus == (
        Gpu(vendor="intel", name="Meteor Lake-P [Intel Arc Graphics]", kind="integrated-arc", pci_bus_id="0000:00:02.0",
            pci_id="8086:7d55", source="pci"),
        Gpu(vendor="nvidia", name="GA106M [GeForce RTX 3060 Mobile / Max-Q]", pci_bus_id="0000:01:00.0",
            pci_id="10de:2520", source="pci"))
    assert load().gpu_capability(facts.gpus[1].name) == (8, 6)


def test_no_gpu_at_all(tmp_path):
    build_pci_tree(tmp_path, "\n".join(ln for ln in captured("h200/pci.txt").splitlines() if "10de" not in ln))
    facts = gather_machine(root=tmp_path, run=FakeRun({}), which=lambda n: None, platform_overrides=LINUX)
    assert facts.gpus == () and facts.pci == () and facts.nvidia.driver is None


def test_amd_workstation_with_kfd_and_pci_ids(tmp_path):
    build_pci_tree(tmp_path, "0000:00:02.0 class=0x030000 vendor=0x8086 device=0xa780 driver=i915\n"
                             "0000:86:00.0 class=0x030000 vendor=0x1002 device=0x744c driver=amdgpu\n")
    write(tmp_path / "sys/class/kfd/kfd/topology/nodes/0/properties", captured("probes/kfd-cpu-properties.txt"))
    write(tmp_path / "sys/class/kfd/kfd/topology/nodes/1/properties", captured("probes/kfd-gfx1100-properties.txt"))
    write(tmp_path / "usr/share/misc/pci.ids", "1002  Advanced Micro Devices, Inc. [AMD/ATI]\n"
                                               "\t744c  Navi 31 [Radeon RX 7900 XT/7900 XTX/7900 GRE/7900M]\n")
    run = FakeRun({})
    facts = gather_machine(root=tmp_path, run=run, which=lambda n: None, platform_overrides=LINUX)
    assert facts.gpus == (
        Gpu(vendor="intel", name="Raptor Lake-S GT1 [UHD Graphics 770]", kind="integrated", pci_bus_id="0000:00:02.0",
            pci_id="8086:a780", source="pci"),
        Gpu(vendor="amd", name="Navi 31 [Radeon RX 7900 XT/7900 XTX/7900 GRE/7900M]", gfx="gfx1100",
            pci_bus_id="0000:86:00.0", pci_id="1002:744c", source="kfd"),
    )
    assert run.calls == []  # KFD answered: no ROCm tool started


def test_amd_without_kfd_asks_rocminfo(tmp_path):
    build_pci_tree(tmp_path, "0000:03:00.0 class=0x030000 vendor=0x1002 device=0x73bf driver=amdgpu\n")
    run = FakeRun({"rocm_agent_enumerator": lambda a: ok(a, "gfx000\ngfx1030\n")})
    facts = gather_machine(root=tmp_path, run=run, which=lambda n: "/opt/rocm/bin/" + n if n.startswith("rocm") else None,
                           platform_overrides=LINUX)
    assert [(g.vendor, g.gfx, g.source) for g in facts.gpus] == [("amd", "gfx1030", "rocminfo")]


def test_apple_silicon_under_rosetta(tmp_path):
    values = {"kern.osproductversion": b"15.3\0", "sysctl.proc_translated": (1).to_bytes(4, "little"),
              "hw.optional.arm64": (1).to_bytes(4, "little"), "machdep.cpu.brand_string": b"Apple M2 Pro\0"}
    facts = gather_machine(root=tmp_path, run=FakeRun({}), which=lambda n: None, nvml=fake_nvml(),
                           platform_overrides={"system": "Darwin", "machine": "x86_64", "kernel": "24.3.0", "bits": 64,
                                               "environ": {}, "get_sysctl": values.get})
    assert (facts.platform.os, facts.platform.arch, facts.platform.rosetta) == ("macos", "x86_64", True)
    assert facts.gpus == (Gpu(vendor="apple", name="Apple M2 Pro", source="sysctl"),)
    assert facts.nvidia is None and facts.pci is None


def test_a_hung_nvml_is_left_behind_at_the_deadline(tmp_path):
    build_h200(tmp_path)
    release = threading.Event()
    stuck = fake_nvml()
    stuck.nvmlInit = lambda: release.wait(60)  # a driver call that never returns (until the test ends)
    try:
        facts = gather_machine(0.2, root=tmp_path, run=FakeRun({}), nvml=stuck, which=lambda n: None,
                               platform_overrides=LINUX)
    finally:
        release.set()
    assert facts.nvidia.errors == ("nvidia probe did not answer within 0.2 s",)
    assert facts.nvidia.driver == "580.159.04" and facts.nvidia.source == "sysfs"  # still read from sysfs
    assert [(g.vendor, g.source) for g in facts.gpus] == [("nvidia", "pci")]
    assert any(n.name == "nvidia" and not n.ok for n in facts.probes)


def test_a_crashing_probe_becomes_a_note(tmp_path):
    broken = fake_nvml()
    broken.nvmlInit = None  # an NVML binding that breaks: read_nvml records it, no crash
    facts = gather_machine(root=tmp_path, run=FakeRun({}), nvml=broken, which=lambda n: None,
                           platform_overrides={**LINUX, "system": "Windows"})
    assert facts.nvidia is not None and facts.nvidia.errors[0].startswith("NVML: ")

    def explode(*a, **k):
        raise RuntimeError("boom")
    facts = gather_machine(root=tmp_path, run=explode, which=lambda n: "/usr/bin/nvidia-smi",
                           nvml=fake_nvml(init_error="NVML Shared Library Not Found"),
                           platform_overrides={**LINUX, "system": "Windows"})
    assert facts.nvidia.errors == ("nvidia probe crashed: RuntimeError: boom",)
    assert any(n.name == "nvidia" and n.detail == "crashed: RuntimeError: boom" for n in facts.probes)


# ---------------------------------------------------------------- this machine, for real


def test_gather_on_this_machine():
    facts = gather_machine()
    expected_os = {"linux": "linux", "darwin": "macos", "win32": "windows"}.get(sys.platform, sys.platform)
    assert facts.platform.os == expected_os
    assert facts.python.version.startswith(f"{sys.version_info.major}.{sys.version_info.minor}")
    assert Facts.from_dict(json.loads(json.dumps(facts.to_dict()))) == facts
    assert all(n.name for n in facts.probes)
    home = os.path.expanduser("~")
    assert home not in json.dumps(facts.to_dict()) or home in ("/", "")
    if sys.platform == "linux" and not Path("/sys/module/nvidia").exists() and not facts.platform.wsl:
        # like the CI and dev machines: no NVIDIA driver; the facts say why, no crash
        assert facts.nvidia.driver is None and facts.nvidia.errors
        assert facts.gpus is not None and all(g.vendor != "nvidia" or g.source == "pci" for g in facts.gpus)


def test_jetson_orin_l4t_release_is_not_a_driver_version(tmp_path):
    # nix-community/nixGL#139: a Jetson Orin NX's /proc/driver/nvidia/version names L4T 35.3.1
    write(tmp_path / "proc/driver/nvidia/version",
          "NVRM version: NVIDIA UNIX Open Kernel Module for aarch64  35.3.1  Release Build  "
          "(buildbrain@mobile-u64-6289-d7000)  Sun Mar 19 08:09:33 PDT 2023\n")
    write(tmp_path / "etc/nv_tegra_release",
          "# R35 (release), REVISION: 3.1, GCID: 32827747, BOARD: t186ref, EABI: aarch64, DATE: Sun Mar 19 15:19:21 UTC 2023\n")
    write(tmp_path / "proc/device-tree/model", "NVIDIA Orin NX Developer Kit\0")
    facts = gather_machine(root=tmp_path, run=FakeRun({}), which=lambda n: None,
                           nvml=fake_nvml(init_error="NVML Shared Library Not Found"),
                           platform_overrides={**LINUX, "machine": "aarch64"})
    assert facts.platform.jetson == "35.3.1" and facts.platform.arch == "aarch64"
    assert facts.nvidia.driver is None and facts.nvidia.kernel_module == "35.3.1"
    assert "kernel: the nvidia module reports 35.3.1, not a driver version (a Jetson L4T release?)" in facts.nvidia.errors
    assert facts.gpus == (Gpu(vendor="nvidia", name="NVIDIA Orin NX Developer Kit", kind="integrated", source="tegra"),)


def test_windows_two_identical_cards_enriched_by_nvml_and_a_stale_key_dropped(tmp_path):
    card = {"DriverDesc": "NVIDIA GeForce RTX 3090", "MatchingDeviceId": "PCI\\VEN_10DE&DEV_2204&SUBSYS_38801462"}
    adapters = [card, dict(card), dict(card), {"DriverDesc": "Intel(R) UHD Graphics 770",
                                               "MatchingDeviceId": "PCI\\VEN_8086&DEV_A780"}]
    nvml = fake_nvml()
    devices = [{"name": "NVIDIA GeForce RTX 3090", "cc": [8, 6], "mem_total": 25769803776,
                "pci_bus_id": f"00000000:{bus}:00.0", "pci_device_id": "0x220410de"} for bus in ("01", "02")]
    nvml.nvmlDeviceGetCount = lambda: 2
    nvml.nvmlDeviceGetHandleByIndex = lambda i: devices[i]
    facts = gather_machine(root=tmp_path, run=FakeRun({}), nvml=nvml, which=lambda n: None,
                           windows_adapters=lambda: adapters,
                           platform_overrides={**LINUX, "system": "Windows", "machine": "AMD64"})
    assert [(g.vendor, g.pci_bus_id, g.capability, g.source) for g in facts.gpus] == [
        ("nvidia", "0000:01:00.0", (8, 6), "nvml"), ("nvidia", "0000:02:00.0", (8, 6), "nvml"),
        ("intel", None, None, "registry")]
    assert facts.pci is None and facts.platform.arch == "x86_64"


def test_windows_without_nvml_keeps_registry_gpus(tmp_path):
    adapters = [{"DriverDesc": "AMD Radeon RX 6800", "MatchingDeviceId": "PCI\\VEN_1002&DEV_73BF"}]
    facts = gather_machine(root=tmp_path, run=FakeRun({}), which=lambda n: None, windows_adapters=lambda: adapters,
                           nvml=fake_nvml(init_error="NVML Shared Library Not Found"),
                           platform_overrides={**LINUX, "system": "Windows", "machine": "AMD64"})
    assert [(g.vendor, g.name) for g in facts.gpus] == [("amd", "AMD Radeon RX 6800")]
    assert facts.nvidia.errors == ("NVML: NVML Shared Library Not Found", "nvidia-smi: not found")


def test_windows_adapter_without_a_description_is_named_from_its_pci_id(tmp_path):
    adapters = [{"MatchingDeviceId": "PCI\\VEN_10DE&DEV_2520&SUBSYS_0A671028"}]  # no DriverDesc value
    facts = gather_machine(root=tmp_path, run=FakeRun({}), which=lambda n: None, windows_adapters=lambda: adapters,
                           nvml=fake_nvml(init_error="NVML Shared Library Not Found"),
                           platform_overrides={**LINUX, "system": "Windows", "machine": "AMD64"})
    assert [(g.vendor, g.name, g.source) for g in facts.gpus] == [
        ("nvidia", "GA106M [GeForce RTX 3060 Mobile / Max-Q]", "registry")]

