"""Real runs: 2 CPU ranks with gloo on loopback, a crashing rank, a dead rendezvous endpoint.

Each test starts the real CLI in a subprocess, which starts torch's launcher and real ranks
(real all-reduce, real DDP training). Only 127.0.0.1 and free ports are used.
"""

import importlib.util
import json
import os
import socket
import subprocess
import sys

import pytest

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="needs torch installed"),
    pytest.mark.skipif(sys.platform == "win32",
                       reason="torch.distributed.run on Windows is not exercised here (gloo only, no fork)"),
]

DIST_VARS = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT", "GROUP_RANK",
             "TORCHELASTIC_RUN_ID", "TORCHDOCTOR_TEST_CRASH_RANK", "TORCHDOCTOR_DIST_GATHER")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again: nothing listens there


def _doctor(*args, env=None, limit=150):
    full_env = {k: v for k, v in os.environ.items() if k not in DIST_VARS}
    full_env.update(env or {})
    proc = subprocess.run([sys.executable, "-m", "torchdoctor", "smoke", "--distributed", *args],
                          capture_output=True, text=True, env=full_env, timeout=limit)
    return proc


def _report(proc):
    try:
        return json.loads(proc.stdout)
    except ValueError:
        pytest.fail(f"stdout is not JSON (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}")


def test_two_gloo_ranks_train_bit_identically():
    proc = _doctor("--device", "cpu", "--json", "--timeout", "120", "--epochs", "50")
    report = _report(proc)
    assert proc.returncode == 0, proc.stderr
    assert report["ok"] is True and report["schema"] == 1
    assert report["world_size"] == 2 and report["backend"] == "gloo" and report["backend_version"] is None
    ranks = report["ranks"]
    assert [r["rank"] for r in ranks] == [0, 1] and all(r["status"] == "passed" for r in ranks)
    assert all(r["allreduce"]["got"] == 3.0 and r["allreduce"]["exact"] for r in ranks)
    for workload in ("classic", "two_layer"):
        hashes = {r[workload]["hash"] for r in ranks}
        assert len(hashes) == 1, f"{workload}: ranks ended with different weights"
        assert all(r[workload]["rel_error"] <= r[workload]["tolerance"] for r in ranks)
    assert abs(ranks[0]["classic"]["w"] - 2.0) < 1e-3  # 50 epochs of the classic loop converge
    assert len(report["bandwidth"]) == 3
    for row in report["bandwidth"]:
        assert row["busbw_gbps"] == pytest.approx(row["algbw_gbps"], rel=1e-3)  # 2(n-1)/n = 1 for n = 2
    assert "starting 2 gloo rank(s) on cpu" in proc.stderr
    assert [report[k] for k in ("nnodes", "node_rank", "rdzv_endpoint", "join_timeout", "endpoint")] == [None] * 5


def test_a_crashing_rank_does_not_hang_the_others():
    proc = _doctor("--device", "cpu", "--json", "--timeout", "90", env={"TORCHDOCTOR_TEST_CRASH_RANK": "1"})
    report = _report(proc)
    assert proc.returncode == 1
    assert not report["ok"]
    statuses = {r["rank"]: r["status"] for r in report["ranks"]}
    assert statuses[1] == "crashed"
    assert statuses[0] in ("stopped", "error")  # torchrun stopped it, or it saw its peer vanish first
    ids = [f["id"] for f in report["findings"]]
    assert ids[0] == "distributed.rank_crashed" and "distributed.timeout" not in ids
    assert "rank 1 exited with status 3" in report["findings"][0]["message"]


def test_dead_rendezvous_endpoint_fails_fast_and_clearly():
    port = _free_port()
    env = {"RANK": "1", "WORLD_SIZE": "2", "LOCAL_RANK": "1", "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port)}
    proc = _doctor("--device", "cpu", "--timeout", "20", env=env, limit=60)
    assert proc.returncode == 1
    assert "FAILED" in proc.stdout and "never formed" in proc.stdout
    assert f"127.0.0.1:{port}" in proc.stdout and "distributed.rendezvous_failed" in proc.stdout
    assert "frame #" not in proc.stdout + proc.stderr and "Traceback" not in proc.stderr


def test_rank_zero_alone_reports_that_the_group_never_formed():
    env = {"RANK": "0", "WORLD_SIZE": "2", "LOCAL_RANK": "0", "MASTER_ADDR": "127.0.0.1",
           "MASTER_PORT": str(_free_port())}
    proc = _doctor("--device", "cpu", "--json", "--timeout", "20", env=env, limit=60)
    report = _report(proc)
    assert proc.returncode == 1 and report["mode"] == "join"
    assert [f["id"] for f in report["findings"]] == ["distributed.rendezvous_failed"]
    me = report["ranks"][0]
    assert me["status"] == "error" and me["error"]["stage"] == "rendezvous"
    assert report["ranks"][1]["status"] == "unknown"


def test_cuda_without_a_usable_gpu_is_one_line_and_exit_1():
    proc = _doctor("--device", "cuda", "--timeout", "60")
    if proc.returncode == 0:
        pytest.skip("this machine has a usable GPU")
    assert proc.returncode == 1
    errors = [line for line in proc.stderr.splitlines() if line.startswith("torchdoctor: error:")]
    assert len(errors) == 1 and "Traceback" not in proc.stderr
    assert "CPU-only build" in errors[0] or "CUDA is not available" in errors[0]


def test_joins_a_group_that_torchrun_set_up():
    """The documented multi-node command, on one node: rank 0 prints the whole group's report."""
    port = _free_port()
    full_env = {k: v for k, v in os.environ.items() if k not in DIST_VARS}
    proc = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--nnodes", "1", "--nproc-per-node", "2",
         "--rdzv-backend", "c10d", "--rdzv-endpoint", f"127.0.0.1:{port}", "--max-restarts", "0",
         "-m", "torchdoctor", "smoke", "--distributed", "--device", "cpu", "--json", "--epochs", "20"],
        capture_output=True, text=True, env=full_env, timeout=150)
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = _report(proc)  # only rank 0 wrote to stdout
    assert report["ok"] and report["mode"] == "join" and report["world_size"] == 2
    assert [r["status"] for r in report["ranks"]] == ["passed", "passed"]  # rank 1's result was gathered
    assert "rank 1 of 2: passed; group passed" in proc.stderr
