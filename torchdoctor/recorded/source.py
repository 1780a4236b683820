"""`check --from`'s one door to its input: a path or "-" (stdin) -> (text, origin), never blocking.

A path is stat'ed first, and only a regular file is opened: a FIFO with no writer, a device or
/proc/kmsg would block a plain open() or read() forever. The open itself is non-blocking and
re-checked with fstat, so a file swapped for a FIFO between the two calls is refused too. At most
MAX_REPORT_BYTES (+1, to notice more) are read. Every failure is one UsageError line (exit 2).
"""

from __future__ import annotations

import errno
import os
import stat
import sys

from torchdoctor.errors import UsageError
from torchdoctor.privacy import home_to_tilde
from torchdoctor.recorded.text import MAX_REPORT_BYTES, decode


def read_input(source: str) -> tuple[str, str]:
    """(text, origin) of a file path or "-"; the origin shows a home path as ~."""
    if source == "-":
        return decode(_read_stdin()), "stdin"
    shown = home_to_tilde(source)
    if "\x00" in source:
        raise UsageError(f"--from {shown!r}: a path cannot contain a NUL character")
    try:
        _require_regular(os.stat(source), shown)
        fd = os.open(source, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
                     | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise UsageError(f"cannot read {shown}: {exc.strerror or exc}") from None
    try:
        _require_regular(os.fstat(fd), shown)
        return decode(_read_fd(fd, shown)), shown
    finally:
        os.close(fd)


def _require_regular(st: os.stat_result, shown: str) -> None:
    if stat.S_ISDIR(st.st_mode):
        raise UsageError(f"cannot read {shown}: it is a directory")
    if not stat.S_ISREG(st.st_mode):
        kind = ("a FIFO (named pipe)" if stat.S_ISFIFO(st.st_mode) else "a device" if
                stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode) else "a socket" if stat.S_ISSOCK(st.st_mode)
                else "not a regular file")
        raise UsageError(f"cannot read {shown}: it is {kind}; give a file, or pipe it in with --from -")


def _read_fd(fd: int, shown: str) -> bytes:
    chunks, size = [], 0
    while size <= MAX_REPORT_BYTES:
        try:
            chunk = os.read(fd, min(1 << 20, MAX_REPORT_BYTES + 1 - size))
        except BlockingIOError:  # /proc/kmsg and friends: regular by stat, but reading waits
            raise UsageError(f"cannot read {shown}: reading it would wait for data (not a report file)") from None
        except OSError as exc:
            raise UsageError(f"cannot read {shown}: {exc.strerror or exc}") from None
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _read_stdin() -> bytes:
    stream = sys.stdin
    if stream is None:  # started with stdin closed (`<&-`)
        raise UsageError("--from -: standard input is closed")
    try:
        buffer = getattr(stream, "buffer", None)
        if buffer is not None:
            return buffer.read(MAX_REPORT_BYTES + 1) or b""
        return (stream.read(MAX_REPORT_BYTES + 1) or "").encode("utf-8", "replace")
    except OSError as exc:
        if exc.errno == errno.EBADF:
            raise UsageError("--from -: standard input is closed") from None
        raise UsageError(f"--from -: cannot read standard input: {exc.strerror or exc}") from None
    except ValueError:  # a closed file object
        raise UsageError("--from -: standard input is closed") from None
