"""What several readers share: a GPU from its printed name, torch facts from a version string, and
collect_env's shapes that other tools print too (a Python platform string, warning blocks, package rows)."""

from __future__ import annotations

import re

from torchdoctor.facts import Distribution, Gpu, PlatformFacts
from torchdoctor.privacy import private
from torchdoctor.recorded.evidence import Evidence, excerpt

_AMD = re.compile(r"\b(AMD|Radeon|Instinct|gfx\d{3,4}[a-z]?)\b", re.I)
_INTEL = re.compile(r"\b(Intel|Arc|Iris|UHD Graphics|HD Graphics)\b", re.I)
_APPLE = re.compile(r"^\s*Apple\s+M\d", re.I)
_NVIDIA = re.compile(r"\b(NVIDIA|GeForce|Quadro|Tesla|TITAN|RTX|GTX|Jetson|[AHBLV]\d{2,3}[A-Z]?\b|A\d{4}\b|T4\b|P100|P40|K80|DGX|GB\d{3})", re.I)
_GFX = re.compile(r"\b(gfx[0-9a-f]{3,4})\b")
_MIB = re.compile(r"(\d+)\s*MiB", re.I)


def gpu_from_name(name: str, source: str) -> Gpu | None:
    """"NVIDIA GeForce RTX 3090" -> Gpu(vendor="nvidia", ...); the vendor from the name, None if it names none.

    The capability is not looked up here: the merge step asks the GPU table, once, for every reader."""
    name = re.sub(r"\s*\(UUID:[^)]*\)", "", name).strip().strip("'\"`*").strip()
    if not name or len(name) > 120:
        return None
    memory = _MIB.search(name)
    gfx = _GFX.search(name)
    clean = re.sub(r"\s*[,(]\s*\d+\s*MiB\)?", "", name)
    clean = re.sub(r"\s*\(gfx[^)]*\)", "", clean).strip(" ,")
    if _APPLE.search(clean):
        vendor = "apple"
    elif _AMD.search(name):
        vendor = "amd"
    elif _INTEL.search(clean) and not re.search(r"NVIDIA|GeForce", clean, re.I):
        vendor = "intel"
    elif _NVIDIA.search(clean):
        vendor = "nvidia"
    else:
        return None
    return Gpu(vendor=vendor, name=clean or None, gfx=gfx.group(1) if gfx else None,
               memory_mib=int(memory.group(1)) if memory else None, source=source)


_TAG = re.compile(r"^(\d+\.\d+(?:\.\d+)?(?:[a-z]+\d*)?(?:\.dev\d+|\.post\d+)?)(?:\+([\w.]+))?$", re.I)


def torch_from_version(version: str, reader: str, line: int, text: str, macos: bool = False,
                       cuda_available: bool | None = None) -> list[Evidence]:
    """Evidence of a torch that imported, from its __version__ ("2.1.0+cu121").

    torch.version.cuda is read from the local tag; without a tag the build is unknown
    (conda and source builds print none), so no runtime is claimed, only the version
    ("report.torch_version"), unless it is a Mac, where every build is the CPU/MPS one."""
    m = _TAG.match(version.strip())
    if not m:
        return []
    tag = (m.group(2) or "").lower()
    ex = excerpt(text)
    out = [Evidence("report.torch_version", version.strip(), reader, line, ex)]
    cuda = hip = None
    if tag.startswith("cu") and tag[2:].isdigit() and len(tag) >= 4:
        cuda = f"{int(tag[2:-1])}.{tag[-1]}"
    elif tag.startswith("rocm"):
        hip = tag[4:] or None
        if hip is None:
            return out
    elif tag != "cpu" and not macos:
        return out
    out += [Evidence("runtime.status", "ok", reader, line, ex), Evidence("runtime.version", version.strip(), reader, line, ex),
            Evidence("runtime.cuda", cuda, reader, line, ex), Evidence("runtime.hip", hip, reader, line, ex)]
    if cuda_available is not None:
        out.append(Evidence("runtime.cuda_available", cuda_available, reader, line, ex))
    return out


def bool_word(text: str) -> bool | None:
    v = text.strip().strip("`*'\"").lower()
    if v in ("true", "yes", "y", "1"):
        return True
    if v in ("false", "no", "n", "0"):
        return False
    return None


# ---------------------------------------------------------------- collect_env's shapes, read by other readers too

UNKNOWN = {"", "could not collect", "n/a", "no cuda", "none", "unknown"}


def known(value: str | None) -> str | None:
    """The value, or None where collect_env (or a summary) printed that it could not tell."""
    if value is None:
        return None
    v = value.strip()
    return None if v.lower() in UNKNOWN else v


_ARCHES = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "aarch64", "arm64": "arm64",
           "i386": "x86", "i686": "x86", "x86": "x86", "ppc64le": "ppc64le", "s390x": "s390x"}
_LINUX_NAMES = ("linux", "ubuntu", "debian", "centos", "red hat", "fedora", "rocky", "alma", "suse",
                "arch", "mint", "manjaro", "gentoo", "alpine", "amazon", "oracle", "pop!_os", "kali", "nixos")


def platform_of(f: dict[str, str], cpu: list[str], missing: list[str]) -> PlatformFacts | None:
    """collect_env's os / python_platform / python / libc fields (any of them; a summary's Python platform
    string alone will do) -> PlatformFacts; None when no OS is named. What it cannot tell goes to `missing`."""
    os_field = known(f.get("os")) or ""
    plat = known(f.get("python_platform")) or ""
    pyver = f.get("python") or ""
    low, plow = os_field.lower(), plat.lower()
    if "windows" in low or plow.startswith("windows"):
        os_name = "windows"
    elif low.startswith(("macos", "mac os")) or plow.startswith(("macos", "darwin")):
        os_name = "macos"
    elif plow.startswith("linux") or (f.get("libc") or "").startswith("glibc") or any(n in low for n in _LINUX_NAMES):
        os_name = "linux"
    else:
        missing.append("platform")
        return None

    arch = None
    m = re.search(r"\(([A-Za-z0-9_]+)\)\s*$", os_field)  # "Ubuntu 24.04.3 LTS (x86_64)": platform.machine()
    if m and m.group(1).lower() in _ARCHES:
        arch = _ARCHES[m.group(1).lower()]
        os_version = os_field[: m.start()].strip()
    else:
        os_version = os_field or None
    if arch is None and plat:
        m = re.search(r"-(x86_64|aarch64|arm64|i386|i686|ppc64le|s390x)(?:-|$)", plat)
        arch = _ARCHES[m.group(1)] if m else None
    if arch is None:
        m = re.search(r"\b(32|64) bit \((AMD64|ARM64|Intel)\)", pyver)  # Windows: "[MSC v.1916 64 bit (AMD64)]"
        if m:
            arch = {"AMD64": "x86_64", "ARM64": "arm64", "Intel": "x86"}[m.group(2)]
    if arch is None:
        missing.append("platform.arch")
        arch = "unknown"
    if arch == "arm64" and os_name == "linux":
        arch = "aarch64"

    libc = libc_version = None
    m = re.match(r"^(glibc|musl)-(\d[\w.]*)$", (f.get("libc") or "").strip())
    if m:
        libc, libc_version = m.group(1), m.group(2)
    kernel = None
    m = re.match(r"^Linux-(.+?)-(?:x86_64|aarch64|ppc64le|s390x|armv7l)-with", plat)
    if m:
        kernel = m.group(1)
    wsl = "microsoft" in plow and os_name == "linux"
    # An x86_64 Python on an Apple-silicon CPU: Rosetta (collect_env's CPU line is sysctl's brand string).
    rosetta = os_name == "macos" and arch == "x86_64" and any(c.startswith("Apple M") for c in cpu)
    return PlatformFacts(os=os_name, arch=arch, os_version=os_version, kernel=kernel, libc=libc,
                         libc_version=libc_version, wsl=wsl, rosetta=rosetta,
                         machine_arch="arm64" if rosetta else None)


_WARN = re.compile(
    r"\b[A-Z]\w*(?:Warning|Error)\s*:"
    r"|is not compatible with the current PyTorch installation"
    r"|Failed to initialize NumPy"
    r"|NVIDIA driver on your system is too old"
    r"|\bError 80[0-9]\b"
    r"|forward compatibility was attempted"
)
_WARN_PREFIX = re.compile(r"^.*?\.pyx?:\d+:\s*")  # "…/torch/cuda/__init__.py:235: "
_HARMLESS = ("found in sys.modules after import of package",)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def warning_blocks(loose: list[tuple[int, str]]) -> list[str]:
    """Warning blocks printed before/inside the report, as "UserWarning: message" like the live probe."""
    found: list[str] = []
    k = 0
    while k < len(loose):
        i, line = loose[k]
        k += 1
        if not _WARN.search(line):
            continue
        block = [_WARN_PREFIX.sub("", line.strip()) if ".py" in line else line.strip()]
        base, prev = _indent(line), i
        # The message goes on over following lines of the same indentation; the
        # indented line warnings.showwarning adds is the source echo: stop there.
        while k < len(loose) and loose[k][0] == prev + 1 and _indent(loose[k][1]) <= base:
            prev = loose[k][0]
            block.append(loose[k][1].strip())
            k += 1
        text = "\n".join(b for b in block if b).strip()
        text = re.sub(r"^(\w*Warning|\w*Error):\s*\n", r"\1: ", text)
        if any(h in " ".join(text.split()) for h in _HARMLESS):
            continue
        text = private(text)  # privacy: no user names in any output
        if text and text not in found and len(found) < 40:
            found.append(text[:2000])
    return found


def distributions_of(libs: list[tuple[str, str]]) -> tuple[Distribution, ...] | None:
    if not libs:
        return None
    pip: list[Distribution] = []
    conda: list[Distribution] = []
    collected = False
    for manager, rest in libs:
        low = rest.lower()
        if low in ("could not collect", "no relevant packages", ""):
            collected = collected or low == "no relevant packages"
            continue
        if manager in ("pip", "pip3", "uv"):
            m = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)\s*==\s*(\S+)$", rest)
            if m:
                collected = True
                pip.append(Distribution(name=norm_name(m.group(1)), version=m.group(2),
                                        installer="uv" if manager == "uv" else "pip"))
            continue
        parts = rest.split()
        if len(parts) >= 2 and re.match(r"^\d", parts[1]):
            collected = True
            name = norm_name(parts[0])
            build = parts[2] if len(parts) > 2 else None
            channel = parts[3] if len(parts) > 3 else None
            if build == "<pip>" or channel == "pypi":
                conda.append(Distribution(name=name, version=parts[1], installer="pip"))
            else:
                # conda's "pytorch" package is the torch distribution: two of them side by side is the bug.
                conda.append(Distribution(name="torch" if name in CONDA_TORCH else name, version=parts[1],
                                          installer="conda", build=build))
    if not collected:
        return None
    seen = {(d.name, d.version) for d in pip}
    # conda lists pip-installed packages too ("pypi_0 pypi", "<pip>"), and pip lists conda's (same
    # version, no local tag): one install, not two.
    by_conda = {(d.name, d.version) for d in conda if d.installer == "conda"}
    pip = [d for d in pip if (d.name, d.version) not in by_conda]
    return tuple(pip + [d for d in conda if not (d.installer == "pip" and (d.name, d.version) in seen)])


# conda packages that are the torch distribution ("pytorch-nightly" and "pytorch-cpu" of the 1.0 era too)
CONDA_TORCH = ("pytorch", "pytorch-nightly", "pytorch-cpu", "pytorch-gpu")


def norm_name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()
