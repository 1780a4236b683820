"""Benchmark `gather_machine()`, the probe step on the path of `torchdoctor suggest` (budget 0.3 s
for the whole command, Python start-up and typer import included).

Each run is a fresh interpreter, so imports are cold as they are for the CLI. Reported, as
medians over interleaved runs:
  - baseline: `python -c pass`
  - shared:   `python -c "import torchdoctor.facts, torchdoctor.runner"` (imported by every command)
  - import:   `python -c "import torchdoctor.probes"`
  - gather:   `python -c "from torchdoctor.probes import gather_machine; gather_machine()"`
and the ratios gather/baseline and (gather - baseline) in ms, plus the in-process time of the
call itself (first and second call) as measured inside the child.

    python benchmarks/bench_gather_machine.py [--runs 15]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

INSIDE = r"""
import json, time
t0 = time.perf_counter()
from torchdoctor.probes import gather_machine
t1 = time.perf_counter()
facts = gather_machine()
t2 = time.perf_counter()
gather_machine()
t3 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "first": t2 - t1, "second": t3 - t2,
                  "probes": [[n.name, n.ok, n.seconds] for n in facts.probes]}))
"""


# Installed packages have compiled bytecode; a dev shell with PYTHONDONTWRITEBYTECODE=1 would
# recompile every module on every start and measure the compiler, not the probes.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def wall(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, env=ENV)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    py = sys.executable
    commands = {
        "baseline": [py, "-c", "pass"],
        "shared": [py, "-c", "import torchdoctor.facts, torchdoctor.runner"],  # the CLI imports these anyway
        "import": [py, "-c", "import torchdoctor.probes"],
        "gather": [py, "-c", "from torchdoctor.probes import gather_machine; gather_machine()"],
    }
    times: dict[str, list[float]] = {k: [] for k in commands}
    for argv in commands.values():
        wall(argv)  # warm-up: writes the bytecode caches, fills the OS file cache
    for _ in range(args.runs):
        for name, argv in commands.items():  # interleaved: background load hits all alike
            times[name].append(wall(argv))
    inside = [json.loads(subprocess.run([py, "-c", INSIDE], check=True, capture_output=True, text=True, env=ENV).stdout)
              for _ in range(5)]
    med = {k: statistics.median(v) for k, v in times.items()}
    for name, value in med.items():
        print(f"{name:9s} {value * 1000:7.1f} ms  (median of {args.runs})")
    print(f"gather / baseline = {med['gather'] / med['baseline']:.2f}x; "
          f"gather - baseline = {(med['gather'] - med['baseline']) * 1000:.1f} ms; "
          f"gather - shared = {(med['gather'] - med['shared']) * 1000:.1f} ms (the probes' own cost)")
    for key in ("import", "first", "second"):
        print(f"in-process {key:6s} {statistics.median(r[key] for r in inside) * 1000:6.1f} ms")
    print("probes:", ", ".join(f"{n}={'ok' if ok else 'no'}:{s * 1000:.1f}ms" for n, ok, s in inside[-1]["probes"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
