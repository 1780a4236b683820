"""check's import pass for real: a throwaway venv whose fake companions raise the real ImportError texts,
print xFormers' "built for" warning, load a CPU-only binary, segfault, hang or import fine. check must finish
within its timeout with each one classified, and the metadata pass must read their pins."""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

import pytest

from helpers.fake_envs import doctor, doctor_env, make_venv, wheel_tag, write_dist

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(sys.platform == "win32", reason="POSIX venv layout and signals")]
FAKES = Path(__file__).resolve().parents[1] / "fixtures" / "companions"


@pytest.fixture(scope="module")
def venv(tmp_path_factory):
    root = tmp_path_factory.mktemp("companions")
    python, site = make_venv(root / "v")
    tag = wheel_tag(python)
    write_dist(site, "torch", "2.7.1+cu128", tag)
    for item in FAKES.iterdir():
        if item.suffix == ".py" or item.is_dir():
            (shutil.copytree if item.is_dir() else shutil.copy)(item, site / item.name)
    write_dist(site, "flash_attn", "2.6.3", tag, requires=("torch", "einops"))
    write_dist(site, "xformers", "0.0.23.post1", tag, requires=("torch==2.1.2", "numpy"))
    write_dist(site, "bitsandbytes", "0.41.0", tag, requires=("torch",))
    write_dist(site, "torch_scatter", "2.1.2+pt27cu128", tag)
    write_dist(site, "torch_sparse", "0.6.18+pt27cu128", tag, requires=("scipy",))
    write_dist(site, "torch_cluster", "1.6.3+pt27cu128", tag)
    return python


def test_check_classifies_each_companion_within_its_timeout(venv, tmp_path):
    started = time.monotonic()
    out = doctor(["check", "--json", "--timeout", "8", "--python", str(venv)], doctor_env(), cwd=tmp_path,
                 timeout=60)
    took = time.monotonic() - started
    data = json.loads(out.stdout)
    found = {f["id"]: f for f in data["findings"]}
    imports = {c["name"]: c for c in data["facts"]["companion_imports"]}
    assert imports["flash-attn"]["kind"] == "abi" and imports["flash-attn"]["module"] == "flash_attn_2_cuda"
    assert imports["xformers"]["status"] == "ok" and imports["xformers"]["kind"] == "built_for"
    assert imports["bitsandbytes"]["kind"] == "cpu_only"
    assert imports["torch-scatter"]["status"] == "crashed" and "SIGSEGV" in imports["torch-scatter"]["error"]
    assert imports["torch-sparse"]["status"] == "timeout"
    assert imports["torch-cluster"]["status"] == "ok" and imports["torch-cluster"]["kind"] is None
    assert found["companion.abi_mismatch"]["severity"] == "error"
    assert "PyTorch 2.1.2+cu121" in found["companion.built_for_other_torch"]["message"]
    assert "xformers 0.0.23.post1 requires torch==2.1.2" in found["companion.pinned_other_torch"]["message"]
    assert found["companion.cpu_only"]["severity"] == "error"  # the fake torch is a CUDA 12.8 build
    assert out.returncode == 1
    assert took < 8 + 25, took  # the hang costs its own 8 s, not the run


TODO = [("flash-attn", ("flash_attn_2_cuda", "flash_attn")), ("xformers", ("xformers.ops",)),
        ("bitsandbytes", ("bitsandbytes",)), ("torch-scatter", ("torch_scatter",)),
        ("torch-sparse", ("torch_sparse",)), ("torch-cluster", ("torch_cluster",))]
EXPECTED = {"flash-attn": ("import_failed", "abi"), "xformers": ("ok", "built_for"), "bitsandbytes": ("ok", "cpu_only"),
            "torch-scatter": ("crashed", "crashed"), "torch-sparse": ("timeout", "timeout"), "torch-cluster": ("ok", None)}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the fork path is Linux's")
def test_the_fork_path_answers_for_each_companion(venv, tmp_path):
    from torchdoctor.probes.companions import import_forked

    found = import_forked(TODO, str(venv), 5.0, str(tmp_path), 30.0)
    assert found is not None  # not the fallback
    assert {c.name: (c.status, c.kind) for c in found} == EXPECTED


def test_one_child_per_companion_answers_the_same(venv, tmp_path):
    from torchdoctor.probes.companions import import_one

    found = [import_one(name, mods, str(venv), 5.0, str(tmp_path)) for name, mods in TODO]
    assert {c.name: (c.status, c.kind) for c in found} == EXPECTED
