"""A real package index on 127.0.0.1 for install tests, and the wheels it serves.

`LocalIndex` serves PEP 503 pages (`/whl/<variant>/<project>/`) over a folder of wheel
files, from a thread of this test process. `stand_in_wheel` builds a small real wheel
whose `torch` package says which build it is; `repack_installed` turns a distribution
installed in this interpreter back into a wheel (from its RECORD), so the real torch
wheel's dependencies can be served without the network.
"""

from __future__ import annotations

import base64
import hashlib
import http.server
import importlib.metadata
import os
import re
import socket
import subprocess
import threading
import urllib.parse
import venv
import zipfile
from pathlib import Path


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


class LocalIndex:
    """`with LocalIndex(root) as idx:` serves root/<variant>/*.whl at idx.base + '/<variant>/<project>/'."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.requests: list[str] = []
        index = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            head = False

            def do_HEAD(self):  # noqa: N802 - uv asks for a file's size first
                self.head = True
                self.do_GET()

            def do_GET(self):  # noqa: N802 - http.server's name
                index.requests.append(self.path)
                parts = [urllib.parse.unquote(p) for p in self.path.split("?")[0].split("/") if p]
                if len(parts) == 3 and parts[0] == "whl":
                    return self._page(parts[1], parts[2])
                if len(parts) == 4 and parts[0] == "whl":
                    return self._file(index.root / parts[1] / parts[3])
                self.send_error(404)

            def _page(self, variant: str, project: str):
                folder = index.root / variant
                files = sorted(p for p in folder.glob("*.whl")
                               if normalise(p.name.split("-")[0]) == normalise(project)) if folder.is_dir() else []
                if not files:
                    return self.send_error(404)
                links = "".join(f'<a href="{f.name}#sha256={_sha256(f)}">{f.name}</a>\n' for f in files)
                body = f"<!DOCTYPE html><html><body>\n{links}</body></html>".encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if not self.head:
                    self.wfile.write(body)

            def _file(self, path: Path):
                if not path.is_file():
                    return self.send_error(404)
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(path.stat().st_size))
                self.end_headers()
                if self.head:
                    return
                with open(path, "rb") as fh:
                    while chunk := fh.read(1 << 20):
                        self.wfile.write(chunk)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}/whl"

    def __enter__(self) -> "LocalIndex":
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def closed_port_base() -> str:
    """An index URL nobody answers: a loopback port we bound and closed."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/whl"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def write_wheel(folder: Path, name: str, version: str, files: dict[str, str], requires: tuple[str, ...] = ()) -> Path:
    """A minimal valid pure-Python wheel."""
    folder.mkdir(parents=True, exist_ok=True)
    dist = f"{name.replace('-', '_')}-{version}.dist-info"
    meta = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n" + "".join(
        f"Requires-Dist: {r}\n" for r in requires)
    entries = dict(files)
    entries[f"{dist}/METADATA"] = meta
    entries[f"{dist}/WHEEL"] = "Wheel-Version: 1.0\nGenerator: torchdoctor-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    record = "".join(f"{p},{_record_hash(c.encode())},{len(c.encode())}\n" for p, c in entries.items())
    entries[f"{dist}/RECORD"] = record + f"{dist}/RECORD,,\n"
    path = folder / f"{name.replace('-', '_')}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as zf:
        for p, c in entries.items():
            zf.writestr(p, c)
    return path


def stand_in_torch(folder: Path, version: str, cuda: str | None = None) -> Path:
    """A small wheel named torch whose package says which build it is (it cannot train)."""
    init = (f"__version__ = {version!r}\n"
            f"class version:\n    cuda = {cuda!r}\n    hip = None\n")
    return write_wheel(folder, "torch", version, {"torch/__init__.py": init})


def repack_installed(dist_name: str, folder: Path) -> Path:
    """A distribution installed here, zipped back into a wheel from its RECORD (its tag from WHEEL)."""
    dist = importlib.metadata.distribution(dist_name)
    base = Path(str(dist.locate_file("")))
    files = [f for f in (dist.files or ()) if not str(f).endswith(".pyc") and "__pycache__" not in str(f)]
    wheel_text = dist.read_text("WHEEL") or "Tag: py3-none-any\n"
    tag = next((ln.split(":", 1)[1].strip() for ln in wheel_text.splitlines() if ln.startswith("Tag:")), "py3-none-any")
    name, version = dist.metadata["Name"].replace("-", "_"), dist.version
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}-{version}-{tag}.whl"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for f in files:
            src = base / f
            if src.is_file() and not str(f).startswith(".."):
                zf.write(src, str(f))
    return path


def make_env(path: Path, with_pip: bool = True) -> Path:
    """A real venv (with pip unless told otherwise); its interpreter."""
    venv.EnvBuilder(with_pip=with_pip, clear=True).create(path)
    return path / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def user_pip_env(**extra: str) -> dict[str, str]:
    """The environment of a user's machine: no local pip settings, nothing but the index we serve."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_", "VIRTUAL_ENV", "CONDA_"))}
    env["PIP_CONFIG_FILE"] = os.devnull
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PIP_NO_CACHE_DIR"] = "1"
    env["PIP_RETRIES"] = "0"
    env["PIP_TIMEOUT"] = "5"
    env.update(extra)
    return env


def pip_install(python: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([str(python), "-m", "pip", "install", "-q", *args], env=env, capture_output=True,
                          text=True, timeout=600)
