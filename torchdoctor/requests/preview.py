"""`preview`'s request: the install command to preview and the interpreter it is for."""

from __future__ import annotations

from dataclasses import dataclass

from torchdoctor.errors import UsageError
from torchdoctor.limits import check_timeout
from torchdoctor.requests import python_option

# The installer forms preview reads; the interpreter named in `python -m pip` is replaced by the target.
PIP_FORMS = (("pip", "install"), ("pip3", "install"), ("python", "-m", "pip", "install"),
             ("python3", "-m", "pip", "install"), ("py", "-m", "pip", "install"))
UV_FORM = ("uv", "pip", "install")
# Options preview sets itself (and the verbosity that would mix pip's log into its report).
DROPPED = ("--dry-run", "-v", "-vv", "-vvv", "--verbose", "-q", "-qq", "--quiet")
WITH_VALUE = ("--report",)
REFUSED = ("--target", "-t", "--prefix", "--root")


@dataclass(frozen=True)
class PreviewRequest:
    installer: str  # "pip" | "uv"
    args: tuple[str, ...]  # what follows `install`, without the options preview sets itself
    python: str | None = None
    timeout: float = 300.0  # seconds for pip's dry run (it may download metadata)

    @classmethod
    def build(cls, command: tuple[str, ...] | list[str], python: str | None = None,
              timeout: float = 300.0) -> "PreviewRequest":
        from torchdoctor.shell import check_arg

        argv = tuple(command)
        if not argv:
            raise UsageError("preview needs the install command after `--`: torchdoctor preview -- pip install X")
        for a in argv:
            check_arg(a, "the install command")
        installer, rest = _split(argv)
        args: list[str] = []
        skip = False
        for a in rest:
            if skip:
                skip = False
                continue
            if a in DROPPED:
                continue
            if a in WITH_VALUE:
                skip = True
                continue
            if a.startswith("--report="):
                continue
            if a in REFUSED or any(a.startswith(r + "=") for r in REFUSED if r.startswith("--")):
                raise UsageError(f"preview looks at the target environment itself: {a} installs elsewhere")
            args.append(a)
        if not args:
            raise UsageError("the install command names nothing to install")
        return cls(installer, tuple(args), python_option(python), check_timeout(timeout))


def _split(argv: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
    import os

    head = tuple(os.path.basename(a).lower().removesuffix(".exe") if i == 0 else a for i, a in enumerate(argv))
    if head[:3] == UV_FORM:
        return "uv", argv[3:]
    for form in PIP_FORMS:
        n = len(form)
        first = head[0]
        if form[0] in ("python", "python3", "py") and first.startswith("python") and head[1:n] == form[1:]:
            return "pip", argv[n:]
        if head[:n] == form:
            return "pip", argv[n:]
    raise UsageError("preview reads a `pip install ...`, `python -m pip install ...` or `uv pip install ...` "
                     f"command, not `{' '.join(argv[:3])}`")
