"""Start the ranks (or join a group someone else started) and collect their results.

Two ways in:
- launch: `python -m torch.distributed.run --standalone --nproc-per-node N worker.py ...` in a
  child through torchdoctor.runner.run, with a hard deadline that kills the launcher's whole
  process group; the ranks also carry their own watchdog (torchrun puts each rank in its own
  session, so killing the launcher alone would not reach them).
- join: RANK and WORLD_SIZE are set (a user's torchrun started `-m torchdoctor smoke
  --distributed`). This process never imports torch, so it runs worker.py once as a child with
  the same environment, after checking that MASTER_ADDR:MASTER_PORT answers at all (torch
  itself waits its timeout twice and prints a C++ stack dump before saying so).
"""

from __future__ import annotations

import json
import shutil
import socket
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Mapping

from torchdoctor.distributed import GATHER_ENV, GATHERED_FILE, RESULTS_ENV
from torchdoctor.distributed import logs
from torchdoctor.distributed.verdict import Outcome

HERE = Path(__file__).resolve().parent
WORKER = HERE / "worker.py"
PREFLIGHT = HERE / "preflight.py"


@dataclass(frozen=True)
class Plan:
    mode: str  # "launch" | "join"
    device: str  # "cpu" | "cuda" | "auto" (join only: the rank decides)
    backend: str | None  # None: the rank picks (nccl on cuda, gloo on cpu)
    nproc: int | None  # local ranks to launch (launch mode)
    timeout: float  # hard deadline for the whole run, seconds
    python: str
    epochs: int = 100
    seed: int = 0
    torch: str | None = None  # the version the preflight saw, for reports where no rank got that far

    @property
    def collective_timeout(self) -> float:
        """init_process_group's timeout (rendezvous and every collective): short, so failures end."""
        return max(5.0, min(60.0, self.timeout / 4))

    @property
    def worker_deadline(self) -> float:
        """A rank stops itself a little before our outer deadline, so it can still say where it was."""
        return max(self.timeout * 0.5, self.timeout - max(3.0, self.timeout * 0.1))

    def worker_args(self) -> list[str]:
        args = ["--device", self.device, "--epochs", str(self.epochs), "--seed", str(self.seed),
                "--collective-timeout", f"{self.collective_timeout:g}", "--deadline", f"{self.worker_deadline:g}"]
        if self.backend:
            args += ["--backend", self.backend]
        return args


def joining(environ: Mapping[str, str]) -> bool:
    """A launcher (torchrun, SLURM wrapper, by hand) already made us a rank of a group."""
    return bool(environ.get("RANK")) and bool(environ.get("WORLD_SIZE"))


def preflight(python: str, timeout: float) -> tuple[dict | None, str]:
    """What this torch offers (version, CUDA, GPU count, gloo/NCCL); (None, why) if it cannot tell."""
    from torchdoctor.child import run_script

    res = run_script(PREFLIGHT, timeout=timeout, python=python)
    if res.data is None:
        return None, res.detail or "the torch probe printed no answer"
    return res.data, ""


def launcher_argv(plan: Plan) -> list[str]:
    return [plan.python, "-m", "torch.distributed.run", "--standalone", "--nnodes", "1",
            "--nproc-per-node", str(plan.nproc), "--max-restarts", "0", "--monitor-interval", "0.2",
            str(WORKER), *plan.worker_args()]


def run_launch(plan: Plan) -> tuple[Outcome, dict[int, dict]]:
    from torchdoctor.runner import child_env, run

    results_dir = tempfile.mkdtemp(prefix="torchdoctor-dist-")
    try:
        env = child_env({RESULTS_ENV: results_dir, "PYTHONUNBUFFERED": "1"})
        env.setdefault("OMP_NUM_THREADS", "1")  # torchrun sets it anyway, with a warning
        env.setdefault("NCCL_DEBUG", "WARN")  # NCCL's own warnings, kept for the findings
        for key in ("RANK", "WORLD_SIZE", "LOCAL_RANK", GATHER_ENV):
            env.pop(key, None)
        res = run(launcher_argv(plan), timeout=plan.timeout, env=env)
        results = read_results(results_dir)
    finally:
        shutil.rmtree(results_dir, ignore_errors=True)
    outcome = Outcome(mode="launch", world_size=plan.nproc, device=plan.device, backend=plan.backend,
                      timeout=plan.timeout, seconds=res.seconds, returncode=res.returncode,
                      timed_out=res.timed_out, start_error=res.error, torch=plan.torch,
                      log=logs.parse(res.stdout + "\n" + res.stderr))
    return outcome, results


def run_join(plan: Plan, environ: Mapping[str, str]) -> tuple[Outcome, dict[int, dict]]:
    from torchdoctor.runner import child_env, run

    world = _int(environ.get("WORLD_SIZE"))
    base = Outcome(mode="join", world_size=world, device=plan.device, backend=plan.backend, timeout=plan.timeout)
    started = time.monotonic()
    problem = endpoint_problem(environ, wait=plan.collective_timeout)
    if problem:
        rank = _int(environ.get("RANK")) or 0
        mine = {"rank": rank, "local_rank": _int(environ.get("LOCAL_RANK")), "world_size": world,
                "stage": "rendezvous", "finished": False,
                "error": {"stage": "rendezvous", "type": "Unreachable", "message": problem}}
        return replace(base, rendezvous_error=problem, partial_view=True,
                       seconds=time.monotonic() - started), {rank: mine}
    results_dir = tempfile.mkdtemp(prefix="torchdoctor-dist-")
    try:
        env = child_env({RESULTS_ENV: results_dir, GATHER_ENV: "1", "PYTHONUNBUFFERED": "1"})
        env.setdefault("NCCL_DEBUG", "WARN")
        res = run([plan.python, str(WORKER), *plan.worker_args()], timeout=plan.timeout, env=env)
        gathered = _read_json(Path(results_dir) / GATHERED_FILE)
        results = ({int(r["rank"]): r for r in gathered if isinstance(r, dict) and "rank" in r}
                   if isinstance(gathered, list) else read_results(results_dir))
    finally:
        shutil.rmtree(results_dir, ignore_errors=True)
    log = logs.parse(res.stdout + "\n" + res.stderr)
    if res.returncode not in (0, None):  # our own rank's exit status: no torchrun summary tells us here
        me = logs.RankExit(_int(environ.get("RANK")) or 0, _int(environ.get("LOCAL_RANK")), res.returncode, True)
        log = replace(log, exits=log.exits + (me,))
    return replace(base, seconds=res.seconds, returncode=res.returncode, timed_out=res.timed_out,
                   start_error=res.error, log=log, partial_view=not isinstance(gathered, list)), results


def endpoint_problem(environ: Mapping[str, str], wait: float) -> str | None:
    """None when MASTER_ADDR:MASTER_PORT accepts a TCP connection within `wait` seconds.

    Rank 0 of a hand-made env:// group hosts the store itself, so it has nothing to check;
    under torchrun (TORCHELASTIC_RUN_ID set) the agent's store is already up for every rank.
    """
    addr, port = environ.get("MASTER_ADDR"), environ.get("MASTER_PORT")
    if not addr or not port:
        missing = " and ".join(n for n, v in (("MASTER_ADDR", addr), ("MASTER_PORT", port)) if not v)
        return f"RANK and WORLD_SIZE are set but {missing} is not: torch cannot tell where rank 0 is"
    if _int(port) is None:
        return f"MASTER_PORT={port!r} is not a port number"
    if environ.get("RANK") == "0" and not environ.get("TORCHELASTIC_RUN_ID"):
        return None
    deadline = time.monotonic() + wait
    last = ""
    while True:
        try:
            with socket.create_connection((addr, int(port)), timeout=min(2.0, wait)):
                return None
        except OSError as exc:
            last = exc.strerror or type(exc).__name__
        if time.monotonic() >= deadline:
            return (f"nothing answered at {addr}:{port} within {wait:.0f} s ({last}); rank 0 is not "
                    "running there, the address or port is wrong, or a firewall blocks it")
        time.sleep(0.25)


def read_results(directory: str) -> dict[int, dict]:
    """Every rank-*.json in the directory (a half-written or broken file is skipped)."""
    results: dict[int, dict] = {}
    for path in sorted(Path(directory).glob("rank-*.json")):
        data = _read_json(path)
        if isinstance(data, dict) and isinstance(data.get("rank"), int):
            results[data["rank"]] = data
    return results


def _read_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None

