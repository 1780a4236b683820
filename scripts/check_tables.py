#!/usr/bin/env python3
"""Validate the knowledge tables in torchdoctor/knowledge/ (run in CI before the tests).

    python scripts/check_tables.py [--dir DIR] [--today YYYY-MM-DD] [--quiet]

For every table: it parses; it has an `as_of` that is an ISO date and not after today; it matches
its schema below (required fields, their types, allowed statuses and confidences; a field the schema
does not name is an error too, so a typo cannot hide); every `source` list is non-empty and names keys
of sources.json (or of the table's own `sources` map, as pythons.json has); and a few facts hold
across rows (a variant's platforms are its release's, ranges do not overlap, regexes compile, ...).
pci_ids.tsv must keep its header (pci.ids version, date, and the commit it was built from) and
well-formed rows. A file in the folder that the script has no schema for is an error: a new table
needs one here. A source key nobody cites is a warning.

One line per problem ("FILE: WHERE: WHAT"; warnings start with "warning: "), then a summary on
stderr; exit 1 when there is any error. --quiet prints errors only. Standard library only, and no
import of torchdoctor: it checks the files, not the code that reads them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import sys
from typing import Any, Callable

KNOWLEDGE = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "torchdoctor", "knowledge")

# Files that are not tables: code, the decisions document, caches.
NOT_TABLES = re.compile(r".*\.(py|pyc|md)$|__pycache__$|py\.typed$")

STATUSES = ("confirmed", "inferred", "unconfirmed", "unadvertised")  # SOURCES.md "Variant status"
CONFIDENCE_LEVELS = ("confirmed", "inferred", "unconfirmed", "decided")
ROLES = ("stable", "legacy", "experimental")
OS_NAMES = ("linux", "windows", "macos")
INTEL_KINDS = ("arc", "integrated-arc", "datacenter", "integrated", "discrete")
VENDORS = ("nvidia", "amd", "intel")


# ------------------------------------------------------------------------------------ a small schema language
# A schema is one of: a Python type (str, int, bool), None (JSON null), a Rule below, a list [schema]
# (a JSON array of it), or an Obj. Each check appends "where: what" lines to `out`.

class Rule:
    def check(self, value: Any, where: str, out: list[str]) -> None:
        raise NotImplementedError


class Enum(Rule):
    def __init__(self, *values: str):
        self.values = values

    def check(self, value: Any, where: str, out: list[str]) -> None:
        if value not in self.values:
            out.append(f"{where}: {value!r} is not one of {', '.join(self.values)}")


class Match(Rule):
    """A string that fully matches a regular expression."""

    def __init__(self, pattern: str, what: str):
        self.pattern, self.what = re.compile(pattern), what

    def check(self, value: Any, where: str, out: list[str]) -> None:
        if not isinstance(value, str):
            out.append(f"{where}: expected {self.what}, found {_kind(value)}")
        elif not self.pattern.fullmatch(value):
            out.append(f"{where}: {value!r} is not {self.what}")


class Test(Rule):
    """A value of `schema` for which `test` returns an error message or None."""

    def __init__(self, schema: Any, test: Callable[[Any], str | None]):
        self.schema, self.test = schema, test

    def check(self, value: Any, where: str, out: list[str]) -> None:
        before = len(out)
        validate(value, self.schema, where, out)
        if len(out) == before and (message := self.test(value)):
            out.append(f"{where}: {value!r} {message}")


class AnyOf(Rule):
    def __init__(self, *schemas: Any):
        self.schemas = schemas

    def check(self, value: Any, where: str, out: list[str]) -> None:
        tries: list[list[str]] = []
        for schema in self.schemas:
            attempt: list[str] = []
            validate(value, schema, where, attempt)
            if not attempt:
                return
            tries.append(attempt)
        out.extend(min(tries, key=len))


class NonEmpty(Rule):
    def __init__(self, item: Any):
        self.item = item

    def check(self, value: Any, where: str, out: list[str]) -> None:
        validate(value, [self.item], where, out)
        if isinstance(value, list) and not value:
            out.append(f"{where}: is empty")


class Map(Rule):
    """A JSON object with any keys (each checked against `key`) and values of `value`."""

    def __init__(self, key: Any, value: Any):
        self.key, self.value = key, value

    def check(self, value: Any, where: str, out: list[str]) -> None:
        if not isinstance(value, dict):
            out.append(f"{where}: expected an object, found {_kind(value)}")
            return
        for k, v in value.items():
            validate(k, self.key, f"{where}.{k} (key)", out)
            validate(v, self.value, f"{where}.{k}", out)


class Obj(Rule):
    """A JSON object with these required and optional fields, and no others."""

    def __init__(self, required: dict[str, Any], optional: dict[str, Any] | None = None):
        self.required, self.optional = required, optional or {}

    def check(self, value: Any, where: str, out: list[str]) -> None:
        if not isinstance(value, dict):
            out.append(f"{where}: expected an object, found {_kind(value)}")
            return
        for name, schema in self.required.items():
            if name not in value:
                out.append(f"{where}: missing field '{name}'")
            else:
                validate(value[name], schema, f"{where}.{name}", out)
        for name, item in value.items():
            if name in self.required:
                continue
            if name in self.optional:
                validate(item, self.optional[name], f"{where}.{name}", out)
            else:
                out.append(f"{where}: unknown field '{name}' (a typo, or a new field: add it to "
                           "scripts/check_tables.py)")


def validate(value: Any, schema: Any, where: str, out: list[str]) -> None:
    if isinstance(schema, Rule):
        schema.check(value, where, out)
    elif schema is None:
        if value is not None:
            out.append(f"{where}: expected null, found {_kind(value)}")
    elif isinstance(schema, list):
        if not isinstance(value, list):
            out.append(f"{where}: expected a list, found {_kind(value)}")
            return
        for i, item in enumerate(value):
            validate(item, schema[0], f"{where}[{_label(item, i)}]", out)
    elif schema is bool or schema is int or schema is str:
        # JSON true is not a number here, and a number is not a string
        if type(value) is not schema:
            out.append(f"{where}: expected {schema.__name__}, found {_kind(value)}")
    else:
        raise TypeError(f"not a schema: {schema!r}")


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", int: "a number",
            float: "a number", type(None): "null"}.get(type(value), type(value).__name__)


def _label(item: Any, index: int) -> str:
    """A row's index, with the field that names it where it has one: releases[0 2.15]."""
    if isinstance(item, dict):
        for key in ("series", "name", "cuda", "major", "family", "gfx", "cc", "class", "prefix", "library",
                    "branch", "from"):
            if isinstance(item.get(key), (str, int)):
                return f"{index} {item[key]}"
    return str(index)


def _iso_date(text: str) -> str | None:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return "is not a calendar date"
    return None


def _regex(text: str) -> str | None:
    try:
        re.compile(text)
    except re.error as exc:
        return f"is not a valid regular expression ({exc})"
    return None


def _braces(text: str) -> str | None:
    """gpu_names.json's '{a|b}' alternatives: balanced and not nested."""
    depth = 0
    for char in text:
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth not in (0, 1):
            return "has unbalanced or nested { } alternatives"
    return "has an unclosed {" if depth else None


def _confidence(text: str) -> str | None:
    """A level, or per-scope levels: 'linux confirmed; windows decided'."""
    for part in text.split(";"):
        words = part.split()
        if not words or words[-1] not in CONFIDENCE_LEVELS or len(words) > 2:
            return f"is not a confidence ({', '.join(CONFIDENCE_LEVELS)}, or 'SCOPE LEVEL; SCOPE LEVEL')"
    return None


# ------------------------------------------------------------------------------------ field types
DATE = Test(Match(r"\d{4}-\d{2}-\d{2}", "an ISO date (YYYY-MM-DD)"), _iso_date)
DATE_OR_MONTH = Match(r"\d{4}-\d{2}(-\d{2})?", "a date (YYYY-MM-DD or YYYY-MM)")
SOURCE = NonEmpty(Match(r"\S+", "a source key"))
NOTE = str
MINOR = Match(r"\d+\.\d+", "a series such as 2.7")
VERSION = Match(r"\d+\.\d+\.\d+", "a version such as 2.7.1")
PY_MINOR = Match(r"\d\.\d+", "a Python minor such as 3.12")
PY_TAG = Match(r"\d\.\d+t?", "a Python tag such as 3.13 or 3.13t")
MACOS = Match(r"\d+\.\d+", "a macOS version such as 14.0")
GLIBC = Match(r"\d+\.\d+", "a glibc version such as 2.28")
PLATFORM = Match(r"(linux|windows|macos)-[a-z0-9_]+", "a platform key such as linux-x86_64")
VARIANT = Match(r"cu\d{3}|rocm\d+(\.\d+)*|xpu|cpu", "a variant name (cuXYZ, rocmX.Y, xpu, cpu)")
STATUS = Enum(*STATUSES)
CONFIDENCE = Test(str, _confidence)
CC = Match(r"\d+\.\d+", "a compute capability such as 8.6")
ARCH = Match(r"sm_\d+[af]?|compute_\d+[af]?|gfx[0-9a-f]{3,4}", "a GPU target (sm_86, compute_120, gfx1100)")
DRIVER = Match(r"\d+(\.\d+){0,3}", "an NVIDIA driver version such as 525.60.13")
BRANCH = Match(r"\d{3}", "a driver branch such as 570")
HEX4 = Match(r"[0-9a-f]{4}", "a 4-digit lower-case hex id")
PCI_ADDRESS = Match(r"[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]", "a PCI address such as 0000:00:02.0")
REGEX = Test(str, _regex)
NAME_PATTERN = Test(str, _braces)
PACKAGE = Match(r"[a-z][a-z0-9_-]*", "a package name")
KERNEL = Match(r"\d+(\.\d+){1,3}", "a kernel version such as 5.10.43.3")
URL = Match(r"https://\S+", "an https URL")
WORD = Match(r"[A-Za-z0-9][A-Za-z0-9 .+-]*", "a name")
MIRROR_URL = Match(r"https://\S*\{variant\}\S*", "an https URL template with {variant}")
HOST_PATH = Match(r"[a-z0-9.-]+(/[a-z0-9._-]+)*", "a host (and path) such as mirrors.aliyun.com/pypi")


def table(required: dict[str, Any], optional: dict[str, Any] | None = None) -> Obj:
    """Every table has `as_of` and may have a `note`."""
    return Obj({"as_of": DATE, **required}, {"note": NOTE, **(optional or {})})


VARIANT_FIELDS = {"name": VARIANT, "platforms": NonEmpty(PLATFORM), "status": STATUS}
VARIANT_OPTIONAL = {"role": Enum(*ROLES), "note": NOTE, "source": SOURCE, "no_companions": [PLATFORM]}
RELEASE_FIELDS = {
    "series": MINOR, "versions": NonEmpty(VERSION), "released": str, "pythons": NonEmpty(PY_MINOR),
    "python_limited": Map(PY_MINOR, NonEmpty(PLATFORM)), "free_threaded": Map(PY_MINOR, NonEmpty(PLATFORM)),
    "platforms": NonEmpty(PLATFORM), "macos_min": Map(PLATFORM, MACOS), "glibc_min": Map(PLATFORM, GLIBC),
    "pypi_default": Map(PLATFORM, VARIANT),
    "variants": NonEmpty(Obj(VARIANT_FIELDS, VARIANT_OPTIONAL)),
    "companions": Map(VERSION, Map(PACKAGE, AnyOf(VERSION, None))),
    "source": SOURCE,
}
RELEASE_OPTIONAL = {
    "index_style": Enum("index", "extra"), "confidence": CONFIDENCE, "notes": [NOTE],
    "pypi_free_threaded": Map(PY_MINOR, [PLATFORM]),
    "macos_min_python": Map(PLATFORM, Map(PY_TAG, MACOS)),
    "companion_gaps": Map(PY_MINOR, NonEmpty(PLATFORM)),
}
# A patch's exception: the fields that differ from its series row, variants by name (null = not published).
PATCH = Obj({"note": NOTE, "source": SOURCE}, {
    **{k: v for k, v in {**RELEASE_FIELDS, **RELEASE_OPTIONAL}.items()
       if k not in ("series", "versions", "variants", "note", "source")},
    "variants": Map(VARIANT, AnyOf(None, Obj({}, {**VARIANT_FIELDS, **VARIANT_OPTIONAL}))),
})

SCHEMAS: dict[str, Obj] = {
    "releases.json": table({
        "platform_keys": NonEmpty(PLATFORM),
        "status_meaning": Map(STATUS, str),
        "python_too_old": Obj({"last_release": Map(PY_MINOR, VERSION), "source": SOURCE}, {"note": NOTE}),
        "releases": NonEmpty(Obj(RELEASE_FIELDS, {**RELEASE_OPTIONAL, "patches": Map(VERSION, PATCH)})),
    }),
    "archs.json": table({
        "rows": NonEmpty(Obj({"variants": NonEmpty(VARIANT), "series": NonEmpty(MINOR),
                              "platforms": NonEmpty(PLATFORM), "archs": AnyOf(None, NonEmpty(ARCH)),
                              "confidence": CONFIDENCE, "source": SOURCE}, {"note": NOTE})),
    }, {"rule": str}),
    "cuda.json": table({
        "minor_version_compatibility": NonEmpty(Obj(
            {"major": int, "linux": DRIVER, "windows": DRIVER, "source": SOURCE},
            {"confidence": CONFIDENCE, "note": NOTE})),
        "toolkit": NonEmpty(Obj({"cuda": MINOR, "linux": DRIVER, "windows": AnyOf(DRIVER, None), "source": SOURCE},
                                {"toolkit_row": str, "note": NOTE})),
    }, {"policy": str,
        "driver_branches": [Obj({"branch": str, "source": SOURCE}, {"note": NOTE})]}),
    "gpus.json": table({
        "architectures": NonEmpty(Obj({"from": CC, "to": CC, "name": str, "source": SOURCE},
                                      {"last_driver_branch": BRANCH, "first_driver": BRANCH, "note": NOTE})),
        "toolkit_support": NonEmpty(Obj({"from": CC, "to": CC, "min_cuda": MINOR, "source": SOURCE},
                                        {"max_cuda": MINOR, "note": NOTE})),
    }),
    "gpu_names.json": table({
        "nvidia": NonEmpty(Obj({"cc": CC, "source": SOURCE},
                               {"names": [NAME_PATTERN], "chips": [str], "vendor_required": bool, "note": NOTE})),
        "amd": NonEmpty(Obj({"gfx": Match(r"gfx[0-9a-f]{3,4}", "a gfx target"), "source": SOURCE},
                            {"names": [NAME_PATTERN], "chips": [str], "vendor_required": bool, "note": NOTE})),
        "intel": NonEmpty(Obj({"class": Enum(*INTEL_KINDS), "source": SOURCE},
                              {"names": [NAME_PATTERN], "chips": [str], "patterns": [REGEX],
                               "vendor_required": bool, "note": NOTE})),
        "ambiguous": [Obj({"vendor": Enum(*VENDORS), "reason": str, "names": NonEmpty(NAME_PATTERN),
                           "source": SOURCE}, {"note": NOTE})],
    }),
    "mps.json": table({
        "mps_macos_min": NonEmpty(Obj({"from": MINOR, "to": AnyOf(MINOR, None), "macos": MACOS,
                                       "confidence": CONFIDENCE, "source": SOURCE}, {"note": NOTE})),
    }),
    "pythons.json": table({
        "pythons": NonEmpty(Obj({"series": PY_MINOR, "end_of_life": DATE_OR_MONTH, "source": SOURCE},
                                {"eol_planned": bool, "last_torch": Map(Enum(*OS_NAMES), VERSION),
                                 "last_torch_released": AnyOf(DATE_OR_MONTH, None), "note": NOTE})),
    }, {"sources": Map(Match(r"\S+", "a source key"), str)}),
    "platforms.json": table({
        "os": Obj({"aliases": Map(str, Enum(*OS_NAMES)), "prefixes": Map(str, Enum(*OS_NAMES)), "source": SOURCE},
                  {"note": NOTE}),
        "arch": Obj({"aliases": Map(str, str), "per_os": Map(Enum(*OS_NAMES), Map(str, str)), "source": SOURCE},
                    {"note": NOTE}),
        "wheel_tag_words": Obj({"os": Map(Enum(*OS_NAMES), NonEmpty(str)), "arch_endings": Map(str, NonEmpty(str)),
                                "source": SOURCE}, {"note": NOTE}),
        "conda_subdirs": Obj({"rows": Map(str, Test([str], lambda v: None if len(v) == 2 else "is not [os, arch]")),
                              "source": SOURCE}, {"note": NOTE}),
    }),
    "sources.json": table({"sources": Map(Match(r"[A-Z0-9][A-Za-z0-9.+-]*", "a source key"),
                                          Match(r"\S.*", "a citation"))}),
    # -- tables that hold what used to be constants in code (knowledge/<name>.py reads each) --------------
    "rocm.json": table({
        "gfx_overrides": NonEmpty(Obj({"family": Match(r"gfx[0-9a-f]{2,4}", "a gfx family prefix"),
                                       "value": Match(r"\d+\.\d+\.\d+", "an override value such as 10.3.0"),
                                       "target": Match(r"gfx[0-9a-f]{3,4}", "a gfx target"), "source": SOURCE},
                                      {"note": NOTE})),
    }),
    "wsl.json": table({"gpu_compute_kernel": Obj({"min": KERNEL, "source": SOURCE}, {"note": NOTE})}),
    "nvswitch.json": table({
        "board_kinds": NonEmpty(WORD), "products_before_board": NonEmpty(WORD),
        "products_after_board": NonEmpty(WORD), "systems": [WORD], "products": [WORD], "source": SOURCE,
    }),
    "windows.json": table({
        "vc_redist": Obj({"arch": Enum("x64", "x86", "arm64"), "url": URL,
                          "winget_id": Match(r"[A-Za-z0-9]+(\.[A-Za-z0-9+]+)+", "a winget package id"),
                          "source": SOURCE}, {"note": NOTE}),
    }),
    "libraries.json": table({
        "cuda_wheels": NonEmpty(Obj({"prefix": Match(r"lib\w+", "a library file prefix such as libcudnn"),
                                     "wheel": Match(r"nvidia-[a-z0-9-]+", "an nvidia-* wheel name"),
                                     "source": SOURCE}, {"note": NOTE})),
        "symbol_libraries": NonEmpty(Obj({"pattern": REGEX, "library": str,
                                          "wheel": AnyOf(Match(r"nvidia-[a-z0-9-]+", "an nvidia-* wheel name"), None),
                                          "source": SOURCE}, {"note": NOTE})),
    }),
    "intel_pci.json": table({
        "igpu_address": Obj({"address": PCI_ADDRESS, "source": SOURCE}, {"note": NOTE}),
        "ranges": NonEmpty(Obj({"from": HEX4, "to": HEX4, "kind": Enum(*INTEL_KINDS), "source": SOURCE},
                               {"family": str, "note": NOTE})),
        "shared_with_igpu": Obj({"ids": NonEmpty(HEX4), "kind": Enum(*INTEL_KINDS), "igpu_kind": Enum(*INTEL_KINDS),
                                 "source": SOURCE}, {"note": NOTE}),
    }),
    "fleet.json": table({
        "busbw_floors": NonEmpty(Obj({"name": Match(r"\d+x[A-Za-z0-9]+", "a floor name such as 8xH100"),
                                      "gpu_names": NonEmpty(WORD), "gpus": int, "busbw_gbps": int, "min_bytes": int,
                                      "source": SOURCE}, {"note": NOTE})),
        "slow_below_percent": int, "source": SOURCE,
    }),
    "builds.json": table({
        "jetson": Obj({"capabilities": NonEmpty(CC), "name_words": NonEmpty(WORD), "sbsa_capabilities": [CC],
                       "source": SOURCE}, {"note": NOTE}),
        "xpu_os": Obj({"rows": NonEmpty(Obj({"kind": AnyOf(None, Enum(*INTEL_KINDS)), "os": NonEmpty(Enum(*OS_NAMES)),
                                             "source": SOURCE}, {"note": NOTE}))}, {"note": NOTE}),
        "retired_variants": [Obj({"variant": VARIANT, "family": str, "last_series": MINOR, "below_cc": CC,
                                  "kernels": str, "source": SOURCE}, {"note": NOTE})],
    }),
    "companions.json": table({
        "companions": NonEmpty(Obj({"name": PACKAGE, "modules": NonEmpty(Match(r"[A-Za-z_][\w.]*", "a module name")),
                                    "follows": Enum("exact_pin", "local_tag", "build", "range"),
                                    "fix": Enum("torch_index", "pyg", "rebuild", "pypi"), "gpu": bool,
                                    "source": SOURCE}, {"note": NOTE})),
        "tag_patterns": NonEmpty(Obj({"pattern": REGEX, "source": SOURCE}, {"note": NOTE})),
    }),
    "toolchain.json": table({
        "dynamo_python": NonEmpty(Obj({"python": PY_MINOR, "min_torch": MINOR, "source": SOURCE}, {"note": NOTE})),
        "windows_compile": Obj({"cpu_min_torch": MINOR, "xpu_min_torch": MINOR, "source": SOURCE}, {"note": NOTE}),
        "triton_windows": NonEmpty(Obj({"torch": MINOR, "triton": MINOR, "source": SOURCE}, {"note": NOTE})),
        "triton_min_cc": Obj({"cc": CC, "source": SOURCE}, {"note": NOTE}),
        "nvcc_gcc_max": NonEmpty(Obj({"from": MINOR, "to": MINOR, "gcc_max": int, "source": SOURCE}, {"note": NOTE})),
        "shm_min_mib": Obj({"mib": int, "source": SOURCE}, {"note": NOTE}),
    }, {"sources": Map(Match(r"\S+", "a source key"), str)}),
    "mirrors.json": table({
        "mirrors": NonEmpty(Obj({"name": WORD, "layout": Enum("index", "find-links"), "url": MIRROR_URL,
                                 "carries": str, "checked": DATE, "live_checked": bool, "source": SOURCE},
                                {"aliases": [WORD], "pypi": URL, "pin_local": bool, "caution": str, "note": NOTE})),
        "wrong": [Obj({"name": WORD, "urls": NonEmpty(URL), "why": str, "instead": WORD, "source": SOURCE},
                      {"aliases": [WORD], "pypi": URL, "note": NOTE})],
        "pypi_mirrors": Obj({"hosts": NonEmpty(HOST_PATH), "source": SOURCE}, {"note": NOTE}),
        "upstream_hosts": Obj({"hosts": NonEmpty(HOST_PATH), "source": SOURCE}, {"note": NOTE}),
    }),
}
TSV_TABLES = ("pci_ids.tsv",)


# ------------------------------------------------------------------------------------ facts across rows
def _releases_facts(data: dict[str, Any], out: list[str], warn: list[str]) -> None:
    keys = set(data.get("platform_keys", ()))
    seen: set[str] = set()
    for i, rel in enumerate(data.get("releases", ())):
        where = f"releases[{_label(rel, i)}]"
        if rel["series"] in seen:
            out.append(f"{where}: series {rel['series']} appears twice")
        seen.add(rel["series"])
        platforms = set(rel["platforms"])
        for p in sorted(platforms - keys):
            out.append(f"{where}.platforms: {p!r} is not in platform_keys")
        if any(not v.startswith(rel["series"] + ".") for v in rel["versions"]):
            out.append(f"{where}.versions: every version must be a patch of {rel['series']}")
        names = [v["name"] for v in rel["variants"]]
        for name in {n for n in names if names.count(n) > 1}:
            out.append(f"{where}.variants: {name} appears twice")
        for j, v in enumerate(rel["variants"]):
            for p in v["platforms"]:
                if p not in platforms:
                    out.append(f"{where}.variants[{_label(v, j)}].platforms: {p!r} is not a platform of the release")
        for field in ("pypi_default", "macos_min", "glibc_min"):
            for p in rel.get(field, {}):
                if p not in platforms:
                    warn.append(f"{where}.{field}: {p!r} is not a platform of the release")
        for patch in list(rel["companions"]) + list(rel.get("patches", {})):
            if patch not in rel["versions"]:
                out.append(f"{where}: {patch} is not one of its versions")
        for patch, change in rel.get("patches", {}).items():
            for name in change.get("variants", {}):
                if name not in names:
                    out.append(f"{where}.patches.{patch}.variants: {name} is not a variant of the release")


def _archs_facts(data: dict[str, Any], tables: dict[str, Any], out: list[str], warn: list[str]) -> None:
    series = {r["series"] for r in (tables.get("releases.json") or {}).get("releases", ())}
    for i, row in enumerate(data.get("rows", ())):
        for s in row["series"]:
            if series and s not in series:
                out.append(f"rows[{i}].series: {s} is not a release in releases.json")


def _cc_ranges(rows: list[dict[str, Any]], field: str, out: list[str]) -> None:
    for i, row in enumerate(rows):
        low, high = (tuple(int(x) for x in row[k].split(".")) for k in ("from", "to"))
        if low > high:
            out.append(f"{field}[{_label(row, i)}]: from {row['from']} is after to {row['to']}")


def _gpus_facts(data: dict[str, Any], tables: dict[str, Any], out: list[str], warn: list[str]) -> None:
    _cc_ranges(data.get("architectures", []), "architectures", out)
    _cc_ranges(data.get("toolkit_support", []), "toolkit_support", out)


def _libraries_facts(data: dict[str, Any], tables: dict[str, Any], out: list[str], warn: list[str]) -> None:
    prefixes = [r["prefix"] for r in data.get("cuda_wheels", ())]
    for i, first in enumerate(prefixes):
        for later in prefixes[i + 1:]:
            if later.startswith(first):
                out.append(f"cuda_wheels: {first!r} comes before {later!r}, which it shadows (longer prefixes first)")


def _intel_facts(data: dict[str, Any], tables: dict[str, Any], out: list[str], warn: list[str]) -> None:
    spans = sorted((int(r["from"], 16), int(r["to"], 16), i) for i, r in enumerate(data.get("ranges", ())))
    for low, high, i in spans:
        if low > high:
            out.append(f"ranges[{i}]: from {low:04x} is after to {high:04x}")
    for (_, high, i), (low, _, j) in zip(spans, spans[1:]):
        if low <= high:
            out.append(f"ranges[{j}]: overlaps ranges[{i}]")
    for dev in data.get("shared_with_igpu", {}).get("ids", ()):
        if any(low <= int(dev, 16) <= high for low, high, _ in spans):
            out.append(f"shared_with_igpu.ids: {dev} is inside a range, which decides first")


def _rocm_facts(data: dict[str, Any], tables: dict[str, Any], out: list[str], warn: list[str]) -> None:
    families = [r["family"] for r in data.get("gfx_overrides", ())]
    for i, first in enumerate(families):
        for later in families[i + 1:]:
            if later.startswith(first):
                out.append(f"gfx_overrides: family {first!r} comes before {later!r}, which it shadows")


# knowledge/messages/*.json: one file per emitter group, one row per message (torchdoctor/messages.py reads them).
MESSAGE_DIR = "messages"
MESSAGE_KINDS = Match(r"[a-z][a-z0-9_]*", "a kind such as cuda_error")
MESSAGES = table({
    "emitter": str, "source": SOURCE,
    "rows": NonEmpty(Obj({
        "id": Match(r"[a-z][a-z0-9_]*\.[a-z0-9_.]+", "a row id such as cudart.804"), "pattern": REGEX,
        "origin": str, "versions": str,
        "yields": Obj({"kind": MESSAGE_KINDS, "fields": Map(Match(r"[a-z_]+", "a field name"), AnyOf(str, int, bool))},
                      {"convert": Map(Match(r"[a-z_0-9]+", "a group name"), Enum("str", "int", "hex", "list", "words"))}),
        "source": SOURCE,
        "samples": NonEmpty(Obj({"text": str, "from": str})),
    }, {"flags": Enum("i"), "note": NOTE,
        # lower-case words one of which every match contains (a prefilter, for a pattern without a literal)
        "words": NonEmpty(Match(r"[^A-Z]+", "a lower-case word"))})),
})


def _messages_facts(data: dict[str, Any], out: list[str]) -> None:
    """Each row's samples match its own pattern; row ids are unique."""
    seen: set[str] = set()
    for row in data.get("rows", ()):
        if row["id"] in seen:
            out.append(f"rows[{row['id']}]: the id appears twice")
        seen.add(row["id"])
        rx = re.compile(row["pattern"], (re.I if row.get("flags") == "i" else 0) | re.M)
        for sample in row["samples"]:
            if not rx.search(sample["text"]):
                out.append(f"rows[{row['id']}]: sample {sample['text'][:60]!r} does not match the pattern")
            elif row.get("words") and not any(w in sample["text"].lower() for w in row["words"]):
                out.append(f"rows[{row['id']}]: sample {sample['text'][:60]!r} holds none of the row's words")


def _check_messages(folder: str, today: dt.date, tables: dict[str, Any], errors: list[str]) -> None:
    base = os.path.join(folder, MESSAGE_DIR)
    if not os.path.isdir(base):
        errors.append(f"{MESSAGE_DIR}/: missing (the message catalogue)")
        return
    for entry in sorted(os.listdir(base)):
        name = f"{MESSAGE_DIR}/{entry}"
        if NOT_TABLES.fullmatch(entry):
            continue
        if not entry.endswith(".json"):
            errors.append(f"{name}: not a .json table")
            continue
        try:
            with open(os.path.join(base, entry), encoding="utf-8") as fh:
                data = json.load(fh)
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            errors.append(f"{name}: does not parse: {exc}")
            continue
        tables[name] = data
        found: list[str] = []
        validate(data, MESSAGES, "", found)
        found = [line.lstrip(".").removeprefix(": ") for line in found]
        as_of = data.get("as_of") if isinstance(data, dict) else None
        if isinstance(as_of, str) and not _iso_date(as_of) and dt.date.fromisoformat(as_of) > today:
            found.append(f"as_of: {as_of} is after today ({today})")
        if not found:
            _messages_facts(data, found)
        errors.extend(f"{name}: {line}" for line in found)


def _mirrors_facts(data: dict[str, Any], tables: dict[str, Any], out: list[str], warn: list[str]) -> None:
    names: list[str] = []
    for key in ("mirrors", "wrong"):
        for row in data.get(key, ()):
            names += [row["name"], *row.get("aliases", ())]
    for name in sorted({n for n in names if names.count(n) > 1}):
        out.append(f"mirrors.json: name {name!r} appears twice (names and aliases are --mirror values)")
    usable = {row["name"] for row in data.get("mirrors", ())}
    for i, row in enumerate(data.get("wrong", ())):
        if row["instead"] not in usable:
            out.append(f"mirrors.json: wrong[{_label(row, i)}].instead: {row['instead']!r} is not a mirror")
    for i, row in enumerate(data.get("mirrors", ())):
        if row["layout"] == "find-links" and not (row.get("pypi") and row.get("pin_local")):
            out.append(f"mirrors.json: mirrors[{_label(row, i)}]: a find-links mirror needs `pypi` (the "
                       "dependencies' index) and `pin_local: true`")

FACTS: dict[str, Callable[..., None]] = {
    "releases.json": lambda data, tables, out, warn: _releases_facts(data, out, warn),
    "archs.json": _archs_facts,
    "gpus.json": _gpus_facts,
    "libraries.json": _libraries_facts,
    "intel_pci.json": _intel_facts,
    "rocm.json": _rocm_facts,
    "mirrors.json": _mirrors_facts,
}


# ------------------------------------------------------------------------------------ sources
def _source_lists(value: Any, where: str):
    """(where, list) of every `source` list in a table, at any depth."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "source" and isinstance(item, list):
                yield f"{where}.source" if where else "source", item
            else:
                yield from _source_lists(item, f"{where}.{key}" if where else key)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _source_lists(item, f"{where}[{_label(item, i)}]")


def _check_sources(tables: dict[str, Any], folder: str, errors: list[str], warnings: list[str]) -> None:
    shared = set((tables.get("sources.json") or {}).get("sources", {}))
    used: set[str] = set()
    for name, data in tables.items():
        if name == "sources.json" or not isinstance(data, dict):
            continue
        own = data.get("sources") if isinstance(data.get("sources"), dict) else {}
        own_used: set[str] = set()
        for where, keys in _source_lists(data, ""):
            for key in keys:
                if not isinstance(key, str):
                    continue
                if key in own:
                    own_used.add(key)
                elif key in shared:
                    used.add(key)
                else:
                    errors.append(f"{name}: {where}: source key {key!r} is not in sources.json")
        for key in sorted(set(own) - own_used):
            warnings.append(f"{name}: sources.{key}: no row of the table cites it")
    # Code may cite a key too (knowledge/gpu_names.py: the gfx printed inside a name).
    code = ""
    for entry in sorted(os.listdir(folder)):
        if entry.endswith(".py"):
            with open(os.path.join(folder, entry), encoding="utf-8") as fh:
                code += fh.read()
    for key in sorted(shared - used):
        if f'"{key}"' not in code:
            warnings.append(f"sources.json: sources.{key}: no table row cites it")


# ------------------------------------------------------------------------------------ pci_ids.tsv
def _check_tsv(path: str, today: dt.date, out: list[str]) -> None:
    header: dict[str, str] = {}
    seen: set[tuple[str, str]] = set()
    with open(path, encoding="utf-8") as fh:
        lines = fh.read().splitlines()
    for number, line in enumerate(lines, 1):
        if line.startswith("#"):
            m = re.match(r"# (?:pci\.ids )?(version|date|source): (.+)", line)
            if m and not seen:
                header[m.group(1)] = m.group(2).strip()
            continue
        fields = line.split("\t")
        if len(fields) != 4 or not re.fullmatch(r"10de|1002|8086", fields[0]) or \
                not re.fullmatch(r"[0-9a-f]{4}", fields[1]) or not fields[3].strip():
            out.append(f"line {number}: expected vendor<TAB>device<TAB>chip<TAB>name (vendor 10de/1002/8086, "
                       "4 lower-case hex digits, a name)")
            continue
        if (fields[0], fields[1]) in seen:
            out.append(f"line {number}: {fields[0]}:{fields[1]} appears twice")
        seen.add((fields[0], fields[1]))
    if not re.fullmatch(r"\d{4}\.\d{2}\.\d{2}", header.get("version", "")):
        out.append("header: no '# pci.ids version: YYYY.MM.DD' line")
    date = header.get("date", "")[:10]
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", date) or _iso_date(date):
        out.append("header: no '# pci.ids date: YYYY-MM-DD ...' line")
    elif dt.date.fromisoformat(date) > today:
        out.append(f"header: pci.ids date {date} is after today ({today})")
    if not re.search(r"@ [0-9a-f]{40}\b", header.get("source", "")):
        out.append("header: no '# source: ... @ <40-hex commit>' line")
    if not seen:
        out.append("no rows")


# ------------------------------------------------------------------------------------ the run
def check(folder: str, today: dt.date) -> tuple[list[str], list[str]]:
    """(errors, warnings) for the tables in `folder`, each line 'FILE: WHERE: WHAT'."""
    errors: list[str] = []
    warnings: list[str] = []
    tables: dict[str, Any] = {}
    entries = sorted(os.listdir(folder))
    for entry in entries:
        if NOT_TABLES.fullmatch(entry):
            continue
        if entry not in SCHEMAS and entry not in TSV_TABLES and entry != MESSAGE_DIR:
            errors.append(f"{entry}: a table with no schema (add one to scripts/check_tables.py)")
    for name in list(SCHEMAS) + list(TSV_TABLES):
        if name not in entries:
            errors.append(f"{name}: missing")
    for name in TSV_TABLES:
        if name in entries:
            found: list[str] = []
            _check_tsv(os.path.join(folder, name), today, found)
            errors.extend(f"{name}: {line}" for line in found)
    for name, schema in SCHEMAS.items():
        if name not in entries:
            continue
        try:
            with open(os.path.join(folder, name), encoding="utf-8") as fh:
                data = json.load(fh)
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            errors.append(f"{name}: does not parse: {exc}")
            continue
        tables[name] = data
        found = []
        as_of = data.get("as_of") if isinstance(data, dict) else None
        if as_of is None:
            found.append("as_of: missing (every table says when its facts were checked)")
        elif isinstance(as_of, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", as_of) and not _iso_date(as_of) \
                and dt.date.fromisoformat(as_of) > today:
            found.append(f"as_of: {as_of} is after today ({today})")
        schema_found: list[str] = []
        validate(data, schema, "", schema_found)
        # the as_of line above already says it is missing; a top-level problem has no "where"
        found += [line.lstrip(".").removeprefix(": ") for line in schema_found
                  if line != ": missing field 'as_of'"]
        if not found and name in FACTS:
            warn: list[str] = []
            FACTS[name](data, tables, found, warn)
            warnings.extend(f"{name}: {line}" for line in warn)
        errors.extend(f"{name}: {line}" for line in found)
    _check_messages(folder, today, tables, errors)
    _check_sources(tables, folder, errors, warnings)
    return errors, warnings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Validate the knowledge tables (schema, as_of, source keys).")
    parser.add_argument("--dir", default=os.path.normpath(KNOWLEDGE), help="the tables' folder (default: %(default)s)")
    parser.add_argument("--today", type=dt.date.fromisoformat, default=dt.date.today(),
                        help="the date no as_of may be after (YYYY-MM-DD; default: today)")
    parser.add_argument("--quiet", action="store_true", help="print errors only, no warnings and no summary")
    args = parser.parse_args(argv)
    if not os.path.isdir(args.dir):
        print(f"check_tables: {args.dir}: not a folder", file=sys.stderr)
        return 2
    errors, warnings = check(args.dir, args.today)
    for line in errors:
        print(line)
    if not args.quiet:
        for line in warnings:
            print(f"warning: {line}")
        count = sum(1 for e in os.listdir(args.dir) if e in SCHEMAS or e in TSV_TABLES)
        print(f"check_tables: {count} tables, {len(errors)} error(s), {len(warnings)} warning(s)", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
