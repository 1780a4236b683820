"""When no build fits: the finding that says why (Python, platform, companions, GPU kernels or the driver)."""

from __future__ import annotations

from torchdoctor.findings import Finding
from torchdoctor.knowledge import Knowledge, driver_key
from torchdoctor.plan.device import Target, gpu_label
from torchdoctor.plan.gates import Candidate, candidates, needed_driver, pick, python_range, rank, numbers
from torchdoctor.plan.machine import Machine
from torchdoctor.plan.problems import problem
from torchdoctor.requests import PlanRequest


def why_nothing(m: Machine, k: Knowledge, target: Target, cands: list[Candidate], req: PlanRequest) -> list[Finding]:
    """No candidate passed every gate: the one finding that says which gate stopped them all."""
    if not any(not c.wheel for c in cands):
        return [_python_problem(m, k, cands, req)]
    if req.with_ and not any(not c.wheel and not c.companion for c in cands):
        return [problem("companion.unavailable", "; ".join(dict.fromkeys(c.companion for c in cands if c.companion)))]
    if target.device in ("cuda", "rocm", "xpu") and not any(c.ok_but_driver for c in cands):
        gpus = ", ".join(gpu_label(g, k) for g in target.gpus) or "this GPU"
        # A definite "no kernels" first: "architectures unknown" for one variant is not why nothing fits.
        arch_reasons = sorted({c.arch for c in cands if c.arch and not c.wheel}, key=lambda r: ("unknown" in r, r))
        msg = (f"torch {req.torch} has no {target.device.upper()} build with kernels for {gpus}" if req.torch
               else f"No torch release from 1.13 on has a {target.device.upper()} build with kernels for {gpus}")
        detail = f" ({arch_reasons[0]})" if arch_reasons else ""
        hint = _older_hint(m, k, target, req)
        return [problem("gpu.no_build", msg + detail + "." + hint)]
    blocked = [c for c in cands if c.ok_but_driver]
    if not blocked:
        return [problem("platform.no_wheel", "No build fits this machine.")]
    best = max(blocked, key=lambda c: (numbers(c.patch), rank(c)))

    def floor(c: Candidate) -> str:
        return needed_driver(m, k, target.gpus, c.variant) or "?"

    low = min(blocked, key=lambda c: (driver_key(floor(c)) if floor(c) != "?" else (9999,),
                                      tuple(-x for x in numbers(c.patch))))
    msg = f"NVIDIA driver {m.driver} is too old for every CUDA build that has kernels for this GPU: "
    msg += f"driver >= {floor(low)} runs torch {low.patch}+{low.variant}"
    if low is not best and floor(low) != floor(best):
        msg += f"; >= {floor(best)} runs the newest, torch {best.patch}+{best.variant}"
    return [problem("gpu.driver_too_old", msg + ". Update the driver.")]


def _older_hint(m: Machine, k: Knowledge, target: Target, req: PlanRequest) -> str:
    if not req.torch:
        return " Build from source with TORCH_CUDA_ARCH_LIST, or use the CPU build."
    c = pick(candidates(m, k, target, PlanRequest(), k.releases, None, None))
    return f" Without --torch the newest fitting build is torch {c.patch}+{c.variant}." if c else ""


def _python_problem(m: Machine, k: Knowledge, cands: list[Candidate], req: PlanRequest) -> Finding:
    reasons = sorted({c.wheel for c in cands if c.wheel})
    if m.python and not m.free_threaded:
        newest, oldest = k.releases[0], k.releases[-1]
        pv = numbers(m.python)
        if not req.torch and pv < numbers(oldest.pythons[0]):
            last_for_python = k.python_too_old.get(m.python)
            what = (f"torch {last_for_python} was the last release for Python {m.python} (`pip install "
                    f"torch=={last_for_python}`, CPU/CUDA 10.2 era, unsupported)" if last_for_python
                    else f"no torch release in these tables supports Python {m.python}")
            return problem("python.too_old", f"Python {m.python} is older than every torch release from "
                                             f"{oldest.version} on: {what}. Better: install Python "
                                             f"{k.recommended_python()} (torch {newest.version} supports "
                                             f"{python_range(newest)}).")
        on_platform = [r for r in k.releases if m.key in r.platforms]
        if not req.torch and on_platform and on_platform[0] is not newest:
            # Intel Mac: the platform's own last release decides, not the newest release.
            last = on_platform[0]
            py_ok = [p for p in (last.pythons + tuple(last.python_limited)) if m.key in last.python_platforms(p)]
            py_ok.sort(key=numbers)
            if py_ok and pv > numbers(py_ok[-1]):
                return problem("python.too_new", f"torch {last.version} is the last release for {m.key} and supports "
                                                 f"Python {py_ok[0]}-{py_ok[-1]}; this is Python {m.python}. Install "
                                                 f"Python {py_ok[-1]} next to it and use that "
                                                 f"(`pip install torch=={last.version}`).")
        if not req.torch and pv > numbers(newest.pythons[-1]):
            return problem("python.too_new", f"Python {m.python} is newer than every torch release: torch "
                                             f"{newest.version} supports {python_range(newest)}. Install Python "
                                             f"{newest.pythons[-1]} (or older) next to it and use that.")
    if m.free_threaded:
        return problem("python.free_threaded", f"No torch wheel for free-threaded Python {m.python}t on {m.key}"
                                               f"{' for torch ' + req.torch if req.torch else ''}; use the regular "
                                               f"(GIL) build of Python {m.python} or a supported free-threaded one.")
    return problem("platform.no_wheel", "No torch wheel for this machine: " + "; ".join(reasons[:3]) + ".")

