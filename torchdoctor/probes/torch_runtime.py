"""The torch runtime, from ONE child interpreter with a deadline (see torch_child.py).

The child answers stage by stage; this module turns whatever came back (a full
answer, a partial one before a hang or a signal, nothing at all) into facts:
`TorchRuntime` (with the import error classified), the target's `PythonFacts`,
and for `--python` its distributions, all without the doctor importing torch.
"""

from __future__ import annotations

import signal
import sys
from dataclasses import dataclass
from typing import Any

from torchdoctor.facts import Distribution, ProbeNote, PythonFacts, RuntimeDevice, TorchRuntime
from torchdoctor.knowledge.import_errors import classify
from torchdoctor.patient import script
from torchdoctor.privacy import home_to_tilde, tilde

CHILD = script("torch_child")
# `-c` keeps sys.path[0] == the working directory, as in the user's own `python -c "import torch"`.
BOOTSTRAP = "import runpy, sys; runpy.run_path(sys.argv[1], run_name='__main__')"

@dataclass(frozen=True)
class TargetProbe:
    """Everything the one child told us about the target interpreter."""

    runtime: TorchRuntime
    python: PythonFacts | None
    distributions: tuple[Distribution, ...] | None  # only with --dists (another interpreter)
    sys_path: tuple[str, ...]  # absolute, raw: for the shadowing scan, never reported as is
    cwd: str | None
    note: ProbeNote


def signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except (ValueError, AttributeError):
        return f"signal {number}"


def probe_target(python: str | None = None, timeout: float = 60.0, with_dists: bool = False,
                 cwd: str | None = None, no_cuda: bool = False) -> TargetProbe:
    """Run the child under `python` (default: this interpreter); never raises."""
    from torchdoctor.child import interpret
    from torchdoctor.runner import child_env, run

    args = [python or sys.executable, "-c", BOOTSTRAP, str(CHILD)]
    if with_dists:
        args.append("--dists")
    if no_cuda:
        args.append("--no-cuda")
    result = interpret(run(args, timeout=timeout, env=child_env(), cwd=cwd))
    try:
        return from_child(result, timeout)
    except Exception as exc:  # noqa: BLE001 - a probe never raises: record it
        rt = TorchRuntime(status="not_run", error=f"could not read the child's answer: {exc}")
        return TargetProbe(rt, None, None, (), cwd, ProbeNote("torch-runtime", False, result.seconds, rt.error))


def probe_python_of(python: str, timeout: float = 10.0) -> tuple[PythonFacts | None, str | None]:
    """Another interpreter's version, bits, free-threading and env kind (target.py's one "who are
    you" child); (facts, None) or (None, why). Never raises."""
    from torchdoctor.target import identify

    answer, why = identify(python, timeout)
    facts = _python(answer)
    return (facts, None) if facts is not None else (None, why or "it printed no answer")


def from_child(result: Any, timeout: float) -> TargetProbe:
    """ChildResult -> TargetProbe (pure apart from "~" for paths)."""
    data = result.data or {}
    warnings_ = _warnings(data.get("warnings") or [], result.stderr)
    python = _python(data.get("python"))
    dists = _dists(data.get("distributions")) if "distributions" in data else None
    sys_path = tuple(str(p) for p in data.get("sys_path") or ())
    stage = data.get("stage")
    status = data.get("status")
    ended = _how_it_ended(result, timeout)

    if result.status == "not_started":
        rt = TorchRuntime(status="not_run", error=result.detail, seconds=result.seconds)
    elif stage is None:
        # Python itself did not get as far as its first answer.
        rt = TorchRuntime(status="timeout" if result.status == "timeout" else "crashed",
                          error=ended or result.detail or "the interpreter printed no answer",
                          error_kind="timeout" if result.status == "timeout" else "interpreter",
                          traceback_tail=tilde_text(_tail(result.stderr)), warnings=warnings_,
                          seconds=result.seconds)
    elif status == "not_installed":
        rt = TorchRuntime(status="not_installed", warnings=warnings_)
    elif status == "import_failed":
        kind = classify(data.get("error_type"), data.get("error"), data.get("traceback_tail"))
        rt = TorchRuntime(status="import_failed", seconds=data.get("import_seconds"),
                          error=tilde_text(data.get("error")), error_type=data.get("error_type"), error_kind=kind,
                          traceback_tail=tilde_text(data.get("traceback_tail")), warnings=warnings_)
    elif status != "ok":
        # Died (or hung) inside `import torch` itself.
        timed_out = result.status == "timeout"
        rt = TorchRuntime(status="timeout" if timed_out else "crashed", seconds=result.seconds,
                          error=ended or result.detail,  # the checks say "`import torch` <how it ended>"
                          error_kind="timeout" if timed_out else "signal" if result.signal else "exit",
                          traceback_tail=tilde_text(_tail(result.stderr)), warnings=warnings_)
    else:
        init_error = data.get("cuda_init_error")
        if stage in ("cuda_init", "cuda_done") and result.status != "ok" and ended:
            init_error = f"CUDA initialisation {ended}"
        rt = TorchRuntime(
            status="ok", seconds=data.get("import_seconds"), version=data.get("version"),
            file=tilde(data.get("file")), cuda=data.get("cuda"), hip=data.get("hip"),
            cuda_available=data.get("cuda_available"), device_count=data.get("device_count"),
            devices=tuple(_device(d) for d in data.get("devices") or () if isinstance(d, dict)),
            arch_list=tuple(str(a) for a in data.get("arch_list") or ()),
            cudnn=data.get("cudnn") if isinstance(data.get("cudnn"), int) else None,
            nccl=data.get("nccl"), mps_built=data.get("mps_built"), mps_available=data.get("mps_available"),
            xpu_available=data.get("xpu_available"), numpy=data.get("numpy"),
            cuda_init_error=tilde_text(init_error), warnings=warnings_)
    ok = rt.status in ("ok", "not_installed") and not (rt.cuda_init_error or "").startswith("CUDA initialisation")
    detail = rt.error or rt.cuda_init_error or ""
    note = ProbeNote("torch-runtime", ok, round(result.seconds, 4), detail[:300])
    return TargetProbe(rt, python, dists, sys_path, data.get("cwd"), note)


def _how_it_ended(result: Any, timeout: float) -> str | None:
    if result.status == "timeout":
        return f"did not finish within {timeout:g} s"
    if result.signal:
        return f"was killed by {signal_name(result.signal)}"
    if result.status == "failed":
        return f"ended the interpreter with exit status {result.returncode}"
    return None


def _warnings(recorded: list, stderr: str) -> tuple[str, ...]:
    """Recorded warnings, plus any other text on stderr (C++ warnings, numpy's banner, echoes after a kill)."""
    out = [str(w) for w in recorded]
    for line in (stderr or "").splitlines():
        line = line.strip()
        if not line:
            continue
        if line.startswith("warning: "):
            line = line[len("warning: "):]
        if line not in out and len(out) < 40:
            out.append(line[:2000])
    return tuple(tilde_text(w) or "" for w in out)


def tilde_text(text: str | None) -> str | None:
    """Error texts quote paths ("/home/alice/venv/.../libtorch_cuda.so: undefined symbol"): the home
    directory inside them shows as "~" too."""
    return home_to_tilde(text)


def _tail(text: str | None, lines: int = 12) -> str | None:
    text = (text or "").strip()
    return "\n".join(text.splitlines()[-lines:]) or None


def _python(data: Any) -> PythonFacts | None:
    if not isinstance(data, dict) or not data.get("version"):
        return None
    if data.get("conda"):
        kind = "conda"
    elif data.get("prefix") and data.get("prefix") != data.get("base_prefix"):
        kind = "venv"
    else:
        kind = "system"
    return PythonFacts(version=str(data["version"]), implementation=str(data.get("implementation") or "cpython"),
                       bits=int(data.get("bits") or 64), free_threaded=bool(data.get("free_threaded")),
                       executable=tilde(data.get("executable")), env_kind=kind,
                       include=tilde(data.get("include")) if isinstance(data.get("include"), str) else None)


def _dists(records: Any) -> tuple[Distribution, ...]:
    from torchdoctor.probes.torch_dist import to_facts

    return to_facts(r for r in records or () if isinstance(r, dict))


def _device(d: dict) -> RuntimeDevice:
    cc = d.get("capability")
    return RuntimeDevice(index=int(d.get("index", 0)), name=d.get("name"),
                         capability=(int(cc[0]), int(cc[1])) if isinstance(cc, list) and len(cc) == 2 else None,
                         memory_mib=d.get("memory_mib"), gfx=d.get("gfx"))

