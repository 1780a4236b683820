"""How a patient script answers the doctor: one marked JSON line on stdout.

torchdoctor/child.py (the doctor's side) reads the last such line; anything else printed is kept
as text. The marker is spelled in both files (neither may import the other); a test pins them equal.
"""

import json
import sys

MARKER = "@@TORCHDOCTOR@@"


def answer(data):
    """Print the whole answer so far (NaN-free, default=str); the doctor keeps the last one."""
    sys.stdout.write("\n" + MARKER + json.dumps(data, default=str) + "\n")
    sys.stdout.flush()
