"""Benchmark `torchdoctor smoke` against bare baselines measured in the same run.

(a) Fidelity: the classic-loop seconds that `smoke --device cpu --json` reports, against
    the same loop run bare in one process (a standalone script that does not import
    torchdoctor). Target: ratio within 10% (0.90 .. 1.10).
(b) Overhead: the wall time of `torchdoctor smoke --device cpu` against a bare
    `python -c "import torch"`. Target: at most 1.5 s more.

Runs are interleaved and medians reported, so background load hits both sides alike.

    python benchmarks/bench_smoke.py [--runs 5] [--python PATH]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

# The classic exercise, bare: the loop and its timing exactly as the smoke child does it.
BARE_LOOP = r"""
import time, torch
x_data = torch.tensor([1.0, 2.0, 3.0]); y_data = torch.tensor([2.0, 4.0, 6.0])
w = torch.tensor(3.0, requires_grad=True)
losses, ws = [], []
start = time.perf_counter()
for epoch in range(100):
    for x_val, y_val in zip(x_data, y_data):
        loss = (w * x_val - y_val) ** 2
        loss.backward()
        w.data -= 0.01 * w.grad.data
        w.grad.data.zero_()
    losses.append(loss.detach())
    ws.append(w.detach().clone())
print(time.perf_counter() - start)
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
    parser.add_argument("--python", default=sys.executable, help="the interpreter with torch (and torchdoctor)")
    opts = parser.parse_args()
    py = opts.python
    smoke = [py, "-m", "torchdoctor", "smoke", "--device", "cpu"]

    wall([py, "-c", "import torch"])  # warm the file cache once
    bare_loop, smoke_loop, bare_import, smoke_wall = [], [], [], []
    for _ in range(opts.runs):
        bare_loop.append(float(wall([py, "-c", BARE_LOOP])[1].strip()))
        seconds, out = wall(smoke + ["--json"])
        smoke_loop.append(json.loads(out)["devices"][0]["classic"]["seconds"])
        bare_import.append(wall([py, "-c", "import torch"])[0])
        smoke_wall.append(wall(smoke)[0])

    med = statistics.median
    ratio = med(smoke_loop) / med(bare_loop)
    extra = med(smoke_wall) - med(bare_import)
    print(f"runs: {opts.runs} (medians), python: {py}")
    print(f"(a) classic loop: smoke reports {med(smoke_loop) * 1000:.1f} ms, bare {med(bare_loop) * 1000:.1f} ms "
          f"-> ratio {ratio:.3f} (target 0.90..1.10) {'OK' if 0.9 <= ratio <= 1.1 else 'MISSED'}")
    print(f"(b) smoke --device cpu {med(smoke_wall):.2f} s, bare import torch {med(bare_import):.2f} s "
          f"-> +{extra:.2f} s, ratio {med(smoke_wall) / med(bare_import):.2f} (target <= +1.5 s) "
          f"{'OK' if extra <= 1.5 else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
