"""`smoke --distributed --bandwidth-max SIZE`: the sizes the worker times, and the option's path to it."""

import runpy
from pathlib import Path

import pytest

from torchdoctor.distributed.launch import Plan
from torchdoctor.errors import UsageError
from torchdoctor.requests.distributed import DistributedRequest

WORKER = Path(__file__).resolve().parents[2] / "torchdoctor" / "patient" / "distributed_worker.py"


@pytest.fixture(scope="module")
def worker():
    return runpy.run_path(str(WORKER), run_name="not_main")


def test_sizes_double_up_to_the_maximum(worker):
    sizes = [s for s, _ in worker["bandwidth_sizes"]("cuda", 16 << 30)]
    assert sizes[:3] == [1 << 20, 32 << 20, 256 << 20]  # the table first, unchanged
    assert sizes[3:] == [512 << 20, 1 << 30, 2 << 30, 4 << 30, 8 << 30, 16 << 30]
    assert [s for s, _ in worker["bandwidth_sizes"]("cuda", 0)] == sizes[:3]
    assert [s for s, _ in worker["bandwidth_sizes"]("cpu", 100 << 20)][-1] == 100 << 20
    assert worker["parse_args"](["--bandwidth-max", "17179869184"]).bandwidth_max == 16 << 30


def test_the_option_reaches_the_worker():
    request = DistributedRequest.build(device="cpu", bandwidth_max="16G")
    assert request.bandwidth_max == 16 << 30
    plan = Plan("launch", "cuda", "nccl", 8, 120.0, "python", bandwidth_max=request.bandwidth_max)
    args = plan.worker_args()
    assert args[args.index("--bandwidth-max") + 1] == str(16 << 30)
    assert "--bandwidth-max" not in Plan("launch", "cpu", "gloo", 2, 120.0, "python").worker_args()
    for bad in ("lots", "100T", "0"):
        with pytest.raises(UsageError):
            DistributedRequest.build(device="cpu", bandwidth_max=bad)
