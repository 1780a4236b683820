"""`torchdoctor smoke` end to end: real children, real training on the CPU (the dev venv's torch).

Tests that need torch in the interpreter running the tests skip cleanly without it.
"""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from torchdoctor.cli import main

HAS_TORCH = importlib.util.find_spec("torch") is not None  # found, never imported here
needs_torch = pytest.mark.skipif(not HAS_TORCH, reason="needs torch in this interpreter")
slow = pytest.mark.slow


def run_cli(capsys, *args):
    with pytest.raises(SystemExit) as exc:
        main(["smoke", *args])
    out, err = capsys.readouterr()
    return exc.value.code, out, err


def _torch_build():
    """The build of the torch this interpreter would import, read from its version metadata."""
    from importlib.metadata import version

    return version("torch")


def test_unknown_device_is_exit_2_without_running(capsys):
    code, out, err = run_cli(capsys, "--device", "gpu")
    assert code == 2 and out == ""
    assert err.startswith("torchdoctor: error: unknown device 'gpu'") and "Traceback" not in err
    assert "running" not in err  # nothing was started


def test_nproc_without_distributed_is_usage_error(capsys):
    code, _, err = run_cli(capsys, "--device", "cpu", "--nproc", "2")
    assert code == 2 and "--distributed" in err


def test_plot_without_matplotlib_is_exit_2_before_training(capsys, monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    code, out, err = run_cli(capsys, "--device", "cpu", "--plot", str(tmp_path / "loss.png"))
    assert code == 2 and out == ""
    assert "pip install 'torchdoctor[plot]'" in err and "pip install matplotlib" in err
    assert err.count("\n") == 1 and not (tmp_path / "loss.png").exists()


def test_plot_into_missing_folder_is_exit_2(capsys, tmp_path):
    code, _, err = run_cli(capsys, "--device", "cpu", "--plot", str(tmp_path / "no" / "loss.png"))
    assert code == 2 and "does not exist" in err


def test_bad_python_is_exit_2(capsys, tmp_path):
    code, _, err = run_cli(capsys, "--device", "cpu", "--python", str(tmp_path / "nope" / "python"))
    assert code == 2 and "--python" in err and "no such interpreter or virtualenv" in err  # torchdoctor.target


@slow
@needs_torch
def test_cpu_really_trains_json(capsys):
    code, out, err = run_cli(capsys, "--device", "cpu", "--json", "--seed", "3")
    report = json.loads(out)
    assert code == 0 and report["schema"] == 1 and report["ok"] is True
    assert report["torch"]["torch_version"] == _torch_build()
    [cpu] = report["devices"]
    assert cpu["device"] == "cpu" and cpu["ok"] and cpu["status"] == "passed"
    assert abs(cpu["w"] - 2.0) < 1e-3 and cpu["w"] == cpu["classic"]["w"]
    assert cpu["final_loss"] < 1e-6 and cpu["seconds"] > 0
    classic = cpu["classic"]
    assert len(classic["loss_curve"]) == 100 and classic["loss_curve"][0] > classic["loss_curve"][-1]
    # |w - 2| shrinks by (1-2*0.01*1)(1-2*0.01*4)(1-2*0.01*9) = 0.739 per epoch: 1e-3 is crossed at epoch 23
    assert classic["converged_epoch"] == 23
    assert abs(classic["prediction_at_4"] - 8.0) < 1e-2
    grads = cpu["gradcheck"]["max_rel_err"]
    assert set(grads) == {"float64", "float32"}
    assert set(grads["float64"]) == {"dl/dw", "dJ/dW1", "dJ/dW2", "dJ/dh", "dJ/do"}
    assert max(grads["float64"].values()) < 1e-10 and max(grads["float32"].values()) < 1e-4
    assert max(cpu["agreement"]["max_rel_err"].values()) < 1e-4
    assert cpu["throughput"]["steps_per_s"] > 0 and cpu["timings"]["first_op_seconds"] is not None
    assert cpu["settings"]["allow_tf32"] is False
    assert "smoke: cpu running" in err and "smoke: cpu passed" in err  # progress goes to stderr


@slow
@needs_torch
def test_too_few_epochs_fails_for_real(capsys):
    code, out, err = run_cli(capsys, "--device", "cpu", "--epochs", "5")
    assert code == 1
    assert "cpu  FAILED" in out and "did not converge" in out and "1 of 1 device(s) failed: cpu" in out


@slow
@needs_torch
def test_all_on_this_machine_with_plot(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    png = tmp_path / "loss.png"
    code, out, err = run_cli(capsys, "--plot", str(png))
    assert code == 0 and "cpu  PASSED" in out and "All" in out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if "+cpu" in _torch_build():
        assert "not available: cuda is not available: this torch is a CPU-only build" in out


@slow
@needs_torch
def test_missing_cuda_on_a_cpu_build_is_one_line_exit_1(capsys):
    if "+cpu" not in _torch_build():
        pytest.skip("needs a CPU-only torch build")
    for device in ("cuda", "cuda:1"):
        code, out, err = run_cli(capsys, "--device", device, "--json")
        assert code == 1
        line = [l for l in err.splitlines() if l.startswith("torchdoctor: error:")]
        assert len(line) == 1 and f"{device} is not available: this torch is a CPU-only build" in line[0]
        assert json.loads(out)["ok"] is False and json.loads(out)["devices"] == []


@slow
def test_torch_missing_in_another_interpreter(capsys, tmp_path):
    env = tmp_path / "bare"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True, timeout=120)
    python = env / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    code, out, err = run_cli(capsys, "--device", "cpu", "--python", str(python))
    assert code == 1 and out == ""
    assert "torch is not installed for" in err and "torchdoctor suggest" in err
    assert "Traceback" not in err


@slow
def test_real_subprocess_cli_never_prints_a_traceback(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "torchdoctor", "smoke", "--device", "cuda:x"],
                          capture_output=True, text=True, timeout=60, cwd=Path(__file__).parents[2])
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "unknown device" in proc.stderr


@slow
@needs_torch
def test_real_child_turns_a_device_error_into_data():
    """Force the child onto cuda:0 of a CPU-only torch: every stage fails, none crashes the child."""
    if "+cpu" not in _torch_build():
        pytest.skip("needs a CPU-only torch build")
    from torchdoctor.child import run_script
    from torchdoctor.probes.devices import CHILD_SCRIPT
    from torchdoctor.verdicts.smoke import judge_device

    res = run_script(CHILD_SCRIPT, ["--device", "cuda:0"], timeout=120)
    assert res.status == "ok" and res.data["torch"]["build"] == "cpu"
    v = judge_device("cuda:0", res.status, res.detail, res.data, res.stderr)
    assert v.status == "error" and set(v.checks.values()) == {"error"}
    assert v.problems[0].startswith("init: ") and "not compiled with CUDA" in v.problems[0]
