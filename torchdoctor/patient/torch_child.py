"""The runtime child: runs under the *target* interpreter and does all the torch work.

Stdlib-only (see torchdoctor/patient/__init__.py: it must not put the doctor's site-packages
on the target's sys.path). It is started as `python -c <bootstrap> this_file [--dists]`,
so sys.path[0] is the working directory, exactly as for the user's own
`python -c "import torch"`: a shadowing torch.py is met here as the user meets it.

It answers progressively: after each stage it prints the whole answer so far as
one marked JSON line (the parent keeps the last one). A crash or a hang in CUDA
init therefore still tells the parent that Python started and the import worked.
Warnings are echoed to stderr as well as recorded, so even a killed child leaves
their text behind.
"""

import os
import runpy
import sys
import time
import traceback
import warnings

load = runpy.run_path(os.path.join(os.path.dirname(os.path.abspath(__file__)), "_load.py"))["load"]
MARKER = load("answer").MARKER
STATE = {"stage": "started", "warnings": []}


def answer(**changes):
    STATE.update(changes)
    load("answer").answer(STATE)


def _showwarning(message, category, filename, lineno, file=None, line=None):
    text = "%s: %s" % (category.__name__, message)
    STATE["warnings"].append(text[:2000])
    try:
        sys.stderr.write("warning: " + text + "\n")
        sys.stderr.flush()
    except Exception:  # noqa: BLE001
        pass


def torch_spec():
    import importlib.util

    try:
        spec = importlib.util.find_spec("torch")
    except Exception as exc:  # noqa: BLE001 - a broken finder is a fact too
        return {"error": "%s: %s" % (type(exc).__name__, exc)}
    if spec is None:
        return None
    return {"origin": spec.origin, "locations": list(spec.submodule_search_locations or [])}


def failure(exc):
    tb = traceback.format_exception(type(exc), exc, exc.__traceback__)
    return {"error_type": type(exc).__name__, "error": str(exc)[:4000], "traceback_tail": "".join(tb[-6:])[-4000:]}


def nccl_text(value):
    """torch.cuda.nccl.version(): (2, 28, 9) on torch 1.10+, an int before (2708 = 2.7.8, 21805 = 2.18.5)."""
    if isinstance(value, (tuple, list)):
        return ".".join(str(x) for x in value)
    if isinstance(value, int) and value > 0:
        if value >= 20900:  # NCCL 2.9+: major*10000 + minor*100 + patch
            return "%d.%d.%d" % (value // 10000, value // 100 % 100, value % 100)
        return "%d.%d.%d" % (value // 1000, value // 100 % 10, value % 100)
    return str(value) if value else None


def hides_every_gpu(value):
    """CUDA_VISIBLE_DEVICES="" or "-1": no GPU can be seen, and the reason is already known."""
    return value is not None and (not value.strip() or value.strip().startswith("-"))


def cuda_facts(torch):
    version = getattr(torch, "version", None)
    out = {"cuda": getattr(version, "cuda", None), "hip": getattr(version, "hip", None)}
    answer(stage="cuda_init", **out)
    started = time.monotonic()
    out["cuda_available"] = bool(torch.cuda.is_available())
    out["cuda_init_seconds"] = round(time.monotonic() - started, 4)
    out["device_count"] = int(torch.cuda.device_count()) if out["cuda_available"] else 0
    devices = []
    for i in range(out["device_count"]):
        try:
            p = torch.cuda.get_device_properties(i)
            devices.append({"index": i, "name": p.name, "capability": [p.major, p.minor],
                            "memory_mib": int(p.total_memory) // (1024 * 1024),
                            "gfx": getattr(p, "gcnArchName", None) or None})
        except Exception as exc:  # noqa: BLE001
            devices.append({"index": i, "error": "%s: %s" % (type(exc).__name__, exc)})
    out["devices"] = devices
    try:
        out["arch_list"] = list(torch.cuda.get_arch_list())
    except Exception:  # noqa: BLE001
        out["arch_list"] = []
    try:
        out["cudnn"] = torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None
    except Exception:  # noqa: BLE001
        out["cudnn"] = None
    try:
        out["nccl"] = nccl_text(torch.cuda.nccl.version()) if out["cuda_available"] else None
    except Exception:  # noqa: BLE001
        out["nccl"] = None
    answer(stage="cuda_done", **out)
    if not out["cuda_available"] and (out["cuda"] or out["hip"]) and \
            not hides_every_gpu(os.environ.get("CUDA_VISIBLE_DEVICES")):
        # is_available() hides the reason; init() raises it ("Found no NVIDIA driver", ...). Not when
        # CUDA_VISIBLE_DEVICES hides every GPU: the reason is known, and init() can hang then (pytorch#52145).
        try:
            torch.cuda.init()
        except Exception as exc:  # noqa: BLE001
            answer(cuda_init_error="%s: %s" % (type(exc).__name__, str(exc)[:2000]))


def other_backends(torch):
    out = {}
    mps = getattr(getattr(torch, "backends", None), "mps", None)
    try:
        out["mps_built"] = bool(mps.is_built()) if mps else None
        out["mps_available"] = bool(mps.is_available()) if mps else None
    except Exception:  # noqa: BLE001
        pass
    try:
        xpu = getattr(torch, "xpu", None)
        out["xpu_available"] = bool(xpu.is_available()) if xpu is not None else None
    except Exception:  # noqa: BLE001
        pass
    answer(stage="backends_done", **out)


def numpy_version():
    mod = sys.modules.get("numpy")
    if mod is not None:
        return getattr(mod, "__version__", None)
    try:
        from importlib import metadata

        return metadata.version("numpy")
    except Exception:  # noqa: BLE001
        return None


def main(argv):
    warnings.simplefilter("default")
    warnings.showwarning = _showwarning
    try:
        cwd = os.getcwd()
    except OSError:  # the working directory was deleted
        cwd = "."
    answer(python=load("whoami").python_facts(), cwd=cwd, sys_path=[p or cwd for p in sys.path])
    if "--dists" in argv:
        try:
            dist = load("distributions")
            answer(distributions=dist.scan(sys.path, sys.prefix))
        except Exception as exc:  # noqa: BLE001
            answer(distributions_error="%s: %s" % (type(exc).__name__, exc))
    spec = torch_spec()
    answer(stage="spec", spec=spec)
    if spec is None:
        answer(stage="done", status="not_installed")
        return
    started = time.monotonic()
    answer(stage="importing")
    try:
        import torch
    except BaseException as exc:  # noqa: BLE001 - SystemExit from a broken package too
        answer(stage="done", status="import_failed", import_seconds=round(time.monotonic() - started, 4),
               **failure(exc))
        return
    answer(stage="imported", status="ok", import_seconds=round(time.monotonic() - started, 4),
           version=getattr(torch, "__version__", None), file=getattr(torch, "__file__", None),
           numpy=numpy_version())
    if "--no-cuda" not in argv:
        try:
            cuda_facts(torch)
        except Exception as exc:  # noqa: BLE001
            answer(cuda_init_error="%s: %s" % (type(exc).__name__, str(exc)[:2000]))
    try:
        other_backends(torch)
    except Exception:  # noqa: BLE001
        pass
    answer(stage="done", numpy=numpy_version())


if __name__ == "__main__":
    main(sys.argv[1:])
