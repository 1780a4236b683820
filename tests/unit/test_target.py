"""torchdoctor.target: the resolution order on real folders (interpreters are small executables)."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

from torchdoctor.errors import UsageError
from torchdoctor.target import find_interpreter, is_tool_env, resolve_target

pytestmark = pytest.mark.skipif(os.name == "nt", reason="POSIX layouts (bin/python)")


def make_env(root: Path, names=("python", "python3")) -> Path:
    (root / "bin").mkdir(parents=True)
    for name in names:
        exe = root / "bin" / name
        exe.write_text("#!/bin/sh\n")
        exe.chmod(0o755)
    return root


def own(tmp_path: Path) -> dict:
    """The doctor itself: a tool venv of its own."""
    tool = make_env(tmp_path / "tool")
    return {"own_executable": str(tool / "bin" / "python"), "own_prefix": str(tool), "own_base_prefix": "/usr"}


def test_order_option_virtualenv_conda_path_self(tmp_path):
    me = own(tmp_path)
    venv, conda, onpath = (make_env(tmp_path / n) for n in ("venv", "conda", "onpath"))
    env = {"VIRTUAL_ENV": str(venv), "CONDA_PREFIX": str(conda), "PATH": str(onpath / "bin")}

    t = resolve_target(str(tmp_path / "conda"), env, **me)
    assert (t.source, t.executable, t.is_self) == ("option", str(conda / "bin" / "python"), False)
    assert t.reason == f"--python {tmp_path / 'conda'}"

    t = resolve_target(None, env, **me)
    assert (t.source, t.executable) == ("virtualenv", str(venv / "bin" / "python"))
    assert t.reason == f"the active virtualenv {venv}"

    env.pop("VIRTUAL_ENV")
    t = resolve_target(None, env, **me)
    assert (t.source, t.reason) == ("conda", f"the active conda env {conda}")

    env.pop("CONDA_PREFIX")
    t = resolve_target(None, env, **me)
    assert (t.source, t.executable) == ("path", str(onpath / "bin" / "python3"))
    assert t.reason == f"the first python3 on PATH ({onpath / 'bin' / 'python3'})"

    t = resolve_target(None, {"PATH": ""}, **me)
    assert (t.source, t.executable, t.is_self) == ("self", me["own_executable"], True)
    assert t.reason == "torchdoctor's own interpreter"
    assert t.to_dict() == {"executable": me["own_executable"], "reason": t.reason, "source": "self"}


def test_path_skips_the_doctors_own_tool_env(tmp_path):
    """uvx / pipx run put the tool env's bin first on PATH: the user's python3 comes next."""
    me = own(tmp_path)
    user = make_env(tmp_path / "user", names=("python",))
    env = {"PATH": os.pathsep.join([str(Path(me["own_prefix"]) / "bin"), str(user / "bin")])}
    t = resolve_target(None, env, **me)
    assert (t.source, t.executable, t.is_self) == ("path", str(user / "bin" / "python"), False)
    assert t.reason.startswith("the first python on PATH")


def test_active_env_that_is_the_doctors_own(tmp_path):
    """torchdoctor installed in the activated venv: the venv, and it is the doctor itself."""
    me = own(tmp_path)
    t = resolve_target(None, {"VIRTUAL_ENV": me["own_prefix"], "PATH": ""}, **me)
    assert (t.source, t.is_self) == ("virtualenv", True)
    # ... unless that env is a tool env (uv's receipt): then it is not what the user activated
    (Path(me["own_prefix"]) / "uv-receipt.toml").write_text("[tool]\n")
    assert is_tool_env(me["own_prefix"])
    t = resolve_target(None, {"VIRTUAL_ENV": me["own_prefix"], "PATH": ""}, **me)
    assert t.source == "self"


@pytest.mark.parametrize("parts, tool", [
    ((".cache", "uv", "archive-v0", "Xa1"), True),  # uvx's ephemeral env
    ((".local", "share", "pipx", "venvs", "torchdoctor"), True),
    ((".cache", "pipx", "0c1d"), True),  # pipx run, older layout
    ((".local", "share", "pipx", ".cache", "0c1d"), True),
    (("proj", ".venv"), False),
])
def test_tool_env_layouts(tmp_path, parts, tool):
    assert is_tool_env(str(tmp_path.joinpath(*parts))) is tool


def test_stale_or_empty_env_vars_fall_through(tmp_path):
    me = own(tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    onpath = make_env(tmp_path / "onpath")
    env = {"VIRTUAL_ENV": str(tmp_path / "deleted"), "CONDA_PREFIX": str(empty), "PATH": str(onpath / "bin")}
    assert resolve_target(None, env, **me).source == "path"


def test_home_shows_as_tilde(tmp_path, monkeypatch):
    me = own(tmp_path)
    venv = make_env(tmp_path / "proj" / ".venv")
    monkeypatch.setenv("HOME", str(tmp_path))
    t = resolve_target(None, {"VIRTUAL_ENV": str(venv)}, **me)
    assert t.reason == "the active virtualenv ~/proj/.venv"
    assert t.to_dict()["executable"] == "~/proj/.venv/bin/python"
    assert t.executable == str(venv / "bin" / "python")  # the real path stays absolute


def test_bad_python_option(tmp_path):
    with pytest.raises(UsageError, match="no such interpreter or virtualenv"):
        resolve_target(str(tmp_path / "nope"), {})
    with pytest.raises(UsageError, match="--python needs a path"):
        resolve_target("  ", {})
    assert find_interpreter(str(tmp_path)) is None  # a folder without an interpreter


def test_python_option_takes_a_command_name_on_path(tmp_path):
    me = own(tmp_path)
    onpath = make_env(tmp_path / "onpath", names=("python3.12",))
    t = resolve_target("python3.12", {"PATH": str(onpath / "bin")}, **me)
    assert (t.source, t.executable) == ("option", str(onpath / "bin" / "python3.12"))
    with pytest.raises(UsageError, match="no such interpreter"):
        resolve_target("python9.9", {"PATH": str(onpath / "bin")}, **me)


def test_the_test_interpreter_is_self():
    """What conftest arranges: the suite examines the interpreter it runs in."""
    t = resolve_target()
    assert t.is_self and t.executable == os.path.abspath(sys.executable)


def test_the_doctors_own_env_with_torch_wins_over_path(tmp_path):
    """`~/proj/.venv/bin/torchdoctor` run without activating: the env holding torch (this test's, which
    has torch) is examined, not another python3 on PATH; a torch-less tool env still looks on PATH."""
    if importlib.util.find_spec("torch") is None:
        pytest.skip("torch is not installed for the test interpreter")
    onpath = make_env(tmp_path / "onpath")
    t = resolve_target(None, {"PATH": str(onpath / "bin")})
    assert (t.source, t.is_self) == ("self", True) and "which has torch" in t.reason
    t = resolve_target(None, {"PATH": str(onpath / "bin")}, **own(tmp_path))
    assert t.source == "path"
