"""Benchmark the two-node run on loopback against one machine's two ranks, in the same run.

(a) The README's `torchrun --nnodes 2` line as two agents on 127.0.0.1 (two "nodes", one
    rank each, c10d rendezvous), wall time until both agents exited.
(b) The doctor's own launch of two nodes: `smoke --distributed --nnodes 2 --node-rank K`.
(c) Baseline: `smoke --distributed --device cpu --nproc 2` (one agent, two ranks, the same
    world size and workloads).

Runs are interleaved and medians reported, so background load hits every side alike.

    python benchmarks/bench_two_nodes.py [--runs 3] [--bindir DIR]

--bindir: a venv's bin directory holding `torchrun` and `torchdoctor` (default: this
interpreter's), e.g. one without numpy.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

DIST_VARS = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT", "TORCHELASTIC_RUN_ID")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def together(argvs: list[list[str]]) -> float:
    """Start every command at once; the wall time until the last one exited (each must exit 0)."""
    env = {k: v for k, v in os.environ.items() if k not in DIST_VARS}
    start = time.perf_counter()
    procs = [subprocess.Popen(a, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
             for a in argvs]
    for proc, argv in zip(procs, argvs):
        _, err = proc.communicate(timeout=300)
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(argv[:6])} ... failed ({proc.returncode}): {err.strip()[-800:]}")
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--bindir", default=str(Path(sys.executable).parent))
    opts = parser.parse_args()
    bindir = Path(opts.bindir)
    torchrun, doctor = str(bindir / "torchrun"), str(bindir / "torchdoctor")

    def readme_agents() -> list[list[str]]:
        agent = [torchrun, "--nnodes", "2", "--nproc-per-node", "1", "--rdzv-backend", "c10d",
                 "--rdzv-endpoint", f"127.0.0.1:{free_port()}", "--rdzv-id", "torchdoctor",
                 "--rdzv-conf", "join_timeout=120", "-m", "torchdoctor", "smoke", "--distributed",
                 "--timeout", "120"]
        return [agent, agent]

    def doctor_nodes() -> list[list[str]]:
        where = f"127.0.0.1:{free_port()}"
        return [[doctor, "smoke", "--distributed", "--nnodes", "2", "--node-rank", str(k), "--rdzv-endpoint",
                 where] for k in (0, 1)]

    def one_machine() -> list[list[str]]:
        return [[doctor, "smoke", "--distributed", "--device", "cpu", "--nproc", "2"]]

    sides = {"README torchrun line, 2 agents": readme_agents, "doctor --nnodes 2, 2 nodes": doctor_nodes,
             "baseline: one machine, --nproc 2": one_machine}
    times: dict[str, list[float]] = {name: [] for name in sides}
    for _ in range(opts.runs):
        for name, argvs in sides.items():
            times[name].append(together(argvs()))
    base = statistics.median(times["baseline: one machine, --nproc 2"])
    print(f"{'':36} median s   ratio to baseline   runs ({bindir})")
    for name, values in times.items():
        med = statistics.median(values)
        print(f"{name:36} {med:7.1f}   {med / base:6.2f}              {', '.join(f'{v:.1f}' for v in values)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
