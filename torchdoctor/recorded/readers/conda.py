"""`conda list` and conda's install plans ("The following NEW packages will be INSTALLED:").

conda's pytorch names its variant in the build string ("py3.10_cuda12.1_cudnn8.9.2_0",
"py3.10_cpu_0", conda-forge's "cpu_generic_py310h..." / "cuda120_py310h..."), and a plan
names the platform ("pytorch/linux-64::pytorch-2.1.0-py3.10_cpu_0"): both are evidence.
"""

from __future__ import annotations

import re

from torchdoctor.facts import Distribution
from torchdoctor.recorded.evidence import Evidence
from torchdoctor.recorded.readers._common import CONDA_TORCH, distributions_of, norm_name
from torchdoctor.recorded.paste import Paste

READER = "conda"
_LIST_HEAD = re.compile(r"^\s*#\s*Name\s+Version\s+Build(\s+Channel)?\s*$")
_LIST_CMD = re.compile(r"^.{0,60}\bconda list\b(?!\s+(?:--help|-h)\b).{0,40}$")  # "❯ conda list | grep pytorch"
_ROW = re.compile(r"^\s*([A-Za-z0-9][\w.-]*)\s+(\d[\w.+!-]*)\s+(\S+)(?:\s+\[\w+\])?(\s+\S+)?\s*$")
_PLAN_HEAD = re.compile(r"The following (?:NEW )?packages will be (?:INSTALLED|UPDATED|DOWNGRADED|SUPERSEDED)", re.I)
_PLAN_ROW = re.compile(r"^\s+([A-Za-z0-9][\w.-]*)\s+(?:.*-->\s*)?(?:([\w./-]+)::)?(\S+)\s*(?:\(.*\))?\s*$")
_OLD_PLAN_ROW = re.compile(r"^\s+([A-Za-z0-9][\w.-]*):\s+(?:.*-->\s*)?(\d[\w.]*)-(\S+)(?:\s+\S+)?\s*$")
# "The following packages will be downloaded:" table: "    pytorch-1.11.0   |cpu_py37h14e09b7_1   49.7 MB  conda-forge"
_DOWNLOAD_ROW = re.compile(r"^\s+([A-Za-z0-9][\w.-]*?)-(\d[\w.]*)\s*\|\s*(\S+)\s+[\d.]+\s*[KMG]B\b")
_ENV_LOCATION = re.compile(r"^\s*environment location:\s*(\S+)")
_SUBDIRS = {"linux-64": ("linux", "x86_64"), "linux-aarch64": ("linux", "aarch64"), "win-64": ("windows", "x86_64"),
            "osx-64": ("macos", "x86_64"), "osx-arm64": ("macos", "arm64"), "linux-ppc64le": ("linux", "ppc64le")}


def read(paste: Paste) -> list[Evidence]:
    lines = paste.lines
    out: list[Evidence] = []
    listing: list[tuple[int, str]] = []
    plan: list[tuple[int, Distribution]] = []
    subdir = None
    mode = None
    for i, line in enumerate(lines):
        if mode is None and not ("#" in line or "conda" in line or "will be" in line or "|" in line or
                                 "environment location" in line):
            continue  # nothing conda prints starts here
        if _LIST_HEAD.match(line) or _LIST_CMD.match(line):
            if listing:
                break  # a second listing (another env, or after a change): the first one is read
            mode = "list"
            continue
        if _PLAN_HEAD.search(line):
            mode = "plan"
            continue
        m = _DOWNLOAD_ROW.match(line)
        if m:
            plan.append((i, Distribution(name=_name(m.group(1)), version=m.group(2), installer="conda",
                                         build=m.group(3))))
            continue
        if _ENV_LOCATION.match(line) or re.match(r"^\s*#\s*packages in environment at", line):
            out.append(Evidence("python.env_kind", "conda", "conda_plan", i + 1, line))
        if mode == "list":
            if line.lstrip().startswith("#") or not line.strip():
                continue
            m = _ROW.match(line)
            if m:
                listing.append((i, " ".join(x for x in m.groups() if x).strip()))
            else:
                mode = None
        elif mode == "plan":
            if not line.strip():
                if plan:
                    mode = None
                continue
            m = _OLD_PLAN_ROW.match(line)
            if m:
                plan.append((i, Distribution(name=_name(m.group(1)), version=m.group(2), installer="conda",
                                             build=m.group(3))))
                continue
            m = _PLAN_ROW.match(line)
            if m and m.group(3).startswith(m.group(1) + "-"):
                rest = m.group(3)[len(m.group(1)) + 1:]
                version, _, build = rest.partition("-")
                if re.match(r"^\d", version):
                    plan.append((i, Distribution(name=_name(m.group(1)), version=version, installer="conda",
                                                 build=build or None)))
                    sub = (m.group(2) or "").split("/")[-1]
                    subdir = subdir or (sub if sub in _SUBDIRS else None)
                continue
            mode = None
    if listing:
        dists = distributions_of([("conda", row) for _, row in listing])
        if dists:
            out.append(Evidence("distributions", dists, READER, listing[0][0] + 1, lines[listing[0][0]]))
    if plan:
        plan = list({d.name: (i, d) for i, d in reversed(plan)}.values())[::-1]  # a package once
        out.append(Evidence("distributions", tuple(d for _, d in plan), "conda_plan", plan[0][0] + 1,
                            lines[plan[0][0]]))
        if subdir:
            os_, arch = _SUBDIRS[subdir]
            out += [Evidence("platform.os", os_, "conda_plan", plan[0][0] + 1, lines[plan[0][0]]),
                    Evidence("platform.arch", arch, "conda_plan", plan[0][0] + 1, lines[plan[0][0]])]
    return out


def _name(name: str) -> str:
    name = norm_name(name)
    return "torch" if name in CONDA_TORCH else name
