"""The install planner behind `suggest`: facts + knowledge -> the one install command, and why.

Pure: no subprocess, no environment, no rich. One module per step, in the order the planner takes them:

    machine.py       the facts in wheel terms (OS, arch, Python, libc, driver); what no release can serve
    device.py        which device the build is for, and the GPUs it must serve
    gates.py         the (release, variant) candidates and their gates: wheel, driver, GPU architecture
    commands.py      the install line of the chosen candidate (pip, uv, requirements.txt)
    explain.py       reasons, warnings, rejected options and driver upgrades
    nothing_fits.py  the finding that says why no build fits
    problems.py      the planner's finding ids (docs/plan-ids.md) and their constructor
    planner.py       plan_install: the steps together
    result.py        Plan and PlanResult
"""

from __future__ import annotations

from torchdoctor.plan.commands import render_command
from torchdoctor.plan.planner import plan_install
from torchdoctor.plan.problems import IDS, problem
from torchdoctor.plan.result import Plan, PlanResult
from torchdoctor.requests import PlanRequest

__all__ = ["IDS", "Plan", "PlanRequest", "PlanResult", "plan_install", "problem", "render_command"]
