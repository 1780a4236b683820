"""Why the plan is what it is: the machine summary, the reasons and warnings of the chosen build, the
newer options rejected (and why), and what a driver upgrade would unlock.
"""

from __future__ import annotations

from typing import Any

from torchdoctor.facts import Gpu
from torchdoctor.knowledge import Knowledge, builds, cuda_of, driver_key, variant_kind
from torchdoctor.plan.device import Target, capability, gpu_label
from torchdoctor.plan.gates import Candidate, arch_span, needed_driver, rank, numbers, wheel_gate
from torchdoctor.plan.machine import Machine
from torchdoctor.requests import COMPANIONS, PlanRequest


def machine_summary(m: Machine, k: Knowledge) -> dict[str, Any]:
    return {"os": m.os, "arch": m.arch, "python": m.python, "python_bits": m.bits, "free_threaded": m.free_threaded,
            "wsl": m.wsl, "driver": m.driver,
            "driver_max_cuda": k.max_cuda_for_driver(m.driver, m.driver_os) if m.driver else None,
            "gpus": [gpu_label(g, k) for g in m.gpus],
            # what each GPU runs, as the plan used it: compute capability, gfx target, Intel XPU class
            "gpu_details": [{"vendor": g.vendor, "name": g.name, "capability": _capability_text(g, k),
                             "gfx": g.gfx, "kind": g.kind} for g in m.gpus]}


def _capability_text(gpu: Gpu, k: Knowledge) -> str | None:
    cc = capability(gpu, k) if gpu.vendor == "nvidia" else None
    return f"{cc[0]}.{cc[1]}" if cc else None


def explain(c: Candidate, m: Machine, k: Knowledge, target: Target, req: PlanRequest) -> tuple[list[str], list[str]]:
    reasons: list[str] = []
    warnings: list[str] = []
    py = f"Python {m.python}{'t' if m.free_threaded else ''}"
    where = f"{m.key}{' (WSL2)' if m.wsl else ''}"
    kind = variant_kind(c.variant)
    if target.device == "cuda":
        gpus = ", ".join(gpu_label(g, k) for g in target.gpus) or "an NVIDIA GPU"
        drv = f"driver {m.driver}" if m.driver else "no NVIDIA driver detected"
        native = k.max_cuda_for_driver(m.driver, m.driver_os) if m.driver else None
        reasons.append(f"{gpus} with {drv}" + (f" (native CUDA <= {native})" if native else "") + f", {py}, {where}.")
        cuda = cuda_of(c.variant) or ""
        floor = needed_driver(m, k, target.gpus, c.variant)
        arch_list = k.arch_list(c.patch, c.variant, m.key) or ()
        reasons.append(f"torch {c.patch}+{c.variant} is the newest build that fits: it has kernels for every GPU "
                       f"({arch_span(arch_list) if arch_list else 'list unknown'}) and needs driver >= {floor} "
                       + (f"(CUDA {cuda.split('.')[0]}.x minor-version compatibility)."
                          if floor == k.driver_floor(cuda, m.driver_os) else "(the first driver branch for this GPU)."))
        if m.driver and not c.native:
            own = k.toolkit_driver(cuda, m.driver_os)
            reasons.append(f"Trade-off: CUDA {cuda} runs on driver {m.driver} through NVIDIA's minor-version "
                           f"compatibility (limited feature set: code that JIT-compiles newer PTX can fail); "
                           f"driver >= {own} supports it natively.")
        if m.wsl:
            reasons.append("WSL2: the driver is the Windows driver seen through /usr/lib/wsl/lib, so the Windows "
                           "driver floors apply; the wheel is the Linux one.")
        if m.driver is None:
            warnings.append(f"NO NVIDIA DRIVER DETECTED: this CUDA build cannot use the GPU until a driver >= "
                            f"{floor} is installed{' for ' + m.os.capitalize() if m.os != 'linux' else ''}.")
        unknown = [g for g in target.gpus if capability(g, k) is None]
        if unknown or not target.gpus:
            names = ", ".join(g.name or "unnamed GPU" for g in unknown) or "the GPU"
            warnings.append(f"COMPUTE CAPABILITY UNKNOWN for {names}: check that it is one of "
                            f"{', '.join(arch_list) or 'the build architectures'} (or newer within the same "
                            "major); otherwise CUDA fails with 'no kernel image is available'.")
    elif target.device == "rocm":
        gpus = ", ".join(gpu_label(g, k) for g in target.gpus)
        gfx = k.arch_list(c.patch, c.variant, m.key) or ()
        reasons.append(f"{gpus}, {py}, {where}.")
        reasons.append(f"torch {c.patch}+{c.variant} (ROCm) is the newest build whose gfx targets include every GPU.")
        if any(g.gfx is None for g in target.gpus):
            warnings.append(f"GFX TARGET UNKNOWN: the ROCm build supports {', '.join(gfx)} only; other AMD GPUs "
                            "need HSA_OVERRIDE_GFX_VERSION or are unsupported.")
        reasons.append("The ROCm wheel bundles its ROCm runtime; the amdgpu kernel driver must be loaded and the "
                       "user in the 'render' and 'video' groups.")
    elif target.device == "xpu":
        gpus = ", ".join(gpu_label(g, k) for g in target.gpus)
        reasons.append(f"{gpus}, {py}, {where}.")
        reasons.append(f"torch {c.patch}+xpu is the newest Intel GPU (XPU) build for this platform; it needs "
                       "Intel's GPU driver (Linux: the client/data-center GPU packages; Windows: the Arc driver).")
    elif target.device == "mps":
        reasons.append(f"Apple Silicon, {py}, macOS {m.macos_version or '(version unknown)'}.")
        reasons.append(f"torch {c.patch} from PyPI is the macOS arm64 build with the MPS (Metal) GPU backend.")
        need = c.rel.macos_minimum(m.key, m.python, m.free_threaded)
        if need and m.macos_version is None:
            older = _older_macos_release(m, k, need)
            reasons.append(f"torch {c.patch}'s wheel for {py} needs macOS >= {need}"
                           + (f"; on older macOS use torch {older}." if older else "."))
    else:
        reasons.append(f"No GPU that a PyTorch build can use was found; {py}, {where}.")
        if c.source == "index" and m.os == "linux":
            reasons.append("The CPU build comes from the /cpu index: plain `pip install torch` on Linux pulls the "
                           "CUDA build and several GB of NVIDIA libraries that cannot be used here.")
        elif m.os == "macos":
            reasons.append(f"torch {c.patch} is the last release with macOS x86_64 (Intel Mac) wheels.")
        else:
            reasons.append(f"The PyPI wheel for {m.key} is the CPU build.")
    reasons.extend(target.notes)
    if kind == "cuda":
        warnings.extend(_last_release_warnings(c, k, target))
    for pkg in req.with_:
        if pkg not in COMPANIONS:
            continue
        v = c.rel.companions.get(c.patch, {}).get(pkg)
        if v:
            reasons.append(f"{pkg} {v} is the release built for torch {c.patch}.")
    for n in dict.fromkeys(c.notes):
        reasons.append(f"Note: {n}.")
    return reasons, warnings


def _last_release_warnings(c: Candidate, k: Knowledge, target: Target) -> list[str]:
    """The chosen build is the last of a retired variant (knowledge/builds.json) and only it has kernels for
    some of these GPUs: say that the road ends here."""
    out = []
    for retired in builds.retired_variants():
        old = [g for g in target.gpus if (capability(g, k) or (99, 0)) < retired.below_cc]
        if c.variant == retired.variant and c.rel.series == retired.last_series and old:
            names = ", ".join(gpu_label(g, k) for g in old)
            out.append(f"torch {retired.last_series} is the last release with {retired.family} ({retired.variant}) "
                       f"wheels, the only ones with {retired.kernels} kernels: later releases will not support "
                       f"{names}.")
    return out

def _older_macos_release(m: Machine, k: Knowledge, need: str) -> str | None:
    """The newest release whose wheel for this Python runs on a macOS older than `need`."""
    for rel in k.releases:
        low = rel.macos_minimum(m.key, m.python, m.free_threaded)
        if low and numbers(low) < numbers(need) and wheel_gate(m, rel, None, "cpu", "pypi") is None:
            return f"{rel.version} (macOS >= {low})"
    return None


def rejected_lines(cands: list[Candidate], chosen: Candidate | None, k: Knowledge, m: Machine) -> list[str]:
    """One line per release newer than the chosen one (and the chosen release's other variants)."""
    lines = []
    by_patch: dict[str, list[Candidate]] = {}
    for c in cands:
        by_patch.setdefault(c.patch, []).append(c)
    for patch, group in by_patch.items():
        if chosen is not None and numbers(patch) < numbers(chosen.patch):
            break
        others = [c for c in group if c is not chosen and not c.ok]
        if chosen is not None and patch == chosen.patch:
            others = [c for c in others if rank(c) > rank(chosen) or not c.ok]
        if not others:
            continue
        reasons: dict[str, list[str]] = {}
        for c in others:
            why = c.wheel or c.companion or c.arch or c.driver or ""
            reasons.setdefault(why, []).append(c.variant + (" (PyPI)" if c.source == "pypi" else ""))
        if len(reasons) == 1 and (others[0].wheel or others[0].companion) and len(others) == len(group):
            lines.append(f"torch {patch}: {next(iter(reasons))}")
        else:
            parts = [f"{', '.join(vs)}: {why}" for why, vs in reasons.items()]
            lines.append(f"torch {patch}: " + "; ".join(parts))
    return _collapse(lines)


def _collapse(lines: list[str]) -> list[str]:
    """'torch 2.3.1: X', 'torch 2.4.1: X' -> 'torch 2.3.1 to 2.4.1: X' (the list is newest first)."""
    out: list[tuple[str, str, str]] = []
    for line in lines:
        head, _, why = line.partition(": ")
        version = head.removeprefix("torch ")
        if out and out[-1][2] == why:
            out[-1] = (version, out[-1][1], why)
        else:
            out.append((version, version, why))
    return [f"torch {lo}: {why}" if lo == hi else f"torch {lo} to {hi}: {why}" for lo, hi, why in out]


def upgrade_lines(cands: list[Candidate], chosen: Candidate | None, m: Machine, k: Knowledge,
                  target: Target) -> list[str]:
    """What a newer driver would unlock: the best candidate failing only the driver gate."""
    if m.driver is None or target.device != "cuda":
        return []
    last_branch = None
    for g in target.gpus:
        cc = capability(g, k)
        row = k.architecture(cc) if cc else None
        if row and row.get("last_driver_branch"):
            b = int(row["last_driver_branch"])
            last_branch = b if last_branch is None else min(last_branch, b)
    blocked = [c for c in cands if c.ok_but_driver and c.driver]
    if last_branch is not None:
        blocked = [c for c in blocked
                   if driver_key(needed_driver(m, k, target.gpus, c.variant) or "0")[0] <= last_branch]
    if chosen is not None:
        blocked = [c for c in blocked if (numbers(c.patch), rank(c)) > (numbers(chosen.patch), rank(chosen))]
    if not blocked:
        return []
    best_patch = max(numbers(c.patch) for c in blocked)
    best = max((c for c in blocked if numbers(c.patch) == best_patch),
               key=lambda c: numbers(cuda_of(c.variant) or "0"))
    floor = needed_driver(m, k, target.gpus, best.variant)
    out = [f"A driver >= {floor} would unlock torch {best.patch}+{best.variant}"
           + (" (plain PyPI)" if best.source == "pypi" else "") + "."]
    # The smallest upgrade that already helps, when it differs.
    lowest = min(blocked, key=lambda c: (driver_key(needed_driver(m, k, target.gpus, c.variant) or "0"),
                                         tuple(-x for x in numbers(c.patch))))
    low_floor = needed_driver(m, k, target.gpus, lowest.variant)
    if low_floor != floor:
        out.append(f"A driver >= {low_floor} would already unlock torch {lowest.patch}+{lowest.variant}.")
    if last_branch is not None:
        out.append(f"This GPU's last supported driver branch is R{last_branch}.")
    return out


