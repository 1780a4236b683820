"""The planner's findings: every id it can emit, with what it verifies, and the one way to make one.

A planner finding is a `torchdoctor.findings.Finding` (error severity, the Plan area). docs/plan-ids.md
explains each id; tests/unit/test_plan_ids.py holds that table, this registry and the code's ids equal.
"""

from __future__ import annotations

from torchdoctor.findings import ERROR, Finding

# checks.areas.PLAN's name. Not imported: importing the checks package would load every check into suggest
# (tests/unit/test_plan_ids.py holds the two names equal).
AREA = "Plan"

# id -> what it verifies (the finding's title), in the order the planner asks.
TITLES = {
    "platform.unsupported_os": "PyTorch publishes wheels for this OS",
    "python.32bit": "the Python is 64-bit",
    "python.implementation": "the Python is CPython",
    "platform.musl": "the C library is glibc, not musl",
    "platform.unsupported_arch": "PyTorch publishes stable wheels for this OS and CPU architecture",
    "python.rosetta": "the Python runs natively, not under Rosetta",
    "gpu.jetson": "the GPU is not a Jetson board (the aarch64 CUDA wheels are for SBSA servers)",
    "amd.no_rocm_on_os": "a ROCm build exists for this OS and architecture",
    "intel.no_xpu_on_os": "an XPU build supports this Intel GPU on this OS",
    "python.too_old": "a torch release supports this Python (not too old)",
    "python.too_new": "a torch release supports this Python (not too new)",
    "python.free_threaded": "a torch wheel exists for this free-threaded Python",
    "platform.no_wheel": "a torch wheel exists for this machine",
    "companion.unavailable": "the companions asked for (--with) exist for a fitting torch",
    "gpu.no_build": "a build has kernels for every GPU",
    "gpu.driver_too_old": "the NVIDIA driver is new enough for a build with kernels for this GPU",
}
IDS = tuple(TITLES)


def problem(id: str, message: str) -> Finding:
    """Why no plan: an error finding with one of the planner's ids (an unknown id is a bug, not a new id)."""
    return Finding(id, ERROR, message, area=AREA, title=TITLES[id])
