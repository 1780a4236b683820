"""Recorded-style machines for the pure check tests: a healthy CPU-only Linux box with torch 2.13.0+cpu, and
the pieces to vary it."""

from __future__ import annotations

from torchdoctor.checks import run_checks
from torchdoctor.facts import (Distribution, Facts, Gpu, IndexConfig, NvidiaFacts, PlatformFacts, PythonFacts,
                               ToolchainFacts, TorchRuntime)
from torchdoctor.knowledge import load

K = load()
TAG = "cp311-cp311-manylinux_2_28_x86_64"
H200 = Gpu("nvidia", "NVIDIA H200", (9, 0), memory_mib=143771, source="nvml")
RTX5090 = Gpu("nvidia", "NVIDIA GeForce RTX 5090", (12, 0), source="nvml")
GTX1080 = Gpu("nvidia", "NVIDIA GeForce GTX 1080", (6, 1), source="nvml")
# A live machine's toolchain with a compiler and Python.h, no CUDA toolkit (build.* stay quiet).
TOOLCHAIN = ToolchainFacts(cxx="/usr/bin/g++", cxx_from="PATH", python_h=True, ninja="/usr/bin/ninja")


def torch_dist(version="2.13.0+cpu", **kw):
    return Distribution("torch", version, location="~/venv/lib/python3.11/site-packages", installer="pip",
                        wheel_tags=kw.pop("wheel_tags", (TAG,)), **kw)


def rt_ok(version="2.13.0+cpu", cuda=None, **kw):
    return TorchRuntime("ok", version=version, cuda=cuda, **kw)


def machine(**kw):
    """A healthy CPU-only Linux machine with torch 2.13.0+cpu; override what a test needs."""
    base = dict(platform=PlatformFacts("linux", "x86_64"), python=PythonFacts("3.11.7", env_kind="venv"),
                nvidia=NvidiaFacts(), gpus=(), pci=(), distributions=(torch_dist(),), runtime=rt_ok(),
                shadowing=(), env={}, device_nodes=(), toolchain=TOOLCHAIN, index_config=IndexConfig())
    base.update(kw)
    return Facts(**base)


def judge(facts):
    return {f.id: f for f in run_checks(facts, K)}
