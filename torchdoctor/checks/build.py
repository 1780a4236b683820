"""build.*: whether a C++/CUDA extension (flash-attn, apex, any torch.utils.cpp_extension) can build here.

They speak only when a build is plausible: a CUDA toolkit is installed, a source package in the working
directory builds a torch extension, or `check --build` asks (`ToolchainFacts.build_wanted`). The rules are
torch's own (torch/utils/cpp_extension.py): CUDA found through CUDA_HOME/CUDA_PATH, nvcc on PATH,
/usr/local/cuda; a major nvcc/torch mismatch is an error, a minor one a warning; the host compiler bound is
nvcc's own (`crt/host_config.h`), else the table.
"""

from __future__ import annotations

import os
import re

from torchdoctor.checks import areas
from torchdoctor.checks.compile import conda_env, package_manager, python_minor, recorded
from torchdoctor.checks.fixes import cmd, pip_argv
from torchdoctor.checks.registry import check
from torchdoctor.checks.views import base_version, build, torch_version
from torchdoctor.facts import Facts
from torchdoctor.findings import Finding, Fix, error, warning
from torchdoctor.knowledge import Knowledge


def _cuda_build(f: Facts) -> str | None:
    b = build(f)
    return b[1] if b is not None and b[0] == "cuda" and b[1] else None


def prebuilt_words(f: Facts, cuda: str) -> str:
    """The keys prebuilt extension wheels are published under (flash-attn and others)."""
    series = ".".join((base_version(torch_version(f)) or "?").split(".")[:2])
    py = (python_minor(f) or "?").replace(".", "")
    return f"torch {series}, CUDA {cuda.split('.')[0]} (cu{cuda.replace('.', '')}), cp{py}"


def toolkit_fix(f: Facts, cuda: str) -> Fix:
    dashed = cuda.replace(".", "-")
    lines = []
    if conda_env(f):
        lines.append(cmd(f, "conda", "install", "-y", "-c", "nvidia", f"cuda-toolkit={cuda}"))
    elif package_manager(f) == "apt":
        lines.append(cmd(f, "sudo", "apt-get", "install", "-y", f"cuda-toolkit-{dashed}"))
    elif package_manager(f) == "dnf":
        lines.append(cmd(f, "sudo", "dnf", "install", "-y", f"cuda-toolkit-{dashed}"))
    if f.platform is not None and f.platform.os != "windows":
        lines.append(cmd(f, "export", f"CUDA_HOME=/usr/local/cuda-{cuda}"))
    return Fix(f"You may not need to build: install the prebuilt wheel for {prebuilt_words(f, cuda)} if the package "
               f"publishes one. To build, install the CUDA {cuda} toolkit (apt/dnf packages come from NVIDIA's CUDA "
               "repository) and point CUDA_HOME at it", tuple(lines))


@check("build.cuda_home_missing", areas.BUILD, "the CUDA toolkit is found the way torch looks for it")
def cuda_home_missing(f: Facts, k: Knowledge | None) -> Finding | None:
    tc = f.toolchain
    cuda = _cuda_build(f)
    if tc is None:
        return recorded(f, "build.cuda_home_missing", toolkit_fix(f, cuda) if cuda else None)
    if cuda is None or tc.build_wanted is None:
        return None
    if tc.cuda_home is None:
        return warning("No CUDA toolkit was found (CUDA_HOME and CUDA_PATH unset, no nvcc on PATH, no "
                       "/usr/local/cuda): building a CUDA extension fails with 'CUDA_HOME environment variable is "
                       "not set' or 'nvcc was not found'.", toolkit_fix(f, cuda))
    if tc.nvcc is None:
        return warning(f"CUDA's home is {tc.cuda_home} (from {tc.cuda_home_from}) but it has no bin/nvcc: torch "
                       f"raises 'nvcc not found at ...' when it builds an extension.", toolkit_fix(f, cuda))
    return None


@check("build.nvcc_mismatch", areas.BUILD, "nvcc's CUDA release matches torch's")
def nvcc_mismatch(f: Facts, k: Knowledge | None) -> Finding | None:
    tc = f.toolchain
    cuda = _cuda_build(f)
    if tc is None:
        from torchdoctor.checks.compile import said_finding

        m = said_finding(f, "build.nvcc_mismatch")
        if m is None:
            return None
        have, want = m.get("nvcc"), m.get("torch_cuda")
        return (error if have.split(".")[0] != want.split(".")[0] else warning)(
            f"The report shows nvcc {have} against torch's CUDA {want} ('{m.text[:160]}').", toolkit_fix(f, want))
    if cuda is None or tc.build_wanted is None or not tc.nvcc_version:
        return None
    have, want = tc.nvcc_version, ".".join(cuda.split(".")[:2])
    if have == want:
        return None
    where = f"nvcc {have} ({tc.nvcc})"
    if have.split(".")[0] != want.split(".")[0]:
        return error(f"{where} is another CUDA major than torch's CUDA {want}: building an extension fails with "
                     f"'The detected CUDA version ({have}) mismatches the version that was used to compile PyTorch "
                     f"({want})'.", toolkit_fix(f, want))
    return warning(f"{where} differs from torch's CUDA {want} in the minor version: torch builds anyway (it warns "
                   "'minor version mismatch'), but packages that demand an exact match (apex) refuse.",
                   toolkit_fix(f, want))


@check("build.gcc_unsupported", areas.BUILD, "nvcc accepts the host compiler")
def gcc_unsupported(f: Facts, k: Knowledge | None) -> Finding | None:
    from torchdoctor.knowledge.toolchain import gcc_max

    tc = f.toolchain
    if tc is None:
        return _gcc_said(f)
    if tc.build_wanted is None or not tc.gcc_version or not tc.nvcc_version:
        return None
    bound = tc.gcc_max if tc.gcc_max is not None else gcc_max(tc.nvcc_version)
    m = re.match(r"(\d+)", tc.gcc_version)
    if bound is None or not m or int(m.group(1)) <= bound:
        return None
    lines = []
    if conda_env(f):
        lines.append(cmd(f, "conda", "install", "-y", "-c", "conda-forge", f"gxx={bound}", f"gcc={bound}"))
    elif package_manager(f) == "apt":
        lines.append(cmd(f, "sudo", "apt-get", "install", "-y", f"gcc-{bound}", f"g++-{bound}"))
    lines.append(cmd(f, "export", f"NVCC_PREPEND_FLAGS=-ccbin g++-{bound}"))
    lines.append(cmd(f, "export", f"CC=gcc-{bound}", f"CXX=g++-{bound}"))
    source = "its crt/host_config.h" if tc.gcc_max is not None else "the toolchain table"
    return error(f"gcc {tc.gcc_version} is newer than nvcc {tc.nvcc_version} accepts (gcc {bound} at most, from "
                 f"{source}): the build stops at '#error -- unsupported GNU version! gcc versions later than {bound} "
                 "are not supported!'.",
                 Fix(f"Install gcc {bound} next to it and let nvcc use it (not -allow-unsupported-compiler)",
                     tuple(lines)))


@check("build.ninja_missing", areas.BUILD, "ninja is on PATH for torch extension builds")
def ninja_missing(f: Facts, k: Knowledge | None) -> Finding | None:
    tc = f.toolchain
    if tc is None:
        return recorded(f, "build.ninja_missing", Fix("Install ninja for this interpreter and make sure its scripts "
                                                      "folder is on PATH", (cmd(f, *pip_argv(f), "install", "ninja"),)))
    if tc.build_wanted is None or tc.ninja:
        return None
    exe = f.python.executable if f.python is not None else None
    folder = os.path.dirname(os.path.expanduser(exe)) if exe else None
    windows = f.platform is not None and f.platform.os == "windows"
    beside = folder and any(os.path.isfile(os.path.join(folder, n)) for n in ("ninja", "ninja.exe"))
    if beside:
        shown = os.path.dirname(exe)
        activate = cmd(f, os.path.join(shown, "activate")) if windows else \
            cmd(f, "source", os.path.join(shown, "activate"))
        return warning(f"ninja is installed in {shown} but that folder is not on PATH: torch.utils.cpp_extension.load "
                       "raises 'Ninja is required to load C++ extensions'.",
                       Fix("Activate the environment (it puts its scripts folder on PATH)", (activate,)))
    return warning("ninja is not on PATH: torch.utils.cpp_extension.load (JIT extensions, DeepSpeed ops) raises "
                   "'Ninja is required to load C++ extensions', and setup.py builds fall back to slow serial builds.",
                   Fix("Install ninja for this interpreter", (cmd(f, *pip_argv(f), "install", "ninja"),)))


def _gcc_said(f: Facts) -> Finding | None:
    from torchdoctor.checks.compile import said_finding

    m = said_finding(f, "build.gcc_unsupported")
    if m is None:
        return None
    n = m.get("gcc_max")
    return error(f"The report shows nvcc's '#error -- unsupported GNU version! gcc versions later than {n} are not "
                 "supported!'.", Fix(f"Install gcc {n} next to it and let nvcc use it (not -allow-unsupported-compiler)",
                                     (cmd(f, "export", f"NVCC_PREPEND_FLAGS=-ccbin g++-{n}"),)))
