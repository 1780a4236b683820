"""Messages are knowledge: what torch and its neighbours print, read into typed evidence.

The catalogue is data (`knowledge/messages/*.json`, one file per emitter group: torch, numpy,
pip/uv, conda, NVML/nvidia-smi, the CUDA runtime, the container toolkit, HIP/ROCm, the loaders, CPython,
the compile/build toolchain).
Each row has a pattern derived from the emitter's own format string, the versions that print it and
what it yields: a `kind` ("cuda_error", "driver_too_old", "numpy_api", ...) and `fields` (constants
of the row, plus the pattern's named groups, converted as the row's `convert` says).

`classify(text)` is the one reader of those texts, used by the live path (the torch child's warnings
and errors, through `checks/views.py`) and by the paste readers (`recorded/readers/messages.py`), so
both yield the same `Message`s. Pure: no I/O but the catalogue, read once; the regexes compile on
first use, so importing this module costs nothing on `suggest`'s path.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterable

# Rows name a second capture of one value "<name>2" (a pattern's alternatives cannot share a group name).
_SECOND = re.compile(r"^(\w+?)2$")
# An error-looking line that no row knows: kept as unclassified evidence (shown under -v).
_ERRORISH = re.compile(r"\b(?:[A-Z]\w*(?:Error|Exception)|error|failed|fatal|cannot|could not|unable to)\b", re.I)


@dataclass(frozen=True)
class Message:
    row: str  # the catalogue row's id, "cudart.804"
    emitter: str  # the file's group, "cuda_runtime"
    kind: str  # "cuda_error"
    fields: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    text: str = ""  # the matched words

    def get(self, name: str, default: Any = None) -> Any:
        return self.fields.get(name, default)

    @property
    def build(self) -> str | None:
        """The kind of torch build that prints it ("cuda", "rocm", "cpu", "mps"), where only one does."""
        return self.fields.get("build")


@dataclass(frozen=True)
class Row:
    id: str
    emitter: str
    pattern: str
    flags: str
    kind: str
    constants: tuple[tuple[str, Any], ...]
    convert: tuple[tuple[str, str], ...]
    hint: tuple[str, ...] = ()  # the row's own "words" (a prefilter), where its pattern has no literal

    @property
    def regex(self) -> re.Pattern:
        return _compiled(self.pattern, self.flags)


def folder() -> str:
    from torchdoctor import knowledge

    return os.path.join(os.path.dirname(knowledge.__file__), "messages")


@lru_cache(maxsize=1)
def catalogue() -> tuple[Row, ...]:
    """Every row of every file, in file-name order, then row order."""
    out = []
    base = folder()
    for name in sorted(os.listdir(base)):
        if not name.endswith(".json"):
            continue
        with open(os.path.join(base, name), encoding="utf-8") as fh:
            data = json.load(fh)
        emitter = name[:-5]
        for r in data["rows"]:
            y = r["yields"]
            out.append(Row(r["id"], emitter, r["pattern"], r.get("flags", ""), y["kind"],
                           tuple(y.get("fields", {}).items()), tuple(y.get("convert", {}).items()),
                           tuple(r.get("words", ()))))
    return tuple(out)


@lru_cache(maxsize=None)
def _compiled(pattern: str, flags: str) -> re.Pattern:
    return re.compile(pattern, (re.I if "i" in flags else 0) | re.M)


def _literal_runs(items: Any) -> list[str]:
    """The literal runs of one branch of a parsed pattern (re._parser), longest first."""
    from re import _constants as c  # type: ignore[attr-defined]

    runs, cur = [], ""
    for op, arg in items:
        if op is c.LITERAL:
            cur += chr(arg)
            continue
        if op is c.SUBPATTERN and cur == "" and len(items) == 1:
            return _literal_runs(arg[-1])
        runs.append(cur)
        cur = ""
    runs.append(cur)
    return sorted((r for r in runs if r.strip()), key=len, reverse=True)


@lru_cache(maxsize=None)
def words(pattern: str) -> tuple[str, ...] | None:
    """Lower-case words one of which every match contains (one per alternative), or None when some
    alternative has no literal of 4+ characters (then the row's regex runs on every text)."""
    from re import _constants as c, _parser as parser  # type: ignore[attr-defined]

    tree = list(parser.parse(pattern))
    branches = [tree]
    if len(tree) == 1 and tree[0][0] is c.BRANCH:
        branches = [list(b) for b in tree[0][1][1]]
    elif len(tree) == 1 and tree[0][0] is c.SUBPATTERN:
        inner = list(tree[0][1][-1])
        if len(inner) == 1 and inner[0][0] is c.BRANCH:
            branches = [list(b) for b in inner[0][1][1]]
    out = []
    for branch in branches:
        runs = _literal_runs(branch)
        if not runs or len(runs[0].strip()) < 4:
            return None
        out.append(runs[0].lower())
    return tuple(out)


@lru_cache(maxsize=1)
def all_words() -> tuple[tuple[str, ...], tuple[Row, ...]]:
    """(every row's words, the rows without words): what finds the few lines worth classifying."""
    found: list[str] = []
    bare: list[Row] = []
    for r in catalogue():
        w = r.hint or words(r.pattern)
        if w is None:
            bare.append(r)
        else:
            found += w
    return tuple(dict.fromkeys(found)), tuple(bare)


def _maybe(row: Row, low: str) -> bool:
    w = row.hint or words(row.pattern)
    return w is None or any(x in low for x in w)


def _convert(how: str, raw: str, name: str, fields: dict[str, Any]) -> None:
    if how == "int":
        fields[name] = int(raw)
    elif how == "hex":
        fields[name] = int(raw, 16)
    elif how == "list":
        fields[name] = tuple(v.strip() for v in raw.split(",") if v.strip() and v.strip() != "none")
    elif how == "words":
        fields[name] = tuple(raw.split())
    else:
        fields[name] = raw


def _message(row: Row, m: re.Match) -> Message:
    fields: dict[str, Any] = dict(row.constants)
    convert = dict(row.convert)
    for name, raw in m.groupdict().items():
        if raw is None:
            continue
        second = _SECOND.match(name)
        name = second.group(1) if second and second.group(1) in m.re.groupindex else name
        _convert(convert.get(name, "str"), raw.strip(), name, fields)
    if row.kind == "driver_too_old" and "found" in fields:  # torch prints the driver's CUDA as 1000*major + 10*minor
        n = int(fields["found"])
        fields["driver_cuda"] = f"{n // 1000}.{n % 1000 // 10}"
    return Message(row.id, row.emitter, row.kind, fields, m.group(0).strip())


@lru_cache(maxsize=4096)
def classify(text: str) -> tuple[Message, ...]:
    """Every row that matches `text` (each once, at its first match), in catalogue order."""
    if not text:
        return ()
    low = text.lower()
    out = []
    for row in catalogue():
        if not _maybe(row, low):
            continue
        m = row.regex.search(text)
        if m:
            out.append(_message(row, m))
    return tuple(out)


def classify_all(texts: Iterable[str]) -> tuple[Message, ...]:
    out: list[Message] = []
    seen: set[tuple[str, str]] = set()
    for t in texts:
        for msg in classify(t):
            if (msg.row, msg.text) not in seen:
                seen.add((msg.row, msg.text))
                out.append(msg)
    return tuple(out)


def candidate_lines(lower: str, starts: Any, line_of: Any, find: Any) -> set[int]:
    """Indices of the lines a row may match: `find(words)` over the paste's lower-cased text (memchr speed),
    plus, for the few rows without a literal word, their regex over the whole text."""
    found, bare = all_words()
    hits = set(find(found))
    for row in bare:
        for m in _compiled(row.pattern, row.flags + "i").finditer(lower):
            hits.add(line_of(m.start()))
    return hits


def unclassified(texts: Iterable[str], limit: int = 20) -> tuple[str, ...]:
    """The error-looking lines of `texts` that no row knows (first `limit`, each cut to 200 characters)."""
    out: list[str] = []
    for t in texts:
        for line in t.splitlines():
            line = line.strip()
            if line and _ERRORISH.search(line) and not classify(line) and line[:200] not in out:
                out.append(line[:200])
                if len(out) >= limit:
                    return tuple(out)
    return tuple(out)


def counts() -> dict[str, int]:
    """Rows per emitter group (the note's numbers)."""
    out: dict[str, int] = {}
    for r in catalogue():
        out[r.emitter] = out.get(r.emitter, 0) + 1
    return out


def texts_of(facts: Any) -> tuple[str, ...]:
    """Every text torch printed (warnings, the CUDA init error, the import error), and in a paste the
    lines of other programs that the catalogue knows (extra["report"]["messages"])."""
    rt = getattr(facts, "runtime", None)
    out = list(rt.warnings) if rt is not None else []
    if rt is not None:
        out += [t for t in (rt.cuda_init_error, rt.error) if t]
    report = (getattr(facts, "extra", None) or {}).get("report") or {}
    out += [t for t in report.get("messages") or () if isinstance(t, str)]
    return tuple(out)


def unclassified_of(facts: Any) -> tuple[str, ...]:
    """The unclassified evidence: what a paste reader kept, or the live texts' error lines no row knows."""
    report = (getattr(facts, "extra", None) or {}).get("report") or {}
    kept = tuple(t for t in report.get("unclassified") or () if isinstance(t, str))
    return kept or unclassified(texts_of(facts))
