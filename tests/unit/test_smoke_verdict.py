"""Pure judges of smoke runs, and the report/rendering of fake GPU answers (no GPU needed)."""

import json
import math

import pytest

from torchdoctor.child import ChildResult
from torchdoctor.operations.smoke import collect
from torchdoctor.sanitize import strict_json as json_safe
from torchdoctor.verdicts import smoke as verdict
from torchdoctor.requests import parse_device as parse_request

NO_KERNEL = ("RuntimeError: CUDA error: no kernel image is available for execution on the device\n"
             "CUDA kernel errors might be asynchronously reported at some other API call, so the stacktrace "
             "below might be incorrect.\nFor debugging consider passing CUDA_LAUNCH_BLOCKING=1")
SM120_WARNING = ("NVIDIA GeForce RTX 5090 with CUDA capability sm_120 is not compatible with the current "
                 "PyTorch installation. The current PyTorch install supports CUDA capabilities sm_50 sm_60 "
                 "sm_70 sm_75 sm_80 sm_86 sm_90.")


def good_classic(**over):
    c = {"w": 2.0000007, "final_loss": 3.6e-12, "converged_epoch": 23, "loss_curve": [7.3, 4.0, 3.6e-12],
         "prediction_at_4": 8.000003, "seconds": 0.03, "epochs": 100, "lr": 0.01, "dtype": "float32"}
    c.update(over)
    return c


def good_answer(device="cpu", **over):
    data = {
        "device": device, "import_seconds": 1.2,
        "torch": {"torch_version": "2.13.0+cpu", "cuda": None, "hip": None, "build": "cpu", "python": "3.11.7",
                  "cuda_available": False, "cuda_count": 0, "mps_built": False, "mps_available": False,
                  "xpu_built": False, "xpu_available": False, "xpu_count": 0, "platform": "linux",
                  "executable": "/usr/bin/python3"},
        "init": {"first_op_seconds": 0.002, "name": "x86_64"},
        "classic": good_classic(),
        "gradcheck": {"max_rel_err": {"float64": {"dl/dw": 0.0, "dJ/dW1": 1.5e-16},
                                      "float32": {"dl/dw": 0.0, "dJ/dW1": 1.3e-7}}},
        "agreement": {"dtype": "float32", "reference": "cpu float64",
                      "max_rel_err": {"W1": 4e-7, "W2": 1e-7, "w": 3.6e-7}},
        "throughput": {"steps_per_s": 400.0, "finite": True, "dtype": "float32"},
    }
    data.update(over)
    return data


def test_converged_classic_passes_and_unconverged_fails():
    assert verdict.judge_classic(good_classic()) == []
    problems = verdict.judge_classic(good_classic(w=2.31, converged_epoch=None, epochs=5, prediction_at_4=9.24))
    assert any("did not converge" in p and "w = 2.31" in p for p in problems)
    assert any("predicts 9.24" in p for p in problems)


def test_diverged_classic_is_reported():
    problems = verdict.judge_classic(good_classic(w=float("nan"), final_loss=float("inf")))
    assert problems and "diverged" in problems[0]


def test_gradient_tolerances_per_dtype():
    assert verdict.judge_gradcheck({"max_rel_err": {"float64": {"dJ/dW1": 1e-15}, "float32": {"dJ/dW1": 5e-7}}}) == []
    # a TF32-sized error (~1e-3) is too much for float32
    p = verdict.judge_gradcheck({"max_rel_err": {"float32": {"dJ/dW2": 1.2e-3}}})
    assert len(p) == 1 and "dJ/dW2" in p[0] and "float32" in p[0]
    # a float32-sized error is too much for float64
    assert verdict.judge_gradcheck({"max_rel_err": {"float64": {"dl/dw": 1e-7}}})
    assert verdict.judge_gradcheck({"max_rel_err": {"float32": {"dl/dw": float("nan")}}})
    assert verdict.judge_gradcheck({}) == ["the gradient check produced no numbers"]


def test_agreement_tolerance():
    assert verdict.judge_agreement({"dtype": "float32", "max_rel_err": {"W1": 2e-6}}) == []
    p = verdict.judge_agreement({"dtype": "float32", "max_rel_err": {"W1": 0.3}})
    assert p and "W1" in p[0] and "CPU float64" in p[0]


def test_good_device_passes():
    v = verdict.judge_device("cpu", "ok", "", good_answer())
    assert v.ok and v.status == "passed" and v.problems == ()
    assert set(v.checks.values()) == {"passed"}


def test_no_kernel_image_is_a_failed_device_with_that_message():
    data = good_answer("cuda:0")
    for stage in ("init", "classic", "gradcheck", "agreement", "throughput"):
        data[stage] = {"error": NO_KERNEL}
    v = verdict.judge_device("cuda:0", "ok", "", data)
    assert not v.ok and v.status == "error"
    assert v.problems[0] == "init: RuntimeError: CUDA error: no kernel image is available for execution on the device"


def test_timeout_keeps_partial_results_and_says_where():
    data = good_answer("cuda:1")
    for stage in ("gradcheck", "agreement", "throughput"):
        del data[stage]
    v = verdict.judge_device("cuda:1", "timeout", "no answer within 5.0 s", data, timeout=5)
    assert v.problems[0].startswith("did not finish within 5 s during gradcheck")
    assert v.status == "timeout" and not v.ok
    assert "during gradcheck" in v.problems[0] and "5 s" in v.problems[0]
    assert v.checks["classic"] == "passed" and v.checks["gradcheck"] == "missing"


def test_timeout_before_torch_imported_says_so():
    v = verdict.judge_device("cpu", "timeout", "", {}, timeout=0.3)
    assert v.problems[0].startswith("did not finish within 0.3 s during import torch")


def test_crash_names_the_cuda_error_from_stderr():
    stderr = "Traceback (most recent call last):\n  File ...\n" + NO_KERNEL
    v = verdict.judge_device("cuda:0", "crashed", "python was killed by signal 11", {"device": "cuda:0"}, stderr)
    assert v.status == "crashed"
    assert "signal 11" in v.problems[0] and "no kernel image" in v.problems[0]


def test_first_error_line_prefers_cuda_errors():
    assert verdict.first_error_line(NO_KERNEL).endswith("CUDA error: no kernel image is available for execution on the device")
    assert verdict.first_error_line("x\nwarning: out of memory soon\nCUDA error: out of memory") == "CUDA error: out of memory"
    assert verdict.first_error_line("blah\nValueError: bad\n") == "ValueError: bad"
    assert verdict.first_error_line("") == ""


def test_device_entry_has_classic_at_top_level():
    data = good_answer()
    e = verdict.device_entry(verdict.judge_device("cpu", "ok", "", data), data, 2.5)
    assert e["w"] == data["classic"]["w"] and e["final_loss"] == 3.6e-12 and e["seconds"] == 0.03
    assert e["classic"]["loss_curve"] == [7.3, 4.0, 3.6e-12]
    assert e["timings"]["child_seconds"] == 2.5 and e["timings"]["first_op_seconds"] == 0.002


def test_json_safe_replaces_non_finite():
    out = json.loads(json.dumps(json_safe({"a": [1.0, float("nan")], "b": {"c": float("inf")}})))
    assert out == {"a": [1.0, None], "b": {"c": None}}


# ---------------------------------------------------------------- a fake CUDA machine

def cuda_torch_info(count=1):
    info = dict(good_answer()["torch"])
    info.update(torch_version="2.6.0+cu126", cuda="12.6", build="cuda", cuda_available=True, cuda_count=count)
    return info


class FakeRunner:
    """Plays the child for each argv: discovery and per-device answers."""

    def __init__(self, answers):
        self.answers = answers
        self.calls = []

    def __call__(self, args, timeout, python):
        self.calls.append(list(args))
        key = "discover" if "--discover" in args else args[args.index("--device") + 1]
        status, data, stderr = self.answers[key]
        return ChildResult(status, data, "", stderr, 0 if status == "ok" else 1, 1.5,
                           "" if status == "ok" else "python exited with status 1")


def rtx5090_runner():
    bad = good_answer("cuda:0", torch=cuda_torch_info(), warnings=[SM120_WARNING])
    for stage in ("init", "classic", "gradcheck", "agreement", "throughput"):
        bad[stage] = {"error": NO_KERNEL}
    cpu = good_answer("cpu", torch=cuda_torch_info())
    return FakeRunner({"cpu": ("ok", cpu, ""), "cuda:0": ("ok", bad, ""),
                       "discover": ("ok", {"torch": cuda_torch_info()}, "")})


def test_fake_gpu_without_kernels_fails_and_renders_the_message():
    from rich.console import Console

    from torchdoctor.render.smoke import render_report

    runner = rtx5090_runner()
    report = collect(parse_request("all"), epochs=100, seed=0, timeout=60, python=None, runner=runner)
    assert [c[1] for c in runner.calls] == ["cpu", "cuda:0"]  # the CPU child doubled as discovery
    assert report["ok"] is False
    cuda = report["devices"][1]
    assert cuda["device"] == "cuda:0" and cuda["ok"] is False and cuda["status"] == "error"
    assert "no kernel image is available" in cuda["problems"][0]
    console = Console(record=True, width=160, color_system=None)
    render_report(report, console)
    text = console.export_text()
    assert "cuda:0  ERROR" in text and "no kernel image is available for execution on the device" in text
    assert "sm_120 is not compatible" in text
    assert "1 of 2 device(s) failed: cuda:0" in text


def test_explicit_cuda_uses_one_discovery_child_then_each_gpu():
    good = good_answer("cuda:0", torch=cuda_torch_info(2))
    runner = FakeRunner({"discover": ("ok", {"torch": cuda_torch_info(2)}, ""),
                         "cuda:0": ("ok", good, ""), "cuda:1": ("ok", dict(good, device="cuda:1"), "")})
    report = collect(parse_request("cuda"), epochs=100, seed=0, timeout=60, python=None, runner=runner)
    assert [c[0] for c in runner.calls] == ["--discover", "--device", "--device"]
    assert [d["device"] for d in report["devices"]] == ["cuda:0", "cuda:1"] and report["ok"]


def test_missing_gpu_index_is_an_error_with_the_count():
    runner = FakeRunner({"discover": ("ok", {"torch": cuda_torch_info(1)}, "")})
    report = collect(parse_request("cuda:3"), epochs=100, seed=0, timeout=60, python=None, runner=runner)
    assert report["ok"] is False and report["devices"] == []
    assert "cuda:3 does not exist: torch sees 1 CUDA device" in report["error"]


@pytest.mark.parametrize("epochs", [0, -1])
def test_bad_epochs_is_usage_error(epochs):
    from torchdoctor.commands.smoke import run_smoke
    from torchdoctor.errors import UsageError

    with pytest.raises(UsageError):
        run_smoke(device="cpu", epochs=epochs)


def test_nan_is_not_finite_helper():
    assert not verdict._finite(math.nan) and verdict._finite(1)
