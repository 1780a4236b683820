"""`torchdoctor install` against a real package index served on 127.0.0.1.

Every test makes a real virtualenv and lets the real pip install from the local index
(stand-in wheels, except one test with the real torch 2.13.0 CPU wheel and its proof).
The user's machine is imitated: no local pip settings (PIP_CONFIG_FILE=os.devnull).
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers.fake_envs import doctor as _doctor
from helpers.local_index import (LocalIndex, closed_port_base, make_env, pip_install, repack_installed, stand_in_torch,
                         user_pip_env, write_wheel)
from torchdoctor.facts import Distribution, PythonFacts
from torchdoctor.install import TargetEnv, prepare

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX venv layout")


def doctor(*args: str, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess:
    return _doctor(list(args), env=env, timeout=timeout)


def _torch_version(python: Path) -> str:
    out = subprocess.run([str(python), "-c", "import torch; print(torch.__version__)"], capture_output=True,
                         text=True, timeout=60)
    return out.stdout.strip() or out.stderr.strip()


def _torch_dists(python: Path) -> list[str]:
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                          capture_output=True, text=True, timeout=60).stdout.strip()
    return sorted(p.name for p in Path(site).glob("torch-*.dist-info"))


@pytest.fixture(scope="module")
def wheels(tmp_path_factory):
    """cpu: 2.13.0+cpu and 2.14.1+cpu; cu130: 2.13.0+cu130 (the student's wrong build)."""
    root = tmp_path_factory.mktemp("index")
    stand_in_torch(root / "cpu", "2.13.0+cpu")
    stand_in_torch(root / "cpu", "2.14.1+cpu")
    stand_in_torch(root / "cu130", "2.13.0+cu130", cuda="13.0")
    write_wheel(root / "cpu", "torchvision", "0.28.0+cpu", {"torchvision/__init__.py": "__version__ = '0.28.0+cpu'\n"},
                requires=("torch==2.13.0",))
    write_wheel(root / "cu130", "torchvision", "0.28.0+cu130",
                {"torchvision/__init__.py": "__version__ = '0.28.0+cu130'\n"}, requires=("torch==2.13.0",))
    return root


@pytest.fixture()
def index(wheels):
    with LocalIndex(wheels) as idx:
        yield idx


@pytest.fixture()
def student_venv(tmp_path, index):
    """A venv holding the CUDA build (stand-in) that a machine with no NVIDIA GPU cannot use."""
    python = make_env(tmp_path / "venv")
    env = user_pip_env()
    done = pip_install(python, "torch==2.13.0+cu130", "--index-url", f"{index.base}/cu130", env=env)
    assert done.returncode == 0, done.stderr
    assert _torch_version(python) == "2.13.0+cu130"
    return python


def test_dry_run_shows_the_forced_replacement_and_changes_nothing(student_venv, index):
    res = doctor("install", "--python", str(student_venv), "--torch", "2.13.0", "--index-base", index.base,
                 "--dry-run", "--json", env=user_pip_env())
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["ok"] and out["dry_run"] and out["previous"] == {"torch": "2.13.0+cu130"}
    argvs = [s["argv"] for s in out["steps"]]
    assert argvs[0][:6] == [str(student_venv), "-m", "pip", "install", "--force-reinstall", "--no-deps"]
    assert argvs[0][-3:] == ["torch==2.13.0", "--index-url", f"{index.base}/cpu"]
    assert all(s["exit_code"] is None for s in out["steps"])
    assert _torch_version(student_venv) == "2.13.0+cu130"
    assert not [r for r in index.requests if r.startswith("/whl/cpu/")]


def test_replaces_the_cuda_build_with_the_cpu_build_leaving_one_torch(student_venv, index):
    res = doctor("install", "--python", str(student_venv), "--torch", "2.13.0", "--index-base", index.base,
                 "--yes", "--no-verify", "--json", env=user_pip_env())
    assert res.returncode == 0, res.stdout + res.stderr
    out = json.loads(res.stdout)
    assert out["ok"] and out["installed"] == {"torch": "2.13.0+cpu"}
    assert [s["exit_code"] for s in out["steps"]] == [0, 0]
    assert _torch_version(student_venv) == "2.13.0+cpu"
    assert _torch_dists(student_venv) == ["torch-2.13.0+cpu.dist-info"]


def test_companions_move_with_torch(student_venv, index):
    env = user_pip_env()
    assert pip_install(student_venv, "torchvision==0.28.0+cu130", "--index-url", f"{index.base}/cu130",
                       env=env).returncode == 0
    res = doctor("install", "--python", str(student_venv), "--torch", "2.13.0", "--index-base", index.base,
                 "--yes", "--no-verify", "--json", env=env)
    out = json.loads(res.stdout)
    assert res.returncode == 0, res.stdout + res.stderr
    assert out["installed"] == {"torch": "2.13.0+cpu", "torchvision": "0.28.0+cpu"}


def test_index_down_keeps_the_old_torch(student_venv):
    res = doctor("install", "--python", str(student_venv), "--torch", "2.13.0", "--index-base", closed_port_base(),
                 "--yes", "--no-verify", env=user_pip_env(), timeout=300)
    assert res.returncode == 1
    assert "still has torch 2.13.0+cu130" in res.stdout
    assert _torch_version(student_venv) == "2.13.0+cu130"


def test_inferred_wheel_missing_falls_back_to_the_verified_one(tmp_path, index):
    python = make_env(tmp_path / "fresh")
    res = doctor("install", "--python", str(python), "--index-base", index.base, "--yes", "--no-verify", "--json",
                 env=user_pip_env())
    out = json.loads(res.stdout)
    if out["plan"]["confidence"] != "inferred" or not out["plan"]["retry_torch"]:
        pytest.skip("the planner's newest CPU wheel for this Python is verified: no fallback to exercise")
    assert res.returncode == 0, res.stdout + res.stderr
    assert out["fallback"]["torch"] == out["plan"]["retry_torch"]
    assert out["installed"]["torch"].startswith(out["plan"]["retry_torch"])
    assert out["steps"][0]["exit_code"] != 0 and out["steps"][-1]["exit_code"] == 0


def test_refuses_without_a_terminal_and_without_yes(student_venv, index):
    res = doctor("install", "--python", str(student_venv), "--index-base", index.base, env=user_pip_env())
    assert res.returncode == 2
    assert res.stdout == ""
    assert res.stderr.count("\n") == 1 and "--yes" in res.stderr


def test_a_venv_without_pip_uses_uv_from_path(tmp_path, index):
    uv = shutil.which("uv") or str(Path(sys.executable).with_name("uv"))
    if not os.path.exists(uv):
        pytest.skip("uv is not installed")
    python = make_env(tmp_path / "uvenv", with_pip=False)
    env = user_pip_env(PATH=os.path.dirname(uv) + os.pathsep + os.environ.get("PATH", ""), UV_NO_CONFIG="1",
                       UV_NO_CACHE="1", UV_OFFLINE="0")
    res = doctor("install", "--python", str(python), "--torch", "2.13.0", "--index-base", index.base,
                 "--yes", "--no-verify", "--json", env=env)
    out = json.loads(res.stdout)
    assert res.returncode == 0, res.stdout + res.stderr
    assert os.path.basename(out["steps"][0]["argv"][0]) == "uv"
    assert _torch_version(python) == "2.13.0+cpu"


def test_a_venv_without_pip_or_uv_is_told_how_to_get_pip(tmp_path, index):
    python = make_env(tmp_path / "bare", with_pip=False)
    env = user_pip_env(PATH="/usr/bin:/bin")
    res = doctor("install", "--python", str(python), "--index-base", index.base, "--yes", "--json", env=env)
    out = json.loads(res.stdout)
    assert res.returncode == 1
    assert out["blocked"]["id"] == "install.no_installer"
    assert out["blocked"]["commands"][0]["argv"] == [str(python), "-m", "ensurepip", "--upgrade"]


def test_conda_torch_stops_with_the_conda_safe_sequence(tmp_path, index):
    python = make_env(tmp_path / "condaenv", with_pip=False)
    prefix = tmp_path / "condaenv"
    (prefix / "conda-meta").mkdir()
    (prefix / "conda-meta" / "pytorch-2.5.1-py3.11_cpu_0.json").write_text("{}")
    res = doctor("install", "--python", str(python), "--index-base", index.base, "--yes", "--json",
                 env=user_pip_env(PATH="/usr/bin:/bin"))
    out = json.loads(res.stdout)
    assert res.returncode == 1
    assert out["blocked"]["id"] == "install.conda_torch"
    first = out["blocked"]["commands"][0]["argv"]
    assert first[1:] == ["remove", "-y", "-p", str(prefix), "pytorch"]
    assert "install" in out["blocked"]["commands"][1]["argv"]


def test_externally_managed_python_is_sent_to_a_venv():
    env = TargetEnv("/usr/bin/python3", PythonFacts(version="3.12.3", executable="/usr/bin/python3"),
                    externally_managed=True, has_pip=True)
    plan = _plan()
    out = prepare(env, plan, "linux", lambda name: None)
    assert out.blocked and out.blocked.id == "install.externally_managed"
    assert out.blocked.commands[0].argv[:3] == ("python3", "-m", "venv")
    assert not any("sudo" in c.line for c in out.blocked.commands)


def test_the_planned_build_already_installed_needs_no_step():
    env = TargetEnv("/v/bin/python", PythonFacts(version="3.11.7"), venv=True, has_pip=True,
                    distributions=(Distribution("torch", "2.13.0+cpu", installer="pip"),))
    out = prepare(env, _plan(), "linux", lambda name: None)
    assert out.already and not out.steps


def test_a_pypi_build_replacing_a_local_build_is_forced():
    plan = _plan(index_url=None, variant="cpu")  # Windows: PyPI's default is the CPU build, no local tag
    env = TargetEnv(r"C:\My envs\v\python.exe", PythonFacts(version="3.11.7"), venv=True, has_pip=True,
                    distributions=(Distribution("torch", "2.13.0+cu113", installer="pip"),))
    out = prepare(env, plan, "windows", lambda name: None)
    assert out.replacing == (("2.13.0+cu113", "2.13.0"),)
    assert "--force-reinstall" in out.steps[0].command.argv
    assert out.steps[0].command.line.startswith(r"& 'C:\My envs\v\python.exe' -m pip install")


def _plan(index_url="https://download.pytorch.org/whl/cpu", variant="cpu"):
    from torchdoctor.plan import Plan

    return Plan(torch="2.13.0", variant=variant, index_url=index_url, command="", packages=("torch==2.13.0",),
                device="cpu")


@pytest.mark.slow
def test_real_torch_wheel_through_the_local_index_then_the_proof(tmp_path):
    """The real torch 2.13.0 CPU wheel, served with its dependencies on 127.0.0.1, installed and proven."""
    found = sorted(glob.glob("/opt/wheels/torch-2.13.0+cpu-*.whl"))
    if not found:
        pytest.skip("the torch 2.13.0 CPU wheel is not on this machine's disk")
    folder = tmp_path / "index" / "cpu"
    folder.mkdir(parents=True)
    os.symlink(found[0], folder / os.path.basename(found[0]))
    for dep in ("filelock", "typing_extensions", "setuptools", "sympy", "mpmath", "networkx", "jinja2",
                "MarkupSafe", "fsspec"):
        repack_installed(dep, folder)
    python = make_env(tmp_path / "venv")
    with LocalIndex(tmp_path / "index") as idx:
        res = doctor("install", "--python", str(python), "--torch", "2.13.0", "--index-base", idx.base, "--yes",
                     "--json", env=user_pip_env(), timeout=900)
    out = json.loads(res.stdout)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    assert out["installed"]["torch"] == "2.13.0+cpu"
    assert out["verification"]["ok"] and out["verification"]["check"]["exit_code"] == 0
    assert [s["device"] for s in out["verification"]["smoke"]] == ["cpu"]


def test_a_mirror_without_the_planned_wheel_stops_before_pip_with_the_official_command(student_venv, index):
    """The probe reads <base>/cpu/torch/ (2.13.0, 2.14.1 only): torch 2.12.1 is not there."""
    res = doctor("install", "--python", str(student_venv), "--torch", "2.12.1", "--index-base", index.base,
                 "--yes", "--no-verify", "--json", env=user_pip_env())
    out = json.loads(res.stdout)
    assert res.returncode == 1 and out["blocked"]["id"] == "install.mirror_lacks_wheel", res.stdout
    assert out["probe"]["status"] == "missing" and out["steps"] == []
    assert "https://download.pytorch.org/whl/cpu" in out["blocked"]["message"]
    assert _torch_version(student_venv) == "2.13.0+cu130"
    assert "install.mirror_lacks_wheel" in [f["id"] for f in out["findings"]]


def test_no_probe_reads_no_index_page_before_pip(student_venv, index):
    res = doctor("install", "--python", str(student_venv), "--torch", "2.14.1", "--index-base", index.base,
                 "--yes", "--no-verify", "--no-probe", "--json", env=user_pip_env())
    out = json.loads(res.stdout)
    assert res.returncode == 0 and "probe" not in out, res.stdout
    probed = doctor("install", "--python", str(student_venv), "--torch", "2.14.1", "--index-base", index.base,
                    "--yes", "--no-verify", "--json", env=user_pip_env())
    assert json.loads(probed.stdout)["ok"]
