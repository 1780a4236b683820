"""scripts/refresh_tables.py against recorded index pages (tests/fixtures/index_pages/) on 127.0.0.1:
its summary and diff are the golden file."""

from __future__ import annotations

import functools
import http.server
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = ROOT / "tests" / "fixtures" / "index_pages"
SCRIPT = ROOT / "scripts" / "refresh_tables.py"


@pytest.fixture()
def server():
    handler = functools.partial(type("Quiet", (http.server.SimpleHTTPRequestHandler,),
                                     {"log_message": lambda *a: None}), directory=str(PAGES))
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


def _run(base: str, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), "--pytorch-base", f"{base}/whl", "--pypi-base",
                           f"{base}/pypi/simple", "--releases", str(PAGES / "releases.json"), "--today", "2026-12-08",
                           "--timeout", "5", *extra], capture_output=True, text=True, timeout=60)


def test_the_diff_of_the_recorded_pages_is_the_golden_one(server):
    out = _run(server)
    assert out.returncode == 0, out.stderr
    text = out.stdout.replace(server, "http://INDEX")
    assert text == (PAGES / "golden.diff").read_text()


def test_what_the_golden_diff_says(server):
    text = _run(server).stdout
    assert "NEW SERIES 2.16" in text  # reported, never added: its architectures are unknown
    assert '"series": "2.16"' not in text
    assert "2.15 cu130: unconfirmed -> confirmed" in text  # listed = confirmed
    assert "2.15 cpu" not in text.split("--- a/")[0]  # listed for one platform of three: unchanged
    assert "cu134" in text.splitlines()[1] and '"name": "cu134"' not in text  # an index with old builds only
    assert "triton==3.7.0" in text  # the PEP 658 metadata was read
    assert '+ "as_of": "2026-12-08"' in text


def test_an_index_that_does_not_answer_exits_1():
    from helpers.local_index import closed_port_base

    base = closed_port_base().rsplit("/", 1)[0]
    out = _run(base)
    assert out.returncode == 1 and "not readable" in out.stdout
