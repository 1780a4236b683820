"""`preview`'s judge: what an install command would do to torch and the packages built against it.

Pure: the installed distributions (before) and what pip's dry run says it would install (each with its version,
Requires-Dist and the URL it comes from) -> the changes in words and the findings. Nothing is run here.

Ids (docs/preview.md): preview.torch_replaced (error: another build, or an older release, of torch),
preview.torch_upgraded (info: a newer release of the same build), preview.companion_breaks (error: an installed
companion that would no longer fit the torch after the install), preview.command_failed (error: pip's dry run
itself failed, so the command as given would fail too).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from packaging.version import InvalidVersion, Version

from torchdoctor.facts import Distribution
from torchdoctor.findings import ERROR, INFO, Area, Finding, finding

PREVIEW = Area("Preview")
TITLES = {
    "preview.torch_replaced": "the install keeps torch's build and release",
    "preview.torch_upgraded": "torch stays the same build",
    "preview.companion_breaks": "the installed companions still fit torch afterwards",
    "preview.command_failed": "pip can resolve the command",
}


@dataclass(frozen=True)
class Planned:
    """One distribution pip would install (from its --report)."""

    name: str  # normalised
    version: str
    requires: tuple[str, ...] = ()
    url: str | None = None  # where the file comes from
    requested: bool = False


@dataclass(frozen=True)
class Verdict:
    changes: tuple[str, ...]  # one line each: "torch 2.5.1+cu124 -> 2.5.1 (from PyPI)"
    findings: tuple[Finding, ...]
    torch_before: str | None
    torch_after: str | None
    torch_changes: bool  # torch would be (re)installed at all
    torch_requested: bool = False  # the command names torch itself


def normalise(name: str) -> str:
    import re

    return re.sub(r"[-_.]+", "-", name).lower()


def _v(text: str | None) -> Version | None:
    try:
        return Version(text) if text else None
    except InvalidVersion:
        return None


def _tag(version: str | None) -> str:
    return version.split("+", 1)[1] if version and "+" in version else ""


def source_of(url: str | None) -> str:
    """Where a file comes from, in words: 'PyPI', 'download.pytorch.org/whl/cu124', 'a local file'."""
    if not url:
        return "an unknown source"
    if url.startswith("file:"):
        return "a local file"
    from urllib.parse import urlparse

    p = urlparse(url)
    if p.hostname in ("files.pythonhosted.org", "pypi.org"):
        return "PyPI"
    if p.hostname == "download.pytorch.org":
        parts = [x for x in p.path.split("/") if x]
        return "download.pytorch.org/" + "/".join(parts[:2]) if len(parts) >= 2 else "download.pytorch.org"
    return p.hostname or url[:80]


def _build_words(version: str, url: str | None, os_name: str | None) -> str:
    tag = _tag(version)
    if tag:
        return f"the +{tag} build"
    if source_of(url) == "PyPI":
        if os_name in ("windows", "macos"):
            return "PyPI's build: the CPU build on " + ("Windows" if os_name == "windows" else "macOS")
        return "PyPI's build (Linux x86_64: CUDA, the release's default CUDA)"
    return "a build without a local tag"


def judge(installed: Sequence[Distribution], would: Sequence[Planned], os_name: str | None = None,
          k: Any = None) -> Verdict:
    from torchdoctor.knowledge.companions import companion, read_tag

    before = {d.name: d for d in reversed(list(installed))}  # the first on sys.path wins
    after = {p.name: p for p in would}
    changes: list[str] = []
    found: list[Finding] = []
    torch_old = before.get("torch")
    torch_new = after.get("torch")
    old_v = torch_old.version if torch_old else None
    new_v = torch_new.version if torch_new else old_v

    for p in would:
        was = before.get(p.name)
        where = source_of(p.url)
        if was is None:
            changes.append(f"+ {p.name} {p.version} (new, from {where})")
        elif was.version != p.version:
            changes.append(f"~ {p.name} {was.version} -> {p.version} (from {where})")
        else:
            changes.append(f"= {p.name} {p.version} reinstalled (from {where})")

    torch_changes = torch_new is not None and torch_old is not None and torch_new.version != torch_old.version
    if torch_changes and torch_old is not None and torch_new is not None:
        o, n = _v(torch_old.version), _v(torch_new.version)
        who = _pulled_by(would, torch_new)
        said = (f"torch {torch_old.version} would be replaced by torch {torch_new.version} from {source_of(torch_new.url)}"
                f" ({_build_words(torch_new.version, torch_new.url, os_name)})" + (f", pulled in by {who}" if who else ""))
        other_build = _tag(torch_old.version) != _tag(torch_new.version)
        older = o is not None and n is not None and n.release < o.release
        if other_build:
            asked = " You name torch in the command: pin its build with its index (--index-url " \
                "https://download.pytorch.org/whl/<variant>) to keep it." if torch_new.requested else ""
            found.append(_f("preview.torch_replaced", ERROR, f"{said}: another build of torch than the one "
                            f"installed.{asked}"))
        elif older and not torch_new.requested:
            found.append(_f("preview.torch_replaced", ERROR, f"{said}: an older release of torch than the one "
                            "installed."))
        elif older:
            found.append(_f("preview.torch_replaced", INFO, f"{said}: the older release the command asks for."))
        else:
            found.append(_f("preview.torch_upgraded", INFO, f"{said}: a newer release of the same build."))
    elif torch_old is None and torch_new is not None:
        changes.append(f"  torch {torch_new.version} is new here ({_build_words(torch_new.version, torch_new.url, os_name)})")

    # Installed companions that stay as they are: do they fit the torch after the install?
    broken: list[str] = []
    if torch_changes and new_v:
        nv = _v(new_v)
        series_changes = _series(old_v) != _series(new_v)
        for name, d in before.items():
            if name in after or name == "torch":
                continue
            reasons = _unfit(d, nv, new_v, series_changes, k, companion, read_tag)
            broken += [f"{name} {d.version} {r}" for r in reasons]
    # New companions: their local tag against the torch they will run with.
    for p in would:
        if p.name == "torch":
            continue
        tag = read_tag(_tag(p.version))
        if tag is not None and tag.series and new_v and tag.series != _series(new_v):
            broken.append(f"{p.name} {p.version} is a build for torch {tag.series}, torch would be {new_v}")
        elif tag is not None and tag.variant and _tag(new_v) and tag.variant != _tag(new_v) and \
                not (_cuda_major(tag.variant) and _cuda_major(tag.variant) == _cuda_major(_tag(new_v))):
            broken.append(f"{p.name} {p.version} is a +{tag.variant} build, torch would be a +{_tag(new_v)} build")
    if broken:
        found.append(_f("preview.companion_breaks", ERROR, "After this install: " + "; ".join(broken) + "."))
    return Verdict(tuple(changes), tuple(found), old_v, new_v, torch_changes,
                   bool(torch_new is not None and torch_new.requested))


def _unfit(d: Distribution, nv: Version | None, new_v: str, series_changes: bool, k: Any, companion: Any,
           read_tag: Any) -> list[str]:
    from torchdoctor.checks.views import torch_requirements

    out = []
    for req in torch_requirements(d):
        if nv is not None and req.specifier and not req.specifier.contains(nv, prereleases=True):
            out.append(f"requires torch{req.specifier}, which torch {new_v} does not satisfy")
    if d.name in ("torchvision", "torchaudio") and k is not None and not out:
        want = k.companion(new_v, d.name)
        if want and _series(want) != _series(d.version):
            out.append(f"would then not match (torch {new_v.split('+')[0]} pairs with {d.name} {want})")
    row = companion(d.name)
    tag = read_tag(_tag(d.version))
    if not out and row is not None and series_changes:
        if row.follows == "build":
            out.append(f"was built against the torch installed now and would need a rebuild "
                       f"(pip install --no-build-isolation {d.name})")
        elif tag is not None and tag.series and tag.series != _series(new_v):
            out.append(f"is a build for torch {tag.series}")
    return out


def _cuda_major(variant: str | None) -> str | None:
    return variant[2:-1] if variant and variant.startswith("cu") and len(variant) >= 4 else None


def _series(version: str | None) -> str | None:
    v = _v(version.split("+", 1)[0] if version else None)
    return f"{v.major}.{v.minor}" if v is not None else None


def _pulled_by(would: Iterable[Planned], torch: Planned) -> str:
    """The packages of the install whose Requires-Dist pins torch (who brought this torch in)."""
    from packaging.requirements import InvalidRequirement, Requirement

    names = []
    for p in would:
        for line in p.requires:
            try:
                req = Requirement(line)
            except InvalidRequirement:
                continue
            if req.name.lower() == "torch" and req.specifier and not (req.marker and "extra" in str(req.marker)):
                names.append(f"{p.name} {p.version} (requires torch{req.specifier})")
                break
    return ", ".join(names[:3]) if not torch.requested else ""


def _f(id: str, severity: str, message: str) -> Finding:
    return finding(id, severity, message, area=PREVIEW, title=TITLES[id])
