"""The stack workloads' judge: each library its own id; tolerances; a full /dev/shm named."""

import re
from pathlib import Path

from torchdoctor.verdicts.stack import STACK_IDS, judge

GOOD = {"conv": {"max_rel_err": 7e-7}, "matmul": {"max_rel_err": 3e-7}, "tf32": {"skipped": "no TF32"},
        "bf16": {"max_rel_err": 3.5e-3}, "sdpa": {"max_rel_err": 4e-7}, "autocast": {"finite": True},
        "dataloader": {"max_rel_err": 0.0, "mib": 4.0, "workers": 2}}


def test_a_healthy_stack_passes():
    checks, found = judge("cpu", GOOD)
    assert found == [] and checks["tf32"] == "skipped" and checks["conv"] == "passed"


def test_each_failure_is_its_own_id():
    bad = dict(GOOD, matmul={"max_rel_err": 0.2}, autocast={"finite": False},
               conv={"error": "RuntimeError: cuDNN error: CUDNN_STATUS_NOT_INITIALIZED"})
    checks, found = judge("cuda:0", bad)
    assert [f.id for f in found] == ["smoke.stack_conv", "smoke.stack_matmul", "smoke.stack_autocast"]
    assert "CUDNN_STATUS_NOT_INITIALIZED" in found[0].message and found[0].message.startswith("cuda:0: ")


def test_a_dataloader_bus_error_names_shared_memory():
    bad = dict(GOOD, dataloader={"error": "RuntimeError: DataLoader worker (pid 123) is killed by signal: Bus error."})
    _, found = judge("cpu", bad)
    assert [f.id for f in found] == ["smoke.stack_dataloader"] and "/dev/shm" in found[0].message


def test_the_documented_table_is_the_code():
    text = (Path(__file__).resolve().parents[2] / "docs" / "findings.md").read_text()
    section = text.split("## `smoke` stack workloads", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([\w.]+)` \| ([^|]+) \|$", section, re.M)
    assert [(i, t.strip()) for i, t in rows] == list(STACK_IDS.items())
