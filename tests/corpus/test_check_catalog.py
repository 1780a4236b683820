"""The failure catalog's real error texts, end to end through the parent's parser.

Each case is the answer the runtime child would print (its JSON, its stderr) for a failure users
reported verbatim (the catalog entry is named in each test); `from_child` turns it into facts exactly
as a live `check` does, and the judges must name the right finding, with the real values and a fix
that is correct for that cause.
"""

from __future__ import annotations

import pytest

from helpers.check_machines import H200, RTX5090, judge, machine, torch_dist
from torchdoctor.child import ChildResult
from torchdoctor.facts import Distribution, Gpu, NvidiaFacts, PlatformFacts
from torchdoctor.probes.torch_runtime import from_child

H200_DRIVER = NvidiaFacts(driver="580.159.04", cuda_driver="13.0")


def runtime(answer: dict, stderr: str = "", status: str = "ok"):
    """What the parent makes of one child answer (the real parsing path)."""
    data = {"stage": "done", "python": {"version": "3.11.7"}, "warnings": [], **answer}
    return from_child(ChildResult(status, data, "", stderr, 0, 1.0), 60.0).runtime


def import_error(error: str, error_type: str = "ImportError", tail: str = ""):
    return runtime({"status": "import_failed", "error_type": error_type, "error": error, "traceback_tail": tail})


def imported(version: str, cuda: str | None, warnings=(), stderr: str = "", **kw):
    return runtime({"status": "ok", "version": version, "cuda": cuda, "warnings": list(warnings), **kw}, stderr)


def text(finding) -> str:
    return " ".join([finding.message, finding.fix.summary if finding.fix else "",
                     *(finding.fix.commands if finding.fix else ())])


# ---- 29: CUDA library not found ----------------------------------------------------------------

@pytest.mark.parametrize("error, lib, wheel", [
    ("libcudnn.so.9: cannot open shared object file: No such file or directory", "libcudnn.so.9", "nvidia-cudnn"),
    ("libcublas.so.12: cannot open shared object file: No such file or directory", "libcublas.so.12",
     "nvidia-cublas"),
    ("libcublasLt.so.12: cannot open shared object file: No such file or directory", "libcublasLt.so.12",
     "nvidia-cublas"),
    ("libcurand.so.10: cannot open shared object file: No such file or directory", "libcurand.so.10",
     "nvidia-curand"),
])
def test_29_missing_cuda_library_names_the_wheel_and_reinstalls_with_deps(error, lib, wheel):
    rt = import_error(error, "OSError" if "curand" in error else "ImportError")
    assert rt.error_kind == "missing_library"
    f = judge(machine(runtime=rt, gpus=(H200,), nvidia=H200_DRIVER,
                      distributions=(torch_dist("2.7.1+cu128"),)))["torch.import_failed"]
    assert f.severity == "error" and lib in f.message and wheel in f.message
    assert f.fix.commands and "--no-deps" not in " ".join(f.fix.commands)
    assert "download.pytorch.org/whl/cu128" in f.fix.commands[-1] and "torch==2.7.1" in f.fix.commands[-1]


def test_29_installed_cudnn_wheel_not_found_is_a_path_problem():
    rt = import_error("libcudnn.so.9: cannot open shared object file: No such file or directory")
    cudnn = Distribution("nvidia-cudnn-cu12", "9.5.1.17", location="~/venv/lib/python3.11/site-packages")
    f = judge(machine(runtime=rt, distributions=(torch_dist("2.7.1+cu128"), cudnn),
                      env={"LD_LIBRARY_PATH": "/usr/local/cuda/lib64"}))["torch.import_failed"]
    assert "nvidia-cudnn-cu12 9.5.1.17" in f.message and "lib/lib64" in f.message
    assert "/usr/local/cuda/lib64" in f.message


def test_23_wsl_libcuda_behind_a_cudnn_message_is_the_driver_library():
    # the first library named is the one that loaded; the missing one is right before "cannot open"
    rt = import_error("Could not load library libcudnn_cnn_infer.so.8. Error: libcuda.so: cannot open shared "
                      "object file: No such file or directory", "OSError")
    f = judge(machine(runtime=rt, platform=PlatformFacts("linux", "x86_64", wsl=True),
                      distributions=(torch_dist("2.0.1+cu118"),)))["torch.import_failed"]
    assert "libcuda.so belongs to the NVIDIA driver" in f.message and "/usr/lib/wsl/lib" in f.message
    assert f.fix.commands == ("export LD_LIBRARY_PATH=/usr/lib/wsl/lib:$LD_LIBRARY_PATH",)


# ---- 30 / 27 / 28: undefined symbols -------------------------------------------------------------

@pytest.mark.parametrize("error, library", [
    ("/venv/lib/python3.11/site-packages/torch/lib/libtorch_cuda.so: undefined symbol: ncclCommRegister", "NCCL"),
    ("/usr/local/lib/python3.10/dist-packages/torch/lib/../../nvidia/cusparse/lib/libcusparse.so.12: undefined "
     "symbol: __nvJitLinkAddData_12_1, version libnvJitLink.so.12", "nvJitLink"),
    ("/opt/conda/lib/python3.10/site-packages/torch/lib/../../nvidia/cusparse/lib/libcusparse.so.12: undefined "
     "symbol: __nvJitLinkComplete_12_4, version libnvJitLink.so.12", "nvJitLink"),
])
def test_30_undefined_cuda_symbol_names_the_library_and_the_foreign_path(error, library):
    rt = import_error(error)
    assert rt.error_kind == "undefined_symbol"
    f = judge(machine(runtime=rt, distributions=(torch_dist("2.4.0+cu124"),),
                      env={"LD_LIBRARY_PATH": "/opt/conda/lib:/usr/local/cuda/lib64"}))["torch.import_failed"]
    assert f.severity == "error" and library in f.message and "/opt/conda/lib" in f.message
    assert f.fix.commands[0] == "env -u LD_LIBRARY_PATH python -c 'import torch'"


def test_27_undefined_symbol_with_two_torches_blames_the_duplicate():
    rt = import_error("/usr/local/lib/python3.6/dist-packages/torch/lib/libtorch_python.so: undefined symbol: "
                      "_ZTIN3c1014WarningHandlerE")
    two = (torch_dist("2.7.1+cu128"), Distribution("torch", "2.5.1", location="~/.local/lib/python3.11/site-packages",
                                                   installer="pip"))
    f = judge(machine(runtime=rt, distributions=two))
    assert "more than one torch is installed" in f["torch.import_failed"].message
    assert f["torch.multiple_installs"].severity == "error"


# ---- 32 / 33: Windows DLLs ---------------------------------------------------------------------------

WIN = PlatformFacts("windows", "x86_64")


@pytest.mark.parametrize("error, kind", [
    ('[WinError 126] The specified module could not be found. Error loading "c:\\Users\\Noor\\anaconda3\\envs\\DL\\'
     'Lib\\site-packages\\torch\\lib\\fbgemm.dll" or one of its dependencies.', "dll_load"),
    ('[WinError 1114] A dynamic link library (DLL) initialization routine failed. Error loading "E:\\python\\'
     'py_jsq\\Python310\\lib\\site-packages\\torch\\lib\\c10.dll" or one of its dependencies.', "dll_init"),
])
def test_32_33_windows_dll_failures_point_at_the_vc_redistributable(error, kind):
    rt = import_error(error, "OSError")
    assert rt.error_kind == kind
    f = judge(machine(platform=WIN, runtime=rt,
                      distributions=(torch_dist("2.5.1+cu121", wheel_tags=("cp311-cp311-win_amd64",)),)))
    i = f["torch.import_failed"]
    assert i.severity == "error" and ("fbgemm.dll" in i.message or "c10.dll" in i.message)
    assert "https://aka.ms/vc14/vc_redist.x64.exe" in i.fix.summary
    assert "winget install Microsoft.VCRedist.2015+.x64" in i.fix.commands


def test_32_fbgemm_on_torch_2_4_0_names_libomp():
    rt = import_error('[WinError 126] The specified module could not be found. Error loading "C:\\venv\\Lib\\'
                      'site-packages\\torch\\lib\\fbgemm.dll" or one of its dependencies.', "OSError")
    f = judge(machine(platform=WIN, runtime=rt,
                      distributions=(torch_dist("2.4.0", wheel_tags=("cp311-cp311-win_amd64",)),)))
    i = f["torch.import_failed"]
    assert "libomp140.x86_64.dll" in i.message and "2.4.1" in i.fix.summary
    assert "torch==2.4.0" not in i.fix.commands[-1] and "install torch==" in i.fix.commands[-1]


# ---- 26 / 35: shadowing and C extensions --------------------------------------------------------

@pytest.mark.parametrize("error, kind", [
    ("cannot import name 'stack' from partially initialized module 'torch' (most likely due to a circular "
     "import) (/home/u/project/torch.py)", "shadowed"),
    ("partially initialized module 'torch' has no attribute 'cuda' (most likely due to a circular import)",
     "shadowed"),
    ("Failed to load PyTorch C extensions:\n    It appears that PyTorch has loaded the `torch/_C` folder of the "
     "PyTorch repository rather than the C extensions which are expected in the `torch._C` namespace.",
     "shadowed"),
])
def test_26_shadowing_texts_are_classified(error, kind):
    assert import_error(error).error_kind == kind


# ---- 2 / 3: driver too old ------------------------------------------------------------------------

OLD_DRIVER = ("CUDA initialization: The NVIDIA driver on your system is too old (found version 11040). Please "
              "update your GPU driver by downloading and installing a new version from the URL: "
              "http://www.nvidia.com/Download/index.aspx Alternatively, go to: https://pytorch.org to install a "
              "PyTorch version that has been compiled with your version of the CUDA driver. (Triggered internally "
              "at ../c10/cuda/CUDAFunctions.cpp:108.)")


def test_2_found_version_11040_is_driver_too_old_with_a_build_that_runs_on_it():
    rt = imported("2.1.0+cu121", "12.1", warnings=["UserWarning: " + OLD_DRIVER], cuda_available=False)
    f = judge(machine(runtime=rt, gpus=(Gpu("nvidia", "NVIDIA A100-SXM4-40GB", (8, 0), source="lspci"),),
                      nvidia=NvidiaFacts(driver="470.86", cuda_driver="11.4"),
                      distributions=(torch_dist("2.1.0+cu121"),)))
    d = f["cuda.driver_too_old"]
    assert d.severity == "error" and "470.86" in d.message and "12.1" in d.message
    assert f["cuda.init_failed"].severity == "ok"
    # the reinstall must be a build a 470 driver runs (CUDA 11.x), never cu12x
    assert d.fix.commands and "cu118" in d.fix.commands[-1], d.fix.commands


def test_3_insufficient_driver_text_alone_is_driver_too_old():
    rt = imported("2.9.0+cu130", "13.0", cuda_available=False,
                  cuda_init_error="RuntimeError: CUDA error: CUDA driver version is insufficient for CUDA runtime "
                                  "version")
    f = judge(machine(runtime=rt, nvidia=NvidiaFacts(), distributions=(torch_dist("2.9.0+cu130"),)))
    assert f["cuda.driver_too_old"].severity == "error"
    assert "insufficient" in f["cuda.driver_too_old"].message


# ---- 4 / 5 / 6: GPU arch not in the build ---------------------------------------------------------

SM120 = ("UserWarning: \nNVIDIA GeForce RTX 5090 with CUDA capability sm_120 is not compatible with the current "
         "PyTorch installation.\nThe current PyTorch install supports CUDA capabilities sm_50 sm_60 sm_70 sm_75 sm_80 "
         "sm_86 sm_90.\nIf you want to use the NVIDIA GeForce RTX 5090 GPU with PyTorch, please check the "
         "instructions at https://pytorch.org/get-started/locally/")


def test_4_sm_120_on_cu126_gets_a_cu128_or_newer_build():
    archs = ["sm_50", "sm_60", "sm_70", "sm_75", "sm_80", "sm_86", "sm_90"]
    rt = imported("2.6.0+cu126", "12.6", warnings=[SM120], cuda_available=True, device_count=1, arch_list=archs,
                  devices=[{"index": 0, "name": "NVIDIA GeForce RTX 5090", "capability": [12, 0],
                            "memory_mib": 32607}])
    f = judge(machine(runtime=rt, gpus=(RTX5090,), nvidia=NvidiaFacts(driver="575.51.02", cuda_driver="12.9"),
                      distributions=(torch_dist("2.6.0+cu126"),)))["cuda.gpu_arch_unsupported"]
    assert f.severity == "error" and "sm_120" in f.message and "RTX 5090" in f.message
    assert "no kernel image is available" in f.message
    index = f.fix.commands[-1]
    assert any(f"whl/cu{v}" in index for v in ("128", "129")), index


def test_4_sm_120_from_a_report_without_gpu_facts():
    rt = imported("2.6.0+cu126", "12.6", warnings=[SM120], cuda_available=True)
    f = judge(machine(runtime=rt, gpus=None, nvidia=None, distributions=(torch_dist("2.6.0+cu126"),)))
    assert f["cuda.gpu_arch_unsupported"].severity == "error"
    assert "sm_120" in f["cuda.gpu_arch_unsupported"].message


def test_5_gpu_too_old_text_from_a_report():
    warn = ("UserWarning: Found GPU0 NVIDIA GTX TITAN Black which is of cuda capability 3.5.\n    PyTorch no longer "
            "supports this GPU because it is too old.\n    The minimum cuda capability supported by this library is "
            "3.7.")
    rt = imported("1.12.1+cu116", "11.6", warnings=[warn], cuda_available=True)
    f = judge(machine(runtime=rt, gpus=None, nvidia=None, distributions=(torch_dist("1.12.1+cu116"),)))
    a = f["cuda.gpu_arch_unsupported"]
    assert a.severity == "error" and "TITAN Black" in a.message and "3.5" in a.message


# ---- 13 / 14 / 15 / 16: driver state and CUDA init --------------------------------------------------

def _init_failure(warning: str, nvidia=H200_DRIVER):
    rt = imported("2.11.0+cu130", "13.0", warnings=[warning], cuda_available=False, device_count=0)
    return judge(machine(runtime=rt, gpus=(H200,), nvidia=nvidia, distributions=(torch_dist("2.11.0+cu130"),)))


@pytest.mark.parametrize("warning, words, command", [
    ("UserWarning: CUDA initialization: Unexpected error from cudaGetDeviceCount(). Did you run some cuda functions "
     "before calling NumCudaDevices() that might have already set an error? Error 804: forward compatibility was "
     "attempted on non supported HW (Triggered internally at ../c10/cuda/CUDAFunctions.cpp:109.)",
     "error 804", "echo $LD_LIBRARY_PATH"),
    ("UserWarning: CUDA initialization: Unexpected error from cudaGetDeviceCount(). Did you run some cuda functions "
     "before calling NumCudaDevices() that might have already set an error? Error 802: system not yet initialized "
     "(Triggered internally at ../c10/cuda/CUDAFunctions.cpp:109.)", "fabric manager",
     "sudo systemctl enable --now nvidia-fabricmanager"),
    ("UserWarning: CUDA initialization: CUDA unknown error - this may be due to an incorrectly set up environment, "
     "e.g. changing env variable CUDA_VISIBLE_DEVICES after program start. Setting the available devices to be "
     "zero. (Triggered internally at ../c10/cuda/CUDAFunctions.cpp:109.)", "nvidia_uvm",
     "sudo modprobe -r nvidia_uvm"),
    ("UserWarning: CUDA initialization: Unexpected error from cudaGetDeviceCount(). Did you run some cuda functions "
     "before calling NumCudaDevices() that might have already set an error? Error 803: system has unsupported "
     "display driver / cuda driver combination (Triggered internally at ../c10/cuda/CUDAFunctions.cpp:109.)",
     "error 803", "sudo reboot"),
])
def test_14_15_16_cuda_init_errors_are_named_with_their_fix(warning, words, command):
    i = _init_failure(warning)["cuda.init_failed"]
    assert i.severity == "error" and words in i.message.lower() and command in i.fix.commands
    assert warning.split(": ", 1)[1][:40] in i.message  # torch's own words are quoted


def test_13_driver_library_mismatch_is_one_finding_with_reboot():
    nv = NvidiaFacts(errors=("nvidia-smi: Failed to initialize NVML: Driver/library version mismatch",))
    f = _init_failure("UserWarning: CUDA initialization: Unexpected error from cudaGetDeviceCount(). Error 803: "
                      "system has unsupported display driver / cuda driver combination", nvidia=nv)
    assert f["cuda.nvml_mismatch"].severity == "error" and f["cuda.nvml_mismatch"].fix.commands == ("sudo reboot",)
    assert f["cuda.init_failed"].severity == "ok" and f["cuda.no_driver"].severity == "ok"


# ---- 21: CUDA_VISIBLE_DEVICES, as captured on the H200 (is_available False, 0 devices, no warning) ----

@pytest.mark.parametrize("value, severity, words", [("", "warning", "hides every GPU"),
                                                    ("7", "error", "names GPU 7")])
def test_21_visible_devices_as_captured_on_the_h200(value, severity, words):
    rt = imported("2.11.0+cu130", "13.0", cuda_available=False, device_count=0,
                  cuda_init_error="RuntimeError: No CUDA GPUs are available")
    f = judge(machine(runtime=rt, gpus=(H200,), nvidia=H200_DRIVER, env={"CUDA_VISIBLE_DEVICES": value},
                      distributions=(torch_dist("2.11.0+cu130"),)))
    v = f["cuda.visible_devices"]
    assert v.severity == severity and words in v.message and "unset CUDA_VISIBLE_DEVICES" in v.fix.commands
    if value:
        assert "1 NVIDIA GPU (0)" in v.message
    assert f["cuda.init_failed"].severity == "ok"  # one cause, one finding


# ---- 25: numpy 2 with a torch built for numpy 1 ------------------------------------------------------

def test_25_numpy_array_api_from_the_child_stderr():
    banner = ("A module that was compiled using NumPy 1.x cannot be run in\nNumPy 2.0.0 as it may crash. To support "
              "both 1.x and 2.x\nversions of NumPy, modules must be compiled with NumPy 2.0.\n")
    rt = imported("2.2.2+cpu", None, numpy="2.0.0", stderr=banner,
                  warnings=["UserWarning: Failed to initialize NumPy: _ARRAY_API not found (Triggered internally "
                            "at ..\\torch\\csrc\\utils\\tensor_numpy.cpp:84.)"])
    f = judge(machine(runtime=rt, distributions=(torch_dist("2.2.2+cpu"), Distribution("numpy", "2.0.0"))))
    a = f["numpy.abi"]
    assert a.severity == "error" and "numpy 2.0.0" in a.message and "2.2.2+cpu" in a.message
    assert a.fix.commands == ("python -m pip install 'numpy<2'",)


# ---- 9: Rosetta ------------------------------------------------------------------------------------

def test_9_x86_python_under_rosetta_on_apple_silicon():
    p = PlatformFacts("macos", "x86_64", os_version="macOS 15.3", rosetta=True, machine_arch="arm64")
    f = judge(machine(platform=p, runtime=imported("2.2.2", None, mps_built=False, mps_available=False),
                      distributions=(torch_dist("2.2.2", wheel_tags=("cp311-none-macosx_10_9_x86_64",)),)))
    m = f["mps.unavailable"]
    assert m.severity == "error" and "Rosetta" in m.message and "arm64 Python" in m.fix.summary


# ---- 7: ROCm consumer GPUs and HSA_OVERRIDE_GFX_VERSION -----------------------------------------------

ROCM_ARCHS = ["gfx900", "gfx906", "gfx908", "gfx90a", "gfx942", "gfx1030", "gfx1100", "gfx1101", "gfx1200",
              "gfx1201"]


@pytest.mark.parametrize("gfx, override", [("gfx1031", "10.3.0"), ("gfx1032", "10.3.0"), ("gfx1035", "10.3.0"),
                                           ("gfx1102", "11.0.0"), ("gfx1103", "11.0.0"), ("gfx1151", "11.0.0")])
def test_7_rdna_gfx_outside_the_build_gets_the_override(gfx, override):
    gpu = Gpu("amd", "AMD Radeon", gfx=gfx, source="kfd")
    rt = imported("2.7.1+rocm6.3", None, hip="6.3.42131", arch_list=ROCM_ARCHS)
    r = judge(machine(gpus=(gpu,), runtime=rt, distributions=(torch_dist("2.7.1+rocm6.3"),)))["rocm.gfx_unsupported"]
    assert r.severity == "error" and gfx in r.message
    assert r.fix.commands == (f"export HSA_OVERRIDE_GFX_VERSION={override}",)


def test_7_gfx1101_in_the_build_is_fine():
    gpu = Gpu("amd", "AMD Radeon RX 7800 XT", gfx="gfx1101", source="kfd")
    rt = imported("2.7.1+rocm6.3", None, hip="6.3.42131", arch_list=ROCM_ARCHS)
    f = judge(machine(gpus=(gpu,), runtime=rt, distributions=(torch_dist("2.7.1+rocm6.3"),)))
    assert f["rocm.gfx_unsupported"].severity == "ok"


def test_7_an_override_already_set_to_a_built_target_is_not_an_error():
    gpu = Gpu("amd", "AMD Radeon RX 6700 XT", gfx="gfx1031", source="kfd")
    rt = imported("2.7.1+rocm6.3", None, hip="6.3.42131", arch_list=ROCM_ARCHS, cuda_available=True,
                  device_count=1)
    f = judge(machine(gpus=(gpu,), runtime=rt, env={"HSA_OVERRIDE_GFX_VERSION": "10.3.0"},
                      distributions=(torch_dist("2.7.1+rocm6.3"),)))["rocm.gfx_unsupported"]
    assert f.severity in ("ok", "info"), f
    wrong = judge(machine(gpus=(gpu,), runtime=rt, env={"HSA_OVERRIDE_GFX_VERSION": "10.1.0"},
                          distributions=(torch_dist("2.7.1+rocm6.3"),)))["rocm.gfx_unsupported"]
    assert wrong.severity == "error" and "10.1.0" in wrong.message


# ---- privacy: error texts carry paths ------------------------------------------------------------

def test_home_paths_inside_error_texts_are_shown_as_tilde(monkeypatch, tmp_path):
    home = tmp_path / "alice"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("USERPROFILE", str(home))
    rt = import_error(f"{home}/venv/lib/python3.11/site-packages/torch/lib/libtorch_cuda.so: undefined symbol: "
                      "ncclCommRegister", tail=f'  File "{home}/venv/lib/python3.11/site-packages/torch/__init__.py"')
    assert str(home) not in (rt.error + rt.traceback_tail)
    assert rt.error.startswith("~/venv/lib/")


def test_30_the_ld_library_path_retry_names_the_diagnosed_interpreter():
    rt = import_error("/venv/lib/python3.11/site-packages/torch/lib/libtorch_cuda.so: undefined symbol: "
                      "ncclCommRegister")
    f = judge(machine(runtime=rt, distributions=(torch_dist("2.4.0+cu124"),), env={"LD_LIBRARY_PATH": "/opt/x"},
                      extra={"target_python": "~/venv/bin/python"}))["torch.import_failed"]
    assert f.fix.commands[0] == "env -u LD_LIBRARY_PATH ~/venv/bin/python -c 'import torch'"
