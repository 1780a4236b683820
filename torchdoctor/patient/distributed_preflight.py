"""Child script (patient code): what this torch offers for distributed runs, answered as one JSON line.

Run by launch.preflight() before starting ranks, so a CPU-only build asked for CUDA, a
build without torch.distributed or without NCCL is one clear line, not N crashed ranks.
"""

import os
import runpy

load = runpy.run_path(os.path.join(os.path.dirname(os.path.abspath(__file__)), "_load.py"))["load"]
_answer = load("answer").answer


def main() -> None:
    out = {"stage": "import"}
    try:
        import torch
    except BaseException as exc:  # noqa: BLE001 - report, never raise
        out["error"] = f"{type(exc).__name__}: {exc}"
        _answer(out)
        return
    out.update(stage="ok", torch=torch.__version__, cuda=getattr(torch.version, "cuda", None),
               hip=getattr(torch.version, "hip", None))
    try:
        out["cuda_available"] = bool(torch.cuda.is_available())
        out["gpu_count"] = int(torch.cuda.device_count()) if out["cuda_available"] else 0
    except BaseException as exc:  # noqa: BLE001
        out.update(cuda_available=False, gpu_count=0, cuda_error=f"{type(exc).__name__}: {exc}")
    try:
        import torch.distributed as dist

        out["distributed"] = bool(dist.is_available())
        out["gloo"] = bool(dist.is_available() and dist.is_gloo_available())
        out["nccl"] = bool(dist.is_available() and dist.is_nccl_available())
    except BaseException as exc:  # noqa: BLE001
        out.update(distributed=False, gloo=False, nccl=False, dist_error=f"{type(exc).__name__}: {exc}")
    _answer(out)


if __name__ == "__main__":
    main()
