from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


def h200(name: str) -> str:
    """A raw output captured on a real H200 (see fixtures/h200/SOURCE.md)."""
    return (FIXTURES / "h200" / name).read_text(encoding="utf-8")


@pytest.fixture(autouse=True)
def _examine_the_test_interpreter(monkeypatch):
    """check/smoke/suggest examine the active env (torchdoctor.target): make that the test
    interpreter, so tests do not depend on how pytest was started (venv activated or not)."""
    import os
    import sys

    monkeypatch.delenv("CONDA_PREFIX", raising=False)
    if sys.prefix != getattr(sys, "base_prefix", sys.prefix):
        monkeypatch.setenv("VIRTUAL_ENV", sys.prefix)
    else:
        monkeypatch.delenv("VIRTUAL_ENV", raising=False)
        monkeypatch.setenv("PATH", os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
