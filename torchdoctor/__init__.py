"""torchdoctor: a command-line doctor for PyTorch installs.

The package never imports torch in its own process: torch is what it examines.
`torchdoctor.check()`, `.suggest()`, `.smoke()` (the Python API, torchdoctor.api) are
loaded on first use, so `import torchdoctor` stays cheap.
"""

from torchdoctor._version import __version__

_API = ("check", "suggest", "smoke", "fleet_report", "CheckReport", "SuggestReport", "SmokeReport")
__all__ = ["__version__", *_API]


def __getattr__(name: str):
    if name in _API:
        from torchdoctor import api

        return getattr(api, name)
    raise AttributeError(f"module 'torchdoctor' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_API))
