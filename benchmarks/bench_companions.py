"""What companions cost `check`, and `preview`'s own overhead beyond pip's dry run.

check: the real torch of this interpreter; 0, 1 and 3 fake compiled companions (dist-info + a module that
imports torch, as the real ones do) on PYTHONPATH; `torchdoctor check --python THIS` wall time (median of
--runs) against a bare `python -c "import torch"`. The extra per companion is the slope.
preview: `torchdoctor preview --json -- pip install numpy` (already installed: pip resolves, installs nothing)
against the same bare `pip install numpy --dry-run --report - --quiet`, both on this machine's pip config.

    .venv/bin/python benchmarks/bench_companions.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

NAMES = (("xformers", "xformers/ops.py"), ("flash_attn", "flash_attn_2_cuda.py"), ("torch_scatter", "torch_scatter.py"))


def timed(argv, env=None, runs=5):
    out = []
    for _ in range(runs):
        t = time.monotonic()
        subprocess.run(argv, env=env, capture_output=True, timeout=600)
        out.append(time.monotonic() - t)
    return statistics.median(out)


def companions_dir(root: Path, n: int) -> Path:
    d = root / f"c{n}"
    d.mkdir()
    for name, module in NAMES[:n]:
        info = d / f"{name}-1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\nRequires-Dist: torch\n")
        (info / "INSTALLER").write_text("pip\n")
        path = d / module
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.parent != d:
            (path.parent / "__init__.py").write_text("")
        path.write_text("import torch  # noqa: F401\n")
    return d


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    py = sys.executable
    doctor = [py, "-m", "torchdoctor"]
    bare = timed([py, "-c", "import torch"], runs=args.runs)
    print(f"bare `import torch`: {bare:.2f} s")
    with tempfile.TemporaryDirectory() as tmp:
        dirs = {n: companions_dir(Path(tmp), n) for n in (0, 1, 3)}
        for how, extra in (("check", ()), ("check --python", ("--python", py))):
            results = {}
            for n in (0, 1, 3):
                env = dict(os.environ, PYTHONPATH=str(dirs[n]))
                results[n] = timed([*doctor, "check", *extra], env=env, runs=args.runs)
                print(f"{how}, {n} companion(s): {results[n]:.2f} s ({results[n] / bare:.2f}x bare import)")
            print(f"  {how}: +{results[1] - results[0]:.2f} s for the first companion, "
                  f"+{(results[3] - results[1]) / 2:.2f} s for each further one ({os.cpu_count()} CPUs)")
    pip = timed([py, "-m", "pip", "install", "numpy", "--dry-run", "--report", "-", "--quiet"], runs=args.runs)
    over = []
    for _ in range(args.runs):
        t = time.monotonic()
        res = subprocess.run([*doctor, "preview", "--json", "--", "pip", "install", "numpy"], capture_output=True,
                             text=True, timeout=600)
        wall = time.monotonic() - t
        over.append(wall - json.loads(res.stdout)["seconds"]["dry_run"])
    print(f"pip's dry run alone: {pip:.2f} s; preview's overhead beyond its dry run: {statistics.median(over):.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
