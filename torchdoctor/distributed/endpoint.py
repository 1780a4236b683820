"""Preflight of the rendezvous endpoint, on every node before torch's launcher starts (a probe).

Stdlib sockets only, in the doctor's own process: whether the endpoint's host resolves, and
either (on the node that hosts the store, node rank 0) that the address is this machine's and
the port is free, or (on every other node) that the port answers a TCP connect. Never raises:
what it saw is recorded in an Endpoint; verdict.endpoint_findings judges it.

(patient/distributed_preflight.py is the other preflight, the torch child script; it stays free of this code
because it runs in the target interpreter, which may be a Python too old for it.)
"""

from __future__ import annotations

import errno
import socket
import threading
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Endpoint:
    host: str
    port: int
    role: str  # "host": this node serves the store | "client": it connects to it
    addresses: tuple[str, ...] = ()  # what `host` resolved to
    resolve_error: str | None = None
    local: bool | None = None  # host role: the address belongs to an interface of this machine
    port_free: bool | None = None  # host role: nothing else listens on the port
    reachable: bool | None = None  # client role: the port answered a TCP connect
    error: str | None = None  # the socket error behind local/port_free/reachable being False
    waited: float = 0.0  # client role: seconds spent waiting for the port to answer

    @property
    def where(self) -> str:
        return join_endpoint(self.host, self.port)

    @property
    def usable(self) -> bool:
        if self.resolve_error:
            return False
        return bool(self.local and self.port_free) if self.role == "host" else bool(self.reachable)

    def to_dict(self) -> dict:
        return {"host": self.host, "port": self.port, "role": self.role, "addresses": list(self.addresses),
                "resolve_error": self.resolve_error, "local": self.local, "port_free": self.port_free,
                "reachable": self.reachable, "error": self.error, "waited": self.waited}


def join_endpoint(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def probe(host: str, port: int, role: str, wait: float, resolve_timeout: float = 5.0) -> Endpoint:
    addresses, error = resolve(host, port, resolve_timeout)
    if not addresses:
        return Endpoint(host, port, role, resolve_error=error or "no address")
    if role == "host":
        local, free, error = bind_check(addresses[0], port)
        return Endpoint(host, port, role, addresses, local=local, port_free=free, error=error)
    ok, error, waited = wait_for_port(host, port, wait)  # every address the name has, as torch tries them
    return Endpoint(host, port, role, addresses, reachable=ok, error=error, waited=round(waited, 3))


def resolve(host: str, port: int, timeout: float) -> tuple[tuple[str, ...], str | None]:
    """The host's addresses, under a deadline (getaddrinfo has none: a dead DNS server hangs it)."""
    box: dict = {}

    def lookup() -> None:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            box["addresses"] = tuple(dict.fromkeys(str(info[4][0]) for info in infos))
        except (OSError, UnicodeError) as exc:
            box["error"] = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__

    worker = threading.Thread(target=lookup, name="torchdoctor-resolve", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        return (), f"the name lookup did not answer within {timeout:g} s"
    return box.get("addresses", ()), box.get("error")


def bind_check(address: str, port: int) -> tuple[bool, bool | None, str | None]:
    """(the address is this machine's, the port is free, the error): one bind tells both."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as TCPStore: TIME_WAIT is no conflict
        try:
            sock.bind((address, port))
        except OSError as exc:
            why = exc.strerror or type(exc).__name__
            if exc.errno == errno.EADDRINUSE:
                return True, False, why
            return False, None, why  # EADDRNOTAVAIL: no interface here has that address
    return True, True, None


def wait_for_port(address: str, port: int, wait: float) -> tuple[bool, str | None, float]:
    """Connect until something answers or `wait` seconds pass: (answered, last error, seconds)."""
    started = time.monotonic()
    last = None
    while True:
        left = wait - (time.monotonic() - started)
        try:
            with socket.create_connection((address, port), timeout=max(0.2, min(2.0, left))):
                return True, None, time.monotonic() - started
        except OSError as exc:
            last = "timed out" if isinstance(exc, socket.timeout) else (exc.strerror or type(exc).__name__)
        if time.monotonic() - started >= wait:
            return False, last, time.monotonic() - started
        time.sleep(0.25)
