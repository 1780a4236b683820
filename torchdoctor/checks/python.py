"""python.*: the interpreter has torch wheels and still gets fixes."""

from __future__ import annotations


from torchdoctor.checks import areas
from torchdoctor.checks.fixes import plan_command
from torchdoctor.checks.registry import check
from torchdoctor.checks.views import base_version, minor
from torchdoctor.facts import Facts
from torchdoctor.findings import Finding, Fix, error, warning
from torchdoctor.knowledge import Knowledge


@check("python.unsupported", areas.PYTHON, "Python version and bitness have torch wheels", needs=("python",))
def python_unsupported(f: Facts, k: Knowledge | None) -> Finding | None:
    py = f.python
    if py.bits == 32:
        return error(f"Python {py.version} is a 32-bit interpreter; PyTorch publishes 64-bit wheels only, so pip "
                     "finds no torch for it ('from versions: none').",
                     Fix("Install a 64-bit CPython of a supported version and recreate the environment."))
    if k is None or (f.runtime is not None and f.runtime.status == "ok"):
        return None  # torch imports: whatever the tables say, this Python runs it
    series = "{}.{}".format(*minor(py.version))
    supported = sorted({p for r in k.releases for p in (*r.pythons, *r.python_limited)}, key=minor)
    if not supported or series in supported:
        return None
    if minor(series) < minor(supported[0]):
        last = k.python_too_old.get(series)
        stay = (f" To stay on Python {series}: torch {last} was the last release with wheels for it "
                f"(old and unsupported).") if last else ""
        from torchdoctor.knowledge import python_life

        life = python_life(series)
        if life is not None and life.ended():
            stay = f" Python {series} reached its end of life on {_when(life.end_of_life)}." + stay
        recommended = k.recommended_python()
        return error(f"Python {py.version} is older than every PyTorch release this doctor knows supports "
                     f"(the oldest needs Python {supported[0]}).{stay}",
                     Fix(f"Install Python {recommended} (torch {k.releases[0].version} supports it) and recreate "
                         "the environment."))
    return warning(f"No PyTorch release known to this doctor (tables as of {k.as_of}) publishes wheels for Python "
                   f"{series}; the newest supported is Python {supported[-1]}.",
                   Fix(f"Use Python {supported[-1]} for PyTorch, or check https://pytorch.org for a newer release."))


def _when(date: str | None) -> str:
    """"2021-12-23" stays; "2026-10" -> "October 2026"."""
    import calendar

    if not date or len(date) != 7:
        return date or ""
    return f"{calendar.month_name[int(date[5:])]} {date[:4]}"


@check("python.end_of_life", areas.PYTHON, "Python still gets fixes and new torch releases", needs=("python",))
def python_end_of_life(f: Facts, k: Knowledge | None) -> Finding | None:
    from torchdoctor.knowledge import python_life

    py = f.python
    life = python_life(py.version)
    if life is None or k is None or not life.ended() or py.implementation not in ("cpython", None):
        return None
    if python_unsupported(f, k) is not None:
        return None  # no torch installs at all: python.unsupported says it (with these dates)
    os_name = f.platform.os if f.platform is not None else ""
    last = life.last_torch.get(os_name) or (max(life.last_torch.values(), key=minor) if life.last_torch else None)
    newest = k.releases[0]
    ended = (f"reached its {'planned ' if life.planned else ''}end of life {'in' if len(life.end_of_life) == 7 else 'on'} "
             f"{_when(life.end_of_life)} (no more security fixes)")
    if last and base_version(last) != newest.versions[-1]:
        released = f" ({_when(life.last_torch_released)})" if life.last_torch_released else ""
        tail = (f", and torch {last}{released} was the last PyTorch release with wheels for Python {life.series}: "
                f"no newer torch will install here; current torch {newest.versions[-1]} needs Python "
                f"{newest.pythons[0]} or newer.")
    else:
        tail = "; PyTorch will stop publishing wheels for it."
    return warning(f"Python {py.version} {ended}{tail}", _new_python_fix(f, k))


def _new_python_fix(f: Facts, k: Knowledge | None) -> Fix:
    """How to get a current Python, and the torch this machine gets with it (the planner's command)."""
    from dataclasses import replace

    rec = k.recommended_python()
    fresh = f.with_(python=replace(f.python, version=f"{rec}.0"), runtime=None, distributions=None, extra={})
    command, torch = plan_command(fresh, k, fmt="uv")  # a uv venv has no pip of its own
    windows = f.platform is not None and f.platform.os == "windows"
    get = ("the python.org installer (https://www.python.org/downloads/windows/), " if windows else "") + \
        f"`uv python install {rec}`, `pyenv install {rec}` or `conda create -n torch python={rec}`"
    gives = (f"; with Python {rec} this machine gets torch {torch}" if torch
             else f"; then ask `torchdoctor suggest --python-version {rec}` for the torch command")
    activate = ".venv\\Scripts\\activate" if windows else ". .venv/bin/activate"
    commands = (f"uv python install {rec}", f"uv venv --python {rec} .venv", activate) + ((command,) if command else ())
    return Fix(f"Install a current Python ({get}), make a new environment with it and install torch there{gives}.",
               commands)
