"""`fleet report` on one screen: the verdict, groups of identical nodes, outliers (the differing fields
marked), missing and unreachable nodes, smoke against the group's median, bus bandwidth against floors.

Reads the report's document (duck typing). Every value came from a node's output: it passes
`sanitize.clean` (and `clean_markdown` in markdown) before it is shown.
"""

from __future__ import annotations

from typing import Any

from torchdoctor.sanitize import clean, clean_markdown

Line = tuple[str, "str | None"]
LABELS = {"torch": "torch", "driver": "driver", "gpus": "GPUs", "python": "Python", "findings": "findings"}
MAX_ROWS = 40  # per section on one screen; the JSON has every row


def _c(value: Any) -> str:
    return " ".join(clean("" if value is None else str(value)).split())


def _config(g: dict[str, Any], marked: set[str] = frozenset()) -> str:  # type: ignore[assignment]
    parts = []
    for field, label in LABELS.items():
        value = _c(g.get(field))
        text = value if field in ("gpus", "findings") else f"{label} {value}"
        parts.append(f"[{text}]" if field in marked else text)
    return " · ".join(parts)


def _headline(doc: dict[str, Any]) -> str:
    c = doc["counts"]
    expected = doc["expected"]["count"]
    parts = [f"{expected} expected" if expected else None, f"{c['reported']} reported", f"{c['passed']} passed",
             f"{c['failed']} failed" if c["failed"] else None, f"{c['missing']} missing" if c["missing"] else None,
             f"{c['unreachable']} unreachable" if c["unreachable"] else None,
             f"{c['groups']} group{'s' if c['groups'] != 1 else ''}"]
    return "torchdoctor fleet report: " + ", ".join(p for p in parts if p)


def _fmt_rate(v: Any) -> str:
    return "-" if v is None else f"{v:.1f}"


def report_lines(doc: dict[str, Any]) -> list[Line]:
    out: list[Line] = [(_headline(doc), "bold"), ("", None)]
    groups = doc["groups"]
    if groups:
        out.append(("Groups of identical nodes (torch · driver · GPUs · Python · findings)", "bold"))
        major = groups[0] if doc["majority"] else None
        for g in groups[:MAX_ROWS]:
            many = "nodes" if g["count"] != 1 else "node "
            marked = {f for f in LABELS if major is not None and g is not major and g.get(f) != major.get(f)}
            out.append((f"  {g['id']}  {g['count']:>4} {many}  {_config(g, marked)}", None))
            out.append((f"           {_c(g['nodes'])}", "dim"))
        if len(groups) > MAX_ROWS:
            out.append((f"  ... {len(groups) - MAX_ROWS} more groups (--json has them all)", "dim"))
        out.append(("", None))
    if doc["outliers"]:
        out.append((f"Outliers against group {doc['majority']} (the largest; [marked] above: what differs)", "bold"))
        for o in doc["outliers"][:MAX_ROWS]:
            diffs = "; ".join(f"{LABELS[d['field']]} {_c(d['value'])} != {_c(d['majority'])}" for d in o["differs"])
            out.append((f"  {_c(o['node'])} (group {o['group']}): {diffs}", "yellow"))
        if len(doc["outliers"]) > MAX_ROWS:
            out.append((f"  ... {len(doc['outliers']) - MAX_ROWS} more (--json has them all)", "dim"))
        out.append(("", None))
    if doc["missing"] or doc["unreachable"]:
        out.append(("Missing or unreachable", "bold"))
        if doc["missing"]:
            from torchdoctor.hostlist import compress

            names = [m for m in doc["missing"] if not m.startswith("(")]
            text = compress(names) if names else _c(doc["missing"][0])
            out.append((f"  no report: {_c(text)}", "red"))
        for u in doc["unreachable"][:MAX_ROWS]:
            out.append((f"  {_c(u['node'])}: {_c('; '.join(u['problems']))}", "red"))
            for e in u["engine"][-1:]:
                out.append((f"      {_c(e['text'])}", "dim"))
        out.append(("", None))
    failed = [n for n in doc["nodes"] if n["status"] == "failed"]
    if failed:
        out.append(("Failed nodes", "bold"))
        for n in failed[:MAX_ROWS]:
            out.append((f"  {_c(n['node'])}: {_c('; '.join(n['problems']))}", "red"))
        if len(failed) > MAX_ROWS:
            out.append((f"  ... {len(failed) - MAX_ROWS} more (--json has them all)", "dim"))
        out.append(("", None))
    if doc["smoke"]:
        slow = [r for r in doc["smoke"] if r["slow"] or not r["ok"]]
        rated = [r for r in doc["smoke"] if r["steps_per_s"] is not None]
        out.append((f"Smoke: {len(doc['smoke'])} device run(s), {len(slow)} failed or slow "
                    "(steps/s against the group's median)", "bold"))
        for r in (slow or rated)[:MAX_ROWS if slow else 8]:
            mark = "FAILED" if not r["ok"] else "SLOW" if r["slow"] else "ok"
            ratio = f"{r['ratio']:.2f}x" if r["ratio"] is not None else "-"
            out.append((f"  {_c(r['node'])} {_c(r['device'])} {_c(r['name'])}: {_fmt_rate(r['steps_per_s'])} "
                        f"(median {_fmt_rate(r['median'])}, {ratio}) {mark}",
                        "red" if mark != "ok" else None))
        out.append(("", None))
    if doc["busbw"]:
        out.append(("Distributed: all-reduce bus bandwidth", "bold"))
        for r in doc["busbw"][:MAX_ROWS]:
            floor = r["floor"]
            bad = not r["ok"] or (floor is not None and floor["ok"] is False)
            out.append((f"  {_c(r['node'])}: {r['world_size']} ranks {_c(r['backend'])}, busbw "
                        f"{_fmt_rate(r['busbw_gbps'])} GB/s at {_size(r['max_bytes'])}; {_c(_floor_text(floor))}"
                        + (" FAILED" if bad else ""), "red" if bad else None))
        out.append(("", None))
    for note in doc["notes"]:
        out.append((f"note: {_c(note)}", "dim"))
    broken = doc["input"]["broken"]
    if broken:
        out.append((f"note: {len(broken)} unreadable JSON document(s), first at {_c(broken[0])}", "dim"))
    verdict = "PASS: every expected node reported and passed" if doc["ok"] else "FAIL"
    out.append((verdict + ("" if doc["ok"] else f" (exit 1): {_why(doc)}"), "green" if doc["ok"] else "red"))
    return out


def _why(doc: dict[str, Any]) -> str:
    c = doc["counts"]
    parts = []
    if c["failed"]:
        parts.append(f"{c['failed']} node(s) failed")
    if c["missing"]:
        parts.append(f"{c['missing']} missing")
    if c["unreachable"]:
        parts.append(f"{c['unreachable']} unreachable")
    if not c["reported"]:
        parts.append("no node reported")
    return ", ".join(parts) or "see above"


def markdown(doc: dict[str, Any]) -> str:
    m = clean_markdown
    out = [f"### {m(_headline(doc))}", ""]
    if doc["groups"]:
        out += ["| group | nodes | count | torch | driver | GPUs | Python | findings |",
                "| --- | --- | --- | --- | --- | --- | --- | --- |"]
        for g in doc["groups"]:
            out.append(f"| {g['id']} | {m(g['nodes'])} | {g['count']} | " +
                       " | ".join(m(_c(g[f])) for f in LABELS) + " |")
        out.append("")
    if doc["outliers"]:
        out += [f"**Outliers** against group {doc['majority']}:", ""]
        for o in doc["outliers"]:
            diffs = "; ".join(f"{LABELS[d['field']]} **{m(_c(d['value']))}** (group: {m(_c(d['majority']))})"
                              for d in o["differs"])
            out.append(f"- `{m(_c(o['node']))}`: {diffs}")
        out.append("")
    problems = [n for n in doc["nodes"] if n["status"] != "passed"]
    if problems or doc["missing"]:
        out += ["| node | status | why |", "| --- | --- | --- |"]
        for n in problems:
            out.append(f"| {m(_c(n['node']))} | {n['status']} | {m(_c('; '.join(n['problems'])))} |")
        for name in doc["missing"]:
            out.append(f"| {m(_c(name))} | missing | no report |")
        out.append("")
    if doc["busbw"]:
        out += ["| node | ranks | busbw GB/s | largest message | floor |", "| --- | --- | --- | --- | --- |"]
        for r in doc["busbw"]:
            out.append(f"| {m(_c(r['node']))} | {r['world_size']} | {_fmt_rate(r['busbw_gbps'])} | "
                       f"{_size(r['max_bytes'])} | {m(_c(_floor_text(r['floor'])))} |")
        out.append("")
    out.append("**PASS**" if doc["ok"] else f"**FAIL**: {m(_why(doc))}")
    return "\n".join(out) + "\n"


def _size(n: Any) -> str:
    if not n:
        return "-"
    for unit, scale in (("GiB", 1024 ** 3), ("MiB", 1024 ** 2), ("KiB", 1024)):
        if n >= scale:
            v = n / scale
            return f"{v:g} {unit}" if v == int(v) else f"{v:.1f} {unit}"
    return f"{n} B"


def _floor_text(floor: Any) -> str:
    if not floor:
        return "no floor for these GPUs"
    return f"{floor['name']} {floor['busbw_gbps']:g} GB/s at {_size(floor['min_bytes'])}: {floor['why']}"
