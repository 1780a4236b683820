"""`smoke --distributed`'s request: ranks, backend, nodes."""

from __future__ import annotations

from dataclasses import dataclass

from torchdoctor.errors import UsageError
from torchdoctor.limits import check_nproc, check_seed, check_timeout
from torchdoctor.shell import check_arg
from torchdoctor.requests import python_option

DISTRIBUTED_DEVICES = ("all", "cpu", "cuda")
BACKENDS = ("gloo", "nccl")


@dataclass(frozen=True)
class Nodes:
    """A multi-node launch: this machine is node `rank` of `count`; node 0 hosts the rendezvous."""

    count: int
    rank: int
    endpoint: tuple[str, int]


@dataclass(frozen=True)
class DistributedRequest:
    device: str = "all"  # "all" | "cpu" | "cuda"
    backend: str | None = None  # None: nccl on cuda, gloo on cpu
    nproc: int | None = None
    timeout: float = 120.0
    python: str | None = None
    epochs: int = 100
    seed: int = 0
    nodes: Nodes | None = None
    search: bool = True
    bandwidth_max: int | None = None  # --bandwidth-max SIZE, bytes

    @classmethod
    def build(cls, device: str = "all", backend: str | None = None, nproc: int | None = None,
              timeout: float = 120.0, python: str | None = None, epochs: int = 100, seed: int = 0,
              nnodes: int | None = None, node_rank: int | None = None, rdzv_endpoint: str | None = None,
              joining: bool = False, search: bool = True, bandwidth_max: str | None = None) -> "DistributedRequest":
        device, backend = distributed_options(device, backend, nproc, timeout, epochs, seed)
        nodes = _nodes(nnodes, node_rank, rdzv_endpoint, joining)
        return cls(device, backend, nproc, float(timeout), python_option(python), epochs, seed, nodes, search,
                   _bandwidth_max(bandwidth_max))


def distributed_options(device: str, backend: str | None, nproc: int | None, timeout: float,
                         epochs: int, seed: int = 0) -> tuple[str, str | None]:
    """Options alone, before anything runs: UsageError (exit 2) for what can never work."""
    device = (device or "all").strip().lower()
    if device.startswith("cuda:"):
        raise UsageError(f"--device {device}: --distributed runs one rank per GPU; use --device cuda "
                         "and choose GPUs with CUDA_VISIBLE_DEVICES")
    if device not in DISTRIBUTED_DEVICES:
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


def _nodes(nnodes: int | None, node_rank: int | None, rdzv_endpoint: str | None, joining: bool) -> Nodes | None:
    """--nnodes/--node-rank/--rdzv-endpoint, or None for one machine."""
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
    return Nodes(nnodes, node_rank, where)


def split_endpoint(text: str) -> tuple[str, int] | None:
    """"HOST:PORT" or "[v6]:PORT" -> (host, port); None when it is neither."""
    host, sep, port = text.strip().rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        return None
    return host, int(port)


BANDWIDTH_MAX = 64 << 30  # 64 GiB: more than nccl-tests' floors use (8-16 GiB), less than any GPU could hold twice


def _bandwidth_max(text: str | None) -> int | None:
    if text is None:
        return None
    from torchdoctor.requests.fleet import parse_size

    size = parse_size(text, "--bandwidth-max")
    if size > BANDWIDTH_MAX:
        raise UsageError(f"--bandwidth-max {text}: at most 64G")
    return size
