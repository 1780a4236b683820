"""A report's (text, style) lines as rich Text (`__rich__`) and as HTML (`_repr_html_`, notebooks).

Every line goes through sanitize.clean first; the HTML escapes what clean left (html.escape),
so a patient's text can neither inject markup into a notebook nor escape codes into a terminal.
Styles are the rich style names the human renderers use ("bold red", "dim", ...).
"""

from __future__ import annotations

import html
from typing import Any, Iterable, Optional, Tuple

from torchdoctor.sanitize import clean

Line = Tuple[str, Optional[str]]

_COLOURS = {"red": "#c62828", "green": "#2e7d32", "yellow": "#b26a00", "cyan": "#00838f",
            "magenta": "#8e24aa", "blue": "#1565c0"}


def plain(lines: Iterable[Line]) -> str:
    return "\n".join(clean(text) for text, _ in lines) + "\n"


def as_rich(lines: Iterable[Line]) -> Any:
    from rich.text import Text

    out = Text()
    for text, style in lines:
        out.append(clean(text) + "\n", style=style or "")
    out.rstrip()
    return out


def as_html(lines: Iterable[Line], title: str) -> str:
    rows = []
    for text, style in lines:
        body = html.escape(clean(text))
        css = _css(style)
        rows.append(f'<span style="{css}">{body}</span>' if css and body else body)
    return (f'<div class="torchdoctor-report"><div style="font-weight:bold">{html.escape(title)}</div>'
            '<pre style="white-space:pre-wrap;line-height:1.35">' + "\n".join(rows) + "</pre></div>")


def _css(style: str | None) -> str:
    parts = []
    for word in (style or "").split():
        if word == "bold":
            parts.append("font-weight:bold")
        elif word == "dim":
            parts.append("opacity:0.65")
        elif word in _COLOURS:
            parts.append(f"color:{_COLOURS[word]}")
    return ";".join(parts)
