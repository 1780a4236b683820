"""The runtime child against torch APIs old (1.13) and new (2.15), with stand-in torch modules.

The real GPU paths cannot run here; these pin the shapes the child must accept: nccl.version() as an
int (old) or a tuple (new), no torch.backends.mps / torch.xpu / torch.version.hip, properties without
gcnArchName, and CUDA_VISIBLE_DEVICES that hides every GPU (init() is not called: it can hang)."""

from __future__ import annotations

import importlib.util
import json
import types

import pytest

from torchdoctor.probes.torch_runtime import CHILD


@pytest.fixture()
def child(capsys):
    spec = importlib.util.spec_from_file_location("_torch_child_under_test", CHILD)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.STATE.clear()
    module.STATE.update({"stage": "started", "warnings": []})

    def last_answer():
        lines = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith(module.MARKER)]
        return json.loads(lines[-1][len(module.MARKER):])

    module.last_answer = last_answer
    return module


def fake_torch(available=True, nccl=(2, 28, 9), hip=None, with_gfx=False, init=None):
    props = types.SimpleNamespace(name="NVIDIA H200", major=9, minor=0, total_memory=150109880320)
    if with_gfx:
        props.gcnArchName = "gfx942:sramecc+:xnack-"
    calls = []

    def _init():
        calls.append("init")
        if init:
            raise init

    cuda = types.SimpleNamespace(
        is_available=lambda: available, device_count=lambda: 1 if available else 0,
        get_device_properties=lambda i: props, get_arch_list=lambda: ["sm_80", "sm_90"],
        nccl=types.SimpleNamespace(version=lambda: nccl), init=_init)
    version = types.SimpleNamespace(cuda="13.0" if hip is None else None)
    if hip is not None:
        version.hip = hip
    backends = types.SimpleNamespace(cudnn=types.SimpleNamespace(is_available=lambda: True, version=lambda: 91900))
    return types.SimpleNamespace(version=version, cuda=cuda, backends=backends), calls


@pytest.mark.parametrize("nccl, text", [((2, 28, 9), "2.28.9"), (2708, "2.7.8"), (21805, "2.18.5")])
def test_nccl_version_old_int_and_new_tuple(child, nccl, text):
    torch, _ = fake_torch(nccl=nccl)
    child.cuda_facts(torch)
    a = child.last_answer()
    assert a["nccl"] == text and a["cudnn"] == 91900
    assert a["devices"] == [{"index": 0, "name": "NVIDIA H200", "capability": [9, 0], "memory_mib": 143155,
                             "gfx": None}]  # 143155 MiB: the H200's own figure in torch-probe.txt


def test_rocm_device_reports_its_gfx_and_old_torch_lacks_mps_and_xpu(child):
    torch, _ = fake_torch(hip="6.3.42131", with_gfx=True)
    child.cuda_facts(torch)
    child.other_backends(torch)
    a = child.last_answer()
    assert a["hip"] == "6.3.42131" and a["cuda"] is None
    assert a["devices"][0]["gfx"] == "gfx942:sramecc+:xnack-"
    assert a["mps_built"] is None and a["xpu_available"] is None


@pytest.mark.parametrize("cvd, called", [("", False), ("-1", False), ("7", True), (None, True)])
def test_init_is_not_retried_when_cuda_visible_devices_hides_every_gpu(child, monkeypatch, cvd, called):
    if cvd is None:
        monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    else:
        monkeypatch.setenv("CUDA_VISIBLE_DEVICES", cvd)
    torch, calls = fake_torch(available=False, init=RuntimeError("No CUDA GPUs are available"))
    child.cuda_facts(torch)
    a = child.last_answer()
    assert a["cuda_available"] is False and a["device_count"] == 0 and a["nccl"] is None
    assert (calls == ["init"]) is called
    if called:
        assert a["cuda_init_error"] == "RuntimeError: No CUDA GPUs are available"


def test_a_torch_without_version_attributes_still_answers(child):
    torch, _ = fake_torch()
    del torch.version
    child.cuda_facts(torch)
    assert child.last_answer()["cuda"] is None
