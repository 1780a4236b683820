"""What the planner returns: the plan (the command and why), or the findings that say why none fits."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from torchdoctor.findings import Finding
from torchdoctor.shell import argv_of


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
    find_links: str | None = None  # a find-links mirror's listing (-f); index_url is then its PyPI mirror
    mirror: str | None = None  # the --mirror it was rendered for

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
                "retry_argv": argv_of(self.retry_command), "mirror": self.mirror, "find_links": self.find_links}


@dataclass(frozen=True)
class PlanResult:
    plan: Plan | None
    problems: tuple[Finding, ...] = ()  # why no plan: findings with the planner's ids (plan/problems.py)
    rejected: tuple[str, ...] = ()  # one line per newer option: why not
    upgrades: tuple[str, ...] = ()  # what a driver upgrade would unlock
    fallback: Plan | None = None  # when the GPU cannot be used: the CPU-only command
    machine: dict[str, Any] = field(default_factory=dict)
    as_of: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"plan": self.plan.to_dict() if self.plan else None,
                # suggest's JSON has always shown a problem as {id, message}; the whole finding is in "findings"
                "problems": [{"id": p.id, "message": p.message} for p in self.problems],
                "rejected": list(self.rejected), "upgrades": list(self.upgrades),
                "fallback": self.fallback.to_dict() if self.fallback else None,
                "machine": self.machine, "knowledge_as_of": self.as_of}

