"""mps.*: Apple's MPS backend works on this Mac."""

from __future__ import annotations


from torchdoctor.checks import areas
from torchdoctor.checks.fixes import cmd, python_cmd, reinstall_fix
from torchdoctor.checks.registry import check
from torchdoctor.checks.views import macos_version, said, release_series, torch_version
from torchdoctor.facts import Facts
from torchdoctor.findings import Finding, Fix, error, skipped, warning
from torchdoctor.knowledge import Knowledge


@check("mps.unavailable", areas.MPS, "MPS works on Apple Silicon", needs=("platform",))
def mps_unavailable(f: Facts, k: Knowledge | None) -> Finding | None:
    p = f.platform
    if p.os != "macos":
        return None
    if p.rosetta or (p.arch == "x86_64" and p.machine_arch == "arm64"):
        return error("This Python is an x86_64 build running under Rosetta on Apple Silicon: MPS is unavailable and "
                     "torch gets the Intel build.",
                     Fix("Install an arm64 Python (python.org universal2, Homebrew, or Miniforge arm64), recreate "
                         "the environment, and reinstall torch.", ("python3 -c \"import platform; "
                                                                  "print(platform.machine())\"",)))
    if p.arch not in ("arm64", "aarch64"):
        return None
    rt = f.runtime
    version = torch_version(f)
    series = release_series(version)
    rel = k.release(series) if k is not None and series else None
    need = rel.macos_min.get("macos-arm64") if rel is not None else None
    have = macos_version(p.os_version)
    if rt is not None and rt.mps_available:
        return None  # it works, whatever the tables say
    if need and have and have < macos_version(need):
        return error(f"torch {version} is built for macOS {need} or newer (the torch {series} wheels), but this Mac "
                     f"runs {p.os_version}: MPS (and possibly the import itself) cannot work here.",
                     reinstall_fix(f, k, f"Update macOS to {need} or newer, or install a torch release that "
                                         f"supports {p.os_version}", keep_version=False))
    # MPS has its own floor, above the wheel's: a 2.9 wheel imports on macOS 11, its MPS needs 14.
    mps = k.mps_macos_minimum(version) if k is not None and version else None
    if mps and have and have < macos_version(mps[0]) and not (rt is not None and rt.status != "ok"):
        how = "" if mps[2] == "confirmed" else " (inferred from PyTorch's changes; the release notes do not say)"
        return error(f"torch {version}'s MPS backend needs macOS {mps[0]} or newer{how}, but this Mac runs "
                     f"{p.os_version}: torch runs here on the CPU only.",
                     reinstall_fix(f, k, f"Update macOS to {mps[0]} or newer for MPS, or install a torch release "
                                         f"whose MPS supports {p.os_version}", keep_version=False))
    told = said(f, "mps_macos_min")
    if told and rt is not None and not rt.mps_available:
        # a paste: torch's own words, where the tables do not settle it (no version, or no floor known)
        return error(f"torch{' ' + version if version else ''} says '{told.text}': MPS cannot be used on "
                     f"{p.os_version or 'this macOS'}.",
                     reinstall_fix(f, k, f"Update macOS to {told.fields['macos']} or newer, or install a torch release "
                                         f"whose MPS supports {p.os_version or 'this macOS'}", keep_version=False))
    if rt is None:
        return skipped("needs the torch import probe")
    if rt.status != "ok":
        return None  # torch.import_failed says why
    if rt.mps_available is None:
        also = f" and its MPS minimum (macOS {mps[0]})" if mps else ""
        floor = (f"; {p.os_version} meets the torch {series} minimum (macOS {need}){also}" if need and have
                 else f"; the tables have no macOS minimum for torch {version}" if version else "")
        return skipped(f"the report does not say whether MPS is available{floor}")
    built = "built with MPS" if rt.mps_built else "built without MPS"
    return warning(f"torch {rt.version} is {built} but MPS is unavailable on {p.os_version or 'this macOS'}.",
                   Fix(f"Check that this is an Apple Silicon Mac on macOS {mps[0] if mps else '12.3'} or newer, then "
                       "reinstall torch.",
                       (cmd(f, python_cmd(f), "-c", "import torch; print(torch.backends.mps.is_available())"),)))
