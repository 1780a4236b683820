"""`pip list`, `pip freeze`, `pip show torch`: the installed distributions.

A listing is whole only when it was not cut: `pip list` is alphabetical, so one that ends
before "torch" cannot say torch is absent; such a list is marked partial
(extra["report"]["packages_partial"]), and no check reads a package's absence from it.
"""

from __future__ import annotations

import re

from torchdoctor.facts import Distribution
from torchdoctor.privacy import private
from torchdoctor.recorded.evidence import Evidence
from torchdoctor.recorded.paste import Paste
from torchdoctor.recorded.readers._common import norm_name

READER = "pip"
_NAME = r"([A-Za-z0-9][A-Za-z0-9._-]*)"
_LIST_HEAD = re.compile(r"^\s*Package\s+Version(\s+(Editable project location|Location))?\s*$")
_LIST_RULE = re.compile(r"^\s*-{3,}\s+-{3,}")
_LIST_ROW = re.compile(r"^\s*" + _NAME + r"\s+(\d[\w.+!-]*)(\s+\S.*)?$")
_FREEZE = re.compile(r"^\s*" + _NAME + r"\s*==\s*(\d[\w.+!-]*)\s*$")
_FREEZE_URL = re.compile(r"^\s*" + _NAME + r"\s+@\s+\S+")
_SHOW = re.compile(r"^\s*Name:\s*" + _NAME + r"\s*$")


def read(paste: Paste) -> list[Evidence]:
    lines = paste.lines
    rows: list[tuple[int, Distribution]] = []
    kind = None
    in_list = False
    for i, line in enumerate(lines):
        if not in_list and "==" not in line and "Name:" not in line and "Package" not in line:
            continue  # nothing pip prints starts on this line
        if _LIST_HEAD.match(line):
            if kind == "list":
                break  # a second listing: the first one is read
            kind, in_list = "list", True
            continue
        if in_list:
            if _LIST_RULE.match(line):
                continue
            m = _LIST_ROW.match(line)
            if m:
                rows.append((i, Distribution(name=norm_name(m.group(1)), version=m.group(2), installer="pip")))
                continue
            if line.strip():
                in_list = False
            continue
        if line.lstrip().startswith("["):
            continue  # collect_env's "[pip3] torch==..." rows are collect_env's
        m = _FREEZE.match(line)
        if m and kind in (None, "freeze"):
            kind = "freeze"
            rows.append((i, Distribution(name=norm_name(m.group(1)), version=m.group(2), installer="pip")))
            continue
        m = _SHOW.match(line)
        if m and i + 1 < len(lines):
            v = re.match(r"^\s*Version:\s*(\S+)", lines[i + 1])
            if v:
                requires: tuple[str, ...] = ()
                location = None
                for nxt in lines[i + 2: i + 14]:
                    r = re.match(r"^\s*Requires:\s*(.*)$", nxt)
                    if r:
                        requires = tuple(x.strip() for x in r.group(1).split(",") if x.strip())
                    loc = re.match(r"^\s*Location:\s*(.+)$", nxt)
                    if loc:
                        location = private(loc.group(1).strip())
                rows.append((i, Distribution(name=norm_name(m.group(1)), version=v.group(1), installer="pip",
                                             location=location, requires=requires)))
                kind = kind or "show"
    # freeze lines are easy to mistake: one "x==1" in prose is not a listing
    if not rows or (kind == "freeze" and len(rows) < 3 and not any(d.name == "torch" for _, d in rows)):
        return []
    seen: dict[str, Distribution] = {}
    for _, d in rows:
        seen.setdefault(d.name, d)
    names = sorted(seen)
    # `pip show` names a few packages; a list that ends before "torch" was cut: both rank below whole lists
    reader = "pip_show" if kind == "show" else "pip_partial" if names[-1] < "torch" else READER
    return [Evidence("distributions", tuple(seen.values()), reader, rows[0][0] + 1, lines[rows[0][0]])]
