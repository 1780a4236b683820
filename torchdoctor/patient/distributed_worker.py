"""One rank of `torchdoctor smoke --distributed`; runs under torch's launcher.

The launcher (torchrun / `python -m torch.distributed.run`) sets RANK, LOCAL_RANK,
WORLD_SIZE, MASTER_ADDR and MASTER_PORT. This rank then, in order:

1. forms the group (init_process_group with a short, bounded timeout);
2. all-reduces a known tensor: rank r contributes r+1, so the sum is exactly N(N+1)/2;
3. trains the classic loop and the two-layer network under DistributedDataParallel,
   checks the weights are bit-identical on every rank (all_gather of the raw bytes) and
   match a single-process float64 reference run here on the CPU;
4. times all-reduce for a few message sizes (the bus bandwidth is computed by the verdict).

After every stage it rewrites its result file (see torchdoctor/distributed/__init__.py), so a
crash leaves the last stage reached. A watchdog thread ends the rank if it outlives its
deadline or its launcher, so nothing is ever left hanging. Exit status: 0 when the result
is recorded (even if a check failed: the verdict decides), 1 when a stage raised (the
group is then broken, and a non-zero exit makes torchrun stop the other ranks at once).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import runpy
import sys
import threading
import time
import traceback

START = time.perf_counter()

# Patient code (torchdoctor/patient/__init__.py): siblings by path, never `import torchdoctor`.
load = runpy.run_path(os.path.join(os.path.dirname(os.path.abspath(__file__)), "_load.py"))["load"]
wl = load("workloads")
results = load("rank_results")  # where this rank's result goes (launch.py reads it there)

# The two-layer network trained data-parallel: each rank holds SHARD columns of the batch.
TWO_LAYER = {"d_in": 8, "d_hidden": 32, "d_out": 4, "shard": 16, "steps": 40, "lr": 0.2, "lam": 1e-3}
# Tolerance for "matches the single-process float64 reference", by training dtype.
TOLERANCE = {"float64": 1e-9, "float32": 1e-4}
# All-reduce timing: (bytes, timed iterations); warm-up runs first.
BANDWIDTH_SIZES = {
    "cpu": ((64 << 10, 20), (1 << 20, 10), (16 << 20, 3)),
    "cuda": ((1 << 20, 20), (32 << 20, 20), (256 << 20, 10)),
}


class Recorder:
    """This rank's result, rewritten atomically after every stage."""

    def __init__(self, directory: str | None, rank: int):
        self.path = os.path.join(directory, results.rank_file(rank)) if directory else None
        self.data: dict = {"rank": rank, "stage": "start", "finished": False, "error": None,
                           "timings": {}}
        self.lock = threading.Lock()

    def stage(self, name: str) -> None:
        self.data["stage"] = name
        self.save()

    def timed(self, name: str, since: float) -> None:
        self.data["timings"][name] = round(time.perf_counter() - since, 6)

    def save(self) -> None:
        if not self.path:
            return
        with self.lock:
            tmp = f"{self.path}.{os.getpid()}.tmp"
            try:
                with open(tmp, "w", encoding="utf-8") as fh:
                    json.dump(self.data, fh, default=str)
                os.replace(tmp, self.path)
            except OSError:
                pass  # nowhere to report to: the launcher's output still tells


def start_watchdog(rec: Recorder, deadline: float) -> None:
    """End this rank when it outlives its deadline or its parent (the launcher was killed)."""
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(0.2)
            elapsed = time.perf_counter() - START
            orphaned = os.name != "nt" and os.getppid() != parent
            if elapsed > deadline or orphaned:
                why = "its launcher went away" if orphaned else f"past its deadline of {deadline:.0f} s"
                rec.data["error"] = {"stage": rec.data["stage"], "type": "Timeout",
                                     "message": f"rank stopped: still in stage {rec.data['stage']!r} "
                                                f"after {elapsed:.1f} s, {why}"}
                rec.save()
                sys.stderr.flush()
                os._exit(124)

    threading.Thread(target=watch, name="torchdoctor-watchdog", daemon=True).start()


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="torchdoctor-dist-worker")
    p.add_argument("--device", choices=("cpu", "cuda", "auto"), default="auto")
    p.add_argument("--backend", default="")
    p.add_argument("--epochs", type=int, default=100)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--collective-timeout", type=float, default=30.0)
    p.add_argument("--deadline", type=float, default=110.0)
    p.add_argument("--bandwidth-max", type=int, default=0)  # bytes: time all-reduce up to this size too
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    rank = int(os.environ.get("RANK", "0"))
    rec = Recorder(os.environ.get(results.RESULTS_ENV), rank)
    rec.data.update({
        "local_rank": int(os.environ.get("LOCAL_RANK", "0")),
        "node_rank": _int_or_none(os.environ.get("GROUP_RANK")),
        "world_size": int(os.environ.get("WORLD_SIZE", "1")),
    })
    start_watchdog(rec, args.deadline)
    stage = "import"
    try:
        rec.stage(stage)
        t = time.perf_counter()
        import torch
        import torch.distributed as dist
        rec.timed("import", t)
        rec.data["torch"] = torch.__version__
        device, backend = _choose(torch, dist, args, rec.data["local_rank"])
        rec.data.update({"device": device, "backend": backend, "device_name": _device_name(torch, device),
                         "backend_version": _backend_version(torch, backend)})

        stage = "rendezvous"
        rec.stage(stage)
        t = time.perf_counter()
        from datetime import timedelta
        dist.init_process_group(backend=backend, timeout=timedelta(seconds=args.collective_timeout))
        rec.timed("rendezvous", t)
        world = dist.get_world_size()
        rec.data["world_size"] = world
        if os.environ.get(results.CRASH_ENV) == str(rank):  # test-only: see rank_results.py
            rec.stage("crash-hook")
            os._exit(3)

        stage = "allreduce"
        rec.stage(stage)
        t = time.perf_counter()
        rec.data["allreduce"] = check_allreduce(torch, dist, device, rank, world)
        rec.timed("first_collective", t)

        stage = "ddp_classic"
        rec.stage(stage)
        t = time.perf_counter()
        rec.data["classic"] = ddp_classic(torch, dist, device, args.epochs)
        rec.timed("ddp_classic", t)

        stage = "ddp_two_layer"
        rec.stage(stage)
        t = time.perf_counter()
        rec.data["two_layer"] = ddp_two_layer(torch, dist, device, args.seed, rank, world)
        rec.timed("ddp_two_layer", t)

        stage = "bandwidth"
        rec.stage(stage)
        t = time.perf_counter()
        rec.data["bandwidth"] = allreduce_timings(torch, dist, device, args.bandwidth_max)
        rec.timed("bandwidth", t)

        rec.timed("total", START)
        rec.data["finished"] = True
        rec.stage("done")
        if os.environ.get(results.GATHER_ENV):
            stage = "gather"
            gather_results(torch, dist, device, rec)
        dist.destroy_process_group()
        return 0
    except BaseException as exc:  # noqa: BLE001 - every failure becomes this rank's recorded result
        rec.timed("total", START)
        message = " ".join(str(exc).split())[:600] or type(exc).__name__
        rec.data["error"] = {"stage": stage, "type": type(exc).__name__, "message": message,
                             "traceback": traceback.format_exc(limit=6)[-2000:]}
        rec.save()
        sys.stderr.write(f"torchdoctor rank {rank}: {stage} failed: {type(exc).__name__}: {message}\n")
        sys.stderr.flush()
        os._exit(1)  # skip destroy/atexit: with a broken group they can block


def _int_or_none(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


def _choose(torch, dist, args, local_rank: int) -> tuple[str, str]:
    kind = args.device
    if kind == "auto":
        kind = "cuda" if torch.cuda.is_available() else "cpu"
    backend = args.backend or ("nccl" if kind == "cuda" else "gloo")
    if kind == "cuda":
        count = torch.cuda.device_count()
        if not torch.cuda.is_available() or count == 0:
            raise RuntimeError(f"CUDA is not available to torch {torch.__version__} on this rank")
        if local_rank >= count:
            raise RuntimeError(f"LOCAL_RANK {local_rank} has no GPU: only {count} visible "
                               "(run at most one rank per GPU)")
        torch.cuda.set_device(local_rank)
        # full float32 matmuls (no TF32), so the comparison with the float64 reference is fair
        torch.set_float32_matmul_precision("highest")
        return f"cuda:{local_rank}", backend
    return "cpu", backend


def _device_name(torch, device: str) -> str | None:
    if device.startswith("cuda"):
        return torch.cuda.get_device_name(device)
    return None


def _backend_version(torch, backend: str) -> str | None:
    if backend == "nccl":
        try:
            version = torch.cuda.nccl.version()  # (2, 28, 9); very old torch: 2708
        except Exception:  # noqa: BLE001 - a ROCm build (RCCL) may not say
            return None
        if isinstance(version, int):
            return f"{version // 1000}.{version % 1000 // 100}.{version % 100}"
        return ".".join(str(p) for p in version)
    return None  # gloo has no version of its own: it ships inside torch


def check_allreduce(torch, dist, device: str, rank: int, world: int) -> dict:
    """Rank r contributes r+1; the sum must be exactly N(N+1)/2 (small integers are exact in float32)."""
    tensor = torch.full((1024,), float(rank + 1), dtype=torch.float32, device=device)
    dist.all_reduce(tensor)
    expected = world * (world + 1) / 2
    wrong = (tensor != expected).nonzero().flatten()
    got = float(tensor[wrong[0]].item()) if wrong.numel() else float(tensor[0].item())
    return {"expected": expected, "got": got, "exact": wrong.numel() == 0,
            "wrong_elements": int(wrong.numel()), "elements": tensor.numel()}


def _train_dtype(torch, device: str):
    # float64 on the CPU; float32 on GPUs, what data-parallel training there really uses
    return torch.float64 if device == "cpu" else torch.float32


def _fingerprint(torch, dist, device: str, params) -> dict:
    """sha256 of the raw parameter bytes, and whether every rank holds exactly the same bytes."""
    flat = torch.cat([p.detach().reshape(-1) for p in params]).contiguous()
    raw = flat.view(torch.uint8)
    gathered = [torch.empty_like(raw) for _ in range(dist.get_world_size())]
    dist.all_gather(gathered, raw)
    identical = all(torch.equal(other, raw) for other in gathered)
    digest = hashlib.sha256(bytes(raw.cpu().tolist())).hexdigest()[:16]
    return {"hash": digest, "identical": identical}


def ddp_classic(torch, dist, device: str, epochs: int) -> dict:
    """The classic per-sample loop under DDP, every rank on the same samples; reference: the plain loop."""
    from torch.nn.parallel import DistributedDataParallel as DDP


    dtype = _train_dtype(torch, device)

    class Classic(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.tensor(wl.CLASSIC_W0, dtype=dtype, device=device))

        def forward(self, x, y):
            return (self.w * x - y) ** 2

    model = Classic()
    ddp = DDP(model, device_ids=[torch.device(device).index] if device != "cpu" else None)
    opt = torch.optim.SGD(ddp.parameters(), lr=wl.CLASSIC_LR)
    xs = torch.tensor(wl.CLASSIC_X, dtype=dtype, device=device)
    ys = torch.tensor(wl.CLASSIC_Y, dtype=dtype, device=device)
    samples = [(x, y) for _ in range(epochs) for x, y in zip(xs, ys)]  # per-sample SGD, as the classic loop
    loss, seconds = _timed_sgd(torch, device, ddp, opt, samples)
    w = float(model.w.detach().cpu().item())
    reference = wl.classic_loop(torch, "cpu", epochs=epochs, lr=wl.CLASSIC_LR, dtype=torch.float64)
    ref_w = reference["w"]
    rel = abs(w - ref_w) / abs(ref_w) if ref_w else abs(w)
    out = {"w": w, "reference_w": ref_w, "rel_error": rel,
           "tolerance": TOLERANCE[str(dtype).replace("torch.", "")], "dtype": str(dtype).replace("torch.", ""),
           "final_loss": float(loss.detach().cpu().item()), "steps": epochs * len(wl.CLASSIC_X),
           "seconds": seconds}
    out.update(_fingerprint(torch, dist, device, list(model.parameters())))
    return out


def _timed_sgd(torch, device: str, ddp, opt, batches: list) -> tuple:
    """One SGD step per (x, y) through the DDP model; returns the last loss and the seconds taken."""

    wl.synchronize(torch, device)
    start = time.perf_counter()
    loss = None
    for x, y in batches:
        opt.zero_grad(set_to_none=True)
        loss = ddp(x, y)
        loss.backward()
        opt.step()
    wl.synchronize(torch, device)
    return loss, time.perf_counter() - start


def ddp_two_layer(torch, dist, device: str, seed: int, rank: int, world: int) -> dict:
    """The two-layer network, full batch sharded across ranks; reference: one process, whole batch."""
    from torch.nn.parallel import DistributedDataParallel as DDP


    c = TWO_LAYER
    dtype = _train_dtype(torch, device)
    n = c["shard"] * world  # equal shards, so DDP's gradient average is the full-batch gradient

    class TwoLayer(torch.nn.Module):
        def __init__(self):
            super().__init__()
            w1, w2 = wl.two_layer_init(torch, seed, c["d_in"], c["d_hidden"], c["d_out"], dtype, device)
            self.W1 = torch.nn.Parameter(w1.detach())
            self.W2 = torch.nn.Parameter(w2.detach())

        def forward(self, x, y):
            return wl.two_layer_loss(torch, self.W1, self.W2, x, y, c["lam"])

    x, y = wl.two_layer_data(torch, seed, c["d_in"], c["d_out"], n, torch.float64, "cpu")
    cols = slice(rank * c["shard"], (rank + 1) * c["shard"])
    x = x[:, cols].to(device=device, dtype=dtype)
    y = y[:, cols].to(device=device, dtype=dtype)
    model = TwoLayer()
    ddp = DDP(model, device_ids=[torch.device(device).index] if device != "cpu" else None)
    opt = torch.optim.SGD(ddp.parameters(), lr=c["lr"])
    loss, seconds = _timed_sgd(torch, device, ddp, opt, [(x, y)] * c["steps"])
    # The shards' mean loss is the full batch's loss (equal shards, same penalty on every rank).
    global_loss = loss.detach().clone()
    dist.all_reduce(global_loss)
    ref = wl.two_layer_train(torch, "cpu", seed, c["steps"], c["lr"], c["lam"], c["d_in"], c["d_hidden"],
                             c["d_out"], n, torch.float64)
    errors = {"W1": wl.max_relative_error(torch, model.W1, ref["W1"]),
              "W2": wl.max_relative_error(torch, model.W2, ref["W2"])}
    name = str(dtype).replace("torch.", "")
    out = {"rel_error": max(errors.values()), "rel_errors": errors, "tolerance": TOLERANCE[name],
           "dtype": name, "final_loss": float(global_loss.cpu().item()) / world,
           "reference_final_loss": ref["loss_curve"][-1] if ref["loss_curve"] else None,
           "steps": c["steps"], "batch": n, "seconds": seconds}
    out.update(_fingerprint(torch, dist, device, list(model.parameters())))
    return out


def bandwidth_sizes(kind: str, max_bytes: int = 0) -> list[tuple[int, int]]:
    """The table's sizes, then doubling up to `max_bytes` (--bandwidth-max; nccl-tests' -e), which ends the list."""
    sizes = list(BANDWIDTH_SIZES[kind])
    if max_bytes and max_bytes > sizes[-1][0]:
        size = sizes[-1][0]
        while size * 2 < max_bytes:
            size *= 2
            sizes.append((size, 5 if size <= (1 << 30) else 3))
        sizes.append((max_bytes // 4 * 4, 5 if max_bytes <= (1 << 30) else 3))
    return sizes


def allreduce_timings(torch, dist, device: str, max_bytes: int = 0) -> list[dict]:
    """Seconds per all-reduce for a few sizes (zeros, so repeated sums never overflow)."""
    synchronize = wl.synchronize

    kind = "cuda" if device.startswith("cuda") else "cpu"
    rows = []
    table = len(BANDWIDTH_SIZES[kind])
    for i, (size, iters) in enumerate(bandwidth_sizes(kind, max_bytes)):
        if i >= table:  # a size asked for with --bandwidth-max: every rank must be able to hold it
            fits = torch.tensor([1 if _fits(torch, device, size) else 0], dtype=torch.int64, device=device)
            dist.all_reduce(fits, op=dist.ReduceOp.MIN)
            if not int(fits.item()):
                break  # the largest size measured says how far it went (fleet report compares only there)
        buf = torch.zeros(size // 4, dtype=torch.float32, device=device)
        for _ in range(2 if kind == "cpu" else 5):
            dist.all_reduce(buf)
        synchronize(torch, device)
        dist.barrier()
        start = time.perf_counter()
        for _ in range(iters):
            dist.all_reduce(buf)
        synchronize(torch, device)
        rows.append({"bytes": size, "iters": iters, "seconds": (time.perf_counter() - start) / iters})
        del buf
    return rows


def _fits(torch, device: str, size: int) -> bool:
    """Room for one buffer of `size` bytes (and NCCL's own), on this rank's GPU; on the CPU, in RAM."""
    try:
        if device.startswith("cuda"):
            free, _ = torch.cuda.mem_get_info()
            return size * 1.25 < free
        pages, page = os.sysconf("SC_AVPHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
        return size * 2 < pages * page
    except (AttributeError, ValueError, OSError, RuntimeError):
        return True


def gather_results(torch, dist, device: str, rec: Recorder) -> None:
    """Joining a multi-node group: every rank learns every result; each writes all-ranks.json."""
    mine = json.dumps(rec.data, default=str).encode("utf-8")
    everyone = [json.loads(raw.decode("utf-8")) for raw in all_gather_bytes(torch, dist, device, mine)]
    if rec.path:
        path = os.path.join(os.path.dirname(rec.path), results.GATHERED_FILE)
        tmp = f"{path}.{os.getpid()}.tmp"  # the ranks of one node share the directory
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(everyone, fh, default=str)
        os.replace(tmp, path)


def all_gather_bytes(torch, dist, device: str, payload: bytes) -> list[bytes]:
    """Every rank's bytes, through plain tensor collectives (gloo and NCCL alike).

    Not dist.all_gather_object: it pickles through a tensor path that needs numpy on some torch
    versions ("RuntimeError: Numpy is not available"), and torch does not depend on numpy.
    The lengths travel first (int64), then every payload padded to the longest (uint8).
    """
    world = dist.get_world_size()
    length = torch.tensor([len(payload)], dtype=torch.int64, device=device)
    lengths = [torch.zeros_like(length) for _ in range(world)]
    dist.all_gather(lengths, length)
    sizes = [int(t.item()) for t in lengths]
    buf = torch.zeros(max(sizes), dtype=torch.uint8, device=device)
    if payload:
        buf[:len(payload)] = torch.tensor(list(payload), dtype=torch.uint8, device=device)
    bufs = [torch.empty_like(buf) for _ in range(world)]
    dist.all_gather(bufs, buf)
    return [bytes(b[:n].cpu().tolist()) for b, n in zip(bufs, sizes)]

if __name__ == "__main__":
    sys.exit(main())
