"""preview's pure parts: reading the command, pip's report and uv's lines, and the judge."""

from __future__ import annotations

import json

import pytest

from helpers.check_machines import K

from torchdoctor.errors import UsageError
from torchdoctor.facts import Distribution
from torchdoctor.operations.preview import read_report, read_uv
from torchdoctor.requests.preview import PreviewRequest
from torchdoctor.verdicts.preview import Planned, judge, source_of


def d(name, version, *requires, requested=True):
    return Distribution(name, version, installer="pip", requires=tuple(requires), requested=requested)


def test_the_forms_of_the_command():
    assert PreviewRequest.build(["pip", "install", "-r", "req.txt"]).args == ("-r", "req.txt")
    r = PreviewRequest.build(["/usr/bin/python3.11", "-m", "pip", "install", "-v", "--dry-run", "x",
                              "--report", "out.json"])
    assert r.installer == "pip" and r.args == ("x",)
    assert PreviewRequest.build(["uv", "pip", "install", "xformers"]).installer == "uv"
    for bad in (["ls"], ["pip", "download", "x"], ["pip", "install"], ["pip", "install", "--target", "d", "x"], [],
                ["pip", "install", "x\ny"]):
        with pytest.raises(UsageError):
            PreviewRequest.build(bad)


def test_pips_report_and_uvs_lines():
    report = {"version": "1", "install": [
        {"metadata": {"name": "xformers", "version": "0.0.19", "requires_dist": ["torch ==2.0.0", "numpy"]},
         "download_info": {"url": "https://files.pythonhosted.org/packages/x/xformers-0.0.19.whl"}, "requested": True},
        {"metadata": {"name": "torch", "version": "2.0.0"},
         "download_info": {"url": "https://files.pythonhosted.org/packages/t/torch-2.0.0.whl"}, "requested": False}]}
    planned = read_report("noise\n" + json.dumps(report))
    assert [(p.name, p.version, p.requested) for p in planned] == [("xformers", "0.0.19", True), ("torch", "2.0.0", False)]
    assert source_of(planned[0].url) == "PyPI"
    assert source_of("https://download.pytorch.org/whl/cu124/torch-2.5.1%2Bcu124-cp311.whl") == \
        "download.pytorch.org/whl/cu124"
    uv = read_uv("Resolved 3 packages\nWould uninstall 1 package\n - torch==2.0.1+cu118\n + torch==2.0.0\n"
                 " + xformers==0.0.19\n")
    assert [(p.name, p.version) for p in uv] == [("torch", "2.0.0"), ("xformers", "0.0.19")]


def test_xformers_pulling_pypis_torch_over_a_cuda_build():
    """facebookresearch/xformers#752: 0.0.19 pulled torch==2.0.0 over 2.0.1+cu118, and torchvision broke."""
    before = (d("torch", "2.0.1+cu118"), d("torchvision", "0.15.2+cu118", "torch==2.0.1"),
              d("flash-attn", "2.3.0", "torch"))
    would = (Planned("xformers", "0.0.19", ("torch==2.0.0",), "https://files.pythonhosted.org/x.whl", True),
             Planned("torch", "2.0.0", (), "https://files.pythonhosted.org/t.whl", False))
    v = judge(before, would, "windows", K)
    found = {f.id: f for f in v.findings}
    msg = found["preview.torch_replaced"].message
    assert "torch 2.0.1+cu118 would be replaced by torch 2.0.0 from PyPI" in msg and "CPU build on Windows" in msg
    assert "xformers 0.0.19 (requires torch==2.0.0)" in msg
    breaks = found["preview.companion_breaks"].message
    assert "torchvision 0.15.2+cu118 requires torch==2.0.1" in breaks
    assert "flash-attn 2.3.0" not in breaks  # the same torch series: no rebuild needed


def test_a_series_change_needs_a_rebuild_and_a_newer_same_build_is_info():
    before = (d("torch", "2.4.1+cu124"), d("flash-attn", "2.6.3", "torch"))
    would = (Planned("torch", "2.5.1+cu124", (), "https://download.pytorch.org/whl/cu124/t.whl", True),)
    found = {f.id: f for f in judge(before, would, "linux", K).findings}
    assert found["preview.torch_upgraded"].severity == "info"
    assert "flash-attn 2.6.3 was built against" in found["preview.companion_breaks"].message


def test_nothing_about_torch_is_quiet():
    v = judge((d("torch", "2.13.0+cpu"),), (Planned("einops", "0.8.0", (), None, True),), "linux", K)
    assert not v.findings and not v.torch_changes and v.changes == ("+ einops 0.8.0 (new, from an unknown source)",)


def test_install_stops_before_a_torch_change_that_breaks_a_companion():
    from torchdoctor.install import TargetEnv, prepare
    from torchdoctor.facts import PythonFacts
    from torchdoctor.plan import Plan

    env = TargetEnv("/venv/bin/python", PythonFacts("3.11.7"), venv=True, has_pip=True,
                    distributions=(d("torch", "2.4.1+cu124"), d("xformers", "0.0.28.post1", "torch==2.4.1"),
                                   d("flash-attn", "2.6.3", "torch")))
    plan = Plan(torch="2.13.0", variant="cu126", index_url="https://download.pytorch.org/whl/cu126", command="",
                packages=("torch==2.13.0",), device="cuda")
    out = prepare(env, plan, "linux", lambda name: None)
    assert out.blocked is not None and out.blocked.id == "install.would_break_companion"
    assert "xformers 0.0.28.post1 requires torch==2.4.1" in out.blocked.message
    assert "flash-attn 2.6.3 was built against" in out.blocked.message
    assert out.blocked.commands  # what it would have run
    go = prepare(env, plan, "linux", lambda name: None, break_companions=True)
    assert go.blocked is None and go.steps
    same = prepare(TargetEnv("/venv/bin/python", PythonFacts("3.11.7"), venv=True, has_pip=True,
                             distributions=(d("torch", "2.12.0+cu126"), d("xformers", "0.0.33", "torch>=2.10"))),
                   plan, "linux", lambda name: None)
    assert same.blocked is None
