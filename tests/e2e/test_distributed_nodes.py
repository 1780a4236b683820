"""Two nodes for real: two torchrun agents (or two doctors) on loopback, with and without numpy.

Each "node" is its own process tree on this machine: a torchrun agent (c10d rendezvous on
127.0.0.1 and a free port), its rank, the doctor's worker. The environments are real venvs
holding torch's own install closure (tests/helpers/linked_venvs.py): in one of them numpy is absent, as
after a plain `pip install torch`. The commands are the README's lines, with HOST=127.0.0.1
and a free port for 29500 (another test run may hold 29500 on a shared machine).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from helpers.linked_venvs import linked_venv

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="needs torch installed"),
    pytest.mark.skipif(sys.platform == "win32", reason="torchrun's c10d agents are not exercised on Windows"),
]

README = Path(__file__).resolve().parents[2] / "README.md"
DIST_VARS = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT", "GROUP_RANK",
             "TORCHELASTIC_RUN_ID", "TORCHDOCTOR_TEST_CRASH_RANK", "TORCHDOCTOR_DIST_GATHER",
             "TORCHDOCTOR_DIST_RESULTS", "PYTHONPATH", "VIRTUAL_ENV")
NUMPY_MISSING = "No module named 'numpy'"  # torch's own warning when it starts without numpy
LIMIT = 240  # per two-node run; a loaded 2-core machine takes about 30-70 s


@pytest.fixture(scope="session")
def venvs(tmp_path_factory) -> dict[str, Path]:
    """{"without numpy": bin dir, "with numpy": bin dir} (the latter only where numpy is installed)."""
    root = tmp_path_factory.mktemp("venvs")
    out = {"without numpy": linked_venv(root / "plain", ["torch", "torchdoctor"]).parent}
    if importlib.util.find_spec("numpy") is not None:
        out["with numpy"] = linked_venv(root / "numpy", ["torch", "torchdoctor", "numpy"]).parent
    probe = subprocess.run([str(out["without numpy"] / "python"), "-c", "import numpy"],
                           capture_output=True, text=True, timeout=60)
    assert probe.returncode != 0 and "No module named 'numpy'" in probe.stderr  # really absent
    return out


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again: nothing listens there


def readme_line(starts: str) -> str:
    """The one README command (from a bash block, continuations joined) that starts with `starts`."""
    text = README.read_text(encoding="utf-8")
    lines = []
    for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S):
        lines += [line.strip() for line in block.replace("\\\n", " ").splitlines()]
    found = [line for line in lines if line.startswith(starts)]
    assert len(found) == 1, f"README should hold exactly one line starting {starts!r}: {found}"
    return found[0]


def _argv(line: str, bindir: Path, port: int, **subs: str) -> list[str]:
    line = line.split("  #")[0].replace("HOST:29500", f"127.0.0.1:{port}")
    argv = shlex.split(line)
    argv = [subs.get(a, a) for a in argv]
    argv[0] = str(bindir / argv[0])  # torchrun / torchdoctor: the venv's console script
    return argv + ["--json"]


def _env(bindir: Path, activated: bool = False) -> dict[str, str]:
    """PATH with the venv first; `activated` also sets VIRTUAL_ENV, as `. bin/activate` does (the
    doctor's own launch examines the active env; a torchrun rank runs torchrun's interpreter)."""
    env = {k: v for k, v in os.environ.items() if k not in DIST_VARS}
    env["PATH"] = f"{bindir}{os.pathsep}{env.get('PATH', '')}"
    if activated:
        env["VIRTUAL_ENV"] = str(bindir.parent)
    return env


def _nodes(argvs: list[list[str]], env: dict[str, str], limit: float = LIMIT):
    """Start every node at once; each is killed (its whole process group) past `limit`."""
    started = time.monotonic()
    procs = [subprocess.Popen(a, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                              start_new_session=True) for a in argvs]
    outs = []
    for proc in procs:
        try:
            out, err = proc.communicate(timeout=max(1.0, limit - (time.monotonic() - started)))
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
            pytest.fail(f"a node did not end within {limit} s:\n{err[-3000:]}")
        outs.append((proc.returncode, out, err))
    return outs, time.monotonic() - started


def _reports(outs) -> list[dict]:
    reports = []
    for code, out, err in outs:
        if out.strip():
            try:
                reports.append(json.loads(out))
            except ValueError:
                pytest.fail(f"stdout is not JSON (exit {code}):\n{out[-2000:]}\n{err[-2000:]}")
    return reports


def _assert_numpy(outs, kind: str) -> None:
    """The ranks really ran with (or without) numpy: torch warns at import when it is missing."""
    warned = any(NUMPY_MISSING in err for _, _, err in outs)
    assert warned == (kind == "without numpy"), f"{kind}: torch's numpy warning {'missing' if not warned else 'seen'}"


@pytest.mark.parametrize("kind", ["without numpy", "with numpy"])
def test_readme_torchrun_line_on_two_agents(venvs, kind):
    if kind not in venvs:
        pytest.skip("numpy is not installed in the test environment")
    bindir, port = venvs[kind], _free_port()
    argv = _argv(readme_line("torchrun --nnodes 2"), bindir, port)
    outs, seconds = _nodes([argv, argv], _env(bindir))
    print(f"two torchrun agents {kind}: {seconds:.1f} s wall")
    assert [code for code, _, _ in outs] == [0, 0], "\n".join(err[-2000:] + out[-3000:] for _, out, err in outs)
    reports = _reports(outs)
    assert len(reports) == 1  # only rank 0 prints the report; rank 1 a line on stderr
    report = reports[0]
    assert report["ok"] is True and report["world_size"] == 2 and report["mode"] == "join"
    assert [r["status"] for r in report["ranks"]] == ["passed", "passed"]
    assert sorted(r["node_rank"] for r in report["ranks"]) == [0, 1]  # one rank on each agent
    assert any("rank 1 of 2: passed; group passed" in err for _, _, err in outs)
    _assert_numpy(outs, kind)


def test_readme_doctor_line_on_two_nodes_without_numpy(venvs):
    bindir, port = venvs["without numpy"], _free_port()
    line = readme_line("torchdoctor smoke --distributed --nnodes 2")
    outs, seconds = _nodes([_argv(line, bindir, port, K=str(k)) for k in (0, 1)], _env(bindir, activated=True))
    print(f"two doctor nodes without numpy: {seconds:.1f} s wall")
    assert [code for code, _, _ in outs] == [0, 0], "\n".join(err[-2000:] + out[-3000:] for _, out, err in outs)
    reports = _reports(outs)
    assert len(reports) == 2  # every node prints the whole group's report
    for node, report in enumerate(reports):
        assert report["ok"] is True and report["world_size"] == 2 and report["mode"] == "launch"
        assert report["nnodes"] == 2 and report["node_rank"] == node
        assert report["rdzv_endpoint"] == f"127.0.0.1:{port}"
        # a warning; on a loaded machine node 0's torchrun agent can also linger at its exit barrier after both
        # ranks passed, which is its own warning (distributed.launcher_lingered), never a failed group
        ids = [f["id"] for f in report["findings"] if f["id"] != "distributed.launcher_lingered"]
        assert ids == ["distributed.endpoint_loopback"]
        assert all(f["severity"] == "warning" for f in report["findings"])
        assert [r["status"] for r in report["ranks"]] == ["passed", "passed"]
        assert report["endpoint"]["role"] == ("host" if node == 0 else "client")
    # (the ranks' own stderr stays inside the doctor here; the fixture proved numpy is absent)


def _doctor(*args, limit=90):
    env = {k: v for k, v in os.environ.items() if k not in DIST_VARS}
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "torchdoctor", "smoke", "--distributed", "--device", "cpu",
                           "--json", *args], capture_output=True, text=True, env=env, timeout=limit)
    try:
        return proc, json.loads(proc.stdout), time.monotonic() - started
    except ValueError:
        pytest.fail(f"stdout is not JSON (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}")


def test_a_node_that_never_comes_is_one_finding_within_the_timeout():
    port = _free_port()
    proc, report, seconds = _doctor("--nnodes", "2", "--node-rank", "0", "--rdzv-endpoint",
                                    f"127.0.0.1:{port}", "--timeout", "30")
    assert proc.returncode == 1 and report["ok"] is False
    assert seconds < 30 + 10  # ended by the join timeout, not by torchrun's 600 s default
    assert [f["id"] for f in report["findings"]] == ["distributed.endpoint_loopback", "distributed.nodes_missing"]
    message = report["findings"][1]["message"]
    assert message.startswith(f"1 of 2 nodes joined at 127.0.0.1:{port} within ")
    assert report["join_timeout"] <= 15 and f"within {report['join_timeout']} s" in message
    assert report["ranks"] == [] and report["endpoint"]["port_free"] is True
    assert "Traceback" not in proc.stderr


def test_nobody_listens_at_the_endpoint():
    port = _free_port()
    proc, report, seconds = _doctor("--nnodes", "2", "--node-rank", "1", "--rdzv-endpoint",
                                    f"127.0.0.1:{port}", "--timeout", "12")
    assert proc.returncode == 1 and seconds < 12 + 10
    assert [f["id"] for f in report["findings"]] == ["distributed.endpoint_unreachable"]
    finding = report["findings"][0]
    assert f"nothing answered at 127.0.0.1:{port}" in finding["message"] and "refused" in finding["message"]
    assert "firewall" in finding["fix"]["summary"] and "GLOO_SOCKET_IFNAME" in finding["fix"]["summary"]
    assert report["endpoint"]["reachable"] is False and report["endpoint"]["waited"] > 0


def test_a_name_that_does_not_resolve():
    proc, report, _ = _doctor("--nnodes", "2", "--node-rank", "1", "--rdzv-endpoint",
                              f"no-such-host.invalid:{_free_port()}", "--timeout", "20")
    assert proc.returncode == 1
    assert [f["id"] for f in report["findings"]] == ["distributed.endpoint_unresolved"]
    assert "'no-such-host.invalid' does not resolve" in report["findings"][0]["message"]


def test_the_host_node_finds_its_port_taken():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc, report, _ = _doctor("--nnodes", "2", "--node-rank", "0", "--rdzv-endpoint",
                                  f"127.0.0.1:{port}", "--timeout", "20")
    assert proc.returncode == 1
    assert [f["id"] for f in report["findings"]] == ["distributed.endpoint_port_busy"]
    assert f"port {port} is already in use" in report["findings"][0]["message"]


GATHER_SCRIPT = textwrap.dedent("""
    import json, os, sys
    import torch.distributed as dist
    import torch
    from torchdoctor.patient.distributed_worker import all_gather_bytes
    dist.init_process_group("gloo")
    rank = dist.get_rank()
    payloads = [b"", "r\\u00e9sultat \\u2713".encode() * 300]  # empty, and longer than the other rank's
    got = all_gather_bytes(torch, dist, "cpu", payloads[rank])
    assert got == payloads, got
    if rank == 0:
        print("GATHERED", json.dumps([len(g) for g in got]))
    dist.destroy_process_group()
""")


def test_all_gather_bytes_without_numpy(venvs, tmp_path):
    """The gather collective alone, with payloads of different lengths (one empty), numpy absent."""
    script = tmp_path / "gather.py"
    script.write_text(GATHER_SCRIPT, encoding="utf-8")
    bindir = venvs["without numpy"]
    argv = [str(bindir / "python"), "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
            "--max-restarts", "0", str(script)]
    (code, out, err), = _nodes([argv], _env(bindir), limit=120)[0]
    assert code == 0, err[-3000:]
    assert "GATHERED [0, 3900]" in out
    assert NUMPY_MISSING in err
