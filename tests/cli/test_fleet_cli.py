"""The fleet's faces on the real CLI: one-line JSON with a node label, NHC lines and a drain reason,
every exit style, and `fleet report`'s exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from torchdoctor import cli

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
REPORTS = FIXTURES / "reports"
FLEET = FIXTURES / "fleet"
HEALTHY = str(REPORTS / "h200-torch2.11-cu130.txt")  # no finding
WARNED = str(REPORTS / "pt44303-cpu-build-rtx2080ti.txt")  # warnings only
BROKEN = str(REPORTS / "espnet5629-a100-driver460-cu121.txt")  # cuda.driver_too_old (error)


def main(args, capsys, stdin=None, monkeypatch=None):
    if stdin is not None:
        import io

        monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(stdin.encode())))
    with pytest.raises(SystemExit) as exc:
        cli.main(args)
    out = capsys.readouterr()
    return exc.value.code, out.out, out.err


def test_json_line_with_a_node_label(capsys, monkeypatch):
    monkeypatch.setenv("SLURMD_NODENAME", "gpu07")
    code, out, _ = main(["check", "--from", HEALTHY, "--json-line", "--node-label", "auto"], capsys)
    assert code == 0 and out.count("\n") == 1
    doc = json.loads(out)
    assert list(doc)[:2] == ["schema", "node"] and doc["node"] == "gpu07"
    code, out, _ = main(["check", "--from", HEALTHY, "--json-line"], capsys)
    assert "node" not in json.loads(out)  # off by default (privacy)
    code, out, _ = main(["check", "--from", HEALTHY, "--json", "--node-label", "n1"], capsys)
    assert json.loads(out)["node"] == "n1" and out.count("\n") > 10


@pytest.mark.parametrize("args,words", [
    (["check", "--json", "--json-line"], "choose one"),
    (["check", "--node-label", "n1"], "--json-line"),
    (["check", "--json-line", "--node-label", "two words"], "one word"),
    (["smoke", "--node-label", "n1"], "--json-line"),
    (["check", "--exit-style", "loud"], "--exit-style"),
    (["fleet", "report", "/no/such/file"], "cannot read"),
    (["fleet", "report", "/dev/zero"], "not a file or a pipe"),
    (["fleet", "report", "/"], "a directory"),
    (["fleet", "report", "--expect-nodes", "n[3-1]", "-"], "backwards"),
    (["fleet", "report", "--expect", "0", "-"], "--expect"),
    (["fleet", "run", "--via", "rsh", "--nodes", "a", "--", "check"], "--via"),
    (["fleet", "run", "--via", "pdsh", "--nodes", "4", "--", "check"], "by name"),
    (["fleet", "run", "--via", "srun", "--nodes", "4", "--", "install"], "after --"),
])
def test_usage_errors_exit_2(capsys, args, words):
    code, _, err = main(args + (["--from", HEALTHY] if args[0] == "check" and "--from" not in args else []), capsys)
    assert code == 2 and words in err and err.count("\n") == 1


def test_nhc_golden(capsys):
    code, out, _ = main(["check", "--from", HEALTHY, "--format", "nhc"], capsys)
    assert (code, out) == (0, "")  # healthy: nothing, exit 0
    code, out, _ = main(["check", "--from", BROKEN, "--format", "nhc"], capsys)
    assert code == 1
    assert out == (FLEET / "golden" / "nhc-driver460.txt").read_text(encoding="utf-8")
    code, out, _ = main(["check", "--from", WARNED, "--format", "nhc"], capsys)
    assert (code, out) == (0, "")  # warnings do not fail a node ...
    code, out, _ = main(["check", "--from", WARNED, "--format", "nhc", "--strict"], capsys)
    assert code == 1 and out.count("ERROR:  nhc:  Health check failed:  check_torchdoctor:  ") == out.count("\n") >= 1


def test_slurm_reason(capsys):
    code, out, _ = main(["check", "--from", BROKEN, "--format", "slurm-reason"], capsys)
    assert code == 1 and out.startswith("torchdoctor: cuda.driver_too_old: ") and len(out.rstrip("\n")) <= 120
    assert out.isascii() and out.count("\n") == 1
    code, out, _ = main(["check", "--from", HEALTHY, "--format", "slurm-reason"], capsys)
    assert (code, out) == (0, "")


@pytest.mark.parametrize("args,code", [
    (["check", "--from", HEALTHY], 0),
    (["check", "--from", WARNED], 1),
    (["check", "--from", BROKEN], 2),
    (["check", "--from", "/no/such/report.json"], 3),
    (["check", "--no-such-option"], 3),
    (["check", "--from", BROKEN, "--format", "nhc"], 2),
])
def test_nagios_exit_style(capsys, args, code):
    assert main(args + ["--exit-style", "nagios"], capsys)[0] == code


@pytest.mark.parametrize("args,code", [
    (["check", "--from", HEALTHY], 0),
    (["check", "--from", WARNED], 0),
    (["check", "--from", BROKEN], 1),
    (["check", "--from", "/no/such/report.json"], 2),
    (["check", "--no-such-option"], 2),
])
def test_doctor_exit_style_is_unchanged(capsys, args, code):
    assert main(args + ["--exit-style", "doctor"], capsys)[0] == code
    assert main(args, capsys)[0] == code


def test_nhc_default_timeout_fits_slurm(monkeypatch):
    from torchdoctor.commands import check

    seen = {}

    def fake_report(request):
        seen["timeout"] = request.timeout
        raise SystemExit(0)

    monkeypatch.setattr("torchdoctor.operations.check.check_report", fake_report)
    for fmt, timeout in (("nhc", check.NHC_TIMEOUT), ("human", check.TIMEOUT)):
        with pytest.raises(SystemExit):
            check.run_check(fmt=fmt)
        assert seen["timeout"] == timeout
    assert check.NHC_TIMEOUT < 60


def test_fleet_report_cli(capsys, monkeypatch):
    lines = str(FLEET / "check-8-nodes.jsonl")
    code, out, _ = main(["fleet", "report", lines, "--expect-nodes", "node[01-08]"], capsys)
    assert code == 1 and "Groups of identical nodes" in out
    code, out, _ = main(["fleet", "report", lines, "--json"], capsys)
    assert code == 1 and json.loads(out)["counts"]["groups"] == 4
    text = "\n".join((FLEET / "check-8-nodes.jsonl").read_text().splitlines()[:5]) + "\n"
    code, out, _ = main(["fleet", "report", "-", "--expect", "5"], capsys, stdin=text, monkeypatch=monkeypatch)
    assert code == 0 and "PASS" in out
    code, out, _ = main(["fleet", "report", "--format", "markdown", "-"], capsys, stdin=text, monkeypatch=monkeypatch)
    assert code == 0 and out.startswith("### torchdoctor fleet report")


def test_fleet_run_dry_run(capsys):
    code, out, _ = main(["fleet", "run", "--via", "pdsh", "--nodes", "gpu[01-04]", "--timeout", "50", "--dry-run",
                         "--", "check", "--strict"], capsys)
    assert code == 0
    assert out == ("pdsh -w 'gpu[01-04]' -f 32 -t 10 -u 50 "
                   "'torchdoctor check --strict --json-line --node-label auto --timeout 40'\n")
    code, out, _ = main(["fleet", "run", "--via", "srun", "--nodes", "8", "--dry-run", "--", "check"], capsys)
    assert out.startswith("srun --nodes=8 --ntasks=8 --ntasks-per-node=1 --kill-on-bad-exit=0 --label --time=3 "
                          "torchdoctor check --json-line --node-label auto")


def test_fleet_report_never_waits_on_a_terminal(capsys, monkeypatch):
    class Terminal:
        def isatty(self):
            return True

    monkeypatch.setattr("sys.stdin", Terminal())
    code, _, err = main(["fleet", "report"], capsys)
    assert code == 2 and "pipe them in" in err


def test_the_api_is_the_cli_document(capsys):
    import torchdoctor

    lines = (FLEET / "check-8-nodes.jsonl").read_text(encoding="utf-8").splitlines()
    report = torchdoctor.fleet_report(lines=lines, expect_nodes="node[01-08]")
    code, out, _ = main(["fleet", "report", str(FLEET / "check-8-nodes.jsonl"), "--expect-nodes", "node[01-08]",
                         "--json"], capsys)
    cli_doc, api_doc = json.loads(out), report.to_dict()
    cli_doc["input"].pop("broken"), api_doc["input"].pop("broken")
    assert api_doc == cli_doc and report.exit_code == code == 1
    assert "Groups of identical nodes" in str(report) and "Groups of identical nodes" in report._repr_html_()
    with pytest.raises(ValueError):
        torchdoctor.fleet_report(lines=lines, expect_nodes="n[2-1]")
    with pytest.raises(TypeError):
        torchdoctor.fleet_report(lines="one string")


def test_a_runaway_line_is_cut_not_held(capsys, monkeypatch):
    from torchdoctor.recorded import fleet_lines

    monkeypatch.setattr(fleet_lines, "MAX_LINE", 1000)
    text = "x" * 5000 + "\n" + (FLEET / "check-8-nodes.jsonl").read_text().splitlines()[0][:900] + "\n"
    code, out, _ = main(["fleet", "report", "-", "--json"], capsys, stdin=text, monkeypatch=monkeypatch)
    assert code == 1 and json.loads(out)["input"]["broken"][0] == "-: a line over 1000 characters, skipped"


def test_the_fleet_group_alone_prints_its_help(capsys):
    code, out, _ = main(["fleet"], capsys)
    assert code == 0 and "report" in out and "run" in out
