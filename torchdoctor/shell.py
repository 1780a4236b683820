"""The one command builder: every command the doctor prints or runs is an argument list,
rendered here for the shell it is meant for.

A fix line is copied straight into a terminal, so it must run exactly the one command it
shows: `$(...)`, backticks, `;`, `&`, `|` and spaces inside a value (an index URL with
`?token=a&user=b`, a Python path with a space) are quoted, never interpreted. A value that
no shell can quote safely (a newline, a NUL) is refused as a usage error.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from typing import Any, Iterable

from torchdoctor.errors import UsageError

SHELLS = ("posix", "cmd", "powershell")

# Arguments made only of these need no quotes (cmd.exe and PowerShell give none of them a meaning).
_CMD_SAFE = re.compile(r"^[A-Za-z0-9_./:\\=+@,-]+$")
_PS_SAFE = re.compile(r"^[A-Za-z0-9_./:\\=+-]+$")


class UnsafeArgument(UsageError):
    """A value that cannot be quoted for any shell (newline, carriage return, NUL)."""


# Newline, CR and NUL split or cut the pasted line; ESC and the other controls would reach the
# terminal raw when the line is printed. Tab is harmless inside quotes.
_UNSAFE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")


def check_arg(arg: str, what: str = "a command argument") -> str:
    """Refuse what no quoting makes safe on one line: the pasted line would become two commands."""
    if _UNSAFE.search(arg):
        raise UnsafeArgument(f"{what} contains a newline, NUL or other control character, which cannot be "
                             f"put safely into a command line: {arg!r}"[:300])
    return arg


def shell_for_os(os_name: str | None) -> str:
    """The shell a fix line for this OS is written for: PowerShell on Windows, POSIX elsewhere."""
    return "powershell" if (os_name or "").lower().startswith("win") else "posix"


def quote_posix(arg: str) -> str:
    """shlex quoting, except that a leading `~/` stays unquoted: the doctor shows home paths as `~`,
    and `~/'my venv/bin/python'` still expands where `'~/my venv/bin/python'` would not."""
    if arg.startswith("~/") and len(arg) > 2:
        return "~/" + shlex.quote(arg[2:])
    return shlex.quote(arg)


def quote_powershell(arg: str) -> str:
    """Single quotes are literal in PowerShell; a quote inside is doubled. A leading `~\\` (the
    doctor's home) becomes `$HOME` inside double quotes, where PowerShell expands it and nothing
    else: backtick, `$` and `"` in the rest are escaped with a backtick."""
    if arg[:2] in ("~\\", "~/") and len(arg) > 2:
        rest = re.sub(r'([`$"])', r"`\1", arg[1:])
        return f'"$HOME{rest}"'
    if arg and _PS_SAFE.match(arg):
        return arg
    return "'" + arg.replace("'", "''") + "'"


def quote_cmd(arg: str) -> str:
    """cmd.exe: wrap in double quotes; `"` is doubled, and `%`/`!` (expanded even inside quotes)
    are refused rather than half-escaped."""
    if arg and _CMD_SAFE.match(arg):
        return arg
    if "%" in arg or "!" in arg:
        raise UnsafeArgument(f"{arg!r} contains % or !, which cmd.exe expands even inside quotes; "
                             "use PowerShell for this command"[:300])
    return '"' + arg.replace('"', '""') + '"'


_QUOTERS = {"posix": quote_posix, "powershell": quote_powershell, "cmd": quote_cmd}


def render(argv: Iterable[str], shell: str = "posix") -> str:
    """One copy-pasteable line for `shell`. PowerShell needs `&` to run a quoted program path."""
    args = [check_arg(str(a)) for a in argv]
    if not args:
        return ""
    quoter = _QUOTERS[shell]
    parts = [quoter(a) for a in args]
    if shell == "powershell" and parts[0] != args[0]:
        parts[0] = "& " + parts[0]
    return " ".join(parts)


class Line(str):
    """A rendered command line that remembers the argument list it was built from.

    `argv` is None for a fixed line of the doctor's own (a shell builtin, `&&`, `$VAR`, a `...`
    placeholder): such a line never holds a value from outside."""

    argv: tuple[str, ...] | None
    shell: str

    def __new__(cls, text: str, argv: Iterable[str] | None = None, shell: str = "posix") -> "Line":
        obj = super().__new__(cls, text)
        obj.argv = tuple(argv) if argv is not None else None
        obj.shell = shell
        return obj


def argv_of(line: Any) -> list[str] | None:
    """The argument list behind a printed line, for JSON (None: a fixed shell line)."""
    argv = getattr(line, "argv", None)
    return list(argv) if argv is not None else None


@dataclass(frozen=True)
class Command:
    """An argument list and the shell its printed form is for. `str(cmd)` is the line to paste."""

    argv: tuple[str, ...]
    shell: str = "posix"

    def __post_init__(self) -> None:
        if self.shell not in SHELLS:
            raise ValueError(f"unknown shell {self.shell!r}")
        object.__setattr__(self, "argv", tuple(check_arg(str(a)) for a in self.argv))

    @property
    def line(self) -> Line:
        return Line(render(self.argv, self.shell), self.argv, self.shell)

    def __str__(self) -> str:
        return self.line

    def to_dict(self) -> dict[str, Any]:
        return {"command": self.line, "argv": list(self.argv), "shell": self.shell}


def command(*argv: str, shell: str = "posix") -> Command:
    return Command(tuple(argv), shell)
