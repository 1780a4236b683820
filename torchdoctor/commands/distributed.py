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
                    epochs: int = 100, seed: int = 0) -> int:
    from torchdoctor.distributed import launch
    from torchdoctor.distributed.verdict import judge

    device, backend = validate(device, backend, nproc, timeout, epochs, seed)
    from torchdoctor.commands.check import require_python3
    from torchdoctor.target import resolve_target

    target = resolve_target(python)  # the interpreter smoke examines (--python, the active env, ...)
    if not target.is_self:
        require_python3(target.reason, target.executable)
    environ = dict(os.environ)
    py = target.executable
    if launch.joining(environ):
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


def _local_plan(device, backend, nproc, timeout, python, epochs, seed):
    """Ask a child torch what it offers, then fill in the defaults (N GPUs + nccl, or 2 + gloo)."""
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
        nproc = gpus if device == "cuda" else 2
    check_nproc(nproc, device, gpus)
    return launch.Plan("launch", device, backend, nproc, timeout, python, epochs, seed, torch=version)


def _print(report: dict, json_out: bool, environ: dict) -> None:
    """Rank 0 (or the local launcher) prints the report; other joined ranks print one line on stderr."""
    rank = environ.get("RANK") if report["mode"] == "join" else None
    if rank not in (None, "0") and not _only_self(report):
        mine = next((r for r in report["ranks"] if str(r["rank"]) == rank), {})
        _note(f"rank {rank} of {report['world_size']}: {mine.get('status', 'unknown')}; "
              f"group {'passed' if report['ok'] else 'FAILED'} (rank 0 prints the report)")
        return
    if json_out:
        from torchdoctor.render.sanitize import strict_json

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
