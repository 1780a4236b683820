"""The install planner behind `suggest`: facts + knowledge -> the one install command, and why.

Pure: no subprocess, no environment, no rich. Every (torch release, variant) candidate
passes three gates — a wheel for this Python/OS/arch, the driver floor, and code for the
architecture of every GPU the build would use — and the newest release that passes wins,
then its best variant. What was traded off, what a driver upgrade would unlock, and why
each newer release was rejected are part of the result.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from torchdoctor.facts import Facts, Gpu
from torchdoctor.knowledge import Knowledge, Release, Variant, cuda_of, driver_key, gpu_runs_on, variant_kind
from torchdoctor.shell import Command, Line, argv_of, check_arg, shell_for_os

DEFAULT_INDEX_BASE = "https://download.pytorch.org/whl"
FORMATS = ("pip", "uv", "requirements")
COMPANIONS = ("torchvision", "torchaudio")
JETSON_CC = {(5, 3), (6, 2), (7, 2), (8, 7)}  # L4T boards: the SBSA aarch64 wheels do not run there


@dataclass(frozen=True)
class PlanRequest:
    torch: str | None = None  # "2.7", "2.7.1", "2.7.1+cu118"
    with_: tuple[str, ...] = ()  # companions: "torchvision", "torchaudio"
    fmt: str = "pip"
    index_base: str = DEFAULT_INDEX_BASE


@dataclass(frozen=True)
class Problem:
    id: str
    message: str


@dataclass(frozen=True)
class Plan:
    torch: str  # "2.14.1"
    variant: str  # "cu126", "cpu", "rocm7.2", "xpu"
    index_url: str | None  # None: plain PyPI
    command: str
    packages: tuple[str, ...]
    device: str  # "cuda" | "rocm" | "xpu" | "mps" | "cpu"
    reasons: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()  # said loudly: the GPU may not be usable, unverified data, ...
    confidence: str = "confirmed"  # confirmed | inferred
    index_style: str = "index"
    # When the chosen wheel's presence on its index is inferred (2.15 on /whl/cpu): the newest verified
    # command, to run if pip answers "No matching distribution".
    retry_torch: str | None = None
    retry_command: str | None = None

    @property
    def argv(self) -> list[str] | None:
        """The argument list behind `command` (None for the requirements format: a file, not a command)."""
        return argv_of(self.command)

    def to_dict(self) -> dict[str, Any]:
        return {"torch": self.torch, "variant": self.variant, "index_url": self.index_url,
                "command": str(self.command), "argv": self.argv, "packages": list(self.packages),
                "device": self.device, "confidence": self.confidence, "reasons": list(self.reasons),
                "warnings": list(self.warnings), "retry_torch": self.retry_torch,
                "retry_command": str(self.retry_command) if self.retry_command is not None else None,
                "retry_argv": argv_of(self.retry_command)}


@dataclass(frozen=True)
class PlanResult:
    plan: Plan | None
    problems: tuple[Problem, ...] = ()
    rejected: tuple[str, ...] = ()  # one line per newer option: why not
    upgrades: tuple[str, ...] = ()  # what a driver upgrade would unlock
    fallback: Plan | None = None  # when the GPU cannot be used: the CPU-only command
    machine: dict[str, Any] = field(default_factory=dict)
    as_of: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"plan": self.plan.to_dict() if self.plan else None,
                "problems": [{"id": p.id, "message": p.message} for p in self.problems],
                "rejected": list(self.rejected), "upgrades": list(self.upgrades),
                "fallback": self.fallback.to_dict() if self.fallback else None,
                "machine": self.machine, "knowledge_as_of": self.as_of}


# ------------------------------------------------------------------------------ the machine
@dataclass(frozen=True)
class _Machine:
    os: str
    arch: str
    key: str  # "linux-x86_64"
    python: str | None  # "3.12"
    bits: int
    implementation: str
    free_threaded: bool
    wsl: bool
    libc: str | None
    libc_version: str | None
    macos_version: str | None
    rosetta: bool
    driver: str | None
    gpus: tuple[Gpu, ...]

    @property
    def driver_os(self) -> str:
        # WSL2 sees the Windows driver (through /usr/lib/wsl/lib), numbered as on Windows.
        return "windows" if self.os == "windows" or self.wsl else "linux"


_ARCH_ALIASES = {"amd64": "x86_64", "x64": "x86_64", "i386": "x86", "i686": "x86", "x86_32": "x86"}


def _machine(facts: Facts) -> _Machine:
    plat, pyf, nv = facts.platform, facts.python, facts.nvidia
    os_ = (plat.os if plat else "unknown").lower()
    arch = (plat.arch if plat else "unknown").lower()
    arch = _ARCH_ALIASES.get(arch, arch)
    if os_ == "macos" and arch == "aarch64":
        arch = "arm64"
    if os_ != "macos" and arch == "arm64":
        arch = "aarch64"
    python = None
    if pyf and pyf.version:
        m = re.match(r"(\d+)\.(\d+)", pyf.version)
        python = f"{m.group(1)}.{m.group(2)}" if m else None
    macos_version = None
    if plat and plat.os_version and os_ == "macos":
        m = re.search(r"(\d+)(?:\.(\d+))?", plat.os_version)
        macos_version = f"{m.group(1)}.{m.group(2) or 0}" if m else None
    return _Machine(
        os=os_, arch=arch, key=f"{os_}-{arch}", python=python,
        bits=pyf.bits if pyf else 64, implementation=(pyf.implementation if pyf else "cpython") or "cpython",
        free_threaded=bool(pyf and pyf.free_threaded), wsl=bool(plat and plat.wsl),
        libc=plat.libc if plat else None, libc_version=plat.libc_version if plat else None,
        macos_version=macos_version, rosetta=bool(plat and plat.rosetta),
        driver=nv.driver if nv else None, gpus=_kinds(facts.gpus or ()),
    )


def _kinds(gpus) -> tuple[Gpu, ...]:
    """One GPU per model: eight H200s ask the gates the same question eight times."""
    seen: dict = {}
    for g in gpus:
        seen.setdefault((g.vendor, g.name, g.capability, g.gfx, g.kind), g)
    return tuple(seen.values())


# ------------------------------------------------------------------------------ target device
@dataclass(frozen=True)
class _Target:
    device: str  # cuda | rocm | xpu | mps | cpu
    gpus: tuple[Gpu, ...] = ()  # the GPUs the build must serve
    notes: tuple[str, ...] = ()
    unusable: tuple[Problem, ...] = ()  # a GPU that no build for this OS can use
    maybe_xpu: tuple[Gpu, ...] = ()  # Intel GPUs off PyTorch's XPU list: plan CPU, show the XPU command to try


def _cc(gpu: Gpu, k: Knowledge) -> tuple[int, int] | None:
    if gpu.capability:
        return tuple(gpu.capability)  # type: ignore[return-value]
    return k.gpu_capability(gpu.name) if gpu.name else None


def _gpu_label(gpu: Gpu, k: Knowledge) -> str:
    name = gpu.name or {"nvidia": "NVIDIA GPU", "amd": "AMD GPU", "intel": "Intel GPU"}.get(gpu.vendor, "GPU")
    if gpu.vendor == "nvidia":
        cc = _cc(gpu, k)
        if cc:
            arch = k.architecture_name(cc)
            return f"{name} (sm_{cc[0]}{cc[1]}{', ' + arch if arch else ''})"
        return f"{name} (compute capability unknown)"
    if gpu.vendor == "amd" and gpu.gfx:
        return f"{name} ({gpu.gfx})"
    return name


def _target(m: _Machine, k: Knowledge) -> _Target:
    by = {v: tuple(g for g in m.gpus if g.vendor == v) for v in ("nvidia", "amd", "intel", "apple")}
    if m.os == "macos":
        if m.arch == "arm64":
            return _Target("mps", by["apple"])
        notes = ["Intel Mac: PyTorch builds only the CPU backend for macOS x86_64"]
        if by["nvidia"] or by["amd"]:
            notes.append("there are no CUDA or ROCm builds for macOS; the GPU is not used")
        return _Target("cpu", (), tuple(notes))
    if by["nvidia"]:
        notes = []
        others = by["amd"] + by["intel"]
        if others:
            labels = ", ".join(_gpu_label(g, k) for g in others)
            notes.append(f"a CUDA build uses the NVIDIA GPU(s) only; {labels} will not be used by it")
        return _Target("cuda", by["nvidia"], tuple(notes))
    if by["amd"]:
        if m.os == "linux" and m.arch == "x86_64":
            return _Target("rocm", by["amd"])
        where = "Windows" if m.os == "windows" else f"{m.os} {m.arch}"
        return _Target("cpu", (), (), (Problem(
            "amd.no_rocm_on_os",
            f"{_gpu_label(by['amd'][0], k)}: PyTorch's ROCm builds exist for Linux x86_64 only; on {where} no "
            "PyTorch build uses this GPU (options: Linux or WSL2 with ROCm, or the separate torch-directml "
            "package on Windows)."),))
    if by["intel"]:
        return _intel_target(m, k, by["intel"])
    if m.driver:
        return _Target("cuda", (), ("an NVIDIA driver is present but no GPU was described or found: the GPU's "
                                    "architecture cannot be checked",))
    return _Target("cpu")


# PyTorch's XPU hardware list (get_start_xpu, 2.5-2.15): client GPUs (Arc A/B-series, Core Ultra with Arc
# graphics) on Linux and Windows; Data Center GPU Max on Linux only. DG1 (Iris Xe MAX) is not on it, nor
# older integrated graphics. Gpu.kind comes from the PCI id (probes/pci.py) or the name (knowledge/gpu_names.py:
# "integrated-arc" = Core Ultra graphics with the Arc brand: Meteor Lake-H, Arrow Lake-H, Lunar Lake, Panther Lake);
# None = not known.
_XPU_OS = {"arc": ("linux", "windows"), "integrated-arc": ("linux", "windows"), None: ("linux", "windows"),
           "datacenter": ("linux",)}


def _intel_target(m: _Machine, k: Knowledge, intel: tuple[Gpu, ...]) -> _Target:
    listed = [g for g in intel if g.kind in _XPU_OS]
    usable = [g for g in listed if m.os in _XPU_OS[g.kind] and m.arch == "x86_64"]
    if usable:
        notes = []
        if any("flex" in (g.name or "").lower() for g in usable):
            notes.append("PyTorch validates its XPU build on the Data Center GPU Max Series; the Flex Series is "
                         "not on that list (Intel's drivers support it; PyTorch does not promise it)")
        return _Target("xpu", tuple(usable), tuple(notes))
    if listed:
        g = listed[0]
        where = "Linux x86_64 only" if g.kind == "datacenter" else "Linux and Windows x86_64 only"
        return _Target("cpu", (), (), (Problem(
            "intel.no_xpu_on_os", f"{_gpu_label(g, k)}: PyTorch's XPU builds support this GPU on {where}; no "
            f"PyTorch build uses it on {m.os} {m.arch}."),))
    # integrated (older than Core Ultra?) or discrete (DG1, or an id these tables do not know)
    kinds = {g.kind for g in intel}
    what = ("an Intel discrete GPU that is not on PyTorch's XPU list (DG1 / Iris Xe MAX, or a model these "
            "tables do not know)" if "discrete" in kinds else "Intel integrated graphics")
    note = (f"{what}: the XPU build supports Arc A/B-series and Core Ultra (Meteor Lake or newer) graphics "
            "only, so this plan is the CPU build")
    if m.os in ("linux", "windows") and m.arch == "x86_64":
        return _Target("cpu", (), (note,), maybe_xpu=intel)
    return _Target("cpu", (), (note,))


# ------------------------------------------------------------------------------ candidates
@dataclass
class _Cand:
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

    @property
    def label(self) -> str:
        return f"{self.patch}+{self.variant}" + (" (PyPI)" if self.source == "pypi" else "")


def _py_range(rel: Release) -> str:
    return f"{rel.pythons[0]}-{rel.pythons[-1]}"


def _vt(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", text))


def _wheel_gate(m: _Machine, rel: Release, var: Variant | None, variant: str, source: str) -> str | None:
    if m.key not in rel.platforms:
        return f"no wheels for {m.key}"
    if m.python is not None and m.key not in rel.python_platforms(m.python):
        return f"no wheel for Python {m.python} (this release: {_py_range(rel)})"
    if m.free_threaded and m.python and m.key not in rel.free_threaded_platforms(m.python, source == "pypi"):
        return f"no free-threaded wheel for Python {m.python}t" + (" on PyPI" if source == "pypi" else "")
    need_glibc = rel.glibc_min.get(m.key)
    if m.libc == "glibc" and m.libc_version and need_glibc and _vt(m.libc_version) < _vt(need_glibc):
        return f"needs glibc >= {need_glibc} (this system: {m.libc_version})"
    need_mac = rel.macos_minimum(m.key, m.python, m.free_threaded)
    if m.macos_version and need_mac and _vt(m.macos_version) < _vt(need_mac):
        return f"needs macOS >= {need_mac} (this Mac: {m.macos_version})"
    if source == "index" and (var is None or m.key not in var.platforms):
        return f"no {variant} build for {m.key}"
    if source == "index" and var is not None and not var.offered:
        return {"unconfirmed": "not verified on download.pytorch.org (as of the tables)",
                "unadvertised": "published but unsupported by PyTorch"}.get(var.status, var.status)
    return None


def _floor(m: _Machine, k: Knowledge, gpus: tuple[Gpu, ...], variant: str) -> str | None:
    """The driver a CUDA build needs here: its CUDA major's floor, raised to the first driver branch that
    knows the GPU at all (Blackwell: R570; an R560 driver does not drive an RTX 5090, whatever the CUDA)."""
    cuda = cuda_of(variant)
    floor = k.driver_floor(cuda, m.driver_os) if cuda else None
    if floor is None:
        return None
    for gpu in gpus:
        cc = _cc(gpu, k)
        row = k.architecture(cc) if cc else None
        first = row.get("first_driver") if row else None
        if first and driver_key(first) > driver_key(floor):
            floor = first
    return floor


def _driver_gate(m: _Machine, k: Knowledge, target: _Target, c: _Cand) -> None:
    cuda = cuda_of(c.variant)
    if cuda is None or m.driver is None:
        return
    floor = _floor(m, k, target.gpus, c.variant)
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


def _arch_gate(m: _Machine, k: Knowledge, target: _Target, c: _Cand) -> None:
    kind = variant_kind(c.variant)
    if kind == "cuda":
        arch_list = k.arch_list(c.patch, c.variant, m.key)
        cuda = cuda_of(c.variant) or ""
        missing = []
        for gpu in target.gpus:
            cc = _cc(gpu, k)
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
                missing.append(f"no kernels for sm_{cc[0]}{cc[1]} (has {_span(arch_list)})")
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


def _span(arch_list: tuple[str, ...]) -> str:
    sms = [a for a in arch_list if a.startswith("sm_")]
    ptx = [a for a in arch_list if a.startswith("compute_")]
    text = f"{sms[0]}..{sms[-1]}" if len(sms) > 1 else ", ".join(sms)
    return text + (f" + {', '.join(ptx)}" if ptx else "")


def _variants_for_device(m: _Machine, rel: Release, device: str) -> list[tuple[str, str, Variant | None]]:
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


def _pypi_gaps(m: _Machine, rel: Release) -> tuple[str, ...]:
    """Platforms where this release has a wheel for this Python on its index but not on PyPI."""
    if m.free_threaded and m.python and rel.pypi_free_threaded is not None:
        return tuple(p for p in rel.free_threaded_platforms(m.python, False)
                     if p not in rel.free_threaded_platforms(m.python, True))
    return ()


def _candidates(m: _Machine, k: Knowledge, target: _Target, req: PlanRequest, releases: tuple[Release, ...],
                pin_patch: str | None, pin_variant: str | None) -> list[_Cand]:
    out = []
    for series in releases:
        # Every patch whose wheels differ from the series row is a candidate of its own (2.12.0 has cp313t,
        # 2.12.1 does not); patches that do not differ would only repeat the newest one.
        for patch in ((pin_patch,) if pin_patch in series.versions else series.distinct_patches()):
            out.extend(_patch_candidates(m, k, target, req, series.at(patch), patch, pin_variant))
    if pin_variant and not out:
        raise ValueError(f"torch {pin_patch or ''}+{pin_variant} is not a known build")
    return out


def _patch_candidates(m: _Machine, k: Knowledge, target: _Target, req: PlanRequest, rel: Release, patch: str,
                      pin_variant: str | None) -> list[_Cand]:
    out = []
    for variant, source, var in _variants_for_device(m, rel, target.device):
        if pin_variant and variant != pin_variant:
            continue
        # A variant's status is about download.pytorch.org; the PyPI default was read from PyPI itself.
        status = var.status if var is not None and source == "index" else "confirmed"
        c = _Cand(rel, patch, variant, source, status, var.role if var else None)
        c.wheel = _wheel_gate(m, rel, var, variant, source)
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


def _rank(c: _Cand) -> tuple:
    """Within one release: native driver support, then not experimental, then the CUDA closest to
    what the driver supports natively (newest when native, oldest when relying on compatibility)."""
    cuda = _vt(cuda_of(c.variant) or "0")
    rocm = _vt(c.variant[4:]) if c.variant.startswith("rocm") else (0,)
    return (c.native, c.role != "experimental", cuda if c.native else tuple(-x for x in cuda), rocm,
            c.source == "pypi")


def _pick(cands: list[_Cand]) -> _Cand | None:
    ok = [c for c in cands if c.ok]
    if not ok:
        return None
    newest = max(_vt(c.patch) for c in ok)
    return max((c for c in ok if _vt(c.patch) == newest), key=_rank)


# ------------------------------------------------------------------------------ commands
def _packages(c: _Cand, req: PlanRequest) -> tuple[str, ...]:
    local = f"+{c.variant}" if c.rel.index_style == "extra" and c.source == "index" else ""
    pkgs = [f"torch=={c.patch}{local}"]
    for pkg in req.with_:
        version = c.rel.companions.get(c.patch, {}).get(pkg)
        if version:
            pkgs.append(f"{pkg}=={version}{local}")
    return tuple(pkgs)


def render_command(packages: tuple[str, ...], index_url: str | None, fmt: str, extra: bool = False,
                   os_name: str | None = None) -> Line:
    """The install line, built as an argument list and quoted for the target OS's shell
    (requirements: the file's lines, which have no argv)."""
    flag = "--extra-index-url" if extra else "--index-url"
    index = (flag, check_arg(index_url, "the index URL")) if index_url else ()
    if fmt == "requirements":
        return Line("\n".join(([" ".join(index)] if index else []) + list(packages)))
    head = ("uv", "pip", "install") if fmt == "uv" else ("pip", "install")
    return Command(head + tuple(packages) + index, shell_for_os(os_name)).line


def _plan_from(c: _Cand, m: _Machine, k: Knowledge, target: _Target, req: PlanRequest,
               reasons: list[str], warnings: list[str]) -> Plan:
    index_url = f"{req.index_base.rstrip('/')}/{c.variant}" if c.source == "index" else None
    pkgs = _packages(c, req)
    extra = c.rel.index_style == "extra"
    return Plan(
        torch=c.patch, variant=c.variant, index_url=index_url,
        command=render_command(pkgs, index_url, req.fmt, extra, m.os), packages=pkgs,
        device=target.device if variant_kind(c.variant) != "cpu" or target.device == "mps" else "cpu",
        reasons=tuple(reasons), warnings=tuple(warnings),
        confidence="inferred" if (c.status == "inferred" or any("inferred" in n for n in c.notes)) else "confirmed",
        index_style=c.rel.index_style,
    )


# ------------------------------------------------------------------------------ the planner
def plan_install(facts: Facts, knowledge: Knowledge, request: PlanRequest | None = None) -> PlanResult:
    k, req = knowledge, request or PlanRequest()
    m = _machine(facts)
    summary = _summary(m, k)

    def fail(*problems: Problem, fallback: Plan | None = None, rejected=(), upgrades=()) -> PlanResult:
        return PlanResult(None, tuple(problems), tuple(rejected), tuple(upgrades), fallback, summary, k.as_of)

    pre = _preflight(m)
    if pre:
        return fail(pre)

    releases, pin_patch, pin_variant = k.releases, None, None
    if req.torch:
        rel = k.release(req.torch)
        if rel is None:
            raise ValueError(f"unknown torch version {req.torch!r}")
        releases = (rel,)
        base, _, pin_variant_text = req.torch.strip().partition("+")
        pin_patch = base if base in rel.versions else None
        pin_variant = pin_variant_text or None

    target = _target(m, k)
    jetson = _jetson(m, k, target)
    if jetson:
        return fail(jetson)

    cands = _candidates(m, k, target, req, releases, pin_patch, pin_variant)
    chosen = _pick(cands)

    if target.unusable:
        cpu = _plan_cpu(m, k, req, releases, pin_patch)
        return fail(*target.unusable, fallback=cpu)

    if chosen is None:
        problems = _with_new_python(facts, k, req, _why_nothing(m, k, target, cands, req))
        cpu = _plan_cpu(m, k, req, releases, pin_patch) if target.device in ("cuda", "rocm", "xpu") else None
        return fail(*problems, fallback=cpu, rejected=_rejected(cands, None, k, m),
                    upgrades=_upgrades(cands, None, m, k, target))

    reasons, warnings = _explain(chosen, m, k, target, req)
    if target.maybe_xpu:
        tries = _candidates(m, k, _Target("xpu", target.maybe_xpu), req, releases, pin_patch, None)
        xpu = _pick([c for c in tries if c.variant == "xpu"])  # not the CPU stand-in of a release without xpu
        if xpu is not None:
            cmd = render_command(_packages(xpu, req), f"{req.index_base.rstrip('/')}/{xpu.variant}",
                                 "uv" if req.fmt == "uv" else "pip", os_name=m.os)
            which = ("a newer Arc card" if any(g.kind == "discrete" for g in target.maybe_xpu)
                     else "Core Ultra (Meteor Lake or newer) graphics")
            reasons.append(f"If it is {which}, try the XPU build instead: {cmd}")
    held = [c for c in cands if c.companion and not (c.wheel or c.arch or c.driver) and _vt(c.patch) > _vt(chosen.patch)]
    if held:
        newest = max(held, key=lambda c: _vt(c.patch))
        reasons.insert(1, f"Trade-off: --with {', '.join(req.with_)} holds torch back to {chosen.patch}: "
                          f"{newest.companion}. Without it: torch {newest.patch}+{newest.variant}.")
    newer = next((c for c in cands if c.rel.series == chosen.rel.series and _vt(c.patch) > _vt(chosen.patch)
                  and (c.variant, c.source) == (chosen.variant, chosen.source) and c.wheel), None)
    if newer is not None:  # a patch exception decided it (2.12.0 has cp313t wheels, 2.12.1 has none)
        reasons.insert(1, f"torch {chosen.patch} rather than the newer {newer.patch}: {newer.patch} has {newer.wheel}.")
    plan = _plan_from(chosen, m, k, target, req, reasons, warnings)
    if chosen.source == "index" and chosen.status == "inferred":
        every = _candidates(m, k, target, req, k.releases, None, None)  # also when --torch pins 2.15
        verified = _pick([c for c in every if c.status == "confirmed" and c.variant == chosen.variant
                          and _vt(c.patch) < _vt(chosen.patch)])
        if verified is not None:
            retry = _plan_from(verified, m, k, target, req, [], [])
            plan = replace(plan, retry_torch=retry.torch, retry_command=retry.command)
        else:  # no older release fits (Python 3.15): the same release's verified PyPI wheel
            default = chosen.rel.pypi_default.get(m.key)
            pypi = _Cand(chosen.rel, chosen.patch, default or "", "pypi", "confirmed", None)
            if default and _wheel_gate(m, chosen.rel, chosen.rel.variant(default), default, "pypi") is None:
                command = render_command(_packages(pypi, req), None, req.fmt, os_name=m.os)
                extra = (f"The fallback `{command}` is verified on PyPI, but it is the {default} build: it runs "
                         "on the CPU after downloading several GB of GPU libraries."
                         if variant_kind(default) != "cpu" else "")
                plan = replace(plan, retry_torch=pypi.patch, retry_command=command,
                               reasons=plan.reasons + ((extra,) if extra else ()))
    return PlanResult(plan, (), tuple(_rejected(cands, chosen, k, m)), tuple(_upgrades(cands, chosen, m, k, target)),
                      None, summary, k.as_of)


def _preflight(m: _Machine) -> Problem | None:
    if m.os not in ("linux", "windows", "macos"):
        return Problem("platform.unsupported_os", f"PyTorch publishes wheels for Linux, Windows and macOS only; "
                                                  f"this is {m.os!r}.")
    if m.bits == 32 or m.arch in ("x86", "armv7l", "armv6l", "i686"):
        return Problem("python.32bit", "There are no PyTorch wheels for 32-bit Python: install a 64-bit Python "
                                       f"(this one is {m.bits}-bit, {m.arch}) and run suggest again.")
    if m.implementation != "cpython":
        return Problem("python.implementation", f"PyTorch publishes wheels for CPython only; this interpreter is "
                                                f"{m.implementation}.")
    if m.libc == "musl":
        return Problem("platform.musl", "There are no PyTorch wheels for musl libc (Alpine): use a glibc-based "
                                        "distribution or image (e.g. Debian/Ubuntu python images).")
    if m.key == "windows-aarch64":
        return Problem("platform.unsupported_arch", "Windows on Arm has only nightly (pre-release) PyTorch wheels; "
                                                    "no stable release supports it.")
    if m.key not in ("linux-x86_64", "linux-aarch64", "windows-x86_64", "macos-arm64", "macos-x86_64"):
        return Problem("platform.unsupported_arch", f"PyTorch publishes no wheels for {m.os} on {m.arch}.")
    if m.rosetta:
        return Problem("python.rosetta", "This is an x86_64 Python running under Rosetta on Apple Silicon: it can "
                                         "only get the old Intel-Mac wheels (last: 2.2.2) without MPS. Install an "
                                         "arm64 Python (python.org universal2, Homebrew or Miniforge on arm64) "
                                         "and run suggest again.")
    return None


def _jetson(m: _Machine, k: Knowledge, target: _Target) -> Problem | None:
    if m.key != "linux-aarch64" or target.device != "cuda":
        return None
    for gpu in target.gpus:
        cc = _cc(gpu, k)
        name = (gpu.name or "").lower()
        if cc in JETSON_CC or any(w in name for w in ("jetson", "orin", "xavier", "tegra")):
            if cc == (11, 0):
                continue  # Thor runs the SBSA wheels (cu130 has sm_110)
            return Problem("gpu.jetson", f"{_gpu_label(gpu, k)} is a Jetson board: the aarch64 CUDA wheels on "
                                         "PyPI/download.pytorch.org are built for SBSA servers and do not run on "
                                         "L4T. Install the torch wheel NVIDIA builds for your JetPack version "
                                         "(NVIDIA's 'PyTorch for Jetson' / Jetson AI Lab pip index).")
    return None


def _plan_cpu(m: _Machine, k: Knowledge, req: PlanRequest, releases, pin_patch) -> Plan | None:
    cpu_target = _Target("cpu")
    cands = _candidates(m, k, cpu_target, req, releases, pin_patch, None)
    c = _pick(cands)
    if c is None:
        return None
    reasons, warnings = _explain(c, m, k, cpu_target, req)
    return _plan_from(c, m, k, cpu_target, req, reasons, warnings)


# ------------------------------------------------------------------------------ explanations
def _summary(m: _Machine, k: Knowledge) -> dict[str, Any]:
    return {"os": m.os, "arch": m.arch, "python": m.python, "python_bits": m.bits, "free_threaded": m.free_threaded,
            "wsl": m.wsl, "driver": m.driver,
            "driver_max_cuda": k.max_cuda_for_driver(m.driver, m.driver_os) if m.driver else None,
            "gpus": [_gpu_label(g, k) for g in m.gpus],
            # what each GPU runs, as the plan used it: compute capability, gfx target, Intel XPU class
            "gpu_details": [{"vendor": g.vendor, "name": g.name,
                             "capability": "{}.{}".format(*_cc(g, k)) if g.vendor == "nvidia" and _cc(g, k) else None,
                             "gfx": g.gfx, "kind": g.kind} for g in m.gpus]}


def _explain(c: _Cand, m: _Machine, k: Knowledge, target: _Target, req: PlanRequest) -> tuple[list[str], list[str]]:
    reasons: list[str] = []
    warnings: list[str] = []
    py = f"Python {m.python}{'t' if m.free_threaded else ''}"
    where = f"{m.key}{' (WSL2)' if m.wsl else ''}"
    kind = variant_kind(c.variant)
    if target.device == "cuda":
        gpus = ", ".join(_gpu_label(g, k) for g in target.gpus) or "an NVIDIA GPU"
        drv = f"driver {m.driver}" if m.driver else "no NVIDIA driver detected"
        native = k.max_cuda_for_driver(m.driver, m.driver_os) if m.driver else None
        reasons.append(f"{gpus} with {drv}" + (f" (native CUDA <= {native})" if native else "") + f", {py}, {where}.")
        cuda = cuda_of(c.variant) or ""
        floor = _floor(m, k, target.gpus, c.variant)
        arch_list = k.arch_list(c.patch, c.variant, m.key) or ()
        reasons.append(f"torch {c.patch}+{c.variant} is the newest build that fits: it has kernels for every GPU "
                       f"({_span(arch_list) if arch_list else 'list unknown'}) and needs driver >= {floor} "
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
        unknown = [g for g in target.gpus if _cc(g, k) is None]
        if unknown or not target.gpus:
            names = ", ".join(g.name or "unnamed GPU" for g in unknown) or "the GPU"
            warnings.append(f"COMPUTE CAPABILITY UNKNOWN for {names}: check that it is one of "
                            f"{', '.join(arch_list) or 'the build architectures'} (or newer within the same "
                            "major); otherwise CUDA fails with 'no kernel image is available'.")
    elif target.device == "rocm":
        gpus = ", ".join(_gpu_label(g, k) for g in target.gpus)
        gfx = k.arch_list(c.patch, c.variant, m.key) or ()
        reasons.append(f"{gpus}, {py}, {where}.")
        reasons.append(f"torch {c.patch}+{c.variant} (ROCm) is the newest build whose gfx targets include every GPU.")
        if any(g.gfx is None for g in target.gpus):
            warnings.append(f"GFX TARGET UNKNOWN: the ROCm build supports {', '.join(gfx)} only; other AMD GPUs "
                            "need HSA_OVERRIDE_GFX_VERSION or are unsupported.")
        reasons.append("The ROCm wheel bundles its ROCm runtime; the amdgpu kernel driver must be loaded and the "
                       "user in the 'render' and 'video' groups.")
    elif target.device == "xpu":
        gpus = ", ".join(_gpu_label(g, k) for g in target.gpus)
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
    old = [g for g in target.gpus if (_cc(g, k) or (99, 0)) < (7, 5)]
    if kind == "cuda" and c.variant == "cu126" and old:
        if c.rel.series == "2.14":
            names = ", ".join(_gpu_label(g, k) for g in old)
            warnings.append("torch 2.14 is the last release with CUDA 12.x (cu126) wheels, the only ones with "
                            f"Maxwell/Pascal/Volta kernels: later releases will not support {names}.")
    for pkg in req.with_:
        if pkg not in COMPANIONS:
            continue
        v = c.rel.companions.get(c.patch, {}).get(pkg)
        if v:
            reasons.append(f"{pkg} {v} is the release built for torch {c.patch}.")
    for n in dict.fromkeys(c.notes):
        reasons.append(f"Note: {n}.")
    return reasons, warnings


def _older_macos_release(m: _Machine, k: Knowledge, need: str) -> str | None:
    """The newest release whose wheel for this Python runs on a macOS older than `need`."""
    for rel in k.releases:
        low = rel.macos_minimum(m.key, m.python, m.free_threaded)
        if low and _vt(low) < _vt(need) and _wheel_gate(m, rel, None, "cpu", "pypi") is None:
            return f"{rel.version} (macOS >= {low})"
    return None


def _rejected(cands: list[_Cand], chosen: _Cand | None, k: Knowledge, m: _Machine) -> list[str]:
    """One line per release newer than the chosen one (and the chosen release's other variants)."""
    lines = []
    by_patch: dict[str, list[_Cand]] = {}
    for c in cands:
        by_patch.setdefault(c.patch, []).append(c)
    for patch, group in by_patch.items():
        if chosen is not None and _vt(patch) < _vt(chosen.patch):
            break
        others = [c for c in group if c is not chosen and not c.ok]
        if chosen is not None and patch == chosen.patch:
            others = [c for c in others if _rank(c) > _rank(chosen) or not c.ok]
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


def _upgrades(cands: list[_Cand], chosen: _Cand | None, m: _Machine, k: Knowledge, target: _Target) -> list[str]:
    """What a newer driver would unlock: the best candidate failing only the driver gate."""
    if m.driver is None or target.device != "cuda":
        return []
    last_branch = None
    for g in target.gpus:
        cc = _cc(g, k)
        row = k.architecture(cc) if cc else None
        if row and row.get("last_driver_branch"):
            b = int(row["last_driver_branch"])
            last_branch = b if last_branch is None else min(last_branch, b)
    blocked = [c for c in cands if c.ok_but_driver and c.driver]
    if last_branch is not None:
        blocked = [c for c in blocked
                   if driver_key(_floor(m, k, target.gpus, c.variant) or "0")[0] <= last_branch]
    if chosen is not None:
        blocked = [c for c in blocked if (_vt(c.patch), _rank(c)) > (_vt(chosen.patch), _rank(chosen))]
    if not blocked:
        return []
    best_patch = max(_vt(c.patch) for c in blocked)
    best = max((c for c in blocked if _vt(c.patch) == best_patch), key=lambda c: _vt(cuda_of(c.variant) or "0"))
    floor = _floor(m, k, target.gpus, best.variant)
    out = [f"A driver >= {floor} would unlock torch {best.patch}+{best.variant}"
           + (" (plain PyPI)" if best.source == "pypi" else "") + "."]
    # The smallest upgrade that already helps, when it differs.
    lowest = min(blocked, key=lambda c: (driver_key(_floor(m, k, target.gpus, c.variant) or "0"),
                                         tuple(-x for x in _vt(c.patch))))
    low_floor = _floor(m, k, target.gpus, lowest.variant)
    if low_floor != floor:
        out.append(f"A driver >= {low_floor} would already unlock torch {lowest.patch}+{lowest.variant}.")
    if last_branch is not None:
        out.append(f"This GPU's last supported driver branch is R{last_branch}.")
    return out


def _why_nothing(m: _Machine, k: Knowledge, target: _Target, cands: list[_Cand], req: PlanRequest) -> list[Problem]:
    if not any(not c.wheel for c in cands):
        return [_python_problem(m, k, cands, req)]
    if req.with_ and not any(not c.wheel and not c.companion for c in cands):
        return [Problem("companion.unavailable", "; ".join(dict.fromkeys(c.companion for c in cands if c.companion)))]
    if target.device in ("cuda", "rocm", "xpu") and not any(c.ok_but_driver for c in cands):
        gpus = ", ".join(_gpu_label(g, k) for g in target.gpus) or "this GPU"
        # A definite "no kernels" first: "architectures unknown" for one variant is not why nothing fits.
        arch_reasons = sorted({c.arch for c in cands if c.arch and not c.wheel}, key=lambda r: ("unknown" in r, r))
        msg = (f"torch {req.torch} has no {target.device.upper()} build with kernels for {gpus}" if req.torch
               else f"No torch release from 1.13 on has a {target.device.upper()} build with kernels for {gpus}")
        detail = f" ({arch_reasons[0]})" if arch_reasons else ""
        hint = _older_hint(m, k, target, req)
        return [Problem("gpu.no_build", msg + detail + "." + hint)]
    blocked = [c for c in cands if c.ok_but_driver]
    if not blocked:
        return [Problem("platform.no_wheel", "No build fits this machine.")]
    best = max(blocked, key=lambda c: (_vt(c.patch), _rank(c)))

    def floor(c: _Cand) -> str:
        return _floor(m, k, target.gpus, c.variant) or "?"

    low = min(blocked, key=lambda c: (driver_key(floor(c)) if floor(c) != "?" else (9999,),
                                      tuple(-x for x in _vt(c.patch))))
    msg = f"NVIDIA driver {m.driver} is too old for every CUDA build that has kernels for this GPU: "
    msg += f"driver >= {floor(low)} runs torch {low.patch}+{low.variant}"
    if low is not best and floor(low) != floor(best):
        msg += f"; >= {floor(best)} runs the newest, torch {best.patch}+{best.variant}"
    return [Problem("gpu.driver_too_old", msg + ". Update the driver.")]


def _older_hint(m: _Machine, k: Knowledge, target: _Target, req: PlanRequest) -> str:
    if not req.torch:
        return " Build from source with TORCH_CUDA_ARCH_LIST, or use the CPU build."
    c = _pick(_candidates(m, k, target, PlanRequest(), k.releases, None, None))
    return f" Without --torch the newest fitting build is torch {c.patch}+{c.variant}." if c else ""


def _with_new_python(facts: Facts, k: Knowledge, req: PlanRequest, problems: list[Problem]) -> list[Problem]:
    """A Python too old for every release: say what this machine gets once the recommended Python
    is installed (the student on Python 3.6 wants the next command, not only the diagnosis)."""
    if req.torch or not problems or problems[0].id != "python.too_old" or facts.python is None:
        return problems
    newer = facts.with_(python=replace(facts.python, version=k.recommended_python(), free_threaded=False))
    plan = plan_install(newer, k, req).plan
    if plan is None:
        return problems
    first = problems[0]
    return [Problem(first.id, f"{first.message} With Python {k.recommended_python()} this machine gets torch "
                              f"{plan.torch} ({plan.variant}): `{plan.command}`."), *problems[1:]]


def _python_problem(m: _Machine, k: Knowledge, cands: list[_Cand], req: PlanRequest) -> Problem:
    reasons = sorted({c.wheel for c in cands if c.wheel})
    if m.python and not m.free_threaded:
        newest, oldest = k.releases[0], k.releases[-1]
        pv = _vt(m.python)
        if not req.torch and pv < _vt(oldest.pythons[0]):
            last = k.python_too_old.get(m.python)
            what = (f"torch {last} was the last release for Python {m.python} (`pip install torch=={last}`, "
                    "CPU/CUDA 10.2 era, unsupported)" if last else f"no torch release in these tables supports Python {m.python}")
            return Problem("python.too_old", f"Python {m.python} is older than every torch release from "
                                             f"{oldest.version} on: {what}. Better: install Python "
                                             f"{k.recommended_python()} (torch {newest.version} supports "
                                             f"{_py_range(newest)}).")
        on_platform = [r for r in k.releases if m.key in r.platforms]
        if not req.torch and on_platform and on_platform[0] is not newest:
            # Intel Mac: the platform's own last release decides, not the newest release.
            last = on_platform[0]
            py_ok = [p for p in (last.pythons + tuple(last.python_limited)) if m.key in last.python_platforms(p)]
            py_ok.sort(key=_vt)
            if py_ok and pv > _vt(py_ok[-1]):
                return Problem("python.too_new", f"torch {last.version} is the last release for {m.key} and supports "
                                                 f"Python {py_ok[0]}-{py_ok[-1]}; this is Python {m.python}. Install "
                                                 f"Python {py_ok[-1]} next to it and use that "
                                                 f"(`pip install torch=={last.version}`).")
        if not req.torch and pv > _vt(newest.pythons[-1]):
            return Problem("python.too_new", f"Python {m.python} is newer than every torch release: torch "
                                             f"{newest.version} supports {_py_range(newest)}. Install Python "
                                             f"{newest.pythons[-1]} (or older) next to it and use that.")
    if m.free_threaded:
        return Problem("python.free_threaded", f"No torch wheel for free-threaded Python {m.python}t on {m.key}"
                                               f"{' for torch ' + req.torch if req.torch else ''}; use the regular "
                                               f"(GIL) build of Python {m.python} or a supported free-threaded one.")
    return Problem("platform.no_wheel", "No torch wheel for this machine: " + "; ".join(reasons[:3]) + ".")
