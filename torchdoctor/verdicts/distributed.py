"""Combine per-rank results into one report with findings (pure: no I/O, no torch, no rich).

A rank is one of:
  passed   finished, the all-reduce was exact, weights bit-identical across ranks and
           within tolerance of the single-process reference
  failed   finished, but a check above did not hold
  error    a stage raised (its message says which and why)
  timeout  the rank's own watchdog stopped it (stuck in a stage)
  crashed  exited non-zero (or by a signal) without recording an error
  stopped  torchrun ended it (SIGTERM) because another rank failed first
  missing  never reported at all (died before writing, or never started)
  unknown  not seen from here (a joined rank without the gathered results)

A multi-node launch adds group findings of its own: the endpoint preflight (endpoint.py) and
a rendezvous that timed out because not every node came.
"""

from __future__ import annotations

import re
import signal as _signal
from typing import Any, Mapping

from torchdoctor.checks.areas import DISTRIBUTED
from torchdoctor.distributed.endpoint import Endpoint
from torchdoctor.distributed.outcome import Outcome
from torchdoctor.facts import SCHEMA
from torchdoctor.findings import Finding, finding

RENDEZVOUS_FIX = ("Check that MASTER_ADDR / --rdzv-endpoint names rank 0's host and that its port is "
                  "reachable from every node (firewall, security group), that every node uses the same "
                  "WORLD_SIZE / --nnodes, and that all nodes start within the rendezvous timeout.")
NCCL_FIX = ("Rerun with NCCL_DEBUG=INFO to see the transport NCCL picked; on a single machine try "
            "NCCL_P2P_DISABLE=1 (peer-to-peer) or NCCL_SHM_DISABLE=1, across machines set "
            "NCCL_SOCKET_IFNAME to the interface that connects the nodes.")
TIMEOUT_FIX = "Raise --timeout if the machine is just slow; otherwise the stage named is where it hangs."
IFNAME_FIX = ("If the nodes have several networks, name the one that connects them for the ranks' own traffic "
              "too: NCCL_SOCKET_IFNAME=<interface> (NCCL) or GLOO_SOCKET_IFNAME=<interface> (gloo).")


# What each distributed finding verifies, by id (the shared Finding's title; docs/findings.md lists them).
FINDING_IDS = {
    "distributed.launch_failed": "torch's launcher starts every rank",
    "distributed.rendezvous_failed": "the ranks meet at the rendezvous",
    "distributed.timeout": "the group finishes within --timeout",
    "distributed.launcher_lingered": "torch's launcher exits once every rank has finished",
    "distributed.rank_missing": "every rank reports",
    "distributed.world_size_mismatch": "the group has the expected size",
    "distributed.rank_timeout": "each rank finishes in time",
    "distributed.rank_failed": "each rank's checks hold",
    "distributed.rank_error": "each rank runs without an error",
    "distributed.rank_crashed": "no rank crashes",
    "distributed.allreduce_wrong": "all-reduce returns the exact sum",
    "distributed.weights_diverged": "DDP keeps the weights bit-identical on every rank",
    "distributed.reference_mismatch": "DDP training agrees with the single-process reference",
    "distributed.nodes_missing": "every node joins the rendezvous",
    "distributed.endpoint_unresolved": "the rendezvous host resolves",
    "distributed.endpoint_not_local": "node 0 owns the rendezvous address",
    "distributed.endpoint_port_busy": "the rendezvous port is free on node 0",
    "distributed.endpoint_unreachable": "the rendezvous answers from this node",
    "distributed.endpoint_loopback": "the rendezvous address is reachable from other nodes",
    "distributed.nccl_error": "NCCL reports no error",
    "distributed.nccl_warning": "NCCL reports no warning",
}


def _found(id: str, severity: str, message: str, fix: str | None = None) -> Finding:
    """A distributed verdict as the shared Finding (its fix a sentence: the advice has no command)."""
    return finding(id, severity, message, fix, DISTRIBUTED, FINDING_IDS[id])


def judge(outcome: Outcome, results: Mapping[int, Mapping[str, Any]]) -> dict:
    """The report: {"schema", "ok", "world_size", "backend", "backend_version", "ranks", "bandwidth", "findings", ...}."""
    world = outcome.world_size or _world_from(results)
    exits = {e.rank: e for e in outcome.log.exits}
    started = 0 if outcome.never_started else (world or 0)
    ranks = [_judge_rank(r, results.get(r), exits.get(r), outcome) for r in range(started)]
    extra = sorted(set(results) - set(range(world or 0)))  # a rank beyond the expected size
    ranks += [_judge_rank(r, results[r], exits.get(r), outcome) for r in extra]

    findings = _group_findings(outcome, ranks, world)
    per_rank = [f for rank in ranks for f in rank.pop("_findings")
                if not (outcome.timed_out and f.id == "distributed.rank_timeout")]  # the group finding says it
    findings.extend(sorted(per_rank, key=lambda f: f.id != "distributed.rank_crashed"))
    findings.extend(_nccl_findings(outcome, findings))

    any_rank = next((r for r in results.values() if r.get("backend")), {})
    backend = any_rank.get("backend") or outcome.backend
    version = any_rank.get("backend_version")
    ok = (bool(ranks) and all(r["status"] == "passed" for r in ranks)
          and not any(f.severity == "error" for f in findings))
    return {
        "schema": SCHEMA,
        "ok": ok,
        "mode": outcome.mode,
        "world_size": world,
        "device": any_rank.get("device", outcome.device).split(":")[0] if any_rank else outcome.device,
        "backend": backend,
        "backend_version": version,
        "backend_version_note": _version_note(backend, version),
        "torch": any_rank.get("torch") or outcome.torch,
        "seconds": round(outcome.seconds, 3),
        "timeout": outcome.timeout,
        "ranks": ranks,
        "bandwidth": bandwidth(ranks, world or 0),
        "findings": [f.to_dict() for f in findings],
        "nccl_warnings": list(outcome.log.nccl_warnings),
        "nnodes": outcome.nnodes,
        "node_rank": outcome.node_rank,
        "rdzv_endpoint": outcome.rdzv_endpoint,
        "join_timeout": outcome.join_timeout,
        "endpoint": outcome.endpoint.to_dict() if outcome.endpoint else None,
    }


def bus_bandwidth(algbw: float, world: int) -> float:
    """nccl-tests' bus bandwidth for all-reduce: algbw * 2(n-1)/n (0 for one rank: nothing moves)."""
    return algbw * 2 * (world - 1) / world if world > 0 else 0.0


def bandwidth(ranks: list[dict], world: int) -> list[dict]:
    """Per message size: the slowest rank's time (a collective ends when its last rank does)."""
    per_size: dict[int, list[float]] = {}
    reporting = [r for r in ranks if r["status"] == "passed" and r.get("bandwidth")]
    for rank in reporting:
        for row in rank["bandwidth"]:
            per_size.setdefault(int(row["bytes"]), []).append(float(row["seconds"]))
    rows = []
    for size in sorted(per_size):
        times = per_size[size]
        if len(times) != len(reporting) or max(times) <= 0:
            continue
        seconds = max(times)
        algbw = size / seconds / 1e9
        rows.append({"bytes": size, "seconds": seconds, "algbw_gbps": round(algbw, 4),
                     "busbw_gbps": round(bus_bandwidth(algbw, world), 4), "ranks": len(times)})
    return rows


# ------------------------------------------------------------------------------ per rank

def _judge_rank(rank: int, result: Mapping[str, Any] | None, exit_, outcome: Outcome) -> dict:
    out: dict[str, Any] = {"rank": rank, "status": "missing", "ok": False, "problems": []}
    found: list[Finding] = []
    if result is None:
        if outcome.partial_view:
            out["status"] = "unknown"
            out["problems"].append("not seen from this rank (results could not be gathered)")
        else:
            how = f" (exit status {exit_.exitcode})" if exit_ else ""
            out["problems"].append(f"never reported{how}")
        out["_findings"] = found
        return out
    for key in ("local_rank", "node_rank", "world_size", "device", "device_name", "stage", "error", "torch", "timings",
                "allreduce", "classic", "two_layer", "bandwidth"):
        if key in result:
            out[key] = result[key]
    error = result.get("error")
    stage = result.get("stage", "?")
    if error:
        out["status"] = "timeout" if error.get("type") == "Timeout" else "error"
        out["problems"].append(f"{error.get('stage', stage)}: {error.get('type')}: {error.get('message')}")
        if error.get("stage") != "rendezvous":  # rendezvous failures get one group finding instead
            found.append(_found(
                "distributed.rank_timeout" if out["status"] == "timeout" else "distributed.rank_error", "error",
                f"rank {rank} failed in stage {error.get('stage', stage)!r}: "
                f"{error.get('type')}: {_clean(error.get('message'))}",
                TIMEOUT_FIX if out["status"] == "timeout" else None))
    elif not result.get("finished"):
        code = exit_.exitcode if exit_ else None
        if code is not None and code < 0 and -code in (_signal.SIGTERM, getattr(_signal, "SIGKILL", 9)) \
                and not exit_.root_cause:
            out["status"] = "stopped"
            out["problems"].append(f"stopped by the launcher ({_signal_name(-code)}) in stage {stage!r} "
                                   "after another rank failed")
        else:
            out["status"] = "crashed"
            how = (f"was killed by {_signal_name(-code)}" if code is not None and code < 0
                   else f"exited with status {code}" if code is not None else "stopped without a result")
            out["problems"].append(f"{how} in stage {stage!r}")
            found.append(_found("distributed.rank_crashed", "error",
                                 f"rank {rank} {how} during stage {stage!r}; the other ranks were not left "
                                 "hanging (torchrun stops the group when a rank dies)"))
    else:
        _judge_checks(rank, result, out, found)
        out["status"] = "failed" if out["problems"] else "passed"
    out["ok"] = out["status"] == "passed"
    out["_findings"] = found
    return out


def _judge_checks(rank: int, result: Mapping[str, Any], out: dict, found: list[Finding]) -> None:
    ar = result.get("allreduce") or {}
    if not ar.get("exact"):
        msg = (f"all-reduce on rank {rank} gave {ar.get('got')} where every element must be exactly "
               f"{ar.get('expected')} ({ar.get('wrong_elements')} of {ar.get('elements')} wrong)")
        out["problems"].append(msg)
        found.append(_found("distributed.allreduce_wrong", "error", msg))
    for key, label in (("classic", "classic loop"), ("two_layer", "two-layer network")):
        w = result.get(key) or {}
        if not w.get("identical"):
            msg = f"{label}: after DDP training the weights on rank {rank} differ from another rank's"
            out["problems"].append(msg)
            found.append(_found("distributed.weights_diverged", "error", msg + " (they must be bit-identical)"))
        rel, tol = w.get("rel_error"), w.get("tolerance")
        if rel is None or tol is None or not rel <= tol:
            msg = (f"{label}: rank {rank}'s DDP weights differ from the single-process reference by "
                   f"{_fmt(rel)} (tolerance {_fmt(tol)}, {w.get('dtype')})")
            out["problems"].append(msg)
            found.append(_found("distributed.reference_mismatch", "error", msg))


# ------------------------------------------------------------------------------ the group

def _group_findings(outcome: Outcome, ranks: list[dict], world: int | None) -> list[Finding]:
    found: list[Finding] = endpoint_findings(outcome.endpoint) if outcome.endpoint else []
    if outcome.start_error:
        found.append(_found("distributed.launch_failed", "error",
                             f"could not start the ranks: {outcome.start_error}"))
        return found
    if outcome.nodes_missing:
        found.append(nodes_missing(outcome))
    rdzv_failed = [r for r in ranks if (r.get("error") or {}).get("stage") == "rendezvous"]
    if outcome.rendezvous_error or rdzv_failed:
        detail = outcome.rendezvous_error \
            or (_clean(rdzv_failed[0]["error"].get("message")) if rdzv_failed else "") \
            or _first(outcome.log.rendezvous_errors)
        found.append(_found("distributed.rendezvous_failed", "error",
                             f"the process group never formed: {detail}", RENDEZVOUS_FIX))
    if outcome.timed_out and world and len(ranks) == world and all(r["status"] == "passed" for r in ranks):
        # Every rank finished and passed; only torchrun's agent stayed (it waits at an exit barrier for the
        # other nodes' agents, which a loaded machine can miss). The training proof holds: a warning.
        found.append(_found("distributed.launcher_lingered", "warning",
                             f"every rank finished and passed, but torch's launcher had not exited after "
                             f"{outcome.timeout:.0f} s and was stopped (torchrun's agents wait at an exit barrier "
                             "for the other nodes' agents)", TIMEOUT_FIX))
    elif outcome.timed_out:
        stages = ", ".join(f"rank {r['rank']}: {r.get('stage', 'not started')}" for r in ranks) or "no rank reported"
        found.append(_found("distributed.timeout", "error",
                             f"the run did not finish within {outcome.timeout:.0f} s and was stopped "
                             f"(stage reached: {stages})", TIMEOUT_FIX))
    missing = [r["rank"] for r in ranks if r["status"] == "missing"]
    if missing and not outcome.timed_out and not outcome.rendezvous_error:
        tail = _first(outcome.log.tail[::-1])
        found.append(_found("distributed.rank_missing", "error",
                             f"rank(s) {_list(missing)} of {world} never reported a result"
                             + (f"; last output: {tail}" if tail else "")))
    if outcome.mode == "launch" and not ranks and not found and not outcome.never_started:
        found.append(_found("distributed.launch_failed", "error",
                             f"torch's launcher exited with status {outcome.returncode} and no rank reported"))
    sizes = ({r.get("world_size") for r in ranks} | {world}) - {None}
    if len(sizes) > 1:
        found.append(_found("distributed.world_size_mismatch", "error",
                             f"expected {world} ranks, but the ranks saw world sizes {sorted(sizes)}"))
    return found


def nodes_missing(outcome: Outcome) -> Finding:
    """torchrun's rendezvous timed out. This node joined; torch does not say how many others did."""
    n, where, wait = outcome.nnodes or 0, outcome.rdzv_endpoint, outcome.join_timeout
    joined = "1 of 2 nodes" if n == 2 else f"at most {n - 1} of {n} nodes"
    gone = "the other node" if n == 2 else "at least one node"
    return _found("distributed.nodes_missing", "error",
                   f"{joined} joined at {where} within {wait} s: {gone} never came, so no rank started",
                   f"Start the same command on every node (--node-rank 0 to {n - 1}, the same --nnodes {n} "
                   f"and --rdzv-endpoint {where}) within {wait} s of each other (half of --timeout). If they "
                   "did start, their own report says why they could not reach the endpoint.")


def endpoint_findings(ep: Endpoint) -> list[Finding]:
    """The rendezvous endpoint's preflight, judged: each problem with its fix (pure)."""
    where = ep.where
    if ep.resolve_error:
        return [_found("distributed.endpoint_unresolved", "error",
                        f"the rendezvous host {ep.host!r} does not resolve on this node ({ep.resolve_error})",
                        "Use node rank 0's IP address, or a name every node resolves (DNS, /etc/hosts); "
                        "check it for typos.")]
    addresses = ", ".join(ep.addresses[:3])
    if ep.role == "host" and ep.local is False:
        return [_found("distributed.endpoint_not_local", "error",
                        f"this node (rank 0) hosts the rendezvous, but {ep.host} ({addresses}) is not an "
                        f"address of this machine ({ep.error})",
                        "Run --node-rank 0 on the machine at that address, or give --rdzv-endpoint an address "
                        "of this node's interface that the other nodes reach (`ip -brief addr` lists them). "
                        + IFNAME_FIX)]
    if ep.role == "host" and ep.port_free is False:
        return [_found("distributed.endpoint_port_busy", "error",
                        f"port {ep.port} is already in use on this node ({ep.error}), so the rendezvous "
                        f"cannot listen at {where}",
                        f"Pick a free port for --rdzv-endpoint on every node, or end what holds it "
                        f"(`ss -ltnp 'sport = :{ep.port}'` names it; often a torchrun left over).")]
    if ep.role == "client" and ep.reachable is False:
        return [_found("distributed.endpoint_unreachable", "error",
                        f"nothing answered at {where} ({addresses}) within {ep.waited:.0f} s ({ep.error}): "
                        "node rank 0 is not running there, the address is wrong, or a firewall blocks the port",
                        f"Start --node-rank 0 on {ep.host} first; open TCP port {ep.port} between the nodes "
                        "(firewall, security group); check that the address is node rank 0's interface that "
                        "this node reaches. " + IFNAME_FIX)]
    if ep.addresses and all(_loopback(a) for a in ep.addresses):
        return [_found("distributed.endpoint_loopback", "warning",
                        f"the rendezvous endpoint {ep.host} is a loopback address here ({addresses}): only "
                        "nodes on this same machine can reach it",
                        "For nodes on other machines, give --rdzv-endpoint the address of node rank 0's interface "
                        "that they reach (`ip -brief addr`), not 127.x or a host name that /etc/hosts maps to "
                        "127.0.1.1. " + IFNAME_FIX)]
    return []


def _loopback(address: str) -> bool:
    import ipaddress

    try:
        return ipaddress.ip_address(address.split("%")[0]).is_loopback
    except ValueError:
        return False


def _nccl_findings(outcome: Outcome, found: list[Finding]) -> list[Finding]:
    warnings = outcome.log.nccl_warnings
    if not warnings:
        return []
    failed = any(f.severity == "error" for f in found)
    shown = "; ".join(warnings[:3])
    if failed:
        return [_found("distributed.nccl_error", "error", f"NCCL reported: {shown}", NCCL_FIX)]
    return [_found("distributed.nccl_warning", "warning", f"NCCL warned (the run still passed): {shown}")]


def _version_note(backend: str | None, version: str | None) -> str | None:
    if backend == "gloo":
        return "gloo has no version of its own: it is built into torch"
    if backend == "nccl" and not version:
        return "NCCL did not report its version"
    return None


def _world_from(results: Mapping[int, Mapping[str, Any]]) -> int | None:
    sizes = [r.get("world_size") for r in results.values() if isinstance(r.get("world_size"), int)]
    return max(sizes) if sizes else (max(results) + 1 if results else None)


def _signal_name(num: int) -> str:
    try:
        return _signal.Signals(num).name
    except ValueError:
        return f"signal {num}"


_SOURCE_PREFIX = re.compile(r"^\[[^\]\s]+\.(?:cc|cpp|h|hpp|cu):\d+\]\s*")


def _clean(message: Any) -> str:
    """torch's C++ errors start with their source path (`[/__w/pytorch/.../pair.cc:553] `): drop it."""
    return _SOURCE_PREFIX.sub("", str(message or "")).strip()


def _first(items) -> str:
    return next(iter(items), "")


def _list(items: list[int]) -> str:
    return ", ".join(str(i) for i in items)


def _fmt(value: Any) -> str:
    return f"{value:.1e}" if isinstance(value, (int, float)) else str(value)
