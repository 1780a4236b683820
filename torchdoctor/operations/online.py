"""The index probe of `suggest --online` and `install`: read the plan's page (bounded, cached), and say
what it shows. The planned wheel confirmed; missing (a warning in suggest, a stop in install on a
mirror); a flat listing where an index was planned (the command switches to -f and says so); links that
lead back upstream; a newer torch than the tables know (information only: its architectures are
unknown, so it is never planned). A page that does not answer is "unverified", never an error.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from torchdoctor.findings import INFO, WARNING, Finding

PROBE_SECONDS = 3.0
PYPI_SIMPLE = "https://pypi.org/simple"
IDS = ("index.wheel_missing", "index.unverified", "index.newer_release", "mirror.leaks_upstream",
       "mirror.layout_switched")


def _tags(facts: Any) -> tuple[str, tuple[str, ...]]:
    py = facts.python.version if facts.python else "3.12"
    major, minor = py.split(".")[:2]
    os_name = facts.platform.os if facts.platform else "linux"
    arch = facts.platform.arch if facts.platform else "x86_64"
    if os_name == "windows":
        words: tuple[str, ...] = ("win_arm64",) if arch in ("arm64", "aarch64") else ("win_amd64",)
    elif os_name == "macos":
        words = ("arm64", "universal2") if arch in ("arm64", "aarch64") else ("x86_64", "universal2")
    else:
        words = ("aarch64",) if arch in ("arm64", "aarch64") else ("x86_64",)
    return f"cp{major}{minor}", words


def _finding(id: str, severity: str, message: str, area: str) -> Finding:
    return Finding(id, severity, message, None, area, {
        "index.wheel_missing": "the planned wheel is on its index",
        "index.unverified": "the planned wheel could be looked up",
        "index.newer_release": "the tables know the newest torch on the index",
        "mirror.leaks_upstream": "the mirror serves its own files",
        "mirror.layout_switched": "the command fits the mirror's layout",
    }[id])


def probe_plan(plan: Any, facts: Any, knowledge: Any, area: str = "Plan",
               timeout: float = PROBE_SECONDS) -> tuple[Any, list[Finding], Any]:
    """(the plan, switched to -f where the page says so; findings; the WheelProbe)."""
    from torchdoctor.knowledge.mirrors import upstream_hosts
    from torchdoctor.probes.index_page import FOUND, MISSING, UNVERIFIED, probe_wheel

    py_tag, words = _tags(facts)
    index = plan.index_url
    local = plan.variant if (plan.index_url or plan.find_links) and not (
        facts.platform and facts.platform.os == "macos") else None
    if plan.find_links is None and index is None:
        index, local = PYPI_SIMPLE, None  # PyPI's own build: its simple page
    probe = probe_wheel(None if plan.find_links else index, plan.find_links, plan.torch, local, py_tag, words,
                        upstream_hosts(), timeout)
    found: list[Finding] = []
    if probe.status == UNVERIFIED:
        found.append(_finding("index.unverified", INFO, f"Could not confirm torch {plan.torch} on its index "
                              f"({probe.reason}); the plan stands as the tables give it.", area))
    elif probe.status == MISSING:
        found.append(_finding("index.wheel_missing", WARNING, f"The planned wheel is not on its page: {probe.reason}.",
                              area))
    elif probe.status == FOUND:
        if probe.upstream:
            found.append(_finding("mirror.leaks_upstream", WARNING,
                                  f"{probe.url} links {probe.wheel} to download.pytorch.org: this mirror will "
                                  "download from upstream (its pages were not rewritten).", area))
        if probe.layout == "find-links" and plan.find_links is None and plan.index_url:
            listing = plan.index_url.rstrip("/") + "/"
            plan = _as_find_links(plan, listing, facts)
            found.append(_finding("mirror.layout_switched", INFO,
                                  f"{plan.find_links} is a flat listing, not a PEP 503 index: the command uses "
                                  "-f with exact +variant pins instead of --index-url.", area))
    newest = max((r.version for r in knowledge.releases), key=_key) if knowledge.releases else None
    unknown = [v for v in probe.versions if newest and _key(v)[:2] > _key(newest)[:2]]
    if unknown:
        found.append(_finding("index.newer_release", INFO,
                              f"torch {unknown[-1]} is on {probe.url} but not in the tables (newest known: "
                              f"{newest}); it is not planned: its GPU architectures are unknown. A newer "
                              "torchdoctor knows it.", area))
    return plan, found, probe


def _key(v: str) -> tuple[int, ...]:
    import re

    return tuple(int(x) for x in re.findall(r"\d+", v.split("+")[0])[:3])


def _as_find_links(plan: Any, listing: str, facts: Any) -> Any:
    from torchdoctor.plan.commands import render_command
    from torchdoctor.shell import argv_of

    pkgs = tuple(p if "+" in p else f"{p}+{plan.variant}" for p in plan.packages)
    argv = argv_of(plan.command) or []
    fmt = "uv" if argv[:1] == ["uv"] else "pip"
    os_name = facts.platform.os if facts.platform else None
    return replace(plan, packages=pkgs, find_links=listing, index_url=None, index_style="find-links",
                   command=render_command(pkgs, None, fmt, False, os_name, listing))
