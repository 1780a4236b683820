"""The CLI face of issue 24: --mirror / TORCHDOCTOR_MIRROR, the known-wrong names, the user's pip
configuration in suggest, the region hint and the tables' age."""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from helpers.fake_envs import doctor
from helpers.plan_machines import K, machine, nv
from torchdoctor.cli import app
from torchdoctor.plan import plan_install
from torchdoctor.operations import suggest as op

WIN = ["suggest", "--os", "windows", "--gpu", "8.6", "--driver", "580.88", "--python-version", "3.12"]


def _clean_env(tmp_path, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_", "TORCHDOCTOR_", "LC_"))}
    env.update(PIP_CONFIG_FILE=os.devnull, UV_NO_CONFIG="1", TZ="UTC", LANG="C.UTF-8", HOME=str(tmp_path))
    env.update(extra)
    return env


def test_mirror_option_and_its_variable():
    r = CliRunner().invoke(app, [*WIN, "--mirror", "aliyun", "--json"])
    assert r.exit_code == 0, r.output
    plan = json.loads(r.output)["plan"]
    assert plan["mirror"] == "aliyun" and "-f" in plan["argv"] and plan["packages"][0].endswith("+" + plan["variant"])
    r = CliRunner().invoke(app, [*WIN, "--json"], env={"TORCHDOCTOR_MIRROR": "nju"})
    assert json.loads(r.output)["plan"]["index_url"].startswith("https://mirrors.nju.edu.cn/pytorch/whl/")


@pytest.mark.parametrize("cmd", [WIN, ["install", "--dry-run"]])
def test_mirror_tuna_says_why_and_exits_2(cmd, tmp_path):
    r = doctor([*cmd, "--mirror", "tuna"], _clean_env(tmp_path), cwd=tmp_path)
    assert r.returncode == 2, r.stdout + r.stderr
    assert "--mirror nju" in r.stderr and "PyPI" in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_the_region_hint_offers_a_mirror_and_does_not_apply_it(monkeypatch):
    from torchdoctor.requests.suggest import SuggestRequest

    req = SuggestRequest.build(os_="windows", gpus=["8.6"], driver="580.88", python_version="3.12")
    result = plan_install(machine(os="windows", py="3.12", driver="580.88", gpus=(nv((8, 6)),)), K, req.plan)
    line = op.region_hint(result, req, {"LANG": "zh_CN.UTF-8"})
    assert "--mirror nju" in line and "not applied" in line
    assert op.region_hint(result, req, {"LANG": "en_US.UTF-8", "TZ": "Asia/Shanghai"})
    monkeypatch.setattr(op, "_system_zone", lambda: "")
    assert op.region_hint(result, req, {"LANG": "en_GB.UTF-8", "TZ": "Europe/London"}) is None
    assert "download.pytorch.org" in result.plan.command  # the plan itself is unchanged
    assert op.region_hint(result, SuggestRequest.build(mirror="nju"), {"LANG": "zh_CN.UTF-8"}) is None


def test_the_tables_age_is_said_once_older_than_90_days(monkeypatch):
    monkeypatch.setattr(op, "_today", lambda: datetime.date(2027, 2, 25))  # 90 days after 2026-11-27
    assert op.staleness_line("2026-11-27") is None
    monkeypatch.setattr(op, "_today", lambda: datetime.date(2027, 3, 2))
    line = op.staleness_line("2026-11-27")
    assert "95 days old" in line and "as of 2026-11-27" in line and "newer torch may exist" in line
    r = CliRunner().invoke(app, WIN)
    assert "95 days old" in r.output


@pytest.mark.slow
def test_suggest_prints_a_command_that_holds_under_the_users_pip_config(tmp_path):
    """The real CLI with a temp PIP_CONFIG_FILE holding an extra index: the command says how it overrides it."""
    conf = tmp_path / "pip.conf"
    conf.write_text("[global]\nextra-index-url = https://user:pw@download.pytorch.org/whl/cu126\n")
    env = _clean_env(tmp_path, PIP_CONFIG_FILE=str(conf), XDG_CONFIG_DIRS=str(tmp_path / "none"))
    out = subprocess.run([sys.executable, "-m", "torchdoctor", "suggest", "--json"], env=env,
                         capture_output=True, text=True, timeout=120, cwd=tmp_path)
    data = json.loads(out.stdout)
    assert [f["id"] for f in data["findings"]] == ["pip.index_overrides"]
    assert data["plan"]["argv"][:3] == ["env", "PIP_CONFIG_FILE=/dev/null", "pip"]
    assert "pw@" not in out.stdout and "***@download.pytorch.org" in out.stdout
    clean = subprocess.run([sys.executable, "-m", "torchdoctor", "suggest", "--json"], env=_clean_env(tmp_path),
                           capture_output=True, text=True, timeout=120, cwd=tmp_path)
    data = json.loads(clean.stdout)
    assert data["findings"] == [] and data["plan"]["argv"][0] == "pip"
