"""Start the ranks (or join a group someone else started) and collect their results.

Two ways in:
- launch: `python -m torch.distributed.run --standalone --nproc-per-node N patient/distributed_worker.py ...`
  in a child through torchdoctor.runner.run, with a hard deadline that kills the launcher's whole
  process group; the ranks also carry their own watchdog (torchrun puts each rank in its own
  session, so killing the launcher alone would not reach them).
- nodes: the same, one node of a multi-node group (`--nnodes N --node-rank K --rdzv-endpoint
  HOST:PORT`): torchrun's c10d rendezvous with a join_timeout taken from our deadline, so a
  node that never comes ends the run in time, after a preflight of the endpoint (endpoint.py).
- join: RANK and WORLD_SIZE are set (a user's torchrun started `-m torchdoctor smoke
  --distributed`). This process never imports torch, so it runs the worker once as a child with the same
  environment, after checking that MASTER_ADDR:MASTER_PORT answers at all (torch
  itself waits its timeout twice and prints a C++ stack dump before saying so).
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Mapping

from torchdoctor.distributed import endpoint, logs
from torchdoctor.distributed.outcome import Outcome
from torchdoctor.patient import script
from torchdoctor.patient.rank_results import GATHER_ENV, GATHERED_FILE, RESULTS_ENV
from torchdoctor.shell import Command

WORKER = script("distributed_worker")
PREFLIGHT = script("distributed_preflight")


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
    nnodes: int | None = None  # a multi-node launch: this node is node_rank of nnodes
    node_rank: int | None = None
    endpoint: tuple[str, int] | None = None  # the c10d rendezvous, hosted by node rank 0
    bandwidth_max: int | None = None  # --bandwidth-max: all-reduce timed up to this many bytes too

    @property
    def join_timeout(self) -> int:
        """torchrun's rendezvous join_timeout (whole seconds): the nodes get the first half of the deadline."""
        return max(1, int(self.timeout // 2))

    @property
    def run_budget(self) -> float:
        """Seconds the ranks have once started (after the rendezvous, in a multi-node launch)."""
        return self.timeout - self.join_timeout if self.nnodes else self.timeout

    @property
    def collective_timeout(self) -> float:
        """init_process_group's timeout (rendezvous and every collective): short, so failures end."""
        return max(5.0, min(60.0, self.run_budget / 4))

    @property
    def worker_deadline(self) -> float:
        """A rank stops itself a little before our outer deadline, so it can still say where it was."""
        budget = self.run_budget
        return max(budget * 0.5, budget - max(3.0, budget * 0.1))

    def worker_args(self) -> list[str]:
        args = ["--device", self.device, "--epochs", str(self.epochs), "--seed", str(self.seed),
                "--collective-timeout", f"{self.collective_timeout:g}", "--deadline", f"{self.worker_deadline:g}"]
        if self.backend:
            args += ["--backend", self.backend]
        if self.bandwidth_max:
            args += ["--bandwidth-max", str(self.bandwidth_max)]
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


def launcher_command(plan: Plan) -> Command:
    """The torchrun line this node runs: one node standalone, or one of --nnodes through c10d."""
    if not plan.nnodes:
        nodes = ["--standalone", "--nnodes", "1"]
    else:
        host, port = plan.endpoint or ("", 0)
        # is_host: node rank 0 serves the store, stated rather than guessed from hostnames
        # (on one machine every agent would match); join_timeout: torchrun waits 600 s otherwise.
        conf = f"join_timeout={plan.join_timeout},is_host={1 if plan.node_rank == 0 else 0}"
        nodes = ["--nnodes", str(plan.nnodes), "--node-rank", str(plan.node_rank), "--rdzv-backend", "c10d",
                 "--rdzv-endpoint", endpoint.join_endpoint(host, port), "--rdzv-id", "torchdoctor",
                 "--rdzv-conf", conf]
    return Command((plan.python, "-m", "torch.distributed.run", *nodes, "--nproc-per-node", str(plan.nproc),
                    "--max-restarts", "0", "--monitor-interval", "0.2", str(WORKER), *plan.worker_args()))


def launcher_argv(plan: Plan) -> list[str]:
    return list(launcher_command(plan).argv)


def run_launch(plan: Plan) -> tuple[Outcome, dict[int, dict]]:
    from torchdoctor.runner import child_env, run

    results_dir = tempfile.mkdtemp(prefix="torchdoctor-dist-")
    gathered = None
    try:
        env = child_env()
        for key in ("RANK", "WORLD_SIZE", "LOCAL_RANK", GATHER_ENV):
            env.pop(key, None)
        env.update({RESULTS_ENV: results_dir, "PYTHONUNBUFFERED": "1"})
        if plan.nnodes:
            env[GATHER_ENV] = "1"  # other nodes' ranks write their files on their own node: gather to every node
        env.setdefault("OMP_NUM_THREADS", "1")  # torchrun sets it anyway, with a warning
        env.setdefault("NCCL_DEBUG", "WARN")  # NCCL's own warnings, kept for the findings
        res = run(launcher_argv(plan), timeout=plan.timeout, env=env)
        gathered = _read_json(Path(results_dir) / GATHERED_FILE) if plan.nnodes else None
        results = _by_rank(gathered) if isinstance(gathered, list) else read_results(results_dir)
    finally:
        shutil.rmtree(results_dir, ignore_errors=True)
    log = logs.parse(res.stdout + "\n" + res.stderr)
    missing = bool(plan.nnodes) and any("RendezvousTimeoutError" in line for line in log.rendezvous_errors)
    outcome = Outcome(mode="launch", world_size=plan.nproc * (plan.nnodes or 1), device=plan.device,
                      backend=plan.backend, timeout=plan.timeout, seconds=res.seconds, returncode=res.returncode,
                      timed_out=res.timed_out, start_error=res.error, torch=plan.torch, log=log,
                      partial_view=bool(plan.nnodes) and not isinstance(gathered, list),
                      nodes_missing=missing, never_started=missing, **_nodes(plan))
    return outcome, results


def run_nodes(plan: Plan) -> tuple[Outcome, dict[int, dict]]:
    """One node of a multi-node launch: check the endpoint, then run torchrun for what time is left.

    Node rank 0 hosts the rendezvous (its address must be this machine's, its port free); every
    other node waits, up to the join window, for that port to answer.
    """
    started = time.monotonic()
    host, port = plan.endpoint or ("", 0)
    seen = endpoint.probe(host, port, "host" if plan.node_rank == 0 else "client", wait=plan.join_timeout)
    spent = time.monotonic() - started
    if not seen.usable:
        return Outcome(mode="launch", world_size=plan.nproc * (plan.nnodes or 1), device=plan.device,
                       backend=plan.backend, timeout=plan.timeout, seconds=spent, torch=plan.torch,
                       partial_view=True, never_started=True, endpoint=seen, **_nodes(plan)), {}
    outcome, results = run_launch(replace(plan, timeout=max(2.0, plan.timeout - spent)))
    return replace(outcome, timeout=plan.timeout, seconds=outcome.seconds + spent, endpoint=seen), results


def _nodes(plan: Plan) -> dict:
    """The Outcome fields of a multi-node launch (all None on one machine)."""
    if not plan.nnodes or not plan.endpoint:
        return {}
    return {"nnodes": plan.nnodes, "node_rank": plan.node_rank, "join_timeout": plan.join_timeout,
            "rdzv_endpoint": endpoint.join_endpoint(*plan.endpoint)}


def _by_rank(gathered: list) -> dict[int, dict]:
    return {int(r["rank"]): r for r in gathered if isinstance(r, dict) and isinstance(r.get("rank"), int)}


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
        results = _by_rank(gathered) if isinstance(gathered, list) else read_results(results_dir)
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
    answered, last, _ = endpoint.wait_for_port(addr, int(port), wait)
    if answered:
        return None
    return (f"nothing answered at {addr}:{port} within {wait:.0f} s ({last}); rank 0 is not "
            "running there, the address or port is wrong, or a firewall blocks it")


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

