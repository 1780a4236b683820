"""smoke's child against the TF32 switches of old torch (allow_tf32 only) and new (fp32_precision, 2.9+)."""

from __future__ import annotations

import importlib.util
import sys
import types

import pytest

from torchdoctor.patient import script, workloads

CHILD = script("smoke_child")


@pytest.fixture()
def child():
    saved = list(sys.path)
    spec = importlib.util.spec_from_file_location("_smoke_child_under_test", CHILD)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert sys.path == saved  # patient code never touches sys.path
    return module


def legacy_torch():
    ns = types.SimpleNamespace
    return ns(backends=ns(cuda=ns(matmul=ns(allow_tf32=True)), cudnn=ns(allow_tf32=True)))


def test_old_torch_without_matmul_precision(child):
    torch = legacy_torch()  # torch 1.11: allow_tf32 flags only
    assert child._precision_settings(torch) == {"allow_tf32": False}
    assert torch.backends.cudnn.allow_tf32 is False


def test_new_torch_uses_fp32_precision_and_not_the_deprecated_flags(child):
    ns = types.SimpleNamespace
    torch = ns(backends=ns(fp32_precision="none", cuda=ns(matmul=ns(fp32_precision="tf32")),
                           cudnn=ns(conv=ns(fp32_precision="tf32"))),
               get_float32_matmul_precision=lambda: "highest")
    out = child._precision_settings(torch)
    assert out == {"fp32_precision": "ieee", "allow_tf32": False, "float32_matmul_precision": "highest"}
    assert torch.backends.cudnn.conv.fp32_precision == "ieee"
    assert not hasattr(torch.backends.cuda.matmul, "allow_tf32")


def test_mps_synchronize_falls_back_on_torch_1_x():
    made = []
    torch = types.SimpleNamespace(zeros=lambda *a, **k: made.append(k) or types.SimpleNamespace(cpu=lambda: None))
    workloads.synchronize(torch, "mps")
    assert made == [{"device": "mps"}]
