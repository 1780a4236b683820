"""`install`'s request: the plan and how to run it."""

from __future__ import annotations

from dataclasses import dataclass

from torchdoctor.limits import check_timeout
from torchdoctor.requests import PlanRequest, python_option
from torchdoctor.requests.suggest import plan_request

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
    probe: bool = True  # look at the plan's index page first (--no-probe: do not)
    break_companions: bool = False  # change torch even where an installed companion would break

    @classmethod
    def build(cls, torch: str | None = None, with_: str | None = None, python: str | None = None,
              index_base: str | None = None, yes: bool = False, dry_run: bool = False, verify: bool = True,
              replace_conda: bool = False, timeout: float = 300.0, mirror: str | None = None,
              probe: bool = True, break_companions: bool = False) -> "InstallRequest":
        timeout = check_timeout(timeout)
        plan = plan_request(torch=torch, with_=with_, index_base=index_base, mirror=mirror)
        return cls(plan, plan.with_, python_option(python), yes, dry_run, verify, replace_conda, timeout, bool(probe),
                   break_companions)
