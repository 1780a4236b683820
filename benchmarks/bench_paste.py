"""Reading a pasted issue body: `load_report` on ~100 KB of real pastes (target <= 50 ms), and on the
2 MiB cap. The body is built from tests/fixtures/reports (every format, prose, fences) as an issue
thread would hold them: several blocks one after another. Median of several runs, in-process, after
one warm-up (imports and the GPU names table are loaded once, as in `check --from`).

    .venv/bin/python benchmarks/bench_paste.py [--runs 20] [--kb 100]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from torchdoctor.recorded import load_report  # noqa: E402
from torchdoctor.recorded.text import MAX_REPORT_BYTES  # noqa: E402


def body(size: int) -> str:
    """Real pastes, fenced and separated by prose, until `size` characters."""
    pastes = sorted((ROOT / "tests" / "fixtures" / "reports").rglob("*.txt"))
    parts: list[str] = []
    total = 0
    while total < size:
        for p in pastes:
            text = p.read_text(encoding="utf-8")
            block = f"Here is what I get ({p.stem}):\n\n```\n{text}\n```\n\n"
            parts.append(block)
            total += len(block)
            if total >= size:
                break
    return "".join(parts)[:size]


def timed(text: str, runs: int) -> tuple[list[float], list[float]]:
    """(wall, CPU) seconds per run. The CPU time is this process's own: on a shared machine the wall
    clock also counts the time other processes held the CPU."""
    load_report(text, "warm-up")
    wall, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        load_report(text, "bench")
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return wall, cpu


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--kb", type=int, default=100)
    args = ap.parse_args()
    text = body(args.kb * 1024)
    wall, cpu = timed(text, args.runs)
    median = statistics.median(cpu) * 1000
    print(f"{len(text) // 1024} KB issue body: median {median:.1f} ms CPU, {statistics.median(wall) * 1000:.1f} ms "
          f"wall ({args.runs} runs; target <= 50 ms)")
    cap = body(MAX_REPORT_BYTES + 4096)
    wall, cpu = timed(cap, max(3, args.runs // 5))
    print(f"{len(cap) // 1024} KB (over the 2 MiB cap, read up to it): median {statistics.median(cpu) * 1000:.0f} ms "
          f"CPU, {statistics.median(wall) * 1000:.0f} ms wall")
    return 0 if median <= 50 else 1


if __name__ == "__main__":
    sys.exit(main())
