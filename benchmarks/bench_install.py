"""`torchdoctor install`'s own overhead beyond the pip commands it runs (target <= 2 s before verification).

A real index on 127.0.0.1 (tests/helpers/local_index.py) serves small stand-in torch wheels. Each
round puts the wrong build (+cu130) back with bare pip, then lets `torchdoctor install
--yes --no-verify` replace it with the planned +cpu build. The doctor's overhead is its
wall time minus the seconds its pip steps took (both measured in the same run); the bare
pip commands, run by hand, are the baseline.

    .venv/bin/python benchmarks/bench_install.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from helpers.local_index import LocalIndex, make_env, pip_install, stand_in_torch, user_pip_env  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    env = user_pip_env()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        stand_in_torch(root / "index" / "cpu", "2.13.0+cpu")
        stand_in_torch(root / "index" / "cu130", "2.13.0+cu130", cuda="13.0")
        python = make_env(root / "venv")
        walls, steps, overheads, bare = [], [], [], []
        with LocalIndex(root / "index") as idx:
            for _ in range(args.runs):
                assert pip_install(python, "--force-reinstall", "torch==2.13.0+cu130", "--index-url",
                                   f"{idx.base}/cu130", env=env).returncode == 0
                started = time.perf_counter()
                res = subprocess.run([sys.executable, "-m", "torchdoctor", "install", "--python", str(python),
                                      "--torch", "2.13.0", "--index-base", idx.base, "--yes", "--no-verify",
                                      "--json"], env=env, capture_output=True, text=True, timeout=600)
                wall = time.perf_counter() - started
                out = json.loads(res.stdout)
                assert out["ok"], res.stdout + res.stderr
                pip_seconds = sum(s["seconds"] for s in out["steps"])
                walls.append(wall)
                steps.append(pip_seconds)
                overheads.append(wall - pip_seconds)
                # The same two pip commands by hand, on the same wrong build: the baseline.
                assert pip_install(python, "--force-reinstall", "torch==2.13.0+cu130", "--index-url",
                                   f"{idx.base}/cu130", env=env).returncode == 0
                started = time.perf_counter()
                for step in out["steps"]:
                    subprocess.run(step["argv"], env=env, capture_output=True, timeout=600, check=True)
                bare.append(time.perf_counter() - started)
    med = statistics.median
    print(f"torchdoctor install wall   median {med(walls):.3f} s  (runs: {', '.join(f'{t:.2f}' for t in walls)})")
    print(f"  of which its pip steps   median {med(steps):.3f} s")
    print(f"  doctor's own overhead    median {med(overheads):.3f} s  (target <= 2 s)")
    print(f"the same pip steps by hand median {med(bare):.3f} s")
    print(f"install / bare pip         = {med(walls) / med(bare):.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
