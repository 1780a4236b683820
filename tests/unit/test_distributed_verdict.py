"""Pure tests: launcher logs in, per-rank results in, verdict out (no torch, no processes)."""

import copy
import json

import pytest

from conftest import FIXTURES, h200
from torchdoctor.distributed import logs
from torchdoctor.verdicts.distributed import Outcome, bandwidth, bus_bandwidth, judge
from torchdoctor.render.distributed import render_human, summary_line


def _passed_rank(rank, world=2, w=2.000000000000076, seconds=(0.001, 0.004)):
    return {
        "rank": rank, "stage": "done", "finished": True, "error": None, "local_rank": rank, "node_rank": 0,
        "world_size": world, "torch": "2.13.0+cpu", "device": "cpu", "backend": "gloo", "device_name": None,
        "backend_version": None,
        "timings": {"import": 1.5, "rendezvous": 0.2, "first_collective": 0.01, "total": 4.0},
        "allreduce": {"expected": world * (world + 1) / 2, "got": world * (world + 1) / 2, "exact": True,
                      "wrong_elements": 0, "elements": 1024},
        "classic": {"w": w, "reference_w": 2.0000000000000764, "rel_error": 2.2e-16, "tolerance": 1e-9,
                    "dtype": "float64", "hash": "11380f0ddff313ce", "identical": True},
        "two_layer": {"rel_error": 2.0e-16, "tolerance": 1e-9, "dtype": "float64", "hash": "69f98173a0f79e7f",
                      "identical": True},
        "bandwidth": [{"bytes": 1 << 20, "iters": 10, "seconds": seconds[0]},
                      {"bytes": 16 << 20, "iters": 3, "seconds": seconds[1]}],
    }


def _outcome(**kw):
    base = dict(mode="launch", world_size=2, device="cpu", backend="gloo", timeout=120.0, seconds=8.0, returncode=0)
    base.update(kw)
    return Outcome(**base)


def _ids(report):
    return [f["id"] for f in report["findings"]]


def test_two_healthy_ranks_pass_and_the_report_is_json():
    report = judge(_outcome(), {0: _passed_rank(0), 1: _passed_rank(1, seconds=(0.002, 0.008))})
    assert report["ok"] is True and report["world_size"] == 2 and report["schema"] == 1
    assert [r["status"] for r in report["ranks"]] == ["passed", "passed"]
    assert report["backend"] == "gloo" and report["backend_version"] is None
    assert "gloo" in report["backend_version_note"]
    assert report["findings"] == []
    json.loads(json.dumps(report))
    # the slowest rank defines each size's time
    assert [row["seconds"] for row in report["bandwidth"]] == [0.002, 0.008]


def test_bus_bandwidth_follows_nccl_tests():
    assert bus_bandwidth(10.0, 8) == pytest.approx(17.5)
    assert bus_bandwidth(10.0, 2) == pytest.approx(10.0)
    assert bus_bandwidth(10.0, 1) == 0.0  # one rank: nothing crosses a link
    rows = bandwidth([{"status": "passed", "bandwidth": [{"bytes": 10**9, "seconds": 0.5}]}] * 4, 4)
    assert rows[0]["algbw_gbps"] == pytest.approx(2.0) and rows[0]["busbw_gbps"] == pytest.approx(3.0)


def test_wrong_allreduce_fails_the_rank():
    bad = _passed_rank(1)
    bad["allreduce"].update(got=2.0, exact=False, wrong_elements=1024)
    report = judge(_outcome(), {0: _passed_rank(0), 1: bad})
    assert report["ok"] is False
    assert report["ranks"][1]["status"] == "failed"
    assert "distributed.allreduce_wrong" in _ids(report)
    assert "exactly 3.0" in report["findings"][0]["message"]


def test_diverged_weights_and_reference_mismatch_are_separate_findings():
    bad = _passed_rank(0)
    bad["two_layer"]["identical"] = False
    bad["classic"].update(rel_error=3e-3)
    report = judge(_outcome(), {0: bad, 1: _passed_rank(1)})
    assert not report["ok"]
    assert {"distributed.weights_diverged", "distributed.reference_mismatch"} <= set(_ids(report))
    assert report["ranks"][0]["status"] == "failed" and report["ranks"][1]["status"] == "passed"


def test_nan_error_is_not_within_tolerance():
    bad = _passed_rank(1)
    bad["classic"]["rel_error"] = float("nan")
    assert not judge(_outcome(), {0: _passed_rank(0), 1: bad})["ok"]


def test_real_crash_with_sigterm_teardown():
    text = (FIXTURES / "distributed" / "torchrun-crash-sigterm.txt").read_text(encoding="utf-8")
    log = logs.parse(text)
    assert {(e.rank, e.exitcode, e.root_cause) for e in log.exits} == {(0, -15, False), (1, 3, True)}
    rank0 = {"rank": 0, "stage": "allreduce", "finished": False, "error": None, "world_size": 2}
    rank1 = {"rank": 1, "stage": "crash-hook", "finished": False, "error": None, "world_size": 2}
    report = judge(_outcome(returncode=1, log=log), {0: rank0, 1: rank1})
    assert not report["ok"]
    statuses = {r["rank"]: r["status"] for r in report["ranks"]}
    assert statuses == {0: "stopped", 1: "crashed"}
    crash = report["findings"][0]
    assert crash["id"] == "distributed.rank_crashed" and "rank 1 exited with status 3" in crash["message"]
    assert "crash-hook" in crash["message"]


def test_real_crash_where_the_survivor_saw_the_broken_pair():
    text = (FIXTURES / "distributed" / "torchrun-crash-rank1.txt").read_text(encoding="utf-8")
    results = {r: json.loads((FIXTURES / "distributed" / f"crash-rank-0000{r}.json").read_text(encoding="utf-8"))
               for r in (0, 1)}
    report = judge(_outcome(returncode=1, log=logs.parse(text)), results)
    assert not report["ok"]
    assert [r["status"] for r in report["ranks"]] == ["error", "crashed"]
    # the root cause comes first; the survivor's error follows, without torch's source path
    assert _ids(report)[:2] == ["distributed.rank_crashed", "distributed.rank_error"]
    assert "pair.cc" not in report["findings"][1]["message"]
    assert "Connection reset by peer" in report["findings"][1]["message"]


def test_missing_rank_is_reported():
    report = judge(_outcome(returncode=1), {0: _passed_rank(0)})
    assert not report["ok"]
    assert report["ranks"][1]["status"] == "missing"
    assert "distributed.rank_missing" in _ids(report)


def test_timeout_names_the_stage_each_rank_reached():
    stuck = {"rank": 1, "stage": "ddp_two_layer", "finished": False, "error": None}
    report = judge(_outcome(returncode=None, timed_out=True, seconds=30.0, timeout=30.0),
                   {0: _passed_rank(0), 1: stuck})
    assert not report["ok"]
    timeout = next(f for f in report["findings"] if f["id"] == "distributed.timeout")
    assert "rank 1: ddp_two_layer" in timeout["message"] and "30 s" in timeout["message"]


def test_a_launcher_that_lingers_after_every_rank_passed_is_a_warning_not_a_failed_group():
    # Seen on two loopback nodes of a loaded machine: both ranks done, torchrun's agent still at its exit barrier.
    report = judge(_outcome(returncode=None, timed_out=True, seconds=117.0, timeout=117.0),
                   {0: _passed_rank(0), 1: _passed_rank(1)})
    assert report["ok"]
    assert _ids(report) == ["distributed.launcher_lingered"]
    assert report["findings"][0]["severity"] == "warning" and "117 s" in report["findings"][0]["message"]


def test_rank_watchdog_timeout_is_its_own_status():
    stuck = {"rank": 1, "stage": "allreduce", "finished": False,
             "error": {"stage": "allreduce", "type": "Timeout", "message": "rank stopped: still in stage 'allreduce'"}}
    report = judge(_outcome(returncode=1), {0: _passed_rank(0), 1: stuck})
    assert report["ranks"][1]["status"] == "timeout"
    assert "distributed.rank_timeout" in _ids(report)


def test_dead_rendezvous_from_the_h200_capture():
    log = logs.parse(h200("dead-rendezvous.txt"))
    assert log.rendezvous_errors, "the c10d error lines must be found"
    assert not any("frame #" in line for line in log.rendezvous_errors + log.tail)
    assert log.rendezvous_errors[0].startswith("[c10d] The client socket has timed out")
    error = {"stage": "rendezvous", "type": "DistNetworkError",
             "message": "The client socket has timed out after 20000ms while trying to connect to (127.0.0.1, 29599)."}
    report = judge(_outcome(mode="join", returncode=1, log=log, partial_view=True),
                   {1: {"rank": 1, "stage": "rendezvous", "finished": False, "error": error}})
    assert not report["ok"]
    assert _ids(report) == ["distributed.rendezvous_failed"]  # one group finding, not one per rank
    assert "127.0.0.1, 29599" in report["findings"][0]["message"]
    assert "firewall" in report["findings"][0]["fix"]["summary"]
    assert [r["status"] for r in report["ranks"]] == ["unknown", "error"]


def test_our_own_endpoint_check_is_the_rendezvous_finding():
    report = judge(_outcome(mode="join", rendezvous_error="nothing answered at 127.0.0.1:1 within 5 s",
                            partial_view=True), {})
    assert not report["ok"] and _ids(report) == ["distributed.rendezvous_failed"]
    assert "127.0.0.1:1" in report["findings"][0]["message"]


def test_launcher_that_never_started():
    report = judge(_outcome(returncode=None, start_error="python: not found"), {})
    assert not report["ok"] and _ids(report)[0] == "distributed.launch_failed"


def test_nccl_warnings_warn_when_passing_and_explain_a_failure():
    line = ("h200:1234:1240 [0] NCCL WARN NET/Socket : no usable interface found")
    log = logs.parse(line + "\n" + line)
    assert log.nccl_warnings == ("NET/Socket : no usable interface found",)
    ok = judge(_outcome(log=log), {0: _passed_rank(0), 1: _passed_rank(1)})
    assert ok["ok"] and _ids(ok) == ["distributed.nccl_warning"]
    failed = judge(_outcome(log=log, returncode=1), {0: _passed_rank(0)})
    assert "distributed.nccl_error" in _ids(failed) and not failed["ok"]


def test_world_size_mismatch():
    report = judge(_outcome(world_size=2), {0: _passed_rank(0, world=3), 1: _passed_rank(1, world=3)})
    assert "distributed.world_size_mismatch" in _ids(report) and not report["ok"]


def test_human_render_shows_ranks_bandwidth_and_findings(tmp_path):
    import io

    report = judge(_outcome(), {0: _passed_rank(0), 1: _passed_rank(1)})
    out = io.StringIO()
    render_human(report, file=out)
    text = out.getvalue()
    assert text.startswith("PASSED: 2/2 ranks passed")
    assert "16 MiB" in text and "exact" in text
    failing = copy.deepcopy(report)
    failing["ok"] = False
    assert summary_line(failing).startswith("FAILED")


def test_nccl_version_as_torch_reports_it():
    from types import SimpleNamespace

    from torchdoctor.patient.distributed_worker import _backend_version

    def fake(version):
        return SimpleNamespace(cuda=SimpleNamespace(nccl=SimpleNamespace(version=lambda: version)))

    assert _backend_version(fake((2, 28, 9)), "nccl") == "2.28.9"  # what the H200's torch 2.11 returns
    assert _backend_version(fake(2708), "nccl") == "2.7.8"
    assert _backend_version(fake((2, 28, 9)), "gloo") is None


def test_outer_timeout_is_one_finding_not_one_per_rank():
    stopped = {"rank": 0, "stage": "import", "finished": False,
               "error": {"stage": "import", "type": "Timeout", "message": "rank stopped: its launcher went away"}}
    report = judge(_outcome(returncode=None, timed_out=True, torch="2.13.0+cpu"), {0: stopped, 1: dict(stopped, rank=1)})
    assert _ids(report) == ["distributed.timeout"]
    assert report["torch"] == "2.13.0+cpu"  # from the preflight when no rank got past the import
    assert [r["status"] for r in report["ranks"]] == ["timeout", "timeout"]


# ------------------------------------------------------------------------------ several nodes

def test_a_rendezvous_timeout_names_the_missing_nodes_and_the_endpoint():
    text = ("    raise RendezvousTimeoutError\n"
            "torch.distributed.elastic.rendezvous.api.RendezvousTimeoutError\n")  # torchrun 2.13's last lines
    log = logs.parse(text)
    nodes = dict(nnodes=2, node_rank=0, rdzv_endpoint="10.0.0.1:29500", join_timeout=30, nodes_missing=True,
                 never_started=True, partial_view=True, returncode=1, log=log)
    report = judge(_outcome(**nodes), {})
    assert not report["ok"] and report["ranks"] == [] and _ids(report) == ["distributed.nodes_missing"]
    assert report["findings"][0]["message"].startswith("1 of 2 nodes joined at 10.0.0.1:29500 within 30 s")
    four = judge(_outcome(**{**nodes, "nnodes": 4, "world_size": 4}), {})
    assert four["findings"][0]["message"].startswith("at most 3 of 4 nodes joined at 10.0.0.1:29500")
    assert summary_line(report).startswith("FAILED: 0/2 ranks passed, node 0 of 2, cpu")


@pytest.mark.parametrize("seen, fid, words", [
    (dict(role="client", resolve_error="Name or service not known"), "distributed.endpoint_unresolved",
     "does not resolve"),
    (dict(role="host", addresses=("10.9.9.9",), local=False, error="Cannot assign requested address"),
     "distributed.endpoint_not_local", "is not an address of this machine"),
    (dict(role="host", addresses=("10.0.0.1",), local=True, port_free=False, error="Address already in use"),
     "distributed.endpoint_port_busy", "already in use"),
    (dict(role="client", addresses=("10.0.0.1",), reachable=False, error="Connection refused", waited=30.2),
     "distributed.endpoint_unreachable", "nothing answered at 10.0.0.1:29500 (10.0.0.1) within 30 s"),
])
def test_endpoint_preflight_findings(seen, fid, words):
    from torchdoctor.distributed.endpoint import Endpoint
    from torchdoctor.verdicts.distributed import endpoint_findings

    ep = Endpoint("10.0.0.1" if seen["role"] == "host" or "resolve_error" not in seen else "nodes.example",
                  29500, **seen)
    assert not ep.usable
    (finding,) = endpoint_findings(ep)
    assert finding.id == fid and words in finding.message and finding.severity == "error" and finding.fix
    report = judge(_outcome(endpoint=ep, never_started=True, partial_view=True, nnodes=2, node_rank=0), {})
    assert _ids(report) == [fid] and report["endpoint"]["role"] == seen["role"]
    if fid in ("distributed.endpoint_not_local", "distributed.endpoint_unreachable"):
        assert "NCCL_SOCKET_IFNAME" in finding.fix.summary and "GLOO_SOCKET_IFNAME" in finding.fix.summary


def test_a_usable_endpoint_adds_no_finding():
    from torchdoctor.distributed.endpoint import Endpoint
    from torchdoctor.requests import split_endpoint
    from torchdoctor.verdicts.distributed import endpoint_findings

    assert endpoint_findings(Endpoint("h", 1, "host", ("10.0.0.1",), local=True, port_free=True)) == []
    assert endpoint_findings(Endpoint("h", 1, "client", ("10.0.0.1", "fe80::1%eth0"), reachable=True)) == []
    (loop,) = endpoint_findings(Endpoint("h", 1, "client", ("127.0.1.1", "::1"), reachable=True))
    assert loop.id == "distributed.endpoint_loopback" and loop.severity == "warning"
    report = judge(_outcome(endpoint=Endpoint("h", 1, "host", ("127.0.0.1",), local=True, port_free=True)),
                   {0: _passed_rank(0), 1: _passed_rank(1)})
    assert report["ok"] and _ids(report) == ["distributed.endpoint_loopback"]  # a warning does not fail
    assert split_endpoint("node1:29500") == ("node1", 29500)
    assert split_endpoint("[fe80::1]:29500") == ("fe80::1", 29500)
    assert split_endpoint("node1") is None and split_endpoint("node1:0") is None
    assert split_endpoint("node1:70000") is None and split_endpoint(":29500") is None
