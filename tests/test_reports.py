"""collect_env text and check --json reports -> Facts, on real reports (tests/fixtures/reports/SOURCES.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from torchdoctor.checks.base import torch_version
from torchdoctor.errors import UsageError
from torchdoctor.facts import Facts
from torchdoctor.reports import load_report, load_source, read_source
from torchdoctor.reports.text import MAX_REPORT_BYTES

REPORTS = Path(__file__).parent / "fixtures" / "reports"
CASES = sorted(p.name[: -len(".expected.json")] for p in REPORTS.glob("*.expected.json"))


def _expected(name: str) -> dict:
    return json.loads((REPORTS / f"{name}.expected.json").read_text(encoding="utf-8"))


def _load(name: str) -> Facts:
    path = REPORTS / f"{name}.txt"
    return load_report(path.read_text(encoding="utf-8"), path.name)


def _knowledge_loads() -> bool:
    try:
        from torchdoctor.knowledge import load

        load()
        return True
    except Exception:  # noqa: BLE001
        return False


def test_there_are_enough_real_reports():
    assert len(CASES) >= 10
    sources = (REPORTS / "SOURCES.md").read_text(encoding="utf-8")
    for name in CASES:
        assert (REPORTS / f"{name}.txt").exists()
        assert name in sources, f"{name} is not listed in SOURCES.md"


@pytest.mark.parametrize("name", CASES)
def test_facts_of_each_real_report(name):
    want = _expected(name)["facts"]
    f = _load(name)
    rt = f.runtime
    report = f.extra["report"]
    kind = want.get("kind", report["kind"])
    assert report["kind"] == kind and f.origin == f"{kind}:{name}.txt"
    if "readers" in want:
        assert set(want["readers"]) <= set(report["readers"]), report["readers"]
    if "torch" in want:
        assert torch_version(f) == want["torch"]
    if "status" in want:
        assert (rt.status if rt else None) == want["status"]
    if "error_kind" in want:
        assert rt.error_kind == want["error_kind"]
    if "cuda_driver" in want:
        assert (f.nvidia.cuda_driver if f.nvidia else None) == want["cuda_driver"]
    if "ask" in want:
        assert any(want["ask"] in a for a in report["ask"]), report["ask"]
    if "env" in want:
        assert f.env == want["env"]
    if "cuda" in want:
        assert rt.cuda == want["cuda"]
    if "hip" in want:
        assert rt.hip == want["hip"]
    if "cuda_available" in want:
        assert rt.cuda_available is want["cuda_available"]
    if "arch_list" in want:
        assert list(rt.arch_list) == want["arch_list"]
    if "numpy" in want:
        assert rt.numpy == want["numpy"]
    if "gpus" in want:
        if want["gpus"] is None:
            assert f.gpus is None
        else:
            assert [(g.vendor, g.name) for g in f.gpus] == [(v, n) for v, n, _ in want["gpus"]]
            if _knowledge_loads():
                assert [list(g.capability) if g.capability else None for g in f.gpus] == [c for _, _, c in want["gpus"]]
    if "gfx" in want:
        assert f.gpus[0].gfx == want["gfx"]
    if "driver" in want:
        assert (f.nvidia.driver if f.nvidia else None) == want["driver"]
    if "os" in want:
        assert (f.platform.os if f.platform else None) == want["os"]
    for key in ("arch", "os_version", "wsl", "rosetta"):
        if key in want:
            assert getattr(f.platform, key) == want[key]
    if "python" in want:
        assert (f.python.version if f.python else None) == want["python"]
    if "bits" in want:
        assert f.python.bits == want["bits"]
        assert "python.bits" not in report["missing"]
    if "env_kind" in want:
        assert f.python.env_kind == want["env_kind"]
    if "truncated" in want:
        assert report["truncated"] is want["truncated"]
    if "warning" in want:
        assert any(want["warning"] in w for w in rt.warnings)
    if "warnings" in want:
        assert len(rt.warnings) == want["warnings"]
    if "torch_dists" in want:
        assert sorted([d.version, d.installer] for d in f.distributions if d.name == "torch") == want["torch_dists"]
    if "distributions" in want:
        assert f.distributions is None
    if "packages_cut" in want:
        assert report.get("packages_cut", False) is want["packages_cut"]
    if "note" in want:
        assert any(want["note"] in n for n in report["notes"])


@pytest.mark.parametrize("name", CASES)
def test_each_report_round_trips_through_json(name):
    f = _load(name)
    assert Facts.from_dict(json.loads(json.dumps(f.to_dict()))) == f


# ---- what the parser must not do -----------------------------------------------------------------


def test_unknown_stays_unknown_in_old_reports():
    f = _load("pt30071-torch1.3.1-8x-titanxp")
    assert f.platform.arch == "unknown"  # the 1.3 format prints no machine arch
    assert {"platform.arch", "python.bits"} <= set(f.extra["report"]["missing"])
    assert f.runtime.cudnn is None  # collect_env's cuDNN line is the system library, not torch's
    assert f.runtime.device_count is None  # nvidia-smi -L ignores CUDA_VISIBLE_DEVICES


def test_could_not_collect_is_none_not_zero():
    f = _load("pt164943-macos13-arm64")  # "GPU models and configuration: No CUDA"
    assert f.gpus is None
    assert f.nvidia.driver is None and f.nvidia.errors


def test_harmless_runpy_warning_is_not_a_finding_source():
    f = _load("groundingdino328-rocm6.0-gfx1030")
    assert f.runtime.warnings == ()


def test_warnings_read_like_the_live_probe_and_hide_home_directories():
    f = _load("pt150733-rtx5090d-sm120-cu126")
    (w,) = f.runtime.warnings
    assert w.startswith("UserWarning: NVIDIA GeForce RTX 5090 D with CUDA capability sm_120 is not compatible")
    assert "warnings.warn" not in w  # the source echo is not part of the message
    f = _load("pt137846-windows-cpu-numpy-missing")
    assert "C:\\Users\\user" not in json.dumps(f.to_dict())


def test_cut_line_is_dropped_not_misread():
    f = _load("lhotse793-found-version-9010")  # ends "ROCM used to build PyTorch: N/"
    assert f.runtime.hip is None
    assert "rocm_build" not in f.extra["report"]["fields"]


def test_a_cut_package_list_keeps_its_rows_and_says_it_is_cut():
    f = _load("pt30071-torch1.3.1-8x-titanxp")  # ends "[pip3] to": numpy's row is whole, "to" is not
    assert [(d.name, d.version) for d in f.distributions] == [("numpy", "1.17.4")]
    assert f.extra["report"]["packages_cut"] is True
    from torchdoctor.checks import run_checks
    from torchdoctor.knowledge import load

    got = {x.id: x.severity for x in run_checks(f, load())}
    # what came after the cut is unknown, not absent
    assert got["torch.not_installed"] == "ok" and got["numpy.missing"] == "ok"


def test_conda_and_pip_pytorch_are_two_installs_but_pypi_rows_are_one():
    f = _load("pt28321-conda-pip-duplicate")
    (conda,) = [d for d in f.distributions if d.name == "torch" and d.installer == "conda"]
    assert conda.build == "py3.7_cuda10.1.243_cudnn7.6.3_0"
    text = (REPORTS / "h200-torch2.11-cu130.txt").read_text(encoding="utf-8")
    text = text.replace("[conda] Could not collect", "[conda] numpy                     2.5.2                    pypi_0    pypi")
    f = load_report(text, "x")
    assert len([d for d in f.distributions if d.name == "numpy"]) == 1


# ---- shapes derived from real reports (each derivation says what it changes) --------------------

H200 = "h200-torch2.11-cu130"


def _h200() -> str:
    return (REPORTS / f"{H200}.txt").read_text(encoding="utf-8")


def _core(f: Facts) -> tuple:
    rt = f.runtime
    return (rt.version, rt.cuda, rt.cuda_available, f.nvidia.driver, [g.name for g in f.gpus],
            f.platform.os, f.platform.arch, f.python.version, f.python.bits)


def test_full_width_punctuation_and_spaces():
    # Derived: every ":" after a label becomes "：" and the space after it U+3000, as pasted from CJK input methods.
    text = _h200().replace(": ", "：\u3000")
    assert _core(load_report(text, "x")) == _core(_load(H200))


def test_crlf_and_issue_template_wrapping():
    # Derived: the issue template's heading, a fence, CRLF endings and a trailing comment.
    text = "### Versions\r\n\r\n```text\r\n" + _h200().replace("\n", "\r\n") + "```\r\n\r\ncc @someone\r\n"
    assert _core(load_report(text, "x")) == _core(_load(H200))


def test_utf16_file_from_powershell(tmp_path):
    # Derived: `python -m torch.utils.collect_env > env.txt` in Windows PowerShell 5 writes UTF-16 LE with a BOM.
    path = tmp_path / "env.txt"
    path.write_bytes(_h200().encode("utf-16"))
    assert _core(load_source(str(path))) == _core(_load(H200))


def test_truncated_in_the_middle():
    # Derived: the H200 report cut in the middle of its driver line ("Nvidia driver version: 580.1").
    text = _h200()
    f = load_report(text[: text.index("Nvidia driver version") + len("Nvidia driver version: 580.1")], "x")
    assert f.runtime.version == "2.11.0+cu130" and [g.name for g in f.gpus] == ["NVIDIA H200"]
    assert f.nvidia is None and f.distributions is None  # not "no driver", not "no packages": unknown
    assert f.extra["report"]["truncated"] is True
    assert {"driver", "libraries"} <= set(f.extra["report"]["missing"])


def test_uuids_never_survive():
    text = _h200().replace("GPU 0: NVIDIA H200", "GPU 0: NVIDIA H200 (UUID: GPU-5d1e0b3c-0000-1111-2222-333344445555)")
    f = load_report(text, "x")
    assert "UUID" not in json.dumps(f.to_dict())


# ---- the doors: JSON reports, files, stdin, junk -------------------------------------------------


def test_check_json_report_round_trip():
    live = _load(H200).with_(origin="live", extra={})
    report = {"schema": 1, "facts": live.to_dict(), "findings": []}
    f = load_report(json.dumps(report, indent=2), "box.json")
    assert f.origin == "json:box.json"
    assert f.with_(origin="live", extra={}) == live
    assert f.extra["report"] == {"kind": "json", "schema": 1, "recorded_origin": "live", "notes": []}


def test_newer_schema_is_read_and_said():
    live = _load(H200).with_(origin="live", extra={})
    data = live.to_dict()
    data["runtime"]["some_future_fact"] = 42
    f = load_report(json.dumps({"schema": 2, "facts": data, "findings": []}), "new.json")
    assert f.runtime.version == "2.11.0+cu130"
    assert "newer" in f.extra["report"]["notes"][0]


def test_newer_schema_that_cannot_be_read_says_so():
    with pytest.raises(UsageError, match="schema 3.*upgrade"):
        load_report(json.dumps({"schema": 3, "facts": {"platform": "a string now"}}), "new.json")


@pytest.mark.parametrize("text", [
    "", "   \n\n", "hello world\n", "PyTorch is great\n", '{"name": "not a report"}', "[1, 2, 3]",
    "Traceback (most recent call last):\n  File \"x.py\", line 1\nValueError: bad input in my script\n",
    "\x00\x01\x02\x89PNG\r\n\x1a\n" * 200,
])
def test_anything_else_is_a_usage_error(text):
    with pytest.raises(UsageError) as info:
        load_report(text, "thing.txt")
    assert "thing.txt" in info.value.message and "\n" not in info.value.message


def test_a_traceback_of_import_torch_is_read_not_refused():
    # Was refused before the readers: it says torch is not installed in that interpreter.
    f = load_report("Traceback (most recent call last):\n  File \"x.py\", line 1\nImportError: No module named torch\n",
                    "thing.txt")
    assert f.runtime.status == "not_installed" and f.distributions is None
    assert any("collect_env" in a for a in f.extra["report"]["ask"])


def test_huge_input_is_capped_not_hung():
    text = _h200() + ("Vulnerability Spectre v2: Mitigation\n" * (MAX_REPORT_BYTES // 30))
    f = load_report(text, "big.txt")
    assert f.runtime.version == "2.11.0+cu130"
    assert any("MiB" in n for n in f.extra["report"]["notes"])


def test_missing_file_and_directory_are_usage_errors(tmp_path):
    with pytest.raises(UsageError, match="cannot read"):
        read_source(str(tmp_path / "nope.txt"))
    with pytest.raises(UsageError, match="directory"):
        read_source(str(tmp_path))


def test_stdin(monkeypatch):
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(_h200().encode("utf-8"))))
    f = load_source("-")
    assert f.origin == "collect_env:stdin" and f.runtime.version == "2.11.0+cu130"
