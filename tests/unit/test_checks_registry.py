"""The check registry: one order, a module per id prefix, and the documented id table equal to the code."""

import re
from pathlib import Path

from torchdoctor.checks import AREAS, CHECKS, MODULE_OF_PREFIX, ORDER
from torchdoctor.checks.areas import CHECK_AREAS

DOC = Path(__file__).resolve().parents[2] / "docs" / "findings.md"


def test_every_check_is_placed_in_the_order_once():
    ids = [c.id for c in CHECKS]
    assert len(ids) == len(set(ids))
    assert ids == list(ORDER), "a new check must be placed in checks/registry.py ORDER"


def test_a_checks_module_follows_from_its_id():
    for c in CHECKS:
        prefix = c.id.split(".")[0]
        assert c.fn.__module__ == f"torchdoctor.checks.{MODULE_OF_PREFIX[prefix]}", c.id


def test_every_check_is_in_a_declared_area():
    declared = {a.name for a in CHECK_AREAS}
    assert {c.area for c in CHECKS} <= declared
    assert AREAS == tuple(a.name for a in CHECK_AREAS)


def test_the_documented_table_is_the_registry():
    rows = re.findall(r"^\| `([\w.]+)` \| ([^|]+) \| ([^|]+) \| `checks/(\w+)\.py` \|$", DOC.read_text(), re.M)
    assert [(i, a.strip(), t.strip(), m) for i, a, t, m in rows] == \
        [(c.id, c.area, c.title, MODULE_OF_PREFIX[c.id.split(".")[0]]) for c in CHECKS]
