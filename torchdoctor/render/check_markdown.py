"""`torchdoctor check --format markdown`: a report to paste into a GitHub issue.

A table of areas, the problems with their fixes, the skipped checks, and the full
facts as JSON in a collapsed block (so a maintainer can run `check --from` on it).
"""

from __future__ import annotations


import re
from typing import Any, Sequence

from torchdoctor.render.check_areas import area_lines, paste_shows, report_asks, report_notes
from torchdoctor.privacy import private_facts
from torchdoctor.render.json import dumps
from torchdoctor.sanitize import clean_markdown, code_fence, code_span

ICON = {"ok": "✅", "warning": "⚠️", "error": "❌", "skipped": "➖", "info": "ℹ️", "crashed": "💥"}


def _cell(text: str) -> str:
    return clean_markdown(text).replace("\n", " ")


def _untrusted(text: str) -> str:
    """Pasted text for markdown prose: `code` spans kept as code (via code_span), the rest escaped."""
    parts = re.split(r"(`[^`\n]+`)", text)
    return "".join(code_span(p[1:-1]) if p.startswith("`") and p.endswith("`") and len(p) > 1 else clean_markdown(p)
                   for p in parts)


def render(facts: Any, findings: Sequence[Any], origin_note: str | None = None, version: str = "") -> str:
    from torchdoctor.render.check_human import summary

    out = ["## torchdoctor check", ""]
    if origin_note:
        out += [f"**{clean_markdown(origin_note)}**", ""]
    notes = report_notes(facts, asks=False)
    if notes:
        out += [f"> Note: {clean_markdown(n)}" + ("  " if i < len(notes) - 1 else "")
                for i, n in enumerate(notes)] + [""]
    shows = paste_shows(facts)
    if shows:  # a pasted report: say what it establishes, and where, before judging it
        out += ["### What the paste shows", ""]
        out += [f"- {_untrusted(what)}" + (f" ({clean_markdown(where)})" if where else "") for what, where in shows]
        out += [""]
    out += [f"{summary(findings)} (torchdoctor {version})".replace(" ()", ""), "",
            "| | Area | |", "|---|---|---|"]
    for a in area_lines(facts, findings):
        out.append(f"| {ICON[a.status]} | {a.area} | {_cell(a.headline)} |")
    problems = [f for f in findings if f.severity in ("error", "warning", "crashed", "info")]
    if problems:
        out += ["", "### Problems", ""]
        for f in problems:
            out.append(f"- {ICON[f.severity]} **{code_span(f.id)}** ({f.severity}): {clean_markdown(f.message)}")
            if f.fix is not None:
                out.append(f"  - Fix: {clean_markdown(f.fix.summary)}")
                if f.fix.commands:
                    fence = code_fence("\n".join(str(c) for c in f.fix.commands), "sh")
                    out += ["    " + line for line in fence.splitlines()]
    asks = report_asks(facts)
    if asks:
        out += ["", "### What is missing to be sure", ""]
        out += [f"- Please post {_untrusted(a)}." for a in asks]
    skipped = [f for f in findings if f.severity == "skipped"]
    if skipped:
        out += ["", "<details><summary>Skipped checks</summary>", ""]
        out += [f"- {code_span(f.id)}: {clean_markdown(f.message)}" for f in skipped]
        out += ["", "</details>"]
    out += ["", "<details><summary>Facts (JSON: <code>torchdoctor check --from</code> reads it)</summary>", "",
            code_fence(dumps({"schema": facts.schema, "facts": private_facts(facts.to_dict())}, indent=1).rstrip("\n"),
                       "json"), "",
            "</details>", ""]
    return "\n".join(out)
