"""Shapes derived from the real pastes (tests/fixtures/reports): each variant says what it changes, and the
diagnosis must not change with it. Also the doors a maintainer uses: the markdown reply, and reading it back."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from torchdoctor.checks import run_checks
from torchdoctor.errors import UsageError
from torchdoctor.knowledge import load
from torchdoctor.recorded import load_report

REPORTS = Path(__file__).parents[1] / "fixtures" / "reports"
K = load()

# Real pastes of different formats whose diagnosis is settled by the paste (expected.json "findings").
DIAGNOSED = sorted(
    str(p.relative_to(REPORTS))[: -len(".expected.json")] for p in REPORTS.rglob("*.expected.json")
    if json.loads(p.read_text(encoding="utf-8"))["findings"]
)


def _text(name: str) -> str:
    return (REPORTS / f"{name}.txt").read_text(encoding="utf-8")


def _problems(text: str) -> set[str]:
    facts = load_report(text, "variant.txt")
    return {f.id for f in run_checks(facts, K) if f.severity in ("warning", "error")}


def _wanted(name: str) -> set[str]:
    want = json.loads((REPORTS / f"{name}.expected.json").read_text(encoding="utf-8"))["findings"]
    known = {c.id for c in __import__("torchdoctor.checks", fromlist=["CHECKS"]).CHECKS}
    return {f for f in want if f in known}


def _diagnosed(name: str) -> set[str]:
    """The expected findings this tree produces on the paste as it is (the variants must keep them)."""
    return _wanted(name) & _problems(_text(name))


VARIANTS = {
    # Windows line ends, as a paste saved from Notepad or a browser on Windows
    "crlf": lambda t: t.replace("\n", "\r\n"),
    # the whole paste in a fence of its own, under an issue template's heading
    "fenced": lambda t: "### Environment\n\n```text\n" + t.rstrip("\n") + "\n```\n",
    # prose before and after, and a mention, as in an issue body
    "prose": lambda t: "Hi, I followed the install guide and get this:\n\n" + t + "\n\nAny idea? @maintainer thanks\n",
    # quoted in a reply ("> " on every line), as when someone answers an issue by email
    "quoted": lambda t: "".join("> " + line + "\n" for line in t.splitlines()),
    # full-width colons and ideographic spaces after labels (CJK input methods)
    "fullwidth": lambda t: t.replace(": ", "\uff1a\u3000"),
    # the paste twice behind a long unrelated log: several blocks, the diagnosis stays
    "several-blocks": lambda t: t + "\n\nand the training log:\n\n```\n" + "epoch 1 loss 0.123\n" * 200 + "```\n",
}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize("name", DIAGNOSED)
def test_variants_keep_the_diagnosis(name, variant):
    want = _diagnosed(name)
    if not want:
        pytest.skip("this tree does not diagnose the paste as it is (see test_reports_findings)")
    got = _problems(VARIANTS[variant](_text(name)))
    assert want <= got, f"{variant} lost {want - got}"


@pytest.mark.parametrize("name", DIAGNOSED)
@pytest.mark.parametrize("keep", [0.35, 0.7])
def test_a_cut_paste_is_read_up_to_the_cut(name, keep):
    # Derived: the paste cut after the first 35% / 70% of its characters, mid-line as a stored excerpt is.
    text = _text(name)
    cut = text[: max(1, int(len(text) * keep))]
    try:
        facts = load_report(cut, "cut.txt")
    except UsageError:
        return  # what was left holds nothing readable: refused in one line, never a crash
    results = run_checks(facts, K)
    assert "crashed" not in {f.severity for f in results}
    json.dumps(facts.to_dict())


def test_a_cut_collect_env_keeps_the_package_lines_before_the_cut():
    text = _text("h200-torch2.11-cu130")
    cut = text[: text.index("[pip3] numpy")] + "[pip3] numpy==2.5.2\n[pip3] nvidia-cu"
    facts = load_report(cut, "cut.txt")
    assert [d.version for d in facts.distributions if d.name == "numpy"] == ["2.5.2"]
    assert facts.extra["report"]["packages_cut"] is True
    assert "whole output" in facts.extra["report"]["ask"][0]


def test_several_blocks_of_different_formats_merge_with_provenance():
    # Derived: a real collect_env report, then in another fence a real `nvidia-smi` table from another paste.
    env = _text("h200-torch2.11-cu130")
    smi = _text("pastes/nvdocker759-nvidia-smi-table-m40-container")
    facts = load_report(f"My env:\n\n```\n{env}\n```\n\nand nvidia-smi:\n\n{smi}", "issue.md")
    report = facts.extra["report"]
    assert {"collect_env", "nvidia_smi"} <= set(report["readers"])
    assert facts.runtime.version == "2.11.0+cu130"  # from collect_env
    assert report["provenance"]["runtime.version"].startswith("collect_env line")
    # the driver: nvidia-smi outranks collect_env (documented precedence), and says so
    assert facts.nvidia.driver == "390.59" and report["provenance"]["nvidia.driver"].startswith("nvidia_smi line")


def test_a_thin_paste_exits_0_and_says_what_to_ask_for(tmp_path):
    path = REPORTS / "pastes" / "pt116408-version-without-local-tag-ask.txt"
    done = subprocess.run([sys.executable, "-m", "torchdoctor", "check", "--from", str(path), "--format", "markdown"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "### What is missing to be sure" in done.stdout
    assert "python -m torch.utils.collect_env" in done.stdout


@pytest.mark.parametrize("name", ["pastes/fooocus1313-found-version-11040-nvidia-smi-head",
                                  "pastes/kronos166-winerror1114-c10-venv", "pt150733-rtx5090d-sm120-cu126"])
def test_the_markdown_reply_can_be_posted_and_read_back(name, tmp_path):
    path = REPORTS / f"{name}.txt"
    done = subprocess.run([sys.executable, "-m", "torchdoctor", "check", "--from", str(path), "--format", "markdown"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode in (0, 1), done.stderr
    reply = done.stdout
    assert reply.index("### What the paste shows") < reply.index("### Problems")
    assert "@" not in reply.split("<details>")[0].replace("@\u200b", "")  # no live mentions in the prose
    assert "\x1b" not in reply
    # the reply holds the facts as JSON: `check --from reply.md` judges the same
    saved = tmp_path / "reply.md"
    saved.write_text(reply, encoding="utf-8")
    again = subprocess.run([sys.executable, "-m", "torchdoctor", "check", "--from", str(saved), "--json"],
                           capture_output=True, text=True, timeout=60)
    assert again.returncode == done.returncode, again.stderr
    first = subprocess.run([sys.executable, "-m", "torchdoctor", "check", "--from", str(path), "--json"],
                           capture_output=True, text=True, timeout=60)
    ids = lambda out: sorted((f["id"], f["severity"]) for f in json.loads(out)["findings"])  # noqa: E731
    assert ids(again.stdout) == ids(first.stdout)
