"""Device requests and the one-line reasons a device is missing (pure)."""

import pytest

from torchdoctor.errors import UsageError
from torchdoctor.patient.torch_build import build_kind
from torchdoctor.probes.devices import available, resolve, why_missing
from torchdoctor.requests import DeviceRequest as Request, parse_device as parse_request


def info(**over):
    base = {"torch_version": "2.13.0+cpu", "cuda": None, "hip": None, "cuda_available": False, "cuda_count": 0,
            "cuda_warnings": [], "mps_built": False, "mps_available": False, "xpu_built": False,
            "xpu_available": False, "xpu_count": 0, "platform": "linux", "cuda_visible_devices": None}
    base.update(over)
    return base


@pytest.mark.parametrize("text,kind,index", [("cpu", "cpu", None), ("CUDA", "cuda", None), ("cuda:1", "cuda", 1),
                                             (" mps ", "mps", None), ("xpu", "xpu", None), ("all", "all", None)])
def test_parse_request(text, kind, index):
    r = parse_request(text)
    assert (r.kind, r.index) == (kind, index)


@pytest.mark.parametrize("text", ["gpu", "cuda:x", "cuda:", "cpu:1", "all:0", "", "tpu", "cuda:-1"])
def test_unknown_device_is_usage_error(text):
    with pytest.raises(UsageError, match="unknown device"):
        parse_request(text)


def test_cpu_only_build_explains_itself():
    i = info()
    assert build_kind(i) == "cpu" and available(i) == ["cpu"]
    devices, why = resolve(parse_request("cuda"), i)
    assert devices == [] and "this torch is a CPU-only build (2.13.0+cpu)" in why and "torchdoctor suggest" in why


def test_cuda_build_without_gpu_passes_on_the_warning():
    i = info(torch_version="2.7.1+cu128", cuda="12.8",
             cuda_warnings=["CUDA initialization: The NVIDIA driver on your system is too old (found version 11040)."])
    why = why_missing(Request("cuda:0", "cuda", 0), i)
    assert "CUDA build (2.7.1+cu128, CUDA 12.8)" in why and "driver on your system is too old" in why


def test_empty_cuda_visible_devices_is_named():
    i = info(torch_version="2.7.1+cu128", cuda="12.8", cuda_visible_devices="")
    assert "CUDA_VISIBLE_DEVICES is set but empty" in why_missing(Request("cuda", "cuda", None), i)


def test_index_past_the_count():
    i = info(torch_version="2.7.1+cu128", cuda="12.8", cuda_available=True, cuda_count=2)
    assert resolve(parse_request("cuda"), i) == (["cuda:0", "cuda:1"], None)
    assert resolve(parse_request("cuda:1"), i) == (["cuda:1"], None)
    _, why = resolve(parse_request("cuda:2"), i)
    assert why == "cuda:2 does not exist: torch sees 2 CUDA devices (cuda:0..cuda:1)"


def test_rocm_gpus_are_cuda_devices():
    i = info(torch_version="2.7.1+rocm6.3", hip="6.3.42131", cuda_available=True, cuda_count=1)
    assert build_kind(i) == "rocm" and available(i) == ["cpu", "cuda:0"]


def test_mps_and_xpu_reasons():
    assert "needs macOS" in why_missing(Request("mps", "mps", None), info())
    assert "built without MPS" in why_missing(Request("mps", "mps", None), info(platform="darwin"))
    assert available(info(platform="darwin", mps_built=True, mps_available=True)) == ["cpu", "mps"]
    assert "without XPU support" in why_missing(Request("xpu", "xpu", None), info())
    assert "sees no Intel GPU" in why_missing(Request("xpu", "xpu", None), info(xpu_built=True))
    assert available(info(xpu_built=True, xpu_available=True, xpu_count=1)) == ["cpu", "xpu:0"]


def test_all_is_every_available_device():
    i = info(cuda="12.8", cuda_available=True, cuda_count=2)
    assert resolve(parse_request("all"), i) == (["cpu", "cuda:0", "cuda:1"], None)
