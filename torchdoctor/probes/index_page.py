"""Look at a package index page (bounded, cached): is the planned wheel there, in which layout, and do
its links lead back upstream?

Layouts: a PEP 503 project page (`<index>/torch/`), a flat listing of a variant's wheels (`<dir>/`, as
Aliyun serves them, `+` written `&#43;`), or a `torch_stable.html`-style page of links. A page that does
not answer within the deadline, or answers garbage, makes the result "unverified", never an error.
Pages are cached for a day under ~/.cache/torchdoctor/index/ (XDG_CACHE_HOME respected); a failed
fetch is not cached.
"""

from __future__ import annotations

import hashlib
import html
import os
import re
import time
import urllib.parse
from dataclasses import dataclass, field

FOUND, MISSING, UNVERIFIED = "found", "missing", "unverified"
TTL_SECONDS = 24 * 3600
MAX_PAGE = 8 * 1024 * 1024  # a real torch page is ~1 MB
_HREF = re.compile(r"""<a\s[^>]*?href\s*=\s*["']([^"']+)["']""", re.I)
_WHEEL = re.compile(r"(?:^|/)(torch-(\d+(?:\.\d+)*(?:[a-z]+\d+)?)(?:\+([A-Za-z0-9.]+))?-([^-]+)-([^-]+)-([^/]+)\.whl)$")


@dataclass(frozen=True)
class Page:
    url: str
    links: tuple[str, ...]  # absolute URLs (entities and %2B decoded in the file name)
    status: int  # HTTP status; 0: no answer
    error: str = ""
    cached: bool = False


@dataclass(frozen=True)
class WheelProbe:
    status: str  # found | missing | unverified
    layout: str | None = None  # "index" | "find-links" | None
    url: str | None = None  # the page that was read
    wheel: str | None = None  # the file that matched
    upstream: bool = False  # the matching links lead to download.pytorch.org / download-r2
    versions: tuple[str, ...] = ()  # torch versions the page lists (public parts)
    reason: str = ""
    seconds: float = 0.0
    pages: tuple[str, ...] = field(default_factory=tuple)


def _cache_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "torchdoctor", "index")


def fetch(url: str, timeout: float = 3.0, cache: bool = True) -> Page:
    """GET a page within `timeout` seconds (connect and each read); never raises."""
    import urllib.error
    import urllib.request

    key = hashlib.sha256(url.encode()).hexdigest()[:32]
    path = os.path.join(_cache_dir(), key + ".html")
    if cache:
        try:
            if time.time() - os.path.getmtime(path) < TTL_SECONDS:
                with open(path, encoding="utf-8", errors="replace") as fh:
                    text = fh.read()
                return Page(url, _links(url, text), 200, cached=True)
        except OSError:
            pass
    request = urllib.request.Request(url, headers={"Accept": "text/html", "User-Agent": "torchdoctor"})
    deadline = time.monotonic() + timeout
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:  # noqa: S310 - http(s)/file URLs of indexes
            chunks, size = [], 0
            while size < MAX_PAGE and time.monotonic() < deadline:
                chunk = resp.read(1 << 16)
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
            if time.monotonic() >= deadline:
                return Page(url, (), 0, f"no complete answer within {timeout:g} s")
            final = resp.geturl() or url
            text = b"".join(chunks).decode("utf-8", errors="replace")
            status = getattr(resp, "status", 200) or 200
    except urllib.error.HTTPError as exc:
        return Page(url, (), exc.code, f"HTTP {exc.code}")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return Page(url, (), 0, f"{type(exc).__name__}: {reason}"[:200])
    if cache and status == 200:
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(text)
        except OSError:
            pass
    return Page(final, _links(final, text), status)


def _links(base: str, text: str) -> tuple[str, ...]:
    out = []
    for href in _HREF.findall(text):
        href = html.unescape(href).split("#", 1)[0]
        out.append(urllib.parse.urljoin(base if base.endswith("/") or base.endswith(".html") else base + "/", href))
    return tuple(out)


def wheel_name(url: str) -> str | None:
    m = _WHEEL.search(urllib.parse.unquote(url))
    return m.group(1) if m else None


def _matches(link: str, torch: str, variant: str | None, py_tag: str, arch_words: tuple[str, ...]) -> bool:
    m = _WHEEL.search(urllib.parse.unquote(link))
    if not m:
        return False
    version, local, python, _abi, platform = m.group(2), m.group(3), m.group(4), m.group(5), m.group(6)
    if version != torch or (variant is not None and local not in (None, variant)):
        return False
    if python not in (py_tag, "py3"):  # py3-none-any: a pure wheel fits every interpreter
        return False
    return platform == "any" or any(w in platform for w in arch_words)


def _versions(links: tuple[str, ...]) -> tuple[str, ...]:
    found = set()
    for link in links:
        m = _WHEEL.search(urllib.parse.unquote(link))
        if m:
            found.add(m.group(2))
    return tuple(sorted(found, key=lambda v: tuple(int(x) for x in re.findall(r"\d+", v))))


def _upstream(page_url: str, link: str, upstream_hosts: tuple[str, ...]) -> bool:
    host = (urllib.parse.urlsplit(link).hostname or "").lower()
    own = (urllib.parse.urlsplit(page_url).hostname or "").lower()
    return host != own and host in upstream_hosts


def probe_wheel(index_url: str | None, find_links: str | None, torch: str, variant: str | None, py_tag: str,
                arch_words: tuple[str, ...], upstream_hosts: tuple[str, ...] = (), timeout: float = 3.0,
                cache: bool = True) -> WheelProbe:
    """Is torch==`torch` (+`variant`) for `py_tag` (cp312) and a platform with one of `arch_words` on the
    plan's page? An index URL is read as PEP 503 (`<index>/torch/`), then as a flat listing (`<index>/`)."""
    started = time.monotonic()
    tries: list[tuple[str, str]] = []
    if find_links:
        tries.append(("find-links", find_links))
    elif index_url:
        tries += [("index", index_url.rstrip("/") + "/torch/"), ("find-links", index_url.rstrip("/") + "/")]
    else:
        return WheelProbe(UNVERIFIED, reason="no page to read (a plain PyPI install)")
    read: list[str] = []
    reasons: list[str] = []
    for layout, url in tries:
        left = timeout - (time.monotonic() - started)
        if left <= 0.05:
            reasons.append(f"{url}: no time left")
            break
        page = fetch(url, left, cache)
        read.append(url)
        if page.status != 200:
            reasons.append(f"{url}: {page.error or page.status}")
            if page.status == 0:
                break  # no answer: the next page on the same host will not answer either
            continue
        wheels = [link for link in page.links if wheel_name(link)]
        if not wheels:
            reasons.append(f"{url}: lists no torch wheel")
            continue
        hit = next((link for link in wheels if _matches(link, torch, variant, py_tag, arch_words)), None)
        took = round(time.monotonic() - started, 3)
        versions = _versions(tuple(wheels))
        if hit is None:
            return WheelProbe(MISSING, layout, url, None, False, versions,
                              f"{url} lists torch {', '.join(versions[-5:])} but no torch {torch}"
                              f"{'+' + variant if variant else ''} wheel for {py_tag}", took, tuple(read))
        return WheelProbe(FOUND, layout, url, wheel_name(hit), _upstream(page.url, hit, upstream_hosts), versions,
                          "", took, tuple(read))
    return WheelProbe(UNVERIFIED, None, None, reason="; ".join(reasons) or "no answer",
                      seconds=round(time.monotonic() - started, 3), pages=tuple(read))
