"""The one gate for untrusted text on its way to a terminal or to markdown: escaping.

Reports, interpreter answers, probe output and file names are someone else's text. Here
control characters and escape sequences (ESC, CSI, OSC, DCS, C1 controls, bidi overrides)
become visible escapes (`\\x1b`), so nothing can retitle a window, clear the screen, write
the clipboard (OSC 52) or hide a hyperlink (OSC 8); newlines and tabs stay. `clean` also
passes the text through torchdoctor.privacy (ids masked, home as `~`), so nothing printed
skips it.

JSON keeps the data faithful (json.dumps escapes control characters itself) but strict:
`strict_json` turns non-finite numbers into null.
"""

from __future__ import annotations

import math
import re
from typing import Any, Iterable

from torchdoctor.privacy import home_to_tilde, mask_ids

# C0 controls except \t and \n, DEL, and the C1 range (0x9b is a one-byte CSI on some terminals).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Characters that reorder or hide text on screen (Trojan Source) or are invisible.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")

def _visible(match: re.Match[str]) -> str:
    ch = match.group(0)
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_controls(text: str) -> str:
    """Control characters and invisible/bidi characters as visible escapes; \\n and \\t stay.
    A lone \\r (which can overwrite a line) is shown too; a CRLF line end becomes \\n."""
    text = text.replace("\r\n", "\n")
    return _INVISIBLE.sub(_visible, _CONTROL.sub(_visible, text))


def clean(text: Any, hostnames: Iterable[str] = ()) -> str:
    """Untrusted text, made safe to print on a terminal: escapes visible, private data masked."""
    if text is None:
        return ""
    return escape_controls(home_to_tilde(mask_ids(str(text), hostnames)))


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~])")


def clean_markdown(text: Any, hostnames: Iterable[str] = ()) -> str:
    """Untrusted text for markdown prose: also no markup (no links, images, HTML or mentions)."""
    out = _MD_SPECIAL.sub(r"\\\1", clean(text, hostnames))
    return out.replace("@", "@\u200b") if "@" in out else out


def code_span(text: Any) -> str:
    """Untrusted text as one inline markdown code span, whatever backticks it holds."""
    body = clean(text).replace("\n", " ")
    longest = max((len(m) for m in re.findall(r"`+", body)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if body.startswith("`") or body.endswith("`") or not body.strip() else ""
    return f"{fence}{pad}{body}{pad}{fence}"


def code_fence(text: Any, info: str = "") -> str:
    """Untrusted text as a fenced markdown block that its own backticks cannot close."""
    body = clean(text)
    longest = max((len(m) for m in re.findall(r"`{3,}", body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{body}\n{fence}"


def clean_tree(value: Any) -> Any:
    """A report (dicts, lists, strings) with every string through `clean`, for a human renderer."""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, dict):
        return {k: clean_tree(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean_tree(v) for v in value]
    return value


def strict_json(value: Any) -> Any:
    """A copy that json.dumps(allow_nan=False) accepts: NaN and infinities become None."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): strict_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [strict_json(v) for v in value]
    return value
