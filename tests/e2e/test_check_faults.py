"""Real fault injection: a throwaway venv whose `import torch` raises the real error texts, aborts,
segfaults or hangs; a fake nvidia-smi replaying the real H200 capture, hanging or printing noise;
shadowing files; no HOME, read-only cwd, LANG=C, NO_COLOR, TERM=dumb."""

from __future__ import annotations

import json
import os
import sys

import pytest

from helpers.fake_envs import doctor, doctor_env, fake_smi_dir, make_venv, wheel_tag, write_dist
from torchdoctor.probes.torch_runtime import probe_target

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX venv layout, signals and sh fake nvidia-smi")


@pytest.fixture(scope="module")
def venv(tmp_path_factory):
    root = tmp_path_factory.mktemp("fakevenv")
    python, site = make_venv(root / "v")
    tag = wheel_tag(python)
    write_dist(site, "torch", "2.7.1+cu128", tag, requires=("nvidia-cudnn-cu12==9.7.1.26",))
    return {"python": python, "site": site, "tag": tag, "root": root}


def probe(venv, monkeypatch, mode, timeout=30.0, **env):
    monkeypatch.setenv("FAKE_TORCH_MODE", mode)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return probe_target(python=str(venv["python"]), timeout=timeout, with_dists=True)


def run_json(venv, mode, tmp_path, extra_args=(), **env):
    out = doctor(["check", "--json", "--python", str(venv["python"]), *extra_args],
                 doctor_env(FAKE_TORCH_MODE=mode, **env), cwd=tmp_path)
    assert out.stdout.lstrip().startswith("{"), out.stderr
    data = json.loads(out.stdout)
    return out, data, {f["id"]: f for f in data["findings"]}


def test_missing_cudnn_is_classified_with_the_exact_text(venv, monkeypatch):
    t = probe(venv, monkeypatch, "libcudnn")
    assert t.runtime.status == "import_failed" and t.runtime.error_kind == "missing_library"
    assert t.runtime.error == "libcudnn.so.9: cannot open shared object file: No such file or directory"
    assert [d.version for d in t.distributions if d.name == "torch"] == ["2.7.1+cu128"]
    assert t.python is not None and t.python.bits == 64


def test_undefined_symbol_and_winerror_are_classified(venv, monkeypatch):
    assert probe(venv, monkeypatch, "undefined_symbol").runtime.error_kind == "undefined_symbol"
    t = probe(venv, monkeypatch, "winerror126")
    assert t.runtime.error_kind == "dll_load" and t.runtime.error_type == "OSError"


@pytest.mark.parametrize("mode,signame", [("abort", "SIGABRT"), ("segv", "SIGSEGV")])
def test_a_crash_in_import_is_a_finding(venv, monkeypatch, mode, signame):
    t = probe(venv, monkeypatch, mode)
    assert t.runtime.status == "crashed" and signame in t.runtime.error
    assert t.python is not None  # the stage before the import still answered


def test_import_that_hangs_times_out(venv, monkeypatch):
    t = probe(venv, monkeypatch, "sleep", timeout=3)
    assert t.runtime.status == "timeout" and "within 3 s" in t.runtime.error
    assert t.note.seconds < 20


def test_cuda_init_hang_still_says_the_import_worked(venv, monkeypatch):
    t = probe(venv, monkeypatch, "hang_cuda", timeout=4)
    assert t.runtime.status == "ok" and t.runtime.version == "2.7.1+cu128"
    assert "CUDA initialisation did not finish within 4 s" in t.runtime.cuda_init_error
    assert any("entering CUDA init" in w for w in t.runtime.warnings)


def test_warnings_during_cuda_init_are_captured(venv, monkeypatch):
    t = probe(venv, monkeypatch, "err804")
    assert t.runtime.cuda_available is False
    assert any("Error 804: forward compatibility was attempted" in w for w in t.runtime.warnings)


def test_cli_libcudnn_finding_and_exit_1(venv, tmp_path):
    out, data, by_id = run_json(venv, "libcudnn", tmp_path)
    assert out.returncode == 1 and data["schema"] == 1
    f = by_id["torch.import_failed"]
    assert f["severity"] == "error" and "libcudnn.so.9" in f["message"] and "nvidia-cudnn" in f["message"]
    assert f["fix"]["summary"]


def test_cli_segfault_is_an_error_not_a_dead_doctor(venv, tmp_path):
    out, data, by_id = run_json(venv, "segv", tmp_path)
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert by_id["torch.import_failed"]["severity"] == "error" and "SIGSEGV" in by_id["torch.import_failed"]["message"]


def test_cli_timeout_flag_bounds_the_probe(venv, tmp_path):
    import time

    started = time.monotonic()
    out, data, by_id = run_json(venv, "sleep", tmp_path, ("--timeout", "2"))
    assert time.monotonic() - started < 30
    assert "did not finish within 2 s" in by_id["torch.import_failed"]["message"]


def test_cli_numpy_abi_from_the_real_warning(venv, tmp_path):
    out, data, by_id = run_json(venv, "numpy_abi", tmp_path, FAKE_TORCH_CUDA="")
    assert by_id["numpy.abi"]["severity"] == "error"
    assert "_ARRAY_API not found" in by_id["numpy.abi"]["message"]
    assert 'numpy<2' in by_id["numpy.abi"]["fix"]["commands"][0]


def test_shadowing_torch_py_in_the_working_directory(venv, tmp_path):
    (tmp_path / "torch.py").write_text("x = 1\n")
    out, data, by_id = run_json(venv, "cpu", tmp_path)
    assert by_id["torch.shadowed"]["severity"] == "error"
    assert "torch.py" in by_id["torch.shadowed"]["message"]
    # the child imported the shadow, exactly as the user's `python -c "import torch"` would
    assert data["facts"]["runtime"]["version"] is None
    assert out.returncode == 1


def test_fake_nvidia_smi_replays_the_h200_and_a_cpu_build_is_flagged(venv, tmp_path):
    smi = fake_smi_dir(tmp_path / "bin")
    env = {"PATH": f"{smi}{os.pathsep}{os.environ['PATH']}", "FAKE_TORCH_VERSION": "2.7.1+cpu", "FAKE_TORCH_CUDA": ""}
    write_dist(venv["site"], "torch", "2.7.1+cpu", venv["tag"])
    try:
        out, data, by_id = run_json(venv, "cpu", tmp_path, **env)
        strict = doctor(["check", "--strict", "--python", str(venv["python"])],
                        doctor_env(FAKE_TORCH_MODE="cpu", **env), cwd=tmp_path)
    finally:
        write_dist(venv["site"], "torch", "2.7.1+cu128", venv["tag"], requires=("nvidia-cudnn-cu12==9.7.1.26",))
    assert strict.returncode == 1  # ...unless --strict
    assert "torch.cpu_build_with_gpu" in strict.stdout
    assert data["facts"]["nvidia"]["driver"] == "580.159.04"
    assert any(g["name"] == "NVIDIA H200" for g in data["facts"]["gpus"])
    f = by_id["torch.cpu_build_with_gpu"]
    assert f["severity"] == "warning" and "NVIDIA H200" in f["message"] and "2.7.1+cpu" in f["message"]
    assert "GPU-3ea7b743" not in out.stdout  # no UUIDs in any output
    # the old +cpu build satisfies torch==X, so the fix removes it before installing the CUDA build
    cmds = f["fix"]["commands"]
    assert cmds and "uninstall -y torch" in cmds[0] and str(venv["python"]) in cmds[0]
    assert "install" in cmds[-1] and "+cpu" not in cmds[-1]
    assert by_id["container.gpu_devices"]["severity"] == "ok"  # the driver answered: devices were passed in
    assert out.returncode == 0  # a warning alone does not fail...


def test_pypi_cuda_wheel_live_is_one_install_not_a_mix(venv, tmp_path):
    # PyPI's torch 2.11.0 CUDA wheel: dist-info says 2.11.0, torch.__version__ says 2.11.0+cu130
    env = {"FAKE_TORCH_VERSION": "2.11.0+cu130", "FAKE_TORCH_CUDA": "13.0"}
    write_dist(venv["site"], "torch", "2.11.0", venv["tag"])
    try:
        _, data, by_id = run_json(venv, "cpu", tmp_path, **env)
        _, _, mixed_by_id = run_json(venv, "cpu", tmp_path, FAKE_TORCH_VERSION="2.10.0+cu130",
                                         FAKE_TORCH_CUDA="13.0")
    finally:
        write_dist(venv["site"], "torch", "2.7.1+cu128", venv["tag"], requires=("nvidia-cudnn-cu12==9.7.1.26",))
    assert data["facts"]["runtime"]["version"] == "2.11.0+cu130"
    assert [d["version"] for d in data["facts"]["distributions"] if d["name"] == "torch"] == ["2.11.0"]
    assert by_id["torch.multiple_installs"]["severity"] == "ok", by_id["torch.multiple_installs"]
    assert mixed_by_id["torch.multiple_installs"]["severity"] == "error"  # a real mix still is one


@pytest.mark.parametrize("mode", ["hang", "noise", "fail"])
def test_misbehaving_nvidia_smi_is_a_fact_and_the_check_goes_on(venv, tmp_path, mode):
    smi = fake_smi_dir(tmp_path / "bin")
    env = {"PATH": f"{smi}{os.pathsep}{os.environ['PATH']}", "FAKE_SMI_MODE": mode}
    out, data, by_id = run_json(venv, "no_driver", tmp_path, **env)
    assert data["facts"]["nvidia"] is None or not data["facts"]["nvidia"].get("driver")
    assert "torch.import_failed" in by_id and by_id["torch.import_failed"]["severity"] == "ok"
    assert "Traceback" not in out.stderr


def test_hostile_environment_no_home_readonly_cwd_lang_c(venv, tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    env = doctor_env(FAKE_TORCH_MODE="cpu", LANG="C", LC_ALL="C", NO_COLOR="1", TERM="dumb")
    env.pop("HOME", None)
    try:
        out = doctor(["check", "--python", str(venv["python"])], env, cwd=ro)
    finally:
        ro.chmod(0o755)
    assert out.returncode in (0, 1), out.stderr
    assert "Traceback" not in out.stderr and "\x1b[" not in out.stdout
    assert "[OK] Python" in out.stdout  # ASCII glyphs under LANG=C
    assert "✓" not in out.stdout
