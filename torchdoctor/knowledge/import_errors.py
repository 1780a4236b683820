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


# A compiled companion's failure (xformers, flash-attn, bitsandbytes, torch-scatter, ...), first match wins.
# "abi": an undefined C++ symbol of torch's own namespaces (c10::, at::, torch::, caffe2::) -- the binary
# was built against another torch, or with the other C++11 ABI flag (std::__cxx11 in the symbol);
# "built_for": the package names the torch it was built for; "cpu_only": a CPU-only binary of a GPU package.
_COMPANION_KINDS = (
    ("built_for", re.compile(r"built for:?\s*PyTorch\s+\S+|was compiled (?:against|for) (?:PyTorch|torch)", re.I)),
    ("cpu_only", re.compile(r"compiled without GPU support|CPU[- ]only (?:version|build|binary)|"
                            r"libbitsandbytes_cpu\.(?:so|dll|dylib)", re.I)),
    ("abi", re.compile(r"undefined symbol:?\s*_ZN?K?\d*(?:3c10|2at|5torch|6caffe2)|"
                       r"Symbol not found:?\s*_+ZN?K?\d*(?:3c10|2at|5torch)", re.I)),
    ("undefined_symbol", re.compile(r"undefined symbol|Symbol not found", re.I)),
    ("missing_library", re.compile(r"cannot open shared object file|Library not loaded|DLL load failed|WinError 126",
                                   re.I)),
    ("not_installed", re.compile(r"No module named", re.I)),
)
_BUILT_FOR = re.compile(r"built for:?\s*(PyTorch\s+(?P<torch>[\w.+]+)(?:\s+with CUDA\s+(?P<cuda>\d+))?)"
                        r"(?:\s*\(you have (?P<have>[\w.+]+)\))?", re.I)
_CXX11 = re.compile(r"__cxx11|cxx11abi", re.I)


def companion_kind(text: str | None) -> str:
    """A companion's import failure (and what it printed) -> its kind; "other" when nothing matches."""
    for kind, pattern in _COMPANION_KINDS:
        if pattern.search(text or ""):
            return kind
    return "other"


def built_for(text: str | None) -> tuple[str | None, str | None, str | None]:
    """xFormers' 'built for: PyTorch 2.1.2+cu121 with CUDA 1201 (you have 2.1.2+cpu)' ->
    ('2.1.2+cu121', '1201', '2.1.2+cpu'); (None, None, None) when the text does not say."""
    m = _BUILT_FOR.search(text or "")
    if not m:
        return None, None, None
    return m.group("torch"), m.group("cuda"), m.group("have")


def names_cxx11_abi(text: str | None) -> bool:
    """The missing symbol carries std::__cxx11 (or the wheel says cxx11abi): the C++11 ABI flag differs."""
    return bool(_CXX11.search(text or ""))
