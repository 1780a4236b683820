"""The planner: facts + knowledge -> the one install command, and why (or the finding that says why none fits).

The newest release whose candidate passes every gate wins, then its best variant. What was traded off, what
a driver upgrade would unlock, and why each newer release was rejected are part of the result.
"""

from __future__ import annotations

from dataclasses import replace

from torchdoctor.facts import Facts
from torchdoctor.findings import Finding
from torchdoctor.knowledge import Knowledge, variant_kind
from torchdoctor.plan.commands import pinned_packages, plan_from, render_command, variant_index
from torchdoctor.plan.device import Target, choose_target, jetson_problem
from torchdoctor.plan.explain import explain, machine_summary, rejected_lines, upgrade_lines
from torchdoctor.plan.gates import Candidate, candidates, pick, numbers, wheel_gate
from torchdoctor.plan.machine import Machine, preflight, read_machine
from torchdoctor.plan.nothing_fits import why_nothing
from torchdoctor.plan.result import Plan, PlanResult
from torchdoctor.requests import PlanRequest


def plan_install(facts: Facts, knowledge: Knowledge, request: PlanRequest | None = None) -> PlanResult:
    """The plan for this machine, or the findings that say why none fits. Raises ValueError for a pinned
    version or variant the tables do not know."""
    k, req = knowledge, request or PlanRequest()
    m = read_machine(facts)
    summary = machine_summary(m, k)

    def fail(*problems: Finding, fallback: Plan | None = None, rejected=(), upgrades=()) -> PlanResult:
        return PlanResult(None, tuple(problems), tuple(rejected), tuple(upgrades), fallback, summary, k.as_of)

    pre = preflight(m)
    if pre:
        return fail(pre)

    releases, pin_patch, pin_variant = k.releases, None, None
    if req.torch:
        rel = k.release(req.torch)
        if rel is None:
            raise ValueError(f"unknown torch version {req.torch!r}")
        releases = (rel,)
        base, _, pin_variant_text = req.torch.strip().partition("+")
        pin_patch = base if base in rel.versions else None
        pin_variant = pin_variant_text or None

    target = choose_target(m, k)
    jetson = jetson_problem(m, k, target)
    if jetson:
        return fail(jetson)

    cands = candidates(m, k, target, req, releases, pin_patch, pin_variant)
    chosen = pick(cands)

    if target.unusable:
        cpu = _plan_cpu(m, k, req, releases, pin_patch)
        return fail(*target.unusable, fallback=cpu)

    if chosen is None:
        problems = _with_new_python(facts, k, req, why_nothing(m, k, target, cands, req))
        cpu = _plan_cpu(m, k, req, releases, pin_patch) if target.device in ("cuda", "rocm", "xpu") else None
        return fail(*problems, fallback=cpu, rejected=rejected_lines(cands, None, k, m),
                    upgrades=upgrade_lines(cands, None, m, k, target))

    reasons, warnings = explain(chosen, m, k, target, req)
    if target.maybe_xpu:
        tries = candidates(m, k, Target("xpu", target.maybe_xpu), req, releases, pin_patch, None)
        xpu = pick([c for c in tries if c.variant == "xpu"])  # not the CPU stand-in of a release without xpu
        if xpu is not None:
            xpu_index, xpu_links = variant_index(xpu, req)
            pin = bool(req.mirror) and xpu_links is not None
            cmd = render_command(pinned_packages(xpu, req, pin_local=pin, os_name=m.os), xpu_index,
                                 "uv" if req.fmt == "uv" else "pip", os_name=m.os, find_links=xpu_links)
            which = ("a newer Arc card" if any(g.kind == "discrete" for g in target.maybe_xpu)
                     else "Core Ultra (Meteor Lake or newer) graphics")
            reasons.append(f"If it is {which}, try the XPU build instead: {cmd}")
    held = [c for c in cands if c.companion and not (c.wheel or c.arch or c.driver)
            and numbers(c.patch) > numbers(chosen.patch)]
    if held:
        newest = max(held, key=lambda c: numbers(c.patch))
        reasons.insert(1, f"Trade-off: --with {', '.join(req.with_)} holds torch back to {chosen.patch}: "
                          f"{newest.companion}. Without it: torch {newest.patch}+{newest.variant}.")
    newer = next((c for c in cands if c.rel.series == chosen.rel.series and numbers(c.patch) > numbers(chosen.patch)
                  and (c.variant, c.source) == (chosen.variant, chosen.source) and c.wheel), None)
    if newer is not None:  # a patch exception decided it (2.12.0 has cp313t wheels, 2.12.1 has none)
        reasons.insert(1, f"torch {chosen.patch} rather than the newer {newer.patch}: {newer.patch} has {newer.wheel}.")
    plan = plan_from(chosen, m, k, target, req, reasons, warnings)
    if chosen.source == "index" and chosen.status == "inferred":
        every = candidates(m, k, target, req, k.releases, None, None)  # also when --torch pins 2.15
        verified = pick([c for c in every if c.status == "confirmed" and c.variant == chosen.variant
                          and numbers(c.patch) < numbers(chosen.patch)])
        if verified is not None:
            retry = plan_from(verified, m, k, target, req, [], [])
            plan = replace(plan, retry_torch=retry.torch, retry_command=retry.command)
        else:  # no older release fits (Python 3.15): the same release's verified PyPI wheel
            default = chosen.rel.pypi_default.get(m.key)
            pypi = Candidate(chosen.rel, chosen.patch, default or "", "pypi", "confirmed", None)
            if default and wheel_gate(m, chosen.rel, chosen.rel.variant(default), default, "pypi") is None:
                command = render_command(pinned_packages(pypi, req), None, req.fmt, os_name=m.os)
                extra = (f"The fallback `{command}` is verified on PyPI, but it is the {default} build: it runs "
                         "on the CPU after downloading several GB of GPU libraries."
                         if variant_kind(default) != "cpu" else "")
                plan = replace(plan, retry_torch=pypi.patch, retry_command=command,
                               reasons=plan.reasons + ((extra,) if extra else ()))
    return PlanResult(plan, (), tuple(rejected_lines(cands, chosen, k, m)),
                      tuple(upgrade_lines(cands, chosen, m, k, target)), None, summary, k.as_of)


def _plan_cpu(m: Machine, k: Knowledge, req: PlanRequest, releases, pin_patch) -> Plan | None:
    cpu_target = Target("cpu")
    cands = candidates(m, k, cpu_target, req, releases, pin_patch, None)
    c = pick(cands)
    if c is None:
        return None
    reasons, warnings = explain(c, m, k, cpu_target, req)
    return plan_from(c, m, k, cpu_target, req, reasons, warnings)


def _with_new_python(facts: Facts, k: Knowledge, req: PlanRequest, problems: list[Finding]) -> list[Finding]:
    """A Python too old for every release: say what this machine gets once the recommended Python
    is installed (the student on Python 3.6 wants the next command, not only the diagnosis)."""
    if req.torch or not problems or problems[0].id != "python.too_old" or facts.python is None:
        return problems
    newer = facts.with_(python=replace(facts.python, version=k.recommended_python(), free_threaded=False))
    plan = plan_install(newer, k, req).plan
    if plan is None:
        return problems
    first = problems[0]
    return [replace(first, message=f"{first.message} With Python {k.recommended_python()} this machine gets torch "
                                   f"{plan.torch} ({plan.variant}): `{plan.command}`."), *problems[1:]]


