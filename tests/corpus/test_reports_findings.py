"""Each real report -> the finding ids `check --from` must (and must not) produce, and the CLI door."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPORTS = Path(__file__).parents[1] / "fixtures" / "reports"
CASES = sorted(str(p.relative_to(REPORTS))[: -len(".expected.json")] for p in REPORTS.rglob("*.expected.json"))

try:  # the checks live in their own package; without them these tests cannot judge anything
    from torchdoctor.checks import run_checks
except ImportError as exc:  # pragma: no cover - only while the checks are not in the tree
    pytest.skip(f"torchdoctor.checks.run_checks is not available: {exc}", allow_module_level=True)

from torchdoctor.knowledge import load
from torchdoctor.recorded import load_report


# Expectations the checks do not meet yet: (report, finding id) -> why. strict xfail: fixing the check
# makes the test fail until the entry is removed.
KNOWN_CHECK_BUGS: dict[tuple[str, str], str] = {}
# Pastes whose diagnosis the readers do not reach, with why (strict too: reaching it fails until removed).
KNOWN_READER_LIMITS: dict[str, str] = {
    "pastes/lightning14634-lightning-env-mac-m1-i386": "Apple silicon and the i386 Python are only in prose; the "
    "Lightning env is cut before its System section",
    "pastes/p2-nougat105-wsl2-libcudnn-cnn-infer-needs-wsl-libcuda-link": "only prose ('I had to link "
    "/usr/lib/wsl/lib/libcuda.so.1'), no error text",
    "pastes/pt137853-collect-env-py313-macos-no-wheel": "time-relative: no cp313 wheel in Oct 2024, today's tables "
    "support Python 3.13; the wanted torch 2.4.1 is only in prose",
    "pastes/pt32369-collect-env-conda-cpuonly-vs-cuda": "two conda environments described in one paste: the first "
    "conda row (the working one) is read",
    "pastes/pt71112-pip-from-versions-none-py310-fedora": "time-relative: no cp310 wheel on PyPI in Jan 2022, today's "
    "tables support Python 3.10",
    "pastes/returnn1802-pip3-two-nccl-cu11-cu12": "the import error is not in the stored excerpt (the thread infers it)",
    "pastes/ultralytics1495-yolo-header-two-envs-cpu-wheel": "two yolo headers of two environments: the first is "
    "read, the thread means the second",
    "pastes/ultralytics16230-yolo-checks-cu121-cpu-only-server": "'CPU-only server' is only in prose; yolo's header "
    "shows the device torch used, not the hardware",
}


def _findings(name: str) -> dict[str, str]:
    path = REPORTS / f"{name}.txt"
    facts = load_report(path.read_text(encoding="utf-8"), path.name)
    return {f.id: f.severity for f in run_checks(facts, load())}


def _problems(got: dict[str, str]) -> list[str]:
    return sorted(i for i, s in got.items() if s in ("warning", "error"))


@pytest.mark.parametrize("name", CASES)
def test_findings_of_each_real_report(name):
    from torchdoctor.checks import CHECKS

    want = json.loads((REPORTS / f"{name}.expected.json").read_text(encoding="utf-8"))
    got = _findings(name)
    assert "crashed" not in got.values(), got
    known = {c.id for c in CHECKS}
    pending = [fid for fid in want["findings"] if fid not in known]
    missed = [fid for fid in want["findings"] if fid in known and got.get(fid) not in ("warning", "error")]
    if name in KNOWN_READER_LIMITS:
        assert missed, f"{name} is diagnosed now: remove it from KNOWN_READER_LIMITS"
        pytest.xfail(KNOWN_READER_LIMITS[name])
    for fid in missed:
        pytest.fail(f"{name}: expected {fid}, got {_problems(got)}")
    for fid in want["not_findings"]:
        if (name, fid) in KNOWN_CHECK_BUGS and got.get(fid) in ("warning", "error"):
            pytest.xfail(KNOWN_CHECK_BUGS[(name, fid)])
        assert got.get(fid) not in ("warning", "error"), f"{name}: did not expect {fid}: {_problems(got)}"
    for bug in KNOWN_CHECK_BUGS:
        if bug[0] == name and got.get(bug[1]) not in ("warning", "error"):
            pytest.fail(f"{bug} is fixed in the checks: remove it from KNOWN_CHECK_BUGS")
    if pending:  # another branch's check (e.g. torch.cuda_build_without_gpu): judged once it is merged
        pytest.fail(f"expected ids that no check emits: {', '.join(pending)}")


def test_live_only_checks_are_skipped_on_reports():
    got = _findings("h200-torch2.11-cu130")
    assert got["torch.shadowed"] == "skipped"


def test_macos13_report_mps_by_the_tables():
    path = REPORTS / "pt164943-macos13-arm64.txt"
    text = path.read_text(encoding="utf-8")
    nightly = {f.id: f for f in run_checks(load_report(text, path.name), load())}["mps.unavailable"]
    # 2.10 wheels import on macOS 11+, but its MPS needs macOS 14: what this reporter hit
    assert nightly.severity == "error" and "MPS backend needs macOS 14.0" in nightly.message
    assert "macOS 13.7.4" in nightly.message
    # the same Mac with a 2.12 wheel (tagged macosx_14_0): too old for this torch
    newer = load_report(text.replace("2.10.0.dev20251008", "2.12.0"), path.name)
    found = {f.id: f for f in run_checks(newer, load())}["mps.unavailable"]
    assert found.severity == "error" and "macOS 14.0" in found.message and "macOS 13.7.4" in found.message


def _cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "torchdoctor", *args], input=stdin, capture_output=True,
                          text=True, timeout=60)


def test_cli_from_file_and_json_round_trip(tmp_path):
    first = _cli("check", "--from", str(REPORTS / "pt150733-rtx5090d-sm120-cu126.txt"), "--json")
    assert first.returncode == 1, first.stderr  # the sm_120 error
    data = json.loads(first.stdout)
    assert "cuda.gpu_arch_unsupported" in {f["id"] for f in data["findings"] if f["severity"] == "error"}
    saved = tmp_path / "report.json"
    saved.write_text(first.stdout, encoding="utf-8")
    second = _cli("check", "--from", str(saved), "--json")
    again = json.loads(second.stdout)
    strip = lambda d: {k: v for k, v in d.items() if k not in ("origin", "extra")}  # noqa: E731
    assert strip(again["facts"]) == strip(data["facts"])  # facts in == facts out
    assert [(f["id"], f["severity"]) for f in again["findings"]] == [(f["id"], f["severity"]) for f in data["findings"]]


def test_cli_from_stdin_judges_like_from_file():
    path = REPORTS / "h200-torch2.11-cu130.txt"
    from_file = _cli("check", "--from", str(path), "--json")
    done = _cli("check", "--from", "-", "--json", stdin=path.read_text(encoding="utf-8"))
    assert done.returncode == from_file.returncode and done.returncode in (0, 1), done.stderr
    data = json.loads(done.stdout)
    assert data["facts"]["origin"] == "collect_env:stdin"
    assert data["facts"]["runtime"]["version"] == "2.11.0+cu130"
    assert data["findings"] == json.loads(from_file.stdout)["findings"]


def test_cli_non_report_is_exit_2_with_one_line(tmp_path):
    junk = tmp_path / "notes.txt"
    junk.write_text("just some notes\n", encoding="utf-8")
    done = _cli("check", "--from", str(junk))
    assert done.returncode == 2
    assert done.stdout == "" and len(done.stderr.strip().splitlines()) == 1
    assert "not a torchdoctor --json report nor collect_env output" in done.stderr
