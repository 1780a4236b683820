"""check's import pass: each compiled companion imported in its own short child (patient/companion_child.py).

One child per companion, a few at a time, each with its own deadline: a companion that segfaults or hangs
is recorded as such and the others still answer. The failure text is classified here, once, through the
message catalogue (knowledge.import_errors.companion_kind); the checks read the kinds.
"""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Iterable, Sequence

from torchdoctor.facts import CompanionImport, Distribution
from torchdoctor.patient import script
from torchdoctor.privacy import home_to_tilde

CHILD = script("companion_child")
BOOTSTRAP = "import runpy, sys; runpy.run_path(sys.argv[1], run_name='__main__')"
SECONDS_EACH = 20.0  # one companion's import (it imports torch first: 1-5 s on a warm disk)
AT_ONCE = 3


def compiled(dists: Iterable[Distribution]) -> list[tuple[str, tuple[str, ...]]]:
    """(name, modules) of each installed companion the table knows to be compiled, once per name."""
    from torchdoctor.knowledge.companions import companion

    out: dict[str, tuple[str, ...]] = {}
    for d in dists:
        row = companion(d.name)
        if row is not None and d.name not in out:
            out[d.name] = row.modules
    return list(out.items())


def import_one(name: str, modules: Sequence[str], python: str | None = None, timeout: float = SECONDS_EACH,
               cwd: str | None = None) -> CompanionImport:
    """Import `modules` in order in one child of `python`; never raises."""
    from torchdoctor.child import interpret
    from torchdoctor.runner import child_env, run

    try:
        result = interpret(run([python or sys.executable, "-c", BOOTSTRAP, CHILD, *modules], timeout=timeout,
                               env=child_env(), cwd=cwd))
        return read(name, modules, result, timeout)
    except Exception as exc:  # noqa: BLE001 - a probe never raises
        return CompanionImport(name, modules[0] if modules else name, "not_run", error=f"{type(exc).__name__}: {exc}")


def read(name: str, modules: Sequence[str], result: object, timeout: float) -> CompanionImport:
    """ChildResult -> CompanionImport, the failure classified."""
    from torchdoctor.knowledge.import_errors import built_for

    data = getattr(result, "data", None) or {}
    stderr = getattr(result, "stderr", "") or ""
    printed = tuple(home_to_tilde(line.strip()[:2000]) or "" for line in stderr.splitlines()
                    if line.strip())[-20:]
    tried = [m for m in data.get("modules") or () if isinstance(m, dict)]
    failed = next((m for m in tried if m.get("status") == "import_failed"), None)
    loaded = [m for m in tried if m.get("status") == "ok"]
    module = str((failed or (loaded[-1] if loaded else None) or {}).get("module") or data.get("module")
                 or (modules[0] if modules else name))
    status = getattr(result, "status", "not_run")
    seconds = round(float(getattr(result, "seconds", 0.0) or 0.0), 4)
    if status == "not_started":
        return CompanionImport(name, module, "not_run", seconds, getattr(result, "detail", "") or None)
    if status == "timeout" and failed is None:
        return CompanionImport(name, module, "timeout", seconds, f"`import {module}` did not finish within "
                               f"{timeout:g} s", kind="timeout", warnings=printed)
    if getattr(result, "signal", None) and failed is None:
        from torchdoctor.probes.torch_runtime import signal_name

        return CompanionImport(name, module, "crashed", seconds,
                               f"`import {module}` killed the interpreter ({signal_name(result.signal)})",  # type: ignore[attr-defined]
                               kind="crashed", warnings=printed)
    text = "\n".join(printed)
    if failed is not None:
        error = home_to_tilde(str(failed.get("error") or "")) or ""
        said = f"{error}\n{failed.get('traceback_tail') or ''}\n{text}"
        torch_for, _, _ = built_for(said)
        return CompanionImport(name, module, "import_failed", failed.get("seconds"), error,
                               str(failed.get("error_type") or "") or None, kind_of(said),
                               _built_for_text(said) if torch_for else None, printed)
    if not loaded:
        absent = [str(m.get("module")) for m in tried if m.get("status") == "absent"]
        why = (f"none of its modules is there ({', '.join(absent)})" if absent else
               getattr(result, "detail", "") or "it printed no answer")
        return CompanionImport(name, module, "not_run", seconds, why, warnings=printed)
    # Imported, but what it printed may still say its binary did not load (xFormers warns and goes on).
    kind = kind_of(text)
    kind = kind if kind in ("built_for", "cpu_only", "abi") else None
    return CompanionImport(name, module, "ok", seconds, kind=kind,
                           built_for=_built_for_text(text) if kind == "built_for" else None, warnings=printed)


# The catalogue's kinds (knowledge/messages/companions.json) -> the import pass's kinds.
_CATALOGUE = {"companion_abi": "abi", "companion_built_for_torch": "built_for", "companion_built_for": "built_for",
              "companion_cpu_only": "cpu_only"}


def kind_of(text: str) -> str:
    """A companion's failure text -> its kind: the message catalogue first, then the loader/import words."""
    from torchdoctor.knowledge.import_errors import companion_kind
    from torchdoctor.messages import classify

    try:
        found = [_CATALOGUE[m.kind] for m in classify(text) if m.kind in _CATALOGUE]
    except Exception:  # noqa: BLE001 - a catalogue that cannot load still leaves the words
        found = []
    for kind in ("built_for", "cpu_only", "abi"):
        if kind in found:
            return kind
    return companion_kind(text)


def _built_for_text(text: str) -> str | None:
    from torchdoctor.knowledge.import_errors import built_for

    torch, cuda, have = built_for(text)
    if not torch:
        return None
    return f"PyTorch {torch}" + (f" with CUDA {cuda}" if cuda else "") + (f" (you have {have})" if have else "")


def import_pass(dists: Iterable[Distribution] | None, python: str | None = None, timeout: float = SECONDS_EACH,
                cwd: str | None = None, torch_seconds: float = 60.0) -> tuple[CompanionImport, ...] | None:
    """Every compiled companion in its own bounded attempt; None when there is none (no child at all).
    Linux: one child imports torch once and forks one process per companion (import_forked); elsewhere, or
    when that child gives no answer, one child per companion, AT_ONCE at a time."""
    todo = compiled(dists or ())
    if not todo:
        return None
    if sys.platform.startswith("linux"):
        found = import_forked(todo, python, timeout, cwd, torch_seconds)
        if found is not None:
            return found
    with ThreadPoolExecutor(max_workers=min(AT_ONCE, len(todo))) as pool:
        return tuple(pool.map(lambda item: import_one(item[0], item[1], python, timeout, cwd), todo))


class _Forked:
    """One fork's entry, shaped as the ChildResult that `read` takes."""

    def __init__(self, entry: dict, timeout: float):
        self.data = entry
        self.stderr = str(entry.get("stderr") or "")
        self.seconds = float(entry.get("seconds") or 0.0)
        self.signal = entry.get("signal") if entry.get("status") == "crashed" else None
        self.status = {"timeout": "timeout", "crashed": "crashed"}.get(str(entry.get("status")), "ok")
        self.detail = ""


def import_forked(todo: Sequence[tuple[str, tuple[str, ...]]], python: str | None, timeout: float,
                  cwd: str | None, torch_seconds: float) -> tuple[CompanionImport, ...] | None:
    """One child: torch imported once, one fork per companion with its own deadline. None when the child gave
    no per-companion answer (the caller falls back to one child each)."""
    from torchdoctor.child import interpret
    from torchdoctor.runner import child_env, run

    argv = [python or sys.executable, "-c", BOOTSTRAP, CHILD, "--fork", f"{timeout:g}",
            *(f"{name}={','.join(mods)}" for name, mods in todo)]
    try:
        result = interpret(run(argv, timeout=torch_seconds + timeout + 5.0, env=child_env(), cwd=cwd))
    except Exception:  # noqa: BLE001 - a probe never raises: fall back
        return None
    data = result.data or {}
    if data.get("torch_error"):
        why = f"not tried: `import torch` failed ({str(data['torch_error'])[:200]})"
        return tuple(CompanionImport(name, mods[0], "not_run", error=why) for name, mods in todo)
    forked = data.get("forked")
    if not isinstance(forked, dict):
        return None
    out = []
    for name, mods in todo:
        entry = forked.get(name)
        if not isinstance(entry, dict):
            out.append(CompanionImport(name, mods[0], "not_run", error="the import child gave no answer for it"))
            continue
        out.append(read(name, mods, _Forked(entry, timeout), timeout))
    return tuple(out)
