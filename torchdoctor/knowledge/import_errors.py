"""What an `import torch` failure's text means: the failure's kind, and the library the loader could not open.

Pure text knowledge, shared by the live probe (probes/torch_runtime), the checks and the paste readers.
"""

from __future__ import annotations

import re

# (kind, pattern) in order: the first that matches the error text names the failure.
_KINDS = (
    ("shadowed", re.compile(r"partially initialized module 'torch'|loaded the `?torch/_C`? folder", re.I)),
    ("dll_init", re.compile(r"WinError 1114")),
    ("dll_load", re.compile(r"WinError 126|DLL load failed", re.I)),
    ("undefined_symbol", re.compile(r"undefined symbol|Symbol not found", re.I)),
    ("missing_library", re.compile(r"cannot open shared object file|Library not loaded|image not found", re.I)),
    ("not_installed", re.compile(r"No module named '?torch'?\s*$|No module named 'torch'")),
    ("c_extensions", re.compile(r"Failed to load PyTorch C extensions", re.I)),
)
_LIBRARY = re.compile(r"([\w.+-]+\.(?:so(?:\.\d+)*|dylib|dll))")
# The library the loader could not open is the one right before this (an error may name others first:
# "Could not load library libcudnn_cnn_infer.so.8. Error: libcuda.so: cannot open shared object file").
_NOT_OPENED = re.compile(r"([\w.+-]+\.so(?:\.\d+)*): cannot open shared object file")


def classify(error_type: str | None, error: str | None, traceback_tail: str | None = None) -> str:
    text = " ".join(x for x in (error_type, error, traceback_tail) if x)
    for kind, pattern in _KINDS:
        if pattern.search(text):
            return kind
    return "other"


def missing_library(error: str | None) -> str | None:
    """'libcudnn.so.9: cannot open shared object file' -> 'libcudnn.so.9'."""
    m = _NOT_OPENED.search(error or "") or _LIBRARY.search(error or "")
    return m.group(1) if m else None
