"""`torchdoctor smoke`: prove the install trains.

The workloads run inside a child interpreter per device (torchdoctor/patient/smoke_child.py
and workloads.py); verdict.py judges the answers (pure); devices.py finds which devices exist.

This package is also what `torchdoctor.smoke` names, so calling it runs the Python API's
`torchdoctor.api.smoke(...)` (a package attribute cannot be both a module and a function).
"""

import sys
import types


class _CallablePackage(types.ModuleType):
    def __call__(self, *args, **kwargs):
        from torchdoctor.api import smoke

        return smoke(*args, **kwargs)


sys.modules[__name__].__class__ = _CallablePackage
