"""Mirror knowledge (mirrors.json): where PyTorch wheels can be downloaded, in which layout, and the
names and URLs that circulate but serve no PyTorch wheels (TUNA).

Read on first use: only `--mirror`, the install probe and the pip/uv configuration check need it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from urllib.parse import urlsplit

from torchdoctor.knowledge import _read_cached

INDEX, FIND_LINKS = "index", "find-links"


@dataclass(frozen=True)
class Mirror:
    name: str
    layout: str  # "index" (PEP 503 tree: --index-url) | "find-links" (flat listing: -f + exact pins)
    url: str  # template with {variant}
    carries: str
    checked: str
    live_checked: bool
    source: tuple[str, ...]
    aliases: tuple[str, ...] = ()
    pypi: str | None = None  # the PyPI mirror for the dependencies (find-links layout)
    pin_local: bool = False  # pin torch==X+variant (the listing mixes variants, or -f is used)
    caution: str = ""
    note: str = ""

    def variant_url(self, variant: str) -> str:
        return self.url.replace("{variant}", variant)

    @property
    def base(self) -> str:
        """The URL without its variant part: what --index-base would have been."""
        return self.url.split("{variant}", 1)[0].rstrip("/")


@dataclass(frozen=True)
class WrongMirror:
    name: str
    urls: tuple[str, ...]
    why: str
    instead: str
    source: tuple[str, ...]
    aliases: tuple[str, ...] = ()
    pypi: str | None = None


@functools.lru_cache(maxsize=1)
def _table() -> tuple[tuple[Mirror, ...], tuple[WrongMirror, ...], tuple[str, ...], tuple[str, ...]]:
    data = _read_cached("mirrors.json")
    mirrors = tuple(Mirror(name=r["name"], layout=r["layout"], url=r["url"], carries=r["carries"],
                           checked=r["checked"], live_checked=bool(r["live_checked"]), source=tuple(r["source"]),
                           aliases=tuple(r.get("aliases", ())), pypi=r.get("pypi"),
                           pin_local=bool(r.get("pin_local")), caution=r.get("caution", ""), note=r.get("note", ""))
                    for r in data["mirrors"])
    wrong = tuple(WrongMirror(name=r["name"], urls=tuple(r["urls"]), why=r["why"], instead=r["instead"],
                              source=tuple(r["source"]), aliases=tuple(r.get("aliases", ())), pypi=r.get("pypi"))
                  for r in data["wrong"])
    return mirrors, wrong, tuple(data["pypi_mirrors"]["hosts"]), tuple(data["upstream_hosts"]["hosts"])


def mirrors() -> tuple[Mirror, ...]:
    return _table()[0]


def names() -> tuple[str, ...]:
    return tuple(m.name for m in mirrors())


def find(name: str) -> Mirror | WrongMirror | None:
    """A mirror (or a known-wrong one) by name or alias, case-insensitively."""
    key = name.strip().lower()
    ms, wrong, _, _ = _table()
    for row in (*ms, *wrong):
        if key == row.name or key in row.aliases:
            return row
    return None


def by_name(name: str) -> Mirror:
    found = find(name)
    if not isinstance(found, Mirror):
        raise KeyError(name)
    return found


def _host_path(url: str) -> str:
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    return (host + parts.path).rstrip("/").lower()


def wrong_url(url: str) -> WrongMirror | None:
    """The known-wrong mirror a URL is under (TUNA's /pytorch-wheels, SJTU's /pytorch-wheels/whl), or None."""
    where = _host_path(url)
    for row in _table()[1]:
        for bad in row.urls:
            prefix = _host_path(bad)
            if where == prefix or where.startswith(prefix + "/"):
                return row
    return None


def is_pypi_mirror(url: str) -> bool:
    """An index that holds PyPI's torch (pypi.org, TUNA, Aliyun's /pypi), not PyTorch's variants."""
    where = _host_path(url)
    for host in _table()[2]:
        if where == host or where.startswith(host + "/"):
            return True
    return False


def mirror_of_url(url: str) -> Mirror | None:
    """The known mirror whose template a URL is an instance of (.../whl/cu126 -> official)."""
    where = _host_path(url)
    for m in mirrors():
        base = _host_path(m.base)
        if where == base or where.startswith(base + "/"):
            return m
    return None


def upstream_hosts() -> tuple[str, ...]:
    return _table()[3]
