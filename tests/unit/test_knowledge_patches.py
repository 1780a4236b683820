"""Wheel availability per patch release: the tables against PyPI's file list, and each per-patch exception."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import pytest

from helpers.plan_machines import machine, nv, plan
from torchdoctor.cli import main
from torchdoctor.knowledge import load

K = load()
EVIDENCE = Path(__file__).parents[1] / "fixtures" / "pypi"


def _platform(tag: str) -> str:
    if tag.startswith("win_amd64"):
        return "windows-x86_64"
    if tag.startswith("macosx"):
        return "macos-arm64" if tag.endswith("arm64") else "macos-x86_64"
    return "linux-aarch64" if tag.endswith("aarch64") else "linux-x86_64"


def _floor(tag: str) -> str | None:
    """The OS a wheel's tag asks for: macOS version, or glibc. torch's manylinux1 tags understate it
    (those wheels need glibc 2.17), so they state nothing."""
    m = re.match(r"(?:macosx|manylinux)_(\d+)_(\d+)", tag)
    if m:
        return f"{m.group(1)}.{m.group(2)}"
    return "2.17" if tag.startswith("manylinux2014") else None


def pypi_wheels(package: str = "torch") -> dict[str, set[tuple[str, str, str | None]]]:
    """version -> {(python tag "3.13t", platform key, OS floor)} from the file names (build tags ignored)."""
    out: dict[str, set] = defaultdict(set)
    for name in (EVIDENCE / f"pypi_{package}_wheel_files_2026-11-27.txt").read_text(encoding="utf-8").split():
        fields = name.removesuffix(".whl").split("-")
        version, (python, abi, plat) = fields[1], fields[-3:]
        m = re.fullmatch(r"cp(\d)(\d+)", python)
        if m is None:  # old py2/py3 tags of early torchaudio wheels: no release in the tables
            continue
        tag = f"{m.group(1)}.{m.group(2)}" + ("t" if abi.endswith("t") else "")
        out[version].add((tag, _platform(plat), _floor(plat)))
    return out


def table_wheels(rel, patch: str) -> set[tuple[str, str, str | None]]:
    """What the tables say PyPI has for one patch: Pythons per platform, free-threaded ones, OS floors."""
    row = rel.at(patch)
    out = set()
    for plat in row.platforms:
        for py in set(row.pythons) | set(row.python_limited):
            if plat in row.python_platforms(py):
                floor = row.macos_minimum(plat, py) if plat.startswith("macos") else row.glibc_min.get(plat)
                out.add((py, plat, floor))
        for py in set(row.free_threaded) | set(row.pypi_free_threaded or {}):
            if plat in row.free_threaded_platforms(py, pypi=True):
                out.add((py + "t", plat, row.macos_minimum(plat, py, True) if plat.startswith("macos")
                         else row.glibc_min.get(plat)))
    return out


PYPI = pypi_wheels()
PATCHES = [(rel.series, patch) for rel in K.releases for patch in rel.versions]


@pytest.mark.parametrize("series, patch", PATCHES, ids=[p for _, p in PATCHES])
def test_every_patch_has_the_wheels_pypi_lists(series, patch):
    """Each patch of 1.13-2.15 (its exception, or its series row) against the PyPI file list. A new release
    whose patches differ fails here until releases.json has a `patches` exception for it."""
    rel = K.release(series)
    listed, tables = PYPI[patch], table_wheels(rel, patch)
    assert {w[:2] for w in listed} == {w[:2] for w in tables}, patch
    floors = {w for w in listed if w[2] is not None}
    assert floors <= tables, (patch, sorted(floors - tables))


def test_patches_that_differ_from_their_series_newest_are_exceptions():
    differ = []
    for rel in K.releases:
        for patch in rel.versions[:-1]:
            if PYPI[patch] != PYPI[rel.version]:
                differ.append(patch)
                assert patch in rel.patch_rows, f"{patch} differs from {rel.version} on PyPI: add a patches row"
    assert differ == ["2.12.0"]  # the one known today; a new one is a decision for SOURCES.md first


@pytest.mark.parametrize("package", ["torchvision", "torchaudio"])
def test_every_patch_has_companion_wheels_where_the_tables_say(package):
    """torch's companion for each patch has a wheel for every Python/platform torch has on PyPI, except the
    declared `companion_gaps` (2.5 cp313 on Linux x86_64, ...): a new gap fails here."""
    companion = pypi_wheels(package)
    for rel in K.releases:
        for patch in rel.versions:
            version = rel.companions.get(patch, {}).get(package)
            if version is None:
                continue
            gaps = {(py, plat) for py, plats in rel.at(patch).companion_gaps.items() for plat in plats}
            missing = {w[:2] for w in PYPI[patch]} - {w[:2] for w in companion[version]} - gaps
            assert not missing, (patch, package, version, sorted(missing))


def test_exceptions_carry_a_note_and_known_sources():
    for rel in K.releases:
        for patch, row in rel.patch_rows.items():
            assert patch in rel.versions and patch != rel.version
            assert any(n.startswith(f"{patch}: ") for n in row.notes)
            assert set(row.source) <= set(K.sources) and set(rel.source) <= set(row.source)


# ---------------------------------------------------------------- 2.12.0: cp313t on PyPI, 2.12.1 none

RTX3090_313T = dict(py="3.13", ft=True, driver="580.95.05", gpus=[nv((8, 6), "NVIDIA GeForce RTX 3090")])


@pytest.mark.parametrize("torch", [None, "2.12", "2.12.0"])
def test_free_threaded_313_gets_2_12_0_from_pypi(torch):
    res = plan(machine(**RTX3090_313T), **({"torch": torch} if torch else {}))
    assert res.plan is not None, res.problems
    assert (res.plan.torch, res.plan.variant, res.plan.index_url) == ("2.12.0", "cu130", None)
    assert res.plan.command == "pip install torch==2.12.0"
    if torch != "2.12.0":
        assert "torch 2.12.0 rather than the newer 2.12.1: 2.12.1 has no free-threaded wheel for Python 3.13t " \
               "on PyPI." in res.plan.reasons


def test_free_threaded_313_is_refused_for_2_12_1():
    res = plan(machine(**RTX3090_313T), torch="2.12.1")
    assert res.plan is None and res.problems[0].id == "python.free_threaded"


@pytest.mark.parametrize("os_, arch, version", [("windows", "x86_64", None), ("macos", "arm64", "macOS 15.1")])
def test_free_threaded_313_cpu_wheels_of_2_12_0(os_, arch, version):
    res = plan(machine(os=os_, arch=arch, py="3.13", ft=True, os_version=version))
    assert (res.plan.torch, res.plan.variant, res.plan.index_url) == ("2.12.0", "cpu", None)


def test_free_threaded_313_index_builds_of_2_12_0_are_not_assumed():
    # cu126 of 2.12.0 for cp313t on download.pytorch.org is not verified: a 550 driver gets 2.11.0+cu126
    res = plan(machine(py="3.13", ft=True, driver="550.54.15", gpus=[nv((8, 6))]))
    assert (res.plan.torch, res.plan.variant) == ("2.11.0", "cu126")
    assert K.release("2.12").at("2.12.0").free_threaded_platforms("3.13", pypi=False) == ()


def test_cli_free_threaded_pin_on_2_12_0(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["suggest", "--os", "linux", "--arch", "x86_64", "--python-version", "3.13t", "--driver", "580.95.05",
              "--gpu", "RTX 3090", "--torch", "2.12.0"])
    out, err = capsys.readouterr()
    assert exc.value.code == 0, err
    assert "pip install torch==2.12.0" in out


# ---------------------------------------------------------------- 2.12.0: no cu129 (2.12.1 only)


def test_cu129_exists_for_2_12_1_only():
    rel = K.release("2.12")
    assert rel.at("2.12.0").variant("cu129") is None
    assert rel.at("2.12.1").variant("cu129").status == "unadvertised"
    with pytest.raises(ValueError, match="2.12.0\\+cu129 is not a known build"):
        plan(machine(driver="580.95.05", gpus=[nv((8, 6))]), torch="2.12.0+cu129")
    res = plan(machine(driver="580.95.05", gpus=[nv((8, 6))]), torch="2.12.1+cu129")
    assert res.plan is None and "published but unsupported by PyTorch" in " ".join(res.rejected)


# ---------------------------------------------------------------- Windows 2.8 cu129 arch list


def test_windows_2_8_cu129_keeps_what_both_build_scripts_list():
    row = K.arch_row("2.8.0", "cu129", "windows-x86_64")
    assert row.archs == ("sm_75", "sm_80", "sm_86", "sm_90", "sm_100", "sm_120") and row.confidence == "inferred"
    assert K.arch_list("2.8.0", "cu129", "linux-aarch64") is None  # still unknown
    ampere = plan(machine(os="windows", driver="580.88", gpus=[nv((8, 6), "NVIDIA GeForce RTX 3090")]),
                  torch="2.8.0+cu129")
    assert ampere.plan is not None and ampere.plan.variant == "cu129" and ampere.plan.confidence == "inferred"
    volta = plan(machine(os="windows", driver="580.88", gpus=[nv((7, 0), "Tesla V100")]), torch="2.8.0+cu129")
    assert volta.plan is None and "no kernels for sm_70" in volta.problems[0].message


def test_cli_refuses_cu129_for_2_12_0_with_the_patch_builds(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["suggest", "--os", "linux", "--driver", "580.95.05", "--gpu", "8.6", "--torch", "2.12.0+cu129"])
    out, err = capsys.readouterr()
    assert exc.value.code == 2 and out == ""
    assert err.strip() == ("torchdoctor: error: torch 2.12.0 has no 'cu129' build "
                           "(known: cpu, cu126, cu130, cu132, rocm7.1, rocm7.2, xpu)")
