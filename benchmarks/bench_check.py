"""`torchdoctor check` against a bare `python -c "import torch"` in the same venv (target <= 1.2x),
and against `python -m torch.utils.collect_env`. Median of several runs, all measured in this run.

    .venv/bin/python benchmarks/bench_check.py [--runs 5] [--python .venv/bin/python]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path


def timed(argv: list[str], runs: int, cwd: str) -> list[float]:
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=cwd, timeout=600)
        out.append(time.perf_counter() - started)
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--python", default=sys.executable, help="the venv's interpreter (has torch and torchdoctor)")
    args = ap.parse_args()
    py = args.python
    cwd = os.environ.get("TMPDIR", "/tmp")
    doctor = str(Path(py).with_name("torchdoctor"))
    cases = {
        "import torch": [py, "-c", "import torch"],
        "torchdoctor check": [doctor, "check"] if Path(doctor).exists() else [py, "-m", "torchdoctor", "check"],
        "collect_env": [py, "-m", "torch.utils.collect_env"],
    }
    timed(cases["import torch"], 1, cwd)  # warm the page cache once, for every case alike
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(args.runs):  # interleaved rounds, so load changes on the machine hit every case alike
        for name, argv in cases.items():
            times[name] += timed(argv, 1, cwd)
    medians = {}
    for name in cases:
        medians[name] = statistics.median(times[name])
        print(f"{name:20s} median {medians[name]:.3f} s  (runs: {', '.join(f'{t:.2f}' for t in times[name])})")
    base = medians["import torch"]
    ratio = medians["torchdoctor check"] / base
    print(f"check / import torch   = {ratio:.2f}x  (target <= 1.2x)")
    print(f"collect_env / import torch = {medians['collect_env'] / base:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
