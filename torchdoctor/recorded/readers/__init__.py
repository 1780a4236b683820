"""One small reader per paste format: `read(text) -> list[Evidence]`, never raising, never judging.

Each reader looks through the whole paste for its own format (an issue body mixes prose,
headings and several fenced blocks), so the dispatcher runs them all on the same cleaned
lines (`read_lines`) and `merge` decides between what they found.
"""

from __future__ import annotations

from torchdoctor.recorded.readers import (collect_env, conda, env_list, lshw, messages, nvidia_smi, pip, prose,
                                        repl, rocminfo)

# (name, module): every module has read(text) and read_lines(lines).
READERS = (
    ("collect_env", collect_env),
    ("nvidia_smi", nvidia_smi),
    ("rocminfo", rocminfo),
    ("lshw", lshw),
    ("pip", pip),
    ("conda", conda),
    ("env_list", env_list),
    ("repl", repl),
    ("messages", messages),
    ("prose", prose),
)
