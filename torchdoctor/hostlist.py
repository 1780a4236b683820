"""Slurm's host-list syntax, both ways: `node[01-16]`, `a[1-3,7],b5`, `rack[1-2]-gpu[1-4]`.

`expand` turns a host list into names (zero padding kept: `[08-10]` is node08 node09 node10), in
the order written, each once; `compress` writes names back as one short host list (for "missing:
node[03,07-09]"). A list that would name more than MAX_HOSTS hosts, an unclosed bracket or a
reversed range is a UsageError (exit 2), never a hang on `node[1-999999999]`.
"""

from __future__ import annotations

import re

from torchdoctor.errors import UsageError

MAX_HOSTS = 100_000
_RANGE = re.compile(r"^(\d+)(?:-(\d+))?$")
_NAME_NUM = re.compile(r"^(.*?)(\d+)$")


def _split_top(text: str) -> list[str]:
    """Split on commas outside brackets."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch == "[":
            depth += 1
            if depth > 1:
                raise UsageError(f"host list {text!r}: a bracket inside a bracket")
        elif ch == "]":
            depth -= 1
            if depth < 0:
                raise UsageError(f"host list {text!r}: ']' without '['")
        elif (ch == "," or ch.isspace()) and depth == 0:  # `a b` as a shell's word list reads too
            parts.append(text[start:i])
            start = i + 1
    if depth:
        raise UsageError(f"host list {text!r}: '[' is never closed")
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def _bracket_values(inside: str, text: str) -> list[str]:
    values: list[str] = []
    for item in inside.split(","):
        item = item.strip()
        m = _RANGE.match(item.replace(" ", ""))
        if not m:
            raise UsageError(f"host list {text!r}: {item!r} is not a number or a range such as 01-16")
        lo_s, hi_s = m.group(1), m.group(2)
        if hi_s is None:
            values.append(lo_s)
            continue
        lo, hi = int(lo_s), int(hi_s)
        if hi < lo:
            raise UsageError(f"host list {text!r}: the range {item} runs backwards")
        if hi - lo >= MAX_HOSTS:
            raise UsageError(f"host list {text!r}: more than {MAX_HOSTS} hosts")
        width = len(lo_s) if lo_s.startswith("0") and len(lo_s) > 1 else 0
        values.extend(str(n).zfill(width) for n in range(lo, hi + 1))
    return values


def _expand_one(piece: str, text: str) -> list[str]:
    names = [""]
    rest = piece
    while rest:
        open_at = rest.find("[")
        if open_at < 0:
            names = [n + rest for n in names]
            break
        close_at = rest.index("]", open_at)
        prefix, inside, rest = rest[:open_at], rest[open_at + 1:close_at], rest[close_at + 1:]
        values = _bracket_values(inside, text)
        if len(names) * len(values) > MAX_HOSTS:
            raise UsageError(f"host list {text!r}: more than {MAX_HOSTS} hosts")
        names = [n + prefix + v for n in names for v in values]
    return names


def expand(text: str) -> list[str]:
    """`node[01-03],gpu7` -> ['node01', 'node02', 'node03', 'gpu7'] (each name once, in order)."""
    if not text or not text.strip():
        raise UsageError("the host list is empty")
    seen: dict[str, None] = {}
    for piece in _split_top(text.strip()):
        for name in _expand_one(piece, text):
            if name:
                seen.setdefault(name, None)
            if len(seen) > MAX_HOSTS:
                raise UsageError(f"host list {text!r}: more than {MAX_HOSTS} hosts")
    if not seen:
        raise UsageError(f"host list {text!r} names no host")
    return list(seen)


def compress(names: list[str]) -> str:
    """['node01', 'node02', 'node04', 'login'] -> 'node[01-02,04],login' (the numbered tail ranged)."""
    groups: dict[str, list[tuple[int, str]]] = {}
    order: list[tuple[str, str]] = []  # ("name", plain) or ("prefix", prefix)
    for name in dict.fromkeys(names):
        m = _NAME_NUM.match(name)
        if not m:
            order.append(("name", name))
            continue
        prefix = m.group(1)
        if prefix not in groups:
            groups[prefix] = []
            order.append(("prefix", prefix))
        groups[prefix].append((int(m.group(2)), m.group(2)))
    out: list[str] = []
    for what, value in order:
        if what == "name":
            out.append(value)
            continue
        nums = sorted(set(groups[value]))
        if len(nums) == 1:
            out.append(value + nums[0][1])
            continue
        spans: list[str] = []
        i = 0
        while i < len(nums):
            first = nums[i][1]
            width = len(first) if first.startswith("0") and len(first) > 1 else 0
            j = i
            while (j + 1 < len(nums) and nums[j + 1][0] == nums[j][0] + 1
                   and nums[j + 1][1] == str(nums[j + 1][0]).zfill(width)):
                j += 1
            spans.append(first if i == j else f"{first}-{nums[j][1]}")
            i = j + 1
        out.append(f"{value}[{','.join(spans)}]")
    return ",".join(out)


# `--node-label auto`: the scheduler's name for this node, then Kubernetes' (the downward API's
# `spec.nodeName`, which a manifest exposes under one of these names), then the short host name.
NODE_ENV = ("SLURMD_NODENAME", "SLURM_TOPOLOGY_ADDR", "NODE_NAME", "K8S_NODE_NAME", "KUBERNETES_NODE_NAME")
_LABEL = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.:@+/-]{0,252}$")


def node_label(spec: str | None, environ: dict[str, str] | None = None) -> str | None:
    """The `node` value of a one-line report: None (off, the default), `auto`, or a name given.

    A given name must be one plain word (letters, digits, `_.:@+-/`, at most 253 characters, as a DNS
    name): it lands in drain reasons and in a table.
    """
    if spec is None:
        return None
    spec = spec.strip()
    if spec.lower() != "auto":
        if not _LABEL.match(spec):
            raise UsageError(f"--node-label {spec[:60]!r}: a node name is one word of letters, digits and "
                             "_.:@+-/ (at most 253 characters), or 'auto'")
        return spec
    import os
    import socket

    env = os.environ if environ is None else environ
    for key in NODE_ENV:
        value = (env.get(key) or "").strip()
        if value and _LABEL.match(value):
            # SLURM_TOPOLOGY_ADDR is the switch path `s0.s1.node7`: its last part is the node
            return value.rsplit(".", 1)[-1] if key == "SLURM_TOPOLOGY_ADDR" else value
    host = (socket.gethostname() or "").split(".", 1)[0]
    return host if host and _LABEL.match(host) else "unknown"
