"""Described machines for the planner tests, and the planner called with the real tables."""

from __future__ import annotations

from torchdoctor.facts import Facts, Gpu, NvidiaFacts, PlatformFacts, PythonFacts
from torchdoctor.knowledge import load
from torchdoctor.plan import PlanRequest, plan_install

K = load()
CPU_IDX = "https://download.pytorch.org/whl/cpu"


def machine(os="linux", arch="x86_64", py="3.12", driver=None, gpus=(), wsl=False, bits=64, ft=False,
            os_version=None, libc=None, libc_version=None, rosetta=False, impl="cpython"):
    return Facts(origin="described",
                 platform=PlatformFacts(os=os, arch=arch, wsl=wsl, os_version=os_version, libc=libc,
                                        libc_version=libc_version, rosetta=rosetta),
                 python=PythonFacts(version=py, bits=bits, free_threaded=ft, implementation=impl),
                 nvidia=NvidiaFacts(driver=driver) if driver else None, gpus=tuple(gpus))


def nv(cc, name=None):
    return Gpu(vendor="nvidia", capability=cc, name=name)


def plan(facts, **req):
    return plan_install(facts, K, PlanRequest(**req))
