"""Static checks run with the tests, so CI and a developer's `pytest` agree: ruff on the package (its
configuration and the reasons for each ignore are in pyproject.toml) and mypy on the judges, the planner and
the paste readers (the files [tool.mypy] names)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run(tool: str, *args: str) -> subprocess.CompletedProcess:
    if shutil.which(tool, path=str(Path(sys.executable).parent)) is None and shutil.which(tool) is None:
        pytest.skip(f"{tool} is not installed (pip install -e '.[test]' brings it)")
    return subprocess.run([sys.executable, "-m", tool, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


def test_ruff_is_clean():
    done = _run("ruff", "check", "torchdoctor")
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy_is_clean_on_judges_planner_readers():
    done = _run("mypy")
    assert done.returncode == 0, done.stdout + done.stderr
