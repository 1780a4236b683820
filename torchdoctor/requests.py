"""What a command was asked to do: one frozen request per command, validated once.

The CLI (commands/*) and the Python API (api.py) both build these with `X.build(...)`; the operations
(operations/*) take them. A new option touches the request, the CLI option and the API parameter,
nothing else. A bad value is a UsageError (exit 2 on the CLI, ValueError in the API) with one line.
Presentation (--json, --format human|markdown, -v, --plot) is not part of a request: it is the edge's.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any, Iterable

from torchdoctor.errors import UsageError
from torchdoctor.facts import Gpu
from torchdoctor.limits import check_nproc, check_seed, check_timeout
from torchdoctor.shell import check_arg

DEFAULT_INDEX_BASE = "https://download.pytorch.org/whl"
PLAN_FORMATS = ("pip", "uv", "requirements")
COMPANIONS = ("torchvision", "torchaudio")
EPOCHS_MAX = 1_000_000


@dataclass(frozen=True)
class PlanRequest:
    """What the planner is asked for: a torch release (or the newest that fits), companions, the format."""

    torch: str | None = None  # "2.7", "2.7.1", "2.7.1+cu118"
    with_: tuple[str, ...] = ()  # companions: "torchvision", "torchaudio"
    fmt: str = "pip"
    index_base: str = DEFAULT_INDEX_BASE


def python_option(python: str | None) -> str | None:
    """--python: a path with a newline or NUL cannot be shown in one line or put into a fix command."""
    if python is not None:
        check_arg(python, "--python")
    return python


# ------------------------------------------------------------------------------------------ check
@dataclass(frozen=True)
class CheckRequest:
    python: str | None = None  # --python: an interpreter, an env folder or a command on PATH
    from_: str | None = None  # --from: a recorded machine (a path, or "-" for stdin)
    timeout: float = 60.0  # seconds for the torch import probe
    strict: bool = False  # warnings and crashed checks fail too
    search: bool = True  # False (the API): without --python, the caller's own interpreter

    @classmethod
    def build(cls, python: str | None = None, from_: str | None = None, timeout: float = 60.0,
              strict: bool = False, search: bool = True) -> "CheckRequest":
        if from_ is not None and python is not None:
            raise UsageError("--from and --python cannot be combined: --from judges a recorded machine")
        return cls(python_option(python), from_, check_timeout(timeout), bool(strict), search)


# ------------------------------------------------------------------------------------------ suggest
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

    @classmethod
    def build(cls, torch: str | None = None, with_: str | Iterable[str] | None = None, fmt: str = "pip",
              os_: str | None = None, arch: str | None = None, python_version: str | None = None,
              driver: str | None = None, gpus: Iterable[str] = (), index_base: str | None = None,
              python: str | None = None, search: bool = True, knowledge: Any = None) -> "SuggestRequest":
        k = knowledge if knowledge is not None else _knowledge()
        plan = plan_request(torch=torch, with_=with_, fmt=fmt, index_base=index_base, k=k)
        if python is not None and python_version is not None:
            raise UsageError("--python and --python-version cannot be combined: each names the Python to plan for")
        described = describe(os_=os_, arch=arch, python_version=python_version, driver=driver, gpus=tuple(gpus))
        return cls(plan, described, python_option(python), search)


def plan_request(torch: str | None = None, with_: str | Iterable[str] | None = None, fmt: str = "pip",
                 index_base: str | None = None, k: Any = None) -> PlanRequest:
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
    return PlanRequest(torch=torch, with_=companions, fmt=fmt, index_base=base)


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


# ------------------------------------------------------------------------------------------ smoke
_DEVICE = re.compile(r"^(all|cpu|mps|cuda|xpu)(?::(\d+))?$")


@dataclass(frozen=True)
class DeviceRequest:
    text: str  # as typed, normalised ("cuda:1")
    kind: str  # "all" | "cpu" | "cuda" | "mps" | "xpu"
    index: int | None  # None: every device of that kind


def parse_device(text: str) -> DeviceRequest:
    """`--device` value -> DeviceRequest; anything unknown is a UsageError (exit 2)."""
    norm = (text or "").strip().lower()
    m = _DEVICE.match(norm)
    if not m or (m.group(2) is not None and m.group(1) in ("all", "cpu", "mps")):
        raise UsageError(f"unknown device {text!r}: use cpu, cuda, cuda:N, mps, xpu, xpu:N or all")
    index = int(m.group(2)) if m.group(2) is not None else None
    return DeviceRequest(norm, m.group(1), index)


@dataclass(frozen=True)
class SmokeRequest:
    device: DeviceRequest
    epochs: int = 100
    seed: int = 0
    timeout: float = 120.0  # seconds per device
    python: str | None = None
    search: bool = True

    @classmethod
    def build(cls, device: str = "all", epochs: int = 100, seed: int = 0, timeout: float = 120.0,
              python: str | None = None, search: bool = True) -> "SmokeRequest":
        parsed = parse_device(device)
        if epochs < 1 or epochs > EPOCHS_MAX:
            raise UsageError(f"--epochs must be between 1 and {EPOCHS_MAX}, not {epochs}")
        return cls(parsed, epochs, check_seed(seed), check_timeout(timeout), python_option(python), search)


# ------------------------------------------------------------------------------------------ distributed
DISTRIBUTED_DEVICES = ("all", "cpu", "cuda")
BACKENDS = ("gloo", "nccl")


@dataclass(frozen=True)
class Nodes:
    """A multi-node launch: this machine is node `rank` of `count`; node 0 hosts the rendezvous."""

    count: int
    rank: int
    endpoint: tuple[str, int]


@dataclass(frozen=True)
class DistributedRequest:
    device: str = "all"  # "all" | "cpu" | "cuda"
    backend: str | None = None  # None: nccl on cuda, gloo on cpu
    nproc: int | None = None
    timeout: float = 120.0
    python: str | None = None
    epochs: int = 100
    seed: int = 0
    nodes: Nodes | None = None
    search: bool = True

    @classmethod
    def build(cls, device: str = "all", backend: str | None = None, nproc: int | None = None,
              timeout: float = 120.0, python: str | None = None, epochs: int = 100, seed: int = 0,
              nnodes: int | None = None, node_rank: int | None = None, rdzv_endpoint: str | None = None,
              joining: bool = False, search: bool = True) -> "DistributedRequest":
        device, backend = distributed_options(device, backend, nproc, timeout, epochs, seed)
        nodes = _nodes(nnodes, node_rank, rdzv_endpoint, joining)
        return cls(device, backend, nproc, float(timeout), python_option(python), epochs, seed, nodes, search)


def distributed_options(device: str, backend: str | None, nproc: int | None, timeout: float,
                         epochs: int, seed: int = 0) -> tuple[str, str | None]:
    """Options alone, before anything runs: UsageError (exit 2) for what can never work."""
    device = (device or "all").strip().lower()
    if device.startswith("cuda:"):
        raise UsageError(f"--device {device}: --distributed runs one rank per GPU; use --device cuda "
                         "and choose GPUs with CUDA_VISIBLE_DEVICES")
    if device not in DISTRIBUTED_DEVICES:
        raise UsageError(f"--device {device} is not supported with --distributed (use cpu or cuda)")
    if backend is not None:
        backend = backend.strip().lower()
        if backend not in BACKENDS:
            raise UsageError(f"--backend {backend} is not supported (use gloo or nccl)")
        if backend == "nccl" and device == "cpu":
            raise UsageError("--backend nccl runs on GPUs only; use --backend gloo with --device cpu")
        if backend == "nccl" and device == "all":
            device = "cuda"
    if nproc is not None:
        check_nproc(nproc, "cpu" if device == "cpu" else "any")
    check_timeout(timeout)
    check_seed(seed)
    if epochs < 1:
        raise UsageError(f"--epochs {epochs}: at least one epoch is needed")
    return device, backend


def _nodes(nnodes: int | None, node_rank: int | None, rdzv_endpoint: str | None, joining: bool) -> Nodes | None:
    """--nnodes/--node-rank/--rdzv-endpoint, or None for one machine."""
    if nnodes is None:
        if node_rank is not None or rdzv_endpoint is not None:
            raise UsageError("--node-rank and --rdzv-endpoint belong to a multi-node launch: add --nnodes N")
        return None
    if joining:
        raise UsageError("--nnodes starts torch's launcher on this node, but this process already is a rank "
                         "that a launcher started (RANK and WORLD_SIZE are set); drop --nnodes here")
    if nnodes < 1:
        raise UsageError(f"--nnodes {nnodes}: at least one node is needed")
    if rdzv_endpoint is None:
        raise UsageError(f"--nnodes {nnodes} needs --rdzv-endpoint HOST:PORT (the address of node rank 0, "
                         "which hosts the rendezvous, and a free port there)")
    where = split_endpoint(check_arg(rdzv_endpoint, "--rdzv-endpoint"))
    if where is None:
        raise UsageError(f"--rdzv-endpoint {rdzv_endpoint!r}: expected HOST:PORT with a port from 1 to 65535")
    if node_rank is None:
        if nnodes > 1:
            raise UsageError(f"--nnodes {nnodes} needs --node-rank K on every node: 0 on the node at "
                             f"{where[0]}, 1 to {nnodes - 1} on the others")
        node_rank = 0
    if not 0 <= node_rank < nnodes:
        raise UsageError(f"--node-rank {node_rank}: must be from 0 to {nnodes - 1} with --nnodes {nnodes}")
    return Nodes(nnodes, node_rank, where)


# ------------------------------------------------------------------------------------------ install
@dataclass(frozen=True)
class InstallRequest:
    plan: PlanRequest
    with_: tuple[str, ...] = ()  # companions asked for (installed ones always move with torch)
    python: str | None = None
    yes: bool = False
    dry_run: bool = False
    verify: bool = True
    replace_conda: bool = False
    timeout: float = 300.0  # seconds for each proof step (check, smoke)

    @classmethod
    def build(cls, torch: str | None = None, with_: str | None = None, python: str | None = None,
              index_base: str | None = None, yes: bool = False, dry_run: bool = False, verify: bool = True,
              replace_conda: bool = False, timeout: float = 300.0) -> "InstallRequest":
        timeout = check_timeout(timeout)
        plan = plan_request(torch=torch, with_=with_, index_base=index_base)
        return cls(plan, plan.with_, python_option(python), yes, dry_run, verify, replace_conda, timeout)


def split_endpoint(text: str) -> tuple[str, int] | None:
    """"HOST:PORT" or "[v6]:PORT" -> (host, port); None when it is neither."""
    host, sep, port = text.strip().rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        return None
    return host, int(port)


def _knowledge() -> Any:
    from torchdoctor.knowledge import load

    return load()
