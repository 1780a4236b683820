"""`smoke --distributed`: launch torch's own launcher (or join the group it started), judge the ranks.

The group's verdicts come from torchdoctor.verdicts.distributed; this module decides how to start it.
"""

from __future__ import annotations

import sys
import time
from typing import Any, Callable, Mapping

from torchdoctor.errors import EXIT_PROBLEM, DoctorError
from torchdoctor.limits import check_nproc
from torchdoctor.report.distributed import DistributedReport
from torchdoctor.requests.distributed import DistributedRequest


def distributed_report(request: DistributedRequest, environ: Mapping[str, str],
                       note: Callable[[str], None] | None = None) -> DistributedReport:
    from torchdoctor.distributed import launch
    from torchdoctor.verdicts.distributed import judge

    note = note or (lambda message: None)
    device, backend, nodes = request.device, request.backend, request.nodes
    joining = launch.joining(environ)
    if joining and request.python is None:
        # A rank that torchrun started runs the worker with torchrun's own interpreter: the group is
        # that torch's, and the doctor's own env (skipped by the target search) is the one with torch.
        py = sys.executable
    else:
        from torchdoctor.target import require_python3, resolve_target

        target = resolve_target(request.python, search=request.search)
        if not target.is_self:
            require_python3(target.reason, target.executable)
        py = target.executable
    if nodes:
        from torchdoctor.distributed.endpoint import join_endpoint

        plan = local_plan(request, py)
        note(f"node {plan.node_rank} of {plan.nnodes}: starting {plan.nproc} {plan.backend} rank(s) on "
             f"{plan.device}, rendezvous at {join_endpoint(*nodes.endpoint)} (the nodes have {plan.join_timeout} s "
             f"to join; stops after {plan.timeout:.0f} s)")
        outcome, results = launch.run_nodes(plan)
    elif joining:
        if request.nproc is not None:
            note(f"--nproc is ignored: this process is rank {environ['RANK']} of a group of "
                 f"{environ['WORLD_SIZE']} set up by its launcher")
        if backend is None and device != "all":
            backend = "nccl" if device == "cuda" else "gloo"
        plan = launch.Plan("join", "auto" if device == "all" else device, backend, None, request.timeout, py,
                           request.epochs, request.seed, bandwidth_max=request.bandwidth_max)
        outcome, results = launch.run_join(plan, environ)
    else:
        plan = local_plan(request, py)
        note(f"starting {plan.nproc} {plan.backend} rank(s) on {plan.device} through torch.distributed.run "
             f"(stops after {plan.timeout:.0f} s)")
        outcome, results = launch.run_launch(plan)
    document = judge(outcome, results)
    from torchdoctor.findings import Finding

    rank = environ.get("RANK") if document["mode"] == "join" else None
    return DistributedReport(document, tuple(Finding.from_dict(f) for f in document["findings"]), rank)


def local_plan(request: DistributedRequest, python: str) -> Any:
    """Ask a child torch what it offers, then fill in the defaults (N GPUs + nccl, or 2 + gloo; across
    nodes 1 CPU rank per node, the nodes themselves make the group)."""
    from torchdoctor.distributed import launch

    device, backend, nproc, timeout = request.device, request.backend, request.nproc, request.timeout
    started = time.monotonic()
    info, why = launch.preflight(python, timeout=min(timeout, 60.0))
    timeout = max(1.0, timeout - (time.monotonic() - started))  # --timeout bounds the whole command
    if info is None:
        raise DoctorError(f"could not run torch with {python}: {why}", EXIT_PROBLEM)
    if info.get("error"):
        raise DoctorError(f"torch does not import in {python}: {info['error']}", EXIT_PROBLEM)
    version = info.get("torch", "?")
    if not info.get("distributed"):
        raise DoctorError(f"torch {version} was built without torch.distributed "
                          "(torch.distributed.is_available() is False)", EXIT_PROBLEM)
    gpus = int(info.get("gpu_count") or 0)
    if device == "all":
        device = "cuda" if gpus else "cpu"
    if device == "cuda" and not gpus:
        if not info.get("cuda") and not info.get("hip"):
            raise DoctorError(f"torch {version} is a CPU-only build: --device cuda needs a CUDA build "
                              "(`torchdoctor suggest` names the right one)", EXIT_PROBLEM)
        raise DoctorError(f"CUDA is not available to torch {version} (built for CUDA "
                          f"{info.get('cuda') or info.get('hip')}): `torchdoctor check` says why", EXIT_PROBLEM)
    backend = backend or ("nccl" if device == "cuda" else "gloo")
    if not info.get(backend):
        raise DoctorError(f"torch {version} has no {backend} backend "
                          f"(torch.distributed.is_{backend}_available() is False)", EXIT_PROBLEM)
    nodes = request.nodes
    if nproc is None:
        nproc = gpus if device == "cuda" else (1 if nodes else 2)
    check_nproc(nproc, device, gpus)
    return launch.Plan("launch", device, backend, nproc, timeout, python, request.epochs, request.seed,
                       torch=version, nnodes=nodes.count if nodes else None,
                       node_rank=nodes.rank if nodes else None, endpoint=nodes.endpoint if nodes else None,
                       bandwidth_max=request.bandwidth_max)
