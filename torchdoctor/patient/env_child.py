"""The environment child: what an installer must know about the target interpreter.

Stdlib-only, self-contained and written to run on any Python from 2.7 on (an old
interpreter must still say which Python it is), under the *target* interpreter (never imports torch):
its Python, whether it is a venv or a conda env, whether its installation is
externally managed (PEP 668), whether it has pip, and its torch-family distributions.
It prints one marked JSON line, like torch_child.py. It writes that line itself and loads
the distributions scan (Python 3 only) inside a try: on 2.7 the loader fails, and the answer
still says which Python this is. For the same reason its Python facts are its own, not
whoami.py's: `install` asks this one child everything, and on 2.7 no sibling can be loaded
(importlib.util is missing, and runpy's namespaces are cleared when it returns).
"""

import json
import os
import sys
import sysconfig

MARKER = "@@TORCHDOCTOR@@"  # answer.py's marker (that module needs the Python 3 loader)


def externally_managed():
    """PEP 668: an EXTERNALLY-MANAGED file in the stdlib folder, and not inside a venv."""
    if sys.prefix != getattr(sys, "base_prefix", sys.prefix):
        return False
    try:
        return os.path.isfile(os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED"))
    except Exception:  # noqa: BLE001
        return False


def has_module(name):
    try:
        import importlib.util

        return importlib.util.find_spec(name) is not None
    except ImportError:  # Python 2
        import pkgutil

        return pkgutil.find_loader(name) is not None


def main():
    import platform

    out = {
        "python": {
            "version": platform.python_version(),
            "implementation": getattr(getattr(sys, "implementation", None), "name", "cpython"),
            "bits": 64 if sys.maxsize > 2 ** 32 else 32,
            "free_threaded": bool(sysconfig.get_config_var("Py_GIL_DISABLED")),
            "executable": sys.executable,
            "prefix": sys.prefix,
            "base_prefix": getattr(sys, "base_prefix", sys.prefix),
        },
        "venv": sys.prefix != getattr(sys, "base_prefix", sys.prefix),
        "conda": os.path.isdir(os.path.join(sys.prefix, "conda-meta")),
        "externally_managed": externally_managed(),
        "has_pip": has_module("pip"),
    }
    try:
        import runpy

        load = runpy.run_path(os.path.join(os.path.dirname(os.path.abspath(__file__)), "_load.py"))["load"]
        out["distributions"] = load("distributions").scan(sys.path, sys.prefix)
    except Exception as exc:  # noqa: BLE001
        out["distributions_error"] = "%s: %s" % (type(exc).__name__, exc)
    sys.stdout.write("\n" + MARKER + json.dumps(out, default=str) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
