"""One paste as every reader sees it: built once, then only read.

A 100 KB issue body has ~3000 lines and ten readers look through all of it. Finding the few
lines worth a regex is a `str.find` over the lower-cased text (memchr speed), so that text and
where each line starts in it are computed here, once, instead of by each reader.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from itertools import accumulate
from types import MappingProxyType
from typing import Mapping


@dataclass(frozen=True)
class Paste:
    lines: tuple[str, ...]  # clean_lines(): line i is the paste's line i + 1
    lower: str  # "\n".join(lines).lower()
    starts: tuple[int, ...]  # where each line starts in `lower`
    # reader -> indices of the lines that are its own: other readers skip them (collect_env's fields)
    claims: Mapping[str, frozenset[int]] = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def of(cls, lines: list[str] | tuple[str, ...], claims: Mapping[str, frozenset[int]] | None = None) -> "Paste":
        lines = tuple(lines)
        starts = tuple(accumulate(map(len, lines[:-1]), lambda at, n: at + n + 1, initial=0))
        return cls(lines, "\n".join(lines).lower(), starts, MappingProxyType(dict(claims or {})))

    def claimed(self, reader: str) -> frozenset[int]:
        return self.claims.get(reader, frozenset())

    def line_of(self, offset: int) -> int:
        """The index of the line holding `offset` of `lower`."""
        return bisect.bisect_right(self.starts, offset) - 1

    def candidates(self, words: tuple[str, ...]) -> list[int]:
        """Indices of the lines holding any of `words` (lower case), in order: the readers' regexes
        then run on these few lines, not on every line."""
        text, starts = self.lower, self.starts
        hits: set[int] = set()
        for word in words:
            at = text.find(word)
            while at >= 0:
                line = self.line_of(at)
                hits.add(line)
                nxt = starts[line + 1] if line + 1 < len(starts) else len(text)
                at = text.find(word, nxt)  # the rest of that line is found already
        return sorted(hits)
