"""The interpreter we run in: version, implementation, bitness, free-threading, env kind, installers."""

from __future__ import annotations

import os
import platform
import shutil
import struct
import sys
import sysconfig
from pathlib import Path
from typing import Callable, Mapping

from torchdoctor.facts import ProbeNote, PythonFacts
from torchdoctor.probes._util import Stopwatch, tilde

INSTALLERS = ("pip", "uv", "conda", "mamba")


def env_kind(prefix: str, base_prefix: str, environ: Mapping[str, str]) -> str:
    """"conda" | "venv" | "system" for the interpreter living in `prefix`.

    A conda env has conda-meta/ in its prefix (also when not activated); a venv (venv,
    virtualenv, uv) has a prefix that differs from the base one.
    """
    if (Path(prefix) / "conda-meta").is_dir():
        return "conda"
    if prefix != base_prefix or environ.get("VIRTUAL_ENV") == prefix:
        return "venv"
    return "system"


def installers_on_path(which: Callable[[str], "str | None"] = shutil.which) -> tuple[str, ...]:
    found = []
    for tool in INSTALLERS:
        if which(tool) or (tool == "pip" and which("pip3")):
            found.append(tool)
    return tuple(found)


def is_free_threaded() -> bool:
    return bool(sysconfig.get_config_var("Py_GIL_DISABLED"))


def _include() -> str | None:
    try:
        return tilde(sysconfig.get_paths()["include"])
    except Exception:  # noqa: BLE001
        return None


def probe_python(
    environ: Mapping[str, str] | None = None,
    which: Callable[[str], "str | None"] = shutil.which,
) -> tuple[PythonFacts, ProbeNote]:
    clock = Stopwatch()
    environ = os.environ if environ is None else environ
    facts = PythonFacts(
        version=platform.python_version(),  # "3.14.0rc1" keeps the pre-release tag
        implementation=sys.implementation.name,
        bits=struct.calcsize("P") * 8,
        free_threaded=is_free_threaded(),
        executable=tilde(sys.executable),
        env_kind=env_kind(sys.prefix, getattr(sys, "base_prefix", sys.prefix), environ),
        tools=installers_on_path(which),
        include=_include(),
    )
    return facts, ProbeNote("python", True, clock.seconds)
