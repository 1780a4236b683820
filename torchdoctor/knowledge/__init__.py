"""What PyTorch ships and what NVIDIA/AMD/Intel hardware needs: data with sources, typed accessors.

The tables live next to this file as JSON (one per subject, each with "as_of" and a
`source` list per row; the keys resolve in sources.json). Decisions taken where the
sources are silent or disagree are listed in SOURCES.md. This module only reads and
indexes them: no network, no subprocess, no torch.
"""

from __future__ import annotations

import functools
import json
import os.path
import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Sequence

if TYPE_CHECKING:
    from typing import Collection

    from torchdoctor.knowledge.gpu_names import GpuIdentity
    from torchdoctor.knowledge.rocm import GfxOverride

PLATFORM_KEYS = ("linux-x86_64", "linux-aarch64", "windows-x86_64", "macos-arm64", "macos-x86_64")
OFFERED = ("confirmed", "inferred")  # variant statuses the planner may hand out


@dataclass(frozen=True)
class Variant:
    name: str  # "cu126", "rocm7.2", "xpu", "cpu"
    platforms: tuple[str, ...]
    status: str  # confirmed | inferred | unconfirmed | unadvertised
    role: str | None = None  # stable | legacy | experimental
    note: str | None = None
    source: tuple[str, ...] = ()
    no_companions: tuple[str, ...] = ()  # platforms where this index has torch only (2.5 xpu on Windows)

    @property
    def kind(self) -> str:
        return variant_kind(self.name)

    @property
    def cuda(self) -> str | None:
        return cuda_of(self.name)

    @property
    def offered(self) -> bool:
        return self.status in OFFERED


@dataclass(frozen=True)
class Release:
    series: str  # "2.7"
    versions: tuple[str, ...]  # ("2.7.0", "2.7.1"), oldest first
    released: str
    pythons: tuple[str, ...]  # minor versions with wheels on every platform of the release
    python_limited: dict[str, tuple[str, ...]]  # extra Pythons with wheels only on these platforms
    free_threaded: dict[str, tuple[str, ...]]  # "3.13" -> platforms with cp313t wheels
    platforms: tuple[str, ...]
    macos_min: dict[str, str]
    glibc_min: dict[str, str]
    pypi_default: dict[str, str]  # platform -> the variant a plain `pip install torch` gets
    variants: tuple[Variant, ...]
    companions: dict[str, dict[str, str | None]]  # "2.7.1" -> {"torchvision": "0.22.1", ...}
    index_style: str = "index"  # "extra": 1.13 (+cuXYZ local versions, --extra-index-url)
    confidence: str = "confirmed"
    notes: tuple[str, ...] = ()
    source: tuple[str, ...] = ()
    # Where PyPI differs from the release's wheels as a whole (read from the PyPI file lists):
    # free-threaded Pythons on PyPI ("3.13" -> platforms); None = same as free_threaded.
    pypi_free_threaded: dict[str, tuple[str, ...]] | None = None
    # A later macOS for some Pythons' wheels: platform -> {"3.14": "14.0", "3.13t": "14.0"}.
    macos_min_python: dict[str, dict[str, str]] = field(default_factory=dict)
    # Pythons torch has wheels for but torchvision/torchaudio do not: "3.13" -> platforms.
    companion_gaps: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # A patch release whose wheels differ from the series row (releases.json "patches", each with its
    # source): patch -> that patch's own row. The series row describes the newest patch.
    patch_rows: dict[str, "Release"] = field(default_factory=dict, compare=False, repr=False)

    @property
    def version(self) -> str:
        """The newest patch release."""
        return self.versions[-1]

    def at(self, patch: str) -> "Release":
        """The row for one patch release: its exception where it has one, else the series row."""
        return self.patch_rows.get(patch, self)

    def distinct_patches(self) -> tuple[str, ...]:
        """The patches worth planning separately, newest first: the newest, and each one that differs."""
        return (self.version,) + tuple(p for p in reversed(self.versions[:-1]) if p in self.patch_rows)

    def variant(self, name: str) -> Variant | None:
        return next((v for v in self.variants if v.name == name), None)

    def free_threaded_platforms(self, python: str, pypi: bool) -> tuple[str, ...]:
        """The platforms with cp3XXt wheels for this Python (on PyPI when `pypi`)."""
        table = self.pypi_free_threaded if pypi and self.pypi_free_threaded is not None else self.free_threaded
        return table.get(python, ())

    def macos_minimum(self, platform_key: str, python: str | None = None, free_threaded: bool = False) -> str | None:
        """The macOS a wheel of this release needs: the per-Python tag where it differs, else the release's."""
        tag = f"{python}{'t' if free_threaded else ''}" if python else None
        per = self.macos_min_python.get(platform_key, {})
        return per.get(tag) if tag in per else self.macos_min.get(platform_key)

    def python_platforms(self, python: str) -> tuple[str, ...]:
        """The platforms with wheels for this Python minor ("3.12"); () if none."""
        if python in self.pythons:
            return self.platforms
        return self.python_limited.get(python, ())


@dataclass(frozen=True)
class ArchRow:
    variants: tuple[str, ...]
    series: tuple[str, ...]
    platforms: tuple[str, ...]
    archs: tuple[str, ...] | None
    confidence: str
    source: tuple[str, ...]
    note: str | None = None


@dataclass(frozen=True)
class Knowledge:
    as_of: str
    releases: tuple[Release, ...]  # newest first
    arch_rows: tuple[ArchRow, ...]
    cuda_toolkit: tuple[dict[str, Any], ...]
    cuda_mvc: tuple[dict[str, Any], ...]
    architectures: tuple[dict[str, Any], ...]
    toolkit_support: tuple[dict[str, Any], ...]
    python_too_old: dict[str, str]
    sources: dict[str, str] = field(default_factory=dict)

    # -- releases ---------------------------------------------------------------
    def recommended_python(self) -> str:
        """The Python to tell people to install: the newest release's second-newest Python.

        Its newest Python is often a preview with few companion wheels (torchvision, numpy),
        so one step back is the safe, current choice.
        """
        pythons = self.releases[0].pythons
        return pythons[-2] if len(pythons) > 1 else pythons[-1]

    def release(self, version: str) -> Release | None:
        """Accepts "2.7", "2.7.1", "2.7.1+cu128"; None when unknown."""
        text = version.strip().split("+", 1)[0]
        for rel in self.releases:
            if text == rel.series or text in rel.versions:
                return rel
        return None

    def companion(self, torch_version: str, package: str) -> str | None:
        rel = self.release(torch_version)
        if rel is None:
            return None
        base = torch_version.split("+", 1)[0]
        patch = base if base in rel.versions else rel.version
        return rel.companions.get(patch, {}).get(package)

    # -- architectures ------------------------------------------------------------
    def arch_row(self, torch_version: str, variant: str, platform_key: str) -> ArchRow | None:
        rel = self.release(torch_version)
        if rel is None:
            return None
        for row in self.arch_rows:
            if variant in row.variants and rel.series in row.series and platform_key in row.platforms:
                return row
        return None

    def arch_list(self, torch_version: str, variant: str, platform_key: str) -> tuple[str, ...] | None:
        row = self.arch_row(torch_version, variant, platform_key)
        return row.archs if row is not None else None

    # -- drivers ---------------------------------------------------------------------
    def driver_floor(self, cuda_version: str, os: str) -> str | None:
        """The minimum driver for a torch wheel built with this CUDA: the minor-version-compatibility
        floor of its major (the wheel bundles its runtime). None when unknown.

        Before CUDA 11 there was no minor-version compatibility: a cu92/cu101/cu102 build (torch 1.x)
        needs its own toolkit's driver (9.2 -> 396.26, 10.2 -> 440.33 on Linux)."""
        major = _major(cuda_version)
        if major < 11:
            return self.toolkit_driver(cuda_version, os)
        for row in self.cuda_mvc:
            if row["major"] == major:
                return row.get(_os_col(os))
        return None

    def toolkit_driver(self, cuda_version: str, os: str) -> str | None:
        """The driver the CUDA toolkit itself shipped with (full feature set, PTX JIT of its own PTX)."""
        mm = _major_minor(cuda_version)
        for row in self.cuda_toolkit:
            if row["cuda"] == mm:
                return row.get(_os_col(os))
        return None

    def max_cuda_for_driver(self, driver: str, os: str) -> str | None:
        """'535.104.05' -> '12.2': the newest toolkit whose own minimum driver is met."""
        try:
            have = driver_key(driver)
        except ValueError:
            return None
        col = _os_col(os)
        best = None
        for row in self.cuda_toolkit:
            need = row.get(col)
            if need and driver_key(need) <= have:
                if best is None or _vkey(row["cuda"]) > _vkey(best):
                    best = row["cuda"]
        return best

    # -- GPUs -------------------------------------------------------------------------
    def gpu_capability(self, name: str) -> tuple[int, int] | None:
        """'NVIDIA GeForce RTX 3090' -> (8, 6); None for names that are not a known NVIDIA GPU.

        Any shape a tool prints: NVML/collect_env ('NVIDIA GeForce RTX 5090 Laptop GPU'), Windows
        ('... with Max-Q Design'), pci.ids/lspci ('GA102 [GeForce RTX 3090]', where the chip decides)."""
        return self.identify_gpu(name).capability

    def identify_gpu(self, name: str) -> "GpuIdentity":
        """Any GPU name -> vendor and capability / gfx target / Intel XPU class, or unknown with
        the reason (knowledge/gpu_names.py)."""
        from torchdoctor.knowledge.gpu_names import identify

        return identify(name)

    def gfx_override(self, gfx: str, targets: "Collection[str] | None" = None) -> "GfxOverride | None":
        """The HSA_OVERRIDE_GFX_VERSION workaround for an AMD GPU the build lacks ('gfx1031' -> 10.3.0, run
        as gfx1030); with `targets`, only one whose target the build has (knowledge/rocm.py)."""
        from torchdoctor.knowledge.rocm import gfx_override

        return gfx_override(gfx, targets)

    def mps_macos_minimum(self, torch_version: str) -> tuple[str, tuple[str, ...], str] | None:
        """The macOS MPS needs in this torch release ('2.9' -> ('14.0', sources, 'inferred')), separate
        from the wheel's own macOS floor; None for releases before MPS (1.12) or not a version."""
        rel = _vkey_safe(torch_version)
        if rel is None:
            return None
        for row in _read_cached("mps.json")["mps_macos_min"]:
            if _vkey(row["from"]) <= rel and (row.get("to") is None or rel <= _vkey(row["to"])):
                return row["macos"], tuple(row["source"]), row["confidence"]
        return None

    def architecture(self, cc: tuple[int, int]) -> dict[str, Any] | None:
        for row in self.architectures:
            if _cc(row["from"]) <= tuple(cc) <= _cc(row["to"]):
                return row
        return None

    def architecture_name(self, cc: tuple[int, int]) -> str | None:
        row = self.architecture(cc)
        return row["name"] if row else None

    def cuda_supports_gpu(self, cuda_version: str, cc: tuple[int, int]) -> bool | None:
        """Can a CUDA toolkit of this version target the GPU at all (Blackwell needs 12.8+,
        Pascal ends with 12.x)? None when the table has no row for this cc."""
        for row in self.toolkit_support:
            if _cc(row["from"]) <= tuple(cc) <= _cc(row["to"]):
                have = _vkey(_major_minor(cuda_version))
                if have < _vkey(row["min_cuda"]):
                    return False
                return not (row.get("max_cuda") and have > _vkey(row["max_cuda"]))
        return None

    def toolkit_range(self, cc: tuple[int, int]) -> tuple[str | None, str | None]:
        for row in self.toolkit_support:
            if _cc(row["from"]) <= tuple(cc) <= _cc(row["to"]):
                return row.get("min_cuda"), row.get("max_cuda")
        return None, None


# ------------------------------------------------------------------------------- rules
def gpu_runs_on(cc: tuple[int, int], arch_list: Sequence[str]) -> bool:
    """Does a build with these archs have code for this GPU?

    sm_XY (SASS) runs on the same major with minor >= Y (sm_60 runs on 6.1, sm_86 on 8.9);
    compute_XY (PTX) is JIT-compiled by the driver for any cc >= XY.
    """
    major, minor = cc
    for item in arch_list:
        m = re.fullmatch(r"(sm|compute)_(\d+?)(\d)a?", item.strip())
        if not m:
            continue
        amaj, amin = int(m.group(2)), int(m.group(3))
        if m.group(1) == "sm" and amaj == major and amin <= minor:
            return True
        if m.group(1) == "compute" and (amaj, amin) <= (major, minor):
            return True
    return False


def variant_kind(name: str) -> str:
    if name.startswith("cu"):
        return "cuda"
    if name.startswith("rocm"):
        return "rocm"
    return name  # "xpu", "cpu"


def cuda_of(name: str) -> str | None:
    """'cu126' -> '12.6', 'cu118' -> '11.8'; None for non-CUDA variants."""
    m = re.fullmatch(r"cu(\d+)(\d)", name)
    return f"{int(m.group(1))}.{m.group(2)}" if m else None


def platform_key(os: str, arch: str) -> str:
    return f"{os}-{arch}"


def _os_col(os: str) -> str:
    return "windows" if os == "windows" else "linux"


def _major(version: str) -> int:
    return int(version.strip().split(".")[0])


def _major_minor(version: str) -> str:
    parts = version.strip().split(".")
    return f"{int(parts[0])}.{int(parts[1]) if len(parts) > 1 else 0}"


def _vkey(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split("."))


def _vkey_safe(version: str) -> tuple[int, int] | None:
    """'2.9.1+cpu' / '2.10.0.dev20251008' -> (2, 9) / (2, 10); None when not a version."""
    m = re.match(r"\s*(\d+)\.(\d+)", version or "")
    return (int(m.group(1)), int(m.group(2))) if m else None


@functools.lru_cache(maxsize=None)
def _read_cached(name: str) -> dict[str, Any]:
    return _read(name)


def _cc(text: str) -> tuple[int, int]:
    major, minor = text.split(".")
    return int(major), int(minor)


# ------------------------------------------------------------------------------- loading
def _read(name: str) -> dict[str, Any]:
    # Package data next to this file (plain open: importlib.resources costs ~10 ms at startup).
    with open(os.path.join(os.path.dirname(__file__), name), encoding="utf-8") as fh:
        return json.load(fh)


def driver_key(driver: str) -> tuple[int, ...]:
    """'580.159.04' -> (580, 159, 4); ValueError otherwise (kept here so importing the
    tables does not pull in `packaging`)."""
    if not re.fullmatch(r"\d+(\.\d+){0,3}", driver.strip()):
        raise ValueError(f"not an NVIDIA driver version: {driver!r}")
    return tuple(int(p) for p in driver.strip().split("."))


def _tuples(d: dict[str, Sequence[str]]) -> dict[str, tuple[str, ...]]:
    return {k: tuple(v) for k, v in d.items()}


def _release(r: dict[str, Any]) -> Release:
    return Release(
        series=r["series"], versions=tuple(r["versions"]), released=r["released"],
        pythons=tuple(r["pythons"]), python_limited=_tuples(r["python_limited"]),
        free_threaded=_tuples(r["free_threaded"]), platforms=tuple(r["platforms"]),
        macos_min=dict(r["macos_min"]), glibc_min=dict(r["glibc_min"]),
        pypi_default=dict(r["pypi_default"]),
        variants=tuple(Variant(v["name"], tuple(v["platforms"]), v["status"], v.get("role"),
                               v.get("note"), tuple(v.get("source", ())), tuple(v.get("no_companions", ())))
                       for v in r["variants"]),
        companions={k: dict(v) for k, v in r["companions"].items()},
        index_style=r.get("index_style", "index"), confidence=r.get("confidence", "confirmed"),
        notes=tuple(r.get("notes", ())), source=tuple(r["source"]),
        pypi_free_threaded=_tuples(r["pypi_free_threaded"]) if "pypi_free_threaded" in r else None,
        macos_min_python={k: dict(v) for k, v in r.get("macos_min_python", {}).items()},
        companion_gaps=_tuples(r.get("companion_gaps", {})),
    )


def _patched(r: dict[str, Any], patch: str, change: dict[str, Any]) -> dict[str, Any]:
    """The series row with one patch's exception applied: fields replace the series' values, except
    "variants", which maps a variant name to null (not published for this patch) or to the fields
    that differ. The exception's note and sources join the row's."""
    row = {**r, **{k: v for k, v in change.items() if k not in ("variants", "note", "source")}}
    variants = []
    for v in r["variants"]:
        if v["name"] not in change.get("variants", {}):
            variants.append(v)
        elif change["variants"][v["name"]] is not None:
            variants.append({**v, **change["variants"][v["name"]]})
    row["variants"] = variants
    row["notes"] = list(r.get("notes", ())) + [f"{patch}: {change['note']}"]
    row["source"] = list(dict.fromkeys(list(r["source"]) + list(change["source"])))
    return row


@functools.lru_cache(maxsize=1)
def load() -> Knowledge:
    rel_data, arch_data = _read("releases.json"), _read("archs.json")
    cuda_data, gpu_data, src_data = _read("cuda.json"), _read("gpus.json"), _read("sources.json")
    releases = tuple(
        replace(_release(r), patch_rows={patch: _release(_patched(r, patch, change))
                                         for patch, change in r.get("patches", {}).items()})
        for r in rel_data["releases"]
    )
    releases = tuple(sorted(releases, key=lambda r: _vkey(r.series), reverse=True))
    arch_rows = tuple(
        ArchRow(tuple(a["variants"]), tuple(a["series"]), tuple(a["platforms"]),
                tuple(a["archs"]) if a["archs"] is not None else None, a["confidence"],
                tuple(a["source"]), a.get("note"))
        for a in arch_data["rows"]
    )
    return Knowledge(
        as_of=min(rel_data["as_of"], arch_data["as_of"], cuda_data["as_of"], gpu_data["as_of"]),
        releases=releases, arch_rows=arch_rows,
        cuda_toolkit=tuple(cuda_data["toolkit"]), cuda_mvc=tuple(cuda_data["minor_version_compatibility"]),
        architectures=tuple(gpu_data["architectures"]),
        toolkit_support=tuple(gpu_data["toolkit_support"]),
        python_too_old=dict(rel_data["python_too_old"]["last_release"]),
        sources=dict(src_data["sources"]),
    )


# -- Python life cycle (pythons.json): end of life, and the last torch with wheels for a series ----------------

@dataclass(frozen=True)
class PythonLife:
    series: str  # "3.6"
    end_of_life: str  # "2021-12-23", or a planned month "2026-10"
    planned: bool  # the date is the PEP's plan, not a confirmed end
    last_torch: dict[str, str]  # os -> the last torch with wheels for it; {} while new releases still come
    last_torch_released: str | None  # "2022-01" / "2022-12-16"; None where no source gives it
    source: tuple[str, ...]
    as_of: str

    def ended(self) -> bool:
        """Past its end of life as of the table's date (a month counts once it is over)."""
        return self.as_of[:len(self.end_of_life)] > self.end_of_life or self.as_of == self.end_of_life


@functools.lru_cache(maxsize=1)
def _pythons() -> dict[str, PythonLife]:
    data = _read("pythons.json")
    return {p["series"]: PythonLife(p["series"], p["end_of_life"], bool(p.get("eol_planned")),
                                    dict(p.get("last_torch", {})), p.get("last_torch_released"),
                                    tuple(p["source"]), data["as_of"])
            for p in data["pythons"]}


def python_life(series: str) -> PythonLife | None:
    """"3.6" (or "3.6.3") -> its PythonLife; None for a series the table does not list."""
    parts = series.split(".")
    return _pythons().get(".".join(parts[:2]))
