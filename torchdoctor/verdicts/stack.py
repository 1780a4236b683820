"""The stack workloads' judge (patient/stack_workloads.py): each library its own line and finding id.

Tolerances, max relative error against the CPU in float64 (normwise), with the reason:
- conv2d forward and both gradients, float32, TF32 off: sums of 27-216 terms, errors ~1e-6; 1e-3 leaves
  room for cuDNN's algorithm choice and still catches a wrong kernel.
- matmul float32 (256-long sums): ~1e-6; 1e-4. TF32 (10-bit mantissa): ~1e-3; 1e-2. bfloat16 (8-bit
  mantissa): ~4e-3; 5e-2.
- scaled_dot_product_attention float32 against softmax(QK^T/sqrt(d))V: ~1e-6; 1e-3 (fused kernels).
- autocast: one step must leave finite weights. DataLoader: the sum of what the workers moved equals the
  data's (1e-9: float32 values summed in float64).
"""

from __future__ import annotations

import re
from typing import Any, Mapping

from torchdoctor.checks.areas import SMOKE
from torchdoctor.findings import ERROR, Finding, finding

STACK_IDS = {
    "smoke.stack_conv": "conv2d forward and backward match the CPU (cuDNN / oneDNN)",
    "smoke.stack_matmul": "a float32 matmul matches the CPU (cuBLAS)",
    "smoke.stack_tf32": "a TF32 matmul is within TF32's precision",
    "smoke.stack_bf16": "a bfloat16 matmul is within bfloat16's precision",
    "smoke.stack_sdpa": "scaled_dot_product_attention matches the plain formula",
    "smoke.stack_autocast": "a mixed-precision (autocast) training step stays finite",
    "smoke.stack_dataloader": "a DataLoader with two worker processes delivers the data",
}
TOLERANCE = {"conv": 1e-3, "matmul": 1e-4, "tf32": 1e-2, "bf16": 5e-2, "sdpa": 1e-3, "dataloader": 1e-9}
LABELS = {"conv": "conv2d", "matmul": "matmul fp32", "tf32": "matmul tf32", "bf16": "matmul bf16",
          "sdpa": "attention", "autocast": "autocast", "dataloader": "DataLoader"}
_SHM = re.compile(r"shared memory|Bus error|exited unexpectedly|No space left on device|shm", re.I)


def _line(text: str) -> str:
    lines = [ln.strip() for ln in str(text).splitlines() if ln.strip()]
    return (lines[0] if lines else "")[:300]


def judge(device: str, stack: Mapping[str, Any] | None) -> tuple[dict[str, str], list[Finding]]:
    """{workload: passed|failed|error|skipped} and the findings of the ones that failed."""
    checks: dict[str, str] = {}
    found: list[Finding] = []
    for name, value in (stack or {}).items():
        if not isinstance(value, Mapping) or f"smoke.stack_{name}" not in STACK_IDS:
            continue
        fid = f"smoke.stack_{name}"
        problem = None
        if value.get("skipped"):
            checks[name] = "skipped"
            continue
        if value.get("error"):
            checks[name] = "error"
            problem = f"{LABELS[name]} failed: {_line(value['error'])}"
            if name == "dataloader" and _SHM.search(str(value["error"])):
                problem += " (shared memory: a container's /dev/shm is too small; run `torchdoctor check`)"
        elif name == "autocast":
            if not value.get("finite"):
                problem = f"one autocast ({value.get('dtype')}) step left non-finite weights"
        else:
            err = value.get("max_rel_err")
            if not isinstance(err, (int, float)) or not err <= TOLERANCE[name]:
                problem = f"{LABELS[name]} max rel err {err} exceeds {TOLERANCE[name]:g}"
        checks.setdefault(name, "failed" if problem else "passed")
        if problem:
            found.append(finding(fid, ERROR, f"{device}: {problem}", area=SMOKE, title=STACK_IDS[fid]))
    return checks, found
