"""How a distributed run went, seen from the doctor's side: what the launcher (or a joined worker) observed.

The launcher fills it; verdicts/distributed.py judges it. It sits in intake so the launcher needs no judge.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from torchdoctor.distributed.endpoint import Endpoint
from torchdoctor.distributed.logs import LauncherLog


@dataclass(frozen=True)
class Outcome:
    """How the run went, seen from the doctor's side (launcher or joined worker)."""

    mode: str  # "launch" (we started N local ranks) | "join" (a user's torchrun started us)
    world_size: int | None  # expected number of ranks
    device: str  # "cpu" | "cuda" | "auto"
    backend: str | None  # "gloo" | "nccl" | None (the worker picks)
    timeout: float
    seconds: float = 0.0
    returncode: int | None = None
    timed_out: bool = False
    start_error: str | None = None  # the launcher/worker could not start at all
    rendezvous_error: str | None = None  # our own pre-check: nothing listens at MASTER_ADDR:PORT
    log: LauncherLog = field(default_factory=LauncherLog)
    torch: str | None = None
    partial_view: bool = False  # join mode without the gathered results: we see our own rank only
    # A multi-node launch (--nnodes): this node's place, the endpoint preflight, how it ended.
    nnodes: int | None = None
    node_rank: int | None = None
    rdzv_endpoint: str | None = None  # "HOST:PORT"
    join_timeout: int | None = None  # torchrun's rendezvous join_timeout, seconds
    endpoint: Endpoint | None = None  # what the preflight saw of it
    nodes_missing: bool = False  # torchrun's rendezvous timed out: not every node joined
    never_started: bool = False  # no rank ran: the preflight failed or the nodes never all came
