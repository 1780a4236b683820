"""`torchdoctor smoke --distributed`: validate options, launch or join, judge, render.

Exit codes: 0 every rank passed; 1 a rank failed or the group never formed (or the requested
device/backend is not in this torch); 2 usage error.
"""

from __future__ import annotations

import json
import os
import sys
import time

from torchdoctor.errors import EXIT_PROBLEM, DoctorError, UsageError
from torchdoctor.limits import check_nproc, check_seed, check_timeout

DEVICES = ("all", "cpu", "cuda")
BACKENDS = ("gloo", "nccl")


def run_distributed(device: str = "all", json_out: bool = False, nproc: int | None = None,
                    backend: str | None = None, timeout: float = 120.0, python: str | None = None,
                    epochs: int = 100, seed: int = 0, nnodes: int | None = None, node_rank: int | None = None,
                    rdzv_endpoint: str | None = None) -> int:
    from torchdoctor.distributed import launch
    from torchdoctor.distributed.verdict import judge

    device, backend = validate(device, backend, nproc, timeout, epochs, seed)
    environ = dict(os.environ)
    nodes = validate_nodes(nnodes, node_rank, rdzv_endpoint, launch.joining(environ))
    from torchdoctor.target import require_python3
    from torchdoctor.target import resolve_target

    if launch.joining(environ) and python is None:
        # A rank that torchrun started runs the worker with torchrun's own interpreter: the group is
        # that torch's, and the doctor's own env (skipped by the target search) is the one with torch.
        py = sys.executable
    else:
        target = resolve_target(python)  # the interpreter smoke examines (--python, the active env, ...)
        if not target.is_self:
            require_python3(target.reason, target.executable)
        py = target.executable
    if nodes:
        from torchdoctor.distributed.endpoint import join_endpoint

        plan = _local_plan(device, backend, nproc, timeout, py, epochs, seed, nodes)
        _note(f"node {plan.node_rank} of {plan.nnodes}: starting {plan.nproc} {plan.backend} rank(s) on "
              f"{plan.device}, rendezvous at {join_endpoint(*nodes[2])} (the nodes have {plan.join_timeout} s "
              f"to join; stops after {plan.timeout:.0f} s)")
        outcome, results = launch.run_nodes(plan)
    elif launch.joining(environ):
        if nproc is not None:
            _note(f"--nproc is ignored: this process is rank {environ['RANK']} of a group of "
                  f"{environ['WORLD_SIZE']} set up by its launcher")
        if backend is None and device != "all":
            backend = "nccl" if device == "cuda" else "gloo"
        plan = launch.Plan("join", "auto" if device == "all" else device, backend, None, timeout, py, epochs, seed)
        outcome, results = launch.run_join(plan, environ)
    else:
        plan = _local_plan(device, backend, nproc, timeout, py, epochs, seed)
        _note(f"starting {plan.nproc} {plan.backend} rank(s) on {plan.device} through torch.distributed.run "
              f"(stops after {plan.timeout:.0f} s)")
        outcome, results = launch.run_launch(plan)
    report = judge(outcome, results)
    _print(report, json_out, environ)
    return 0 if report["ok"] else EXIT_PROBLEM


def validate(device: str, backend: str | None, nproc: int | None, timeout: float,
             epochs: int, seed: int = 0) -> tuple[str, str | None]:
    """Options alone, before anything runs: UsageError (exit 2) for what can never work."""
    device = (device or "all").strip().lower()
    if device.startswith("cuda:"):
        raise UsageError(f"--device {device}: --distributed runs one rank per GPU; use --device cuda "
                         "and choose GPUs with CUDA_VISIBLE_DEVICES")
    if device not in DEVICES:
        raise UsageError(f"--device {device} is not supported with --distributed (use cpu or cuda)")
    if backend is not None:
        backend = backend.strip().lower()
        if backend not in BACKENDS:
            raise UsageError(f"--backend {backend} is not supported (use gloo or nccl)")
        if backend == "nccl" and device == "cpu":
            raise UsageError("--backend nccl runs on GPUs only; use --backend gloo with --device cpu")
        if backend == "nccl" and device == "all":
            device = "cuda"
    if nproc is not None:
        check_nproc(nproc, "cpu" if device == "cpu" else "any")
    check_timeout(timeout)
    check_seed(seed)
    if epochs < 1:
        raise UsageError(f"--epochs {epochs}: at least one epoch is needed")
    return device, backend


def validate_nodes(nnodes: int | None, node_rank: int | None, rdzv_endpoint: str | None,
                   joining: bool) -> tuple[int, int, tuple[str, int]] | None:
    """--nnodes/--node-rank/--rdzv-endpoint: (nnodes, node_rank, (host, port)), or None for one machine."""
    from torchdoctor.requests import split_endpoint
    from torchdoctor.shell import check_arg

    if nnodes is None:
        if node_rank is not None or rdzv_endpoint is not None:
            raise UsageError("--node-rank and --rdzv-endpoint belong to a multi-node launch: add --nnodes N")
        return None
    if joining:
        raise UsageError("--nnodes starts torch's launcher on this node, but this process already is a rank "
                         "that a launcher started (RANK and WORLD_SIZE are set); drop --nnodes here")
    if nnodes < 1:
        raise UsageError(f"--nnodes {nnodes}: at least one node is needed")
    if rdzv_endpoint is None:
        raise UsageError(f"--nnodes {nnodes} needs --rdzv-endpoint HOST:PORT (the address of node rank 0, "
                         "which hosts the rendezvous, and a free port there)")
    where = split_endpoint(check_arg(rdzv_endpoint, "--rdzv-endpoint"))
    if where is None:
        raise UsageError(f"--rdzv-endpoint {rdzv_endpoint!r}: expected HOST:PORT with a port from 1 to 65535")
    if node_rank is None:
        if nnodes > 1:
            raise UsageError(f"--nnodes {nnodes} needs --node-rank K on every node: 0 on the node at "
                             f"{where[0]}, 1 to {nnodes - 1} on the others")
        node_rank = 0
    if not 0 <= node_rank < nnodes:
        raise UsageError(f"--node-rank {node_rank}: must be from 0 to {nnodes - 1} with --nnodes {nnodes}")
    return nnodes, node_rank, where


def _local_plan(device, backend, nproc, timeout, python, epochs, seed, nodes=None):
    """Ask a child torch what it offers, then fill in the defaults (N GPUs + nccl, or 2 + gloo;
    across nodes 1 CPU rank per node, the nodes themselves make the group)."""
    from torchdoctor.distributed import launch

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
    if nproc is None:
        nproc = gpus if device == "cuda" else (1 if nodes else 2)
    check_nproc(nproc, device, gpus)
    nnodes, node_rank, where = nodes or (None, None, None)
    return launch.Plan("launch", device, backend, nproc, timeout, python, epochs, seed, torch=version,
                       nnodes=nnodes, node_rank=node_rank, endpoint=where)


def _print(report: dict, json_out: bool, environ: dict) -> None:
    """Rank 0 (or the local launcher) prints the report; other joined ranks print one line on stderr."""
    rank = environ.get("RANK") if report["mode"] == "join" else None
    if rank not in (None, "0") and not _only_self(report):
        mine = next((r for r in report["ranks"] if str(r["rank"]) == rank), {})
        _note(f"rank {rank} of {report['world_size']}: {mine.get('status', 'unknown')}; "
              f"group {'passed' if report['ok'] else 'FAILED'} (rank 0 prints the report)")
        return
    if json_out:
        from torchdoctor.sanitize import strict_json

        sys.stdout.write(json.dumps(strict_json(report), indent=2, default=str, allow_nan=False) + "\n")
        return
    from torchdoctor.render.distributed import render_human

    render_human(report)


def _only_self(report: dict) -> bool:
    # Without the gathered results this rank's view is all it can report: it prints it itself.
    return any(r["status"] == "unknown" for r in report["ranks"]) or not report["ranks"]


def _note(message: str) -> None:
    sys.stderr.write(f"torchdoctor: {message}\n")
    sys.stderr.flush()
