"""The index probe (suggest --online, install) against local servers in each mirror's layout: found,
missing, a flat listing where an index was planned, absolute upstream links, no answer, a slow answer,
a newer torch than the tables know. No network."""

from __future__ import annotations

import http.server
import threading
import time

import pytest

from helpers.local_index import closed_port_base
from helpers.mirror_server import MirrorServer, add_wheels
from helpers.plan_machines import K, machine
from torchdoctor.operations.online import probe_plan
from torchdoctor.plan import PlanRequest, plan_install
from torchdoctor.probes import index_page
from torchdoctor.probes.index_page import probe_wheel

PLAT = "manylinux_2_28_x86_64"
FACTS = machine(py="3.12")  # CPU-only Linux: the plan reads <base>/cpu (a GPU plan here is PyPI's own build)


@pytest.fixture(autouse=True)
def _own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def _wheel(version: str, py="cp312"):
    return ("torch", version, ())


def _plan(base: str):
    return plan_install(FACTS, K, PlanRequest(torch="2.14.1", index_base=base)).plan


def _real_names(root, layout, prefix, variant, version, py="cp312"):
    """Wheels named as PyTorch names them (cp312-cp312-manylinux...), not py3-none-any."""
    made = add_wheels(root, layout, prefix, variant, [_wheel(version)])
    out = []
    for p in made:
        real = p.with_name(p.name.replace("py3-none-any", f"{py}-{py}-{PLAT}"))
        p.rename(real)
        out.append(real)
    for page in list(root.rglob("index.html")) + list(root.rglob("torch_stable.html")):
        page.write_text(page.read_text().replace("py3-none-any", f"{py}-{py}-{PLAT}"))
    return out


def test_found_on_a_pep503_index(tmp_path):
    _real_names(tmp_path, "pep503", "whl", "cu130", "2.14.1+cu130")
    with MirrorServer(tmp_path) as srv:
        p = probe_wheel(f"{srv.url}/whl/cu130", None, "2.14.1", "cu130", "cp312", ("x86_64",), ("download-r2.pytorch.org",))
    assert p.status == "found" and p.layout == "index" and p.wheel.startswith("torch-2.14.1+cu130-cp312")
    assert not p.upstream


def test_missing_says_what_the_page_has(tmp_path):
    _real_names(tmp_path, "pep503", "whl", "cu130", "2.13.0+cu130")
    with MirrorServer(tmp_path) as srv:
        p = probe_wheel(f"{srv.url}/whl/cu130", None, "2.14.1", "cu130", "cp312", ("x86_64",))
    assert p.status == "missing" and "2.13.0" in p.reason and "cp312" in p.reason


def test_a_flat_listing_with_entity_plus_is_found_as_find_links_and_the_plan_switches(tmp_path):
    _real_names(tmp_path, "flat", "pytorch-wheels", "cpu", "2.14.1+cpu")
    assert "&#43;" in (tmp_path / "pytorch-wheels" / "cpu" / "index.html").read_text()
    with MirrorServer(tmp_path) as srv:
        plan = _plan(f"{srv.url}/pytorch-wheels")
        assert plan.index_url == f"{srv.url}/pytorch-wheels/{plan.variant}" and plan.variant == "cpu"
        new, found, probe = probe_plan(plan, FACTS, K)
    assert probe.status == "found" and probe.layout == "find-links"
    assert [f.id for f in found] == ["mirror.layout_switched"]
    assert new.find_links == f"{srv.url}/pytorch-wheels/cpu/" and new.packages[0].endswith("+cpu")
    assert "-f" in new.argv and "--index-url" not in new.argv


def test_absolute_upstream_links_are_a_leak(tmp_path):
    _real_names(tmp_path, "upstream", "pytorch/whl", "cpu", "2.14.1+cpu")
    with MirrorServer(tmp_path) as srv:
        plan = _plan(f"{srv.url}/pytorch/whl")
        _, found, probe = probe_plan(plan, FACTS, K)
    assert probe.status == "found" and probe.upstream
    assert "mirror.leaks_upstream" in [f.id for f in found]


def test_the_stable_page_layout_is_read_as_links(tmp_path):
    _real_names(tmp_path, "stable", "pytorch-wheels", "cu126", "2.9.1+cu126")
    with MirrorServer(tmp_path) as srv:
        p = probe_wheel(None, f"{srv.url}/pytorch-wheels/torch_stable.html", "2.9.1", "cu126", "cp312", ("x86_64",))
    assert p.status == "found"


def test_no_answer_is_unverified_not_an_error():
    plan = _plan(closed_port_base())
    _, found, probe = probe_plan(plan, FACTS, K)
    assert probe.status == "unverified" and [f.id for f in found] == ["index.unverified"]
    assert found[0].severity == "info"


def test_a_slow_server_is_cut_off_at_the_deadline(tmp_path):
    class Slow(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_GET(self):  # noqa: N802
            time.sleep(3)
            self.send_response(200)
            self.end_headers()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        started = time.monotonic()
        p = probe_wheel(f"http://127.0.0.1:{server.server_address[1]}/whl/cu130", None, "2.14.1", "cu130",
                        "cp312", ("x86_64",), timeout=0.5)
        took = time.monotonic() - started
    finally:
        server.shutdown()
        server.server_close()
    assert p.status == "unverified" and took < 2.0


def test_a_newer_torch_on_the_page_is_information_never_planned(tmp_path):
    _real_names(tmp_path, "pep503", "whl", "cpu", "2.14.1+cpu")
    _real_names(tmp_path, "pep503", "whl", "cpu", "2.99.0+cpu")
    with MirrorServer(tmp_path) as srv:
        plan = _plan(f"{srv.url}/whl")
        new, found, probe = probe_plan(plan, FACTS, K)
    newer = [f for f in found if f.id == "index.newer_release"]
    assert newer and newer[0].severity == "info" and "2.99.0" in newer[0].message
    assert new.torch == plan.torch  # still the known release


def test_pages_are_cached_for_a_day(tmp_path):
    _real_names(tmp_path, "pep503", "whl", "cu130", "2.14.1+cu130")
    with MirrorServer(tmp_path) as srv:
        probe_wheel(f"{srv.url}/whl/cu130", None, "2.14.1", "cu130", "cp312", ("x86_64",))
        before = len(srv.requests)
        again = probe_wheel(f"{srv.url}/whl/cu130", None, "2.14.1", "cu130", "cp312", ("x86_64",))
    assert again.status == "found" and len(srv.requests) == before
    assert index_page.TTL_SECONDS == 24 * 3600


def test_suggest_online_timing_against_a_local_server(tmp_path, capsys):
    """The time --online adds against a local server (reported in the closing note)."""
    from torchdoctor.operations.suggest import suggest_report
    from torchdoctor.requests.suggest import SuggestRequest

    _real_names(tmp_path, "pep503", "whl", "cpu", "2.14.1+cpu")
    with MirrorServer(tmp_path) as srv:
        req = SuggestRequest.build(torch="2.14.1", index_base=f"{srv.url}/whl", online=True, os_="linux",
                                   python_version="3.12")
        started = time.perf_counter()
        report = suggest_report(req, facts=FACTS)
        took = time.perf_counter() - started
    assert report.exit_code == 0 and report.notes == ()
    assert any(h.startswith("Confirmed online: torch-2.14.1+cpu-cp312") for h in report.hints)
    print(f"suggest --online against 127.0.0.1: {took * 1000:.0f} ms")
    assert took < 3.0
