"""companion.*: the packages built against one torch (xformers, flash-attn, bitsandbytes, torch-scatter, ...).

Two passes feed these judges: the metadata pass (every installed distribution whose Requires-Dist names torch,
read without importing it: its torch pin, its local version tag, REQUESTED) and the import pass (each compiled
companion imported in its own short child, the failure classified by the probe: facts.companion_imports).
torchvision and torchaudio have their own checks (checks/packages.py) and are left to them.

The fix keeps the user's torch (and so their GPU): the companion release built for it, from the index that
has it, or a rebuild against it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from packaging.version import InvalidVersion, Version

from torchdoctor.checks import areas
from torchdoctor.checks.fixes import cmd, pip_argv
from torchdoctor.checks.registry import check
from torchdoctor.checks.views import (base_version, build, companions, dists, has_nvidia_hardware, local_tag,
                                     messages, said, torch_requirements, torch_version, variant)
from torchdoctor.facts import CompanionImport, Distribution, Facts
from torchdoctor.findings import Finding, Fix, error, info, warning
from torchdoctor.knowledge import Knowledge

TORCH_INDEX = "https://download.pytorch.org/whl"
PYG_PAGE = "https://data.pyg.org/whl/torch-{series}.0+{variant}.html"


@dataclass(frozen=True)
class Pin:
    companion: Distribution
    requirement: str  # "torch==2.0.0"
    exact: bool  # an == pin (one torch), not a range


def unsatisfied_pins(f: Facts) -> list[Pin]:
    torch = _version(torch_version(f))
    if torch is None:
        return []
    out = []
    for d in companions(f):
        for req in torch_requirements(d):
            if req.specifier and not req.specifier.contains(torch, prereleases=True):
                exact = any(s.operator in ("==", "===") and "*" not in s.version for s in req.specifier)
                out.append(Pin(d, f"torch{req.specifier}", exact))
    return out


def _version(text: str | None) -> Version | None:
    try:
        return Version(text) if text else None
    except InvalidVersion:
        return None


def _series(version: str | None) -> str | None:
    v = _version(base_version(version))
    return f"{v.major}.{v.minor}" if v is not None else None


def _tag_of(d: Distribution) -> Any:
    from torchdoctor.knowledge.companions import read_tag

    return read_tag(local_tag(d.version))


def torch_variant(f: Facts) -> str | None:
    """cu121 / rocm6.2 / cpu for the installed torch (its tag, else what it said when imported)."""
    tag = local_tag(torch_version(f))
    if tag and (tag == "cpu" or tag.startswith(("cu", "rocm", "xpu"))):
        return tag
    return variant(f)


def _cuda_major(v: str | None) -> str | None:
    if not v or not v.startswith("cu") or len(v) < 4:
        return None
    return v[2:-1]


def _failed(f: Facts, *kinds: str) -> list[CompanionImport]:
    return [c for c in f.companion_imports or () if c.kind in kinds]


# -- the fixes: the companion that fits this torch, never a torch that loses the GPU --------------------------

def matching_fix(f: Facts, names: Iterable[str], why: str) -> Fix:
    """One command per companion: its release for the installed torch (torch held where it is), or a rebuild."""
    from torchdoctor.knowledge.companions import companion

    torch = torch_version(f)
    v = torch_variant(f)
    lines: list[Any] = []
    notes: list[str] = []
    installed = {d.name: d.version for d in companions(f)}
    for name in dict.fromkeys(names):
        row = companion(name)
        how = row.fix if row is not None else "pypi"
        if how == "rebuild":
            same = base_version(installed.get(name))  # the same release, built again against this torch
            lines.append(cmd(f, *pip_argv(f), "install", "--force-reinstall", "--no-deps", "--no-build-isolation",
                             "--no-cache-dir", f"{name}=={same}" if same else name))
            notes.append(f"{name}: rebuilt against torch {torch} (needs the CUDA toolkit and a compiler)")
        elif how == "pyg" and v and _series(torch):
            lines.append(cmd(f, *pip_argv(f), "install", "--force-reinstall", "--no-deps", name, "-f",
                             PYG_PAGE.format(series=_series(torch), variant=v)))
            notes.append(f"{name}: PyG's wheel for torch {_series(torch)} +{v}")
        elif how == "torch_index" and torch and local_tag(torch) and v:
            lines.append(cmd(f, *pip_argv(f), "install", "--upgrade", name, f"torch=={torch}", "--index-url",
                             f"{TORCH_INDEX}/{v}", "--extra-index-url", "https://pypi.org/simple"))
            notes.append(f"{name}: the release built for torch {torch} (torch stays)")
        elif torch:
            lines.append(cmd(f, *pip_argv(f), "install", "--upgrade", name, f"torch=={torch}"))
            notes.append(f"{name}: the release that declares torch {torch} (torch stays)")
        else:
            notes.append(f"{name}: no command (the installed torch is not known)")
    return Fix(f"{why} Install the companion built for the torch you have: " + "; ".join(notes) + ".",
               tuple(lines))


def _names(items: Iterable[str]) -> str:
    items = list(dict.fromkeys(items))
    return ", ".join(items[:-1]) + " and " + items[-1] if len(items) > 1 else (items[0] if items else "")


# -- the checks ----------------------------------------------------------------------------------------------

@check("companion.abi_mismatch", areas.COMPANIONS, "compiled companions load against this torch's C++ ABI",
       needs=("distributions",))
def abi_mismatch(f: Facts, k: Knowledge | None) -> Finding | None:
    from torchdoctor.knowledge.import_errors import names_cxx11_abi

    bad = _failed(f, "abi")
    if not bad and f.companion_imports is None:  # a paste: the catalogue's companion.undefined_torch_symbol
        m = said(f, "companion_abi")
        if m is not None:
            lib = str(m.get("library") or "an extension")
            return error(f"{lib} cannot load against torch {torch_version(f) or ''}: undefined symbol "
                         f"{m.get('symbol')} (a C++ symbol of torch's). It was built against another torch, or with "
                         "the other C++11 ABI flag.", Fix("Reinstall the package built for this torch (its prebuilt "
                                                          "wheel for this torch, CUDA and ABI), or rebuild it against "
                                                          "this torch with --no-build-isolation."))
    if not bad:
        return None
    flag = any(names_cxx11_abi(c.error) for c in bad)
    words = "; ".join(f"`import {c.module}`: {(c.error or '').splitlines()[0][:240]}" for c in bad)
    why = ("it was built with the other C++11 ABI flag (std::__cxx11 in the symbol) or against another torch"
           if flag else "it was built against another torch (its C++ symbols c10::/at:: are not in this one)")
    return error(f"{_names(c.name for c in bad)} cannot load against torch {torch_version(f) or ''}: {why}. {words}",
                 matching_fix(f, (c.name for c in bad), "A binary built for another torch never loads."))


@check("companion.built_for_other_torch", areas.COMPANIONS, "compiled companions were built for this torch",
       needs=("distributions",))
def built_for_other_torch(f: Facts, k: Knowledge | None) -> Finding | None:
    torch = torch_version(f)
    found: list[tuple[str, str]] = []
    for c in _failed(f, "built_for"):
        found.append((c.name, f"{c.name} says it was built for {c.built_for or 'another PyTorch'}"))
    if f.companion_imports is None:  # a paste: xFormers' own words (the catalogue's companion.xformers_*)
        m = said(f, "companion_built_for_torch")
        if m is not None and "xformers" not in dict(found):
            have = m.get("have")
            found.append(("xformers", f"xformers says it was built for PyTorch {m.get('built')} with CUDA "
                          f"{m.get('cuda')}" + (f" (you have {have})" if have else "")))
            if have:
                f = _with_torch(f, str(have))
                torch = str(have)
        elif said(f, "companion_built_for") is not None and "xformers" not in dict(found):
            found.append(("xformers", "xformers says it was built for another PyTorch ('can't load C++/CUDA "
                          "extensions')"))
    ours = _series(torch)
    for d in companions(f):
        tag = _tag_of(d)
        if tag is not None and tag.series and ours and tag.series != ours and d.name not in dict(found):
            found.append((d.name, f"{d.name} {d.version} is a build for torch {tag.series} (+{local_tag(d.version)})"))
    if not found:
        return None
    return error(f"Built for another torch than {torch or 'the installed one'}: " + "; ".join(w for _, w in found) +
                 ". Its compiled operators fail to load or crash.",
                 matching_fix(f, (n for n, _ in found), "A build for another torch does not load."))


@check("companion.pinned_other_torch", areas.COMPANIONS, "companions' torch pins accept the installed torch",
       needs=("distributions",))
def pinned_other_torch(f: Facts, k: Knowledge | None) -> Finding | None:
    pins = unsatisfied_pins(f)
    if not pins:
        return _pasted_conflicts(f)
    torch = torch_version(f)
    words = "; ".join(f"{p.companion.name} {p.companion.version} requires {p.requirement}" for p in pins)
    fix = matching_fix(f, (p.companion.name for p in pins),
                       "Installing it as it is would replace your torch (pip would take the pinned one).")
    if any(p.exact for p in pins):
        return error(f"{words}, but torch {torch} is installed: the companion was built for that torch and does "
                     "not load with this one ('undefined symbol' or 'built for').", fix)
    return warning(f"{words}, but torch {torch} is installed (outside the range it declares).", fix)


def _with_torch(f: Facts, have: str | None) -> Facts:
    """The facts with the torch a paste's own words name (pip's "but you have torch X", xFormers' "(you have X)"):
    a version another reader guessed from the same paste ("requires torch==2.0.0") must not make the fix."""
    if not have:
        return f
    others = tuple(d for d in f.distributions or () if d.name != "torch")
    return f.with_(runtime=None, distributions=(Distribution("torch", have, installer="pip"),) + others)


def _pasted_conflicts(f: Facts) -> Finding | None:
    """pip's own line (the catalogue's pip.torch_conflict): "xformers 0.0.19 requires torch==2.0.0, but you have
    torch 2.0.1+cu118 which is incompatible"."""
    rows = [m for m in messages(f) if m.kind == "pip_torch_conflict"]
    if not rows:
        return None
    text = "; ".join(f"{m.get('package')} {m.get('version')} requires torch{m.get('spec', '').strip()}, but torch "
                     f"{m.get('have')} is installed" for m in rows)
    fix = matching_fix(_with_torch(f, str(rows[0].get("have") or "") or None),
                       (norm(str(m.get("package"))) for m in rows),
                       "pip installed it anyway and said so ('which is incompatible').")
    return error(f"pip said: {text}. The companion was built for the torch it pins and does not load with this "
                 "one, or pip replaced torch to satisfy it.", fix)


def norm(name: str) -> str:
    import re

    return re.sub(r"[-_.]+", "-", name).lower()


@check("companion.variant_mismatch", areas.COMPANIONS, "companions are the same build (CUDA/ROCm/CPU) as torch",
       needs=("distributions",))
def variant_mismatch(f: Facts, k: Knowledge | None) -> Finding | None:
    ours = torch_variant(f)
    if not ours:
        return None
    hard: list[str] = []
    soft: list[str] = []
    names: list[str] = []
    for d in companions(f):
        tag = _tag_of(d)
        if tag is None or not tag.variant or tag.variant == ours:
            continue
        if tag.series and _series(torch_version(f)) and tag.series != _series(torch_version(f)):
            continue  # a build for another torch series: companion.built_for_other_torch says it, with this fix
        line = f"{d.name} {d.version} is a +{tag.variant} build, torch a +{ours} build"
        names.append(d.name)
        same_major = _cuda_major(tag.variant) is not None and _cuda_major(tag.variant) == _cuda_major(ours)
        (soft if same_major else hard).append(line)
    if not names:
        return None
    fix = matching_fix(f, names, "The companion's CUDA runtime must be the one torch loads.")
    if hard:
        return error("; ".join(hard + soft) + ": its kernels need another CUDA/ROCm runtime than torch's, so they "
                     "fail to load or find no GPU.", fix)
    return warning("; ".join(soft) + ": the same CUDA major release, so it usually loads, but the wheel for "
                   "torch's own CUDA is the one tested with it.", fix)


@check("companion.cpu_only", areas.COMPANIONS, "GPU companions have their GPU binary", needs=("distributions",))
def cpu_only(f: Facts, k: Knowledge | None) -> Finding | None:
    bad = _failed(f, "cpu_only")
    if not bad and f.companion_imports is None and said(f, "companion_cpu_only") is not None:
        bad = [CompanionImport("bitsandbytes", "bitsandbytes", "ok", kind="cpu_only",
                               error="compiled without GPU support")]
    if not bad:
        return None
    b = build(f)
    if b is not None and b[0] == "cpu":
        return info(f"{_names(c.name for c in bad)} loaded its CPU-only binary: torch is a CPU build too, so no "
                    "GPU code runs here (torch.cpu_build_with_gpu says whether a GPU build fits this machine).")
    words = "; ".join(f"{c.name}: {(c.error or next(iter(c.warnings), '')).splitlines()[0][:200]}" for c in bad)
    return error(f"{_names(c.name for c in bad)} has no GPU support on a {b[1] if b else ''} GPU build of torch "
                 f"({words}).", matching_fix(f, (c.name for c in bad), "Its GPU binary did not load."))


@check("companion.replaced_torch", areas.COMPANIONS, "torch was installed by you, not by a companion's pin",
       needs=("distributions",))
def replaced_torch(f: Facts, k: Knowledge | None) -> Finding | None:
    found = dists(f, "torch")
    if not found or found[0].requested is not False or found[0].installer not in ("pip", "uv"):
        return None
    torch = found[0].version
    v = _version(torch)
    pinning = [d for d in companions(f) for r in torch_requirements(d)
               if any(s.operator in ("==", "===") for s in r.specifier) and v is not None
               and r.specifier.contains(v, prereleases=True)]
    if not pinning:
        return None
    who = _names(f"{d.name} {d.version}" for d in pinning)
    b = build(f)
    gpu_lost = b is not None and b[0] == "cpu" and has_nvidia_hardware(f)
    msg = (f"torch {torch} came in as a dependency of {who} (which pins it): you did not install it yourself, "
           "so it is whatever build that pin pulled from the index")
    if gpu_lost:
        return warning(msg + ", here the CPU build on a machine with an NVIDIA GPU.",
                       Fix("Reinstall the GPU build of torch, then the companion release built for it: see "
                           "torch.cpu_build_with_gpu for the torch command; `torchdoctor preview -- pip install ...` "
                           "says before an install whether it would swap torch again."))
    return info(msg + ".")
