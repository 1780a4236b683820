"""Fakes for probe tests: captured outputs without their framing, a scripted runner,
a fake pynvml module, and a fake sysfs tree built from a real capture."""

from __future__ import annotations

import json
import os
import re
import sys
import types
from pathlib import Path

import pytest

from torchdoctor.runner import RunResult

FIXTURES = Path(__file__).parents[1] / "fixtures"


def captured(relpath: str) -> str:
    """A capture's output: the leading "$ command" line and the trailing "[exit N]" removed."""
    lines = (FIXTURES / relpath).read_text(encoding="utf-8").splitlines()
    if lines and lines[0].startswith("$ "):
        lines = lines[1:]
    if lines and re.fullmatch(r"\[exit -?\d+\]", lines[-1].strip()):
        lines = lines[:-1]
    return "\n".join(lines) + "\n"


def ok(argv, stdout="", stderr=""):
    return RunResult(tuple(argv), 0, stdout, stderr, 0.01)


def failed(argv, code, stdout="", stderr=""):
    return RunResult(tuple(argv), code, stdout, stderr, 0.01)


def timed_out(argv, seconds=5.0):
    return RunResult(tuple(argv), None, "", "", seconds, timed_out=True)


def not_found(argv):
    return RunResult(tuple(argv), None, "", "", 0.0, error="not found")


class FakeRun:
    """Scripted runner: `script` maps a key (argv joined by spaces, the executable's
    basename first) to a function argv -> RunResult. Unknown commands are "not found"."""

    def __init__(self, script: dict):
        self.script = script
        self.calls: list[tuple[str, ...]] = []

    def __call__(self, argv, timeout, env=None, cwd=None, stdin_text=None):
        argv = tuple(str(a) for a in argv)
        self.calls.append(argv)
        key = " ".join((os.path.basename(argv[0]),) + argv[1:])
        for pattern, answer in self.script.items():
            if key == pattern or (pattern.endswith("*") and key.startswith(pattern[:-1])):
                return answer(argv)
        return not_found(argv)


class NVMLError(Exception):
    pass


def fake_nvml(fixture: str = "h200/nvml.txt", init_error: str | None = None, fail: dict | None = None):
    """A pynvml stand-in answering what nvidia-ml-py answered on the real machine (nvml.txt)."""
    data = json.loads(captured(fixture))
    fail = fail or {}
    state = {"init": 0, "shutdown": 0}

    def maybe_fail(name):
        if name in fail:
            raise NVMLError(fail[name])

    def init():
        state["init"] += 1
        if init_error:
            raise NVMLError(init_error)

    def dev(i):
        maybe_fail("handle")
        return data["devices"][i]

    def name(h):
        maybe_fail("name")
        return h["name"]

    return types.SimpleNamespace(
        state=state,
        nvmlInit=init,
        nvmlShutdown=lambda: state.__setitem__("shutdown", state["shutdown"] + 1),
        nvmlSystemGetDriverVersion=lambda: data["driver"],
        nvmlSystemGetCudaDriverVersion=lambda: data["cuda_driver"],
        nvmlDeviceGetCount=lambda: data["count"],
        nvmlDeviceGetHandleByIndex=dev,
        nvmlDeviceGetName=name,
        nvmlDeviceGetCudaComputeCapability=lambda h: tuple(h["cc"]),
        nvmlDeviceGetMemoryInfo=lambda h: types.SimpleNamespace(total=h["mem_total"], used=0, free=h["mem_total"]),
        nvmlDeviceGetPciInfo=lambda h: types.SimpleNamespace(busId=h["pci_bus_id"].encode(),
                                                             pciDeviceId=int(h["pci_device_id"], 16)),
    )


def _needs_posix_names(path: Path) -> None:
    """Fake sysfs trees use ':' in names ("0000:00:06.0") and symlinks: not on Windows."""
    if sys.platform == "win32" and ":" in str(path)[len(path.anchor):]:
        pytest.skip("fake sysfs trees need ':' in file names (Linux feature)")


def write(path: Path, text: str) -> None:
    _needs_posix_names(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def build_pci_tree(root: Path, pci_capture: str) -> None:
    """A fake /sys/bus/pci/devices from a pci.txt-style capture, `driver` as a real symlink."""
    if sys.platform == "win32":
        pytest.skip("fake sysfs trees need ':' in file names and symlinks (Linux feature)")
    for line in pci_capture.splitlines():
        fields = dict(part.split("=", 1) for part in line.split()[1:] if "=" in part)
        address = line.split()[0]
        dev = root / "sys/bus/pci/devices" / address
        for key in ("class", "vendor", "device"):
            write(dev / key, fields[key] + "\n")
        if fields.get("driver"):
            drv = root / "sys/bus/pci/drivers" / fields["driver"]
            drv.mkdir(parents=True, exist_ok=True)
            os.symlink(drv, dev / "driver")


def build_h200(root: Path) -> None:
    """The H200 VM's sysfs/procfs as captured: PCI devices, module version, procfs version."""
    build_pci_tree(root, captured("h200/pci.txt"))
    write(root / "sys/module/nvidia/version", captured("h200/sys-module-version.txt"))
    write(root / "proc/driver/nvidia/version", captured("h200/proc-driver-version.txt"))
    write(root / "etc/os-release", captured("h200/os-release.txt"))
