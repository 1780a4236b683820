"""Fact views: small pure readers over the facts that several checks share ("what build is this",
"has this machine an NVIDIA GPU", "what did torch print"). No judgement here, no subprocess, no os.environ.
"""

from __future__ import annotations

import re
from typing import Any

from torchdoctor.facts import Facts
from torchdoctor.knowledge import Knowledge
from torchdoctor.messages import Message, classify_all, texts_of, unclassified_of
from torchdoctor.versions import is_driver_version


def dists(f: Facts, name: str) -> tuple:
    return tuple(d for d in (f.distributions or ()) if d.name == name)


def listing_partial(f: Facts) -> bool:
    """A pasted package list that was cut, or names a few packages only: what it lacks is unknown."""
    report = (f.extra or {}).get("report") or {}
    return bool(report.get("packages_cut") or report.get("packages_partial"))


def torch_version(f: Facts) -> str | None:
    """What torch is here: the imported version, else the first distribution's."""
    if f.runtime is not None and f.runtime.version:
        return f.runtime.version
    found = dists(f, "torch")
    if found:
        return found[0].version
    tag = said(f, "torch_build_tag")  # "torch 2.7.1+rocm6.4" in an application log
    return f"{tag.fields['version']}+{tag.fields['tag'].lower()}" if tag else None


def base_version(version: str | None) -> str | None:
    return version.split("+", 1)[0] if version else None


def local_tag(version: str | None) -> str | None:
    return version.split("+", 1)[1] if version and "+" in version else None


def build(f: Facts) -> tuple[str, str | None] | None:
    """("cuda", "12.6") | ("rocm", "6.2") | ("cpu", None) | None (cannot tell)."""
    rt = f.runtime
    if f.origin != "live" and said(f, "not_compiled", backend="cuda"):
        return ("cpu", None)  # torch's own word on the torch that ran beats a pasted version string
    if rt is not None and rt.status == "ok" and rt.version:
        if rt.cuda:
            return ("cuda", rt.cuda)
        if rt.hip:
            return ("rocm", rt.hip)
        return ("cpu", None)
    version = torch_version(f)
    tag = local_tag(version)
    if tag:
        return build_of_tag(tag)
    for d in dists(f, "torch"):
        for req in d.requires:
            m = re.match(r"nvidia-cuda-runtime(?:-cu\d+)?\s*[=~]=\s*(\d+)\.(\d+)", req.replace("_", "-"))
            if m:
                return ("cuda", f"{m.group(1)}.{m.group(2)}")
    return _build_said(f)


def _build_said(f: Facts) -> tuple[str, str | None] | None:
    """No version anywhere (a pasted traceback): torch's own words still tell the kind of build."""
    builds = {m.build for m in messages(f) if m.emitter != "loaders" or m.kind == "libcuda_missing"}
    if "rocm" in builds:
        return ("rocm", None)
    if "cuda" in builds:
        return ("cuda", None)
    tags = [m for m in messages(f) if m.kind == "torch_build_tag"]
    if tags:  # "torch 2.7.1+rocm6.4" in an application log: the tag names the build
        return build_of_tag(tags[0].fields["tag"].lower())
    return None


def build_of_tag(tag: str) -> tuple[str, str | None] | None:
    """A local version tag -> (kind, version): "cu121" -> ("cuda", "12.1"), "rocm6.4", "cpu"; None otherwise."""
    m = re.fullmatch(r"cu(\d+?)(\d)", tag)
    if m:
        return ("cuda", f"{int(m.group(1))}.{m.group(2)}")
    if tag.startswith("rocm"):
        return ("rocm", tag[4:] or None)
    if tag == "cpu":
        return ("cpu", None)
    return None


def variant(f: Facts) -> str | None:
    b = build(f)
    if b is None:
        return None
    if b[0] == "cuda" and b[1]:
        return "cu" + b[1].replace(".", "")
    if b[0] == "rocm" and b[1]:
        return "rocm" + b[1]
    return b[0] if b[0] == "cpu" else None


def nvidia_gpus(f: Facts) -> tuple:
    return tuple(g for g in (f.gpus or ()) if g.vendor == "nvidia")


def has_nvidia_hardware(f: Facts) -> bool:
    if nvidia_gpus(f):
        return True
    return any(p.vendor_id.lower() == "10de" and p.class_code.startswith(("0x03", "03")) for p in (f.pci or ()))


def platform_key(f: Facts) -> str | None:
    p = f.platform
    if p is None:
        return None
    arch = {"amd64": "x86_64", "arm64": "arm64" if p.os == "macos" else "aarch64"}.get(p.arch, p.arch)
    return f"{p.os}-{arch}"


def driver_os(f: Facts) -> str:
    """The OS whose driver table applies: WSL runs the Windows driver."""
    if f.platform is None:
        return "linux"
    return "windows" if f.platform.wsl or f.platform.os == "windows" else f.platform.os


def texts(f: Facts) -> tuple[str, ...]:
    """Every text torch printed (warnings, the CUDA init error, the import error), and in a paste the
    lines of other programs that the message catalogue knows (report.messages)."""
    return texts_of(f)


def messages(f: Facts) -> tuple[Message, ...]:
    """The typed evidence of every text (knowledge/messages/*.json through torchdoctor.messages)."""
    return classify_all(texts(f))


def said(f: Facts, *kinds: str, **fields: object) -> Message | None:
    """The first message of one of `kinds` whose fields hold `fields` (a value, or a tuple of allowed ones)."""
    for m in messages(f):
        if m.kind in kinds and all(m.fields.get(k) in (v if isinstance(v, tuple) else (v,))
                                   for k, v in fields.items()):
            return m
    return None


def said_code(f: Facts, *codes: int) -> Message | None:
    """A CUDA runtime/driver error code (the cudaError enum) in any text: "Error 804", its name or its words."""
    return said(f, "cuda_error", code=tuple(codes))


def unknown_messages(f: Facts) -> tuple[str, ...]:
    """Error-looking lines that no catalogue row knows: kept as unclassified evidence (shown under -v)."""
    return unclassified_of(f)


# nvidia-smi ran but did not answer: "couldn't communicate with the NVIDIA driver" (exit 9), a hang.
# The whole nvidia probe missing its deadline means NVML or nvidia-smi hung (without a driver stack
# both answer "not found" at once).
_SMI_BROKEN = re.compile(r"^(?:nvidia-smi (?:exited with status|timed out|was killed)|nvidia probe did not answer)",
                         re.I)


def smi_broken(f: Facts) -> str | None:
    """What a present-but-failing nvidia-smi said (None: it answered, or is not installed)."""
    for e in f.nvidia.errors if f.nvidia is not None else ():
        # A probe past its deadline says "hung" only where the rest of the machine was scanned in time.
        if _SMI_BROKEN.match(e) and (f.gpus is not None or e.startswith("nvidia-smi")):
            return e
    return None


def driver_unreadable(f: Facts) -> bool:
    return f.nvidia is None or not f.nvidia.driver or not is_driver_version(f.nvidia.driver)


def arch_list(f: Facts, k: Knowledge | None) -> tuple[tuple[str, ...] | None, str]:
    rt = f.runtime
    if rt is not None and rt.arch_list:
        return rt.arch_list, "torch.cuda.get_arch_list()"
    version, var, key = torch_version(f), variant(f), platform_key(f)
    if k is None or not (version and var):
        return None, ""
    where = "the release tables, not from this machine"
    if key:
        return k.arch_list(version, var, key), where
    # a paste that names no platform: the union of what every platform's build has (a GPU missing from all
    # of them has no code on any; one that some platform has is not judged)
    found = [a for p in ("linux-x86_64", "windows-x86_64", "linux-aarch64") for a in k.arch_list(version, var, p) or ()]
    if not found:
        return None, ""
    union = sorted(set(found), key=lambda a: (int(re.sub(r"\D", "", a) or 0), a))
    return tuple(union), "the release tables for every platform, not from this machine"


def device_nodes_named(f: Facts, prefix: str) -> list[str]:
    return [n for n in f.device_nodes or () if n.rsplit("/", 1)[-1].startswith(prefix)]


def macos_version(text: str | None) -> tuple[int, ...] | None:
    """"macOS 13.7.4" -> (13, 7, 4); None when there is no version to read."""
    m = re.search(r"(\d+)(?:\.(\d+))?(?:\.(\d+))?", text or "")
    return tuple(int(x or 0) for x in m.groups()) if m else None


def release_series(version: str | None) -> str | None:
    """"2.10.0.dev20251008" / "2.12.1+cpu" -> "2.10" / "2.12": the release whose tables apply."""
    m = re.match(r"(\d+)\.(\d+)", version or "")
    return f"{m.group(1)}.{m.group(2)}" if m else None




def hardware_scanned(f: Facts) -> bool:
    """The hardware itself was looked at on the live machine: the PCI bus (Linux) or the display
    adapters in the Windows registry. Without that, "no NVIDIA GPU" is only "none answered"."""
    return f.pci is not None or any(n.name == "registry" and n.ok for n in f.probes)


def other_gpus(f: Facts, vendor: str) -> str:
    """What the machine has instead of a `vendor` GPU: "Intel(R) UHD Graphics 620", "none", or
    "none listed" where nobody scanned the hardware."""
    names = sorted({g.name or f"{g.vendor.upper() if g.vendor == 'amd' else g.vendor.capitalize()} GPU"
                    for g in f.gpus or () if g.vendor != vendor})
    if names:
        return ", ".join(names)
    return "none" if hardware_scanned(f) or f.gpus is not None else "none listed"


def driver_answered(f: Facts) -> bool:
    return not driver_unreadable(f)


def no_nvidia_gpu(f: Facts) -> str | None:
    """How we know this machine has no NVIDIA GPU, in words; None when we don't (or it has one)."""
    if has_nvidia_hardware(f) or driver_answered(f):
        return None
    rt = f.runtime
    if rt is not None and rt.cuda_available:
        return None
    torch_said = said(f, "no_nvidia_driver")
    if hardware_scanned(f):
        where = "the PCI bus lists" if f.pci is not None else "the Windows display adapters list"
        return f"{where} no NVIDIA device and no NVIDIA driver answered"
    if f.origin != "live" and f.nvidia is not None and rt is not None and rt.cuda_available is False:
        # collect_env: nvidia-smi found nothing ("No CUDA" / "Could not collect") and CUDA is unavailable
        return ("the report lists no NVIDIA GPU and no NVIDIA driver" +
                (", and torch says 'Found no NVIDIA driver on your system'" if torch_said else ""))
    if torch_said:
        return "torch says 'Found no NVIDIA driver on your system' and no NVIDIA GPU was found"
    driver_said = said(f, "driver_too_old") or said_code(f, 35, 100)
    if driver_said and only_other_gpus(f):
        # the GPU's vendor decides what an NVIDIA driver message means: without an NVIDIA GPU it is no driver problem
        return (f"the GPUs listed are {other_gpus(f, 'nvidia')}, none of them NVIDIA, and torch's driver message "
                f"('{driver_said.text}') is what a CUDA build prints on such a machine")
    return None


def only_other_gpus(f: Facts) -> bool:
    """GPUs were listed and none is NVIDIA's (an AMD- or Intel-only machine)."""
    return bool(f.gpus) and not nvidia_gpus(f) and not has_nvidia_hardware(f)


def build_description(f: Facts, b: tuple) -> str:
    version = torch_version(f)
    name = {"cuda": "CUDA", "rocm": "ROCm"}[b[0]]
    return f"torch {version} is a {name}{' ' + b[1] if b[1] else ''} build"


def minor(version: str) -> tuple[int, int]:
    parts = version.split(".")
    return int(parts[0]), int(parts[1]) if len(parts) > 1 else 0


def same_build(imported: str, metadata: str) -> bool:
    """Whether `torch.__version__` and the installed metadata name one build.

    PyPI's CUDA wheels say 2.11.0 in their metadata while __version__ says 2.11.0+cu130, so a
    local tag on one side only is the same install; a different public version, or two
    different local tags, is a real mix.
    """
    if base_version(imported) != base_version(metadata):
        return False
    a, b = local_tag(imported), local_tag(metadata)
    return a is None or b is None or a == b


def listing(found: Any) -> str:
    return ", ".join(f"{d.name} {d.version} ({', '.join(x for x in (d.installer or 'unknown installer', d.location) if x)})"
                     for d in found)


# Left to checks/packages.py (torchvision.mismatch, torchaudio.mismatch); torch's own family is not a companion.
OWN_CHECKS = ("torch", "torchvision", "torchaudio", "triton", "pytorch-triton")


def companions(f: Facts) -> tuple:
    """Installed distributions that depend on torch (Requires-Dist), or that companions.json knows, once per name."""
    from torchdoctor.knowledge.companions import companion

    out: dict[str, Any] = {}
    for d in f.distributions or ():
        if d.name in OWN_CHECKS or d.name in out:
            continue
        if torch_requirements(d) or companion(d.name) is not None:
            out[d.name] = d
    return tuple(out.values())


def torch_requirements(d: Any) -> list:
    """The Requires-Dist lines naming torch that apply without an extra ("torch; extra == 'dev'" does not)."""
    from packaging.requirements import InvalidRequirement, Requirement

    out = []
    for line in d.requires:
        try:
            req = Requirement(line)
        except InvalidRequirement:
            continue
        if req.name.lower() != "torch" or (req.marker is not None and "extra" in str(req.marker)):
            continue
        out.append(req)
    return out
