"""The candidates and their gates: every (torch release, variant) that could serve this machine, and why
each one does or does not.

A candidate passes three gates (a wheel for this Python/OS/arch, the driver floor, code for the architecture
of every GPU the build would use) and the companions asked for; `pick` takes the newest release that
passes, then its best variant (`rank`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from torchdoctor.facts import Gpu
from torchdoctor.knowledge import Knowledge, Release, Variant, cuda_of, driver_key, gpu_runs_on, variant_kind
from torchdoctor.plan.device import Target, capability
from torchdoctor.plan.machine import Machine
from torchdoctor.requests import PlanRequest


@dataclass
class Candidate:
    rel: Release
    patch: str
    variant: str
    source: str  # "pypi" | "index"
    status: str
    role: str | None
    wheel: str | None = None  # failure reasons per gate (None = passed)
    driver: str | None = None
    arch: str | None = None
    companion: str | None = None
    native: bool = True  # driver meets the toolkit's own driver (no minor-version compatibility)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.wheel or self.driver or self.arch or self.companion)

    @property
    def ok_but_driver(self) -> bool:
        return not (self.wheel or self.arch or self.companion)


def python_range(rel: Release) -> str:
    return f"{rel.pythons[0]}-{rel.pythons[-1]}"


def numbers(text: str) -> tuple[int, ...]:
    """The numbers in a version, to compare: "2.12.1" -> (2, 12, 1), "glibc 2.28" -> (2, 28)."""
    return tuple(int(x) for x in re.findall(r"\d+", text))


def wheel_gate(m: Machine, rel: Release, var: Variant | None, variant: str, source: str) -> str | None:
    if m.key not in rel.platforms:
        return f"no wheels for {m.key}"
    if m.python is not None and m.key not in rel.python_platforms(m.python):
        return f"no wheel for Python {m.python} (this release: {python_range(rel)})"
    if m.free_threaded and m.python and m.key not in rel.free_threaded_platforms(m.python, source == "pypi"):
        return f"no free-threaded wheel for Python {m.python}t" + (" on PyPI" if source == "pypi" else "")
    need_glibc = rel.glibc_min.get(m.key)
    if m.libc == "glibc" and m.libc_version and need_glibc and numbers(m.libc_version) < numbers(need_glibc):
        return f"needs glibc >= {need_glibc} (this system: {m.libc_version})"
    need_mac = rel.macos_minimum(m.key, m.python, m.free_threaded)
    if m.macos_version and need_mac and numbers(m.macos_version) < numbers(need_mac):
        return f"needs macOS >= {need_mac} (this Mac: {m.macos_version})"
    if source == "index" and (var is None or m.key not in var.platforms):
        return f"no {variant} build for {m.key}"
    if source == "index" and var is not None and not var.offered:
        return {"unconfirmed": "not verified on download.pytorch.org (as of the tables)",
                "unadvertised": "published but unsupported by PyTorch"}.get(var.status, var.status)
    return None


def needed_driver(m: Machine, k: Knowledge, gpus: tuple[Gpu, ...], variant: str) -> str | None:
    """The driver a CUDA build needs here: its CUDA major's floor, raised to the first driver branch that
    knows the GPU at all (Blackwell: R570; an R560 driver does not drive an RTX 5090, whatever the CUDA)."""
    cuda = cuda_of(variant)
    floor = k.driver_floor(cuda, m.driver_os) if cuda else None
    if floor is None:
        return None
    for gpu in gpus:
        cc = capability(gpu, k)
        row = k.architecture(cc) if cc else None
        first = row.get("first_driver") if row else None
        if first and driver_key(first) > driver_key(floor):
            floor = first
    return floor


def _driver_gate(m: Machine, k: Knowledge, target: Target, c: Candidate) -> None:
    cuda = cuda_of(c.variant)
    if cuda is None or m.driver is None:
        return
    floor = needed_driver(m, k, target.gpus, c.variant)
    if floor is None:
        c.driver = f"minimum driver for CUDA {cuda} unknown"
        return
    if driver_key(m.driver) < driver_key(floor):
        cuda_floor = k.driver_floor(cuda, m.driver_os)
        why = "" if floor == cuda_floor else "; older drivers do not support this GPU"
        c.driver = f"needs driver >= {floor} (have {m.driver}{why})"
        return
    own = k.toolkit_driver(cuda, m.driver_os)
    if own and driver_key(m.driver) < driver_key(own):
        c.native = False


def _arch_gate(m: Machine, k: Knowledge, target: Target, c: Candidate) -> None:
    kind = variant_kind(c.variant)
    if kind == "cuda":
        arch_list = k.arch_list(c.patch, c.variant, m.key)
        cuda = cuda_of(c.variant) or ""
        missing = []
        for gpu in target.gpus:
            cc = capability(gpu, k)
            if cc is None:
                continue
            if k.cuda_supports_gpu(cuda, cc) is False:
                lo, hi = k.toolkit_range(cc)
                span = f"CUDA >= {lo}" if hi is None else f"CUDA {lo}-{hi}"
                missing.append(f"sm_{cc[0]}{cc[1]} needs {span}")
            elif arch_list is None:
                c.arch = f"compiled architectures of {c.variant} unknown for {m.key}"
                return
            elif not gpu_runs_on(cc, arch_list):
                missing.append(f"no kernels for sm_{cc[0]}{cc[1]} (has {arch_span(arch_list)})")
        if missing:
            c.arch = "; ".join(dict.fromkeys(missing))
        row = k.arch_row(c.patch, c.variant, m.key)
        if row is not None and row.confidence != "confirmed" and target.gpus:
            c.notes.append(f"the {c.variant} architecture list for {c.rel.series} is {row.confidence} "
                           f"({row.note or 'see knowledge/SOURCES.md'})")
    elif kind == "rocm":
        gfx_list = k.arch_list(c.patch, c.variant, m.key)
        if gfx_list is None:
            c.arch = f"gfx targets of {c.variant} unknown"
            return
        missing = [g.gfx for g in target.gpus if g.gfx and g.gfx not in gfx_list]
        if missing:
            c.arch = f"no kernels for {', '.join(dict.fromkeys(missing))} (has {', '.join(gfx_list)})"
        row = k.arch_row(c.patch, c.variant, m.key)
        if row is not None and row.confidence != "confirmed":
            c.notes.append(f"the gfx list of {c.variant} for {c.rel.series} is {row.confidence} from PyTorch's "
                           "build scripts, not read from the wheels")


def arch_span(arch_list: tuple[str, ...]) -> str:
    sms = [a for a in arch_list if a.startswith("sm_")]
    ptx = [a for a in arch_list if a.startswith("compute_")]
    text = f"{sms[0]}..{sms[-1]}" if len(sms) > 1 else ", ".join(sms)
    return text + (f" + {', '.join(ptx)}" if ptx else "")


def _variants_for_device(m: Machine, rel: Release, device: str) -> list[tuple[str, str, Variant | None]]:
    """(variant, source, Variant) of the wanted kind for this platform, PyPI default first."""
    default = rel.pypi_default.get(m.key)
    want = {"cuda": ("cuda",), "rocm": ("rocm",), "xpu": ("xpu",), "mps": ("cpu",), "cpu": ("cpu",)}[device]
    out: list[tuple[str, str, Variant | None]] = []
    if default and variant_kind(default) in want:
        out.append((default, "pypi", rel.variant(default)))
    for v in rel.variants:
        # The PyPI default's twin on download.pytorch.org is a candidate only where PyPI lacks this
        # machine's wheel (2.6 has cp313t on the index only); elsewhere PyPI is the same build, simpler.
        if v.kind in want and (v.name != default or m.key in _pypi_gaps(m, rel)):
            out.append((v.name, "index", v))
    if not out:  # e.g. a platform the release does not ship: still one candidate so the wheel gate explains
        out.append((default or "cpu", "pypi" if default else "index", rel.variant(default or "cpu")))
    return out


def _pypi_gaps(m: Machine, rel: Release) -> tuple[str, ...]:
    """Platforms where this release has a wheel for this Python on its index but not on PyPI."""
    if m.free_threaded and m.python and rel.pypi_free_threaded is not None:
        return tuple(p for p in rel.free_threaded_platforms(m.python, False)
                     if p not in rel.free_threaded_platforms(m.python, True))
    return ()


def candidates(m: Machine, k: Knowledge, target: Target, req: PlanRequest, releases: tuple[Release, ...],
                pin_patch: str | None, pin_variant: str | None) -> list[Candidate]:
    out = []
    for series in releases:
        # Every patch whose wheels differ from the series row is a candidate of its own (2.12.0 has cp313t,
        # 2.12.1 does not); patches that do not differ would only repeat the newest one.
        for patch in ((pin_patch,) if pin_patch in series.versions else series.distinct_patches()):
            out.extend(_patch_candidates(m, k, target, req, series.at(patch), patch, pin_variant))
    if pin_variant and not out:
        raise ValueError(f"torch {pin_patch or ''}+{pin_variant} is not a known build")
    return out


def _patch_candidates(m: Machine, k: Knowledge, target: Target, req: PlanRequest, rel: Release, patch: str,
                      pin_variant: str | None) -> list[Candidate]:
    out = []
    for variant, source, var in _variants_for_device(m, rel, target.device):
        if pin_variant and variant != pin_variant:
            continue
        # A variant's status is about download.pytorch.org; the PyPI default was read from PyPI itself.
        status = var.status if var is not None and source == "index" else "confirmed"
        c = Candidate(rel, patch, variant, source, status, var.role if var else None)
        c.wheel = wheel_gate(m, rel, var, variant, source)
        if source == "index" and var is not None and var.status == "inferred":
            c.notes.append(f"{patch}+{variant} on download.pytorch.org is inferred, not verified "
                           f"({var.note or 'see knowledge/SOURCES.md'})")
        _driver_gate(m, k, target, c)
        _arch_gate(m, k, target, c)
        for pkg in req.with_:
            if rel.companions.get(patch, {}).get(pkg) is None:
                c.companion = (f"no {pkg} release for torch {patch}"
                               + (" (torchaudio's last release is 2.11.0)" if pkg == "torchaudio" else ""))
            elif source == "index" and var is not None and m.key in var.no_companions:
                c.companion = f"no {pkg} build on the {variant} index for {m.key} (torch only in {patch})"
            elif m.python and m.key in rel.companion_gaps.get(m.python, ()):
                c.companion = (f"no {pkg} wheel for Python {m.python} on {m.key} (torch {patch} has one, "
                               "its companions do not)")
        out.append(c)
    return out


def rank(c: Candidate) -> tuple:
    """Within one release: native driver support, then not experimental, then the CUDA closest to
    what the driver supports natively (newest when native, oldest when relying on compatibility)."""
    cuda = numbers(cuda_of(c.variant) or "0")
    rocm = numbers(c.variant[4:]) if c.variant.startswith("rocm") else (0,)
    return (c.native, c.role != "experimental", cuda if c.native else tuple(-x for x in cuda), rocm,
            c.source == "pypi")


def pick(cands: list[Candidate]) -> Candidate | None:
    ok = [c for c in cands if c.ok]
    if not ok:
        return None
    newest = max(numbers(c.patch) for c in ok)
    return max((c for c in ok if numbers(c.patch) == newest), key=rank)

