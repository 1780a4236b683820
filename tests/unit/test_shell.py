"""The command builder: a pasted line runs exactly the one command it shows."""

import shlex
import subprocess
import sys

import pytest

from torchdoctor.errors import UsageError
from torchdoctor.shell import Command, UnsafeArgument, quote_cmd, quote_powershell, render, shell_for_os

HOSTILE = ["$(touch pwned)", "`touch pwned`", "a;touch pwned", "a && touch pwned", "a|touch pwned",
           "https://mirror/whl?token=a&user=b", "/opt/my env/bin/python", "it's", '"quoted"', "*", "~"]


@pytest.mark.parametrize("value", HOSTILE)
def test_posix_line_splits_back_into_the_same_arguments(value):
    argv = ["python", "-m", "pip", "install", "torch", "--index-url", value]
    assert shlex.split(render(argv)) == argv


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX shell")
@pytest.mark.parametrize("value", HOSTILE)
def test_posix_line_runs_one_command_in_a_real_shell(tmp_path, value):
    line = render([sys.executable, "-c", "import sys; print(repr(sys.argv[1:]))", value])
    out = subprocess.run(["sh", "-c", line], cwd=tmp_path, capture_output=True, text=True, timeout=30)
    assert out.stdout.strip() == repr([value])
    assert not (tmp_path / "pwned").exists()


@pytest.mark.parametrize("bad", ["a\nb", "a\rb", "a\x00b"])
def test_newline_or_nul_is_a_usage_error(bad):
    with pytest.raises(UsageError):
        render(["pip", "install", bad])
    with pytest.raises(UnsafeArgument):
        Command(("pip", bad))


def test_powershell_quotes_and_calls_a_quoted_program():
    line = render([r"C:\Program Files\Python312\python.exe", "-m", "pip", "install", "a'b", "x;y"], "powershell")
    assert line == r"& 'C:\Program Files\Python312\python.exe' -m pip install 'a''b' 'x;y'"
    assert quote_powershell("torch==2.13.0") == "torch==2.13.0"
    assert quote_powershell("$(evil)") == "'$(evil)'"


def test_cmd_quotes_and_refuses_expansions():
    assert quote_cmd("https://m/whl?a=1&b=2") == '"https://m/whl?a=1&b=2"'
    assert quote_cmd('say "hi"') == '"say ""hi"""'
    with pytest.raises(UnsafeArgument):
        quote_cmd("%PATH%")


def test_command_keeps_argv_beside_the_line():
    cmd = Command(("pip", "install", "torch==2.13.0", "--index-url", "https://x/whl/cpu?t=a&u=b"))
    d = cmd.to_dict()
    assert d["argv"] == list(cmd.argv)
    assert d["command"] == "pip install torch==2.13.0 --index-url 'https://x/whl/cpu?t=a&u=b'"
    assert str(cmd) == d["command"]
    assert shell_for_os("windows") == "powershell" and shell_for_os("linux") == "posix"


def test_powershell_expands_the_doctors_home_tilde_and_nothing_else():
    # The doctor stores home paths as "~" (privacy); a quoted '~\...' would not expand in PowerShell.
    line = render([r"~\AppData\Local\Programs\Python\Python312\python.exe", "-m", "pip", "install", "torch"],
                  "powershell")
    assert line == r'& "$HOME\AppData\Local\Programs\Python\Python312\python.exe" -m pip install torch'
    assert quote_powershell(r'~\a $b`c"d') == r'"$HOME\a `$b``c`"d"'
