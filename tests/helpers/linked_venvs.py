"""Virtual environments holding exactly what `pip install torch torchdoctor` would: no numpy.

torch does not depend on numpy, so a fresh `pip install torch` has none; the test interpreter
usually does (matplotlib brings it). Installing torch again per test session would mean a
~200 MB wheel and an index, so the environment is built from this interpreter's own installed
distributions instead: a real `venv` whose site-packages links every file of the requirement
closure of the named distributions (torch, torchdoctor, and numpy only when asked), plus the
console scripts (`torchrun`, `torchdoctor`) written for the new interpreter, as pip writes them.
In it `import numpy` fails exactly as on a plain torch install.
"""

from __future__ import annotations

import importlib.metadata as md
import os
import sysconfig
import venv
from pathlib import Path

from packaging.requirements import Requirement

SCRIPT = "#!{python}\nimport sys\nfrom {module} import {func}\nsys.exit({func}())\n"


def closure(names: list[str]) -> list[md.Distribution]:
    """The named distributions and everything they require here (extras and markers honoured)."""
    seen: dict[str, md.Distribution] = {}
    todo = [Requirement(n) for n in names]
    while todo:
        req = todo.pop()
        key = req.name.lower().replace("_", "-")
        if key in seen:
            continue
        try:
            dist = md.distribution(req.name)
        except md.PackageNotFoundError:
            continue  # not installed here, so not needed by what is
        seen[key] = dist
        for text in dist.requires or ():
            sub = Requirement(text)
            if sub.marker is None or any(sub.marker.evaluate({"extra": e}) for e in ("", *req.extras)):
                todo.append(sub)
    return list(seen.values())


def linked_venv(dest: Path, names: list[str]) -> Path:
    """A venv at dest with the closure of `names` linked in; returns its python."""
    venv.EnvBuilder(symlinks=True, with_pip=False).create(dest)
    python = dest / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    site = Path(sysconfig.get_path("purelib", vars={"base": str(dest), "platbase": str(dest)}))
    for dist in closure(names):
        root = Path(dist.locate_file(""))
        for top in sorted({Path(f).parts[0] for f in dist.files or ()} - {"..", "__pycache__"}):
            src, dst = root / top, site / top
            if src.exists() and not dst.exists():
                dst.symlink_to(src, target_is_directory=src.is_dir())
        for ep in dist.entry_points:
            if ep.group == "console_scripts":
                module, _, func = ep.value.partition(":")
                script = python.parent / ep.name
                script.write_text(SCRIPT.format(python=python, module=module, func=func), encoding="utf-8")
                script.chmod(0o755)
    return python

