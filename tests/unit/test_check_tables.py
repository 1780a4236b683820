"""scripts/check_tables.py: the real tables pass; broken copies fail, each with its own line."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "check_tables.py"
KDIR = ROOT / "torchdoctor" / "knowledge"


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=60)


@pytest.fixture
def tables(tmp_path: Path) -> Path:
    """A copy of the knowledge folder to break."""
    folder = tmp_path / "knowledge"
    shutil.copytree(KDIR, folder, ignore=shutil.ignore_patterns("__pycache__"))
    return folder


def edit(folder: Path, name: str, change) -> None:
    path = folder / name
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")


def errors(result: subprocess.CompletedProcess) -> list[str]:
    return [line for line in result.stdout.splitlines() if not line.startswith("warning: ")]


def test_the_real_tables_pass_in_well_under_a_second():
    start = time.perf_counter()
    result = run()
    took = time.perf_counter() - start
    assert result.returncode == 0, result.stdout + result.stderr
    assert errors(result) == []
    assert "0 error(s)" in result.stderr
    assert took < 1.0, f"check_tables.py took {took:.2f} s"


def test_the_copy_passes_before_it_is_broken(tables):
    result = run("--dir", str(tables))
    assert result.returncode == 0, result.stdout


def test_a_missing_source_key_fails_with_its_line(tables):
    edit(tables, "archs.json", lambda d: d["rows"][0]["source"].append("NO-SUCH-KEY"))
    result = run("--dir", str(tables), "--quiet")
    assert result.returncode == 1
    assert errors(result) == ["archs.json: rows[0].source: source key 'NO-SUCH-KEY' is not in sources.json"]


def test_a_missing_as_of_fails_with_its_line(tables):
    edit(tables, "mps.json", lambda d: d.pop("as_of"))
    result = run("--dir", str(tables), "--quiet")
    assert result.returncode == 1
    assert errors(result) == ["mps.json: as_of: missing (every table says when its facts were checked)"]


def test_an_as_of_after_today_fails(tables):
    result = run("--dir", str(tables), "--quiet", "--today", "2026-11-30")
    assert result.returncode == 1
    # gpu_names/mps/pythons are of 2026-12-01, platforms and the new tables of 2026-12-07
    assert "gpu_names.json: as_of: 2026-12-01 is after today (2026-11-30)" in errors(result)
    assert not any(line.startswith(("releases.json", "archs.json")) for line in errors(result))


def test_an_as_of_that_is_not_a_date_fails(tables):
    edit(tables, "cuda.json", lambda d: d.update(as_of="2026-13-01"))
    assert errors(run("--dir", str(tables), "--quiet")) == ["cuda.json: as_of: '2026-13-01' is not a calendar date"]


def test_an_unknown_status_fails_with_its_line(tables):
    def change(d):
        d["releases"][0]["variants"][0]["status"] = "confirmd"

    edit(tables, "releases.json", change)
    result = run("--dir", str(tables), "--quiet")
    assert result.returncode == 1
    assert errors(result) == ["releases.json: releases[0 2.15].variants[0 cu132].status: 'confirmd' is not one of "
                              "confirmed, inferred, unconfirmed, unadvertised"]


def test_an_unknown_table_fails_with_its_line(tables):
    (tables / "regions.json").write_text('{"as_of": "2026-12-01", "rows": []}', encoding="utf-8")
    result = run("--dir", str(tables), "--quiet")
    assert result.returncode == 1
    assert errors(result) == ["regions.json: a table with no schema (add one to scripts/check_tables.py)"]


def test_a_missing_table_and_one_that_does_not_parse_fail(tables):
    (tables / "wsl.json").unlink()
    (tables / "rocm.json").write_text('{"as_of": "2026-12-07", ', encoding="utf-8")
    found = errors(run("--dir", str(tables), "--quiet"))
    assert "wsl.json: missing" in found
    assert any(line.startswith("rocm.json: does not parse: ") for line in found)


def test_schema_problems_each_get_a_line(tables):
    def releases(d):
        rel = d["releases"][1]  # 2.14
        rel.pop("pythons")
        rel["variantz"] = []
        rel["variants"][0]["platforms"] = ["linux-x86_64", "solaris-sparc"]

    edit(tables, "releases.json", releases)
    edit(tables, "archs.json", lambda d: d["rows"][0].update(confidence="sure"))
    edit(tables, "cuda.json", lambda d: d["toolkit"][0].update(linux=346))
    found = errors(run("--dir", str(tables), "--quiet"))
    assert "releases.json: releases[1 2.14]: missing field 'pythons'" in found
    assert any(line.startswith("releases.json: releases[1 2.14]: unknown field 'variantz'") for line in found)
    assert any("variants[0 cu126].platforms[1]: 'solaris-sparc' is not a platform key" in line for line in found)
    assert any(line.startswith("archs.json: rows[0].confidence: 'sure' is not a confidence") for line in found)
    assert "cuda.json: toolkit[0 7.0].linux: expected an NVIDIA driver version such as 525.60.13, found a number" in found


def test_facts_across_rows(tables):
    def intel(d):
        d["ranges"].append({"from": "56b0", "to": "56b8", "kind": "arc", "source": ["KERNEL-PCIIDS"]})

    def libraries(d):
        d["cuda_wheels"].insert(0, {"prefix": "libcu", "wheel": "nvidia-cuda", "source": ["PYPI-META"]})

    def releases(d):
        d["releases"][0]["variants"][0]["platforms"].append("macos-x86_64")  # 2.15 has no Intel-Mac wheels

    edit(tables, "intel_pci.json", intel)
    edit(tables, "libraries.json", libraries)
    edit(tables, "releases.json", releases)
    found = errors(run("--dir", str(tables), "--quiet"))
    assert "intel_pci.json: ranges[6]: overlaps ranges[0]" in found
    assert any(line.startswith("libraries.json: cuda_wheels: 'libcu' comes before 'libcudnn'") for line in found)
    assert "releases.json: releases[0 2.15].variants[0 cu132].platforms: 'macos-x86_64' is not a platform of the " \
           "release" in found


def test_pci_ids_tsv_needs_its_header(tables):
    path = tables / "pci_ids.tsv"
    text = path.read_text(encoding="utf-8")
    path.write_text("\n".join(line for line in text.splitlines() if not line.startswith("# source:")) + "\n",
                    encoding="utf-8")
    assert errors(run("--dir", str(tables), "--quiet")) == [
        "pci_ids.tsv: header: no '# source: ... @ <40-hex commit>' line"]


def test_an_uncited_source_is_a_warning_not_an_error(tables):
    edit(tables, "sources.json", lambda d: d["sources"].update({"NOBODY": "a source no row cites"}))
    result = run("--dir", str(tables))
    assert result.returncode == 0
    assert "warning: sources.json: sources.NOBODY: no table row cites it" in result.stdout.splitlines()
    quiet = run("--dir", str(tables), "--quiet")
    assert quiet.returncode == 0 and quiet.stdout == "" and quiet.stderr == ""
