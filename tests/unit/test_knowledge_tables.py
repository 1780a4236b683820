"""The tables that hold what used to be constants in code, through their typed accessors: ROCm overrides,
the WSL GPU kernel floor, NVSwitch system names, CUDA library wheels, the VC++ redistributable, Intel PCI
id ranges. Each is read on first use, never by `load()`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from torchdoctor.knowledge import builds, intel_pci, libraries, load, nvswitch, rocm, windows, wsl

KDIR = Path(__file__).resolve().parents[2] / "torchdoctor" / "knowledge"
SOURCES = json.loads((KDIR / "sources.json").read_text(encoding="utf-8"))["sources"]


# ---------------------------------------------------------------- ROCm: HSA_OVERRIDE_GFX_VERSION

def test_the_override_table_is_the_one_the_checks_used():
    assert [(o.family, o.value, o.target) for o in rocm.gfx_overrides()] == [
        ("gfx103", "10.3.0", "gfx1030"), ("gfx110", "11.0.0", "gfx1100"), ("gfx115", "11.0.0", "gfx1100"),
        ("gfx120", "12.0.1", "gfx1201")]
    for o in rocm.gfx_overrides():
        assert o.source and all(key in SOURCES for key in o.source), o
        assert rocm.override_target(o.value) == o.target  # the value names the target it claims
        assert o.target.startswith(o.family[:-1])  # same GFX major: ROCm refuses an override across majors


@pytest.mark.parametrize("gfx, value, target", [
    ("gfx1031", "10.3.0", "gfx1030"), ("gfx1032", "10.3.0", "gfx1030"), ("gfx1030", "10.3.0", "gfx1030"),
    ("gfx1102", "11.0.0", "gfx1100"), ("gfx1151", "11.0.0", "gfx1100"), ("gfx1200", "12.0.1", "gfx1201"),
    ("gfx1031:xnack-", "10.3.0", "gfx1030"),
])
def test_gfx_override_by_family(gfx, value, target):
    o = rocm.gfx_override(gfx)
    assert (o.value, o.target) == (value, target)
    assert load().gfx_override(gfx) == o


def test_no_override_for_a_gfx_outside_the_table():
    for gfx in ("gfx906", "gfx90a", "gfx1010", "gfx942", "gfx1250", ""):
        assert rocm.gfx_override(gfx) is None, gfx


def test_an_override_only_to_a_target_the_build_has():
    build = {"gfx900", "gfx906", "gfx1100", "gfx1201"}
    assert rocm.gfx_override("gfx1031", build) is None  # gfx1030 is not in this build
    assert rocm.gfx_override("gfx1102", build).target == "gfx1100"
    assert load().gfx_override("gfx1031", {"gfx1030"}).value == "10.3.0"
    assert load().gfx_override("gfx1031", set()) is None


@pytest.mark.parametrize("value, target", [
    ("10.3.0", "gfx1030"), ("11.0.0", "gfx1100"), ("12.0.1", "gfx1201"), ("9.0.10", "gfx90a"),
    ("9.4.2", "gfx942"), (" 11.0.2 ", "gfx1102"), ("11.5.1", "gfx1151"),
    ("11", None), ("10.3", None), ("gfx1030", None), ("", None), (None, None),
])
def test_override_target_reads_major_minor_stepping(value, target):
    assert rocm.override_target(value) == target


# ---------------------------------------------------------------- WSL

def test_wsl_gpu_kernel_floor():
    floor = wsl.gpu_kernel_floor()
    assert floor.version == (5, 10, 43, 3) and str(floor) == "5.10.43.3"
    assert (5, 10, 16, 3) < floor.version <= (5, 10, 43, 3) < (5, 15, 90, 1)
    assert floor.source and all(key in SOURCES for key in floor.source)


# ---------------------------------------------------------------- builds (the planner's constants)

def test_builds_hold_the_planners_old_constants():
    jetson = builds.jetson()
    assert jetson.capabilities == {(5, 3), (6, 2), (7, 2), (8, 7)} and jetson.sbsa_capabilities == {(11, 0)}
    assert jetson.name_words == ("jetson", "orin", "xavier", "tegra")
    assert builds.xpu_os() == {"arc": ("linux", "windows"), "integrated-arc": ("linux", "windows"),
                               None: ("linux", "windows"), "datacenter": ("linux",)}
    (cu126,) = builds.retired_variants()
    assert (cu126.variant, cu126.family, cu126.last_series, cu126.below_cc, cu126.kernels) == \
        ("cu126", "CUDA 12.x", "2.14", (7, 5), "Maxwell/Pascal/Volta")


# ---------------------------------------------------------------- NVSwitch systems

@pytest.mark.parametrize("name, nvswitch_system", [
    ("NVIDIA A100-SXM4-80GB", True), ("NVIDIA A100-SXM4-40GB", True), ("NVIDIA H100 80GB HBM3 SXM5", True),
    ("NVIDIA H800 SXM", True), ("NVIDIA A800-SXM4-80GB", True), ("NVIDIA H20 HGX", True),
    ("NVIDIA B300 SXM6 AC", True), ("NVIDIA GB200 SXM", True), ("HGX A100", True), ("SXM4 A100", True),
    ("NVIDIA DGX H100", True), ("NVIDIA H200", True), ("NVIDIA B200", True), ("nvidia h200", True),
    ("NVIDIA A100 80GB PCIe", False), ("NVIDIA H100 PCIe", False), ("NVIDIA H100 80GB HBM3", False),
    ("NVIDIA H800", False), ("HGX H800", False), ("NVIDIA GeForce RTX 4090", False), ("NVIDIA H2000", False),
    ("", False), (None, False),
])
def test_nvswitch_system_names(name, nvswitch_system):
    assert nvswitch.is_nvswitch_system(name) is nvswitch_system


def test_nvswitch_pattern_is_built_from_the_table_and_cited():
    assert nvswitch.nvswitch_pattern() is nvswitch.nvswitch_pattern()  # compiled once
    assert nvswitch.nvswitch_sources() and all(key in SOURCES for key in nvswitch.nvswitch_sources())


# ---------------------------------------------------------------- CUDA libraries and their wheels

@pytest.mark.parametrize("filename, wheel", [
    ("libcudnn.so.9", "nvidia-cudnn"), ("libcudnn_graph.so.9", "nvidia-cudnn"), ("libcublasLt.so.12", "nvidia-cublas"),
    ("libcusparseLt.so.0", "nvidia-cusparselt"), ("libcusparse.so.12", "nvidia-cusparse"),
    ("libnccl.so.2", "nvidia-nccl"), ("libnvJitLink.so.12", "nvidia-nvjitlink"), ("libcudart.so.12", "nvidia-cuda-runtime"),
    ("libnvrtc.so.12", "nvidia-cuda-nvrtc"), ("libcupti.so.12", "nvidia-cuda-cupti"), ("libcufile.so.0", "nvidia-cufile"),
    ("libnvshmem_host.so.3", "nvidia-nvshmem"), ("libnvToolsExt.so.1", "nvidia-nvtx"), ("libcurand.so.10", "nvidia-curand"),
    ("libcufft.so.11", "nvidia-cufft"), ("libcusolver.so.11", "nvidia-cusolver"),
    ("libcuda.so.1", None), ("libtorch_cuda.so", None), ("libgomp.so.1", None),
])
def test_wheel_for_library(filename, wheel):
    assert libraries.wheel_for_library(filename) == wheel


@pytest.mark.parametrize("text, library, wheel", [
    (" ncclCommRegister", "NCCL", "nvidia-nccl"), ("version libnccl.so.2", "NCCL", "nvidia-nccl"),
    (" __nvJitLinkAddData_12_1, version libnvJitLink.so.12", "nvJitLink", "nvidia-nvjitlink"),
    (" cusparseSpSM_analysis, version libcusparse.so.11", "cuSPARSE", "nvidia-cusparse"),
    (" cublasLtGetStatusString, version libcublasLt.so.12", "cuBLAS", "nvidia-cublas"),
    (" cudnnGetLibConfig", "cuDNN", "nvidia-cudnn"), (" iJIT_NotifyEvent", "MKL", None),
    (" _ZN3c104impl8GPUTrace", None, None), (" nccl", None, None),
])
def test_library_of_symbol(text, library, wheel):
    found = libraries.library_of_symbol(text)
    assert ((found.library, found.wheel) if found else (None, None)) == (library, wheel)
    if found:
        assert found.source and all(key in SOURCES for key in found.source)


# ---------------------------------------------------------------- Windows

def test_vc_redist():
    redist = windows.vc_redist()
    assert redist.url == "https://aka.ms/vc14/vc_redist.x64.exe"
    assert redist.winget_id == "Microsoft.VCRedist.2015+.x64" and redist.arch == "x64"
    assert redist.source and all(key in SOURCES for key in redist.source)


# ---------------------------------------------------------------- Intel PCI ids

@pytest.mark.parametrize("device, kind", [
    (0x5690, "arc"), (0x56A0, "arc"), (0x56BF, "arc"), (0x56C0, "datacenter"), (0x56C2, "datacenter"),
    (0xE202, "arc"), (0xE20B, "arc"), (0xE22F, "arc"), (0x0B69, "datacenter"), (0x0B6E, "datacenter"),
    (0x0BD0, "datacenter"), (0x0BD5, "datacenter"), (0x0BDB, "datacenter"), (0x4905, "discrete"), (0x4909, "discrete"),
    (0x0BDC, None), (0x0BE1, None), (0x56C3, None), (0x490A, None), (0x7D55, None), (0xE230, None),
])
def test_intel_kind_of_device(device, kind):
    assert intel_pci.kind_of_device(device) == kind


def test_intel_ids_pvc_shares_with_the_atom_igpu():
    assert intel_pci.igpu_address() == "0000:00:02.0"
    for dev in (0x0BE0, 0x0BE1, 0x0BE5):
        assert intel_pci.kind_of_shared_id(dev, "0000:00:02.0") == "integrated"
        assert intel_pci.kind_of_shared_id(dev, "0000:29:00.0") == "datacenter"
    assert intel_pci.kind_of_shared_id(0x0BE3, "0000:29:00.0") is None


# ---------------------------------------------------------------- load cost

def test_load_and_the_pci_probe_read_none_of_the_rare_tables():
    code = ("import sys\n"
            "from torchdoctor.knowledge import load, _read_cached\n"
            "import torchdoctor.probes.pci  # suggest imports it\n"
            "load()\n"
            "rare = ('rocm', 'wsl', 'nvswitch', 'windows', 'libraries', 'intel_pci', 'builds')\n"
            "print(sorted(m for m in sys.modules if m.rsplit('.', 1)[-1] in rare), _read_cached.cache_info().currsize)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True).stdout
    assert out.split() == ["[]", "0"], out


# ---------------------------------------------------------------- shipped in the wheel

def test_every_table_and_py_typed_is_package_data():
    import fnmatch
    import re

    text = (KDIR.parents[1] / "pyproject.toml").read_text(encoding="utf-8")
    globs = re.findall(r'"([^"]+)"', re.search(r"\[tool\.setuptools\.package-data\]\s*torchdoctor = \[(.*?)\]",
                                               text, re.S).group(1))
    assert (KDIR.parent / "py.typed").is_file() and "py.typed" in globs
    tables = [p.name for p in KDIR.iterdir() if p.suffix not in (".py", ".md", ".pyc") and p.name != "__pycache__"]
    assert {"rocm.json", "wsl.json", "nvswitch.json", "windows.json", "libraries.json", "intel_pci.json",
            "pci_ids.tsv"} <= set(tables)
    for name in tables:
        if (KDIR / name).is_dir():  # a folder of tables (the message catalogue): each file must ship
            for entry in (KDIR / name).iterdir():
                assert any(fnmatch.fnmatch(f"knowledge/{name}/{entry.name}", g) for g in globs), \
                    f"{name}/{entry.name} would not ship in the wheel"
            continue
        assert any(fnmatch.fnmatch(f"knowledge/{name}", g) for g in globs), f"{name} would not ship in the wheel"
