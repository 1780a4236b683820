"""The patient rule (torchdoctor/patient/__init__.py): code that runs inside the target interpreter
imports only the standard library, and the doctor never lends the target its own packages.

The fast tests read the patient files. The slow one builds two real venvs with pip: DOCTOR holds
torch, numpy and torchdoctor (a regular, non-editable install), TARGET holds torch only. DOCTOR's
torchdoctor examines TARGET; every answer must be TARGET's (no numpy), and inside every child the
doctor starts there, `import numpy` must fail. A sitecustomize.py in TARGET records that at each
child's exit, after the child's own code ran (the old bootstrap tricks put the doctor's
site-packages on sys.path there, and numpy with it).
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from torchdoctor import child
from torchdoctor.patient import FOLDER

ROOT = Path(__file__).resolve().parents[2]
PATIENT = Path(FOLDER)
STDLIB = set(sys.stdlib_module_names) | {"__future__"}
SUBJECT = {"torch"}  # what the patient examines, imported inside the functions that examine it


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            found.add("." if node.level else (node.module or "").split(".")[0])
    return found


def _patient_files() -> list[Path]:
    files = sorted(PATIENT.glob("*.py"))
    assert len(files) > 5, files
    return files


@pytest.mark.parametrize("path", _patient_files(), ids=lambda p: p.name)
def test_patient_file_imports_only_the_standard_library(path):
    assert _imports(path) - STDLIB - SUBJECT == set()


def test_privacy_which_patient_code_loads_by_path_is_stdlib_only():
    assert _imports(ROOT / "torchdoctor" / "privacy.py") - STDLIB == set()


@pytest.mark.parametrize("path", _patient_files(), ids=lambda p: p.name)
def test_patient_file_never_changes_sys_path(path):
    """No bootstrap trick: nothing assigns to sys.path or calls its insert/append/extend/remove."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] \
            if isinstance(node, (ast.AugAssign, ast.AnnAssign)) else []
        for t in targets:
            base = t.value if isinstance(t, ast.Subscript) else t
            assert ast.unparse(base) != "sys.path", (path.name, node.lineno)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            assert ast.unparse(node.func.value) != "sys.path", (path.name, node.lineno)


def test_no_patient_file_shadows_what_the_target_imports():
    """Run as a script, the patient folder is sys.path[0]: its names must not hide a real module."""
    names = {p.stem for p in PATIENT.glob("*.py")} - {"__init__"}
    assert names & (STDLIB | SUBJECT | {"numpy"}) == set()


def test_the_answer_marker_is_the_one_the_doctor_reads():
    text = (PATIENT / "answer.py").read_text(encoding="utf-8")
    assert f'MARKER = "{child.MARKER}"' in text
    for name in ("env_child.py", "whoami.py"):  # written for Python 2.7 too: they spell it themselves
        assert f'MARKER = "{child.MARKER}"' in (PATIENT / name).read_text(encoding="utf-8")


# ------------------------------------------------------------------------------ two real venvs
RECORDER = '''\
import atexit, json, os, sys
_OUT = os.environ.get("TORCHDOCTOR_ISOLATION_RECORDS")


def _record():
    try:
        import numpy
        numpy = getattr(numpy, "__file__", "?")
    except ImportError:
        numpy = None
    with open(os.path.join(_OUT, "%d.json" % os.getpid()), "w") as fh:
        json.dump({"argv": sys.argv, "numpy": numpy, "sys_path": sys.path}, fh)


if _OUT:
    atexit.register(_record)
'''


def _pip(python: Path, *args: str) -> None:
    proc = subprocess.run([str(python), "-m", "pip", "install", "-q", *args], capture_output=True, text=True,
                          timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]


def _venv(dest: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", str(dest)], check=True, timeout=300)  # no system site-packages
    return dest / "bin" / "python"


@pytest.fixture(scope="module")
def venvs(tmp_path_factory):
    base = tmp_path_factory.mktemp("isolation")
    # A clean copy of the source: a stale build/ folder in the checkout would install files that are gone.
    source = base / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".*", "build", "dist", "*.egg-info", "__pycache__",
                                                                "venv*", "tests"))
    doctor = _venv(base / "doctor")
    _pip(doctor, "torch==2.13.0", "numpy", str(source))  # a regular install: torchdoctor in site-packages
    target = _venv(base / "target")
    _pip(target, "torch==2.13.0")
    site = subprocess.run([str(target), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                          capture_output=True, text=True, check=True).stdout.strip()
    Path(site, "sitecustomize.py").write_text(RECORDER, encoding="utf-8")
    return base, doctor, target


def _run(venvs, tmp_path, *args: str) -> tuple[dict, list[dict]]:
    base, doctor, _ = venvs
    records = tmp_path / "records"
    records.mkdir()
    env = {k: v for k, v in os.environ.items()
           if k not in ("VIRTUAL_ENV", "CONDA_PREFIX", "PYTHONPATH", "PYTHONHOME", "PYTHONSAFEPATH")}
    env.update(PATH=f"{doctor.parent}{os.pathsep}{env.get('PATH', '')}", TORCHDOCTOR_ISOLATION_RECORDS=str(records))
    proc = subprocess.run([str(doctor.parent / "torchdoctor"), *args], capture_output=True, text=True,
                          cwd=tmp_path, env=env, timeout=600)
    assert proc.stdout.strip(), proc.stderr[-3000:]
    return json.loads(proc.stdout), [json.loads(p.read_text()) for p in sorted(records.glob("*.json"))]


def _assert_no_numpy_inside(records: list[dict], scripts: tuple[str, ...], venvs) -> None:
    base, doctor, target = venvs
    for name in scripts:
        assert any(name in " ".join(r["argv"]) for r in records), (name, [r["argv"] for r in records])
    for r in records:
        assert r["numpy"] is None, r  # `import numpy` failed inside the child, after its own code ran
        # Started as a script, the child has its own folder (the doctor's patient/) as sys.path[0]; nothing
        # else of the doctor's: not its site-packages, not the folder holding the torchdoctor package.
        doctors = {p for p in r["sys_path"] if p.startswith(str(doctor.parent.parent))}
        assert {os.path.basename(p) for p in doctors} <= {"patient"}, r



@pytest.mark.slow
@pytest.mark.skipif(os.name == "nt", reason="POSIX venv layout")
def test_the_setup_doctor_has_numpy_and_the_target_has_not(venvs):
    _, doctor, target = venvs
    assert subprocess.run([str(doctor), "-c", "import numpy, torchdoctor"]).returncode == 0
    installed = subprocess.run([str(doctor), "-c", "import torchdoctor; print(torchdoctor.__file__)"],
                               capture_output=True, text=True, cwd="/").stdout
    assert "site-packages" in installed and str(ROOT) not in installed  # not editable
    assert subprocess.run([str(target), "-c", "import numpy"], capture_output=True).returncode != 0


@pytest.mark.slow
@pytest.mark.skipif(os.name == "nt", reason="POSIX venv layout")
def test_check_reports_the_targets_packages(venvs, tmp_path):
    _, _, target = venvs
    report, records = _run(venvs, tmp_path, "check", "--python", str(target), "--json")
    facts = report["facts"]
    names = [d["name"] for d in facts["distributions"]]
    assert "torch" in names and "numpy" not in names, names
    assert all(str(target.parent.parent) in d["location"] for d in facts["distributions"]), facts["distributions"]
    assert facts["runtime"]["status"] == "ok" and facts["runtime"]["numpy"] is None
    assert facts["python"]["executable"].startswith(str(target.parent.parent))
    _assert_no_numpy_inside(records, ("torch_child",), venvs)


@pytest.mark.slow
@pytest.mark.skipif(os.name == "nt", reason="POSIX venv layout")
def test_smoke_runs_in_the_target(venvs, tmp_path):
    _, _, target = venvs
    report, records = _run(venvs, tmp_path, "smoke", "--python", str(target), "--device", "cpu", "--json")
    assert report["ok"] is True, report.get("error")
    assert report["torch"]["executable"].startswith(str(target.parent.parent))
    _assert_no_numpy_inside(records, ("smoke_child",), venvs)


@pytest.mark.slow
@pytest.mark.skipif(os.name == "nt", reason="POSIX venv layout")
def test_distributed_smoke_runs_in_the_target(venvs, tmp_path):
    _, _, target = venvs
    report, records = _run(venvs, tmp_path, "smoke", "--distributed", "--nproc", "2", "--device", "cpu",
                           "--python", str(target), "--json", "--timeout", "120")
    assert report["ok"] is True, json.dumps(report)[:3000]
    _assert_no_numpy_inside(records, ("distributed_preflight", "distributed_worker"), venvs)
