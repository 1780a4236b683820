"""`suggest`'s request: a described or detected machine, and what to plan."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any, Iterable

from torchdoctor.errors import UsageError
from torchdoctor.facts import Gpu
from torchdoctor.shell import check_arg
from torchdoctor.requests import DEFAULT_INDEX_BASE, PLAN_FORMATS, COMPANIONS, PlanRequest, python_option

_PY_RE = re.compile(r"^(3)\.(\d{1,2})(?:\.\d+)?(t?)$")
_GPU_NAME_MAX = 200  # names as tools print them reach ~100 characters (lspci lines with ids)
_CC_RE = re.compile(r"^(?:sm_?|compute_?)?(\d{1,2})\.?(\d)$", re.I)
_ARCH_CHOICES = ("x86_64", "aarch64", "arm64", "x86")


@dataclass(frozen=True)
class Description:
    """The parts of a machine described with --os/--arch/--python-version/--driver/--gpu (None: detect)."""

    os: str | None = None
    arch: str | None = None
    python: tuple[str, bool] | None = None  # ("3.13", free-threaded)
    driver: str | None = None
    no_driver: bool = False  # --driver none
    gpus: tuple[Gpu, ...] | None = None

    @property
    def empty(self) -> bool:
        return self == Description()


@dataclass(frozen=True)
class SuggestRequest:
    plan: PlanRequest
    described: Description = Description()
    python: str | None = None  # --python: plan for that interpreter's Python
    search: bool = True
    online: bool = False  # --online: look at the plan's index page (bounded, cached)

    @classmethod
    def build(cls, torch: str | None = None, with_: str | Iterable[str] | None = None, fmt: str = "pip",
              os_: str | None = None, arch: str | None = None, python_version: str | None = None,
              driver: str | None = None, gpus: Iterable[str] = (), index_base: str | None = None,
              python: str | None = None, search: bool = True, knowledge: Any = None,
              mirror: str | None = None, online: bool = False) -> "SuggestRequest":
        k = knowledge if knowledge is not None else _knowledge()
        plan = plan_request(torch=torch, with_=with_, fmt=fmt, index_base=index_base, k=k, mirror=mirror)
        if python is not None and python_version is not None:
            raise UsageError("--python and --python-version cannot be combined: each names the Python to plan for")
        described = describe(os_=os_, arch=arch, python_version=python_version, driver=driver, gpus=tuple(gpus))
        return cls(plan, described, python_option(python), search, bool(online))


def plan_request(torch: str | None = None, with_: str | Iterable[str] | None = None, fmt: str = "pip",
                 index_base: str | None = None, k: Any = None, mirror: str | None = None) -> PlanRequest:
    """--torch/--with/--format/--index-base, checked, as the planner's request (suggest and install)."""
    fmt = (fmt or "pip").lower()
    if fmt not in PLAN_FORMATS:
        raise UsageError(f"--format must be one of {', '.join(PLAN_FORMATS)}, not {fmt!r}")
    companions = tuple(dict.fromkeys(p.strip().lower() for p in _split(with_) if p.strip()))
    for pkg in companions:
        if pkg not in COMPANIONS:
            raise UsageError(f"--with accepts {', '.join(COMPANIONS)}, not {pkg!r}")
    if torch is not None:
        _check_torch(torch, k if k is not None else _knowledge())
    base = index_base or os.environ.get("TORCHDOCTOR_INDEX_BASE") or DEFAULT_INDEX_BASE
    check_arg(base, "--index-base (or TORCHDOCTOR_INDEX_BASE)")
    if not re.match(r"^(https?|file)://\S+$", base):
        raise UsageError(f"--index-base must be an http(s):// or file:// URL, not {base!r}")
    name = mirror_option(mirror, index_base or os.environ.get("TORCHDOCTOR_INDEX_BASE"))
    return PlanRequest(torch=torch, with_=companions, fmt=fmt, index_base=base, mirror=name)


def mirror_option(mirror: str | None, index_base: str | None) -> str | None:
    """--mirror NAME (or TORCHDOCTOR_MIRROR) checked against mirrors.json; an --index-base that is a known
    mirror takes that mirror's layout (Aliyun's base gets -f, not --index-url). A known-wrong name or URL
    (TUNA) is a usage error that says why and which mirror works. mirrors.json loads only when asked."""
    text = mirror if mirror is not None else os.environ.get("TORCHDOCTOR_MIRROR") or None
    if text is None and not index_base:
        return None
    from torchdoctor.knowledge import mirrors as mk

    if text is not None:
        check_arg(text, "--mirror (or TORCHDOCTOR_MIRROR)")
        if index_base:
            raise UsageError("--mirror and --index-base (or TORCHDOCTOR_MIRROR and TORCHDOCTOR_INDEX_BASE) name "
                             "two places to install from: give one")
        found = mk.find(text)
        if found is None:
            raise UsageError(f"unknown --mirror {text[:60]!r} (known: {', '.join(mk.names())}; any other mirror "
                             "of download.pytorch.org/whl: --index-base URL)")
        if isinstance(found, mk.WrongMirror):
            raise UsageError(_wrong_line(f"--mirror {text.strip()}", found))
        return found.name
    wrong = mk.wrong_url(index_base or "")
    if wrong is not None:
        raise UsageError(_wrong_line(f"--index-base {index_base}", wrong))
    known = mk.mirror_of_url(index_base or "")
    if known is not None and known.layout != "index":
        return known.name  # the known layout wins over what --index-base implies
    return None


def _wrong_line(what: str, wrong: Any) -> str:
    from torchdoctor.knowledge.mirrors import by_name

    instead = by_name(wrong.instead)
    return (f"{what}: {wrong.why}. A mirror that serves PyTorch's builds: --mirror {instead.name} "
            f"({instead.variant_url('<variant>')}).")


def _split(with_: str | Iterable[str] | None) -> list[str]:
    if with_ is None:
        return []
    if isinstance(with_, str):
        return with_.split(",")
    return [p for item in with_ for p in str(item).split(",")]


def _check_torch(text: str, k: Any) -> None:
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


def describe(os_: str | None = None, arch: str | None = None, python_version: str | None = None,
             driver: str | None = None, gpus: tuple[str, ...] = ()) -> Description:
    """Validate the --os/--arch/--python-version/--driver/--gpu options into a Description."""
    from torchdoctor.knowledge.platforms import arch_name, os_name

    out: dict[str, Any] = {}
    if os_ is not None:
        name = os_name(os_) if os_.strip().lower() not in ("cygwin", "msys", "mingw") else None
        if name not in ("linux", "windows", "macos"):
            raise UsageError(f"unknown --os {os_!r} (use linux, windows or macos)")
        out["os"] = name
    if arch is not None:
        a = arch_name(arch)
        # arm64 stays as typed: the planner names it aarch64 on Linux and arm64 on macOS
        a = "arm64" if arch.strip().lower() == "arm64" else a
        if a not in _ARCH_CHOICES:
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
            out["no_driver"] = True
        elif re.fullmatch(r"\d{3}(\.\d{1,3}){0,2}", d):
            out["driver"] = d
        else:
            raise UsageError(f"malformed --driver {driver!r} (e.g. 535.104.05, or none)")
    if gpus:
        out["gpus"] = tuple(parse_gpu(spec) for spec in gpus)
    return Description(**out)


def parse_gpu(spec: str) -> Gpu:
    """'8.6' | 'sm_86' | 'RTX 3090' | 'gfx1100' | 'xpu' -> Gpu."""
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
        from torchdoctor.knowledge.gpu_names import identify  # the one GPU-name resolver; its table loads on use

        ident = identify(text)
        if ident.vendor == "nvidia" and ident.capability:
            return Gpu(vendor="nvidia", name=text, capability=ident.capability, source="user")
        if ident.vendor == "amd" and ident.gfx:
            return Gpu(vendor="amd", name=text, gfx=ident.gfx, source="user")
        if ident.vendor == "intel" and ident.kind:
            return Gpu(vendor="intel", name=text, kind=ident.kind, source="user")
        why = f" ({ident.reason})" if ident.reason else ""
        raise UsageError(f"unknown GPU {spec!r}{why}: give what it runs instead (e.g. --gpu 8.6 or sm_86 for "
                         "NVIDIA, --gpu gfx1100 for AMD, --gpu xpu for Intel Arc, --gpu mps for Apple Silicon)")
    raise UsageError(f"malformed --gpu {spec[:80]!r} (use 8.6, sm_86, \"RTX 3090\", gfx1100 or xpu; a GPU name is at "
                     f"most {_GPU_NAME_MAX} characters)")


def _knowledge() -> Any:
    from torchdoctor.knowledge import load

    return load()
