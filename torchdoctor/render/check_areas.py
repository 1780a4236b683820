"""The area lines of a check report (shared by the human and markdown renderers; formatting only).

Each area (Python, PyTorch, ...) gets a status from its findings and a one-line
headline from the facts, e.g. "PyTorch 2.13.0+cpu (CPU-only build)".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from torchdoctor.checks.areas import CHECK_AREAS, build_words, works


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
    for area in CHECK_AREAS:
        mine = tuple(f for f in findings if f.area == area.name)
        if not mine:
            continue
        try:
            headline = area.headline(facts) if area.headline else area.name
        except Exception:  # noqa: BLE001 - a headline is decoration: never fail the report for it
            headline = area.name
        status = area_status(mine)
        if status == "ok" and not works(area, facts):
            status = "skipped"  # nothing failed, but what the area names does not work here (or is unknown): no ✓
        out.append(AreaLine(area.name, status, headline, mine))
    return out


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
        out.append((f"PyTorch {rt.version} ({build_words(rt)})" + (
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
