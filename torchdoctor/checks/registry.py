"""The registry of checks: one decorator, one order, one runner.

A check is a pure function `(facts, knowledge) -> Finding | None`, registered under its documented id in
its declared area. `run_checks` runs every check in ORDER (the order a person would fix things in). A
check whose facts are missing is "skipped" with the reason; a check that raises is "crashed" (a bug in
the doctor, its traceback kept for -v/JSON), and the others still run.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass, replace
from typing import Any, Callable, Iterable, Sequence

from torchdoctor.findings import Area, Finding


@dataclass(frozen=True)
class Check:
    id: str
    area: str
    title: str
    needs: tuple[str, ...]  # Facts attributes (or "knowledge") that must be present to judge
    fn: Callable[[Any, Any], Finding | None]


REGISTRY: list[Check] = []


def check(id: str, area: Area, title: str, needs: Iterable[str] = ()) -> Callable:
    """Register a judge under its documented id, in its declared area (torchdoctor.checks.areas)."""
    def register(fn: Callable) -> Callable:
        REGISTRY.append(Check(id, area.name, title, tuple(needs), fn))
        return fn
    return register


def with_id(finding: Finding, c: Check) -> Finding:
    return replace(finding, id=c.id, area=c.area, title=c.title)


# Order = the order a person would fix things in (see the failure catalog's suggested order).
# Order = the order a person would fix things in (the failure catalog's suggested order).
ORDER = (
    "python.unsupported", "python.end_of_life", "torch.not_installed", "torch.shadowed", "torch.import_failed",
    "torch.multiple_installs", "torch.wheel_mismatch", "torch.no_wheel_for_platform", "torch.cpu_build_with_gpu", "torch.conda_cpu_variant",
    "torch.cuda_build_without_gpu", "torch.rocm_build_without_gpu",
    "torchvision.mismatch", "torchaudio.mismatch", "numpy.missing", "numpy.abi", "pip.index_overrides",
    "companion.replaced_torch", "companion.pinned_other_torch", "companion.built_for_other_torch",
    "companion.variant_mismatch", "companion.abi_mismatch", "companion.cpu_only",
    "cuda.no_driver", "cuda.nvml_mismatch", "cuda.driver_too_old", "cuda.gpu_arch_unsupported",
    "cuda.visible_devices", "cuda.fabric_manager", "cuda.init_failed", "rocm.gfx_unsupported", "mps.unavailable",
    "container.gpu_devices", "wsl.gpu", "container.shm_small",
    "compile.python_unsupported", "compile.windows_unsupported", "compile.cc_env_broken", "compile.no_cxx",
    "compile.no_python_headers", "compile.triton_missing", "compile.triton_mismatch", "compile.windows_triton",
    "compile.gpu_too_old", "compile.disabled_by_env",
    "build.cuda_home_missing", "build.nvcc_mismatch", "build.gcc_unsupported", "build.ninja_missing",
)

# Why a missing fact matters, in words; LIVE facts only exist when the doctor runs on the machine.
_NEEDS = {
    "python": "the Python facts", "platform": "the platform facts", "nvidia": "the NVIDIA driver probe",
    "gpus": "a GPU scan", "pci": "a PCI scan", "distributions": "the installed package list",
    "runtime": "the torch import probe", "shadowing": "a scan of the working directory",
    "env": "the environment variables", "device_nodes": "the /dev device nodes",
    "toolchain": "the toolchain probe (compilers, Python.h, CUDA toolkit)",
    "index_config": "the pip/uv configuration",
}
LIVE_ONLY = ("shadowing", "env", "device_nodes", "toolchain", "index_config")


def _missing(facts: Any, need: str) -> bool:
    return getattr(facts, need, None) is None


def _skip_reason(facts: Any, missing: Sequence[str]) -> str:
    words = ", ".join(_NEEDS.get(m, m) for m in missing)
    if facts.origin != "live" and any(m in LIVE_ONLY for m in missing):
        return f"needs the live machine ({words})"
    return f"needs {words}"


def run_one(c: Check, facts: Any, knowledge: Any) -> Finding:
    missing = [n for n in c.needs if _missing(facts, n)]
    if missing:
        return Finding(c.id, "skipped", _skip_reason(facts, missing), None, c.area, c.title)
    try:
        found = c.fn(facts, knowledge)
    except Exception as exc:  # noqa: BLE001 - one broken judge must not stop the others
        return Finding(c.id, "crashed", f"the check itself failed ({type(exc).__name__}: {exc}); please report it",
                       None, c.area, c.title, detail=traceback.format_exc())
    if found is None:
        return Finding(c.id, "ok", "", None, c.area, c.title)
    return with_id(found, c)


def ordered() -> tuple[Check, ...]:
    """Every registered check: those in ORDER first, in that order, then any other (a new check must be
    placed in ORDER: tests/unit/test_checks_registry.py fails on one that is not)."""
    by_id = {c.id: c for c in REGISTRY}
    return tuple(by_id[i] for i in ORDER if i in by_id) + tuple(c for c in REGISTRY if c.id not in ORDER)

