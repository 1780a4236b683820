from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


def h200(name: str) -> str:
    """A raw output captured on a real H200 (see fixtures/h200/SOURCE.md)."""
    return (FIXTURES / "h200" / name).read_text(encoding="utf-8")
