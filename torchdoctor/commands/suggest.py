"""`torchdoctor suggest`: detect (or describe) the machine, plan the install, render it.

Options that describe another machine override what is detected here. When --os names
another OS than this one, this machine's driver, GPUs and libc are not carried over
(they belong to this OS), and --arch defaults to that OS's usual one.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import replace

from torchdoctor.errors import UsageError
from torchdoctor.shell import check_arg

OS_NAMES = {"linux": "linux", "windows": "windows", "win": "windows", "macos": "macos", "darwin": "macos",
            "mac": "macos", "osx": "macos"}
ARCH_NAMES = {"x86_64": "x86_64", "amd64": "x86_64", "x64": "x86_64", "aarch64": "aarch64", "arm64": "arm64",
              "x86": "x86", "i386": "x86", "i686": "x86"}
_PY_RE = re.compile(r"^(3)\.(\d{1,2})(?:\.\d+)?(t?)$")
_GPU_NAME_MAX = 200  # names as tools print them reach ~100 characters (lspci lines with ids)
_CC_RE = re.compile(r"^(?:sm_?|compute_?)?(\d{1,2})\.?(\d)$", re.I)


def run_suggest(torch: str | None = None, with_: str | None = None, json_out: bool = False, fmt: str = "pip",
                os_: str | None = None, arch: str | None = None, python_version: str | None = None,
                driver: str | None = None, gpus: list[str] | tuple[str, ...] = (), index_base: str | None = None,
                facts=None, python: str | None = None) -> int:
    report = suggest_report(torch=torch, with_=with_, fmt=fmt, os_=os_, arch=arch, python_version=python_version,
                            driver=driver, gpus=gpus, index_base=index_base, facts=facts, python=python)
    if json_out:
        sys.stdout.write(report.json())
    else:
        from torchdoctor.render.suggest import render_suggest

        render_suggest(report.result, fmt=report.fmt, target=report.target)
    return report.exit_code


def suggest_report(torch: str | None = None, with_: str | None = None, fmt: str = "pip", os_: str | None = None,
                   arch: str | None = None, python_version: str | None = None, driver: str | None = None,
                   gpus: list[str] | tuple[str, ...] = (), index_base: str | None = None, facts=None,
                   python: str | None = None, search: bool = True):
    """Validate, detect (or take `facts`), plan: the SuggestReport the CLI renders and the API returns.

    The Python planned for is --python-version, else the target interpreter's (torchdoctor.target),
    asked in a quick child unless it is the doctor's own; `facts` given (tests): exactly those."""
    from torchdoctor.api import SuggestReport
    from torchdoctor.knowledge import load
    from torchdoctor.plan import plan_install

    k = load()
    request = validated_request(torch=torch, with_=with_, fmt=fmt, index_base=index_base, k=k)
    fmt = request.fmt

    if python is not None and python_version is not None:
        raise UsageError("--python and --python-version cannot be combined: each names the Python to plan for")
    described = describe(os_=os_, arch=arch, python_version=python_version, driver=driver, gpus=gpus, k=k)
    target = None
    if facts is None:
        from torchdoctor.probes import gather_machine
        from torchdoctor.target import resolve_target

        if python_version is None:
            target = resolve_target(python, search=search)
        asking = _ask_python(target) if target is not None and not _same_binary(target) else None
        facts = gather_machine()  # while the target's child starts
        if asking is not None:
            facts = facts.with_(python=_target_python(target, asking, facts.python))
    facts = apply_description(facts, described)

    try:
        result = plan_install(facts, k, request)
    except ValueError as exc:  # a pinned version/variant the tables do not know
        raise UsageError(str(exc)) from None
    return SuggestReport(result=result, fmt=fmt, origin=facts.origin, exit_code=0 if result.plan is not None else 1,
                         target=target)


_ASK_SECONDS = 10.0


def _ask_python(target):
    """Start asking the target for its Python facts in a thread; `_target_python` collects the answer."""
    import threading

    from torchdoctor.probes.torch_runtime import probe_python_of

    box: dict = {}
    thread = threading.Thread(target=lambda: box.update(answer=probe_python_of(target.executable, _ASK_SECONDS)),
                              name="target-python", daemon=True)
    thread.start()
    return thread, box


def _same_binary(target) -> bool:
    """The doctor's own interpreter binary (a venv's python links to its base): its version, bits
    and free-threading are ours, so no child needs to be asked."""
    if target.is_self:
        return True
    try:
        return os.path.samefile(os.path.realpath(target.executable), os.path.realpath(sys.executable))
    except OSError:
        return False


def _target_python(target, asking, own):
    """The target interpreter's PythonFacts (the installers found on PATH are the same as ours)."""
    thread, box = asking
    thread.join(_ASK_SECONDS + 5.0)  # the runner's own deadline ends it first
    py, why = box.get("answer") or (None, f"no answer within {_ASK_SECONDS:g} s")
    if py is None:
        raise UsageError(f"{target.reason}: {target.display} did not run as a Python interpreter ({why}); "
                         "--python-version plans without asking it")
    return replace(py, tools=own.tools) if own is not None else py


def validated_request(torch: str | None = None, with_: str | None = None, fmt: str = "pip",
                      index_base: str | None = None, k=None):
    """--torch/--with/--format/--index-base, checked, as the planner's request (suggest and install)."""
    from torchdoctor.plan import COMPANIONS, DEFAULT_INDEX_BASE, FORMATS, PlanRequest

    fmt = (fmt or "pip").lower()
    if fmt not in FORMATS:
        raise UsageError(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    companions = tuple(dict.fromkeys(p.strip().lower() for p in (with_ or "").split(",") if p.strip()))
    for pkg in companions:
        if pkg not in COMPANIONS:
            raise UsageError(f"--with accepts {', '.join(COMPANIONS)}, not {pkg!r}")
    if torch is not None:
        _check_torch(torch, k)
    base = index_base or os.environ.get("TORCHDOCTOR_INDEX_BASE") or DEFAULT_INDEX_BASE
    check_arg(base, "--index-base (or TORCHDOCTOR_INDEX_BASE)")
    if not re.match(r"^(https?|file)://\S+$", base):
        raise UsageError(f"--index-base must be an http(s):// or file:// URL, not {base!r}")
    return PlanRequest(torch=torch, with_=companions, fmt=fmt, index_base=base)


def _check_torch(text: str, k) -> None:
    rel = k.release(text)
    if rel is None:
        known = ", ".join(r.series for r in reversed(k.releases))
        raise UsageError(f"unknown torch version {text!r} (known releases: {known})")
    base, _, variant = text.strip().partition("+")
    if base.count(".") == 2 and base not in rel.versions:
        raise UsageError(f"unknown torch version {text!r} ({rel.series} has {', '.join(rel.versions)})")
    row = rel.at(base) if base in rel.versions else rel  # a patch may differ from its series (2.12.0: no cu129)
    if variant and row.variant(variant) is None and variant not in row.pypi_default.values():
        names = ", ".join(sorted({v.name for v in row.variants}))
        raise UsageError(f"torch {base if row is not rel else rel.series} has no {variant!r} build (known: {names})")


# ------------------------------------------------------------------------------ describing a machine
def describe(os_=None, arch=None, python_version=None, driver=None, gpus=(), k=None) -> dict:
    """Validate the --os/--arch/--python-version/--driver/--gpu options into overrides."""
    out: dict = {}
    if os_ is not None:
        name = OS_NAMES.get(os_.strip().lower())
        if name is None:
            raise UsageError(f"unknown --os {os_!r} (use linux, windows or macos)")
        out["os"] = name
    if arch is not None:
        a = ARCH_NAMES.get(arch.strip().lower())
        if a is None:
            raise UsageError(f"unknown --arch {arch!r} (use x86_64, aarch64, arm64 or x86)")
        out["arch"] = a
    if python_version is not None:
        m = _PY_RE.match(python_version.strip())
        if not m:
            raise UsageError(f"malformed --python-version {python_version!r} (e.g. 3.12, or 3.13t for free-threaded)")
        out["python"] = (f"{m.group(1)}.{int(m.group(2))}", bool(m.group(3)))
    if driver is not None:
        d = driver.strip().lower()
        if d == "none":
            out["driver"] = None
        elif re.fullmatch(r"\d{3}(\.\d{1,3}){0,2}", d):
            out["driver"] = d
        else:
            raise UsageError(f"malformed --driver {driver!r} (e.g. 535.104.05, or none)")
    if gpus:
        out["gpus"] = tuple(parse_gpu(spec, k) for spec in gpus)
    return out


def parse_gpu(spec: str, k):
    """'8.6' | 'sm_86' | 'RTX 3090' | 'gfx1100' | 'xpu' -> Gpu."""
    from torchdoctor.facts import Gpu

    text = spec.strip()
    low = text.lower()
    if not text:
        raise UsageError("empty --gpu")
    m = _CC_RE.match(low)
    if m:
        cc = (int(m.group(1)), int(m.group(2)))
        if not (3 <= cc[0] <= 13):
            raise UsageError(f"malformed --gpu {spec!r}: compute capability {cc[0]}.{cc[1]} does not exist")
        return Gpu(vendor="nvidia", capability=cc, source="user")
    if re.fullmatch(r"gfx[0-9a-f]{3,4}", low):
        return Gpu(vendor="amd", gfx=low, source="user")
    if low in ("xpu", "intel", "arc"):
        return Gpu(vendor="intel", name="Intel GPU (xpu)", kind="arc", source="user")
    if low in ("mps", "apple"):
        return Gpu(vendor="apple", name="Apple GPU", source="user")
    # Any name a tool prints: "NVIDIA GeForce RTX 3060 Laptop GPU", "GA106M [GeForce RTX 3060 Mobile / Max-Q]",
    # "Intel(R) Arc(TM) A770 Graphics", "AMD Radeon(TM) RX 7900 XTX"; the vendor comes from the name.
    if len(text) <= _GPU_NAME_MAX and re.search(r"[a-z]", low) and not re.search(r"[\x00-\x1f\x7f]", text):
        ident = k.identify_gpu(text) if k is not None else None
        if ident is not None and ident.vendor == "nvidia" and ident.capability:
            return Gpu(vendor="nvidia", name=text, capability=ident.capability, source="user")
        if ident is not None and ident.vendor == "amd" and ident.gfx:
            return Gpu(vendor="amd", name=text, gfx=ident.gfx, source="user")
        if ident is not None and ident.vendor == "intel" and ident.kind:
            return Gpu(vendor="intel", name=text, kind=ident.kind, source="user")
        why = f" ({ident.reason})" if ident is not None and ident.reason else ""
        raise UsageError(f"unknown GPU {spec!r}{why}: give what it runs instead (e.g. --gpu 8.6 or sm_86 for "
                         "NVIDIA, --gpu gfx1100 for AMD, --gpu xpu for Intel Arc, --gpu mps for Apple Silicon)")
    raise UsageError(f"malformed --gpu {spec[:80]!r} (use 8.6, sm_86, \"RTX 3090\", gfx1100 or xpu; a GPU name is at "
                     f"most {_GPU_NAME_MAX} characters)")


def apply_description(facts, d: dict):
    """Overlay the described parts on the detected facts."""
    if not d:
        return facts
    from torchdoctor.facts import NvidiaFacts, PlatformFacts, PythonFacts

    plat = facts.platform or PlatformFacts(os="unknown", arch="unknown")
    py = facts.python or PythonFacts(version="3.12")
    nvidia, gpus = facts.nvidia, facts.gpus
    if "os" in d and d["os"] != plat.os:
        # Another OS: this machine's hardware facts and libc do not describe it.
        default_arch = "arm64" if d["os"] == "macos" else "x86_64"
        plat = PlatformFacts(os=d["os"], arch=d.get("arch", default_arch))
        nvidia, gpus = None, ()
    elif "arch" in d:
        plat = replace(plat, arch=d["arch"])
    if "arch" in d:
        plat = replace(plat, arch=d["arch"])
    if "python" in d:
        version, ft = d["python"]
        py = PythonFacts(version=version, free_threaded=ft, bits=32 if plat.arch == "x86" else 64)
    elif plat.arch == "x86":
        py = replace(py, bits=32)
    if "driver" in d:
        nvidia = NvidiaFacts(driver=d["driver"], source="user")
    if "gpus" in d:
        gpus = d["gpus"]
    return facts.with_(origin="described", platform=plat, python=py, nvidia=nvidia, gpus=gpus)
