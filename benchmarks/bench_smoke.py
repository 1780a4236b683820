"""Benchmark `torchdoctor smoke` against bare baselines measured in the same run.

(a) Fidelity: the classic-loop seconds that `smoke --device cpu --json` reports, against
    the student's loop run bare in one process (a standalone script that does not import
    torchdoctor), in pairs (one of each, alternating order; the ratio is taken per pair, the
    median reported). Target: ratio within 10% (0.90 .. 1.10).
(b) Overhead: the wall time of `torchdoctor smoke --device cpu` against a bare
    `python -c "import torch"`. Target: at most 1.5 s more.

Runs are interleaved and medians reported, so background load hits both sides alike.

    python benchmarks/bench_smoke.py [--runs 5] [--pairs 200] [--python PATH]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

# The classic exercise, bare: the student's loop, written out as a student writes it, with nothing else
# in the timed region. Like the smoke child, it runs the 100 epochs once untimed first (the smoke child
# keeps its curves in that run; here it only warms autograd up the same way), then times the second run.
BARE_LOOP = r"""
import time, torch
x_data = [1.0, 2.0, 3.0]
y_data = [2.0, 4.0, 6.0]

def train():
    for epoch in range(100):
        for x_val, y_val in zip(x_data, y_data):
            y_pred = w * x_val
            l = (y_pred - y_val) ** 2
            l.backward()
            w.data = w.data - 0.01 * w.grad.data
            w.grad.data.zero_()

w = torch.tensor([3.0], requires_grad=True)
train()
w = torch.tensor([3.0], requires_grad=True)
start = time.perf_counter()
train()
print(time.perf_counter() - start)
"""


# (a, in one process) the same comparison without process-to-process noise: the smoke workload's reported
# seconds and the bare loop, alternating, many pairs, in one interpreter.
IN_PROCESS = r"""
import json, statistics, sys, time, torch
from torchdoctor.patient.workloads import classic_loop

def bare():
    w = torch.tensor([3.0], requires_grad=True)
    start = time.perf_counter()
    for epoch in range(100):
        for x_val, y_val in zip([1.0, 2.0, 3.0], [2.0, 4.0, 6.0]):
            y_pred = w * x_val
            l = (y_pred - y_val) ** 2
            l.backward()
            w.data = w.data - 0.01 * w.grad.data
            w.grad.data.zero_()
    return time.perf_counter() - start

bare(); classic_loop(torch, "cpu")  # warm up both
ratios = []
for i in range(int(sys.argv[1])):
    if i % 2:
        b = bare(); s = classic_loop(torch, "cpu")["seconds"]
    else:
        s = classic_loop(torch, "cpu")["seconds"]; b = bare()
    ratios.append(s / b)
print(json.dumps(ratios))
"""


def wall(argv: list[str]) -> tuple[float, str]:
    start = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{argv[:4]} failed ({proc.returncode}): {proc.stderr.strip()[-500:]}")
    return seconds, proc.stdout


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--pairs", type=int, default=200, help="in-process pairs for (a)")
    parser.add_argument("--python", default=sys.executable, help="the interpreter with torch (and torchdoctor)")
    opts = parser.parse_args()
    py = opts.python
    smoke = [py, "-m", "torchdoctor", "smoke", "--device", "cpu"]

    wall([py, "-c", "import torch"])  # warm the file cache once
    bare_loop, smoke_loop, bare_import, smoke_wall, pairs = [], [], [], [], []
    for i in range(opts.runs):
        # paired: each smoke run next to a bare run, alternating which goes first, ratio per pair
        order = (("bare", "smoke") if i % 2 == 0 else ("smoke", "bare"))
        got = {}
        for side in order:
            if side == "bare":
                got[side] = float(wall([py, "-c", BARE_LOOP])[1].strip())
            else:
                got[side] = json.loads(wall(smoke + ["--json"])[1])["devices"][0]["classic"]["seconds"]
        bare_loop.append(got["bare"])
        smoke_loop.append(got["smoke"])
        pairs.append(got["smoke"] / got["bare"])
        bare_import.append(wall([py, "-c", "import torch"])[0])
        smoke_wall.append(wall(smoke)[0])

    in_process = json.loads(wall([py, "-c", IN_PROCESS, str(opts.pairs)])[1])

    med = statistics.median
    ratio = med(pairs)
    inner = med(in_process)
    extra = med(smoke_wall) - med(bare_import)
    print(f"runs: {opts.runs} (medians), python: {py}")
    print(f"(a) classic loop: smoke reports {med(smoke_loop) * 1000:.1f} ms, bare {med(bare_loop) * 1000:.1f} ms "
          f"-> median of {len(pairs)} paired ratios {ratio:.3f} (range {min(pairs):.3f}..{max(pairs):.3f}; "
          f"target 0.90..1.10) {'OK' if 0.9 <= ratio <= 1.1 else 'MISSED'}")
    print(f"(a) the same in one process, {len(in_process)} alternating pairs: median ratio {inner:.3f} "
          f"(quartiles {statistics.quantiles(in_process, n=4)[0]:.3f}..{statistics.quantiles(in_process, n=4)[2]:.3f}; "
          f"target 0.90..1.10) {'OK' if 0.9 <= inner <= 1.1 else 'MISSED'}")
    print(f"(b) smoke --device cpu {med(smoke_wall):.2f} s, bare import torch {med(bare_import):.2f} s "
          f"-> +{extra:.2f} s, ratio {med(smoke_wall) / med(bare_import):.2f} (target <= +1.5 s) "
          f"{'OK' if extra <= 1.5 else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
