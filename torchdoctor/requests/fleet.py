"""`fleet report`'s and `fleet run`'s requests."""

from __future__ import annotations

import re
from dataclasses import dataclass

from torchdoctor.errors import UsageError

EXPECT_MAX = 100_000
_SIZE = re.compile(r"^(\d+(?:\.\d+)?)\s*([KMGT]i?B?|B)?$", re.I)
_FLOOR = re.compile(r"^(?:(\d+)x([A-Za-z0-9][A-Za-z0-9 _.-]*)=)?(\d+(?:\.\d+)?)(?:@(.+))?$")


def parse_size(text: str, flag: str) -> int:
    """`16G`, `16GiB`, `256M`, `1048576` -> bytes (K/M/G/T are powers of 1024, as nccl-tests' -e reads them)."""
    m = _SIZE.match(text.strip())
    if not m:
        raise UsageError(f"{flag} {text!r}: a size such as 256M, 16G or a number of bytes")
    unit = (m.group(2) or "B")[0].upper()
    value = float(m.group(1)) * 1024 ** "BKMGT".index(unit)
    if value < 1 or value > 1024 ** 5:
        raise UsageError(f"{flag} {text!r}: from 1 byte to 1 PiB")
    return int(value)


@dataclass(frozen=True)
class UserFloor:
    """`--busbw-floor [COUNTxMODEL=]GBPS[@SIZE]`: a site's own floor (COUNTxMODEL: that many GPUs whose
    name holds MODEL as a word; none: every run)."""

    gpus: int | None
    model: str | None
    busbw_gbps: float
    min_bytes: int
    text: str

    @classmethod
    def parse(cls, text: str) -> "UserFloor":
        m = _FLOOR.match(text.strip())
        if not m:
            raise UsageError(f"--busbw-floor {text!r}: write GBPS, GBPS@SIZE or COUNTxMODEL=GBPS@SIZE "
                             "(8xH100=460@16G)")
        size = parse_size(m.group(4), "--busbw-floor") if m.group(4) else 0
        return cls(int(m.group(1)) if m.group(1) else None, m.group(2), float(m.group(3)), size, text.strip())


@dataclass(frozen=True)
class FleetReportRequest:
    files: tuple[str, ...] = ()  # () or ("-",): standard input
    expect: int | None = None  # --expect N
    expect_nodes: tuple[str, ...] = ()  # --expect-nodes host[01-16], expanded
    floors: tuple[UserFloor, ...] = ()

    @classmethod
    def build(cls, files: list[str] | tuple[str, ...] = (), expect: int | None = None,
              expect_nodes: str | None = None, floors: list[str] | tuple[str, ...] = ()) -> "FleetReportRequest":
        from torchdoctor.hostlist import expand

        if expect is not None and expect_nodes:
            raise UsageError("--expect and --expect-nodes: give one (--expect-nodes already counts)")
        if expect is not None and not 1 <= expect <= EXPECT_MAX:
            raise UsageError(f"--expect {expect}: from 1 to {EXPECT_MAX} nodes")
        nodes = tuple(expand(expect_nodes)) if expect_nodes else ()
        return cls(tuple(files), expect, nodes, tuple(UserFloor.parse(f) for f in floors))


VIAS = ("srun", "pdsh", "ssh")
FANOUT_MAX = 1024
COMMANDS = ("check", "smoke")


@dataclass(frozen=True)
class FleetRunRequest:
    via: str  # srun | pdsh | ssh
    hosts: tuple[str, ...]  # --nodes as a host list, expanded; () with a count (srun in an allocation)
    count: int  # how many nodes
    hostlist: str | None  # --nodes as given (a host list), for the engine's own -w / --nodelist
    timeout: float  # per node
    fanout: int  # pdsh -f / parallel ssh sessions
    args: tuple[str, ...]  # after `--`: check ... | smoke ...
    program: str  # the doctor's name on the nodes
    report: FleetReportRequest

    @classmethod
    def build(cls, via: str, nodes: str | None, args: list[str] | tuple[str, ...], timeout: float = 120.0,
              fanout: int = 32, program: str = "torchdoctor", floors: list[str] | tuple[str, ...] = ()
              ) -> "FleetRunRequest":
        from torchdoctor.hostlist import compress, expand
        from torchdoctor.limits import check_timeout
        from torchdoctor.shell import check_arg

        via = (via or "").strip().lower()
        if via not in VIAS:
            raise UsageError(f"--via must be one of {', '.join(VIAS)} (got {via!r})")
        args = tuple(check_arg(a, "the command after --") for a in args)
        if not args or args[0] not in COMMANDS:
            raise UsageError("after -- give the command each node runs: check [OPTIONS] or smoke [OPTIONS] "
                             "(fleet run -- check)")
        if any(a in ("--json", "--json-line", "--format", "--node-label") or a.startswith(("--format=", "--node-label="))
               for a in args):
            raise UsageError("fleet run adds --json-line --node-label auto itself: leave --json, --json-line, "
                             "--format and --node-label out of the node's command")
        if not nodes:
            raise UsageError("--nodes is needed: a host list (node[01-16]), or with --via srun a count")
        if nodes.strip().isdigit():
            if via != "srun":
                raise UsageError(f"--via {via} needs the hosts by name: --nodes 'node[01-16]'")
            count, hosts, hostlist = int(nodes), (), None
            if not 1 <= count <= EXPECT_MAX:
                raise UsageError(f"--nodes {count}: from 1 to {EXPECT_MAX}")
        else:
            hosts = tuple(check_arg(h, "--nodes") for h in expand(nodes))
            if any(h.startswith("-") for h in hosts):
                raise UsageError("--nodes: a host name cannot start with '-'")
            count, hostlist = len(hosts), compress(list(hosts))
        if not 1 <= fanout <= FANOUT_MAX:
            raise UsageError(f"--fanout {fanout}: from 1 to {FANOUT_MAX}")
        report = FleetReportRequest(expect=None if hosts else count, expect_nodes=hosts,
                                    floors=tuple(UserFloor.parse(f) for f in floors))
        return cls(via, hosts, count, hostlist, check_timeout(timeout), fanout, args, check_arg(program, "--program"),
                   report)
