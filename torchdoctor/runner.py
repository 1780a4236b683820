"""The one door for subprocesses.

Argument lists only (no shell), a deadline on every call, output decoded with
errors="replace", an explicit environment. After a timeout the whole process group
is killed and we wait only a bounded time for it: a process stuck in the kernel
(a hung GPU driver call) must not hang the doctor too.
"""

from __future__ import annotations

import atexit
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

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


# What we keep of a child's stdout and of its stderr: the rest is read and dropped, so a child that
# prints a gigabyte costs time, not memory (and never blocks on a full pipe).
MAX_OUTPUT = 4 << 20
# After the child exits, how long its pipes may stay open (a daemon it started still holds them).
_DRAIN_SECONDS = 1.0

# Every child still running, so that Ctrl-C can take all their process groups down at once.
_LIVE: set[subprocess.Popen] = set()
_LIVE_LOCK = threading.RLock()  # re-entrant: the Ctrl-C handler may run while this thread holds it


def run(
    argv: Sequence[str],
    timeout: float,
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
    stdin_text: str | None = None,
) -> RunResult:
    """Run argv with a hard deadline; never raises (except KeyboardInterrupt, after killing the child)."""
    argv = tuple(str(a) for a in argv)
    start = time.monotonic()
    proc = _start(argv, start, env, cwd, stdin=subprocess.PIPE if stdin_text is not None else subprocess.DEVNULL,
                  stderr=subprocess.PIPE)
    if isinstance(proc, RunResult):
        return proc

    with _LIVE_LOCK:
        _LIVE.add(proc)
    try:
        return _wait(proc, argv, start, timeout, stdin_text)
    except KeyboardInterrupt:
        _kill_group(proc)  # Ctrl-C: take the child's whole group down with us
        raise
    finally:
        with _LIVE_LOCK:
            _LIVE.discard(proc)


def _start(argv: tuple[str, ...], start: float, env: Mapping[str, str] | None, cwd: str | None,
           stdin: Any, stderr: Any) -> "subprocess.Popen | RunResult":
    """Popen in a process group of its own (so we can kill its children too), or why it did not start."""
    kwargs: dict = {}
    if sys.platform == "win32":
        kwargs["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP  # type: ignore[attr-defined]
    else:
        kwargs["start_new_session"] = True
    try:
        return subprocess.Popen(argv, stdin=stdin, stdout=subprocess.PIPE, stderr=stderr,
                                env=dict(env) if env is not None else None, cwd=cwd, **kwargs)
    except FileNotFoundError:
        return RunResult(argv, None, "", "", time.monotonic() - start, error="not found")
    except PermissionError:
        return RunResult(argv, None, "", "", time.monotonic() - start, error="permission denied")
    except OSError as exc:
        return RunResult(argv, None, "", "", time.monotonic() - start, error=f"could not start: {exc}")


def _wait(proc: subprocess.Popen, argv: tuple[str, ...], start: float, timeout: float,
          stdin_text: str | None) -> RunResult:
    out, err = _Drain(proc.stdout), _Drain(proc.stderr)
    if stdin_text is not None:
        threading.Thread(target=_feed, args=(proc.stdin, stdin_text.encode()), daemon=True).start()
    try:
        proc.wait(timeout=max(0.0, timeout))
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        try:
            proc.wait(timeout=_REAP_SECONDS)
        except subprocess.TimeoutExpired:
            pass  # abandoned: stuck in the kernel; we do not wait for it
        out.join(_REAP_SECONDS)
        err.join(0.1)
        return RunResult(argv, None, out.text(), err.text(), time.monotonic() - start, timed_out=True)
    # The child is gone; a grandchild (a daemon it started) may still hold the pipes open.
    if not (out.join(_DRAIN_SECONDS) & err.join(0.2)):
        _kill_group(proc)
        out.join(0.2)
        err.join(0.2)
    return RunResult(argv, proc.returncode, out.text(), err.text(), time.monotonic() - start)


class _Drain:
    """Read a pipe to its end in a thread, keeping the first MAX_OUTPUT bytes."""

    def __init__(self, pipe) -> None:
        self.kept = bytearray()
        self.dropped = 0
        self._thread = threading.Thread(target=self._read, args=(pipe,), daemon=True)
        self._thread.start()

    def _read(self, pipe) -> None:
        try:
            while True:
                chunk = pipe.read1(1 << 16) if hasattr(pipe, "read1") else pipe.read(1 << 16)
                if not chunk:
                    break
                room = MAX_OUTPUT - len(self.kept)
                if room > 0:
                    self.kept += chunk[:room]
                self.dropped += max(0, len(chunk) - max(room, 0))
        except (OSError, ValueError):
            pass
        finally:
            try:
                pipe.close()
            except OSError:
                pass

    def join(self, seconds: float) -> bool:
        self._thread.join(seconds)
        return not self._thread.is_alive()

    def text(self) -> str:
        text = _decode(bytes(self.kept))
        if self.dropped:
            text += f"\n[... {self.dropped} more bytes not kept]"
        return text


def _feed(pipe, data: bytes) -> None:
    try:
        pipe.write(data)
        pipe.close()
    except (OSError, ValueError):
        pass


def kill_all(wait: float = 1.0) -> None:
    """Kill every running child's process group (Ctrl-C), then give them `wait` seconds to be gone."""
    with _LIVE_LOCK:
        live = list(_LIVE)
    for proc in live:
        _kill_group(proc)
    deadline = time.monotonic() + wait
    for proc in live:
        try:
            proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        except (subprocess.TimeoutExpired, OSError):
            pass  # stuck in the kernel: abandoned, like after a timeout


# A probe abandoned at its deadline (its thread is a daemon) must not outlive the doctor: `suggest`
# used to exit leaving a hung nvidia-smi behind.
atexit.register(kill_all, 0.2)


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
    argv = tuple(str(a) for a in argv)
    sink = sink if sink is not None else sys.stderr
    start = time.monotonic()
    proc = _start(argv, start, env, None, stdin=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    if isinstance(proc, RunResult):
        return proc
    with _LIVE_LOCK:
        _LIVE.add(proc)  # Ctrl-C's handler takes pip's whole group down too
    try:
        return _stream_wait(proc, argv, start, timeout, sink, keep_bytes)
    finally:
        with _LIVE_LOCK:
            _LIVE.discard(proc)
        if proc.stdout is not None:
            proc.stdout.close()


def _stream_wait(proc: subprocess.Popen, argv: tuple[str, ...], start: float, timeout: float, sink: Any,
                 keep_bytes: int) -> RunResult:
    from collections import deque

    kept: deque[bytes] = deque()
    size = [0]

    def pump() -> None:
        try:
            _pump()
        except (OSError, ValueError):
            pass  # the pipe was closed under us (a daemon kept it open past the reap wait)

    def _pump() -> None:
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
