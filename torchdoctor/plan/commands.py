"""The install line: the pinned packages and the index of the chosen candidate, as pip, uv or requirements.txt."""

from __future__ import annotations

from torchdoctor.knowledge import Knowledge, variant_kind
from torchdoctor.plan.device import Target
from torchdoctor.plan.gates import Candidate
from torchdoctor.plan.machine import Machine
from torchdoctor.plan.result import Plan
from torchdoctor.requests import PlanRequest
from torchdoctor.shell import Command, Line, check_arg, shell_for_os


def pinned_packages(c: Candidate, req: PlanRequest) -> tuple[str, ...]:
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


def plan_from(c: Candidate, m: Machine, k: Knowledge, target: Target, req: PlanRequest,
               reasons: list[str], warnings: list[str]) -> Plan:
    index_url = f"{req.index_base.rstrip('/')}/{c.variant}" if c.source == "index" else None
    pkgs = pinned_packages(c, req)
    extra = c.rel.index_style == "extra"
    return Plan(
        torch=c.patch, variant=c.variant, index_url=index_url,
        command=render_command(pkgs, index_url, req.fmt, extra, m.os), packages=pkgs,
        device=target.device if variant_kind(c.variant) != "cpu" or target.device == "mps" else "cpu",
        reasons=tuple(reasons), warnings=tuple(warnings),
        confidence="inferred" if (c.status == "inferred" or any("inferred" in n for n in c.notes)) else "confirmed",
        index_style=c.rel.index_style,
    )

