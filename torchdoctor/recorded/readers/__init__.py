"""The readers: one small module per paste format, each `read(paste) -> list[Evidence]`, never judging.

Each reader looks through the whole paste for its own format (an issue body mixes prose,
headings and several fenced blocks), so every reader gets the same `Paste` and `merge`
decides between what they found.

READERS is the registry: one entry per name a reader's evidence carries, with its rank (lower
wins when two readers state one fact differently; docs/pastes.md explains the order and a test
holds the two equal). A module that speaks under several names (pip: a whole listing, a cut
one, `pip show`) has one entry per name; it runs once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from torchdoctor.recorded.evidence import Evidence
from torchdoctor.recorded.paste import Paste
from torchdoctor.recorded.readers import (collect_env, conda, env_list, lshw, messages, nvidia_smi, pip, prose,
                                         repl, rocminfo)


@dataclass(frozen=True)
class Reader:
    name: str  # what its evidence says as `Evidence.reader`
    rank: int  # precedence: 1 is the most direct source
    read: Callable[[Paste], list[Evidence]]


# In the order the modules run (their evidence's order breaks no tie between modules: ranks do).
READERS = (
    Reader("collect_env", 3, collect_env.read),
    Reader("nvidia_smi", 1, nvidia_smi.read),
    Reader("nvidia_smi_truncated", 18, nvidia_smi.read),  # drivers before ~510 cut long GPU names
    Reader("rocminfo", 2, rocminfo.read),
    Reader("lshw", 4, lshw.read),  # lshw -C display and /proc/driver/nvidia/version
    Reader("pip", 5, pip.read),
    Reader("pip_partial", 8, pip.read),  # a pip list that ends before "torch"
    Reader("pip_show", 9, pip.read),
    Reader("conda", 6, conda.read),
    Reader("conda_plan", 7, conda.read),
    Reader("transformers_env", 10, env_list.read),
    Reader("accelerate_env", 11, env_list.read),
    Reader("diffusers_env", 12, env_list.read),
    Reader("lightning_env", 13, env_list.read),
    Reader("yolo_checks", 14, env_list.read),
    Reader("markdown_list", 15, env_list.read),  # a list written by hand
    Reader("repl", 16, repl.read),
    Reader("messages", 17, messages.read),
    Reader("prose", 19, prose.read),
    Reader("paths", 20, messages.read),  # install paths in messages: the weakest evidence
)
RANKS = {r.name: r.rank for r in READERS}


def paste_of(lines: list[str] | tuple[str, ...]) -> Paste:
    """The one Paste all readers read, with the lines collect_env's report claims."""
    lines = tuple(lines)
    return Paste.of(lines, {"collect_env": collect_env.claims(lines)})


def read_all(paste: Paste) -> tuple[list[Evidence], list[tuple[str, Exception]]]:
    """Every reader's evidence, and (module, error) for each reader that failed."""
    evidence: list[Evidence] = []
    failed: list[tuple[str, Exception]] = []
    for read in dict.fromkeys(r.read for r in READERS):  # each module once, in order
        try:
            evidence += read(paste)
        except Exception as exc:  # noqa: BLE001 - one broken reader must not lose what the others read
            failed.append((read.__module__.rpartition(".")[2], exc))
    return evidence, failed
