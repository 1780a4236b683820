"""Pure judges of a smoke run: the child's answer in, a verdict out.

No subprocess, no environment, no rich. The thresholds live here, with the reason:

- Convergence: |w - 2| < 1e-3 (the issue's definition) and the prediction at x = 4 within
  1e-2 of 8 (4 * 1e-3 plus room for float32 rounding).
- Gradients, max relative error against the hand-derived formulas computed on the CPU in
  float64 (normwise: max|got - ref| / max|ref|):
    float64 1e-10: only summation order differs, errors are ~1e-16;
    float32 1e-4:  inputs rounded to float32 (~6e-8) times a small condition number
                   gives ~1e-7; 1e-4 leaves three orders of margin and still catches a
                   wrong kernel. TF32 is switched OFF in the child (it would give ~1e-3
                   and is not what "float32" promises), so this tolerance is not loosened.
- Agreement, the same: float32 training (100 steps) against CPU float64, 1e-4.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from torchdoctor.checks.areas import SMOKE
from torchdoctor.findings import ERROR, Finding, finding

GRAD_TOLERANCE = {"float64": 1e-10, "float32": 1e-4}
AGREEMENT_TOLERANCE = {"float64": 1e-10, "float32": 1e-4}
CONVERGED_WITHIN = 1e-3
PREDICTION_WITHIN = 1e-2
STAGES = ("init", "classic", "gradcheck", "agreement", "throughput")

# Every id a smoke run can report, with what the failed check verifies (docs/findings.md lists them).
FINDING_IDS = {
    "smoke.torch_missing": "torch is installed for the examined interpreter",
    "smoke.torch_import_failed": "torch imports",
    "smoke.device_unavailable": "the requested device is usable by this torch",
    "smoke.timeout": "the device run finishes within --timeout",
    "smoke.crashed": "the device run does not crash",
    "smoke.child_failed": "the device run's child answers",
    "smoke.incomplete": "the child reports every stage",
    "smoke.stage_error": "each stage runs without an error",
    "smoke.init_failed": "the first operation on the device works",
    "smoke.diverged": "the classic loop stays finite",
    "smoke.not_converged": "the classic loop converges to w = 2",
    "smoke.wrong_prediction": "the trained model predicts 8 at x = 4",
    "smoke.grad_mismatch": "autograd's gradients equal the hand-derived formulas",
    "smoke.reference_mismatch": "float32 training agrees with the CPU float64 reference",
    "smoke.no_progress": "the throughput run makes progress with a finite loss",
}

# The lines that say what really went wrong, when a child dies with a wall of text.
_ERROR_LINE = re.compile(
    r"(CUDA error: .*|no kernel image is available.*|HIP error: .*|CUDA out of memory.*|"
    r"CUBLAS_STATUS_\w+.*|cuDNN error: .*|RuntimeError: .*|\w+Error: .*)")


@dataclass(frozen=True)
class DeviceVerdict:
    device: str
    ok: bool
    status: str  # "passed" | "failed" (a check did not hold) | "error" | "timeout" | "crashed"
    problems: tuple[str, ...] = ()
    checks: Mapping[str, str] = field(default_factory=dict)  # stage -> passed|failed|error|missing
    ids: tuple[str, ...] = ()  # the finding id of each problem, in the same order (FINDING_IDS)

    @property
    def findings(self) -> tuple[Finding, ...]:
        return tuple(finding(fid, ERROR, f"{self.device}: {text}", area=SMOKE, title=FINDING_IDS[fid])
                     for fid, text in zip(self.ids, self.problems))


def _finite(v: Any) -> bool:
    return isinstance(v, (int, float)) and math.isfinite(v)


def first_error_line(text: str) -> str:
    """The most telling line of an error text: a CUDA error beats a generic traceback tail."""
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    for pattern in ("CUDA error:", "no kernel image", "HIP error:", "out of memory"):
        for line in lines:
            if pattern in line:
                return line[:300]
    for line in reversed(lines):
        m = _ERROR_LINE.search(line)
        if m:
            return m.group(1)[:300]
    return lines[-1][:300] if lines else ""


def stage_error(entry: Any) -> str | None:
    if isinstance(entry, Mapping) and entry.get("error"):
        return first_error_line(str(entry["error"])) or str(entry["error"])[:300]
    return None


def judge_classic(c: Mapping[str, Any]) -> list[str]:
    return [text for _, text in _classic(c)]


def _classic(c: Mapping[str, Any]) -> list[tuple[str, str]]:
    w, epochs = c.get("w"), c.get("epochs")
    if not _finite(w) or not _finite(c.get("final_loss")):
        return [("smoke.diverged", f"the classic loop diverged: w = {w}, final loss = {c.get('final_loss')}")]
    problems = []
    if abs(w - 2.0) >= CONVERGED_WITHIN or c.get("converged_epoch") is None:
        problems.append(("smoke.not_converged", f"the classic loop did not converge: w = {w:.6g} after {epochs} "
                         f"epochs (needs |w - 2| < {CONVERGED_WITHIN:g})"))
    pred = c.get("prediction_at_4")
    if _finite(pred) and abs(pred - 8.0) > PREDICTION_WITHIN:
        problems.append(("smoke.wrong_prediction", f"the trained model predicts {pred:.6g} at x = 4 instead of 8"))
    return problems


def judge_gradcheck(g: Mapping[str, Any]) -> list[str]:
    errors = g.get("max_rel_err") or {}
    if not errors:
        return ["the gradient check produced no numbers"]
    problems = []
    for dtype, per_tensor in errors.items():
        tol = GRAD_TOLERANCE.get(dtype, 1e-2)
        for name, err in per_tensor.items():
            if not _finite(err) or err > tol:
                problems.append(f"autograd {name} ({dtype}) differs from the hand-derived formula: "
                                f"max relative error {err:.3g} > {tol:g}")
    return problems


def judge_agreement(a: Mapping[str, Any]) -> list[str]:
    tol = AGREEMENT_TOLERANCE.get(a.get("dtype", "float32"), 1e-4)
    problems = []
    for name, err in (a.get("max_rel_err") or {}).items():
        if not _finite(err) or err > tol:
            problems.append(f"trained {name} differs from the CPU float64 reference: "
                            f"max relative error {err:.3g} > {tol:g}")
    return problems


def judge_throughput(t: Mapping[str, Any]) -> list[str]:
    if not t.get("finite", True):
        return ["the throughput run produced a non-finite loss"]
    if not _finite(t.get("steps_per_s")) or t.get("steps_per_s", 0) <= 0:
        return ["the throughput run made no progress"]
    return []


def judge_init(i: Mapping[str, Any]) -> list[str]:
    return []  # a failed first op carries "error" and is handled as a stage error


# stage -> (its judge, as (id, problem) pairs)
_JUDGES = {"init": lambda e: [("smoke.init_failed", t) for t in judge_init(e)],
           "classic": _classic,
           "gradcheck": lambda e: [("smoke.grad_mismatch", t) for t in judge_gradcheck(e)],
           "agreement": lambda e: [("smoke.reference_mismatch", t) for t in judge_agreement(e)],
           "throughput": lambda e: [("smoke.no_progress", t) for t in judge_throughput(e)]}


def judge_device(device: str, status: str, detail: str, data: Mapping[str, Any] | None,
                 stderr: str = "", timeout: float | None = None) -> DeviceVerdict:
    """One device's child run (its ChildResult status/detail/answer/stderr) -> verdict."""
    data = data or {}
    problems: list[str] = []
    ids: list[str] = []
    checks: dict[str, str] = {}
    if data.get("import_error"):
        return DeviceVerdict(device, False, "error", (f"torch failed to import: {data['import_error']}",),
                             {s: "missing" for s in STAGES}, ("smoke.torch_import_failed",))
    for stage in STAGES:
        entry = data.get(stage)
        if entry is None:
            checks[stage] = "missing"
            continue
        err = stage_error(entry)
        if err:
            checks[stage] = "error"
            problems.append(f"{stage}: {err}")
            ids.append("smoke.stage_error")
            continue
        found = _JUDGES[stage](entry)
        checks[stage] = "failed" if found else "passed"
        problems += [text for _, text in found]
        ids += [fid for fid, _ in found]

    reached = next((s for s in STAGES if checks[s] == "missing"), None)
    if "torch" not in data and "import_seconds" not in data:
        reached = "import torch"
    if status == "timeout":
        where = f" during {reached}" if reached else ""
        limit = f" within {timeout:g} s" if timeout else ""
        problems.insert(0, f"did not finish{limit}{where}: the device hung or is far too slow "
                           "(raise --timeout if it is just slow)")
        ids.insert(0, "smoke.timeout")
        return DeviceVerdict(device, False, "timeout", tuple(problems), checks, tuple(ids))
    if status in ("crashed", "failed", "no_answer", "not_started"):
        why = first_error_line(stderr) if stderr else ""
        where = f" during {reached}" if reached else ""
        problems.insert(0, f"{detail or status}{where}" + (f": {why}" if why and why not in detail else ""))
        ids.insert(0, "smoke.crashed" if status == "crashed" else "smoke.child_failed")
        return DeviceVerdict(device, False, "crashed" if status == "crashed" else "error", tuple(problems), checks,
                             tuple(ids))
    if any(v == "error" for v in checks.values()):
        return DeviceVerdict(device, False, "error", tuple(problems), checks, tuple(ids))
    if any(v == "missing" for v in checks.values()):
        missing = ", ".join(s for s, v in checks.items() if v == "missing")
        problems.append(f"the child did not report: {missing}")
        ids.append("smoke.incomplete")
        return DeviceVerdict(device, False, "error", tuple(problems), checks, tuple(ids))
    if problems:
        return DeviceVerdict(device, False, "failed", tuple(problems), checks, tuple(ids))
    return DeviceVerdict(device, True, "passed", (), checks)


def device_entry(verdict: DeviceVerdict, data: Mapping[str, Any] | None, seconds: float | None = None) -> dict:
    """The JSON for one device. The classic loop's w, final_loss and seconds are ALSO copied
    to the device's top level (the documented short form); the full results sit under
    "classic", "gradcheck", "agreement", "throughput"."""
    data = dict(data or {})
    init = data.get("init") if isinstance(data.get("init"), Mapping) else {}
    classic = data.get("classic") if isinstance(data.get("classic"), Mapping) else {}
    entry: dict = {
        "device": verdict.device,
        "ok": verdict.ok,
        "status": verdict.status,
        "problems": list(verdict.problems),
        "checks": dict(verdict.checks),
        "name": init.get("name"),
        "w": classic.get("w"),
        "final_loss": classic.get("final_loss"),
        "seconds": classic.get("seconds"),
        "converged_epoch": classic.get("converged_epoch"),
    }
    for stage in ("classic", "gradcheck", "agreement", "throughput", "init", "settings"):
        if data.get(stage) is not None:
            value = dict(data[stage])
            value.pop("traceback", None)
            entry[stage] = value
    entry["timings"] = {
        "import_seconds": data.get("import_seconds"),
        "first_op_seconds": init.get("first_op_seconds"),
        "classic_seconds": classic.get("seconds"),
        "child_seconds": seconds,
    }
    entry["warnings"] = list(data.get("warnings") or [])
    entry["findings"] = [f.to_dict() for f in verdict.findings]
    return entry
