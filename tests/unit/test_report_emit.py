"""Every report kind, rendered in every format through the one `emit()`: the same finding shape everywhere."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from torchdoctor.verdicts.distributed import Outcome, judge
from torchdoctor.findings import Finding
from torchdoctor.render.emit import FORMATS, emit

FIXTURES = Path(__file__).parents[1] / "fixtures"
FINDING_KEYS = {"id", "severity", "area", "title", "message", "fix"}


def _check():
    from torchdoctor.operations.check import check_report
    from torchdoctor.requests import CheckRequest

    return check_report(CheckRequest.build(from_=str(FIXTURES / "reports" / "espnet5629-a100-driver460-cu121.txt")))


def _suggest():
    from torchdoctor.facts import Facts, PlatformFacts, PythonFacts
    from torchdoctor.operations.suggest import suggest_report
    from torchdoctor.requests import SuggestRequest

    facts = Facts(origin="described", platform=PlatformFacts(os="linux", arch="x86_64"),
                  python=PythonFacts(version="3.12"), nvidia=None, gpus=())
    return suggest_report(SuggestRequest.build(), facts=facts)


def _smoke():
    from torchdoctor.operations.smoke import collect
    from torchdoctor.report import SmokeReport
    from torchdoctor.requests import parse_device
    from torchdoctor.child import ChildResult

    def runner(args, timeout, python):  # a child that trained but did not converge
        data = {"torch": {"torch_version": "2.13.0+cpu", "build": "cpu", "cuda": None, "hip": None, "python": "3.11"},
                "import_seconds": 1.0, "init": {"name": "cpu", "first_op_seconds": 0.01},
                "classic": {"w": 2.5, "final_loss": 0.3, "epochs": 5, "converged_epoch": None, "seconds": 0.01},
                "gradcheck": {"max_rel_err": {"float64": {"dJ/dW1": 1e-16}}},
                "agreement": {"dtype": "float32", "max_rel_err": {"W1": 1e-7}},
                "throughput": {"finite": True, "steps_per_s": 100.0}}
        return ChildResult("ok", data, "", "", 0, 0.5)

    return SmokeReport.from_dict(collect(parse_device("cpu"), epochs=5, seed=0, timeout=60, python=None, runner=runner))


def _distributed():
    from torchdoctor.report import DistributedReport

    outcome = Outcome(mode="launch", world_size=2, device="cpu", backend="gloo", timeout=120.0, seconds=8.0,
                      returncode=1, timed_out=True)
    doc = judge(outcome, {})
    return DistributedReport(doc, tuple(Finding.from_dict(f) for f in doc["findings"]))


def _install():
    from torchdoctor.report import InstallReport

    blocked = Finding("install.externally_managed", "error", "the Python is externally managed (PEP 668)")
    return InstallReport({"schema": 1, "ok": False, "message": "Nothing was changed.", "exit_code": 1},
                         (blocked,), ("Target: ~/x/bin/python (--python ~/x)", "Nothing was changed."))


BUILDERS = {"check": _check, "suggest": _suggest, "smoke": _smoke, "distributed": _distributed, "install": _install}


@pytest.fixture(scope="module")
def reports():
    return {kind: build() for kind, build in BUILDERS.items()}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("kind", sorted(BUILDERS))
def test_every_report_in_every_format(reports, kind, fmt):
    report = reports[kind]
    assert report.kind == kind
    out = io.StringIO()
    emit(report, fmt, out)
    text = out.getvalue()
    assert text.strip(), f"{kind} printed nothing as {fmt}"
    assert "\x1b[" not in text  # not a terminal: no colour
    if fmt == "json":
        data = json.loads(text)
        assert data["schema"] == 1 and data == json.loads(report.json())
        for f in data["findings"]:
            assert FINDING_KEYS <= set(f), f
            assert f["fix"] is None or set(f["fix"]) == {"summary", "commands", "argv"}
    if fmt == "markdown":
        assert text.startswith("#")
    assert str(report).strip() and repr(report).startswith(f"<{type(report).__name__} exit_code=")


def test_failing_runs_carry_their_ids(reports):
    assert reports["check"].exit_code == 1 and reports["check"].findings
    assert "smoke.not_converged" in [f.id for f in reports["smoke"].findings]
    assert reports["smoke"].devices[0].findings[0].area == "Smoke"
    assert "distributed.timeout" in [f.id for f in reports["distributed"].findings]
    assert reports["install"].exit_code == 1 and reports["install"].to_dict()["findings"][0]["id"] == "install.externally_managed"


def test_one_line_json_for_fleets(reports):
    for report in reports.values():
        line = report.json(compact=True)
        assert line.count("\n") == 1 and json.loads(line) == json.loads(report.json())
