"""Evidence: one fact a reader found in a paste, and where.

A reader never builds Facts and never judges: it says "runtime.version is
2.1.0+cu121, from transformers_env line 7". `merge` turns all of it into one
Facts. Fact names are dotted paths into Facts ("platform.os", "nvidia.driver",
"runtime.warnings", "env.HSA_OVERRIDE_GFX_VERSION"); "gpus" and
"distributions" carry whole tuples; "report.<key>" is about the paste itself
(what it lacks, where it was cut) and lands in extra["report"].
"""

from __future__ import annotations

from dataclasses import dataclass

from torchdoctor.privacy import private
from typing import Any

# Facts whose values from every reader are kept (deduplicated), not chosen between.
ADDITIVE = ("runtime.warnings", "nvidia.errors", "report.notes")


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
