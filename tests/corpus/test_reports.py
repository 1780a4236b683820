"""collect_env text and check --json reports -> Facts, on real reports (tests/fixtures/reports/SOURCES.md)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from torchdoctor.checks.views import texts, torch_version
from torchdoctor.errors import UsageError
from torchdoctor.facts import Facts
from torchdoctor.recorded import load_report, load_source, read_source
from torchdoctor.recorded.text import MAX_REPORT_BYTES

REPORTS = Path(__file__).parents[1] / "fixtures" / "reports"
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


def _mismatches(name: str) -> dict[str, str]:
    """Each expected fact the facts do not hold: {key: what was found instead}."""
    want = _expected(name)["facts"]
    f = _load(name)
    rt = f.runtime
    report = f.extra["report"]
    out: dict[str, str] = {}

    def check(key: str, ok: bool, got: object) -> None:
        if not ok:
            out[key] = f"{key}: got {got!r}, want {want.get(key)!r}"[:300]

    kind = want.get("kind", report["kind"])
    check("kind", report["kind"] == kind and f.origin == f"{kind}:{Path(name).name}.txt", f.origin)
    for key, value in want.items():
        if key in FACT_KEYS:
            check(key, FACT_KEYS[key](f) == value, FACT_KEYS[key](f))
        elif key in TEXT_KEYS:
            check(key, value.lower() in _texts(f).lower(), _texts(f)[:200])
        elif key == "gpus":
            names = [(g.vendor, g.name) for g in f.gpus or ()] if f.gpus is not None else None
            if value is None or names != [(v, n) for v, n, _ in value]:
                check(key, value is None and f.gpus is None, names)
            elif _knowledge_loads():
                caps = [list(g.capability) if g.capability else None for g in f.gpus]
                check("capability", caps == [c for _, _, c in value], caps)
        elif key == "truncated":
            # a collect_env block shows its own cut; for other formats "cut" is the source copy's, not readable
            if "truncated" in report or value is False:
                check(key, report.get("truncated", False) is value, report.get("truncated"))
        elif key == "warning":
            check(key, rt is not None and any(value in w for w in rt.warnings), rt and rt.warnings)
        elif key == "warnings":
            check(key, rt is not None and len(rt.warnings) == value, rt and rt.warnings)
        elif key == "torch_dists":
            got = sorted([d.version, d.installer] for d in f.distributions or () if d.name == "torch")
            check(key, got == value, got)
        elif key == "distributions":
            check(key, f.distributions is None, f.distributions)
        elif key == "packages_cut":
            check(key, report.get("packages_cut", False) is value, report.get("packages_cut"))
        elif key == "note":
            check(key, any(value in n for n in report["notes"]), report["notes"])
        elif key == "readers":
            check(key, set(value) <= set(report["readers"]), report["readers"])
        elif key in ("status", "error_kind"):
            check(key, (getattr(rt, key) if rt else None) == value, getattr(rt, key) if rt else None)
        elif key == "env":
            check(key, f.env == value, f.env)
        elif key != "kind":
            out[key] = f"the harness does not know the facts key {key!r}: teach it (see SOURCES.md)"
    ask = _expected(name).get("ask_for")
    if ask:
        commands = re.findall(r"`([^`]+)`", ask) or [ask]
        if not any(any(c in a for c in commands) for a in report["ask"]):
            out["ask_for"] = f"ask_for: {report['ask']!r} names none of {commands!r}"
    return out


# Facts the readers do not establish yet, each with why. Strict: one that starts to pass fails until removed.
_WHY = {
    "capability": "the GPU table (knowledge/gpus.json) does not resolve this name as written",
    "env_kind": "only a path says conda/venv, and the paste gives no Python version to hold it",
    "os": "only context says the OS (a bare nvidia-smi, a Linux-only tool, a title)",
    "python": "only context gives the Python series",
    "truncated": "the stored copy's cut is not visible in the text",
    "gpus": "the GPU is named only in prose the readers do not trust, or a cut collect_env line",
    "torch": "two environments in one paste, or a version only in prose the readers do not read",
    "cuda": "the build's CUDA is only implied (an index URL, a conda package)",
    "container": "only context says it ran in a container",
    "wsl": "WSL is named only in a form the readers do not read",
    "driver": "the driver version is only in a non-English sentence",
    "nccl_dists": "collect_env's [pip3] rows without the report around them",
    "hip": "two ROCm versions in one paste (pip list and rocminfo)",
    "ask_for": "the thread asks for something the doctor does not (yet) know to ask",
    "warnings": "a non-torch warning printed above collect_env is kept",
    "collect_env_crashed": "the crash is shown without collect_env's own frames",
    "arch": "the CPU architecture is only implied (a Windows or Linux prompt, an x86 wheel name)",
    "rosetta": "only the prose says Apple silicon runs an x86 Python",
    "os_version": "the OS version is only in a form the readers do not read",
    "conda_build": "two conda pytorch rows of two environments in one paste",
    "reports": "several environments in one paste are not counted",
}
KNOWN_FACT_GAPS: dict[tuple[str, str], str] = {
    ("pastes/a1111-15875-collect-env-true-but-torch-cannot-use-gpu", "ask_for"): _WHY["ask_for"],
    ("pastes/fasterwhisper653-804-driver470-cuda121-2080ti", "ask_for"): _WHY["ask_for"],
    ("pastes/fasterwhisper653-804-driver470-cuda121-2080ti", "capability"): _WHY["capability"],
    ("pastes/graphrag54-winerror1114-c10-torch29-conda", "env_kind"): _WHY["env_kind"],
    ("pastes/groqcasters1-pip-no-torch-1131-py311-windows", "env_kind"): _WHY["env_kind"],
    ("pastes/groqcasters1-pip-no-torch-1131-py311-windows", "os"): _WHY["os"],
    ("pastes/hfhub4134-nvidia-smi-L-802-h200-job", "os"): _WHY["os"],
    ("pastes/kohya1597-runlog-winerror126-fbgemm-german", "env_kind"): _WHY["env_kind"],
    ("pastes/kronos166-winerror1114-c10-venv", "env_kind"): _WHY["env_kind"],
    ("pastes/lightning14634-lightning-env-mac-m1-i386", "os"): _WHY["os"],
    ("pastes/lightning14634-lightning-env-mac-m1-i386", "rosetta"): _WHY["rosetta"],
    ("pastes/mozilla1167-runlog-nvml-mismatch-550", "os"): _WHY["os"],
    ("pastes/nvautoinstall75-nvidia-smi-failed-secure-boot", "capability"): _WHY["capability"],
    ("pastes/nvautoinstall75-nvidia-smi-failed-secure-boot", "os"): _WHY["os"],
    ("pastes/ooba645-collect-env-2.0.0cpu-rtx4090-windows", "truncated"): _WHY["truncated"],
    ("pastes/p2-deepprep233-sm120-rtx5090-torch201-cu118-indented", "cuda"): _WHY["cuda"],
    ("pastes/p2-deepprep233-sm120-rtx5090-torch201-cu118-indented", "torch"): _WHY["torch"],
    ("pastes/p2-exllamav2-786-pascal-1080ti-p100-torch270-cu128-too-old", "cuda"): _WHY["cuda"],
    ("pastes/p2-exllamav2-786-pascal-1080ti-p100-torch270-cu128-too-old", "gpus"): _WHY["gpus"],
    ("pastes/p2-exllamav2-786-pascal-1080ti-p100-torch270-cu128-too-old", "os"): _WHY["os"],
    ("pastes/p2-exllamav2-786-pascal-1080ti-p100-torch270-cu128-too-old", "torch"): _WHY["torch"],
    ("pastes/p2-kronos71-found-version-11040-container-chinese-pin-1131", "container"): _WHY["container"],
    ("pastes/p2-nougat105-wsl2-libcudnn-cnn-infer-needs-wsl-libcuda-link", "wsl"): _WHY["wsl"],
    ("pastes/p2-pt147761-pip-show-torch-rocm624-nightly-gfx1102", "env_kind"): _WHY["env_kind"],
    ("pastes/p2-pt147761-pip-show-torch-rocm624-nightly-gfx1102", "os"): _WHY["os"],
    ("pastes/p2-pt150260-xpu-nightly-repl-false-collect-env-na-arc-a770", "ask_for"): _WHY["ask_for"],
    ("pastes/p2-pt156024-russian-pip-none-cu121-index-win11-py31011", "ask_for"): _WHY["ask_for"],
    ("pastes/p2-pt156024-russian-pip-none-cu121-index-win11-py31011", "driver"): _WHY["driver"],
    ("pastes/p2-pt194487-collect-env-xpu-2.13-wsl2-intel-graphics-py314", "gpus"): _WHY["gpus"],
    ("pastes/p2-pt54172-pip-win-1.8.0-cu102-not-built-from-versions-list", "os"): _WHY["os"],
    ("pastes/p2-pt67108-conda-new-packages-win-1100-cpu-vs-expected", "env_kind"): _WHY["env_kind"],
    ("pastes/p2-pt92273-conda-plan-win-1121-cudatoolkit102-cpu", "env_kind"): _WHY["env_kind"],
    ("pastes/p2-pt92273-conda-plan-win-1121-cudatoolkit102-cpu", "torch"): _WHY["torch"],
    ("pastes/p2-pt99137-nvidia-smi-L-quadro-k620-uuid-images", "truncated"): _WHY["truncated"],
    ("pastes/p2-rocm2354-rocminfo-head-rx6800-torch-cpu-py37", "os"): _WHY["os"],
    ("pastes/p2-ruyi31-lshw-arc-a770-comfyui-bold-report-not-compiled-cuda", "ask_for"): _WHY["ask_for"],
    ("pastes/p2-ruyi31-lshw-arc-a770-comfyui-bold-report-not-compiled-cuda", "os"): _WHY["os"],
    ("pastes/p2-therock1184-780m-gfx1103-override-hangs-rocminfo-support", "gpus"): _WHY["gpus"],
    ("pastes/p2-therock1184-780m-gfx1103-override-hangs-rocminfo-support", "os"): _WHY["os"],
    ("pastes/p2-therock1184-780m-gfx1103-override-hangs-rocminfo-support", "os_version"): _WHY["os_version"],
    ("pastes/p2-verba72-lshw-nvrm-470-found-version-11040-gtx1050ti", "os"): _WHY["os"],
    ("pastes/p2-vllm24063-sectioned-cpu-build-rtx3090-uv", "env_kind"): _WHY["env_kind"],
    ("pastes/p2-vllm6184-wsl2-kernel-5.10.16.3-too-old-found-no-driver", "gpus"): _WHY["gpus"],
    ("pastes/pt101147-repl-cu118-intel-uhd630-no-nvidia", "arch"): _WHY["arch"],
    ("pastes/pt101147-repl-cu118-intel-uhd630-no-nvidia", "cuda"): _WHY["cuda"],
    ("pastes/pt11870-repl-collect-env-1.0-mac-gt750m-no-driver", "ask_for"): _WHY["ask_for"],
    ("pastes/pt11870-repl-collect-env-1.0-mac-gt750m-no-driver", "gpus"): _WHY["gpus"],
    ("pastes/pt12031-conda-pytorch-and-pytorch-nightly", "env_kind"): _WHY["env_kind"],
    ("pastes/pt12031-conda-pytorch-and-pytorch-nightly", "python"): _WHY["python"],
    ("pastes/pt137853-collect-env-py313-macos-no-wheel", "truncated"): _WHY["truncated"],
    ("pastes/pt23778-conda-plan-nightly-cpu-only", "env_kind"): _WHY["env_kind"],
    ("pastes/pt23778-conda-plan-nightly-cpu-only", "python"): _WHY["python"],
    ("pastes/pt32369-collect-env-conda-cpuonly-vs-cuda", "conda_build"): _WHY["conda_build"],
    ("pastes/pt32369-collect-env-conda-cpuonly-vs-cuda", "env_kind"): _WHY["env_kind"],
    ("pastes/pt35710-repl-802-conda-nvidia-smi-head", "os"): _WHY["os"],
    ("pastes/pt51858-collect-env-win-conda-cpu-build-rtx3060", "env_kind"): _WHY["env_kind"],
    ("pastes/pt574-traceback-relative-torch-dir-shadowing", "env_kind"): _WHY["env_kind"],
    ("pastes/pt574-traceback-relative-torch-dir-shadowing", "python"): _WHY["python"],
    ("pastes/pt71112-pip-from-versions-none-py310-fedora", "env_kind"): _WHY["env_kind"],
    ("pastes/pt7575-handwritten-list-torch-py-in-screenshot", "ask_for"): _WHY["ask_for"],
    ("pastes/returnn1802-pip3-two-nccl-cu11-cu12", "ask_for"): _WHY["ask_for"],
    ("pastes/returnn1802-pip3-two-nccl-cu11-cu12", "nccl_dists"): _WHY["nccl_dists"],
    ("pastes/rocm3485-pip-list-rocm61-rocminfo-radeon-vii", "env_kind"): _WHY["env_kind"],
    ("pastes/rocm3485-pip-list-rocm61-rocminfo-radeon-vii", "os"): _WHY["os"],
    ("pastes/starrail784-winerror126-fbgemm-amd-gpu", "arch"): _WHY["arch"],
    ("pastes/starrail784-winerror126-fbgemm-amd-gpu", "python"): _WHY["python"],
    ("pastes/torchdata315-conda-list-grep-cpuonly", "env_kind"): _WHY["env_kind"],
    ("pastes/torchdata315-conda-list-grep-cpuonly", "torch"): _WHY["torch"],
    ("pastes/ultralytics1495-yolo-header-two-envs-cpu-wheel", "cuda"): _WHY["cuda"],
    ("pastes/ultralytics1495-yolo-header-two-envs-cpu-wheel", "os"): _WHY["os"],
    ("pastes/ultralytics1495-yolo-header-two-envs-cpu-wheel", "python"): _WHY["python"],
    ("pastes/ultralytics1495-yolo-header-two-envs-cpu-wheel", "torch"): _WHY["torch"],
    ("pastes/vllm21310-sectioned-collect-env-rhel8", "ask_for"): _WHY["ask_for"],
    ("pastes/vllm21310-sectioned-collect-env-rhel8", "warnings"): _WHY["warnings"],
}


@pytest.mark.parametrize("name", CASES)
def test_facts_of_each_real_report(name):
    got = _mismatches(name)
    known = {key for (n, key) in KNOWN_FACT_GAPS if n == name}
    fixed = known - set(got)
    assert not fixed, f"now read right: remove {sorted(fixed)} of {name} from KNOWN_FACT_GAPS"
    unexpected = {k: v for k, v in got.items() if k not in known}
    assert not unexpected, "; ".join(unexpected.values())
    if got:
        pytest.xfail("; ".join(f"{k}: {KNOWN_FACT_GAPS[(name, k)]}" for k in sorted(got)))


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
