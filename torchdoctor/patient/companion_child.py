"""The companion child: imports one compiled companion (xformers.ops, flash_attn_2_cuda, torch_scatter, ...)
under the *target* interpreter and says how it went.

check's import pass starts one of these per companion (torchdoctor/probes/companions.py), each with its own
short deadline, so a companion that segfaults or hangs costs only its own attempt. Started as
`python -c <bootstrap> this_file MODULE [MODULE ...]`: sys.path[0] is the working directory, as for the
user's own `python -c "import xformers.ops"`. The modules are tried in order until one fails; a module that
does not exist (another layout of the package) is passed over. Stdlib only (patient rule); it answers after
each module, so a crash still leaves what came before.

`--fork SECONDS NAME=MOD,MOD ...` (Linux): import torch once here, then fork one process per companion, each
with its own deadline and its own stderr pipe: a companion that segfaults or hangs takes down (or is killed
in) its own fork only, and no companion pays for another torch import. Answers {"forked": {NAME: {...}}}.
"""

import importlib
import os
import runpy
import sys
import time
import traceback
import warnings

load = runpy.run_path(os.path.join(os.path.dirname(os.path.abspath(__file__)), "_load.py"))["load"]
STATE = {"modules": [], "warnings": []}


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


def _missing_itself(exc, module):
    """ModuleNotFoundError for this very module (or a parent of it): the package has another layout."""
    name = getattr(exc, "name", None)
    return isinstance(exc, ImportError) and type(exc).__name__ == "ModuleNotFoundError" and \
        name is not None and (module == name or module.startswith(name + "."))


def main(argv):
    warnings.simplefilter("default")
    warnings.showwarning = _showwarning
    for module in argv:
        answer(stage="importing", module=module)
        started = time.monotonic()
        try:
            importlib.import_module(module)
        except BaseException as exc:  # noqa: BLE001 - SystemExit from a broken package too
            if _missing_itself(exc, module):
                STATE["modules"].append({"module": module, "status": "absent"})
                continue
            tb = traceback.format_exception(type(exc), exc, exc.__traceback__)
            STATE["modules"].append({"module": module, "status": "import_failed", "error_type": type(exc).__name__,
                                     "error": str(exc)[:4000], "traceback_tail": "".join(tb[-4:])[-3000:],
                                     "seconds": round(time.monotonic() - started, 4)})
            answer(stage="done")
            return
        STATE["modules"].append({"module": module, "status": "ok", "seconds": round(time.monotonic() - started, 4)})
        answer(stage="imported")
    answer(stage="done")


def _attempt(modules):
    """What main() records, for one companion, in this process: (modules tried, warnings)."""
    STATE["modules"] = []
    STATE["warnings"] = []
    for module in modules:
        started = time.monotonic()
        try:
            importlib.import_module(module)
        except BaseException as exc:  # noqa: BLE001
            if _missing_itself(exc, module):
                STATE["modules"].append({"module": module, "status": "absent"})
                continue
            tb = traceback.format_exception(type(exc), exc, exc.__traceback__)
            STATE["modules"].append({"module": module, "status": "import_failed", "error_type": type(exc).__name__,
                                     "error": str(exc)[:4000], "traceback_tail": "".join(tb[-4:])[-3000:],
                                     "seconds": round(time.monotonic() - started, 4)})
            break
        STATE["modules"].append({"module": module, "status": "ok", "seconds": round(time.monotonic() - started, 4)})
    return {"modules": STATE["modules"], "warnings": STATE["warnings"]}


def _read_all(fd, limit=1 << 16):
    chunks = []
    try:
        while True:
            data = os.read(fd, 65536)
            if not data:
                break
            if sum(len(c) for c in chunks) < limit:
                chunks.append(data)
    except OSError:
        pass
    return b"".join(chunks).decode("utf-8", "replace")


def forked(seconds, jobs):
    """Import torch once, then one fork per companion, all at once, each killed at its deadline."""
    import json
    import select
    import signal

    warnings.simplefilter("default")
    warnings.showwarning = _showwarning
    try:
        import torch  # noqa: F401 - imported once, shared by every fork
    except BaseException as exc:  # noqa: BLE001
        answer(torch_error="%s: %s" % (type(exc).__name__, str(exc)[:2000]))
        return
    sys.stdout.flush()
    sys.stderr.flush()
    running = {}
    for name, modules in jobs:
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the fork: its own stderr, its answer on its pipe, never back into the parent's code
            try:
                os.close(out_r)
                os.close(err_r)
                os.dup2(err_w, 2)
                result = _attempt(modules)
                os.write(out_w, json.dumps(result, default=str).encode("utf-8"))
            finally:
                try:
                    sys.stderr.flush()
                finally:
                    os._exit(0)
        os.close(out_w)
        os.close(err_w)
        running[pid] = {"name": name, "out": out_r, "err": err_r, "started": time.monotonic(), "buf": [b"", b""]}
    results = {}
    while running:
        fds = [j["out"] for j in running.values()] + [j["err"] for j in running.values()]
        readable, _, _ = select.select(fds, [], [], 0.05) if fds else ([], [], [])
        for job in running.values():
            for i, fd in enumerate((job["out"], job["err"])):
                if fd in readable:
                    try:
                        data = os.read(fd, 65536)
                    except OSError:
                        data = b""
                    if data and len(job["buf"][i]) < (1 << 17):
                        job["buf"][i] += data
        for pid in list(running):
            job = running[pid]
            done, status = os.waitpid(pid, os.WNOHANG)
            late = time.monotonic() - job["started"] > seconds
            if not done and late:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
                os.waitpid(pid, 0)
            if done or late:
                job["buf"][0] += _read_all(job["out"]).encode("utf-8")
                job["buf"][1] += _read_all(job["err"]).encode("utf-8")
                os.close(job["out"])
                os.close(job["err"])
                entry = {"seconds": round(time.monotonic() - job["started"], 4),
                         "stderr": job["buf"][1].decode("utf-8", "replace")[-20000:]}
                if late and not done:
                    entry["status"] = "timeout"
                elif os.WIFSIGNALED(status):
                    entry["status"] = "crashed"
                    entry["signal"] = os.WTERMSIG(status)
                try:
                    entry.update(json.loads(job["buf"][0].decode("utf-8", "replace") or "{}"))
                except ValueError:
                    pass
                results[job["name"]] = entry
                del running[pid]
    answer(forked=results)


def _args():
    """sys.argv after this file: started through `-c <bootstrap> FILE ...`, argv[1] is this file itself."""
    args = sys.argv[1:]
    if args and os.path.abspath(args[0]) == os.path.abspath(__file__):
        args = args[1:]
    return args


if __name__ == "__main__":
    ARGS = _args()
    if ARGS[:1] == ["--fork"]:
        forked(float(ARGS[1]), [(a.split("=", 1)[0], a.split("=", 1)[1].split(",")) for a in ARGS[2:]])
    else:
        main(ARGS)
