"""The knowledge tables: well-formed, sourced, and answering the API the other modules use."""

import json
from pathlib import Path

import pytest

from torchdoctor.knowledge import cuda_of, gpu_runs_on, load

KDIR = Path(__file__).resolve().parents[2] / "torchdoctor" / "knowledge"


@pytest.fixture(scope="module")
def k():
    return load()


def test_every_table_has_as_of_and_every_row_a_known_source():
    sources = json.loads((KDIR / "sources.json").read_text())["sources"]
    for name in ("releases.json", "archs.json", "cuda.json", "gpus.json"):
        data = json.loads((KDIR / name).read_text())
        assert data["as_of"] == "2026-11-27", name
        rows = {"releases.json": data.get("releases"), "archs.json": data.get("rows"),
                "cuda.json": data.get("toolkit", []) + data.get("minor_version_compatibility", []),
                "gpus.json": data.get("gpus", []) + data.get("architectures", [])}[name]
        for row in rows:
            assert row["source"], (name, row)
            for key in row["source"]:
                assert key in sources, (name, key)
        if name == "releases.json":
            for rel in rows:
                for v in rel["variants"]:
                    assert all(key in sources for key in v["source"]), (rel["series"], v["name"])


def test_releases_span_1_13_to_2_15_newest_first(k):
    assert [r.series for r in k.releases][0] == "2.15"
    assert k.releases[-1].series == "1.13"
    assert len(k.releases) == 17
    assert k.release("2.7").version == "2.7.1"
    assert k.release("2.7.0").version == "2.7.1"  # the Release, whose newest patch is 2.7.1
    assert k.release("2.7.1+cu128").series == "2.7"
    assert k.release("2.16") is None and k.release("2.7.9") is None


def test_python_and_platform_facts(k):
    assert k.release("2.15").pythons == ("3.11", "3.12", "3.13", "3.14", "3.15")  # 3.10 dropped
    assert k.release("2.5").python_platforms("3.13") == ("linux-x86_64",)  # experimental, Linux only
    assert "macos-x86_64" in k.release("2.2").platforms  # 2.2.2: the last Intel-Mac release
    assert "macos-x86_64" not in k.release("2.3").platforms
    assert k.release("2.12").macos_min["macos-arm64"] == "14.0"
    assert k.release("2.11").macos_min["macos-arm64"] == "11.0"
    assert k.release("2.14").pypi_default["linux-x86_64"] == "cu130"  # audit: 13.0, not 13.2
    assert k.release("2.15").pypi_default["linux-x86_64"] == "cu132"
    assert k.release("2.11").pypi_default["linux-aarch64"] == "cu130"
    assert k.release("2.10").pypi_default["linux-aarch64"] == "cpu"


def test_variant_statuses_record_the_decisions(k):
    r215 = k.release("2.15")
    assert not r215.variant("cu130").offered  # download.pytorch.org 2.15 CUDA unconfirmed
    assert r215.variant("cpu").status == "inferred"
    assert k.release("2.13").variant("cu129").status == "unadvertised"
    assert k.release("2.14").variant("cu126").role == "legacy"
    assert {v.name for v in k.release("2.14").variants} >= {"rocm7.2", "rocm7.14", "xpu"}


def test_arch_lists_including_windows_and_aarch64_differences(k):
    assert k.arch_list("2.7.1", "cu128", "linux-x86_64")[-1] == "compute_120"
    assert "sm_50" in k.arch_list("2.7.1", "cu128", "windows-x86_64")
    assert "sm_50" not in k.arch_list("2.8.0", "cu126", "windows-x86_64")  # the 2.8.0 exception
    assert "sm_50" in k.arch_list("2.9.0", "cu126", "windows-x86_64")
    assert k.arch_list("2.12", "cu126", "linux-aarch64") == ("sm_80", "sm_90")
    assert "sm_110" in k.arch_list("2.14", "cu130", "linux-aarch64")
    assert "sm_70" not in k.arch_list("2.11", "cu128", "linux-x86_64")  # Volta dropped again
    assert "sm_70" in k.arch_list("2.10", "cu128", "linux-x86_64")
    assert k.arch_list("2.14", "cu132", "windows-x86_64") is None  # unknown stays unknown
    assert "gfx900" not in k.arch_list("2.14", "rocm7.14", "linux-x86_64")
    assert "gfx900" in k.arch_list("2.14", "rocm7.2", "linux-x86_64")


def test_driver_floors_and_native_cuda(k):
    assert k.driver_floor("12.6", "linux") == "525.60.13"
    assert k.driver_floor("12.8", "windows") == "527.41"
    assert k.driver_floor("11.8", "linux") == "450.80.02"
    assert k.driver_floor("13.2", "linux") == "580.65.06"
    assert k.driver_floor("13.0", "windows") == "580"
    assert k.toolkit_driver("12.8", "linux") == "570.26"
    assert k.max_cuda_for_driver("535.104.05", "linux") == "12.2"
    assert k.max_cuda_for_driver("470.82.01", "linux") == "11.4"
    assert k.max_cuda_for_driver("580.95.05", "linux") == "13.0"
    assert k.max_cuda_for_driver("garbage", "linux") is None


@pytest.mark.parametrize("cuda, linux, windows", [
    ("9.2", "396.26", "397.44"), ("10.0", "410.48", "411.31"), ("10.1", "418.39", "418.96"),
    ("10.2", "440.33", "441.22"),
])
def test_pre_cuda_11_floor_is_the_toolkit_driver(k, cuda, linux, windows):
    """No minor-version compatibility before CUDA 11: cu92..cu102 builds need their own toolkit's driver."""
    assert k.driver_floor(cuda, "linux") == linux
    assert k.driver_floor(cuda, "windows") == windows
    assert k.driver_floor(cuda, "linux") == k.toolkit_driver(cuda, "linux")


def test_max_cuda_for_a_1x_era_driver(k):
    assert k.max_cuda_for_driver("418.87.01", "linux") == "10.1"
    assert k.max_cuda_for_driver("440.33", "linux") == "10.2"
    assert k.max_cuda_for_driver("441.22", "windows") == "10.2"


@pytest.mark.parametrize("name, cc", [
    ("NVIDIA GeForce RTX 3090", (8, 6)), ("NVIDIA H200", (9, 0)), ("Tesla T4", (7, 5)),
    ("NVIDIA GeForce GTX 1080 Ti", (6, 1)), ("NVIDIA A10", (8, 6)), ("NVIDIA A100-SXM4-80GB", (8, 0)),
    ("NVIDIA GeForce RTX 5090", (12, 0)), ("NVIDIA L4", (8, 9)), ("NVIDIA L40S", (8, 9)),
    ("Tesla V100-SXM2-16GB", (7, 0)), ("Tesla K80", (3, 7)), ("NVIDIA B200", (10, 0)),
    ("NVIDIA GB10", (12, 1)), ("NVIDIA GeForce GTX 1650", (7, 5)), ("Tesla P100-PCIE-16GB", (6, 0)),
])
def test_gpu_capability(k, name, cc):
    assert k.gpu_capability(name) == cc


@pytest.mark.parametrize("name, cc", [
    # pci.ids: "<chip> [<product>]" (matched on the product; the chip separates the two TITAN X)
    ("GA102 [GeForce RTX 3090]", (8, 6)), ("TU117M [GeForce GTX 1650 Mobile / Max-Q]", (7, 5)),
    ("GA102GL [RTX A6000]", (8, 6)), ("AD102GL [RTX 6000 Ada Generation]", (8, 9)),
    ("TU104GL [Tesla T4]", (7, 5)), ("GK110BGL [Tesla K40m]", (3, 5)), ("GK210GL [Tesla K80]", (3, 7)),
    ("GA100 [A100 SXM4 80GB]", (8, 0)), ("GH100 [H100 SXM5 80GB]", (9, 0)), ("GV100 [TITAN V]", (7, 0)),
    ("GP102 [TITAN X]", (6, 1)), ("GM200 [GeForce GTX TITAN X]", (5, 2)), ("GM107M [GeForce GTX 960M]", (5, 0)),
    # NVML / nvidia-smi / collect_env
    ("NVIDIA GeForce RTX 5090 Laptop GPU", (12, 0)), ("NVIDIA GeForce RTX 4060 Laptop GPU", (8, 9)),
    ("NVIDIA RTX 4000 SFF Ada Generation", (8, 9)), ("NVIDIA RTX 3500 Ada Generation Laptop GPU", (8, 9)),
    ("NVIDIA RTX A500 Laptop GPU", (8, 6)), ("NVIDIA TITAN X (Pascal)", (6, 1)), ("Tesla K20Xm", (3, 5)),
    ("NVIDIA GeForce GTX 970M", (5, 2)),
    # Windows display adapter names
    ("NVIDIA GeForce GTX 1650 with Max-Q Design", (7, 5)), ("NVIDIA GeForce RTX 2080 Super with Max-Q Design", (7, 5)),
])
def test_gpu_capability_name_shapes(k, name, cc):
    assert k.gpu_capability(name) == cc


@pytest.mark.parametrize("a, b", [
    ("NVIDIA RTX A6000", "NVIDIA RTX 6000 Ada Generation"), ("Quadro RTX 6000", "NVIDIA RTX 6000 Ada Generation"),
    ("NVIDIA RTX 6000 Ada Generation", "NVIDIA RTX PRO 6000 Blackwell Workstation Edition"),
    ("NVIDIA GeForce GTX 1650", "NVIDIA GeForce GTX 1060"), ("Tesla T4", "Tesla K40"),
    ("NVIDIA GeForce GTX 960M", "NVIDIA GeForce GTX 960"), ("GP102 [TITAN X]", "GM200 [GeForce GTX TITAN X]"),
])
def test_similar_names_do_not_share_a_capability(k, a, b):
    assert k.gpu_capability(a) and k.gpu_capability(b) and k.gpu_capability(a) != k.gpu_capability(b)


@pytest.mark.parametrize("name", ["NVIDIA GeForce GT 730", "GF108 [GeForce GT 730]", "NVIDIA TITAN X",
                                  "Navi 21 [Radeon RX 6800/6800 XT / 6900 XT]", "Matrox G200eW"])
def test_names_without_an_nvidia_capability_stay_unknown(k, name):
    """Ambiguous (GT 730: Kepler or Fermi; TITAN X: Maxwell or Pascal), Fermi, AMD, or not a GPU we know."""
    assert k.gpu_capability(name) is None


@pytest.mark.parametrize("name, cc", [("Quadro P4000", (6, 1)), ("GK208B [GeForce GT 710]", (3, 5)),
                                      ("GK208B [GeForce GT 730]", (3, 5))])
def test_names_the_old_table_refused(k, name, cc):
    assert k.gpu_capability(name) == cc


def test_gpu_capability_unknown_and_architecture_names(k):
    assert k.gpu_capability("Matrox G200eW") is None
    assert k.architecture_name((6, 1)) == "Pascal"
    assert k.architecture_name((12, 0)) == "Blackwell"
    assert k.architecture((3, 7))["last_driver_branch"] == "470"


def test_companions(k):
    assert k.companion("2.7.1", "torchvision") == "0.22.1"
    assert k.companion("2.0.0", "torchaudio") == "2.0.1"
    assert k.companion("2.11", "torchaudio") == "2.11.0"
    assert k.companion("2.12.1", "torchaudio") is None  # no torchaudio after 2.11
    assert k.companion("2.15", "torchvision") is None


def test_gpu_runs_on_rules():
    assert gpu_runs_on((6, 1), ["sm_60"])  # same major, higher minor
    assert gpu_runs_on((8, 9), ["sm_80", "sm_86"])
    assert not gpu_runs_on((7, 5), ["sm_80", "sm_86"])
    assert not gpu_runs_on((12, 0), ["sm_90", "sm_100"])  # a newer major needs PTX
    assert gpu_runs_on((12, 0), ["sm_90", "compute_90"])
    assert not gpu_runs_on((8, 0), ["compute_90"])  # PTX never runs backwards
    assert gpu_runs_on((12, 1), ["sm_120"])
    assert not gpu_runs_on((8, 6), [])


def test_cuda_of_and_toolkit_support(k):
    assert cuda_of("cu118") == "11.8" and cuda_of("cu132") == "13.2" and cuda_of("cpu") is None
    assert k.cuda_supports_gpu("12.6", (12, 0)) is False  # Blackwell needs 12.8+
    assert k.cuda_supports_gpu("12.8", (12, 0)) is True
    assert k.cuda_supports_gpu("13.0", (6, 1)) is False  # CUDA 13 dropped Pascal
    assert k.cuda_supports_gpu("12.6", (6, 1)) is True
