"""The one door for subprocesses.

Argument lists only (no shell), a deadline on every call, output decoded with
errors="replace", an explicit environment. After a timeout the whole process group
is killed and we wait only a bounded time for it: a process stuck in the kernel
(a hung GPU driver call) must not hang the doctor too.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Mapping, Sequence

# How long to wait for a killed process to be reaped before abandoning it.
_REAP_SECONDS = 2.0


@dataclass(frozen=True)
class RunResult:
    argv: tuple[str, ...]
    returncode: int | None  # None: never started, or abandoned after a timeout
    stdout: str
    stderr: str
    seconds: float
    timed_out: bool = False
    error: str | None = None  # why it could not start ("not found", "permission denied")

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out and self.error is None

    def describe_failure(self) -> str:
        """One line saying why this run did not succeed, for recording as a fact."""
        name = os.path.basename(self.argv[0]) if self.argv else "command"
        if self.error:
            return f"{name}: {self.error}"
        if self.timed_out:
            return f"{name} timed out after {self.seconds:.1f} s"
        if self.returncode is not None and self.returncode < 0:
            return f"{name} was killed by signal {-self.returncode}"
        tail = (self.stderr or self.stdout).strip().splitlines()
        last = tail[-1][:200] if tail else ""
        return f"{name} exited with status {self.returncode}" + (f": {last}" if last else "")


def run(
    argv: Sequence[str],
    timeout: float,
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
    stdin_text: str | None = None,
) -> RunResult:
    """Run argv with a hard deadline; never raises."""
    argv = tuple(str(a) for a in argv)
    start = time.monotonic()
    kwargs: dict = {}
    if sys.platform == "win32":
        kwargs["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP  # type: ignore[attr-defined]
    else:
        kwargs["start_new_session"] = True  # own process group, so we can kill children too
    try:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE if stdin_text is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            **kwargs,
        )
    except FileNotFoundError:
        return RunResult(argv, None, "", "", time.monotonic() - start, error="not found")
    except PermissionError:
        return RunResult(argv, None, "", "", time.monotonic() - start, error="permission denied")
    except OSError as exc:
        return RunResult(argv, None, "", "", time.monotonic() - start, error=f"could not start: {exc}")

    try:
        out, err = proc.communicate(input=stdin_text.encode() if stdin_text is not None else None,
                                    timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        out, err = b"", b""
        try:
            out, err = proc.communicate(timeout=_REAP_SECONDS)
        except (subprocess.TimeoutExpired, OSError, ValueError):
            pass  # abandoned: stuck in the kernel; we do not wait for it
        return RunResult(argv, None, _decode(out), _decode(err), time.monotonic() - start, timed_out=True)
    except OSError as exc:
        _kill_group(proc)
        return RunResult(argv, None, "", "", time.monotonic() - start, error=f"I/O error: {exc}")
    except KeyboardInterrupt:
        _kill_group(proc)  # Ctrl-C: take the child's whole group down with us
        raise
    return RunResult(argv, proc.returncode, _decode(out), _decode(err), time.monotonic() - start)


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        if sys.platform == "win32":
            proc.kill()
        else:
            os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError, OSError):
        try:
            proc.kill()
        except OSError:
            pass


def _decode(data: bytes | None) -> str:
    return (data or b"").decode("utf-8", errors="replace")


def child_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for child interpreters: ours, made predictable."""
    env = dict(os.environ)
    env["PYTHONIOENCODING"] = "utf-8"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.pop("PYTHONSTARTUP", None)
    if extra:
        env.update(extra)
    return env


def stream(
    argv: Sequence[str],
    timeout: float,
    env: Mapping[str, str] | None = None,
    sink=None,
    keep_bytes: int = 64 << 10,
) -> RunResult:
    """Run argv with its output (stdout and stderr together) copied to `sink` (default: our stderr) as
    it comes, for long installs whose progress the user watches. The same deadline and group kill as
    `run`; only the last `keep_bytes` are kept, in the result's stdout."""
    import threading
    from collections import deque

    argv = tuple(str(a) for a in argv)
    sink = sink if sink is not None else sys.stderr
    start = time.monotonic()
    kwargs: dict = {}
    if sys.platform == "win32":
        kwargs["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP  # type: ignore[attr-defined]
    else:
        kwargs["start_new_session"] = True
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                env=dict(env) if env is not None else None, **kwargs)
    except FileNotFoundError:
        return RunResult(argv, None, "", "", time.monotonic() - start, error="not found")
    except PermissionError:
        return RunResult(argv, None, "", "", time.monotonic() - start, error="permission denied")
    except OSError as exc:
        return RunResult(argv, None, "", "", time.monotonic() - start, error=f"could not start: {exc}")

    kept: deque[bytes] = deque()
    size = [0]

    def pump() -> None:
        assert proc.stdout is not None
        for chunk in iter(lambda: proc.stdout.read1(8192), b""):  # type: ignore[union-attr]
            kept.append(chunk)
            size[0] += len(chunk)
            while size[0] > keep_bytes and len(kept) > 1:
                size[0] -= len(kept.popleft())
            try:
                sink.write(_decode(chunk))
                sink.flush()
            except (OSError, ValueError):
                pass  # our stderr is gone: keep draining so the child never blocks on a full pipe

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        try:
            proc.wait(timeout=_REAP_SECONDS)
        except subprocess.TimeoutExpired:
            pass
        reader.join(_REAP_SECONDS)
        return RunResult(argv, None, _decode(b"".join(kept)), "", time.monotonic() - start, timed_out=True)
    except KeyboardInterrupt:
        _kill_group(proc)
        raise
    reader.join(_REAP_SECONDS)
    return RunResult(argv, proc.returncode, _decode(b"".join(kept)), "", time.monotonic() - start)
