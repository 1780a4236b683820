"""mirrors.json and --mirror: each mirror's command style, the known-wrong names and URLs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers.plan_machines import K, machine, nv
from torchdoctor.errors import UsageError
from torchdoctor.knowledge import mirrors as mk
from torchdoctor.plan import plan_install
from torchdoctor.requests.suggest import plan_request

TABLE = Path(mk.__file__).with_name("mirrors.json")
WIN_NV = machine(os="windows", py="3.12", driver="580.88", gpus=(nv((8, 6)),))
LINUX_NV = machine(py="3.12", driver="580.65.06", gpus=(nv((8, 6)),))


def _plan(facts, **kw):
    return plan_install(facts, K, plan_request(**kw)).plan


def test_the_table_has_the_mirrors_the_issue_names_each_with_layout_and_sources():
    data = json.loads(TABLE.read_text())
    rows = {r["name"]: r for r in data["mirrors"]}
    assert set(rows) == {"official", "nju", "sjtu", "aliyun"}
    assert rows["aliyun"]["layout"] == "find-links" and rows["nju"]["layout"] == "index"
    assert all(r["source"] and r["checked"] and "{variant}" in r["url"] for r in rows.values())
    assert {w["name"] for w in data["wrong"]} >= {"tuna"}


def test_official_is_the_default_command():
    assert _plan(WIN_NV, mirror="official").command == _plan(WIN_NV).command


def test_an_index_mirror_replaces_the_index_url():
    plan = _plan(WIN_NV, mirror="nju")
    assert plan.argv == ["pip", "install", f"torch=={plan.torch}", "--index-url",
                         f"https://mirrors.nju.edu.cn/pytorch/whl/{plan.variant}"]
    assert plan.mirror == "nju" and plan.find_links is None
    assert any("PEP 503" in r for r in plan.reasons)


def test_a_find_links_mirror_pins_every_package_exactly_and_adds_its_pypi_mirror():
    plan = _plan(WIN_NV, mirror="aliyun", with_="torchvision")
    v = plan.variant
    assert all(p.endswith(f"+{v}") for p in plan.packages) and len(plan.packages) == 2
    assert plan.argv[-4:] == ["-f", f"https://mirrors.aliyun.com/pytorch-wheels/{v}/",
                              "--index-url", "https://mirrors.aliyun.com/pypi/simple/"]
    assert plan.to_dict()["find_links"] == f"https://mirrors.aliyun.com/pytorch-wheels/{v}/"


def test_uv_and_requirements_render_the_same_layout():
    uv = _plan(WIN_NV, mirror="aliyun", fmt="uv")
    assert uv.argv[:3] == ["uv", "pip", "install"] and "--find-links" in uv.argv and "--torch-backend" not in uv.argv
    req = _plan(WIN_NV, mirror="aliyun", fmt="requirements")
    lines = req.command.splitlines()
    assert lines[0].startswith("--find-links https://mirrors.aliyun.com/pytorch-wheels/")
    assert lines[1] == "--index-url https://mirrors.aliyun.com/pypi/simple/" and "+" in lines[2]


def test_a_pypi_default_plan_takes_the_mirrors_copy_of_the_same_build():
    default = _plan(LINUX_NV)
    assert default.index_url is None  # PyPI's build is right on Linux
    plan = _plan(LINUX_NV, mirror="nju")
    assert plan.variant == default.variant and plan.torch == default.torch
    assert plan.index_url == f"https://mirrors.nju.edu.cn/pytorch/whl/{plan.variant}"


def test_sjtu_pins_the_build_and_warns_about_upstream():
    plan = _plan(WIN_NV, mirror="sjtu")
    assert plan.packages[0].endswith(f"+{plan.variant}")
    assert any("back to download.pytorch.org" in w for w in plan.warnings)


@pytest.mark.parametrize("name", ["tuna", "Tsinghua", "bfsu"])
def test_a_known_wrong_mirror_says_why_and_which_works(name):
    with pytest.raises(UsageError) as err:
        plan_request(mirror=name)
    text = str(err.value)
    assert "PyPI" in text and "--mirror nju" in text and "\n" not in text


def test_a_known_wrong_index_base_is_refused_and_a_custom_one_still_works():
    with pytest.raises(UsageError, match="--mirror nju"):
        plan_request(index_base="https://mirrors.tuna.tsinghua.edu.cn/pytorch-wheels/")
    with pytest.raises(UsageError, match="no whl/ level"):
        plan_request(index_base="https://mirror.sjtu.edu.cn/pytorch-wheels/whl")
    req = plan_request(index_base="https://mirror.example.edu/pytorch/whl")
    assert req.mirror is None
    assert _plan(WIN_NV, index_base="https://mirror.example.edu/pytorch/whl").index_url.startswith(
        "https://mirror.example.edu/pytorch/whl/cu")


def test_unknown_mirror_and_two_places_are_usage_errors():
    with pytest.raises(UsageError, match="known: official, nju, sjtu, aliyun"):
        plan_request(mirror="mirrorz")
    with pytest.raises(UsageError, match="give one"):
        plan_request(mirror="nju", index_base="https://x.example/whl")


def test_the_environment_variable_names_the_mirror(monkeypatch):
    monkeypatch.setenv("TORCHDOCTOR_MIRROR", "aliyun")
    assert plan_request().mirror == "aliyun"
    monkeypatch.setenv("TORCHDOCTOR_MIRROR", "tuna")
    with pytest.raises(UsageError):
        plan_request()


def test_url_classification():
    assert mk.is_pypi_mirror("https://pypi.tuna.tsinghua.edu.cn/simple")
    assert mk.is_pypi_mirror("https://user:pw@mirrors.aliyun.com/pypi/simple/")
    assert not mk.is_pypi_mirror("https://mirrors.aliyun.com/pytorch-wheels/cu126/")
    assert mk.wrong_url("https://mirrors.tuna.tsinghua.edu.cn/pytorch-wheels/cu126").name == "tuna"
    assert mk.wrong_url("https://pypi.tuna.tsinghua.edu.cn/simple") is None  # a PyPI mirror, not wrong
    assert mk.mirror_of_url("https://mirrors.nju.edu.cn/pytorch/whl/cu126").name == "nju"


def test_plain_suggest_does_not_read_the_mirror_table():
    mk._table.cache_clear()
    plan_request()
    assert mk._table.cache_info().currsize == 0
