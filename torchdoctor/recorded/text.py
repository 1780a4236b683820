"""Turn whatever people paste into plain lines: decoding, caps, Markdown and Unicode noise.

Reports arrive as files saved by PowerShell (UTF-16), copied from GitHub issues
(code fences, "> " quotes, headings), from Chinese or Japanese keyboards
(full-width colons and spaces), from email replies (CRLF, wrapped lines). The
parser should see one shape: NFKC-normalised text, LF line endings, no fences or
quote markers, and no line or file longer than we are willing to scan.
"""

from __future__ import annotations

import re
import unicodedata

MAX_REPORT_BYTES = 2 * 1024 * 1024  # a collect_env report is ~10 KB; a whole issue page ~200 KB
MAX_LINE_CHARS = 4000  # lscpu's flags line is ~1.5 KB; anything longer is not report text

_FENCE = re.compile(r"^\s*(```|~~~)")
_QUOTE = re.compile(r"^\s{0,3}(?:>(?!>>)\s?)+")  # "> " quotes, but not a ">>> " REPL prompt


def decode(data: bytes) -> str:
    """Bytes to text without ever raising: BOMs first, then UTF-16 without BOM, then UTF-8."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # PowerShell 5's `> file.txt`
        return data.decode("utf-16", errors="replace")
    sample = data[:4000]
    if len(sample) >= 8 and sample.count(b"\x00") > len(sample) // 3:
        # UTF-16 without a BOM: every other byte of ASCII text is NUL.
        odd_nuls = sample[1::2].count(0)
        return data.decode("utf-16-le" if odd_nuls > len(sample) // 4 else "utf-16-be", errors="replace")
    return data.decode("utf-8", errors="replace")


def is_binary(text: str) -> bool:
    """Control characters everywhere: an image, an archive, a core dump, not a pasted report."""
    sample = text[:8000]
    if not sample:
        return False
    bad = sum(1 for ch in sample if (ord(ch) < 32 and ch not in "\t\n\r\f") or ch == "\ufffd")
    return bad > max(8, len(sample) // 20)


def clean_lines(text: str) -> list[str]:
    """NFKC, LF endings, no code fences, no Markdown quote markers, capped line length.

    One output line per input line (a fence becomes an empty line), so a line number
    found here is the paste's line number."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # NFKC folds full-width "：" to ":" and U+3000 to a space, and NBSP to a space.
    text = unicodedata.normalize("NFKC", text)
    out = []
    for line in text.split("\n"):
        line = line[:MAX_LINE_CHARS]
        if ">" in line[:12]:  # quote markers first: "> ```" is a fence inside a quote
            line = _QUOTE.sub("", line)
        head = line[:12]
        if ("`" in head or "~" in head) and _FENCE.match(line):
            out.append("")
            continue
        out.append(line.rstrip())
    return out
