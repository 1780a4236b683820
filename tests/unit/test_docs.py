"""The README and docs/ say what the code does: options, exit codes, finding ids, links."""

import re
from pathlib import Path

import pytest
import typer.main

from torchdoctor import errors
from torchdoctor.cli import app
from torchdoctor.verdicts.distributed import FINDING_IDS as DISTRIBUTED_IDS
from torchdoctor.install import BLOCKED_TITLES as INSTALL_IDS
from torchdoctor.verdicts.smoke import FINDING_IDS as SMOKE_IDS

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCS = ROOT / "docs"


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _section(text: str, heading: str) -> str:
    """The text under a `## heading` line, up to the next `## ` heading."""
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert match, f"no section '## {heading}'"
    return match.group(1)


def test_readme_is_short():
    assert len(_text(README).splitlines()) <= 200


COMMAND = typer.main.get_command(app)
COMMANDS = [("", COMMAND)] + sorted((name, cmd) for name, cmd in COMMAND.commands.items()
                                     if not hasattr(cmd, "commands"))
# a command group (`fleet`): each of its commands has its own section, `torchdoctor fleet report`
COMMANDS += sorted((f"{name} {sub}", c) for name, cmd in COMMAND.commands.items() if hasattr(cmd, "commands")
                   for sub, c in cmd.commands.items())


@pytest.mark.parametrize("name,command", COMMANDS, ids=[name or "torchdoctor" for name, _ in COMMANDS])
def test_every_option_of_every_command_is_in_cli_md(name, command):
    section = _section(_text(DOCS / "cli.md"), f"`torchdoctor{' ' + name if name else ''}`")
    listed = " ".join(re.findall(r"^\| ([^|]+) \|", section, re.M))  # the option table's first column
    options = [opt for param in command.params for opt in param.opts + param.secondary_opts]
    assert options, name
    missing = [opt for opt in options if f"`{opt}`" not in listed]
    assert not missing, f"docs/cli.md's option table for {name or 'torchdoctor'} lacks {missing}"


def _exit_codes() -> set[int]:
    """EXIT_* in errors.py, and the codes cli.py exits with outside them (Ctrl-C's 130)."""
    codes = {value for key, value in vars(errors).items() if key.startswith("EXIT_")}
    codes |= {int(c) for c in re.findall(r"os\._exit\((\d+)\)", _text(ROOT / "torchdoctor" / "cli.py"))}
    return codes


def test_every_exit_code_is_in_the_readme_table():
    table = _section(_text(README), "Exit codes")
    rows = {int(code) for code in re.findall(r"^\| (\d+) \|", table, re.M)}
    assert {0, 1, 2, 3, 130} <= _exit_codes()
    assert _exit_codes() <= rows, f"README's exit code table lacks {_exit_codes() - rows}"


def test_the_readme_tables_have_no_blank_line_inside():
    lines = _text(README).splitlines()
    for i in range(1, len(lines) - 1):
        assert not (lines[i] == "" and lines[i - 1].startswith("|") and lines[i + 1].startswith("|")), \
            f"README.md line {i + 1}: a blank line splits a table"


@pytest.mark.parametrize("heading,ids", [("`smoke`", SMOKE_IDS), ("`smoke --distributed`", DISTRIBUTED_IDS),
                                         ("`install`", INSTALL_IDS)])
def test_the_findings_tables_are_the_code(heading, ids):
    section = _section(_text(DOCS / "findings.md"), heading)
    rows = re.findall(r"^\| `([\w.]+)` \| ([^|]+) \|$", section, re.M)
    assert [(i, t.strip()) for i, t in rows] == list(ids.items())


def _links(path: Path) -> list[tuple[str, str]]:
    """(file, anchor) of each relative link in a markdown file (URLs left out; "" for the file itself)."""
    targets = re.findall(r"\]\(([^)\s]+)\)", _text(path))
    return [tuple(t.partition("#")[::2]) for t in targets if not re.match(r"[a-z]+:", t)]


def _anchors(path: Path) -> set[str]:
    """GitHub's anchors of a markdown file's headings: lower case, punctuation dropped, spaces as -."""
    headings = re.findall(r"^#+ (.+)$", re.sub(r"```.*?```", "", _text(path), flags=re.S), re.M)
    return {re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-") for h in headings}


@pytest.mark.parametrize("doc", [README, *sorted(DOCS.glob("*.md"))], ids=lambda p: p.name)
def test_every_relative_link_points_to_a_file(doc):
    broken = [f for f, _ in _links(doc) if f and not (doc.parent / f).exists()]
    assert not broken, f"{doc.name} links to missing {broken}"
    anchors = [(f, a) for f, a in _links(doc) if a]
    unknown = [f"{f}#{a}" for f, a in anchors if a not in _anchors(doc.parent / f if f else doc)]
    assert not unknown, f"{doc.name} links to headings that do not exist: {unknown}"
