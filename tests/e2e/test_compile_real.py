"""The real CPU Inductor path (torch 2.13 CPU, g++ on the machine): smoke --compile passes; with PATH
stripped of compilers and CXX unset, check says compile.no_cxx and smoke --compile fails classified the same;
CXX=/nonexistent; a deadline too short."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HAS_TORCH = importlib.util.find_spec("torch") is not None
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not HAS_TORCH or shutil.which("g++") is None or sys.platform == "win32",
                                 reason="needs torch and g++ (Linux/macOS)")]


def doctor(args, env=None, timeout=400):
    base = {k: v for k, v in os.environ.items() if k not in ("CXX", "CC", "TORCHDYNAMO_DISABLE")}
    base.update(env or {})
    res = subprocess.run([sys.executable, "-m", "torchdoctor", *args], capture_output=True, text=True,
                         env=base, timeout=timeout)
    return res.returncode, json.loads(res.stdout) if res.stdout.strip().startswith("{") else res.stdout, res.stderr


def no_compilers(tmp_path: Path) -> str:
    """A PATH with nothing but this folder: python is called by absolute path, so no compiler is found."""
    folder = tmp_path / "bin"
    folder.mkdir()
    return str(folder)


def findings(doc, prefix="compile."):
    return {f["id"]: f for f in doc["findings"] if f["id"].startswith(prefix) and f["severity"] != "ok"}


def test_smoke_compile_passes_on_the_cpu(tmp_path):
    code, doc, err = doctor(["smoke", "--device", "cpu", "--compile", "--json"])
    assert code == 0, err
    k = doc["devices"][0]["compile"]
    assert k["ok"] and k["phase"] == "done" and k["graphs"] >= 1 and k["artifacts"] >= 1
    assert k["first_call_seconds"] > k["steady_seconds"]  # the compile is reported apart from steady state
    assert not list(Path(os.environ.get("TMPDIR", "/tmp")).glob("torchdoctor-compile-*/inductor"))  # cleaned


def test_no_compiler_on_path(tmp_path):
    path = no_compilers(tmp_path)
    code, doc, err = doctor(["check", "--json"], {"PATH": path})
    assert doc["facts"]["toolchain"]["cxx"] is None
    assert findings(doc)["compile.no_cxx"]["severity"] == "warning"
    code, doc, err = doctor(["smoke", "--device", "cpu", "--compile", "--json", "--epochs", "100"], {"PATH": path})
    assert code == 1
    found = findings(doc)
    assert list(found) == ["compile.no_cxx"] and "InvalidCxxCompiler" in found["compile.no_cxx"]["message"]
    assert doc["devices"][0]["classic"]["w"] is not None  # the classic loop still ran and is reported


def test_cxx_pointing_nowhere(tmp_path):
    code, doc, err = doctor(["check", "--json"], {"CXX": "/nonexistent"})
    assert set(findings(doc)) == {"compile.cc_env_broken"}
    code, doc, err = doctor(["smoke", "--device", "cpu", "--compile", "--json"], {"CXX": "/nonexistent"})
    assert code == 1 and list(findings(doc)) == ["compile.cc_env_broken"]


def test_a_deadline_too_short(tmp_path):
    temp = tmp_path / "tmp"
    temp.mkdir()
    code, doc, err = doctor(["smoke", "--device", "cpu", "--compile", "--compile-timeout", "2", "--json"],
                            {"TMPDIR": str(temp)})
    assert code == 1
    found = findings(doc)
    assert list(found) == ["compile.timeout"] and "--compile-timeout" in found["compile.timeout"]["message"]
    assert not list(temp.glob("torchdoctor-compile-*"))  # the killed child's caches are removed by the doctor
