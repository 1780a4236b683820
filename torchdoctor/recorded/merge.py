"""Evidence from every reader -> one Facts, each fact with where it came from.

Precedence (docs/pastes.md): when two readers state the same fact differently, the one of
lower rank wins (each reader's rank stands beside it in `recorded.readers.READERS`), and
within one reader the first statement in the paste. Exceptions (_FIRST): the exact text of a
failed import or CUDA init comes from the message, a traceback of the import decides the
status, and a REPL answer beats a summary for cuda_available. Warnings and driver errors are
not chosen between: every reader's are kept (ADDITIVE), deduplicated.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any, Iterable

from torchdoctor.facts import Distribution, Facts, Gpu
from torchdoctor.knowledge.gpu_names import GpuIdentity, identify
from torchdoctor.recorded.evidence import ADDITIVE, SECTIONS, Evidence, excerpt
from torchdoctor.recorded.readers import RANKS

# Facts for which another order applies (the first listed win; the rest keep their rank).
_FIRST: dict[str, tuple[str, ...]] = {
    "runtime.error": ("messages",), "runtime.error_type": ("messages",), "runtime.error_kind": ("messages",),
    "runtime.traceback_tail": ("messages",), "runtime.cuda_init_error": ("messages",),
    "distributions": ("pip", "conda", "collect_env", "conda_plan"),
    # a REPL answer is torch's own: it beats summaries that print it second-hand
    "runtime.cuda_available": ("repl", "collect_env"), "runtime.version": ("collect_env", "repl"),
}
# Listings that name some packages only: what they lack is unknown, not absent.
PARTIAL_LISTS = ("pip_show", "pip_partial", "conda_plan")
_TUPLES = {"runtime.warnings", "nvidia.errors", "runtime.arch_list", "python.tools", "runtime.devices"}
_UNRANKED = max(RANKS.values()) + 1  # a reader name the registry lacks ranks last


def rank(e: Evidence, order: int) -> tuple[int, int, int]:
    if e.fact == "runtime.status" and e.reader == "messages" and e.value in ("import_failed", "not_installed"):
        return (-1, 0, order)  # a traceback of the import, or pip finding no torch at all, says it exactly
    first = _FIRST.get(e.fact, ())
    lead = first.index(e.reader) if e.reader in first else len(first)
    return (lead, RANKS.get(e.reader, _UNRANKED), order)


def merge(evidence: Iterable[Evidence], origin: str) -> Facts:
    items = list(evidence)
    by_fact: dict[str, list[tuple[tuple[int, int, int], Evidence]]] = {}
    for i, e in enumerate(items):
        by_fact.setdefault(e.fact, []).append((rank(e, i), e))
    chosen: dict[str, Evidence] = {}
    additive: dict[str, list[Evidence]] = {}
    for fact, found in by_fact.items():
        found.sort(key=lambda x: x[0])
        if fact in ADDITIVE:
            additive[fact] = [e for _, e in found]
        else:
            chosen[fact] = found[0][1]

    values: dict[str, Any] = {f: e.value for f, e in chosen.items()}
    for fact, kept in additive.items():
        values[fact] = tuple(_dedupe(v for e in kept for v in _as_tuple(e.value)))
    readers = sorted({e.reader for e in items}, key=lambda r: RANKS.get(r, _UNRANKED))

    if values.get("report.pip_found_none") and values.get("runtime.status") == "import_failed" and \
            not values.get("runtime.error_type"):
        # collect_env could not import torch (N/A) and pip finds no torch for this Python: it is not installed
        values["runtime.status"] = "not_installed"
        values.pop("runtime.error", None)
    sections = {name: _section(name, cls, values) for name, cls in SECTIONS.items()}
    p = sections["platform"]
    if p is not None and p.os == "macos" and p.arch == "x86_64" and values.get("report.apple_silicon") and not p.rosetta:
        # an x86_64 Python on an Apple-silicon Mac runs under Rosetta
        sections["platform"] = dataclasses.replace(p, rosetta=True, machine_arch="arm64")
    gpus = _gpus(values.get("gpus"), by_fact.get("gpus", []))
    gfx = values.get("report.gfx")
    if gfx and not any(g.gfx for g in gpus or ()):
        # "it is a gfx1032 GPU", "TensileLibrary_lazy_gfx1031.dat": the AMD GPU's target, as the paste names it
        amd = [g for g in gpus or () if g.vendor == "amd"]
        if amd:
            gpus = tuple(dataclasses.replace(g, gfx=gfx) if g is amd[0] else g for g in gpus)
        elif not gpus:
            gpus = (Gpu(vendor="amd", gfx=gfx, source="prose"),)
    report = {k[len("report."):]: _plain(v) for k, v in values.items() if k.startswith("report.")}
    dists = values.get("distributions")
    rt = sections["runtime"]
    if dists is None and ("report.torch_version" in values or "report.listed" in values) and \
            (rt is None or not rt.version):
        # A summary's version lines: these packages are there, nothing is said of the others.
        torch = values.get("report.torch_version") or (rt.version if rt is not None else None)
        listed = [("torch", torch)] if torch else []
        listed += [(n, v) for n, v in values.get("report.listed", ()) if n != "torch"]
        dists = tuple(Distribution(name=n, version=v) for n, v in dict(listed).items()) or None
        report["packages_partial"] = True
        report.pop("listed", None)
    if "distributions" in chosen and chosen["distributions"].reader in PARTIAL_LISTS:
        report["packages_partial"] = True
    shadowing = values.get("shadowing")
    env = {k[len("env."):]: str(v) for k, v in values.items() if k.startswith("env.")} or None

    kind = "collect_env" if "collect_env" in readers else (readers[0] if readers else "paste")
    report.setdefault("kind", kind)
    report["notes"] = list(values.get("report.notes", ()))
    report["readers"] = readers
    report["provenance"] = {f: e.where() + (f": {excerpt(e.excerpt)}" if e.excerpt else "")
                            for f, e in sorted(chosen.items()) if not f.startswith("report.")}
    facts = Facts(origin=f"{kind}:{origin}", platform=sections["platform"], python=sections["python"],
                  nvidia=sections["nvidia"], gpus=gpus, distributions=dists, runtime=sections["runtime"],
                  env=env, shadowing=tuple(shadowing) if shadowing else None, extra={"report": report})
    report["ask"] = asks(facts, readers)
    return facts


def _plain(value: Any) -> Any:
    """extra["report"] holds JSON's own types, so a --json report of it reads back equal."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def _as_tuple(value: Any) -> tuple:
    if value is None:
        return ()
    return tuple(value) if isinstance(value, (list, tuple)) else (value,)


def _squash(text: str) -> str:
    return " ".join(str(text).split())


def _dedupe(texts: Iterable[Any]) -> list[Any]:
    """Keep the first of texts that say the same thing (one contains the other, spacing aside)."""
    out: list[Any] = []
    seen: list[str] = []
    for t in texts:
        s = _squash(t)
        if not s or any(s in o or o in s for o in seen):
            continue
        out.append(t)
        seen.append(s)
    return out[:40]


def _section(name: str, cls: type, values: dict[str, Any]) -> Any:
    prefix = name + "."
    fields = {k[len(prefix):]: v for k, v in values.items() if k.startswith(prefix)}
    if not fields:
        return None
    known = {f.name for f in dataclasses.fields(cls)}
    fields = {k: (tuple(v) if f"{name}.{k}" in _TUPLES and v is not None else v)
              for k, v in fields.items() if k in known}
    if name == "platform":
        if not fields.get("os"):
            if not fields.get("wsl"):
                return None
            fields["os"] = "linux"  # WSL runs Linux
        fields.setdefault("arch", "unknown")
    elif name == "python":
        if not fields.get("version"):
            return None
    elif name == "runtime":
        fields.setdefault("status", "ok")  # torch printed these, so it was imported
    return cls(**fields)


def _gpus(chosen: Any, found: list) -> Any:
    """The GPUs of the best source; capabilities that source lacks from another reader or the GPU table."""
    if chosen is None:
        return None
    caps: dict[str, Any] = {}
    for _, e in found:
        for g in e.value or ():
            if g.capability and g.name:
                caps.setdefault(g.name, g.capability)
    out = []
    for g in chosen:
        if g.vendor == "nvidia" and g.capability is None and g.name:
            cc = caps.get(g.name) or _known(g.name, "capability")
            if cc:
                g = dataclasses.replace(g, capability=cc)
        elif g.vendor == "amd" and g.gfx is None and g.name:
            # "Device 66a1" on a ROCm build is an AMD PCI id: the GPU names table gives its target
            named = g.name if re.search(r"\b(AMD|Radeon|Instinct)\b", g.name) else f"AMD {g.name}"
            gfx = _known(named, "gfx")
            g = dataclasses.replace(g, gfx=gfx) if gfx else g
        elif g.vendor == "intel" and g.kind is None and g.name:
            kind = _known(g.name, "kind")
            g = dataclasses.replace(g, kind=kind) if kind else g
        out.append(g)
    return tuple(out)


def _known(name: str, what: str) -> Any:
    """What the GPU names table says of `name` (capability, gfx or kind); None when it says nothing."""
    try:
        identity: GpuIdentity = identify(name)
    except Exception:  # noqa: BLE001 - a knowledge bug must not lose the whole report
        return None
    return getattr(identity, what)


COLLECT_ENV = "`python -m torch.utils.collect_env`"


def asks(facts: Facts, readers: list[str]) -> list[str]:
    """What to ask the reporter for, so the next reply can be sure (most useful first)."""
    out: list[str] = []
    report = facts.extra.get("report", {})
    rt = facts.runtime
    said = "\n".join((rt.warnings + (rt.error or "", rt.cuda_init_error or "")) if rt is not None else ())
    if rt is not None and rt.status == "import_failed" and "collect_env" not in readers:
        # collect_env imports torch itself: it cannot run while `import torch` fails
        out.append("the output of `python -m pip show torch` (the torch version; "
                   f"{COLLECT_ENV} cannot run while `import torch` fails)")
    elif "collect_env" not in readers:
        out.append(f"the output of {COLLECT_ENV} (torch build, driver, GPUs and packages in one report)")
    elif report.get("truncated"):
        out.append(f"the whole output of {COLLECT_ENV}: the paste is cut off"
                   + (" in its package list" if report.get("packages_cut") else ""))
    if rt is not None and rt.status == "import_failed" and not rt.error_type:
        out.append('the full traceback of `python -c "import torch"`')
    macos = facts.platform is not None and facts.platform.os == "macos"
    rocm = (rt is not None and bool(rt.hip)) or bool(report.get("rocm_module_loaded"))
    if not macos and facts.gpus is None and (facts.nvidia is None or not facts.nvidia.driver):
        out.append("the output of `rocminfo`" if rocm else "the output of `nvidia-smi` and `nvidia-smi -L` (the "
                                                           "driver, and which GPUs the machine has)")
    if re.search(r"Error 802|system not yet initiali", said):
        out.append("the output of `systemctl status nvidia-fabricmanager` (NVSwitch systems need it running)")
    if facts.platform is None and "collect_env" in readers:
        out.append("which OS and Python this is (`python -c \"import platform; print(platform.platform())\"`)")
    return out
