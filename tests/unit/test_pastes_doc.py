"""docs/pastes.md's precedence table is the reader registry: the same names with the same ranks."""

from __future__ import annotations

import re
from pathlib import Path

from torchdoctor.recorded.readers import READERS

DOC = Path(__file__).resolve().parents[2] / "docs" / "pastes.md"


def _documented() -> list[tuple[int, str]]:
    section = DOC.read_text(encoding="utf-8").split("## Precedence", 1)[1].split("\n## ", 1)[0]
    return [(int(rank), name) for rank, name in re.findall(r"^\|\s*(\d+)\s*\|\s*`(\w+)`\s*\|", section, re.M)]


def test_the_precedence_table_is_the_registry():
    assert _documented() == sorted((r.rank, r.name) for r in READERS)


def test_every_rank_is_one_reader():
    ranks = [r.rank for r in READERS]
    assert sorted(ranks) == list(range(1, len(READERS) + 1))
    assert len({r.name for r in READERS}) == len(READERS)


def test_every_reader_name_in_the_real_pastes_has_a_rank():
    from torchdoctor.recorded.readers import paste_of, read_all
    from torchdoctor.recorded.text import clean_lines

    names = set()
    for path in sorted((Path(__file__).parents[1] / "fixtures" / "reports").rglob("*.txt")):
        evidence, failed = read_all(paste_of(clean_lines(path.read_text(encoding="utf-8"))))
        assert failed == [], path.name
        names |= {e.reader for e in evidence}
    assert names <= {r.name for r in READERS}
    assert len(names) >= 15  # the pastes exercise most readers
