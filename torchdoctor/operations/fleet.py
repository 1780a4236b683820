"""`fleet report`: many nodes' reports -> one FleetReport (groups, outliers, missing nodes, smoke, busbw).

A pure function over the documents the nodes printed (recorded/fleet_lines reads them): nothing is run
here. A node passes when every report it sent passes (check without errors, smoke and distributed ok),
its smoke is not slow against its group and its bus bandwidth is not under a floor that applies. The
fleet passes when every expected node sent a report and passes. Configuration outliers are shown, and
fail only through what their own reports say (a driver one minor behind that still works is a
difference, not a failure).
"""

from __future__ import annotations

import statistics
from collections import Counter
from typing import Any

from torchdoctor.recorded.fleet_lines import FleetInput, NodeDocument
from torchdoctor.requests.fleet import FleetReportRequest, UserFloor

FIELDS = ("torch", "driver", "gpus", "python", "findings")


def fleet_report(request: FleetReportRequest, intake: FleetInput | None = None) -> Any:
    from torchdoctor.recorded.fleet_lines import read_inputs
    from torchdoctor.report.fleet import FleetReport

    if intake is None:
        intake = read_inputs(request.files)
    return FleetReport(build(request, intake))


def _get(doc: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(doc, dict):
            return None
        doc = doc.get(key)
    return doc


def _text(value: Any) -> str | None:
    from torchdoctor.sanitize import clean

    return None if value is None else " ".join(clean(str(value)).split())[:200]


def _gpus(facts: dict[str, Any]) -> tuple[str | None, list[str], int]:
    """'8x NVIDIA H100 80GB HBM3 (9.0)' (mixed models joined by ' + '), the names, the count."""
    gpus = facts.get("gpus")
    if gpus is None:
        return None, [], 0
    if not gpus:
        return "no GPU", [], 0
    counted: Counter[str] = Counter()
    names = []
    for g in gpus:
        if not isinstance(g, dict):
            continue
        name = _text(g.get("name")) or _text(g.get("vendor")) or "GPU"
        names.append(name)
        cap = g.get("capability")
        extra = f" ({cap[0]}.{cap[1]})" if isinstance(cap, list) and len(cap) == 2 else (
            f" ({_text(g['gfx'])})" if g.get("gfx") else "")
        counted[name + extra] += 1
    return " + ".join(f"{n}x {what}" for what, n in counted.items()), names, len(names)


def _check_summary(doc: dict[str, Any]) -> dict[str, Any]:
    facts = doc.get("facts") if isinstance(doc.get("facts"), dict) else {}
    torch = _get(facts, "runtime", "version")
    if not torch:
        torch = next((d.get("version") for d in facts.get("distributions") or () if isinstance(d, dict)
                      and d.get("name") == "torch"), None)
    gpus, names, count = _gpus(facts)
    findings = doc.get("findings") if isinstance(doc.get("findings"), list) else []
    bad = sorted({_text(f.get("id")) or "?" for f in findings
                  if isinstance(f, dict) and f.get("severity") in ("error", "warning", "crashed")})
    errors = sorted({_text(f.get("id")) or "?" for f in findings
                     if isinstance(f, dict) and f.get("severity") == "error"})
    exit_code = doc.get("exit_code")
    return {"torch": _text(torch) or "not installed", "driver": _text(_get(facts, "nvidia", "driver")) or "none",
            "gpus": gpus or "not scanned", "gpu_names": names, "gpu_count": count,
            "python": _text(_get(facts, "python", "version")) or "unknown",
            "findings": ", ".join(bad) or "ok", "errors": errors,
            "exit_code": exit_code if isinstance(exit_code, int) else (1 if errors else 0)}


def _smoke_summary(doc: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for d in doc.get("devices") or ():
        if not isinstance(d, dict):
            continue
        rate = _get(d, "throughput", "steps_per_s")
        out.append({"device": _text(d.get("device")) or "?", "name": _text(d.get("name")) or _text(d.get("device")),
                    "ok": bool(d.get("ok")), "status": _text(d.get("status")),
                    "steps_per_s": float(rate) if isinstance(rate, (int, float)) else None})
    return out


def _distributed_summary(doc: dict[str, Any]) -> dict[str, Any]:
    rows = [r for r in doc.get("bandwidth") or () if isinstance(r, dict) and isinstance(r.get("busbw_gbps"),
                                                                                     (int, float))]
    best = max(rows, key=lambda r: (r.get("bytes") or 0), default=None)
    names = sorted({_text(r.get("device_name")) for r in doc.get("ranks") or ()
                    if isinstance(r, dict) and r.get("device_name")} - {None})
    return {"ok": bool(doc.get("ok")), "world_size": doc.get("world_size"), "nnodes": doc.get("nnodes"),
            "device": _text(doc.get("device")), "backend": _text(doc.get("backend")),
            "device_names": names, "rows": rows,
            "busbw_gbps": best.get("busbw_gbps") if best else None,
            "max_bytes": best.get("bytes") if best else None,
            "failed_findings": sorted({_text(f.get("id")) or "?" for f in doc.get("findings") or ()
                                       if isinstance(f, dict) and f.get("severity") == "error"})}


def _size(n: int | None) -> str:
    if not n:
        return "0 B"
    for unit, scale in (("GiB", 1024 ** 3), ("MiB", 1024 ** 2), ("KiB", 1024)):
        if n >= scale:
            v = n / scale
            return f"{v:g} {unit}" if v == int(v) else f"{v:.1f} {unit}"
    return f"{n} B"


def _floor_verdict(dist: dict[str, Any], gpu_names: list[str], user: tuple[UserFloor, ...]) -> dict[str, Any] | None:
    """The floor that applies to this run (the site's first, then the table's), and how it compares."""
    from torchdoctor.knowledge.fleet import busbw_floors

    if dist["busbw_gbps"] is None:
        return None
    names = dist["device_names"] or gpu_names
    ranks = dist["world_size"]
    floor = None
    for f in user:
        if f.gpus is None or (ranks == f.gpus and names and all(
                f.model.lower() in n.lower().replace("-", " ").split() or f.model.lower() in n.lower()
                for n in names)):
            floor = {"name": f.text, "busbw_gbps": f.busbw_gbps, "min_bytes": f.min_bytes, "source": ["--busbw-floor"]}
            break
    if floor is None and (dist["nnodes"] in (None, 1)) and dist["device"] in ("cuda", None):
        for f in busbw_floors():
            if ranks == f.gpus and len(names) >= 1 and all(n in f.gpu_names for n in names):
                floor = {"name": f.name, "busbw_gbps": f.busbw_gbps, "min_bytes": f.min_bytes,
                         "source": list(f.source)}
                break
    if floor is None:
        return None
    at = [r for r in dist["rows"] if (r.get("bytes") or 0) >= floor["min_bytes"]]
    if not at:
        return {**floor, "compared": False, "ok": None,
                "why": f"not compared: the run's largest all-reduce was {_size(dist['max_bytes'])}, "
                       f"the floor is measured at {_size(floor['min_bytes'])} (smoke --distributed "
                       "--bandwidth-max)"}
    measured = max(r["busbw_gbps"] for r in at)
    ok = measured >= floor["busbw_gbps"]
    return {**floor, "compared": True, "ok": ok, "measured_gbps": measured,
            "why": f"{measured:g} GB/s {'>=' if ok else '<'} floor {floor['busbw_gbps']:g} GB/s"}


def build(request: FleetReportRequest, intake: FleetInput) -> dict[str, Any]:
    from torchdoctor.hostlist import compress
    from torchdoctor.knowledge.fleet import slow_fraction

    nodes: dict[str, dict[str, Any]] = {}
    duplicates: list[str] = []

    def node(name: str) -> dict[str, Any]:
        if name not in nodes:
            nodes[name] = {"node": name, "status": "passed", "problems": [], "group": None, "check": None,
                           "smoke": None, "distributed": None, "engine": [], "labelled": False}
        return nodes[name]

    for doc in intake.documents:
        n = node(doc.node)
        n["labelled"] = n["labelled"] or doc.labelled
        if doc.kind == "unknown":
            n["problems"].append(f"a JSON document that is no torchdoctor report ({doc.where})")
            continue
        if n[doc.kind] is not None:
            duplicates.append(f"{doc.node} ({doc.kind}, {doc.where})")
        n[doc.kind] = _summarize(doc)
        if doc.kind != "check":
            torch = doc.document.get("torch")
            n["torch_seen"] = _text(torch.get("torch_version") if isinstance(torch, dict) else torch)
    for event in intake.events:
        n = nodes.get(event.node)
        if n is None:
            n = node(event.node)
            n["labelled"] = True
        n["engine"].append({"exit_code": event.exit_code, "text": event.text, "where": event.where})

    # groups of identical configuration (nodes that sent a check)
    keys: dict[str, tuple[str, ...]] = {}
    for name, n in nodes.items():
        if n["check"] is not None:
            keys[name] = tuple(n["check"][f] for f in FIELDS)
        elif n["smoke"] is not None or n["distributed"] is not None:
            keys[name] = (n.get("torch_seen") or "unknown", "?", "?", "?", "no check report")
    counted = Counter(keys.values())
    first: dict[tuple[str, ...], int] = {}
    for i, k in enumerate(keys.values()):
        first.setdefault(k, i)
    order = sorted(counted, key=lambda k: (-counted[k], first[k]))
    group_of = {k: i for i, k in enumerate(order)}
    groups = []
    by_key: dict[tuple[str, ...], list[str]] = {}
    for n_name, v in keys.items():
        by_key.setdefault(v, []).append(n_name)
    for i, k in enumerate(order):
        members = by_key[k]
        groups.append({"id": _letter(i), "count": len(members), "nodes": compress(members), "members": members,
                       **dict(zip(FIELDS, k))})
    for name, k in keys.items():
        nodes[name]["group"] = _letter(group_of[k])
    majority = order[0] if order and (len(order) == 1 or counted[order[0]] > counted[order[1]]) else None
    outliers = []
    if majority is not None:
        for name, k in keys.items():
            if k != majority:
                outliers.append({"node": name, "group": nodes[name]["group"],
                                 "differs": [{"field": f, "value": v, "majority": m}
                                             for f, v, m in zip(FIELDS, k, majority) if v != m]})

    # verdicts per node
    slow_share = slow_fraction()
    medians: dict[tuple[str, str], float] = {}
    samples: dict[tuple[str, str], list[float]] = {}
    for n in nodes.values():
        for d in n["smoke"] or ():
            if d["steps_per_s"] is not None and d["ok"]:
                samples.setdefault((n["group"] or "-", d["name"] or d["device"]), []).append(d["steps_per_s"])
    for key, values in samples.items():
        if len(values) >= 2:
            medians[key] = statistics.median(values)
    smoke_rows, busbw_rows = [], []
    for name, n in nodes.items():
        problems = n["problems"]
        if n["check"] is not None and n["check"]["exit_code"] != 0:
            problems.append("check: " + (", ".join(n["check"]["errors"]) or f"exit {n['check']['exit_code']}"))
        for d in n["smoke"] or ():
            median = medians.get((n["group"] or "-", d["name"] or d["device"]))
            ratio = d["steps_per_s"] / median if median and d["steps_per_s"] is not None else None
            slow = ratio is not None and ratio < slow_share
            smoke_rows.append({"node": name, "device": d["device"], "name": d["name"], "ok": d["ok"],
                               "status": d["status"], "steps_per_s": d["steps_per_s"], "median": median,
                               "ratio": round(ratio, 3) if ratio is not None else None, "slow": slow})
            if not d["ok"]:
                problems.append(f"smoke {d['device']}: {d['status']}")
            elif slow:
                problems.append(f"smoke {d['device']}: slow, {ratio:.2f}x the group's median")
        dist = n["distributed"]
        if dist is not None:
            floor = _floor_verdict(dist, (n["check"] or {}).get("gpu_names") or [], request.floors)
            busbw_rows.append({"node": name, "ok": dist["ok"], "world_size": dist["world_size"],
                               "backend": dist["backend"], "device": dist["device"],
                               "busbw_gbps": dist["busbw_gbps"], "max_bytes": dist["max_bytes"], "floor": floor})
            if not dist["ok"]:
                problems.append("distributed: " + (", ".join(dist["failed_findings"]) or "failed"))
            elif floor and floor["ok"] is False:
                problems.append(f"distributed: busbw {floor['why']} ({floor['name']})")
        if n["check"] is None and n["smoke"] is None and n["distributed"] is None:
            n["status"] = "unreachable"
            codes = [e["exit_code"] for e in n["engine"] if e["exit_code"] is not None]
            problems.append("no report" + (f" (the engine: exit {codes[-1]})" if codes else
                                           f" (the engine: {n['engine'][-1]['text']})" if n["engine"] else ""))
        elif problems:
            n["status"] = "failed"
        n["problems"] = list(dict.fromkeys(problems))

    # expectations
    missing: list[str] = []
    unexpected: list[str] = []
    seen = [name for name, n in nodes.items() if n["status"] != "unreachable"]
    if request.expect_nodes:
        expected = set(request.expect_nodes)
        missing = [h for h in request.expect_nodes if h not in nodes]
        unexpected = [name for name in nodes if name not in expected]
    elif request.expect is not None and len(seen) < request.expect:
        missing = [f"({request.expect - len(seen)} of {request.expect} not heard from)"]
    unreachable = [name for name, n in nodes.items() if n["status"] == "unreachable"]
    passed = [name for name, n in nodes.items() if n["status"] == "passed"]
    failed = [name for name, n in nodes.items() if n["status"] == "failed"]
    missing_count = (len(missing) if request.expect_nodes else
                     max(0, request.expect - len(seen)) if request.expect is not None else 0)
    ok = bool(seen) and not failed and not unreachable and missing_count == 0
    if request.expect_nodes:
        ok = ok and not [u for u in unexpected if u in failed]
    unlabelled = [name for name, n in nodes.items() if not n["labelled"] and n["status"] != "unreachable"]
    notes = []
    if unlabelled:
        notes.append(f"{len(unlabelled)} report(s) carry no node name: run the nodes with --node-label auto")
    if duplicates:
        notes.append("a node sent the same kind of report twice (the last one counts): " + "; ".join(duplicates[:5]))
    if not nodes:
        notes.append("no torchdoctor report in the input")

    return {
        "ok": ok,
        "expected": {"count": request.expect if request.expect is not None else (len(request.expect_nodes) or None),
                     "nodes": compress(list(request.expect_nodes)) if request.expect_nodes else None},
        "counts": {"reported": len(seen), "passed": len(passed), "failed": len(failed),
                   "missing": missing_count, "unreachable": len(unreachable), "outliers": len(outliers),
                   "groups": len(groups)},
        "groups": [{k: v for k, v in g.items() if k != "members"} for g in groups],
        "majority": groups[0]["id"] if majority is not None else None,
        "outliers": outliers,
        "missing": missing,
        "unreachable": [{"node": u, "problems": nodes[u]["problems"], "engine": nodes[u]["engine"]} for u in unreachable],
        "unexpected": unexpected,
        "nodes": [{k: v for k, v in n.items() if k not in ("labelled", "torch_seen")} for n in nodes.values()],
        "smoke": smoke_rows,
        "busbw": busbw_rows,
        "input": {"lines": intake.lines, "documents": len(intake.documents), "ignored": intake.ignored,
                  "broken": intake.broken[:20]},
        "notes": notes,
    }


def _summarize(doc: NodeDocument) -> Any:
    if doc.kind == "check":
        return _check_summary(doc.document)
    if doc.kind == "smoke":
        return _smoke_summary(doc.document)
    return _distributed_summary(doc.document)


def _letter(i: int) -> str:
    out = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        out = chr(65 + r) + out
    return out


# ------------------------------------------------------------------------------------ fleet run
ENGINE_SLACK = 60.0  # srun's scheduling and pdsh's connects on top of the per-node timeout
SSH_CONNECT = 10  # seconds, ssh's ConnectTimeout (pdsh's -t default)


def node_command(request: Any) -> list[str]:
    """What every node runs: the doctor's command, on one line, named (and a timeout that fits)."""
    args = list(request.args)
    out = [request.program, *args, "--json-line", "--node-label", "auto"]
    if "--timeout" not in args and not any(a.startswith("--timeout=") for a in args):
        out += ["--timeout", f"{max(1.0, request.timeout - 10.0):g}"]  # the node's own deadline, inside ours
    return out


def engine_command(request: Any, host: str | None = None) -> Any:
    """The engine's own command line (shell.Command): srun, pdsh, or ssh to one host."""
    import math
    import shlex

    from torchdoctor.shell import command

    remote = node_command(request)
    if request.via == "srun":
        minutes = max(1, math.ceil((request.timeout + ENGINE_SLACK) / 60.0))
        argv = ["srun", f"--nodes={request.count}", f"--ntasks={request.count}", "--ntasks-per-node=1",
                "--kill-on-bad-exit=0", "--label", f"--time={minutes}"]
        if request.hostlist:
            argv.append(f"--nodelist={request.hostlist}")
        return command(*argv, *remote)
    if request.via == "pdsh":
        return command("pdsh", "-w", request.hostlist, "-f", str(request.fanout), "-t", str(SSH_CONNECT), "-u",
                       str(max(1, math.ceil(request.timeout))), shlex.join(remote))
    return command("ssh", "-o", "BatchMode=yes", "-o", f"ConnectTimeout={min(SSH_CONNECT, max(1, int(request.timeout)))}",
                   host or "HOST", shlex.join(remote))


def engine_deadline(request: Any) -> float:
    import math

    if request.via == "pdsh":
        return request.timeout * math.ceil(request.count / request.fanout) + SSH_CONNECT + ENGINE_SLACK
    return request.timeout + ENGINE_SLACK


def fleet_run(request: Any, note: Any = None) -> Any:
    """Run the node command through the engine, read what comes back as it comes, and report."""
    from torchdoctor.recorded.fleet_lines import LineFeed
    from torchdoctor.report.fleet import FleetReport

    say = note or (lambda message: None)
    feed = LineFeed(f"{request.via}")
    run_info: dict[str, Any] = {"via": request.via, "command": str(engine_command(request)),
                                "per_node_timeout": request.timeout}
    if request.via == "ssh":
        run_info.update(_ssh_all(request, feed, say))
    else:
        from torchdoctor import runner

        cmd = engine_command(request)
        say(f"running: {cmd} (per node {request.timeout:g} s)")
        result = runner.stream(cmd.argv, engine_deadline(request), env=runner.child_env(), sink=feed)
        if result.error:
            from torchdoctor.errors import UsageError

            raise UsageError(f"cannot run {request.via}: {result.error}"
                             + (" (is this a Slurm node?)" if request.via == "srun" else ""))
        run_info.update({"exit_code": result.returncode, "timed_out": result.timed_out,
                         "seconds": round(result.seconds, 3)})
    intake = feed.close()
    document = build(request.report, intake)
    if run_info.get("timed_out"):
        document["notes"].append(f"{request.via} was stopped after {engine_deadline(request):g} s: nodes that "
                                 "had not answered are missing")
    document["run"] = run_info
    return FleetReport(document)


def _ssh_all(request: Any, feed: Any, say: Any) -> dict[str, Any]:
    """One ssh per host, at most `fanout` at a time, each with the per-node deadline; lines prefixed as pdsh does."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from torchdoctor import runner

    lock = threading.Lock()
    say(f"running: {engine_command(request, request.hosts[0])}"
        + (f" (and {len(request.hosts) - 1} more hosts, {request.fanout} at a time)" if len(request.hosts) > 1 else "")
        + f" (per node {request.timeout:g} s)")

    def one(host: str) -> int | None:
        result = runner.run(engine_command(request, host).argv, request.timeout, env=runner.child_env())
        lines = [f"{host}: {line}" for line in (result.stdout + result.stderr).splitlines()]
        if result.error:
            lines.append(f"ssh@fleet: {host}: ssh could not start: {result.error}")
        elif result.timed_out:
            lines.append(f"ssh@fleet: {host}: command timeout")
        elif result.returncode == 255:
            lines.append(f"ssh@fleet: {host}: ssh exited with exit code 255")
        elif result.returncode:
            lines.append(f"ssh@fleet: {host}: exited with exit code {result.returncode}")
        with lock:
            feed.write("".join(line + "\n" for line in lines))
        return result.returncode

    import time

    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=min(request.fanout, len(request.hosts))) as pool:
        codes = list(pool.map(one, request.hosts))
    worst = max((c for c in codes if c is not None), default=None)
    return {"exit_code": worst, "timed_out": False, "seconds": round(time.monotonic() - start, 3)}
