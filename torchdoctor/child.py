"""Run a Python script in a child interpreter and read back one JSON answer.

This is how the doctor talks to torch without importing it: the child does the
risky work (import torch, CUDA init, training) and prints its answer as one line
`@@TORCHDOCTOR@@{json}` on stdout. Anything else the child prints (torch's own
warnings, a C++ stack dump) is kept as text. A child that raises, is killed by a
signal, hangs, or prints no answer becomes a status, never an exception here.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

from torchdoctor.runner import RunResult, child_env, run

MARKER = "@@TORCHDOCTOR@@"


@dataclass(frozen=True)
class ChildResult:
    status: str  # "ok" | "timeout" | "crashed" (killed by a signal) | "failed" (exit != 0) | "no_answer" | "not_started"
    data: dict[str, Any] | None  # the JSON answer, when the child printed one (even if it then failed)
    stdout: str  # everything else printed on stdout
    stderr: str
    returncode: int | None
    seconds: float
    detail: str = ""  # one line: why it is not "ok"
    run: RunResult | None = field(default=None, repr=False, compare=False)

    @property
    def signal(self) -> int | None:
        return -self.returncode if self.returncode is not None and self.returncode < 0 else None


def run_script(
    script: str | Path,
    args: Sequence[str] = (),
    timeout: float = 60.0,
    python: str | None = None,
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
) -> ChildResult:
    """Run `python script args...` with a deadline; parse the marked JSON answer."""
    argv = [python or sys.executable, str(script), *args]
    result = run(argv, timeout=timeout, env=child_env(env), cwd=cwd)
    return interpret(result)


def interpret(result: RunResult) -> ChildResult:
    data, rest = _split_answer(result.stdout)
    if result.error:
        status, detail = "not_started", result.describe_failure()
    elif result.timed_out:
        status, detail = "timeout", f"no answer within {result.seconds:.1f} s"
    elif result.returncode is not None and result.returncode < 0:
        status, detail = "crashed", result.describe_failure()
    elif result.returncode not in (0, None):
        status, detail = "failed", result.describe_failure()
    elif data is None:
        status, detail = "no_answer", "the child exited without printing its answer"
    else:
        status, detail = "ok", ""
    return ChildResult(status, data, rest, result.stderr, result.returncode, result.seconds, detail, result)


def _split_answer(stdout: str) -> tuple[dict[str, Any] | None, str]:
    data = None
    kept = []
    for line in stdout.splitlines():
        if line.startswith(MARKER):
            try:
                parsed = json.loads(line[len(MARKER):])
                data = parsed if isinstance(parsed, dict) else data
            except ValueError:
                kept.append(line)
        else:
            kept.append(line)
    return data, "\n".join(kept)
