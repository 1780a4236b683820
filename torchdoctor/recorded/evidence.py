"""Evidence: one fact a reader found in a paste, and where.

A reader never builds Facts and never judges: it says "runtime.version is
2.1.0+cu121, from transformers_env line 7". `merge` turns all of it into one
Facts. Fact names are dotted paths into Facts ("platform.os", "nvidia.driver",
"runtime.warnings", "env.HSA_OVERRIDE_GFX_VERSION"); "gpus" and
"distributions" carry whole tuples; "report.<key>" is about the paste itself
(what it lacks, where it was cut) and lands in extra["report"].
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from torchdoctor.facts import Facts, NvidiaFacts, PlatformFacts, PythonFacts, TorchRuntime
from torchdoctor.privacy import private

# Facts whose values from every reader are kept (deduplicated), not chosen between.
ADDITIVE = ("runtime.warnings", "nvidia.errors", "report.notes", "report.messages", "report.unclassified")
# The Facts sections a dotted fact name starts with ("runtime.version").
SECTIONS = {"platform": PlatformFacts, "python": PythonFacts, "nvidia": NvidiaFacts, "runtime": TorchRuntime}


@dataclass(frozen=True)
class Evidence:
    fact: str
    value: Any
    reader: str  # "collect_env", "nvidia_smi", "messages", ...
    line: int = 0  # 1-based line of the paste; 0: the reader could not tell
    excerpt: str = ""  # the line (or its start) the value was read from

    def __post_init__(self) -> None:
        if len(self.excerpt) > 200:  # masked (see `private`) when it is shown: most evidence never is
            object.__setattr__(self, "excerpt", self.excerpt.strip()[:200])

    def where(self) -> str:
        at = f" line {self.line}" if self.line else ""
        return f"{self.reader}{at}"


def excerpt(line: str, limit: int = 160) -> str:
    line = private(line.strip())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def evidence_of(facts: Facts, reader: str, where: Any = None) -> list[Evidence]:
    """A reader that builds a whole Facts (collect_env) speaks as evidence: every fact it set.

    `where(path) -> (line, excerpt)` names the line each fact came from. Unset (default) fields
    are no evidence, except the build fields of a torch that imported: `cuda: None` there says
    "a CPU build", which another reader must not override with a guess."""
    out: list[Evidence] = []

    def add(path: str, value: Any) -> None:
        line, text = where(path) if where else (0, "")
        out.append(Evidence(path, value, reader, line, text))

    for name in SECTIONS:
        section = getattr(facts, name)
        if section is None:
            continue
        for f in dataclasses.fields(section):
            value = getattr(section, f.name)
            keep = name == "runtime" and f.name in ("cuda", "hip") and section.status == "ok"
            if value == f.default and not keep and not (f.name == "arch" and name == "platform"):
                continue
            add(f"{name}.{f.name}", value)
    if facts.gpus is not None:
        add("gpus", facts.gpus)
    if facts.distributions is not None:
        add("distributions", facts.distributions)
    for k, v in (facts.extra.get("report") or {}).items():
        add(f"report.{k}", v)
    return out
