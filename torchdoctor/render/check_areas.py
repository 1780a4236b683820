"""The area lines of a check report (shared by the human and markdown renderers; formatting only).

Each area (Python, PyTorch, ...) gets a status from its findings and a one-line
headline from the facts, e.g. "PyTorch 2.13.0+cpu (CPU-only build)".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

from torchdoctor.checks import AREAS
from torchdoctor.checks.base import listing_partial


@dataclass(frozen=True)
class AreaLine:
    area: str
    status: str  # ok | warning | error | skipped
    headline: str
    findings: tuple  # this area's findings, in check order


def area_status(findings: Sequence[Any]) -> str:
    severities = {f.severity for f in findings}
    if "error" in severities:
        return "error"
    if severities & {"warning", "crashed"}:
        return "warning"
    if severities and severities <= {"skipped"}:
        return "skipped"
    return "ok"


def area_lines(facts: Any, findings: Sequence[Any]) -> list[AreaLine]:
    out = []
    for area in AREAS:
        mine = tuple(f for f in findings if f.area == area)
        if not mine:
            continue
        try:
            headline = _HEADLINES.get(area, lambda f: area)(facts)
        except Exception:  # noqa: BLE001 - a headline is decoration: never fail the report for it
            headline = area
        status = area_status(mine)
        if status == "ok" and not _works(area, facts):
            status = "skipped"  # nothing failed, but what the area names does not work here (or is unknown): no ✓
        out.append(AreaLine(area, status, headline, mine))
    return out


def _torch_did_not_run(f: Any) -> bool:
    rt = f.runtime
    return rt is None or rt.status != "ok" or not rt.version


def _python(f: Any) -> str:
    p = f.python
    if p is None:
        return "Python: not probed"
    bits = f"{p.bits}-bit" + (", free-threaded" if p.free_threaded else "") + (f", {p.env_kind}" if p.env_kind else "")
    return f"Python {p.version} ({bits})" + (f" at {p.executable}" if p.executable else "")


def _build(rt: Any) -> str:
    if rt.cuda:
        return f"CUDA {rt.cuda} build"
    if rt.hip:
        return f"ROCm {rt.hip} build"
    return "CPU-only build"


def _torch(f: Any) -> str:
    rt = f.runtime
    found = [d for d in f.distributions or () if d.name == "torch"]
    installed = found[0].version if found else None
    if rt is None:
        return f"PyTorch {installed} (import not probed)" if installed else "PyTorch: not probed"
    if rt.status == "ok" and not rt.version and f.origin != "live":
        return f"PyTorch {installed}: the build is not in the report" if installed else \
            "PyTorch: the version is not in the report"
    if rt.status == "ok" and not rt.version:
        # A module without __version__: a local torch.py or torch/ was imported (torch.shadowed says which).
        return f"PyTorch: `import torch` loaded {rt.file or 'a module'}, which is not PyTorch"
    if rt.status == "ok":
        took = f", imported in {rt.seconds:.2f} s" if rt.seconds else ""
        return f"PyTorch {rt.version} ({_build(rt)}{took})"
    if rt.status == "not_installed":
        return "PyTorch: not installed"
    name = f"PyTorch {installed}" if installed else "PyTorch"
    if rt.status == "not_run":
        return f"{name}: the import could not be tried ({rt.error})"
    how = {"import_failed": "failed", "timeout": "timed out"}.get(rt.status, rt.status.replace("_", " "))
    return f"{name}: import {how}"


def _packages(f: Any) -> str:
    names = ("torchvision", "torchaudio", "triton", "numpy")
    shown = [f"{d.name} {d.version}" for d in f.distributions or () if d.name in names]
    if f.distributions is None:
        return "Packages: not listed"
    if listing_partial(f):
        return "Packages: " + (", ".join(dict.fromkeys(shown)) or "none of torchvision, torchaudio, numpy") + \
            " (a partial list)"
    return "Packages: " + (", ".join(dict.fromkeys(shown)) or "no torchvision, torchaudio or numpy")


def _nvidia(f: Any) -> str:
    nv = f.nvidia
    gpus = [g for g in f.gpus or () if g.vendor == "nvidia"]
    names = ", ".join(_gpu(g) for g in gpus)
    if nv is not None and nv.driver:
        return f"NVIDIA driver {nv.driver}" + (f" (CUDA {nv.cuda_driver})" if nv.cuda_driver else "") + \
            (f": {names}" if names else "")
    if gpus:
        return f"NVIDIA: {names}, no driver answered"
    if f.gpus is None and nv is None:
        return "NVIDIA: not probed"
    from torchdoctor.checks.accelerators import smi_broken

    if smi_broken(f):
        return "NVIDIA: nvidia-smi is installed but no driver answered"
    if f.gpus is None:  # nobody listed the GPUs: "no GPU found" would claim a scan that did not happen
        return "NVIDIA: no driver answered" + (f" ({nv.errors[0]})" if nv is not None and nv.errors else "")
    return "NVIDIA: no GPU found"


def _gpu(g: Any) -> str:
    cc = f" (cc {g.capability[0]}.{g.capability[1]})" if g.capability else ""
    mem = f", {g.memory_mib // 1024} GiB" if g.memory_mib else ""
    return f"{g.name or 'GPU'}{cc}{mem}"


def cudnn_text(version: Any) -> str:
    """torch.backends.cudnn.version(): 91900 -> "9.19.0" (cuDNN 9+: M*10000+m*100+p), 8902 -> "8.9.2"."""
    if not isinstance(version, int) or version <= 0:
        return str(version)
    if version >= 90000:
        return f"{version // 10000}.{version // 100 % 100}.{version % 100}"
    return f"{version // 1000}.{version // 100 % 10}.{version % 100}"


def _cuda(f: Any) -> str:
    rt = f.runtime
    if rt is not None and rt.status == "ok" and not rt.version and f.origin != "live":
        return "CUDA: unknown (the report does not say)"
    if rt is None or rt.status != "ok" or not rt.version:
        return "CUDA: unknown (torch did not import)"
    if not rt.cuda:
        return "CUDA: not in this build"
    if rt.cuda_available:
        n = rt.device_count  # None in a collect_env report: it does not count the devices
        count = "" if n is None else f", {n} device{'s' if n != 1 else ''}"
        return f"CUDA {rt.cuda}: available{count}" + \
            (f", cuDNN {cudnn_text(rt.cudnn)}" if rt.cudnn else "") + (f", NCCL {rt.nccl}" if rt.nccl else "")
    if rt.cuda_available is None:
        return f"CUDA {rt.cuda}: availability not reported"
    return f"CUDA {rt.cuda}: not available"


def _rocm(f: Any) -> str:
    amd = [g for g in f.gpus or () if g.vendor == "amd"]
    if not amd:
        return "ROCm: no AMD GPU" if f.gpus is not None or f.pci is not None else "ROCm: GPUs not listed"
    return "ROCm: " + ", ".join(f"{g.name or 'AMD GPU'} ({g.gfx or 'gfx unknown'})" for g in amd)


def _mps(f: Any) -> str:
    if f.platform is None:
        return "Apple MPS: unknown (no platform facts)"
    if f.platform.os != "macos":
        return "Apple MPS: not macOS"
    rt = f.runtime
    if rt is None or rt.mps_available is None:
        return "Apple MPS: unknown"
    return "Apple MPS: available" if rt.mps_available else "Apple MPS: not available"


def _environment(f: Any) -> str:
    parts = []
    p = f.platform
    if p is not None:
        parts.append(" ".join(x for x in (p.os_version or p.os, p.arch) if x and x != "unknown"))
        if p.wsl:
            parts.append("WSL")
        if p.container:
            parts.append(f"{p.container} container")
    for name in ("CUDA_VISIBLE_DEVICES", "HIP_VISIBLE_DEVICES", "HSA_OVERRIDE_GFX_VERSION"):
        if f.env and name in f.env:
            parts.append(f"{name}={f.env[name]!r}")
    return "Environment: " + (", ".join(parts) or "unknown")


def _works(area: str, f: Any) -> bool:
    """An area earns ✓ only when what it names works: torch imports, the NVIDIA driver answers, CUDA/ROCm/MPS
    are available. "CUDA 13.0: not available", "PyTorch: not installed", "NVIDIA: no GPU found" are [-]."""
    try:
        return _WORKS.get(area, lambda f: True)(f)
    except Exception:  # noqa: BLE001 - decoration: never a ✓ we cannot back
        return False


def _driver_answers(f: Any) -> bool:
    from torchdoctor.versions import is_driver_version

    return f.nvidia is not None and bool(f.nvidia.driver) and is_driver_version(f.nvidia.driver)


def _rocm_works(f: Any) -> bool:
    rt = f.runtime
    return bool(rt is not None and rt.status == "ok" and rt.hip and rt.cuda_available)


_WORKS: dict[str, Callable[[Any], bool]] = {
    "Python": lambda f: f.python is not None,
    "PyTorch": lambda f: not _torch_did_not_run(f),
    "Packages": lambda f: f.distributions is not None,
    "NVIDIA driver": _driver_answers,
    "CUDA": lambda f: not _torch_did_not_run(f) and bool(f.runtime.cuda) and f.runtime.cuda_available is True,
    "ROCm": _rocm_works,
    "Apple MPS": lambda f: f.runtime is not None and f.runtime.mps_available is True,
    "Environment": lambda f: f.platform is not None,
}

_HEADLINES: dict[str, Callable[[Any], str]] = {
    "Python": _python, "PyTorch": _torch, "Packages": _packages, "NVIDIA driver": _nvidia, "CUDA": _cuda,
    "ROCm": _rocm, "Apple MPS": _mps, "Environment": _environment,
}


def report_notes(facts: Any, asks: bool = True) -> list[str]:
    """What the report reader noticed about a `--from` input (cut off, two reports, newer schema), and
    (with `asks`) what to ask the reporter for."""
    report = (facts.extra or {}).get("report")
    notes = report.get("notes") if isinstance(report, dict) else None
    out = [str(n) for n in notes or () if n]
    if asks:
        out += [f"to be sure, ask for {a}" for a in report_asks(facts)]
    return out


def report_asks(facts: Any) -> list[str]:
    report = (facts.extra or {}).get("report")
    return [str(a) for a in (report.get("ask") if isinstance(report, dict) else None) or () if a]


def paste_shows(facts: Any) -> list[tuple[str, str]]:
    """(what, where) for the main facts a pasted report established, in reading order."""
    report = (facts.extra or {}).get("report")
    if not isinstance(report, dict) or "provenance" not in report:
        return []
    where = report["provenance"]

    def at(*keys: str) -> str:
        for k in keys:
            if k in where:
                return str(where[k]).split(": ", 1)[0]
        return ""

    out: list[tuple[str, str]] = []
    rt = facts.runtime
    if rt is not None and rt.status == "ok" and rt.version:
        out.append((f"PyTorch {rt.version} ({_build(rt)})" + (
            f", CUDA available: {rt.cuda_available}" if rt.cuda_available is not None else ""),
            at("runtime.version", "runtime.status")))
    elif rt is not None and rt.status in ("import_failed", "not_installed"):
        said = f"{rt.error_type}: {rt.error}" if rt.error_type else (rt.error or "")
        out.append(("`import torch` fails" + (f": {said}" if said else "") if rt.status == "import_failed"
                    else "torch is not installed there", at("runtime.status", "runtime.error")))
    torch = [d for d in facts.distributions or () if d.name == "torch"]
    if torch and not (rt is not None and rt.version):
        out.append((", ".join(f"torch {d.version}" + (f" ({d.installer} {d.build})" if d.build else "")
                              for d in torch), at("distributions")))
    nv = facts.nvidia
    if nv is not None and (nv.driver or nv.cuda_driver):
        out.append((f"NVIDIA driver {nv.driver or 'unknown'}" +
                    (f", supports CUDA up to {nv.cuda_driver}" if nv.cuda_driver else ""),
                    at("nvidia.driver", "nvidia.cuda_driver")))
    elif nv is not None and nv.errors:
        out.append((f"NVIDIA driver: {nv.errors[0]}", at("nvidia.errors", "nvidia.driver")))
    if facts.gpus:
        names = ", ".join(f"{g.name or g.vendor + ' GPU'}" + (f" ({g.gfx})" if g.gfx else "") for g in facts.gpus)
        out.append((f"GPUs: {names}", at("gpus")))
    p, py = facts.platform, facts.python
    if p is not None or py is not None:
        bits = [x for x in (p.os_version or p.os if p else None, p.arch if p and p.arch != "unknown" else None,
                            "WSL" if p and p.wsl else None, "Rosetta" if p and p.rosetta else None,
                            f"Python {py.version}" if py else None) if x]
        out.append((", ".join(bits), at("platform.os", "python.version")))
    for text in (rt.warnings if rt is not None else ())[:2]:
        out.append((f"it printed: `{' '.join(text.split())[:300]}`", "messages"))
    return out


def fact_lines(facts: Any) -> list[str]:
    """Every fact as "path: value" lines (for -v), skipping empty values."""
    out: list[str] = []

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(f"{prefix}.{k}" if prefix else str(k), v)
        elif isinstance(value, list):
            if value and all(not isinstance(v, (dict, list)) for v in value):
                out.append(f"{prefix}: {', '.join(str(v) for v in value)}")
            else:
                for i, v in enumerate(value):
                    walk(f"{prefix}[{i}]", v)
        elif value not in (None, "", [], {}):
            out.append(f"{prefix}: {value}")

    data = facts.to_dict()
    data.pop("probes", None)
    walk("", data)
    return out
