"""`check`'s request."""

from __future__ import annotations

from dataclasses import dataclass

from torchdoctor.errors import UsageError
from torchdoctor.limits import check_timeout
from torchdoctor.requests import python_option

@dataclass(frozen=True)
class CheckRequest:
    python: str | None = None  # --python: an interpreter, an env folder or a command on PATH
    from_: str | None = None  # --from: a recorded machine (a path, or "-" for stdin)
    timeout: float = 60.0  # seconds for the torch import probe
    strict: bool = False  # warnings and crashed checks fail too
    search: bool = True  # False (the API): without --python, the caller's own interpreter
    build_toolchain: bool = False  # --build: judge the extension-build toolchain even when no build looks likely

    @classmethod
    def build(cls, python: str | None = None, from_: str | None = None, timeout: float = 60.0,
              strict: bool = False, search: bool = True, build: bool = False) -> "CheckRequest":
        if from_ is not None and python is not None:
            raise UsageError("--from and --python cannot be combined: --from judges a recorded machine")
        return cls(python_option(python), from_, check_timeout(timeout), bool(strict), search, bool(build))
