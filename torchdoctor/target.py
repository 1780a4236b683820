"""Which interpreter a command examines, and why.

One order for check, smoke, suggest and install: `--python` › the active virtualenv
(VIRTUAL_ENV) › the active conda env (CONDA_PREFIX) › the doctor's own env when it holds
torch and is no tool's › the first python3/python on PATH (Windows: then the `py`
launcher's default) › the doctor's own interpreter.

A tool-installed doctor (`pipx install`, `uv tool install`, `uvx`, `pipx run`) lives in
an env of its own that has no torch; it must examine the user's env instead. So PATH
entries inside the doctor's own venv are skipped (uvx puts its ephemeral env's bin first
on PATH), and so is a VIRTUAL_ENV/CONDA_PREFIX that is a known tool env. When the doctor
is installed inside the activated user env, every step names the same interpreter.

Stdlib only and cheap: `suggest` resolves its target on every run.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from typing import Mapping

from torchdoctor.errors import UsageError
from torchdoctor.privacy import home_to_tilde

SOURCES = ("option", "virtualenv", "conda", "path", "py-launcher", "self")
_WINDOWS = os.name == "nt"


@dataclass(frozen=True)
class Target:
    executable: str  # absolute path of the interpreter to examine (symlinks kept: a venv's python is a link)
    reason: str  # for people: "the active virtualenv ~/proj/.venv"; home shown as ~
    source: str  # for scripts: one of SOURCES
    is_self: bool  # the doctor's own interpreter: facts can be read in-process

    @property
    def display(self) -> str:
        return _tilde(self.executable)

    @property
    def why(self) -> str:
        """The reason without the path it may repeat ("the first python3 on PATH")."""
        return _why(self.display, self.reason)

    def headline(self) -> str:
        return headline(self.display, self.reason)

    def to_dict(self) -> dict[str, str]:
        return {"executable": self.display, "reason": self.reason, "source": self.source}


def headline(executable: str, reason: str) -> str:
    """The report's first line: which interpreter and why (the path once, not twice)."""
    return f"Examining {executable} ({_why(executable, reason)})"


def _why(executable: str, reason: str) -> str:
    return reason.replace(f" ({executable})", "")


def resolve_target(python: str | None = None, env: Mapping[str, str] | None = None, *,
                   search: bool = True, own_executable: str | None = None, own_prefix: str | None = None,
                   own_base_prefix: str | None = None) -> Target:
    """The interpreter to examine. `python` is the --python value (an interpreter or an env folder);
    `env` defaults to os.environ. `search=False` (the Python API: the caller's, e.g. a notebook
    kernel's, interpreter) skips the active env and PATH. The own_* keywords stand in for the
    doctor's sys values (tests). Raises UsageError only for a --python that names nothing runnable."""
    env = os.environ if env is None else env
    own = _Own(own_executable or sys.executable, own_prefix or sys.prefix,
               own_base_prefix or getattr(sys, "base_prefix", sys.prefix))

    if python is not None:
        if not str(python).strip():
            raise UsageError("--python needs a path to an interpreter or a virtualenv")
        exe = find_interpreter(python, env.get("PATH", os.defpath))
        if exe is None:
            raise UsageError(f"--python {python}: no such interpreter or virtualenv")
        return own.target(exe, f"--python {_tilde(python)}", "option")
    if not search:
        return own.itself()

    for var, source, what in (("VIRTUAL_ENV", "virtualenv", "the active virtualenv"),
                              ("CONDA_PREFIX", "conda", "the active conda env")):
        prefix = (env.get(var) or "").strip()
        if not prefix or not os.path.isdir(prefix):
            continue  # unset, or a stale value from an env that was deleted
        if _same_path(prefix, own.prefix) and is_tool_env(prefix):
            continue  # the doctor's own tool env (a runner that sets VIRTUAL_ENV for it)
        exe = _in_env(prefix)
        if exe is not None:
            return own.target(exe, f"{what} {_tilde(prefix)}", source)

    if own.has_torch() and not is_tool_env(own.prefix):
        # Run from an env that holds torch (`~/proj/.venv/bin/torchdoctor`, not activated): that env is
        # the user's, not a tool's, and another python3 on PATH is not what they meant to examine.
        return Target(os.path.abspath(own.executable), f"torchdoctor's own environment {_tilde(own.prefix)}, "
                      "which has torch", "self", True)

    found = first_on_path(env.get("PATH", os.defpath), skip_prefix=own.prefix if own.in_venv else None)
    if found is not None:
        name, exe = found
        return own.target(exe, f"the first {name} on PATH ({_tilde(exe)})", "path")

    if _WINDOWS:
        exe = py_launcher_default(env)
        if exe is not None:
            return own.target(exe, "the py launcher's default", "py-launcher")

    return own.itself()


def find_interpreter(path: str, search_path: str | None = None) -> str | None:
    """An interpreter file, an env folder (venv, virtualenv, conda) -> its interpreter, or a bare
    command name on PATH (`python3.12`); None if none of these."""
    p = os.path.abspath(os.path.expanduser(str(path)))
    if os.path.isdir(p):
        return _in_env(p)
    if os.path.isfile(p):
        return p
    if os.sep not in str(path) and (os.altsep or os.sep) not in str(path):
        import shutil

        found = shutil.which(str(path), path=search_path)
        return os.path.abspath(found) if found else None
    return None


def _in_env(prefix: str) -> str | None:
    candidates = (("Scripts", "python.exe"), ("python.exe",), ("bin", "python"), ("bin", "python3")) if _WINDOWS \
        else (("bin", "python"), ("bin", "python3"), ("Scripts", "python.exe"), ("python.exe",))
    for parts in candidates:
        exe = os.path.join(prefix, *parts)
        if os.path.isfile(exe):
            return os.path.abspath(exe)
    return None


def first_on_path(path: str, skip_prefix: str | None = None) -> tuple[str, str] | None:
    """(name, path) of the first python3/python on PATH, skipping dirs inside `skip_prefix`."""
    import shutil

    names = ("python", "python3") if _WINDOWS else ("python3", "python")
    for folder in path.split(os.pathsep):
        if not folder.strip():
            continue
        folder = os.path.abspath(os.path.expanduser(folder))
        if skip_prefix and _inside(folder, skip_prefix):
            continue
        for name in names:
            exe = shutil.which(name, path=folder)
            if exe and not _store_stub(exe):
                return name, os.path.abspath(exe)
    return None


def py_launcher_default(env: Mapping[str, str]) -> str | None:
    """Windows: the interpreter `py` starts by default (a quick child with a short deadline)."""
    import shutil

    from torchdoctor.runner import run

    py = shutil.which("py", path=env.get("PATH", ""))
    if not py:
        return None
    res = run([py, "-c", "import sys; print(sys.executable)"], timeout=5.0, env=dict(env))
    line = res.stdout.strip().splitlines()[-1].strip() if res.ok and res.stdout.strip() else ""
    return line if line and os.path.isfile(line) else None


def is_tool_env(prefix: str) -> bool:
    """An env made by pipx or uv for one tool: their receipts, or uv's cache of ephemeral envs."""
    if os.path.isfile(os.path.join(prefix, "uv-receipt.toml")) or \
            os.path.isfile(os.path.join(prefix, "pipx_metadata.json")):
        return True
    parts = [p.lower() for p in os.path.normpath(os.path.abspath(prefix)).split(os.sep)]
    pairs = set(zip(parts, parts[1:]))  # pipx's venvs/ and its `pipx run` caches (old and new layout)
    return "archive-v0" in parts or bool(pairs & {("pipx", "venvs"), ("pipx", ".cache"), (".cache", "pipx")})


@dataclass(frozen=True)
class _Own:
    executable: str
    prefix: str
    base_prefix: str

    @property
    def in_venv(self) -> bool:
        return not _same_path(self.prefix, self.base_prefix)

    def target(self, exe: str, reason: str, source: str) -> Target:
        return Target(os.path.abspath(exe), reason, source, self.is_me(exe))

    def has_torch(self) -> bool:
        """torch is installed where the doctor runs (found, never imported); only for our own
        interpreter, whose sys.path this process has (tests that stand in other values: no)."""
        if not _same_path(self.executable, sys.executable):
            return False
        import importlib.util

        try:
            return importlib.util.find_spec("torch") is not None
        except (ImportError, ValueError):
            return False

    def itself(self) -> Target:
        return Target(os.path.abspath(self.executable), "torchdoctor's own interpreter", "self", True)

    def is_me(self, exe: str) -> bool:
        """The same file in the same folder (a venv's python links to its base one: same file, other env)."""
        mine = os.path.abspath(self.executable)
        if _same_path(exe, mine):
            return True
        try:
            return os.path.samefile(exe, mine) and _same_path(os.path.dirname(exe), os.path.dirname(mine))
        except OSError:
            return False


def _same_path(a: str, b: str) -> bool:
    return os.path.normcase(os.path.abspath(a)) == os.path.normcase(os.path.abspath(b))


def _inside(folder: str, prefix: str) -> bool:
    folder, prefix = os.path.normcase(folder), os.path.normcase(os.path.abspath(prefix))
    return folder == prefix or folder.startswith(prefix.rstrip("\\/") + os.sep)


def _store_stub(exe: str) -> bool:
    """Windows' "App execution alias" python.exe that only opens the Store is an empty file."""
    try:
        return _WINDOWS and "windowsapps" in exe.lower() and os.path.getsize(exe) == 0
    except OSError:
        return False


def _tilde(path: str) -> str:
    return home_to_tilde(str(path))


# ------------------------------------------------------------------------------ preconditions
# Two preconditions, checked before any other child runs. The working directory is checked here,
# in-process: a deleted one makes every child fail at start, so no child can answer for it. The
# rest (does the target run, is it Python 3.6+, its version and prefixes) is ONE child,
# patient/whoami.py, which `suggest` also asks for the target's Python facts.

def require_cwd() -> None:
    """A deleted working directory makes every child Python fail at start: say that, not "torch crashed"."""
    try:
        os.getcwd()
    except FileNotFoundError:
        raise UsageError("the current directory no longer exists (it was deleted or moved): cd into an existing "
                         "directory and run again") from None
    except OSError:
        pass  # unreadable but present: the children can still start there


def identify(python: str, timeout: float = 10.0) -> tuple[dict | None, str | None]:
    """The "who are you" child: the target's own Python facts (version, bits, free-threading,
    executable, prefixes, conda), as patient/whoami.py answers them; (facts, None) or (None, why).
    Never raises."""
    from torchdoctor.child import interpret
    from torchdoctor.patient import script
    from torchdoctor.runner import child_env, run

    # -E -s -S (all known to Python 2.7 too): no site, no user site, no PYTHON* variables. Version, bits
    # and free-threading are the binary's own, and an interpreter starts several times faster without site.
    result = interpret(run([python, "-E", "-s", "-S", script("whoami")], timeout=timeout, env=child_env()))
    facts = (result.data or {}).get("python")
    if isinstance(facts, dict) and facts.get("version"):
        return facts, None
    return None, result.detail or "it printed no answer"


def require_python3(label: str, python: str) -> None:
    """A Python too old for the doctor's children (2.7, 3.5): say which it is and what to install.
    `label` names it as the user chose it ("--python ~/py27", "the active virtualenv ~/old")."""
    old = _old_python(python)
    if not old:
        return
    try:
        from torchdoctor.knowledge import load

        k = load()
    except Exception:  # noqa: BLE001 - the line stays useful without the tables
        k = None
    last = k.python_too_old.get(".".join(old.split(".")[:2])) if k is not None else None
    then = (f"torch {last} was the last release for it" if last
            else "no torch release that this doctor knows (1.13 and newer) supports it")
    recommended = k.recommended_python() if k is not None else "3"
    newest = (f" (torch {k.releases[0].version} supports {k.releases[0].pythons[0]}-{k.releases[0].pythons[-1]})"
              if k is not None else "")
    raise UsageError(f"{label} is Python {old}: {then}, and this doctor's probe needs Python 3.6 "
                     f"or newer. Install Python {recommended}{newest} and create a new environment with it")


def _old_python(python: str) -> str | None:
    """The version of a Python too old for the probe (2.7, 3.5), from the "who are you" child; None when
    it is new enough, or did not answer (the probe that follows says why)."""
    facts, _ = identify(python)
    m = re.match(r"(\d+)\.(\d+)\.(\d+)", str((facts or {}).get("version") or ""))
    if m and (int(m.group(1)), int(m.group(2))) < (3, 6):
        return m.group(0)
    return None
