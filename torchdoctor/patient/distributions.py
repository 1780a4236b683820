"""Installed torch-family distributions, read from package metadata without importing them.

Importing torch to ask its version is exactly what may crash, so this reads the
`*.dist-info` / `*.egg-info` folders on a sys.path (and conda's `conda-meta`
records) directly: version with its local tag, WHEEL tags, INSTALLER, location,
Requires-Dist, REQUESTED. Beyond the family it keeps every distribution whose Requires-Dist names torch
(the companions: xformers, flash-attn, torch-scatter, ...; a header read, no import). Duplicates are kept: two torch folders (a stale dist-info, pip over
conda) are exactly what `torch.multiple_installs` looks for.

Patient code (torchdoctor/patient/__init__.py): the runtime and environment children load it
by file path inside the target interpreter; the doctor imports it to read its own env
(torchdoctor.probes.torch_dist turns these records into facts).
"""

from __future__ import annotations

import json
import os
import re
import runpy
import sys
from typing import Any, Iterable

FAMILY = ("torch", "torchvision", "torchaudio", "triton", "triton-windows", "numpy")
FAMILY_PREFIXES = ("nvidia-", "pytorch-triton")
# conda package names that hold the same code as these pip names.
CONDA_NAMES = {"pytorch": "torch", "torchvision": "torchvision", "torchaudio": "torchaudio", "numpy": "numpy",
               "numpy-base": None, "pytorch-cuda": None}

_DIST_DIR = re.compile(r"^(?P<name>[A-Za-z0-9_.]+)-(?P<version>[^-]+?)(-py[\d.]+)?\.(dist-info|egg-info)$")


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def wanted(name: str) -> bool:
    return name in FAMILY or (name.startswith(FAMILY_PREFIXES) and name != "nvidia-ml-py") or name in known_companions()


_KNOWN: list = []


def known_companions() -> frozenset:
    """The compiled companions of knowledge/companions.json (torch-scatter declares no torch requirement):
    read by file path, as json, once; none when the table cannot be read."""
    if not _KNOWN:
        names: frozenset = frozenset()
        try:
            table = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "knowledge",
                                 "companions.json")
            with open(table, encoding="utf-8") as fh:
                names = frozenset(str(r["name"]) for r in json.load(fh)["companions"])
        except (OSError, ValueError, KeyError, TypeError):
            pass
        _KNOWN.append(names)
    return _KNOWN[0]


load = runpy.run_path(os.path.join(os.path.dirname(os.path.abspath(__file__)), "_load.py"))["load"]
tilde = load("privacy").tilde


def _read(path: str) -> str | None:
    try:
        with open(path, "rb") as fh:
            return fh.read(1 << 20).decode("utf-8", errors="replace")
    except (OSError, ValueError):
        return None


# A Requires-Dist line that names torch itself ("torch", "torch==2.4.0", "torch (>=2.1)", "torch; extra == 'x'").
_NAMES_TORCH = re.compile(r"^torch(?![A-Za-z0-9_.-])", re.IGNORECASE)


def _header(folder: str) -> str:
    """METADATA / PKG-INFO up to the first blank line (the long description is never read)."""
    for base in ("METADATA", "PKG-INFO"):
        try:
            with open(os.path.join(folder, base), "rb") as fh:
                lines = []
                size = 0
                for raw in fh:
                    if not raw.strip() or size > (1 << 20):
                        break
                    lines.append(raw)
                    size += len(raw)
                return b"".join(lines).decode("utf-8", errors="replace")
        except (OSError, ValueError):
            continue
    return ""


def names_torch(requirement: str) -> bool:
    return bool(_NAMES_TORCH.match(requirement.strip()))


def _metadata(folder: str) -> tuple[str | None, str | None, list[str]]:
    """(Name, Version, Requires-Dist) from METADATA / PKG-INFO headers (stops at the body)."""
    text = _header(folder)
    name = version = None
    requires: list[str] = []
    for line in text.splitlines():
        if not line.strip():
            break  # the long description starts after the first blank line
        key, _, value = line.partition(":")
        value = value.strip()
        if key == "Name":
            name = value
        elif key == "Version":
            version = value
        elif key == "Requires-Dist":
            requires.append(value)
    return name, version, requires


def read_dist_folder(folder: str) -> dict[str, Any] | None:
    base = os.path.basename(folder.rstrip("/\\"))
    m = _DIST_DIR.match(base)
    if not m:
        return None
    name, version, requires = _metadata(folder)
    name = normalise(name or m.group("name"))
    companion = name != "torch" and (any(names_torch(r) for r in requires) or name in known_companions())
    if not wanted(name) and not companion:
        return None
    wheel = _read(os.path.join(folder, "WHEEL")) or ""
    installer = (_read(os.path.join(folder, "INSTALLER")) or "").strip() or None
    return {
        "name": name,
        "version": version or m.group("version"),
        "location": tilde(os.path.dirname(os.path.abspath(folder))),
        "installer": installer,
        "wheel_tags": [ln.split(":", 1)[1].strip() for ln in wheel.splitlines() if ln.startswith("Tag:")],
        "requires": requires if name in ("torch", "torchvision", "torchaudio") or companion else [],
        # REQUESTED: the user named it (pip/uv write it); absent: it came in as another package's dependency
        "requested": os.path.isfile(os.path.join(folder, "REQUESTED"))
        if base.endswith(".dist-info") and installer != "conda" else None,
    }


def scan_paths(paths: Iterable[str]) -> list[dict[str, Any]]:
    """Every torch-family distribution on these path entries, in path order, duplicates kept."""
    found: list[dict[str, Any]] = []
    seen_dirs: set[str] = set()
    for entry in paths:
        entry = os.path.abspath(entry or os.curdir)
        if entry in seen_dirs or not os.path.isdir(entry):
            continue
        seen_dirs.add(entry)
        try:
            names = sorted(os.listdir(entry))
        except OSError:
            continue
        for base in names:
            if base.endswith((".dist-info", ".egg-info")):
                record = read_dist_folder(os.path.join(entry, base))
                if record:
                    found.append(record)
    return found


def scan_conda(prefix: str, pip_records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """conda-meta records of torch-family packages that no conda-installed dist-info already covers."""
    folder = os.path.join(prefix, "conda-meta")
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    out = []
    for base in sorted(names):
        if not base.endswith(".json"):
            continue
        parts = base[:-5].rsplit("-", 2)  # name-version-build
        if len(parts) != 3 or parts[0] not in CONDA_NAMES or CONDA_NAMES[parts[0]] is None:
            continue
        name, version = CONDA_NAMES[parts[0]], parts[1]
        covered = any(r["name"] == name and r.get("installer") == "conda" and r["version"].split("+")[0] == version
                      for r in pip_records)
        if covered:
            continue
        out.append({"name": name, "version": version, "location": tilde(folder), "installer": "conda",
                    "wheel_tags": [], "requires": [], "conda_build": parts[2]})
    return out


def scan(paths: Iterable[str], prefix: str | None = None) -> list[dict[str, Any]]:
    records = scan_paths(paths)
    if prefix:
        records += scan_conda(prefix, records)
    return records


if __name__ == "__main__":  # a quick look: python torchdoctor/patient/distributions.py
    print(json.dumps(scan(sys.path, sys.prefix), indent=1))
