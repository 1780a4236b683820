"""Platform and Python probes: names normalised, containers and WSL2 recognised, home as "~"."""

from __future__ import annotations

import sys

import pytest
from helpers.fake_probes import FakeRun, captured, failed, write

from torchdoctor.probes import platform as plat
from torchdoctor.probes import python_env
from torchdoctor.privacy import tilde


def sysctl_of(values: dict):
    def get(name):
        value = values.get(name)
        if value is None:
            return None
        return value.to_bytes(4, "little") if isinstance(value, int) else value.encode() + b"\0"
    return get


@pytest.mark.parametrize("machine, os_name, bits, expected", [
    ("x86_64", "linux", 64, ("x86_64", None)),
    ("AMD64", "windows", 64, ("x86_64", None)),
    ("AMD64", "windows", 32, ("x86", "x86_64")),   # 32-bit Python on 64-bit Windows
    ("i686", "linux", 32, ("x86", None)),
    ("aarch64", "linux", 64, ("aarch64", None)),
    ("arm64", "macos", 64, ("arm64", None)),
    ("ARM64", "windows", 64, ("arm64", None)),
    ("arm64", "linux", 64, ("aarch64", None)),
    ("ppc64le", "linux", 64, ("ppc64le", None)),
])
def test_arch_normalised(machine, os_name, bits, expected):
    assert plat.normalise_arch(machine, os_name, bits) == expected


def test_os_release_of_the_h200():
    fields = plat.parse_os_release(captured("h200/os-release.txt"))
    assert plat.distro_name(fields) == "Ubuntu 24.04.3 LTS"
    assert plat.distro_name({"NAME": "Alpine Linux", "VERSION_ID": "3.20.1"}) == "Alpine Linux 3.20.1"
    assert plat.distro_name({}) is None


@pytest.mark.parametrize("kernel, proc, wsl", [
    ("5.15.167.4-microsoft-standard-WSL2", None, True),
    ("6.18.44-fc-v657-gpu", "Linux version 6.18.44 (nixbld@localhost)", False),
    ("4.4.0-19041-Microsoft", None, False),  # WSL1: no GPU support at all
])
def test_wsl2(kernel, proc, wsl):
    assert plat.is_wsl2(kernel, proc) is wsl


def test_containers(tmp_path):
    assert plat.detect_container(tmp_path, {}) is None
    assert plat.detect_container(tmp_path, {"KUBERNETES_SERVICE_HOST": "10.0.0.1"}) == "kubernetes"
    assert plat.detect_container(tmp_path, {"container": "podman"}) == "podman"
    assert plat.detect_container(tmp_path, {"container": "oci"}) == "container"
    write(tmp_path / "proc/1/cgroup", "12:pids:/kubepods/besteffort/pod1/abc\n")
    assert plat.detect_container(tmp_path, {}) == "kubernetes"
    write(tmp_path / ".dockerenv", "")
    assert plat.detect_container(tmp_path, {}) == "docker"
    write(tmp_path / "run/.containerenv", "")
    assert plat.detect_container(tmp_path, {}) == "podman"


def test_glibc_from_confstr(tmp_path):
    assert plat.detect_libc(sys.executable, confstr=lambda n: "glibc 2.39") == ("glibc", "2.39")


def test_musl_from_the_elf_interpreter(tmp_path):
    exe = tmp_path / "python3"
    exe.write_bytes(b"\x7fELF" + b"\0" * 60 + b"/lib/ld-musl-x86_64.so.1\0" + b"\0" * 100)
    run = FakeRun({"ld-musl-x86_64.so.1": lambda a: failed(a, 1, "", "musl libc (x86_64)\nVersion 1.2.5\nDynamic Program Loader\n")})
    assert plat.detect_libc(str(exe), confstr=lambda n: None, run=run) == ("musl", "1.2.5")
    assert run.calls == [("/lib/ld-musl-x86_64.so.1",)]


def test_unknown_libc(tmp_path):
    exe = tmp_path / "python3"
    exe.write_bytes(b"\x7fELF nothing here")
    assert plat.detect_libc(str(exe), confstr=lambda n: None) == (None, None)
    assert plat.detect_libc(str(tmp_path / "missing"), confstr=lambda n: None) == (None, None)


def test_linux_platform_from_a_fake_root(tmp_path):
    write(tmp_path / "etc/os-release", captured("h200/os-release.txt"))
    facts, note = plat.probe_platform(tmp_path, system="Linux", machine="x86_64", kernel="6.18.44-fc-v657-gpu",
                                      bits=64, environ={}, confstr=lambda n: "glibc 2.39")
    assert (facts.os, facts.arch, facts.os_version, facts.libc, facts.libc_version) == \
        ("linux", "x86_64", "Ubuntu 24.04.3 LTS", "glibc", "2.39")
    assert (facts.wsl, facts.container, facts.rosetta, facts.machine_arch) == (False, None, False, None)
    assert note.ok


def test_macos_rosetta(tmp_path):
    get = sysctl_of({"kern.osproductversion": "15.3", "sysctl.proc_translated": 1, "hw.optional.arm64": 1})
    facts, _ = plat.probe_platform(tmp_path, system="Darwin", machine="x86_64", kernel="24.3.0", bits=64,
                                   environ={}, get_sysctl=get)
    assert (facts.os, facts.arch, facts.os_version, facts.rosetta, facts.machine_arch) == \
        ("macos", "x86_64", "macOS 15.3", True, "arm64")


def test_macos_native_arm64(tmp_path):
    get = sysctl_of({"kern.osproductversion": "14.5", "sysctl.proc_translated": 0, "hw.optional.arm64": 1})
    facts, _ = plat.probe_platform(tmp_path, system="Darwin", machine="arm64", kernel="23.5.0", bits=64,
                                   environ={}, get_sysctl=get)
    assert (facts.arch, facts.rosetta, facts.machine_arch, facts.libc) == ("arm64", False, None, None)


@pytest.mark.parametrize("version, name", [("10.0.22631", "Windows 11 (10.0.22631)"),
                                           ("10.0.19045", "Windows 10 (10.0.19045)"), ("", "Windows")])
def test_windows_names(version, name):
    assert plat.windows_name(version) == name


def test_tilde():
    assert tilde("/home/ana/proj/.venv/bin/python", "/home/ana") == "~/proj/.venv/bin/python"
    assert tilde("/home/ana", "/home/ana") == "~"
    assert tilde("/home/anabel/x", "/home/ana") == "/home/anabel/x"
    assert tilde("C:\\Users\\ana\\py\\python.exe", "C:\\Users\\ana") == "~\\py\\python.exe"
    assert tilde("/usr/bin/python3", "/") == "/usr/bin/python3"


def test_env_kinds(tmp_path):
    assert python_env.env_kind("/usr", "/usr", {}) == "system"
    assert python_env.env_kind(str(tmp_path / "venv"), "/usr", {}) == "venv"
    (tmp_path / "conda-meta").mkdir()
    assert python_env.env_kind(str(tmp_path), str(tmp_path), {}) == "conda"


def test_installers_on_path():
    on_path = {"pip3": "/usr/bin/pip3", "uv": "/home/ana/.local/bin/uv"}
    assert python_env.installers_on_path(on_path.get) == ("pip", "uv")
    assert python_env.installers_on_path(lambda n: None) == ()


def test_this_python():
    facts, note = python_env.probe_python(environ={}, which=lambda n: None)
    assert facts.version.startswith(f"{sys.version_info.major}.{sys.version_info.minor}.")
    assert facts.implementation == sys.implementation.name and facts.bits in (32, 64)
    assert facts.env_kind in ("venv", "conda", "system") and facts.tools == ()
    assert note.ok
