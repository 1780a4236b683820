"""pip.*: the user's own pip/uv configuration against the plan for this machine.

`pip.index_overrides`: the target's effective index settings (facts.index_config, read by
probes/pip_config.py) would make `pip install torch` give another build than the plan. The judgement
itself is plan/config.py, which `suggest` uses without loading the checks.
"""

from __future__ import annotations

from dataclasses import replace

from torchdoctor.checks import areas
from torchdoctor.checks.registry import check
from torchdoctor.facts import Facts
from torchdoctor.findings import Finding
from torchdoctor.knowledge import Knowledge
from torchdoctor.plan.config import ID, TITLE, finding_for


@check(ID, areas.PACKAGES, TITLE, needs=("index_config", "platform", "python"))
def index_overrides(f: Facts, k: Knowledge | None) -> Finding | None:
    """Against the plan for this machine (the planner on the same facts)."""
    if k is None or f.index_config is None or not f.index_config.settings:
        return None
    from torchdoctor.plan import plan_install

    try:
        plan = plan_install(f, k).plan
    except ValueError:
        plan = None
    found = finding_for(f.index_config, plan, f.platform.os if f.platform else None)
    return replace(found, id="", area="", title="") if found is not None else None
