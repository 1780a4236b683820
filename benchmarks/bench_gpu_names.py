"""GPU name lookup cost: the table load on first use, and the time per name after it.

Run: python benchmarks/bench_gpu_names.py [--reps N]. Uses every name in tests/fixtures/gpu_names/*.tsv.
Prints the median table build time, the median first-lookup time in a fresh interpreter (import + table load + one lookup, minus a bare
`import torchdoctor.knowledge`) and the median time per name with the lookup cache cleared (cold) and
warm (cached), so the numbers are ratios of this machine's own baseline, not absolute promises.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FIRST = ("import time; t = time.perf_counter(); import torchdoctor.knowledge.gpu_names as g; "
         "g.identify('NVIDIA GeForce RTX 3060 Laptop GPU'); print(time.perf_counter() - t)")
BARE = "import time; t = time.perf_counter(); import torchdoctor.knowledge; print(time.perf_counter() - t)"


def names() -> list[str]:
    out = []
    for path in sorted((ROOT / "tests" / "fixtures" / "gpu_names").glob("*.tsv")):
        out += [line.split("\t", 1)[0] for line in path.read_text(encoding="utf-8").splitlines()
                if line.strip() and not line.startswith("#")]
    return out


def fresh(code: str) -> float:
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60, check=True)
    return float(run.stdout.strip())


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=9)
    args = ap.parse_args()
    first = statistics.median(fresh(FIRST) - fresh(BARE) for _ in range(args.reps))

    from torchdoctor.knowledge import gpu_names

    builds = []
    for _ in range(args.reps):  # reading gpu_names.json and expanding it into the lookup dicts
        gpu_names.table.cache_clear()
        t = time.perf_counter()
        gpu_names.table()
        builds.append(time.perf_counter() - t)
    all_names = names()
    cold, warm = [], []
    for _ in range(args.reps):
        gpu_names.identify.cache_clear()
        t = time.perf_counter()
        for n in all_names:
            gpu_names.identify(n)
        cold.append((time.perf_counter() - t) / len(all_names))
        t = time.perf_counter()
        for n in all_names:
            gpu_names.identify(n)
        warm.append((time.perf_counter() - t) / len(all_names))
    keys = len(gpu_names.table().names)
    print(f"names: {len(all_names)}; table: {keys} product names, {len(gpu_names.table().chips)} chips, "
          f"{len(gpu_names.table().patterns)} patterns")
    print(f"table build (read + expand), in process: median {statistics.median(builds) * 1e3:.2f} ms, "
          f"fastest {min(builds) * 1e3:.2f} ms")
    print(f"first lookup in a fresh process (module import + table load + 1 name): {first * 1e3:.2f} ms")
    print(f"per name, cold (no cache): median {statistics.median(cold) * 1e6:.1f} us, fastest {min(cold) * 1e6:.1f} us; "
          f"cached: {statistics.median(warm) * 1e6:.2f} us")
    return 0


if __name__ == "__main__":
    sys.exit(main())
