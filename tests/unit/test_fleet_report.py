"""`fleet report` over real recorded machines: groups, outliers, missing, smoke medians, busbw floors, goldens."""

import copy
import json
import os
from pathlib import Path

import pytest

from torchdoctor.operations.fleet import build, fleet_report
from torchdoctor.recorded.fleet_lines import read_lines
from torchdoctor.render.emit import emit, markdown_of
from torchdoctor.requests.fleet import FleetReportRequest, UserFloor, parse_size
from torchdoctor.errors import UsageError

FLEET = Path(__file__).resolve().parents[1] / "fixtures" / "fleet"
LINES = (FLEET / "check-8-nodes.jsonl").read_text(encoding="utf-8").splitlines()
SMOKE = json.loads((FLEET / "smoke-cpu01.jsonl").read_text(encoding="utf-8"))
DIST = json.loads((FLEET / "distributed-cpu01.jsonl").read_text(encoding="utf-8"))


def report(lines, **kw):
    return fleet_report(FleetReportRequest.build(**kw), read_lines(lines, "fleet.txt"))


def test_groups_and_outliers_from_real_machines():
    doc = report(LINES, expect_nodes="node[01-08]").to_dict()
    assert [(g["id"], g["count"], g["nodes"]) for g in doc["groups"]] == [
        ("A", 5, "node[01-05]"), ("B", 1, "node06"), ("C", 1, "node07"), ("D", 1, "node08")]
    a = doc["groups"][0]
    assert (a["torch"], a["driver"], a["gpus"], a["python"], a["findings"]) == (
        "2.11.0+cu130", "580.159.04", "1x NVIDIA H200 (9.0)", "3.12.3", "ok")
    diffs = {o["node"]: {d["field"]: d["value"] for d in o["differs"]} for o in doc["outliers"]}
    assert diffs["node06"] == {"findings": "cuda.init_failed"}
    assert diffs["node07"]["driver"] == "460.32.03" and "cuda.driver_too_old" in diffs["node07"]["findings"]
    assert diffs["node08"]["torch"] == "1.3.1" and "torch.cpu_build_with_gpu" in diffs["node08"]["findings"]
    assert doc["counts"] == {"reported": 8, "passed": 6, "failed": 2, "missing": 0, "unreachable": 0,
                             "outliers": 3, "groups": 4}
    assert not doc["ok"]


def test_exit_zero_only_when_every_expected_node_passes():
    assert report(LINES[:5], expect_nodes="node[01-05]").exit_code == 0
    assert report(LINES[:5], expect=5).exit_code == 0
    missing = report(LINES[:5], expect_nodes="node[01-06]")
    assert missing.exit_code == 1 and missing.to_dict()["missing"] == ["node06"]
    assert report(LINES[:5], expect=6).to_dict()["counts"]["missing"] == 1
    assert report([], expect=1).exit_code == 1
    assert report(["nothing here"]).exit_code == 1


def test_unreachable_nodes_from_the_engine():
    lines = LINES[:3] + ["pdsh@login: node04: ssh exited with exit code 255",
                         "srun: error: node05: task 4: Exited with exit code 1"]
    doc = report(lines, expect_nodes="node[01-06]").to_dict()
    assert [u["node"] for u in doc["unreachable"]] == ["node04", "node05"]
    assert doc["unreachable"][0]["problems"] == ["no report (the engine: exit 255)"]
    assert doc["missing"] == ["node06"] and not doc["ok"]


def _smoke(node, rate, ok=True):
    s = copy.deepcopy(SMOKE)
    s["node"] = node
    s["devices"][0]["throughput"]["steps_per_s"] = rate
    s["devices"][0]["ok"] = ok
    return json.dumps(s)


def test_smoke_against_the_group_median():
    lines = LINES[:4] + [_smoke("node01", 100.0), _smoke("node02", 96.0), _smoke("node03", 104.0),
                         _smoke("node04", 50.0)]
    doc = report(lines, expect=4).to_dict()
    rows = {r["node"]: r for r in doc["smoke"]}
    assert rows["node04"]["slow"] and rows["node04"]["median"] == 98.0
    assert not rows["node01"]["slow"]
    assert [n["status"] for n in doc["nodes"]] == ["passed", "passed", "passed", "failed"]
    assert "slow, 0.51x" in doc["nodes"][3]["problems"][0]


def _dist(node, rows, names=("NVIDIA H200",), world=8):
    d = copy.deepcopy(DIST)
    d.update(node=node, world_size=world, device="cuda", backend="nccl")
    d["ranks"] = [dict(d["ranks"][0], rank=i, device_name=names[i % len(names)]) for i in range(world)]
    d["bandwidth"] = [{"bytes": b, "seconds": 0.1, "algbw_gbps": bw * world / (2 * (world - 1)), "busbw_gbps": bw,
                       "ranks": world} for b, bw in rows]
    return json.dumps(d)


def test_busbw_floor_applies_only_at_its_message_size():
    small = _dist("h1", [(1 << 20, 40.0), (256 << 20, 380.0)])
    doc = report([small]).to_dict()
    floor = doc["busbw"][0]["floor"]
    assert floor["name"] == "8xH200" and floor["compared"] is False and floor["ok"] is None
    assert "256 MiB" in floor["why"] and "16 GiB" in floor["why"] and doc["ok"]

    slow = _dist("h2", [(256 << 20, 380.0), (16 << 30, 400.0)])
    fast = _dist("h3", [(256 << 20, 380.0), (16 << 30, 440.0)])
    doc = report([slow, fast]).to_dict()
    assert [r["floor"]["ok"] for r in doc["busbw"]] == [False, True]
    assert doc["nodes"][0]["status"] == "failed" and "400 GB/s < floor 431" in doc["nodes"][0]["problems"][0]


def test_no_floor_for_gpus_the_table_does_not_name():
    doc = report([_dist("h1", [(16 << 30, 10.0)], names=("NVIDIA H100 PCIe",))]).to_dict()
    assert doc["busbw"][0]["floor"] is None and doc["ok"]  # unknown beats a guess
    doc = report([_dist("h1", [(16 << 30, 10.0)], names=("NVIDIA H100 PCIe",))],
                 floors=["8xH100=50@1G"]).to_dict()
    assert doc["busbw"][0]["floor"]["ok"] is False and not doc["ok"]


def test_floor_and_size_parsing():
    assert parse_size("16G", "x") == 16 << 30 and parse_size("256MiB", "x") == 256 << 20 and parse_size("7", "x") == 7
    f = UserFloor.parse("8xH100=460@16G")
    assert (f.gpus, f.model, f.busbw_gbps, f.min_bytes) == (8, "H100", 460.0, 16 << 30)
    assert UserFloor.parse("200").gpus is None
    for bad in ("fast", "8xH100=", "460@lots"):
        with pytest.raises(UsageError):
            UserFloor.parse(bad)
    with pytest.raises(UsageError):
        FleetReportRequest.build(expect=3, expect_nodes="n[1-3]")


GOLDEN = FLEET / "golden"


@pytest.mark.parametrize("fmt", ["human", "markdown"])
def test_golden_table(fmt):
    lines = LINES + ["pdsh@login: node09: ssh exited with exit code 255"]
    rep = report(lines, expect_nodes="node[01-10]")
    if fmt == "human":
        import io

        buf = io.StringIO()
        emit(rep, "human", buf)
        text = buf.getvalue()
    else:
        text = markdown_of(rep)
    path = GOLDEN / f"report-8-nodes.{'txt' if fmt == 'human' else 'md'}"
    if os.environ.get("TORCHDOCTOR_REGOLD"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def test_document_is_strict_json_and_sanitised():
    evil = json.loads(LINES[0])
    evil["node"] = "n1"
    evil["facts"]["nvidia"]["driver"] = "580\x1b[31m"
    doc = report([json.dumps(evil)]).to_dict()
    assert "\x1b" not in json.dumps(doc) and doc["schema"] == 1
    assert build(FleetReportRequest(), read_lines([], "-"))["notes"] == ["no torchdoctor report in the input"]


def test_the_issue_outliers_on_an_8_gpu_fleet():
    """The real H200 report made an 8-GPU node, then the three outliers the issue names: a driver one minor
    behind, 7 GPUs where the group has 8, and a +cpu torch among +cu130."""
    base = json.loads(LINES[0])
    base["facts"]["gpus"] = base["facts"]["gpus"] * 8

    def node(name, change=None):
        d = copy.deepcopy(base)
        d["node"] = name
        if change:
            change(d)
        return json.dumps(d)

    lines = [node(f"gpu{i:02d}") for i in range(1, 6)] + [
        node("gpu06", lambda d: d["facts"]["nvidia"].update(driver="580.126.09")),
        node("gpu07", lambda d: d["facts"].update(gpus=d["facts"]["gpus"][:7])),
        node("gpu08", lambda d: d["facts"]["runtime"].update(version="2.11.0+cpu")),
    ]
    doc = report(lines, expect_nodes="gpu[01-08]").to_dict()
    assert doc["groups"][0]["gpus"] == "8x NVIDIA H200 (9.0)" and doc["groups"][0]["count"] == 5
    diffs = {o["node"]: [(d["field"], d["value"], d["majority"]) for d in o["differs"]] for o in doc["outliers"]}
    assert diffs == {"gpu06": [("driver", "580.126.09", "580.159.04")],
                     "gpu07": [("gpus", "7x NVIDIA H200 (9.0)", "8x NVIDIA H200 (9.0)")],
                     "gpu08": [("torch", "2.11.0+cpu", "2.11.0+cu130")]}
    assert doc["ok"]  # differences alone fail nothing: the nodes' own checks passed (these are facts, not re-judged)
