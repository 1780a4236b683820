"""Pure checks on recorded facts: each id fires on the real symptom and stays quiet when healthy."""

from __future__ import annotations

import pytest

from torchdoctor.checks import CHECKS, ORDER, run_one
from torchdoctor.checks.registry import Check
from torchdoctor.findings import error
from torchdoctor.facts import (Distribution, Facts, Gpu, NvidiaFacts, PciDevice, PlatformFacts, PythonFacts,
                               RuntimeDevice, TorchRuntime)

from helpers.check_machines import GTX1080, H200, K, RTX5090, TAG, judge, machine, rt_ok, torch_dist  # noqa: F401


def test_a_healthy_machine_has_no_problems():
    found = judge(machine())
    assert {f.severity for f in found.values()} <= {"ok", "info"}
    assert list(found) == list(ORDER)


def test_every_issue_id_is_registered():
    ids = {c.id for c in CHECKS}
    for required in ("python.unsupported", "torch.not_installed", "torch.import_failed", "torch.shadowed",
                     "torch.multiple_installs", "torch.wheel_mismatch", "torch.cpu_build_with_gpu",
                     "cuda.driver_too_old", "cuda.gpu_arch_unsupported", "cuda.no_driver", "cuda.nvml_mismatch",
                     "cuda.visible_devices", "cuda.init_failed", "torchvision.mismatch", "torchaudio.mismatch",
                     "numpy.missing", "numpy.abi", "mps.unavailable", "rocm.gfx_unsupported"):
        assert required in ids


def test_python_32_bit_and_too_old():
    f = judge(machine(python=PythonFacts("3.7.9", bits=32), runtime=TorchRuntime("not_installed"), distributions=()))
    assert f["python.unsupported"].severity == "error" and "32-bit" in f["python.unsupported"].message
    f = judge(machine(python=PythonFacts("3.6.15"), runtime=TorchRuntime("not_installed"), distributions=()))
    assert f["python.unsupported"].severity == "error" and "1.10.2" in f["python.unsupported"].message


def test_not_installed_gets_a_planner_command():
    f = judge(machine(distributions=(), runtime=TorchRuntime("not_installed")))["torch.not_installed"]
    assert f.severity == "error" and f.fix.commands and "torch" in f.fix.commands[-1]
    assert not any("uninstall" in c for c in f.fix.commands)


def test_import_failed_kinds():
    def failed(err, kind, etype="ImportError"):
        return judge(machine(runtime=TorchRuntime("import_failed", error=err, error_type=etype, error_kind=kind),
                             distributions=(torch_dist("2.7.1+cu128"),)))["torch.import_failed"]

    f = failed("libcudnn.so.9: cannot open shared object file: No such file or directory", "missing_library")
    assert f.severity == "error" and "nvidia-cudnn" in f.message
    f = failed("[WinError 1114] A dynamic link library (DLL) initialization routine failed. Error loading "
               '"E:\\python\\Lib\\site-packages\\torch\\lib\\c10.dll" or one of its dependencies.', "dll_init", "OSError")
    assert "Visual C++ Redistributable" in f.fix.summary
    f = failed("libtorch_cpu.so: undefined symbol: iJIT_NotifyEvent", "undefined_symbol")
    assert "mkl" in f.message and any("mkl<2024.1" in c for c in f.fix.commands)
    crash = judge(machine(runtime=TorchRuntime("crashed", error="import torch was killed by SIGSEGV",
                                               error_kind="signal")))["torch.import_failed"]
    assert "SIGSEGV" in crash.message and "faulthandler" in crash.fix.commands[0]


def test_shadowed_and_multiple_installs():
    f = judge(machine(shadowing=("~/project/torch.py",)))
    assert f["torch.shadowed"].severity == "error" and "~/project/torch.py" in f["torch.shadowed"].message
    two = (torch_dist("2.7.1+cu128"), Distribution("torch", "2.5.1", location="~/miniconda3/conda-meta",
                                                   installer="conda"))
    m = judge(machine(distributions=two, runtime=rt_ok("2.7.1+cu128", "12.8")))["torch.multiple_installs"]
    assert m.severity == "error" and "pip and conda side by side" in m.message
    assert "conda remove --force pytorch" in m.fix.commands


def test_pypi_cuda_wheel_metadata_without_local_tag_is_one_install():
    # PyPI's CUDA wheel: metadata 2.11.0, torch.__version__ 2.11.0+cu130 (both captured on the H200)
    f = judge(machine(distributions=(torch_dist("2.11.0"),), runtime=rt_ok("2.11.0+cu130", "13.0")))
    assert f["torch.multiple_installs"].severity == "ok", f["torch.multiple_installs"]


@pytest.mark.parametrize("meta, imported", [("2.10.0", "2.11.0+cu130"), ("2.11.0+cu128", "2.11.0+cu130")])
def test_files_of_two_builds_mixed(meta, imported):
    f = judge(machine(distributions=(torch_dist(meta),), runtime=rt_ok(imported, "13.0")))["torch.multiple_installs"]
    assert f.severity == "error" and "mixed" in f.message and meta in f.message and imported in f.message


def test_an_import_that_could_not_be_tried_is_skipped_not_ok():
    f = judge(machine(runtime=TorchRuntime("not_run", error="python: permission denied")))["torch.import_failed"]
    assert f.severity == "skipped" and "permission denied" in f.message


def test_an_interpreter_that_dies_before_import_is_not_blamed_on_torch():
    rt = TorchRuntime("crashed", error="ended the interpreter with exit status 3", error_kind="interpreter")
    f = judge(machine(runtime=rt, extra={"target_python": "~/venv/bin/python"}))["torch.import_failed"]
    assert f.severity == "error" and "before `import torch` ran" in f.message
    assert f.fix.commands == ("~/venv/bin/python -c pass",)


def test_fix_commands_name_the_diagnosed_interpreter_and_its_pip():
    rt = TorchRuntime("crashed", error="was killed by SIGSEGV", error_kind="other")
    f = judge(machine(runtime=rt, extra={"target_python": "~/venv/bin/python"}))["torch.import_failed"]
    assert f.fix.commands[0].startswith("~/venv/bin/python -X faulthandler")
    assert all(c.startswith("~/venv/bin/python") for c in f.fix.commands), f.fix.commands
    plain = judge(machine(runtime=rt))["torch.import_failed"]
    assert not any(c.startswith(("pip ", "pip3 ")) for c in plain.fix.commands), plain.fix.commands


def test_duplicate_installs_from_a_report_without_locations_or_arch():
    # pt28321: collect_env lists pip and conda torch, says neither where nor which CPU
    two = (Distribution("torch", "1.2.0", installer="pip"), Distribution("torch", "1.3.0", installer="conda"))
    f = judge(machine(origin="collect_env:x.txt", platform=PlatformFacts("linux", "unknown"), distributions=two,
                      runtime=rt_ok("1.3.0", "10.1")))["torch.multiple_installs"]
    assert "None" not in f.message and "torch 1.2.0 (pip)" in f.message
    assert "CPU architecture is not known" in f.fix.summary
    assert f.fix.commands == ("python -m pip uninstall -y torch", "conda remove --force pytorch")


def test_wheel_mismatch():
    f = judge(machine(distributions=(torch_dist(wheel_tags=("cp312-cp312-manylinux_2_28_x86_64",)),),
                      runtime=TorchRuntime("import_failed", error="x", error_kind="other")))
    assert f["torch.wheel_mismatch"].severity == "error" and "cp312" in f["torch.wheel_mismatch"].message
    win = machine(platform=PlatformFacts("windows", "x86_64"),
                  distributions=(torch_dist(wheel_tags=("cp311-cp311-win_amd64",)),))
    assert judge(win)["torch.wheel_mismatch"].severity == "ok"


def test_cpu_build_on_a_gpu_machine_is_a_warning_with_a_cuda_command():
    f = judge(machine(gpus=(H200,), nvidia=NvidiaFacts(driver="580.159.04", cuda_driver="13.0")))
    c = f["torch.cpu_build_with_gpu"]
    assert c.severity == "warning" and "NVIDIA H200" in c.message
    assert "uninstall -y torch" in c.fix.commands[0] and c.fix.commands[-1] != c.fix.commands[0]


def test_driver_too_old_for_the_build():
    f = judge(machine(gpus=(H200,), nvidia=NvidiaFacts(driver="535.104.05"),
                      distributions=(torch_dist("2.10.0+cu130"),), runtime=rt_ok("2.10.0+cu130", "13.0",
                                                                                  cuda_available=False)))
    d = f["cuda.driver_too_old"]
    assert d.severity == "error" and "535.104.05" in d.message and "580" in d.message
    assert f["cuda.init_failed"].severity == "ok"  # one cause, one finding


def test_driver_too_old_from_the_warning_text_alone():
    warn = ("CUDA initialization: The NVIDIA driver on your system is too old (found version 11040). Please update "
            "your GPU driver by downloading and installing a new version from the URL: "
            "http://www.nvidia.com/Download/index.aspx")
    f = judge(machine(nvidia=NvidiaFacts(), runtime=rt_ok("2.1.0+cu121", "12.1", warnings=(warn,)),
                      distributions=(torch_dist("2.1.0+cu121"),)))["cuda.driver_too_old"]
    assert f.severity == "error" and "11.4" in f.message


@pytest.mark.parametrize("gpu,torch,cuda,archs", [
    (RTX5090, "2.6.0+cu126", "12.6", ("sm_50", "sm_60", "sm_70", "sm_75", "sm_80", "sm_86", "sm_90")),
    (GTX1080, "2.11.0+cu130", "13.0", ("sm_75", "sm_80", "sm_86", "sm_90", "sm_100", "sm_120")),
])
def test_gpu_arch_not_in_the_build(gpu, torch, cuda, archs):
    f = judge(machine(gpus=(gpu,), nvidia=NvidiaFacts(driver="580.159.04"), distributions=(torch_dist(torch),),
                      runtime=rt_ok(torch, cuda, cuda_available=True, device_count=1, arch_list=archs)))
    a = f["cuda.gpu_arch_unsupported"]
    assert a.severity == "error" and f"sm_{gpu.capability[0]}{gpu.capability[1]}" in a.message


def test_h200_on_its_real_build_is_fine():
    archs = ("sm_75", "sm_80", "sm_86", "sm_90", "sm_100", "sm_120")
    f = judge(machine(gpus=(H200,), nvidia=NvidiaFacts(driver="580.159.04", cuda_driver="13.0"),
                      distributions=(torch_dist("2.11.0+cu130"),),
                      runtime=rt_ok("2.11.0+cu130", "13.0", cuda_available=True, device_count=1, arch_list=archs,
                                    devices=(RuntimeDevice(0, "NVIDIA H200", (9, 0), 143155),)),
                      device_nodes=("/dev/nvidia0", "/dev/nvidiactl")))
    assert {x.severity for x in f.values()} <= {"ok", "info"}, [x for x in f.values() if x.severity != "ok"]


def test_no_driver_with_secure_boot_hint_and_nvml_mismatch():
    pci = (PciDevice("0000:01:00.0", "10de", "2684", "0x030000", driver=None),)
    f = judge(machine(pci=pci, nvidia=NvidiaFacts(errors=("nvidia-smi: not found",))))["cuda.no_driver"]
    assert f.severity == "error" and "Secure Boot" in f.message and "mokutil --sb-state" in f.fix.commands
    mm = judge(machine(gpus=(H200,), nvidia=NvidiaFacts(errors=("NVML: Failed to initialize NVML: Driver/library "
                                                                  "version mismatch",))))
    assert mm["cuda.nvml_mismatch"].severity == "error" and "reboot" in mm["cuda.nvml_mismatch"].fix.summary.lower()
    assert mm["cuda.no_driver"].severity == "ok"


@pytest.mark.parametrize("value,severity", [("", "warning"), ("-1", "warning"), ("7", "error"), ("0", "ok"),
                                            ("GPU-3ea7b743", "ok")])
def test_visible_devices(value, severity):
    f = judge(machine(gpus=(H200,), env={"CUDA_VISIBLE_DEVICES": value}))["cuda.visible_devices"]
    assert f.severity == severity


@pytest.mark.parametrize("text,word", [
    ("CUDA initialization: Unexpected error from cudaGetDeviceCount(). Did you run some cuda functions before "
     "calling NumCudaDevices() that might have already set an error? Error 804: forward compatibility was attempted "
     "on non supported HW", "804"),
    ("CUDA initialization: Unexpected error from cudaGetDeviceCount(). Error 802: system not yet initialized",
     "fabric"),
    ("CUDA initialization: CUDA unknown error - this may be due to an incorrectly set up environment, e.g. changing "
     "env variable CUDA_VISIBLE_DEVICES after program start. Setting the available devices to be zero.",
     "nvidia_uvm"),
])
def test_cuda_init_failures_are_named(text, word):
    f = judge(machine(gpus=(H200,), nvidia=NvidiaFacts(driver="580.159.04"),
                      distributions=(torch_dist("2.11.0+cu130"),),
                      runtime=rt_ok("2.11.0+cu130", "13.0", cuda_available=False, warnings=(text,))))
    i = f["cuda.init_failed"]
    assert i.severity == "error" and word.lower() in (i.message + " ".join(i.fix.commands) + i.fix.summary).lower()


def test_companion_mismatch():
    dists = (torch_dist("2.4.0+cu121"), Distribution("torchvision", "0.20.1+cu124", installer="pip"))
    f = judge(machine(distributions=dists, runtime=rt_ok("2.4.0+cu121", "12.1")))["torchvision.mismatch"]
    assert f.severity == "error" and "+cu121" in f.message and "+cu124" in f.message
    ok = (torch_dist("2.4.0+cu121"), Distribution("torchaudio", "2.4.0+cu121", requires=("torch==2.4.0",)))
    assert judge(machine(distributions=ok, runtime=rt_ok("2.4.0+cu121", "12.1")))["torchaudio.mismatch"].severity == "ok"


def test_numpy_missing_and_abi():
    warn = "UserWarning: Failed to initialize NumPy: No module named 'numpy'"
    f = judge(machine(runtime=rt_ok(warnings=(warn,))))["numpy.missing"]
    assert f.severity == "warning"
    old = (torch_dist("2.2.2+cpu"), Distribution("numpy", "2.1.0"))
    a = judge(machine(distributions=old, runtime=rt_ok("2.2.2+cpu", numpy="2.1.0")))["numpy.abi"]
    assert a.severity == "error" and 'numpy<2' in a.fix.commands[0]


def test_mps_under_rosetta():
    f = judge(machine(platform=PlatformFacts("macos", "x86_64", rosetta=True, machine_arch="arm64")))
    assert f["mps.unavailable"].severity == "error" and "Rosetta" in f["mps.unavailable"].message


MAC13 = PlatformFacts("macos", "arm64", os_version="macOS 13.7.4")


def test_mps_macos_too_old_for_this_torch():
    need = K.release("2.12").macos_min["macos-arm64"]  # the 2.12 wheels are tagged macosx_14_0
    f = judge(machine(platform=MAC13, distributions=(torch_dist("2.12.1", wheel_tags=()),),
                      runtime=rt_ok("2.12.1", mps_built=True, mps_available=False)))["mps.unavailable"]
    assert f.severity == "error" and f"macOS {need}" in f.message and "macOS 13.7.4" in f.message
    assert f.fix.commands and "torch" in f.fix.commands[-1]  # a release that still supports this macOS


def test_mps_on_a_new_enough_macos_is_not_blamed_on_the_os():
    old_enough = K.release("2.8").macos_min["macos-arm64"]
    assert tuple(map(int, old_enough.split("."))) < (13, 7)  # the 2.8 wheels are macOS 11+, its MPS 13.0+
    f = judge(machine(platform=MAC13, distributions=(torch_dist("2.8.0", wheel_tags=()),),
                      runtime=rt_ok("2.8.0", mps_built=True, mps_available=False)))["mps.unavailable"]
    assert f.severity == "warning" and "macOS 13.7.4" in f.message and "newer" not in f.message
    works = judge(machine(platform=PlatformFacts("macos", "arm64", os_version="macOS 14.5"),
                          distributions=(torch_dist("2.12.1", wheel_tags=()),),
                          runtime=rt_ok("2.12.1", mps_built=True, mps_available=True)))
    assert works["mps.unavailable"].severity == "ok"


def test_mps_unknown_in_a_report_is_skipped_with_the_reason():
    # collect_env has no MPS line: the doctor cannot tell, and says why
    f = judge(machine(origin="collect_env:x.txt", platform=MAC13, distributions=(torch_dist("2.8.0"),),
                      runtime=rt_ok("2.8.0")))["mps.unavailable"]
    assert f.severity == "skipped" and "does not say whether MPS is available" in f.message
    assert "macOS 13.7.4 meets the torch 2.8 minimum (macOS 11.0) and its MPS minimum (macOS 13.0)" in f.message


def test_mps_floor_above_the_wheel_floor_from_a_report():
    """pytorch/pytorch#164943: 2.10.0.dev20251008 imports on macOS 13.7.4, but its MPS needs macOS 14."""
    f = judge(machine(origin="collect_env:x.txt", platform=MAC13, distributions=(torch_dist("2.10.0.dev20251008"),),
                      runtime=rt_ok("2.10.0.dev20251008")))["mps.unavailable"]
    assert f.severity == "error" and "MPS backend needs macOS 14.0 or newer" in f.message
    assert "macOS 13.7.4" in f.message and "CPU only" in f.message


def test_mps_floor_of_the_first_mps_releases():
    mac12 = PlatformFacts("macos", "arm64", os_version="macOS 12.2.1")
    f = judge(machine(platform=mac12, distributions=(torch_dist("2.0.1", wheel_tags=()),),
                      runtime=rt_ok("2.0.1", mps_built=True, mps_available=False)))["mps.unavailable"]
    assert f.severity == "error" and "needs macOS 12.3 or newer" in f.message
    ok = judge(machine(platform=PlatformFacts("macos", "arm64", os_version="macOS 12.6"),
                       distributions=(torch_dist("2.4.1", wheel_tags=()),),
                       runtime=rt_ok("2.4.1", mps_built=True, mps_available=False)))["mps.unavailable"]
    assert ok.severity == "warning" and "macOS 12.3 or newer" in ok.fix.summary


def test_rocm_gfx_with_override_guidance():
    gpu = Gpu("amd", "AMD Radeon RX 6700 XT", gfx="gfx1031", source="kfd")
    f = judge(machine(gpus=(gpu,), distributions=(torch_dist("2.7.1+rocm6.3"),),
                      runtime=rt_ok("2.7.1+rocm6.3", hip="6.3", arch_list=("gfx900", "gfx1030", "gfx1100"))))
    r = f["rocm.gfx_unsupported"]
    assert r.severity == "error" and "export HSA_OVERRIDE_GFX_VERSION=10.3.0" in r.fix.commands


def test_container_without_gpu_devices():
    pci = (PciDevice("0000:01:00.0", "10de", "2335", "0x030200"),)
    f = judge(machine(platform=PlatformFacts("linux", "x86_64", container="docker"), pci=pci,
                      distributions=(torch_dist("2.11.0+cu130"),), runtime=rt_ok("2.11.0+cu130", "13.0")))
    assert f["container.gpu_devices"].severity == "error" and "--gpus all" in f["container.gpu_devices"].fix.commands[0]
    assert f["cuda.no_driver"].severity == "ok"


def test_wsl_without_dxg():
    f = judge(machine(platform=PlatformFacts("linux", "x86_64", wsl=True), distributions=(torch_dist("2.11.0+cu130"),),
                      runtime=rt_ok("2.11.0+cu130", "13.0")))
    assert f["wsl.gpu"].severity == "error"


def test_missing_facts_skip_and_a_broken_check_crashes_alone():
    f = judge(Facts(origin="collect_env:x.txt", python=PythonFacts("3.11.7")))
    assert f["torch.shadowed"].severity == "skipped" and "live machine" in f["torch.shadowed"].message
    assert f["torch.not_installed"].message == "needs the installed package list"

    def boom(facts, k):
        raise KeyError("bug")

    crashed = run_one(Check("x.boom", "PyTorch", "t", (), boom), machine(), K)
    assert crashed.severity == "crashed" and "KeyError" in crashed.detail
    fine = run_one(Check("x.fine", "PyTorch", "t", (), lambda f, k: error("m")), machine(), K)
    assert fine.severity == "error" and fine.id == "x.fine"
