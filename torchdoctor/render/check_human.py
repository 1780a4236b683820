"""`torchdoctor check` for people, in the style of `flutter doctor`.

A line per area with [✓] / [!] / [✗], then each problem with its message and fix;
`-v` adds every check, every fact and the probe timings. Colour only on a terminal
without NO_COLOR (and not TERM=dumb); ASCII glyphs when the locale or the stream's
encoding cannot show the Unicode ones.
"""

from __future__ import annotations

from torchdoctor.render.stream import write_safely  # noqa: F401 - kept importable from here

import os
from typing import Any, Mapping, Sequence, TextIO

from torchdoctor.render.check_areas import area_lines, fact_lines, report_notes
from torchdoctor.sanitize import clean

UNICODE = {"ok": "✓", "warning": "!", "error": "✗", "skipped": "-", "info": "•", "crashed": "☠"}
ASCII = {"ok": "OK", "warning": "!", "error": "X", "skipped": "-", "info": "i", "crashed": "CRASH"}
STYLE = {"ok": "green", "warning": "yellow", "error": "bold red", "skipped": "dim", "info": "cyan",
         "crashed": "bold magenta"}


def can_show_unicode(stream: TextIO, environ: Mapping[str, str]) -> bool:
    encoding = getattr(stream, "encoding", None) or "ascii"
    try:
        "✓✗☠•—".encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    if os.name == "nt":
        return True
    locale = environ.get("LC_ALL") or environ.get("LC_CTYPE") or environ.get("LANG") or ""
    return "utf" in locale.lower().replace("-", "")


def use_colour(stream: TextIO, environ: Mapping[str, str]) -> bool:
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError, OSError):
        tty = False
    return tty and "NO_COLOR" not in environ and environ.get("TERM") != "dumb"


def lines(facts: Any, findings: Sequence[Any], verbose: bool = False, unicode: bool = True,
          origin_note: str | None = None) -> list[tuple[str, str | None]]:
    """The report as (text, style) lines; style None = plain."""
    g = UNICODE if unicode else ASCII
    dash = "—" if unicode else "-"
    out: list[tuple[str, str | None]] = []
    if origin_note:
        out.append((origin_note, "bold"))
    notes = report_notes(facts)
    out.extend((f"  Note: {n}", "yellow") for n in notes)
    if origin_note or notes:
        out.append(("", None))
    for a in area_lines(facts, findings):
        out.append((f"[{g[a.status]}] {a.headline}", STYLE[a.status]))
        for f in a.findings:
            if f.severity in ("error", "warning", "crashed", "info"):
                out.append((f"    {g[f.severity]} {f.id}: {_first_line(f.message)}", STYLE[f.severity]))
            elif verbose:
                why = f" ({f.message})" if f.message else ""
                out.append((f"    {g[f.severity]} {f.id} {dash} {f.title}{why}", "dim"))
    problems = [f for f in findings if f.severity in ("error", "warning", "crashed", "info")]
    if problems:
        out.append(("", None))
    for f in problems:
        out.append((f"{g[f.severity]} {f.id} ({f.severity})", STYLE[f.severity]))
        for text in f.message.splitlines() or [""]:
            out.append((f"    {text}", None))
        if f.fix is not None:
            out.append((f"    Fix: {f.fix.summary}", "bold"))
            for cmd in f.fix.commands:
                out.append((f"      $ {cmd}", "cyan"))
        if verbose and f.detail:
            for text in f.detail.rstrip().splitlines():
                out.append((f"    | {text}", "dim"))
        out.append(("", None))
    if verbose:
        out.append(("Facts:", "bold"))
        out.extend((f"    {line}", None) for line in fact_lines(facts))
        out.extend(_message_lines(facts))
        if facts.probes:  # a recorded report has no probe timings
            out.append(("Probes:", "bold"))
        for note in facts.probes:
            mark = g["ok"] if note.ok else g["warning"]
            detail = f" {dash} {note.detail}" if note.detail else ""
            out.append((f"    {mark} {note.name}: {note.seconds:.2f} s{detail}", None))
        out.append(("", None))
    if out and out[-1][0]:
        out.append(("", None))
    out.append((summary(findings), "bold"))
    # Reports, interpreter answers and probe output are someone else's text: no escape sequence,
    # UUID or home path reaches the screen (rich markup is never parsed: lines become Text).
    return [(clean(text), style) for text, style in out]


def _message_lines(facts: Any) -> list[tuple[str, str | None]]:
    """-v: what the message catalogue made of the texts, and the error lines it does not know."""
    from torchdoctor.messages import classify_all, texts_of, unclassified_of

    known = classify_all(texts_of(facts))
    unknown = unclassified_of(facts)
    out: list[tuple[str, str | None]] = []
    if known:
        out.append(("Messages:", "bold"))
        out.extend((f"    {m.row} ({m.kind}): {m.text[:100]}", None) for m in known[:30])
    if unknown:
        out.append(("Unclassified messages:", "bold"))
        out.extend((f"    {t[:160]}", "dim") for t in unknown)
    return out


def summary(findings: Sequence[Any]) -> str:
    count = {s: sum(1 for f in findings if f.severity == s) for s in ("error", "warning", "crashed", "skipped")}
    parts = []
    for sev, word in (("error", "error"), ("warning", "warning"), ("crashed", "crashed check")):
        n = count[sev]
        if n:
            parts.append(f"{n} {word}{'s' if n != 1 else ''}")
    head = ("Found " + ", ".join(parts) + ".") if parts else "No issues found."
    if count["skipped"]:
        head += f" {count['skipped']} check{'s' if count['skipped'] != 1 else ''} skipped (-v shows why)."
    return head


def _first_line(text: str, width: int = 110) -> str:
    line = (text.splitlines() or [""])[0]
    return line if len(line) <= width else line[: width - 3] + "..."


def render(facts: Any, findings: Sequence[Any], stream: TextIO, environ: Mapping[str, str], verbose: bool = False,
           origin_note: str | None = None) -> None:
    report = lines(facts, findings, verbose, can_show_unicode(stream, environ), origin_note)
    if not use_colour(stream, environ):
        write_safely(stream, "\n".join(text for text, _ in report) + "\n")
        return
    from rich.console import Console
    from rich.text import Text

    console = Console(file=stream, highlight=False, soft_wrap=True, emoji=False)
    for text, style in report:
        console.print(Text(text, style=style or ""))
