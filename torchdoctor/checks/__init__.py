"""The checks behind `torchdoctor check`: one ordered registry of small pure judges.

`run_checks(facts, knowledge)` runs every check in a fixed order. A check whose
facts are missing is "skipped" with the reason; a check that raises is "crashed"
(a bug in the doctor, with its traceback kept for -v/JSON), and the others still run.
"""

from __future__ import annotations

import traceback
from typing import Any, Sequence

from torchdoctor.checks import accelerators, build_fit, packages, torch_install  # noqa: F401 - they register
from torchdoctor.checks.areas import CHECK_AREAS
from torchdoctor.checks.base import REGISTRY, Check, Finding, Fix, with_id

__all__ = ["CHECKS", "Check", "Finding", "Fix", "run_checks", "AREAS"]

# Order = the order a person would fix things in (see the failure catalog's suggested order).
ORDER = (
    "python.unsupported", "python.end_of_life", "torch.not_installed", "torch.shadowed", "torch.import_failed",
    "torch.multiple_installs", "torch.wheel_mismatch", "torch.cpu_build_with_gpu", "torch.conda_cpu_variant",
    "torch.cuda_build_without_gpu", "torch.rocm_build_without_gpu",
    "torchvision.mismatch", "torchaudio.mismatch", "numpy.missing", "numpy.abi",
    "cuda.no_driver", "cuda.nvml_mismatch", "cuda.driver_too_old", "cuda.gpu_arch_unsupported",
    "cuda.visible_devices", "cuda.fabric_manager", "cuda.init_failed", "rocm.gfx_unsupported", "mps.unavailable",
    "container.gpu_devices", "wsl.gpu",
)
_BY_ID = {c.id: c for c in REGISTRY}
CHECKS: tuple[Check, ...] = tuple(_BY_ID[i] for i in ORDER) + tuple(c for c in REGISTRY if c.id not in ORDER)
AREAS = tuple(a.name for a in CHECK_AREAS)  # the check report's areas, in order (checks.areas declares them)

# Why a missing fact matters, in words; LIVE facts only exist when the doctor runs on the machine.
_NEEDS = {
    "python": "the Python facts", "platform": "the platform facts", "nvidia": "the NVIDIA driver probe",
    "gpus": "a GPU scan", "pci": "a PCI scan", "distributions": "the installed package list",
    "runtime": "the torch import probe", "shadowing": "a scan of the working directory",
    "env": "the environment variables", "device_nodes": "the /dev device nodes",
}
LIVE_ONLY = ("shadowing", "env", "device_nodes")


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


def run_checks(facts: Any, knowledge: Any, checks: Sequence[Check] = CHECKS) -> tuple[Finding, ...]:
    return tuple(run_one(c, facts, knowledge) for c in checks)


from torchdoctor.findings import counts, exit_code  # noqa: E402,F401 - re-exported for the reports
