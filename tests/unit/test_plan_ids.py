"""The planner's finding ids: docs/plan-ids.md, the registry (plan/problems.py) and the ids the code emits are
one set; each is a Finding of the one model, in the Plan area."""

import ast
import json
import re
from pathlib import Path

import pytest

from torchdoctor.cli import main
from torchdoctor.findings import ERROR, Finding
from torchdoctor.plan import IDS, problem
from torchdoctor.plan.problems import AREA, TITLES

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "plan-ids.md"
PLAN = ROOT / "torchdoctor" / "plan"


def _documented() -> list[tuple[str, str, str]]:
    rows = re.findall(r"^\| `([\w.]+)` \| ([^|]+) \| [^|]+ \| `plan/(\w+)\.py` \|$", DOC.read_text(), re.M)
    return [(i, title.strip(), module) for i, title, module in rows]


def _emitted() -> dict[str, set[str]]:
    """Every `problem("an.id", ...)` in the package, by module: the ids the code can emit."""
    out: dict[str, set[str]] = {}
    for path in PLAN.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "problem"
                    and node.args and isinstance(node.args[0], ast.Constant)):
                out.setdefault(node.args[0].value, set()).add(path.stem)
    return out


def test_the_documented_table_is_the_registry():
    assert [(i, title) for i, title, _ in _documented()] == list(TITLES.items())


def test_the_registry_is_what_the_code_emits():
    emitted = _emitted()
    assert set(emitted) == set(IDS), "an id the code emits must be registered and documented, and the reverse"
    for i, _, module in _documented():
        assert emitted[i] == {module}, i


def test_a_planner_problem_is_a_finding_in_the_plan_area():
    from torchdoctor.checks.areas import PLAN

    assert AREA == PLAN.name
    f = problem("gpu.no_build", "no kernels")
    assert isinstance(f, Finding) and (f.id, f.severity, f.area, f.title) == (
        "gpu.no_build", ERROR, "Plan", TITLES["gpu.no_build"])


def test_no_planner_id_is_also_a_check_id():
    from torchdoctor.checks import CHECKS

    assert not set(IDS) & {c.id for c in CHECKS}


def test_an_unregistered_id_is_refused():
    with pytest.raises(KeyError):
        problem("plan.not_registered", "a typo must not make a new id")


def test_suggest_json_shows_a_problem_twice_its_old_shape_and_the_finding(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["suggest", "--json", "--python-version", "3.6", "--os", "linux"])
    data = json.loads(capsys.readouterr().out)
    assert exc.value.code == 1
    assert [set(p) for p in data["problems"]] == [{"id", "message"}]
    assert [(f["id"], f["message"], f["severity"], f["area"]) for f in data["findings"]] == \
        [(p["id"], p["message"], "error", "Plan") for p in data["problems"]]
