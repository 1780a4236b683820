"""collect_env text and check --json reports -> Facts, on real reports (tests/fixtures/reports/SOURCES.md)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from torchdoctor.checks.base import texts, torch_version
from torchdoctor.errors import UsageError
from torchdoctor.facts import Facts
from torchdoctor.reports import load_report, load_source, read_source
from torchdoctor.reports.text import MAX_REPORT_BYTES

REPORTS = Path(__file__).parent / "fixtures" / "reports"
# Every NAME.expected.json, here and in pastes/ (real pastes of every format, see pastes/SOURCES.md).
CASES = sorted(str(p.relative_to(REPORTS))[: -len(".expected.json")] for p in REPORTS.rglob("*.expected.json"))


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
    for name in CASES:
        assert (REPORTS / f"{name}.txt").exists()
        sources = (REPORTS / name).parent / "SOURCES.md"
        assert Path(name).name in sources.read_text(encoding="utf-8"), f"{name} is not listed in {sources}"


def _texts(f: Facts) -> str:
    """Every message the facts keep (what `error`, `dll`, ... must be found in)."""
    rt = f.runtime
    parts = list(texts(f))
    if rt is not None and rt.traceback_tail:
        parts.append(rt.traceback_tail)
    if f.nvidia is not None:
        parts += list(f.nvidia.errors)
    report = f.extra["report"]
    parts += [str(report.get(k) or "") for k in ("pip_error",)]
    return "\n".join(parts)


def _imported(f: Facts) -> str | None:
    """The torch version the paste shows: what imported, else a summary's version line."""
    rt = f.runtime
    if rt is not None and rt.version:
        return rt.version
    if f.extra["report"].get("packages_partial") or (rt is not None and rt.status == "ok"):
        return torch_version(f)
    return None


def _dists(f: Facts, name: str) -> list:
    return [d for d in f.distributions or () if d.name == name]


# key of "facts" -> (what the facts hold, how it compares); see SOURCES.md and pastes/SOURCES.md
def _platform(key: str):
    return lambda f: getattr(f.platform, key) if f.platform else None


_RT = lambda key: (lambda f: getattr(f.runtime, key) if f.runtime else None)  # noqa: E731
FACT_KEYS = {
    "torch": _imported,
    "cuda": _RT("cuda"), "hip": _RT("hip"),
    "cuda_available": lambda f: f.runtime.cuda_available if f.runtime and f.runtime.cuda_available is not None
    else f.extra["report"].get("cuda_available"),
    "arch_list": lambda f: list(f.runtime.arch_list) if f.runtime else [],
    "numpy": lambda f: (f.runtime.numpy if f.runtime and f.runtime.numpy else None)
    or next((d.version for d in _dists(f, "numpy")), None),
    "driver": lambda f: f.nvidia.driver if f.nvidia else None,
    "driver_cuda": lambda f: f.nvidia.cuda_driver if f.nvidia else None,
    "os": _platform("os"), "arch": _platform("arch"), "os_version": _platform("os_version"),
    "wsl": _platform("wsl"), "rosetta": _platform("rosetta"),
    "wsl_version": lambda f: (1 if re.search(r"^4\.4\.0-\d+-Microsoft$", f.platform.kernel or "") else 2)
    if f.platform and f.platform.wsl else None,
    "container": lambda f: bool(f.platform and f.platform.container),
    "python": lambda f: f.python.version if f.python else None,
    "bits": lambda f: f.python.bits if f.python else None,
    "env_kind": lambda f: f.python.env_kind if f.python else None,
    "gfx": lambda f: f.gpus[0].gfx if f.gpus else None,
    "torch_importable": lambda f: not (f.runtime and f.runtime.status in ("import_failed", "not_installed")),
    "collect_env_crashed": lambda f: bool(f.extra["report"].get("collect_env_crashed")),
    "conda_build": lambda f: next((d.build for d in _dists(f, "torch") if d.installer == "conda"), None),
    "hsa_override": lambda f: (f.env or {}).get("HSA_OVERRIDE_GFX_VERSION"),
    "shadow_path": lambda f: (f.shadowing or (None,))[0],
    "nccl_dists": lambda f: sorted([d.name, d.version] for d in f.distributions or () if d.name.startswith("nvidia-nccl")),
    "reports": lambda f: f.extra["report"].get("reports", 1),
    "available_versions": lambda f: f.extra["report"].get("available_versions"),
    "nvml_library": lambda f: f.extra["report"].get("nvml_library"),
}
# keys whose value must be found inside the kept messages
TEXT_KEYS = ("error", "dll", "missing_library", "nvml_error", "pip_error")


@pytest.mark.parametrize("name", CASES)
def test_facts_of_each_real_report(name):
    want = _expected(name)["facts"]
    f = _load(name)
    rt = f.runtime
    report = f.extra["report"]
    kind = want.get("kind", report["kind"])
    assert report["kind"] == kind and f.origin == f"{kind}:{Path(name).name}.txt"
    for key, value in want.items():
        if key in FACT_KEYS:
            assert FACT_KEYS[key](f) == value, f"{key}: {FACT_KEYS[key](f)!r} != {value!r}"
        elif key in TEXT_KEYS:
            assert value.lower() in _texts(f).lower(), f"{key} {value!r} not in the kept messages: {_texts(f)!r}"
        elif key == "gpus":
            if value is None:
                assert f.gpus is None
            else:
                assert [(g.vendor, g.name) for g in f.gpus or ()] == [(v, n) for v, n, _ in value]
                if _knowledge_loads():
                    assert [list(g.capability) if g.capability else None for g in f.gpus] == [c for _, _, c in value]
        elif key == "truncated":
            # a collect_env block shows its own cut; for other formats "cut" is the source copy's, not readable
            if "truncated" in report or value is False:
                assert report.get("truncated", False) is value
        elif key == "warning":
            assert any(value in w for w in rt.warnings), rt.warnings
        elif key == "warnings":
            assert len(rt.warnings) == value
        elif key == "torch_dists":
            assert sorted([d.version, d.installer] for d in f.distributions if d.name == "torch") == value
        elif key == "distributions":
            assert f.distributions is None
        elif key == "packages_cut":
            assert report.get("packages_cut", False) is value
        elif key == "note":
            assert any(value in n for n in report["notes"])
        elif key == "readers":
            assert set(value) <= set(report["readers"]), report["readers"]
        elif key in ("status", "error_kind"):
            assert (getattr(rt, key) if rt else None) == value
        elif key == "env":
            assert f.env == value
        elif key != "kind":
            pytest.fail(f"the harness does not know the facts key {key!r}: teach it (see SOURCES.md)")
    ask = _expected(name).get("ask_for")
    if ask:
        commands = re.findall(r"`([^`]+)`", ask) or [ask]
        assert any(any(c in a for c in commands) for a in report["ask"]), report["ask"]


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
