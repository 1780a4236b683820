"""The real CLI: exit codes, JSON that parses, --list-checks, --from, usage errors on stderr,
and the real torch 2.13.0+cpu of this machine."""

from __future__ import annotations

import json
import sys

import pytest
from typer.testing import CliRunner

from helpers.fake_envs import doctor, doctor_env, without_pip_config
from torchdoctor import checks
from torchdoctor.checks import CHECKS
from torchdoctor.cli import app

runner = CliRunner()


def has_real_torch() -> bool:
    from torchdoctor.probes.torch_dist import gather_distributions

    return any(d.name == "torch" for d in gather_distributions())


def test_list_checks_names_every_check():
    out = runner.invoke(app, ["check", "--list-checks"], catch_exceptions=False)
    assert out.exit_code == 0
    for c in CHECKS:
        assert c.id in out.stdout
    data = json.loads(runner.invoke(app, ["check", "--list-checks", "--json"], catch_exceptions=False).stdout)
    assert [r["id"] for r in data["checks"]] == [c.id for c in CHECKS]


@pytest.mark.parametrize("args,words", [
    (["check", "--python", "/no/such/python"], "no such interpreter"),
    (["check", "--format", "xml"], "--format"),
    (["check", "--timeout", "0"], "--timeout"),
    (["check", "--from", "/no/such/report.json"], "report.json"),
])
def test_usage_errors_are_one_line_and_exit_2(args, words, tmp_path):
    out = doctor(args, doctor_env(), cwd=tmp_path)
    assert out.returncode == 2 and out.stdout == ""
    assert words in out.stderr and len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX exec bits and sh scripts")
@pytest.mark.parametrize("content,mode,words", [
    ("just a text file\n", 0o644, "permission denied"),  # not executable
    ("#!/bin/sh\nexit 3\n", 0o755, "exit status 3"),  # runs, but is no Python
])
def test_python_that_is_not_a_python_is_exit_2(tmp_path, content, mode, words):
    fake = tmp_path / "python"
    fake.write_text(content)
    fake.chmod(mode)
    out = doctor(["check", "--python", str(fake)], doctor_env(), cwd=tmp_path)
    assert out.returncode == 2 and out.stdout == "", out.stdout
    assert len(out.stderr.strip().splitlines()) == 1 and "did not run as a Python interpreter" in out.stderr
    assert words in out.stderr.lower()


def test_from_garbage_is_exit_2(tmp_path):
    p = tmp_path / "x.txt"
    p.write_text("hello, this is not a report\n")
    out = doctor(["check", "--from", str(p)], doctor_env(), cwd=tmp_path)
    assert out.returncode == 2 and "not a torchdoctor" in out.stderr


@pytest.mark.skipif(not has_real_torch(), reason="needs the dev venv's real torch")
def test_this_machine_real_torch_cpu_exit_0(tmp_path):
    out = doctor(["check"], without_pip_config(doctor_env(NO_COLOR="1")), cwd=tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "PyTorch 2.13.0+cpu" in out.stdout and "No issues found" in out.stdout
    js = doctor(["check", "--json", "-v"], without_pip_config(doctor_env()), cwd=tmp_path)
    data = json.loads(js.stdout)
    assert js.returncode == 0 and data["schema"] == 1 and data["exit_code"] == 0
    assert data["facts"]["runtime"]["version"] == "2.13.0+cpu"
    assert data["facts"]["runtime"]["cuda_available"] is False and not data["facts"]["gpus"]
    assert all(set(f) >= {"id", "severity", "message", "fix"} for f in data["findings"])

    # the same facts, judged again from the file (issue 5): same verdicts, origin stated
    report = tmp_path / "report.json"
    report.write_text(js.stdout)
    again = doctor(["check", "--from", str(report), "--json"], without_pip_config(doctor_env()), cwd=tmp_path)
    redata = json.loads(again.stdout)
    assert again.returncode == 0 and redata["origin"] != "live"
    live = {f["id"]: f["severity"] for f in data["findings"]}
    judged = {f["id"]: f["severity"] for f in redata["findings"]}
    assert {k: v for k, v in judged.items() if v != "skipped"}.items() <= live.items()
    human = doctor(["check", "--from", "-"], without_pip_config(doctor_env(NO_COLOR="1")), cwd=tmp_path)
    assert human.returncode == 2  # stdin was empty
    md = doctor(["check", "--from", str(report), "--format", "markdown"], without_pip_config(doctor_env()), cwd=tmp_path)
    assert md.stdout.startswith("## torchdoctor check") and "recorded machine" in md.stdout


def test_json_parses_even_when_a_check_crashes(monkeypatch):
    from torchdoctor.checks.registry import Check
    from torchdoctor.operations import check as command
    from torchdoctor.facts import Facts, PythonFacts

    def boom(f, k):
        raise RuntimeError("judge bug")

    monkeypatch.setattr(checks, "CHECKS", CHECKS + (Check("x.boom", "PyTorch", "a broken judge", (), boom),))
    monkeypatch.setattr(checks.run_checks, "__defaults__", (checks.CHECKS,))
    monkeypatch.setattr(command, "gather", lambda timeout, python: Facts(python=PythonFacts("3.11.7")))
    out = runner.invoke(app, ["check", "--json"], catch_exceptions=False)
    data = json.loads(out.stdout)
    boom_f = next(f for f in data["findings"] if f["id"] == "x.boom")
    assert boom_f["severity"] == "crashed" and "judge bug" in boom_f["detail"]
    assert out.exit_code == 0  # a doctor bug is not the machine's error...
    strict = runner.invoke(app, ["check", "--strict"], catch_exceptions=False)
    assert strict.exit_code == 1 and "x.boom" in strict.stdout  # ...but --strict fails on it


def test_human_output_shape_and_verbose(monkeypatch):
    from torchdoctor.operations import check as command
    from torchdoctor.facts import Facts, PythonFacts, TorchRuntime

    facts = Facts(python=PythonFacts("3.11.7"), distributions=(), runtime=TorchRuntime("not_installed"))
    monkeypatch.setattr(command, "gather", lambda timeout, python: facts)
    out = runner.invoke(app, ["check"], catch_exceptions=False)
    assert out.exit_code == 1
    assert "torch.not_installed" in out.stdout and "Fix:" in out.stdout and "\x1b[" not in out.stdout
    v = runner.invoke(app, ["check", "-v"], catch_exceptions=False)
    assert "Facts:" in v.stdout and "python.version: 3.11.7" in v.stdout and "skipped" in v.stdout


def test_no_torch_import_in_the_doctor_process():
    code = ("import sys; from torchdoctor.operations.check import gather; gather(timeout=60); "
            "print('torch' in sys.modules)")
    import subprocess

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip().splitlines()[-1] == "False", out.stderr
