"""The install line: the pinned packages and the index of the chosen candidate, as pip, uv or requirements.txt."""

from __future__ import annotations

from dataclasses import replace

from torchdoctor.knowledge import Knowledge, variant_kind
from torchdoctor.plan.device import Target
from torchdoctor.plan.gates import Candidate
from torchdoctor.plan.machine import Machine
from torchdoctor.plan.result import Plan
from torchdoctor.requests import PlanRequest
from torchdoctor.shell import Command, Line, check_arg, shell_for_os


def pinned_packages(c: Candidate, req: PlanRequest, pin_local: bool = False, os_name: str | None = None) -> tuple[str, ...]:
    """`pin_local`: pin the exact build (torch==2.14.1+cu126), for a listing that mixes variants or a
    find-links mirror beside a PyPI index (macOS wheels carry no local tag)."""
    exact = (c.rel.index_style == "extra" or (pin_local and os_name != "macos")) and c.source == "index"
    local = f"+{c.variant}" if exact else ""
    pkgs = [f"torch=={c.patch}{local}"]
    for pkg in req.with_:
        version = c.rel.companions.get(c.patch, {}).get(pkg)
        if version:
            pkgs.append(f"{pkg}=={version}{local}")
    return tuple(pkgs)


def render_command(packages: tuple[str, ...], index_url: str | None, fmt: str, extra: bool = False,
                   os_name: str | None = None, find_links: str | None = None) -> Line:
    """The install line, built as an argument list and quoted for the target OS's shell
    (requirements: the file's lines, which have no argv). `find_links`: a flat listing (-f), with
    `index_url` the PyPI mirror the dependencies come from."""
    flag = "--extra-index-url" if extra else "--index-url"
    links: tuple[str, ...] = ()
    if find_links:
        links = ("--find-links" if fmt != "pip" else "-f", check_arg(find_links, "the find-links URL"))
    index = (flag, check_arg(index_url, "the index URL")) if index_url else ()
    if fmt == "requirements":
        return Line("\n".join([" ".join(part) for part in (links, index) if part] + list(packages)))
    head = ("uv", "pip", "install") if fmt == "uv" else ("pip", "install")
    return Command(head + tuple(packages) + links + index, shell_for_os(os_name)).line


def plan_from(c: Candidate, m: Machine, k: Knowledge, target: Target, req: PlanRequest,
               reasons: list[str], warnings: list[str]) -> Plan:
    mirror = _mirror(req)
    if mirror is not None and mirror.name != "official" and c.source == "pypi" and m.os != "macos":
        # PyPI's default build is also download.pytorch.org's <variant> build: take the mirror's copy
        row = c.rel.at(c.patch).variant(c.variant)
        if row is not None and m.key in row.platforms and row.status == "confirmed":
            c = replace(c, source="index")
    index_url, find_links = variant_index(c, req) if c.source == "index" else (None, None)
    if c.source != "index" and mirror is not None and mirror.pypi:
        index_url = mirror.pypi  # PyPI's own build, from the mirror's PyPI
    pkgs = pinned_packages(c, req, pin_local=bool(mirror and mirror.pin_local), os_name=m.os)
    extra = c.rel.index_style == "extra" and find_links is None
    if mirror is not None and mirror.name != "official":
        reasons = [*reasons, mirror_reason(mirror, c.source == "index")]
        if mirror.caution:
            warnings = [*warnings, f"{mirror.name}: {mirror.caution}."]
    return Plan(
        torch=c.patch, variant=c.variant, index_url=index_url,
        command=render_command(pkgs, index_url, req.fmt, extra, m.os, find_links), packages=pkgs,
        device=target.device if variant_kind(c.variant) != "cpu" or target.device == "mps" else "cpu",
        reasons=tuple(reasons), warnings=tuple(warnings),
        confidence="inferred" if (c.status == "inferred" or any("inferred" in n for n in c.notes)) else "confirmed",
        index_style="find-links" if find_links else c.rel.index_style,
        find_links=find_links, mirror=mirror.name if mirror is not None else None,
    )


def _mirror(req: PlanRequest):
    if not req.mirror:
        return None
    from torchdoctor.knowledge.mirrors import by_name  # mirrors.json loads only when a mirror is named

    return by_name(req.mirror)


def variant_index(c: Candidate, req: PlanRequest) -> tuple[str | None, str | None]:
    """(index_url, find_links) for a download.pytorch.org variant: the named mirror's layout, else
    --index-base/<variant>. A find-links mirror's index is its PyPI mirror (the dependencies)."""
    mirror = _mirror(req)
    if mirror is None:
        return f"{req.index_base.rstrip('/')}/{c.variant}", None
    url = mirror.variant_url(c.variant)
    if mirror.layout == "find-links":
        return mirror.pypi, url
    return url, None


def mirror_reason(mirror, from_variant_index: bool) -> str:
    if not from_variant_index:
        where = f"PyPI's build, from {mirror.name}'s PyPI mirror" if mirror.pypi else "PyPI's build (from PyPI)"
        return f"Mirror {mirror.name}: this plan's wheel is {where}; {mirror.name} mirrors download.pytorch.org."
    if mirror.layout == "find-links":
        return (f"Mirror {mirror.name} is a flat listing: pip finds the wheel with -f and an exact "
                f"torch==X+variant pin; the dependencies come from {mirror.pypi}.")
    return f"Mirror {mirror.name}: a PEP 503 index of download.pytorch.org's builds (--index-url)."

