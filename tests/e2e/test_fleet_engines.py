"""`fleet run` through fake srun, pdsh and ssh that behave as the real ones (prefixes, exit codes, a node
exiting 255, one printing nothing, one hanging past the timeout), every node a real local
`torchdoctor check --from <recorded machine>`: groups and outliers come from real data."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers.fake_engines import environ, install

ROOT = Path(__file__).resolve().parents[2]
REPORTS = ROOT / "tests" / "fixtures" / "reports"
PROGRAM = str(Path(sys.executable).parent / "torchdoctor")
H200 = str(REPORTS / "h200-torch2.11-cu130.txt")
FLEET = {
    "n1": {"from": H200, "do": "ok"},
    "n2": {"from": H200, "do": "ok"},
    "n3": {"from": H200, "do": "ok"},
    "n4": {"from": str(REPORTS / "espnet5629-a100-driver460-cu121.txt"), "do": "ok"},
    "n5": {"from": H200, "do": "exit255"},
    "n6": {"from": H200, "do": "silent"},
    "n7": {"from": H200, "do": "hang"},
}

pytestmark = pytest.mark.slow


def fleet_run(tmp_path, via, nodes="n[1-7]", timeout=8, extra=()):
    env = environ(install(tmp_path / "bin"), FLEET, ROOT, seconds_per_minute=timeout / 10)
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "torchdoctor", "fleet", "run", "--via", via, "--nodes", nodes,
                           "--timeout", str(timeout), "--program", PROGRAM, "--json", *extra, "--", "check"],
                          env=env, capture_output=True, text=True, timeout=120)
    return proc, json.loads(proc.stdout) if proc.stdout.strip() else None, time.monotonic() - start


@pytest.mark.parametrize("via", ["srun", "pdsh", "ssh"])
def test_every_engine(tmp_path, via):
    proc, doc, seconds = fleet_run(tmp_path, via)
    assert proc.returncode == 1, proc.stderr
    assert f"torchdoctor: running: {via} " in proc.stderr
    nodes = {n["node"]: n for n in doc["nodes"]}
    assert [(g["count"], g["nodes"]) for g in doc["groups"][:2]] == [(3, "n[1-3]"), (1, "n4")]
    assert doc["outliers"][0]["node"] == "n4"
    assert {d["field"] for d in doc["outliers"][0]["differs"]} >= {"driver", "torch"}
    assert nodes["n4"]["status"] == "failed" and "cuda.driver_too_old" in nodes["n4"]["problems"][0]
    assert nodes["n5"]["status"] == "unreachable" and "255" in nodes["n5"]["problems"][0]
    assert "n6" in doc["missing"]  # printed nothing and exited 0: expected, silent
    assert nodes["n7"]["status"] == "unreachable" if "n7" in nodes else "n7" in doc["missing"]
    assert doc["counts"]["passed"] == 3 and doc["run"]["via"] == via
    assert seconds < 60  # the hung node was cut at its timeout


def test_a_healthy_fleet_exits_0(tmp_path):
    proc, doc, _ = fleet_run(tmp_path, "pdsh", nodes="n[1-3]")
    assert proc.returncode == 0, proc.stderr
    assert doc["ok"] and doc["counts"]["passed"] == 3 and not doc["outliers"]


def test_srun_label_output_piped_into_fleet_report(tmp_path):
    env = environ(install(tmp_path / "bin"), FLEET, ROOT)
    srun = subprocess.run(["srun", "--nodes=4", "--ntasks-per-node=1", "--label", PROGRAM, "check", "--json-line",
                           "--node-label", "auto"], env=env, capture_output=True, text=True, timeout=120)
    assert srun.stdout.startswith(("0: {", "1: {", "2: {", "3: {"))
    report = subprocess.run([sys.executable, "-m", "torchdoctor", "fleet", "report", "-", "--expect-nodes", "n[1-4]"],
                            input=srun.stdout + srun.stderr, env=env, capture_output=True, text=True, timeout=60)
    assert report.returncode == 1 and "n[1-3]" in report.stdout and "n4 (group B)" in report.stdout
