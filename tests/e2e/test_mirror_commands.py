"""Each mirror layout's rendered command resolves to the planned file: `pip install --dry-run --report`
against a local server in that layout (tests/helpers/mirror_server.py), without the network."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import urllib.parse

import pytest

from helpers.mirror_server import MirrorServer, add_wheels
from helpers.plan_machines import K, machine, nv
from torchdoctor.knowledge import mirrors as mk
from torchdoctor.plan import PlanRequest, plan_install

pytestmark = pytest.mark.slow
PY = f"{sys.version_info[0]}.{sys.version_info[1]}"


def _local_table(monkeypatch, url_of: dict[str, str], pypi_of: dict[str, str]) -> None:
    """mirrors.json as it is, with each named mirror's URLs moved to the local server."""
    ms, wrong, pypi_hosts, upstream = mk._table()
    moved = tuple(dataclasses.replace(m, url=url_of.get(m.name, m.url), pypi=pypi_of.get(m.name, m.pypi))
                  for m in ms)
    monkeypatch.setattr(mk, "_table", lambda: (moved, wrong, pypi_hosts, upstream))


def _pip_report(argv: list[str], tmp_path) -> dict:
    """What pip would install for the printed command (argv[0] 'pip' -> this interpreter's pip)."""
    assert argv[:2] == ["pip", "install"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_"))}
    env["PIP_CONFIG_FILE"] = os.devnull
    report = tmp_path / "report.json"
    run = subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed",
                          "--disable-pip-version-check", "--no-cache-dir", "--report", str(report), *argv[2:]],
                         env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    return json.loads(report.read_text())


def _installed(report: dict) -> dict[str, tuple[str, str]]:
    return {i["metadata"]["name"]: (i["metadata"]["version"], i["download_info"]["url"]) for i in report["install"]}


def _plan(mirror: str, with_=("torchvision",)):
    facts = machine(py=PY, driver="580.65.06", gpus=(nv((8, 6)),))
    result = plan_install(facts, K, PlanRequest(with_=with_, mirror=mirror))
    assert result.plan is not None
    return result.plan


@pytest.mark.parametrize("name", ["nju", "sjtu"])
def test_an_index_mirror_gets_index_url_and_resolves_on_a_pep503_tree(name, tmp_path, monkeypatch):
    root = tmp_path / "srv"
    with MirrorServer(root) as srv:
        _local_table(monkeypatch, {name: f"{srv.url}/pytorch/whl/{{variant}}"}, {})
        plan = _plan(name)
        torch_v, tv_v = (p.split("==")[1].split("+")[0] for p in plan.packages)
        local = f"+{plan.variant}"
        add_wheels(root, "pep503", "pytorch/whl", plan.variant, [
            ("torch", torch_v + local, ("fake-nvidia-dep",)), ("torchvision", tv_v + local, ("torch",)),
            ("fake-nvidia-dep", "1.0", ())])  # an index mirror carries the CUDA dependencies (as upstream does)
        assert plan.argv[-2:] == ["--index-url", f"{srv.url}/pytorch/whl/{plan.variant}"]
        got = _installed(_pip_report(plan.argv, tmp_path))
    assert got["torch"][0] == torch_v + local
    assert got["torch"][1].startswith(f"{srv.url}/pytorch/whl/{plan.variant}/torch/")
    assert got["torchvision"][0] == tv_v + local and "fake-nvidia-dep" in got


def test_a_flat_mirror_gets_find_links_exact_pins_and_a_pypi_mirror(tmp_path, monkeypatch):
    root = tmp_path / "srv"
    with MirrorServer(root) as srv:
        _local_table(monkeypatch, {"aliyun": f"{srv.url}/pytorch-wheels/{{variant}}/"},
                     {"aliyun": f"{srv.url}/pypi/simple/"})
        plan = _plan("aliyun")
        torch_v, tv_v = (p.split("==")[1] for p in plan.packages)
        assert torch_v.endswith(f"+{plan.variant}") and tv_v.endswith(f"+{plan.variant}")  # companions pinned too
        add_wheels(root, "flat", "pytorch-wheels", plan.variant, [
            ("torch", torch_v, ("fake-nvidia-dep",)), ("torchvision", tv_v, ("torch",))])
        # the PyPI mirror has the dependency and PyPI's own (higher-ranked if unpinned) torch
        add_wheels(root, "pypi", "pypi/simple", "", [("fake-nvidia-dep", "1.0", ()),
                                                      ("torch", "9.9.9", ())])
        assert plan.find_links == f"{srv.url}/pytorch-wheels/{plan.variant}/"
        assert plan.argv[plan.argv.index("-f") + 1] == plan.find_links
        assert plan.argv[plan.argv.index("--index-url") + 1] == f"{srv.url}/pypi/simple/"
        got = _installed(_pip_report(plan.argv, tmp_path))
        assert got["torch"][0] == torch_v
        assert urllib.parse.unquote(got["torch"][1]) == (f"{srv.url}/pytorch-wheels/{plan.variant}/"
                                                         f"torch-{torch_v}-py3-none-any.whl")
        assert got["fake-nvidia-dep"][1].startswith(f"{srv.url}/pypi/simple/")

        # the old command (--index-url on the flat listing) cannot resolve there: the test can fail
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_"))}
        env["PIP_CONFIG_FILE"] = os.devnull
        old = subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed",
                              "--disable-pip-version-check", "--no-cache-dir", f"torch=={torch_v}",
                              "--index-url", f"{srv.url}/pytorch-wheels/{plan.variant}"],
                             env=env, capture_output=True, text=True, timeout=120)
        assert old.returncode != 0


def test_index_base_of_a_flat_mirror_switches_to_find_links(tmp_path, monkeypatch):
    """--index-base https://mirrors.aliyun.com/pytorch-wheels used to print --index-url there."""
    from torchdoctor.requests.suggest import plan_request

    req = plan_request(index_base="https://mirrors.aliyun.com/pytorch-wheels")
    assert req.mirror == "aliyun"
    facts = machine(py=PY, driver="580.65.06", gpus=(nv((8, 6)),))
    plan = plan_install(facts, K, req).plan
    assert "-f" in plan.argv and plan.find_links.startswith("https://mirrors.aliyun.com/pytorch-wheels/")
    assert plan.packages[0].endswith(f"+{plan.variant}")


def test_torch_stable_page_with_exact_pins_resolves(tmp_path):
    """SJTU's old -f page layout: '<variant>/torch-X%2Bvariant-...whl' links resolve with exact pins."""
    root = tmp_path / "srv"
    add_wheels(root, "stable", "pytorch-wheels", "cu126", [("torch", "2.9.1+cu126", ())])
    add_wheels(root, "stable", "pytorch-wheels", "cu118", [("torch", "2.9.1+cu118", ())])
    with MirrorServer(root) as srv:
        got = _installed(_pip_report(["pip", "install", "torch==2.9.1+cu126", "-f",
                                      f"{srv.url}/pytorch-wheels/torch_stable.html", "--no-index"], tmp_path))
    assert got["torch"][0] == "2.9.1+cu126" and "/cu126/" in got["torch"][1]
