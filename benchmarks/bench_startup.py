"""Startup time of `torchdoctor suggest` and `torchdoctor --help`, against baselines measured in the
same run (`python -c pass`, `python -c "import typer, rich"`), plus a check that suggest never imports
torch. Run: python benchmarks/bench_startup.py [--reps N]. Prints medians and ratios; exits 1 if
suggest imported torch. Target on the dev box: each command within 0.3 s.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time

PY = sys.executable
# Another interpreter than ours (the base of our venv, or a symlink-free path to ours): suggest asks it
# for its Python version in a child, as for a tool install examining the user's env.
OTHER = os.path.realpath(sys.executable)
CASES = {
    "python -c pass": [PY, "-c", "pass"],
    "python -c 'import typer, rich'": [PY, "-c", "import typer, rich"],
    "torchdoctor --help": [PY, "-m", "torchdoctor", "--help"],
    "torchdoctor suggest": [PY, "-m", "torchdoctor", "suggest"],
    "torchdoctor suggest --json (described)": [PY, "-m", "torchdoctor", "suggest", "--json", "--os", "linux",
                                               "--driver", "535.104.05", "--gpu", "8.6"],
    "torchdoctor suggest --python OTHER (child)": [PY, "-m", "torchdoctor", "suggest", "--python", OTHER],
    # a printed GPU name: loads and searches the GPU name table (knowledge/gpu_names.json)
    "torchdoctor suggest --json (--gpu name)": [PY, "-m", "torchdoctor", "suggest", "--json", "--os", "linux",
                                                "--driver", "535.104.05", "--gpu",
                                                "GA106M [GeForce RTX 3060 Mobile / Max-Q]"],
}
# Runs suggest in-process and reports whether torch ended up in sys.modules.
NO_TORCH = (
    "import sys, io, contextlib\n"
    "from torchdoctor.cli import main\n"
    "buf = io.StringIO()\n"
    "with contextlib.redirect_stdout(buf):\n"
    "    try:\n"
    "        main(['suggest', '--json'])\n"
    "    except SystemExit:\n"
    "        pass\n"
    "print('TORCH_IMPORTED' if 'torch' in sys.modules else 'NO_TORCH')\n"
)


def _own_env() -> dict[str, str]:
    """Plain `suggest` examines the active env (torchdoctor.target): make that ours, so it needs no child."""
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "CONDA_PREFIX")}
    if sys.prefix != getattr(sys, "base_prefix", sys.prefix):
        env["VIRTUAL_ENV"] = sys.prefix
    else:
        env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    return env


ENV = _own_env()


def time_once(argv: list[str]) -> float:
    return run_once(argv)[0]


def run_once(argv: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the child). CPU time is the steadier number where the machine hands out
    time in slices (wall medians here move in steps of ~50 ms under a CPU quota)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60, check=False, env=ENV)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=15)
    args = ap.parse_args()
    for argv in CASES.values():  # warm the file cache
        time_once(argv)
    samples: dict[str, list[float]] = {name: [] for name in CASES}
    cpu: dict[str, list[float]] = {name: [] for name in CASES}
    for _ in range(args.reps):  # interleaved, so drift hits every case alike
        for name, argv in CASES.items():
            wall, used = run_once(argv)
            samples[name].append(wall)
            cpu[name].append(used)
    med = {name: statistics.median(v) for name, v in samples.items()}
    med_cpu = {name: statistics.median(v) for name, v in cpu.items()}
    base, base_ui = med["python -c pass"], med["python -c 'import typer, rich'"]
    cpu_ui = med_cpu["python -c 'import typer, rich'"]
    print(f"{'command':42} {'median s':>9} {'x pass':>7} {'x typer+rich':>13} {'cpu s':>7} {'cpu x t+r':>10}")
    for name, value in med.items():
        print(f"{name:42} {value:9.3f} {value / base:7.2f} {value / base_ui:13.2f} {med_cpu[name]:7.3f} "
              f"{med_cpu[name] / cpu_ui:10.2f}")
    probe = subprocess.run([PY, "-c", NO_TORCH], capture_output=True, text=True, timeout=60, env=ENV)
    verdict = probe.stdout.strip().splitlines()[-1] if probe.stdout.strip() else "NO_OUTPUT"
    # (typer 0.29+ would add ~0.1-0.2 s here: it imports pydantic; pyproject pins typer<0.29.)
    print(f"suggest beyond typer+rich: {med['torchdoctor suggest'] - base_ui:.3f} s")
    print(f"suggest imports torch: {'YES' if verdict == 'TORCH_IMPORTED' else 'no'} ({verdict})")
    over = [n for n in ("torchdoctor --help", "torchdoctor suggest") if med[n] > 0.3]
    print("within 0.3 s: " + ("yes" if not over else "NO: " + ", ".join(over)))
    return 1 if verdict != "NO_TORCH" else 0


if __name__ == "__main__":
    sys.exit(main())
