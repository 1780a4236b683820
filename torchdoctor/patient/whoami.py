"""The "who are you" child: which Python the target interpreter is, before anything else runs in it.

One child answers every precondition the doctor asks of a target (target.py): does it run at all,
is it Python 3.6 or newer (what the other children need), its version, bits, free-threading,
executable and prefixes (venv, conda). Written for every Python from 2.7 on, and started with
-E -s -S (no site, no user site, no PYTHON* variables), so an old or broken interpreter still
answers, and fast. Run as a script, sys.path[0] is this folder: a stray json.py in the working
directory cannot answer for the stdlib.
"""

import json
import os
import platform
import sys
import sysconfig

MARKER = "@@TORCHDOCTOR@@"  # answer.py's marker (that module needs the Python 3 loader)


def include_dir():
    """Where Python.h must be (Triton and Inductor compile against it)."""
    try:
        return sysconfig.get_paths()["include"]
    except Exception:  # noqa: BLE001 - a broken sysconfig is no answer, not a crash
        return None


def python_facts():
    impl = sys.implementation.name if hasattr(sys, "implementation") else platform.python_implementation().lower()
    return {
        "version": platform.python_version(),
        "implementation": impl,
        "bits": 64 if sys.maxsize > 2 ** 32 else 32,
        "free_threaded": bool(sysconfig.get_config_var("Py_GIL_DISABLED")),
        "executable": sys.executable,
        "machine": platform.machine(),
        "prefix": sys.prefix,
        "base_prefix": getattr(sys, "base_prefix", sys.prefix),
        "conda": os.path.isdir(os.path.join(sys.prefix, "conda-meta")),
        "include": include_dir(),
    }


if __name__ == "__main__":
    sys.stdout.write("\n" + MARKER + json.dumps({"python": python_facts()}) + "\n")
    sys.stdout.flush()
