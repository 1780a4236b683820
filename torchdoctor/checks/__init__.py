"""The checks behind `torchdoctor check`: small pure judges, one module per id prefix.

    python.*                              checks/python.py
    torch.*                               checks/torch.py
    torchvision.*, torchaudio.*, numpy.*  checks/packages.py
    cuda.*                                checks/cuda.py
    rocm.*                                checks/rocm.py
    mps.*                                 checks/mps.py
    container.*, wsl.*                    checks/environment.py
    companion.*                           checks/companion.py
    compile.*                             checks/compile.py
    build.*                               checks/build.py
    pip.*                                 checks/pip.py

Shared pieces: checks/registry.py (the decorator, the order, the runner), checks/views.py (fact readers),
checks/fixes.py (fix commands), checks/areas.py (the report's areas). Importing this package registers
every check; `CHECKS` is the registry in its one order.
"""

from __future__ import annotations

from typing import Any, Sequence

from torchdoctor.checks import cuda, environment, mps, packages, python, rocm, torch  # noqa: F401 - they register
from torchdoctor.checks import build, compile  # noqa: F401,E402 - they register (after torch's: ORDER decides)
from torchdoctor.checks import pip  # noqa: F401,E402 - registers pip.index_overrides
from torchdoctor.checks import companion  # noqa: F401 - registers companion.*
from torchdoctor.checks.areas import CHECK_AREAS
from torchdoctor.checks.registry import ORDER, Check, ordered, run_one
from torchdoctor.findings import Finding, Fix, counts, exit_code

__all__ = ["CHECKS", "AREAS", "ORDER", "Check", "Finding", "Fix", "run_checks", "run_one", "counts", "exit_code",
           "MODULE_OF_PREFIX"]

CHECKS: tuple[Check, ...] = ordered()
AREAS = tuple(a.name for a in CHECK_AREAS)  # the check report's areas, in order (checks.areas declares them)
# Where each id prefix lives: a check's file follows from its id (tests/unit/test_checks_registry.py holds it).
MODULE_OF_PREFIX = {"python": "python", "torch": "torch", "torchvision": "packages", "torchaudio": "packages",
                    "numpy": "packages", "cuda": "cuda", "rocm": "rocm", "mps": "mps", "container": "environment",
                    "wsl": "environment", "compile": "compile", "build": "build", "pip": "pip",
                    "companion": "companion"}


def run_checks(facts: Any, knowledge: Any, checks: Sequence[Check] | None = None) -> tuple[Finding, ...]:
    """Every check (or the given ones) on these facts, in order; never raises."""
    return tuple(run_one(c, facts, knowledge) for c in (CHECKS if checks is None else checks))
