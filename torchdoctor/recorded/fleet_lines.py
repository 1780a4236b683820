"""A fleet's output, read: the JSON reports that came back from many nodes, and what the engine said.

The engines that start a command on every node prefix its lines their own way; this reader takes any
mix of them, line by line, and never judges:

- plain JSON lines (`--json-line`), or a JSON document over several lines (`--json`);
- pdsh / clush: `node07: {...}`, and pdsh's own `pdsh@login: node07: ssh exited with exit code 255`
  and `pdsh@login: node07: command timeout`;
- `srun --label`: `3: {...}` (the task number), and srun's `srun: error: node07: task 3: Exited with
  exit code 1`;
- `kubectl logs` (with `--prefix` `[pod/NAME/CONTAINER] ` and `--timestamps` RFC 3339 times).

A node's name: pdsh's / clush's host prefix (the name the admin addressed it by); else the report's own
`node` (`--node-label`); else kubectl's pod or srun's `task N`; else the file and line. Lines that are none
of these (a progress line on stderr, a banner) are counted and skipped.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, field
from typing import Any, Iterable

from torchdoctor.errors import UsageError
from torchdoctor.sanitize import clean

MAX_DOCUMENT = 8 * 1024 * 1024  # one node's report, as characters: a runaway stream is cut, not held
MAX_LINE = 16 * 1024 * 1024
_HOST = r"[A-Za-z0-9][A-Za-z0-9_.-]*"
_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d) ")
_KUBECTL = re.compile(r"^\[pod/([^/\]\s]+)/[^\]\s]*\] ")
# pdsh's own lines; `fleet run --via ssh` writes its ssh exits and timeouts the same way (as `ssh@HOST:`)
_PDSH_EXIT = re.compile(rf"^(?:pdsh|ssh)@{_HOST}: ({_HOST}): ssh exited with exit code (\d+)\s*$")
_PDSH_OTHER = re.compile(rf"^(?:pdsh|ssh)@{_HOST}: ({_HOST}): (.+)$")
_SRUN_EXIT = re.compile(rf"^srun: error: ({_HOST}): tasks? ([\d,-]+): (.+?)\s*$")
_EXIT_CODE = re.compile(r"[Ee]xit(?:ed)? with exit code (\d+)")
_SRUN_LABEL = re.compile(r"^\s*(\d+): ")
_HOST_LABEL = re.compile(rf"^({_HOST}): ")
_NODE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.:@+/-]{0,252}$")

KINDS = ("check", "smoke", "distributed")


@dataclass(frozen=True)
class NodeDocument:
    node: str  # the report's own `node`, else the prefix's host / pod / "task N", else FILE:LINE
    kind: str  # check | smoke | distributed | unknown
    document: dict[str, Any]
    where: str  # FILE:LINE of its first line
    labelled: bool  # the name is the report's own `node` (or pdsh's / kubectl's host), not a guess


@dataclass(frozen=True)
class EngineEvent:
    """What the engine said about a node: a task's exit, ssh's 255, a timeout."""

    node: str
    exit_code: int | None
    text: str
    where: str


@dataclass
class FleetInput:
    documents: list[NodeDocument] = field(default_factory=list)
    events: list[EngineEvent] = field(default_factory=list)
    lines: int = 0
    ignored: int = 0  # lines that were neither a report nor an engine's message
    broken: list[str] = field(default_factory=list)  # "FILE:LINE: why" for JSON that never parsed


def kind_of(doc: dict[str, Any]) -> str:
    if "facts" in doc and "findings" in doc:
        return "check"
    if "ranks" in doc and "world_size" in doc:
        return "distributed"
    if "devices" in doc and "requested" in doc:
        return "smoke"
    return "unknown"


def _node_name(value: Any) -> str | None:
    if isinstance(value, str):
        value = clean(value).strip()
        if _NODE.match(value):
            return value
    return None


class _Reader:
    def __init__(self, out: FleetInput):
        self.out = out
        self.pending: dict[tuple[str, str], tuple[list[str], int, str]] = {}  # stream -> (lines, size, where)

    def line(self, raw: str, source: str, number: int) -> None:
        self.out.lines += 1
        where = f"{source}:{number}"
        text = raw.rstrip("\r\n")
        if len(text) > MAX_LINE:
            self.out.broken.append(f"{where}: a line of {len(text)} characters, cut")
            return
        text = _TIMESTAMP.sub("", text, count=1)
        if self._engine(text, where):
            return
        host, kind, rest = self._prefix(text)
        key = (source, f"{kind}:{host}")
        if key in self.pending:
            self._continue(key, rest, where)
            return
        stripped = rest.strip()
        if not stripped.startswith("{"):
            self.out.ignored += 1
            return
        try:
            doc = json.loads(stripped)
        except ValueError:
            self.pending[key] = ([stripped], len(stripped), where)  # a document over several lines
            return
        self._document(doc, host, kind, where)

    def _engine(self, text: str, where: str) -> bool:
        m = _PDSH_EXIT.match(text)
        if m:
            self.out.events.append(EngineEvent(m.group(1), int(m.group(2)), clean(text), where))
            return True
        m = _SRUN_EXIT.match(text)
        if m:
            code = _EXIT_CODE.search(m.group(3))
            self.out.events.append(EngineEvent(m.group(1), int(code.group(1)) if code else None, clean(text), where))
            return True
        m = _PDSH_OTHER.match(text)
        if m:
            code = _EXIT_CODE.search(m.group(2))
            self.out.events.append(EngineEvent(m.group(1), int(code.group(1)) if code else None, clean(text), where))
            return True
        return False

    @staticmethod
    def _prefix(text: str) -> tuple[str, str, str]:
        """(host, how it was named, the rest): kubectl's pod, srun's task, pdsh's host, or none."""
        m = _KUBECTL.match(text)
        if m:
            return m.group(1), "pod", _TIMESTAMP.sub("", text[m.end():], count=1)
        m = _SRUN_LABEL.match(text)
        if m:
            return f"task {int(m.group(1))}", "task", text[m.end():]
        m = _HOST_LABEL.match(text)
        if m and not text.lstrip().startswith(("{", '"')):
            return m.group(1), "host", text[m.end():]
        return "", "none", text

    def _continue(self, key: tuple[str, str], rest: str, where: str) -> None:
        lines, size, first = self.pending[key]
        lines.append(rest)
        size += len(rest) + 1
        if size > MAX_DOCUMENT:
            del self.pending[key]
            self.out.broken.append(f"{first}: a JSON document over {MAX_DOCUMENT} characters, cut")
            return
        self.pending[key] = (lines, size, first)
        if rest.startswith("}"):  # the closing brace of `--json`'s indented document
            try:
                doc = json.loads("\n".join(lines))
            except ValueError:
                return
            del self.pending[key]
            how, _, host = key[1].partition(":")
            self._document(doc, host, how, first)

    def _document(self, doc: Any, host: str, how: str, where: str) -> None:
        if not isinstance(doc, dict):
            self.out.ignored += 1
            return
        own = _node_name(doc.get("node"))
        # pdsh's / clush's host is the name the admin addressed the node by (what --expect-nodes lists): it
        # wins; a report's own label beats kubectl's pod and srun's task number
        prefix = host if host and (how == "task" or _node_name(host)) else None
        name = (prefix if how == "host" else None) or own or prefix or where
        labelled = own is not None or how in ("host", "pod")
        self.out.documents.append(NodeDocument(name, kind_of(doc), doc, where, labelled))

    def finish(self) -> None:
        for lines, _, first in self.pending.values():
            self.out.broken.append(f"{first}: a JSON document that never closed ({len(lines)} lines)")
        self.pending.clear()


def read_lines(lines: Iterable[str], source: str = "-", into: FleetInput | None = None) -> FleetInput:
    out = into if into is not None else FleetInput()
    reader = _Reader(out)
    for number, line in enumerate(lines, 1):
        reader.line(line, source, number)
    reader.finish()
    return out


MAX_INPUT = 1 << 30  # characters read from one FILE (about 100,000 nodes' check lines); the rest is a note


def read_inputs(paths: Iterable[str]) -> FleetInput:
    """Every FILE (or `-`, standard input) in turn; an unreadable one is a UsageError (exit 2).

    Regular files and pipes (`<(srun ...)`) are read; a directory or a device is refused before it is
    opened. Lines are read with a bound, and one input with a bound on its total: `/dev/zero` or a
    runaway stream is cut with a note, never held whole.
    """
    out = FleetInput()
    paths = list(paths)
    if not paths and sys.stdin is not None and _isatty(sys.stdin):
        raise UsageError("give the reports as FILES, or pipe them in (`... | torchdoctor fleet report -`)")
    for path in paths or ["-"]:
        if path == "-":
            stream = sys.stdin
            if stream is None:
                raise UsageError("standard input is closed: give the reports as FILES")
            buffer = getattr(stream, "buffer", None)
            read_lines(_bounded(buffer if buffer is not None else stream, "-", out), "-", out)
            continue
        _check_file(path)
        try:
            with open(path, "rb") as handle:
                read_lines(_bounded(handle, path, out), path, out)
        except OSError as exc:
            raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    return out


def _check_file(path: str) -> None:
    import os
    import stat

    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    if stat.S_ISDIR(mode):
        raise UsageError(f"cannot read {path}: it is a directory")
    if not (stat.S_ISREG(mode) or stat.S_ISFIFO(mode)):
        raise UsageError(f"cannot read {path}: not a file or a pipe")


def _bounded(handle: Any, name: str, out: FleetInput) -> Iterable[str]:
    """Lines of at most MAX_LINE characters (a longer one is dropped, with a note), MAX_INPUT in all."""
    total = 0
    while True:
        raw = handle.readline(MAX_LINE + 1)
        if not raw:
            return
        line = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
        total += len(line)
        if total > MAX_INPUT:
            out.broken.append(f"{name}: more than {MAX_INPUT} characters: the rest was not read")
            return
        if len(line) > MAX_LINE and not line.endswith("\n"):
            out.broken.append(f"{name}: a line over {MAX_LINE} characters, skipped")
            while raw and not (raw.endswith(b"\n") if isinstance(raw, bytes) else raw.endswith("\n")):
                raw = handle.readline(MAX_LINE + 1)
                total += len(raw)
                if total > MAX_INPUT:
                    out.broken.append(f"{name}: more than {MAX_INPUT} characters: the rest was not read")
                    return
            continue
        yield line


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


class LineFeed:
    """A text sink (write/flush) that reads whole lines as they come: for a running engine's output, so a
    fleet's reports are read while they arrive and never held twice."""

    def __init__(self, source: str = "-", into: FleetInput | None = None):
        self.out = into if into is not None else FleetInput()
        self._reader = _Reader(self.out)
        self._source = source
        self._partial = ""
        self._number = 0

    def write(self, text: str) -> int:
        data = self._partial + text
        *whole, self._partial = data.split("\n")
        if len(self._partial) > MAX_LINE:
            self._partial = ""
        for line in whole:
            self._number += 1
            self._reader.line(line, self._source, self._number)
        return len(text)

    def flush(self) -> None:
        pass

    def close(self) -> FleetInput:
        if self._partial:
            self._number += 1
            self._reader.line(self._partial, self._source, self._number)
            self._partial = ""
        self._reader.finish()
        return self.out
