"""The patient: everything that runs INSIDE the user's (target) interpreter.

The rule, which tests/e2e/test_patient_isolation.py and tests/unit/test_layers.py hold:

- Code here imports only the standard library (and `torch`, the thing it examines, inside the
  functions that examine it). It never imports `torchdoctor`: the target may not have it, or may
  have another version of it.
- It loads its siblings, and torchdoctor/privacy.py (stdlib-only), BY FILE PATH through one
  small loader, `_load.py` (importlib.util.spec_from_file_location).
- The doctor starts these files with the target interpreter as scripts (`python FILE`, or
  `python -c BOOTSTRAP FILE` where sys.path[0] must stay the working directory, as for the
  user's own `python -c "import torch"`). It never puts the doctor's package folder or its
  site-packages on the target's sys.path, so the target answers with ITS packages (a numpy
  the doctor has and the target lacks stays missing). Run as a script, this folder is
  sys.path[0]: no file here may be named like a stdlib module, torch or numpy.

The doctor's side imports a few of these modules normally (`torchdoctor.patient.distributions`
to read its own env, `workloads` constants): they behave the same there.
"""

import os

FOLDER = os.path.dirname(os.path.abspath(__file__))


def script(name: str) -> str:
    """The path of one patient script (`script("torch_child")`), for the doctor to start."""
    return os.path.join(FOLDER, name + ".py")
