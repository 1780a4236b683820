"""Static mirrors on 127.0.0.1 in the layouts real mirrors have, holding tiny valid wheels.

    pep503    <prefix>/<variant>/<project>/index.html, links relative ('%2B' in names): NJU, SJTU, official
    flat      <prefix>/<variant>/index.html, every wheel of the variant in one listing, '+' written as
              '&#43;' (no <project>/ level): Aliyun
    stable    <prefix>/torch_stable.html, links '<variant>/torch-...%2B...whl': the old -f page (SJTU)
    upstream  a PEP 503 page whose links are absolute https://download-r2.pytorch.org/ URLs (a mirror
              that rewrote only relative links)
    pypi      pypi/simple/<project>/index.html: a PyPI mirror for the dependencies

`MirrorServer(root)` serves the folder with http.server (a thread of the test process); `.url` is its base.
"""

from __future__ import annotations

import functools
import html
import http.server
import threading
import urllib.parse
from pathlib import Path

from helpers.local_index import normalise, write_wheel

UPSTREAM = "https://download-r2.pytorch.org/whl"


class MirrorServer:
    def __init__(self, root: Path):
        self.root = Path(root)
        self.requests: list[str] = []
        seen = self.requests

        class Handler(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def send_head(self):
                seen.append(self.path)
                return super().send_head()

        self.server = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), functools.partial(Handler, directory=str(self.root)))
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> "MirrorServer":
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def _page(links: list[tuple[str, str]]) -> str:
    body = "".join(f'<a href="{href}">{html.escape(text)}</a><br/>\n' for href, text in links)
    return f"<!DOCTYPE html>\n<html><body>\n{body}</body></html>\n"


def add_wheels(root: Path, layout: str, prefix: str, variant: str,
               wheels: list[tuple[str, str, tuple[str, ...]]]) -> list[Path]:
    """Write (name, version, requires) wheels under root/prefix in `layout`; the pages list them."""
    base = root / prefix.strip("/")
    made: list[Path] = []
    if layout in ("pep503", "upstream"):
        for name, version, requires in wheels:
            folder = base / variant / normalise(name)
            path = write_wheel(folder, name, version, {f"{name.replace('-', '_')}/__init__.py": ""}, requires)
            made.append(path)
        for folder in {p.parent for p in made}:
            files = sorted(folder.glob("*.whl"))
            if layout == "upstream":
                links = [(f"{UPSTREAM}/{variant}/{urllib.parse.quote(f.name)}", f.name) for f in files]
            else:
                links = [(urllib.parse.quote(f.name), f.name) for f in files]
            (folder / "index.html").write_text(_page(links))
    elif layout == "flat":
        folder = base / variant
        for name, version, requires in wheels:
            made.append(write_wheel(folder, name, version, {f"{name.replace('-', '_')}/__init__.py": ""}, requires))
        files = sorted(folder.glob("*.whl"))
        # Aliyun's listing writes '+' as the HTML entity &#43;
        links = [(f.name.replace("+", "&#43;"), f.name) for f in files]
        (folder / "index.html").write_text(_page(links).replace("&amp;#43;", "&#43;"))
    elif layout == "stable":
        for name, version, requires in wheels:
            made.append(write_wheel(base / variant, name, version, {f"{name.replace('-', '_')}/__init__.py": ""},
                                    requires))
        files = sorted(base.glob("*/*.whl"))
        links = [(f"{f.parent.name}/{urllib.parse.quote(f.name)}", f"{f.parent.name}/{f.name}") for f in files]
        (base / "torch_stable.html").write_text(_page(links))
    elif layout == "pypi":
        for name, version, requires in wheels:
            folder = base / normalise(name)
            made.append(write_wheel(folder, name, version, {f"{name.replace('-', '_')}/__init__.py": ""}, requires))
            (folder / "index.html").write_text(_page([(urllib.parse.quote(f.name), f.name)
                                                      for f in sorted(folder.glob("*.whl"))]))
    else:
        raise ValueError(layout)
    return made
