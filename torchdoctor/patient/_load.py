"""Load a sibling patient module (or torchdoctor/privacy.py) by file path, never by import.

A patient script gets this loader itself by path too (it cannot import it):

    load = runpy.run_path(os.path.join(os.path.dirname(os.path.abspath(__file__)), "_load.py"))["load"]

Written for every Python that a patient script runs on (env_child.py: 2.7 too, where loading fails
and the caller reports why).
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
# The files outside this folder that patient code may load: stdlib-only by their own rule.
DOCTOR_FILES = {"privacy": os.path.join(os.path.dirname(HERE), "privacy.py")}


def load(name):
    """The module patient/<name>.py (or a DOCTOR_FILES entry), loaded once per interpreter."""
    import importlib.util

    key = "_torchdoctor_patient_" + name
    if key in sys.modules:
        return sys.modules[key]
    path = DOCTOR_FILES.get(name) or os.path.join(HERE, name + ".py")
    spec = importlib.util.spec_from_file_location(key, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[key] = module  # before exec: dataclasses and pickling look their module up
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[key]
        raise
    return module
