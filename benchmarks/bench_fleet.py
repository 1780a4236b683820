"""`fleet report` over 1,000 node lines (target <= 1 s), and its memory.

The lines are the 8 real recorded machines of tests/fixtures/fleet/check-8-nodes.jsonl (check
--json-line --from each), relabelled node0001..node1000 and given a mix of prefixes (plain, pdsh
`host: `, srun `N: `, kubectl `[pod/...] `), with every 50th node silent and every 100th answered by
pdsh's `ssh exited with exit code 255`. Measured as the CLI does it: a subprocess `torchdoctor fleet
report FILE --expect-nodes node[0001-1000] --json` (wall time, interpreter start and imports included),
and in-process (read + build + render, median of --runs) with tracemalloc's peak and the process's
maximum resident size.

    .venv/bin/python benchmarks/bench_fleet.py [--nodes 1000] [--runs 5]
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def lines(nodes: int) -> list[str]:
    real = [json.loads(line) for line in (ROOT / "tests/fixtures/fleet/check-8-nodes.jsonl").read_text().splitlines()]
    out = []
    for i in range(1, nodes + 1):
        name = f"node{i:04d}"
        if i % 100 == 0:
            out.append(f"pdsh@login: {name}: ssh exited with exit code 255")
            continue
        if i % 50 == 0:
            continue  # silent
        doc = dict(real[0 if i % 10 else (i // 10) % len(real)], node=name)
        text = json.dumps(doc, separators=(",", ":"))
        prefix = ("", f"{name}: ", f"{i}: ", f"[pod/td-{i}/doctor] ")[i % 4]
        out.append(prefix + text)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--nodes", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    body = "\n".join(lines(args.nodes)) + "\n"
    expect = f"node[0001-{args.nodes:04d}]"
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as handle:
        handle.write(body)
    print(f"input: {args.nodes} nodes, {len(body.splitlines())} lines, {len(body) / 1e6:.1f} MB")

    walls = []
    for _ in range(args.runs):
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "torchdoctor", "fleet", "report", handle.name, "--expect-nodes",
                               expect, "--json"], capture_output=True, text=True)
        walls.append(time.perf_counter() - start)
    doc = json.loads(proc.stdout)
    child_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"CLI (subprocess, --json): median {statistics.median(walls):.3f} s, max {max(walls):.3f} s; max RSS "
          f"{child_rss:.0f} MB; exit {proc.returncode}; counts {doc['counts']}")

    from torchdoctor.operations.fleet import fleet_report
    from torchdoctor.render.emit import emit
    from torchdoctor.requests.fleet import FleetReportRequest

    request = FleetReportRequest.build(files=[handle.name], expect_nodes=expect)
    times = []
    for run in range(args.runs + 1):
        if run == args.runs:
            tracemalloc.start()
        start = time.perf_counter()
        emit(fleet_report(request), "human", io.StringIO())
        times.append(time.perf_counter() - start)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"in-process read+build+render (human): median {statistics.median(times[1:-1] or times):.3f} s; "
          f"tracemalloc peak {peak / 1e6:.1f} MB; max RSS {rss:.0f} MB")
    Path(handle.name).unlink()


if __name__ == "__main__":
    main()
