"""torchvision.*, torchaudio.*, numpy.*: the packages torch is used with."""

from __future__ import annotations

import re
from typing import Any

from packaging.version import InvalidVersion, Version

from torchdoctor.checks import areas
from torchdoctor.checks.fixes import cmd, pip_argv, reinstall_fix
from torchdoctor.checks.registry import check
from torchdoctor.checks.views import base_version, dists, listing_partial, local_tag, platform_key, said, torch_version
from torchdoctor.facts import Facts
from torchdoctor.findings import Finding, Fix, error, info, skipped, warning
from torchdoctor.knowledge import Knowledge


def _series(version: str | None) -> tuple[int, int] | None:
    try:
        v = Version(base_version(version) or "")
    except InvalidVersion:
        return None
    return (v.major, v.minor)


def _pinned_torch(requires: tuple[str, ...]) -> str | None:
    for req in requires:
        m = re.match(r"torch\s*==\s*([\w.+]+)", req)
        if m:
            return m.group(1)
    return None


def _companion(f: Facts, k: Knowledge | None, package: str) -> Any:
    torch = torch_version(f)
    found = dists(f, package)
    if not torch or not found:
        return None
    comp = found[0]
    problems = []
    pin = _pinned_torch(comp.requires)
    expected = k.companion(torch, package) if k is not None else None
    if pin and base_version(pin) != base_version(torch):
        problems.append(f"it requires torch=={pin}")
    elif expected and _series(expected) != _series(comp.version):
        problems.append(f"torch {base_version(torch)} pairs with {package} {expected}")
    ours, theirs = local_tag(torch), local_tag(comp.version)
    if ours and theirs and ours != theirs:
        problems.append(f"torch is a +{ours} build and {package} a +{theirs} build")
    elif ours and not theirs and ours.startswith(("cu", "rocm")) and k is not None:
        # an untagged companion is PyPI's wheel, whose variant is PyPI's default for its platform (the release
        # tables): where no platform's default is torch's variant, the two were built for different CUDAs
        rel = k.release(torch)
        key = platform_key(f)
        table = rel.pypi_default if rel is not None else {}
        defaults = sorted({table[key]} if key in table else set(table.values()))
        # torchvision refuses a different CUDA *major* ("compiled with different CUDA major versions"); a CPU
        # default or the same major is not judged here
        if defaults and all(_cuda_major(d) not in (None, _cuda_major(ours)) for d in defaults) and \
                _cuda_major(ours) is not None:
            problems.append(f"torch is a +{ours} build and {package} {comp.version} has no local tag: PyPI's "
                            f"wheel, built as {' or '.join(defaults)} (PyPI's default for torch "
                            f"{base_version(torch)}, from the release tables)")
    told = said(f, "companion_cuda_mismatch", package=package)
    if told is not None:  # the companion's own words (torchvision/extension.py)
        problems.append(f"{package} says '{told.text}'")
    if not problems:
        return None
    return error(f"{package} {comp.version} does not match torch {torch}: {'; '.join(problems)}. Its compiled "
                 f"operators fail to load (e.g. 'operator torchvision::nms does not exist').",
                 reinstall_fix(f, k, f"Reinstall torch and {package} together, from one index, in one command",
                               with_=(package,)))


@check("torchvision.mismatch", areas.PACKAGES, "torchvision matches torch", needs=("distributions",))
def torchvision_mismatch(f: Facts, k: Knowledge | None) -> Finding | None:
    return _companion(f, k, "torchvision")


@check("torchaudio.mismatch", areas.PACKAGES, "torchaudio matches torch", needs=("distributions",))
def torchaudio_mismatch(f: Facts, k: Knowledge | None) -> Finding | None:
    return _companion(f, k, "torchaudio")


@check("numpy.missing", areas.PACKAGES, "numpy is installed", needs=("distributions",))
def numpy_missing(f: Facts, k: Knowledge | None) -> Finding | None:
    told = next((m for m in _numpy_init(f) if "No module named" in m.fields.get("reason", "")), None)
    if dists(f, "numpy") and not told:
        return None
    if not told and (f.runtime is None or f.runtime.numpy or not torch_version(f) or listing_partial(f)):
        return None  # a cut or partial package list does not show what is absent
    fix = Fix("Install numpy into the same environment.", (cmd(f, *pip_argv(f), "install", "numpy"),))
    if told:
        return warning(f"torch printed '{told.text}': numpy is not installed, so torch.from_numpy() and "
                       "Tensor.numpy() fail ('Numpy is not available').", fix)
    return info("numpy is not installed: torch works without it, but torch.from_numpy() and Tensor.numpy() fail.", fix)


@check("numpy.abi", areas.PACKAGES, "numpy's ABI matches torch", needs=())
def numpy_abi(f: Facts, k: Knowledge | None) -> Finding | None:
    api = said(f, "numpy_api")
    if api is not None:
        return _numpy_api(f, api)
    told = said(f, "numpy_abi")
    if f.distributions is None and not told and not (f.runtime is not None and f.runtime.numpy):
        return skipped("needs the installed package list")
    torch = torch_version(f)
    found = dists(f, "numpy")
    numpy = (f.runtime.numpy if f.runtime is not None and f.runtime.numpy else None) or \
        (found[0].version if found else None)
    old_torch = _series(torch) is not None and _series(torch) < (2, 3)
    numpy2 = _series(numpy) is not None and _series(numpy) >= (2, 0)
    if not told and not (old_torch and numpy2):
        return None
    torch_failed = any("_ARRAY_API" in m.fields.get("reason", "") for m in _numpy_init(f)) or \
        said(f, "torch_internal", file=("torch/csrc/utils/tensor_numpy.cpp",)) is not None
    if told and _series(torch) is not None and not old_torch and not torch_failed:
        # torch 2.3+ is built against NumPy 2 and runs on 1.x and 2.x: unless torch itself says it failed
        # ("Failed to initialize NumPy", from its tensor_numpy.cpp), the module in the banner is another one
        return info(f"A module compiled against NumPy 1.x fails under numpy {numpy or '2.x'} ('{told.text}'); "
                    f"torch {torch} supports NumPy 2, so it is another extension.",
                    Fix("Upgrade (or rebuild) that extension for NumPy 2, or pin numpy below 2 for it.",
                        (cmd(f, *pip_argv(f), "install", "numpy<2"),)))
    evidence = f" torch printed: '{told.text}'." if told else ""
    return error(f"numpy {numpy or '(unknown version)'} is a 2.x release, but torch {torch or ''} was compiled "
                 f"against numpy 1.x, so torch cannot use it ('Failed to initialize NumPy').{evidence}",
                 Fix("Install numpy 1.x, or upgrade torch (2.3 or newer) and the extensions built against numpy 1.x.",
                     (cmd(f, *pip_argv(f), "install", "numpy<2"),)))


def _numpy_init(f: Facts) -> list:
    """torch's own "Failed to initialize NumPy: <reason>" (torch/csrc/utils/tensor_numpy.cpp)."""
    from torchdoctor.checks.views import messages

    return [m for m in messages(f) if m.kind == "numpy_init_failed"]


def _numpy_api(f: Facts, api: Any) -> Finding:
    """numpy's own "module compiled against API|ABI version 0x.. but this version of numpy is 0x..":
    API versions (below 0x1000000) grow with each numpy 1.x release; ABI versions are 0x1000009 (1.x) and
    0x2000000 (2.x). Which numpy release has which number is not in the tables: the direction decides."""
    built, have = api.fields["built"], api.fields["have"]
    torch = "torch" if said(f, "numpy_init_failed") else "an extension module (torch or one it loads)"
    if built >> 24 <= 1 and have >> 24 >= 2:  # an API/ABI number of numpy 1.x, and numpy 2's ABI
        return error(f"{torch[0].upper() + torch[1:]} was compiled against numpy 1.x (ABI {built:#x}) and this "
                     f"numpy is 2.x (ABI {have:#x}): numpy said '{api.text}'.",
                     Fix("Install numpy 1.x, or upgrade the module to a build for NumPy 2.",
                         (cmd(f, *pip_argv(f), "install", "numpy<2"),)))
    if built > have:
        return error(f"{torch[0].upper() + torch[1:]} was compiled against a newer numpy (C-API {built:#x}) than the "
                     f"one installed (C-API {have:#x}): numpy said '{api.text}'. numpy is older than the build needs.",
                     Fix("Upgrade numpy in this environment.", (cmd(f, *pip_argv(f), "install", "--upgrade", "numpy"),)))
    return error(f"{torch[0].upper() + torch[1:]} was compiled against an older numpy C-API ({built:#x}) than this "
                 f"numpy's ({have:#x}): numpy said '{api.text}'.",
                 Fix("Rebuild or upgrade that module for this numpy, or install the numpy it was built for."))


def _cuda_major(variant: str | None) -> int | None:
    """"cu118" -> 11, "cu124" -> 12; None for cpu/rocm/xpu."""
    m = re.fullmatch(r"cu(\d+?)\d", variant or "")
    return int(m.group(1)) if m else None
