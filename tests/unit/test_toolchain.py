"""The toolchain probe (fake PATH, fake nvcc/gcc, a toolkit tree with host_config.h, include dirs) and the
compile.* / build.* judges (fake dist-info pins, fake Windows facts)."""

from __future__ import annotations

import os
import stat
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from helpers.check_machines import judge, machine, rt_ok, torch_dist
from torchdoctor.facts import Distribution, Gpu, PlatformFacts, PythonFacts, RuntimeDevice, ToolchainFacts
from torchdoctor.knowledge import toolchain as table
from torchdoctor.probes.toolchain import host_gcc_max, nvcc_release, probe_toolchain

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="fake executables are shell scripts")


def script(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("#!/bin/sh\n" + text + "\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def toolkit(root: Path, release: str = "12.4", gcc_guard: int | None = 13) -> Path:
    home = root / f"cuda-{release}"
    script(home / "bin", "nvcc", f"echo 'Cuda compilation tools, release {release}, V{release}.131'")
    if gcc_guard is not None:
        crt = home / "include" / "crt"
        crt.mkdir(parents=True)
        (crt / "host_config.h").write_text(
            f"#if __GNUC__ > {gcc_guard}\n#error -- unsupported GNU version! gcc versions later than {gcc_guard} "
            "are not supported! The nvcc flag '-allow-unsupported-compiler' can be used\n#endif\n")
    return home


def include_dir(tmp_path: Path, with_header: bool) -> str:
    inc = tmp_path / "include" / "python3.11"
    inc.mkdir(parents=True)
    if with_header:
        (inc / "Python.h").write_text("/* fake */\n")
    return str(inc)


def probe(tmp_path, env, include=None, **kw):
    kw.setdefault("root", tmp_path / "root")  # no /usr/local/cuda there
    return probe_toolchain("linux", env, include, **kw)[0]


# ---------------------------------------------------------------------------------------------- parsers
def test_parsers_read_the_real_texts():
    assert nvcc_release("nvcc: NVIDIA (R) Cuda compiler driver\nCuda compilation tools, release 12.3, V12.3.107") == "12.3"
    assert nvcc_release("garbage") is None
    assert host_gcc_max("#if __GNUC__ > 15\n#error -- unsupported GNU version! gcc versions later than 15 are "
                        "not supported!") == 15
    assert host_gcc_max("#if __GNUC__ > 12\n") == 12
    assert host_gcc_max("") is None


def test_the_table_answers():
    assert table.dynamo_floor("3.12.4")["min_torch"] == "2.4"
    assert table.dynamo_floor("3.10.1") is None
    assert table.triton_windows_minor("2.8") == "3.4"
    assert table.triton_windows_minor("2.13") is None  # past the table: unknown, not a guess
    assert table.gcc_max("12.4") == 13 and table.gcc_max("13.0") == 15 and table.gcc_max("10.2") is None


# ---------------------------------------------------------------------------------------------- the probe
def test_no_compiler_on_a_stripped_path(tmp_path):
    empty = tmp_path / "bin"
    empty.mkdir()
    tc = probe(tmp_path, {"PATH": str(empty)})
    assert tc.cxx is None and tc.cxx_from is None and tc.ninja is None and tc.cuda_home is None
    assert tc.build_wanted is None


def test_gxx_on_path_and_clang_only(tmp_path):
    bin_ = tmp_path / "bin"
    script(bin_, "g++", "echo g++")
    tc = probe(tmp_path, {"PATH": str(bin_)})
    assert tc.cxx == str(bin_ / "g++") and tc.cxx_from == "PATH"
    other = tmp_path / "other"
    script(other, "clang++", "echo clang")
    tc = probe(tmp_path, {"PATH": str(other)})
    assert tc.cxx is None and tc.other_cxx == ("clang++",)


def test_cxx_pointing_nowhere_is_broken(tmp_path):
    tc = probe(tmp_path, {"PATH": "", "CXX": "/nonexistent"})
    assert tc.cxx is None and tc.cxx_from == "CXX" and tc.cc_env_broken == ("CXX=/nonexistent",)
    bin_ = tmp_path / "bin"
    script(bin_, "g++-13", "echo")
    tc = probe(tmp_path, {"PATH": str(bin_), "CXX": "g++-13", "CC": "ccache gcc-13"})
    assert tc.cxx == str(bin_ / "g++-13") and tc.cc_env_broken == ("CC=ccache gcc-13",)  # no ccache on PATH


def test_python_headers_with_and_without(tmp_path):
    assert probe(tmp_path, {"PATH": ""}, include_dir(tmp_path / "a", True)).python_h is True
    assert probe(tmp_path, {"PATH": ""}, include_dir(tmp_path / "b", False)).python_h is False
    assert probe(tmp_path, {"PATH": ""}, None).python_h is None


def test_toolkit_found_like_cpp_extension(tmp_path):
    home = toolkit(tmp_path, "12.4", 13)
    bin_ = tmp_path / "bin"
    script(bin_, "gcc", "echo 14.2.0")
    script(bin_, "ninja", "echo 1.11.1")
    tc = probe(tmp_path, {"PATH": str(bin_), "CUDA_HOME": str(home)})
    assert (tc.cuda_home, tc.cuda_home_from, tc.nvcc_version, tc.gcc_max) == (str(home), "CUDA_HOME", "12.4", 13)
    assert tc.gcc_version == "14.2.0" and tc.build_wanted == "toolkit" and tc.ninja == str(bin_ / "ninja")
    # nvcc on PATH: its folder's parent is the home (torch's guess #2)
    tc = probe(tmp_path, {"PATH": f"{home / 'bin'}{os.pathsep}{bin_}"})
    assert tc.cuda_home == str(home) and tc.cuda_home_from == "nvcc"
    # the default /usr/local/cuda, under a fake root
    root = tmp_path / "root"
    toolkit(root / "usr" / "local", "11.8", 11).rename(root / "usr" / "local" / "cuda")
    tc = probe(tmp_path, {"PATH": str(bin_)}, root=root)
    assert tc.cuda_home == "/usr/local/cuda" and tc.cuda_home_from == "default" and tc.nvcc_version == "11.8"


def test_a_cuda_home_without_nvcc_and_a_hanging_nvcc(tmp_path):
    empty = tmp_path / "cuda-empty"
    empty.mkdir()
    tc = probe(tmp_path, {"PATH": "", "CUDA_HOME": str(empty)})
    assert tc.nvcc is None and tc.nvcc_error.startswith("no nvcc at")
    slow = tmp_path / "cuda-slow"
    script(slow / "bin", "nvcc", "sleep 30")
    tc = probe(tmp_path, {"PATH": "", "CUDA_HOME": str(slow)}, timeout=0.5)
    assert tc.nvcc_version is None and "timed out" in tc.nvcc_error


def test_build_wanted_by_a_source_package_or_the_flag(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "setup.py").write_text("from torch.utils.cpp_extension import BuildExtension, CUDAExtension\n")
    assert probe(tmp_path, {"PATH": ""}, cwd=str(src)).build_wanted == "source"
    assert probe(tmp_path, {"PATH": ""}, build=True).build_wanted == "asked"


def test_dynamo_switched_off(tmp_path):
    assert probe(tmp_path, {"PATH": "", "TORCHDYNAMO_DISABLE": "1"}).disabled_by == ("TORCHDYNAMO_DISABLE=1",)
    assert probe(tmp_path, {"PATH": "", "TORCHDYNAMO_DISABLE": "0"}).disabled_by == ()


# ---------------------------------------------------------------------------------------------- the judges
OK = ToolchainFacts(cxx="/usr/bin/g++", cxx_from="PATH", python_h=True, ninja="/usr/bin/ninja")
UBUNTU = PlatformFacts("linux", "x86_64", os_version="Ubuntu 24.04.3 LTS")


def cuda_machine(tc=OK, cuda="12.8", dists=(), **kw):
    torch = torch_dist(f"2.8.0+cu{cuda.replace('.', '')}", requires=(
        'triton==3.4.0; platform_system == "Linux" and platform_machine == "x86_64"',))
    return machine(platform=UBUNTU, runtime=rt_ok(f"2.8.0+cu{cuda.replace('.', '')}", cuda=cuda),
                   distributions=(torch,) + tuple(dists), toolchain=tc, **kw)


def problems(facts, prefix=("compile.", "build.")):
    return {i: f for i, f in judge(facts).items() if i.startswith(prefix) and f.severity not in ("ok",)}


def test_a_healthy_machine_is_quiet():
    assert problems(cuda_machine(dists=(Distribution("triton", "3.4.0"),))) == {}


def test_no_cxx_and_its_fix_per_package_manager():
    bare = replace(OK, cxx=None, cxx_from=None)
    f = problems(cuda_machine(bare, dists=(Distribution("triton", "3.4.0"),)))["compile.no_cxx"]
    assert f.severity == "warning" and "InvalidCxxCompiler" in f.message
    assert "sudo apt-get install -y build-essential" in f.fix.commands
    fedora = replace(UBUNTU, os_version="Fedora Linux 41")
    f = problems(cuda_machine(bare, dists=(Distribution("triton", "3.4.0"),)).with_(platform=fedora))["compile.no_cxx"]
    assert "sudo dnf install -y gcc-c++" in f.fix.commands
    clang = replace(bare, other_cxx=("clang++",))
    f = problems(cuda_machine(clang, dists=(Distribution("triton", "3.4.0"),)))["compile.no_cxx"]
    assert "export CXX=clang++" in f.fix.commands


def test_cxx_broken_is_its_own_finding():
    tc = replace(OK, cxx=None, cxx_from="CXX", cc_env_broken=("CXX=/nonexistent",))
    found = problems(cuda_machine(tc, dists=(Distribution("triton", "3.4.0"),)))
    assert set(found) == {"compile.cc_env_broken"}
    assert "unset CXX" in found["compile.cc_env_broken"].fix.commands


def test_windows_rows():
    win = PlatformFacts("windows", "x86_64", os_version="Windows 11 (10.0.22631)")
    tc = replace(OK, cxx=None, cxx_from=None,
                 msvc_off_path="C:/Program Files/Microsoft Visual Studio/2022/BuildTools/VC/Tools/MSVC/14.40/bin/"
                               "Hostx64/x64/cl.exe")
    old = machine(platform=win, runtime=rt_ok("2.3.1+cu121", cuda="12.1"), distributions=(torch_dist("2.3.1+cu121"),),
                  toolchain=tc)
    found = problems(old)
    assert found["compile.windows_unsupported"].severity == "info"
    assert "Windows not yet supported for torch.compile" in found["compile.windows_unsupported"].message
    new = old.with_(runtime=rt_ok("2.8.0+cu128", cuda="12.8"), distributions=(
        torch_dist("2.8.0+cu128"), Distribution("triton-windows", "3.3.1.post19")))
    found = problems(new)
    assert "compile.windows_unsupported" not in found
    assert "Build Tools are installed" in found["compile.no_cxx"].message
    assert found["compile.windows_triton"].severity == "warning"
    assert any("triton-windows<3.5" in str(c) for c in found["compile.windows_triton"].fix.commands)
    none = new.with_(distributions=(torch_dist("2.8.0+cu128"),))
    assert problems(none)["compile.windows_triton"].severity == "info"
    stray = new.with_(distributions=(torch_dist("2.8.0+cu128"), Distribution("triton", "3.4.0")))
    assert "uninstall -y triton" in str(problems(stray)["compile.windows_triton"].fix.commands[0])
    right = new.with_(distributions=(torch_dist("2.8.0+cu128"), Distribution("triton-windows", "3.4.0.post20")))
    assert "compile.windows_triton" not in problems(right)


def test_triton_pins_from_fake_dist_info():
    found = problems(cuda_machine())
    assert "triton==3.4.0" in str(found["compile.triton_missing"].fix.commands)
    found = problems(cuda_machine(dists=(Distribution("triton", "3.3.1"),)))
    assert "expects triton 3.4.0" in found["compile.triton_mismatch"].message
    found = problems(cuda_machine(dists=(Distribution("triton", "3.4.0"), Distribution("pytorch-triton", "3.4.0+git1"))))
    assert "side by side" in found["compile.triton_mismatch"].message
    # a CPU build asks for no Triton
    assert "compile.triton_missing" not in problems(machine(platform=UBUNTU, toolchain=OK))


def test_python_floor_headers_gpu_and_env():
    old = cuda_machine(dists=(Distribution("triton", "3.0.0"),)).with_(
        python=PythonFacts("3.12.3", env_kind="venv", include="/usr/include/python3.12"),
        runtime=rt_ok("2.3.1+cu121", cuda="12.1"), distributions=(torch_dist("2.3.1+cu121"),
                                                                  Distribution("triton", "2.3.1")))
    found = problems(old)
    assert "compile.python_unsupported" in found and "Python 3.12 from torch 2.4" in \
        found["compile.python_unsupported"].message
    nohdr = cuda_machine(replace(OK, python_h=False), dists=(Distribution("triton", "3.4.0"),))
    f = problems(nohdr.with_(python=PythonFacts("3.11.7", env_kind="venv")))["compile.no_python_headers"]
    assert f.severity == "warning" and "sudo apt-get install -y python3.11-dev" in f.fix.commands
    pascal = cuda_machine(dists=(Distribution("triton", "3.4.0"),)).with_(
        runtime=rt_ok("2.8.0+cu128", cuda="12.8", devices=(RuntimeDevice(0, "NVIDIA GeForce GTX 1080", (6, 1)),)))
    assert problems(pascal)["compile.gpu_too_old"].severity == "info"
    off = cuda_machine(replace(OK, disabled_by=("TORCHDYNAMO_DISABLE=1",)), dists=(Distribution("triton", "3.4.0"),))
    assert "unset TORCHDYNAMO_DISABLE" in problems(off)["compile.disabled_by_env"].fix.commands


def test_build_checks_stay_quiet_unless_a_build_is_plausible():
    assert not problems(cuda_machine(replace(OK, ninja=None)), ("build.",))
    f = problems(cuda_machine(replace(OK, build_wanted="asked")), ("build.",))["build.cuda_home_missing"]
    assert "CUDA_HOME environment variable is not set" in f.message and "prebuilt wheel" in f.fix.summary


def test_nvcc_major_minor_and_gcc_bound():
    tk = replace(OK, build_wanted="toolkit", cuda_home="/usr/local/cuda", cuda_home_from="default",
                 nvcc="/usr/local/cuda/bin/nvcc")
    major = problems(cuda_machine(replace(tk, nvcc_version="11.8")), ("build.",))["build.nvcc_mismatch"]
    assert major.severity == "error" and "mismatches the version that was used to compile PyTorch (12.8)" in major.message
    minor = problems(cuda_machine(replace(tk, nvcc_version="12.4")), ("build.",))["build.nvcc_mismatch"]
    assert minor.severity == "warning"
    assert not problems(cuda_machine(replace(tk, nvcc_version="12.8")), ("build.",))
    gcc = problems(cuda_machine(replace(tk, nvcc_version="12.8", gcc_version="15.1.0", gcc_max=14)),
                   ("build.",))["build.gcc_unsupported"]
    assert gcc.severity == "error" and "later than 14" in gcc.message and "crt/host_config.h" in gcc.message
    table_only = problems(cuda_machine(replace(tk, nvcc_version="12.4", gcc_version="14.2.0")), ("build.",))
    assert "gcc 13 at most" in table_only["build.gcc_unsupported"].message
    ninja = problems(cuda_machine(replace(tk, nvcc_version="12.8", ninja=None)), ("build.",))["build.ninja_missing"]
    assert "Ninja is required to load C++ extensions" in ninja.message


def test_recorded_machines_skip_the_toolchain_checks():
    f = judge(machine(gpus=(Gpu("nvidia", "NVIDIA H200", (9, 0)),)).with_(origin="json:x", toolchain=None))
    assert f["compile.no_cxx"].severity == "skipped" and "live machine" in f["compile.no_cxx"].message


def test_a_container_with_a_small_dev_shm():
    docker = PlatformFacts("linux", "x86_64", container="docker")
    f = judge(machine(platform=docker, toolchain=replace(OK, shm_mib=64)))["container.shm_small"]
    assert f.severity == "warning" and "--shm-size" in str(f.fix.commands) and "--ipc=host" in str(f.fix.commands)
    assert judge(machine(platform=docker, toolchain=replace(OK, shm_mib=8192)))["container.shm_small"].severity == "ok"
    assert judge(machine(platform=UBUNTU, toolchain=replace(OK, shm_mib=64)))["container.shm_small"].severity == "ok"
