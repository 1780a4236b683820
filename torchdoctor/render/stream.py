"""Writing a rendered text to a stream, whatever the stream's encoding (LANG=C pipes)."""

from __future__ import annotations

from typing import TextIO


def write_safely(stream: TextIO, text: str) -> None:
    """Write, replacing what the stream's encoding cannot show (LANG=C pipes), never raising for it."""
    try:
        stream.write(text)
    except UnicodeEncodeError:
        encoding = getattr(stream, "encoding", None) or "ascii"
        stream.write(text.encode(encoding, errors="replace").decode(encoding, errors="replace"))
    stream.flush()
