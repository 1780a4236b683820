"""The Python API (torchdoctor.check/suggest/smoke): report objects, one code path with the CLI,
clear errors for bad arguments, never an exception for a broken patient, HTML that cannot inject."""

from __future__ import annotations

import glob
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import torchdoctor
from torchdoctor.cli import main

REPORTS = Path(__file__).parents[1] / "fixtures" / "reports"
COLLECT_ENV = REPORTS / "espnet5629-a100-driver460-cu121.txt"


def cli_json(capsys, *args):
    with pytest.raises(SystemExit) as exc:
        main([*args, "--json"])
    return exc.value.code, json.loads(capsys.readouterr().out)


def test_import_is_cheap_and_never_imports_torch():
    code = ("import sys, torchdoctor; assert callable(torchdoctor.check) and callable(torchdoctor.smoke); "
            "print(sorted(m for m in sys.modules if m.startswith(('torch', 'rich', 'typer'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "['torchdoctor', 'torchdoctor._version', 'torchdoctor.api']", out.stderr  # no torch, and smoke is a function, not a module


def test_check_from_a_recorded_machine_is_the_cli_document(capsys):
    report = torchdoctor.check(from_=COLLECT_ENV)
    code, data = cli_json(capsys, "check", "--from", str(COLLECT_ENV))
    assert report.exit_code == code == data["exit_code"] == 1
    mine = report.to_dict()
    assert mine.keys() == data.keys() and mine["findings"] == data["findings"] and mine["target"] is None
    assert [f.id for f in report.findings] == [f["id"] for f in data["findings"]]
    assert json.loads(report.json()) == json.loads(json.dumps(mine, default=str))
    assert "Diagnosing a recorded machine" in report.text().splitlines()[0]
    html = report._repr_html_()
    assert html.startswith('<div class="torchdoctor-report">') and "cuda.driver_too_old" in html


def test_suggest_described_is_the_cli_document(capsys):
    args = dict(os="linux", arch="x86_64", python_version="3.12", driver="535.104.05", gpu="RTX 3090")
    report = torchdoctor.suggest(**args)
    code, data = cli_json(capsys, "suggest", "--os", "linux", "--arch", "x86_64", "--python-version", "3.12",
                          "--driver", "535.104.05", "--gpu", "RTX 3090")
    assert report.exit_code == code == 0 and report.to_dict() == data
    assert report.plan.variant == "cu126" and report.findings == () and report.target is None
    assert report.text().startswith("Install with:\n")


def test_bad_arguments_raise_one_clear_error(tmp_path):
    with pytest.raises(TypeError, match="timeout must be a number of seconds"):
        torchdoctor.check(timeout="60")
    with pytest.raises(ValueError, match="positive"):
        torchdoctor.check(timeout=-1)
    with pytest.raises(TypeError, match="python must be a path"):
        torchdoctor.check(python=3)
    with pytest.raises(ValueError, match="no such interpreter or virtualenv"):
        torchdoctor.check(python=tmp_path / "nope")
    with pytest.raises(ValueError, match="unknown --os"):
        torchdoctor.suggest(os="beos")
    with pytest.raises(ValueError, match="unknown device|device"):
        torchdoctor.smoke(device="tpu")
    with pytest.raises(TypeError, match="epochs must be an int"):
        torchdoctor.smoke(epochs=1.5)


def test_html_escapes_after_sanitizing():
    from torchdoctor.render.views import as_html, as_rich

    hostile = '<script>alert("x")</script> \x1b[31mred\x1b[0m ~ GPU-12345678-1234-1234-1234-123456789abc'
    html = as_html([(hostile, "bold red")], "t<i>")
    assert "<script>" not in html and "&lt;script&gt;" in html and "\x1b" not in html
    assert "t&lt;i&gt;" in html and "GPU-12345678" not in html  # sanitize.clean masked the UUID
    assert "\x1b" not in as_rich([(hostile, "red")]).plain


@pytest.fixture(scope="module")
def torchless_python(tmp_path_factory) -> str:
    """A real interpreter without torch (a venv of a pyenv Python, else the system's)."""
    found = sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.1[0-3].*/bin/python3")))
    base = found[-1] if found else "/usr/bin/python3"
    if not os.path.exists(base):
        pytest.skip("no second Python interpreter")
    root = tmp_path_factory.mktemp("notorch") / "venv"
    subprocess.run([base, "-m", "venv", "--without-pip", str(root)], check=True, timeout=120)
    return str(root)


def test_a_broken_patient_is_a_report_not_an_exception(torchless_python, tmp_path):
    report = torchdoctor.check(python=torchless_python, timeout=60)
    assert report.exit_code == 1 and report.target.source == "option"
    assert any(f.id == "torch.not_installed" and f.severity == "error" for f in report.findings)
    assert report.text().startswith(f"Examining {report.target.display} (--python ")
    smoked = torchdoctor.smoke(python=torchless_python, timeout=60)
    assert smoked.exit_code == 1 and "torch is not installed" in smoked.error and list(smoked.devices) == []
    assert smoked.to_dict()["target"]["source"] == "option"
    assert "torch is not installed" in smoked._repr_html_()


def _has_torch() -> bool:
    from importlib import metadata

    try:
        return bool(metadata.version("torch"))
    except metadata.PackageNotFoundError:
        return False


@pytest.mark.skipif(not _has_torch(), reason="the test venv has no torch")
def test_the_api_never_imports_torch_into_the_caller(tmp_path):
    """The caller (this venv) has torch: check() examines it in a child, and torch stays out of here."""
    code = ("import sys, torchdoctor; r = torchdoctor.check(timeout=240); s = torchdoctor.suggest(); "
            "print(r.target.source, r.to_dict()['facts']['runtime']['status'], 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert out.stdout.split() == ["self", "ok", "False"], out.stderr


def test_suggest_python_and_python_version_conflict():
    with pytest.raises(ValueError, match="cannot be combined"):
        torchdoctor.suggest(python=sys.executable, python_version="3.12")


def test_suggest_for_another_interpreter_asks_it(torchless_python):
    version = subprocess.run([os.path.join(torchless_python, "bin", "python"), "-c",
                              "import sys; print('%d.%d' % sys.version_info[:2])"],
                             capture_output=True, text=True, timeout=60).stdout.strip()
    report = torchdoctor.suggest(python=torchless_python)
    assert report.to_dict()["machine"]["python"] == version and report.target.source == "option"
    assert report.text().rstrip().endswith(f"(planned for {report.target.display}: {report.target.why})")
