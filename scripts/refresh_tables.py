#!/usr/bin/env python3
"""Read the package indexes and write a reviewed diff of releases.json (maintainers only; never at run time).

    python scripts/refresh_tables.py [--pytorch-base URL] [--pypi-base URL] [--releases FILE]
                                     [--today YYYY-MM-DD] [--out FILE] [--timeout S]

1. Variants: download.pytorch.org's `<pytorch-base>/` page lists the variant folders (cu126/, cpu/,
   rocm7.2/, xpu/); each `<pytorch-base>/<variant>/torch/` page lists that variant's wheels. A variant is
   usable for a release only where it lists that release's `torch-X+variant` wheels (an index that exists
   can hold only old builds).
2. PyPI: `<pypi-base>/torch/` as PEP 691 JSON (Accept: application/vnd.pypi.simple.v1+json): the
   versions and files PyPI has.
3. Per-wheel metadata (PEP 658/714, `data-dist-info-metadata` / `data-core-metadata`): for the newest
   release of each variant, the METADATA's nvidia-*/triton pins, printed for the reviewer.
4. The diff: a variant of a known release listed on its index for every platform the row names becomes
   `confirmed` (listed = confirmed); a `confirmed` variant the index does not list is reported, not
   changed; a variant the table lacks is added with `status: confirmed` and a `note` asking for review;
   a torch series the tables do not know is reported only (its architectures come from the build
   scripts and are `inferred` until a wheel's get_arch_list() is recorded: add it by hand,
   docs/updating-knowledge.md). `as_of` becomes --today.

Output: a summary (lines starting with `#`) and a unified diff of releases.json, for a human to review
and apply (`git apply` after removing the summary, or by hand). Standard library only; every request
has a timeout. Exit 0 with the diff written, 1 when an index could not be read.
"""

from __future__ import annotations

import argparse
import datetime as dt
import difflib
import html
import json
import os
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
RELEASES = os.path.join(HERE, os.pardir, "torchdoctor", "knowledge", "releases.json")
VARIANT = re.compile(r"^(cu\d{3}|rocm\d+(?:\.\d+)*|xpu|cpu)/?$")
HREF = re.compile(r"<a\s([^>]*?)href\s*=\s*[\"']([^\"']+)[\"']([^>]*)>", re.I)
WHEEL = re.compile(r"torch-(\d+\.\d+\.\d+)(?:\+([A-Za-z0-9.]+))?-(cp\d+t?|py3)-[^-]+-([^/]+)\.whl$")
META_ATTR = re.compile(r"data-(?:dist-info|core)-metadata\s*=\s*[\"']([^\"']+)[\"']", re.I)


def platform_key(tag: str) -> str | None:
    """A wheel's platform tag as releases.json names platforms."""
    if tag.startswith(("manylinux", "linux")):
        return "linux-aarch64" if "aarch64" in tag else "linux-x86_64" if "x86_64" in tag else None
    if tag.startswith("win"):
        return "windows-x86_64" if tag == "win_amd64" else None
    if tag.startswith("macosx"):
        return "macos-arm64" if "arm64" in tag else "macos-x86_64" if "x86_64" in tag else None
    return None


def get(url: str, timeout: float, accept: str = "text/html") -> str:
    req = urllib.request.Request(url, headers={"Accept": accept, "User-Agent": "torchdoctor-refresh"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - index URLs given by the maintainer
        return resp.read(32 * 1024 * 1024).decode("utf-8", errors="replace")


def links(base: str, text: str) -> list[tuple[str, dict[str, str]]]:
    out = []
    for before, href, after in HREF.findall(text):
        attrs = before + " " + after
        meta = META_ATTR.search(attrs)
        url = urllib.parse.urljoin(base, html.unescape(href).split("#", 1)[0])
        out.append((url, {"metadata": html.unescape(meta.group(1))} if meta else {}))
    return out


def variant_wheels(base: str, variant: str, timeout: float) -> dict[str, dict[str, Any]]:
    """version -> {"platforms": set, "local": set, "metadata": url of one wheel's METADATA or None}."""
    page = f"{base.rstrip('/')}/{variant}/torch/"
    found: dict[str, dict[str, Any]] = {}
    for url, attrs in links(page, get(page, timeout)):
        m = WHEEL.search(urllib.parse.unquote(url))
        if not m:
            continue
        version, local, _py, tag = m.groups()
        row = found.setdefault(version, {"platforms": set(), "local": set(), "metadata": None})
        key = platform_key(tag)
        if key:
            row["platforms"].add(key)
        row["local"].add(local or "")
        if attrs.get("metadata") and row["metadata"] is None:
            row["metadata"] = url + ".metadata"
    return found


def pypi_versions(pypi_base: str, timeout: float) -> dict[str, set[str]]:
    text = get(f"{pypi_base.rstrip('/')}/torch/", timeout, "application/vnd.pypi.simple.v1+json")
    data = json.loads(text)
    out: dict[str, set[str]] = {}
    for f in data.get("files", ()):
        m = WHEEL.search(f.get("filename", ""))
        if m and not f.get("yanked"):
            key = platform_key(m.group(4))
            out.setdefault(m.group(1), set()).update({key} if key else set())
    for v in data.get("versions", ()):
        out.setdefault(v, set())
    return out


def series_of(version: str) -> str:
    return ".".join(version.split(".")[:2])


def _key(v: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", v)[:3])


def refresh(pytorch_base: str, pypi_base: str, releases_path: str, today: str, timeout: float) -> tuple[str, int]:
    with open(releases_path, encoding="utf-8") as fh:
        old_text = fh.read()
    data = json.loads(old_text)
    summary: list[str] = [f"# refresh_tables.py {today}: {pytorch_base} and {pypi_base}"]
    code = 0
    try:
        root = get(pytorch_base.rstrip("/") + "/", timeout)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return f"# {pytorch_base}/: not readable ({exc})\n", 1
    variants = sorted({m.group(1) for url, _ in links(pytorch_base.rstrip("/") + "/", root)
                       for m in [VARIANT.match(url.rstrip("/").rsplit("/", 1)[-1] + "/")] if m})
    summary.append(f"# variants on the index: {', '.join(variants) or 'none'}")
    listed: dict[str, dict[str, dict[str, Any]]] = {}
    for v in variants:
        try:
            listed[v] = variant_wheels(pytorch_base, v, timeout)
        except (urllib.error.URLError, OSError, ValueError) as exc:
            summary.append(f"# {v}: torch/ page not readable ({exc}); its rows are left as they are")
            code = 1
    try:
        pypi = pypi_versions(pypi_base, timeout)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        summary.append(f"# PyPI not readable ({exc})")
        pypi, code = {}, 1

    known = {r["series"] for r in data["releases"]}
    newest_known = max(known, key=_key)
    seen = {series_of(v) for v in pypi} | {series_of(v) for rows in listed.values() for v in rows}
    for s in sorted(seen - known, key=_key):
        if _key(s) > _key(newest_known):
            where = [v for v, rows in listed.items() if any(series_of(x) == s for x in rows)]
            summary.append(f"# NEW SERIES {s}: on {'PyPI' if any(series_of(v) == s for v in pypi) else ''}"
                           f"{' and ' if where and any(series_of(v) == s for v in pypi) else ''}"
                           f"{', '.join(where)}: add its row by hand (architectures: build scripts, inferred)")

    absent: dict[str, list[str]] = {}
    for rel in data["releases"]:
        patch = rel["versions"][-1]
        names = {v["name"] for v in rel["variants"]}
        for var in rel["variants"]:
            rows = listed.get(var["name"])
            if rows is None:
                continue
            if not any(series_of(x) == rel["series"] for x in rows):
                absent.setdefault(var["name"], []).append(rel["series"])
                continue
            have = rows.get(patch)
            platforms = set(var["platforms"])
            if have and platforms <= have["platforms"]:
                if var["status"] != "confirmed" and var["status"] != "unadvertised":
                    summary.append(f"# {rel['series']} {var['name']}: {var['status']} -> confirmed "
                                   f"(torch {patch} listed for {', '.join(sorted(platforms))})")
                    var["status"] = "confirmed"
            elif var["status"] == "confirmed":
                missing = sorted(platforms - (have["platforms"] if have else set()))
                summary.append(f"# {rel['series']} {var['name']}: confirmed in the table, but the index lists no "
                               f"torch {patch} for {', '.join(missing)}: check by hand (not changed)")
        for v, rows in sorted(listed.items()):
            have = rows.get(patch)
            if v in names or not have:
                continue
            plats = sorted(have["platforms"] & set(rel["platforms"]))
            if not plats:
                continue
            rel["variants"].append({"name": v, "platforms": plats, "status": "confirmed",
                                    "note": f"added by refresh_tables.py {today}: listed on the index; review its "
                                            "role and architectures"})
            summary.append(f"# {rel['series']} {v}: new variant listed for {', '.join(plats)} (added: review)")
        for v, rows in sorted(listed.items()):
            have = rows.get(patch)
            if have and have["metadata"]:
                try:
                    meta = get(have["metadata"], timeout, "text/plain")
                except (urllib.error.URLError, OSError, ValueError):
                    continue
                pins = [line.split(":", 1)[1].strip() for line in meta.splitlines()
                        if line.startswith("Requires-Dist:") and re.search(r"\b(nvidia-|triton|pytorch-triton)", line)]
                if pins:
                    summary.append(f"# {rel['series']} {v} METADATA pins: {'; '.join(pins)}")
    for v, series in sorted(absent.items()):
        summary.append(f"# {v}: its page lists no torch of {', '.join(series)}, which the table names there "
                       "(not changed: check by hand)")
    data["as_of"] = today
    new_text = json.dumps(data, indent=1, ensure_ascii=False) + "\n"
    diff = "".join(difflib.unified_diff(old_text.splitlines(keepends=True), new_text.splitlines(keepends=True),
                                        "a/torchdoctor/knowledge/releases.json",
                                        "b/torchdoctor/knowledge/releases.json"))
    return "\n".join(summary) + "\n" + diff, code


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pytorch-base", default="https://download.pytorch.org/whl")
    ap.add_argument("--pypi-base", default="https://pypi.org/simple")
    ap.add_argument("--releases", default=RELEASES)
    ap.add_argument("--today", default=dt.date.today().isoformat())
    ap.add_argument("--out", default="-")
    ap.add_argument("--timeout", type=float, default=20.0)
    args = ap.parse_args(argv)
    try:
        dt.date.fromisoformat(args.today)
    except ValueError:
        print(f"refresh_tables.py: --today must be YYYY-MM-DD, not {args.today!r}", file=sys.stderr)
        return 2
    text, code = refresh(args.pytorch_base, args.pypi_base, args.releases, args.today, args.timeout)
    if args.out == "-":
        sys.stdout.write(text)
    else:
        with open(args.out, "w", encoding="utf-8") as fh:
            fh.write(text)
    return code


if __name__ == "__main__":
    sys.exit(main())
