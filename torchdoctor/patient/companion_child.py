"""The companion child: imports one compiled companion (xformers.ops, flash_attn_2_cuda, torch_scatter, ...)
under the *target* interpreter and says how it went.

check's import pass starts one of these per companion (torchdoctor/probes/companions.py), each with its own
short deadline, so a companion that segfaults or hangs costs only its own attempt. Started as
`python -c <bootstrap> this_file MODULE [MODULE ...]`: sys.path[0] is the working directory, as for the
user's own `python -c "import xformers.ops"`. The modules are tried in order until one fails; a module that
does not exist (another layout of the package) is passed over. Stdlib only (patient rule); it answers after
each module, so a crash still leaves what came before.
"""

import importlib
import os
import runpy
import sys
import time
import traceback
import warnings

load = runpy.run_path(os.path.join(os.path.dirname(os.path.abspath(__file__)), "_load.py"))["load"]
STATE = {"modules": [], "warnings": []}


def answer(**changes):
    STATE.update(changes)
    load("answer").answer(STATE)


def _showwarning(message, category, filename, lineno, file=None, line=None):
    text = "%s: %s" % (category.__name__, message)
    STATE["warnings"].append(text[:2000])
    try:
        sys.stderr.write("warning: " + text + "\n")
        sys.stderr.flush()
    except Exception:  # noqa: BLE001
        pass


def _missing_itself(exc, module):
    """ModuleNotFoundError for this very module (or a parent of it): the package has another layout."""
    name = getattr(exc, "name", None)
    return isinstance(exc, ImportError) and type(exc).__name__ == "ModuleNotFoundError" and \
        name is not None and (module == name or module.startswith(name + "."))


def main(argv):
    warnings.simplefilter("default")
    warnings.showwarning = _showwarning
    for module in argv:
        answer(stage="importing", module=module)
        started = time.monotonic()
        try:
            importlib.import_module(module)
        except BaseException as exc:  # noqa: BLE001 - SystemExit from a broken package too
            if _missing_itself(exc, module):
                STATE["modules"].append({"module": module, "status": "absent"})
                continue
            tb = traceback.format_exception(type(exc), exc, exc.__traceback__)
            STATE["modules"].append({"module": module, "status": "import_failed", "error_type": type(exc).__name__,
                                     "error": str(exc)[:4000], "traceback_tail": "".join(tb[-4:])[-3000:],
                                     "seconds": round(time.monotonic() - started, 4)})
            answer(stage="done")
            return
        STATE["modules"].append({"module": module, "status": "ok", "seconds": round(time.monotonic() - started, 4)})
        answer(stage="imported")
    answer(stage="done")


if __name__ == "__main__":
    main(sys.argv[1:])
