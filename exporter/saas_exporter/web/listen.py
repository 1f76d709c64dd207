"""``--web.listen-address``: parse it and bind the listening socket."""

from __future__ import annotations

import socket

# Pending connections the kernel queues while the loop is busy (Go's net.Listen uses the
# system's somaxconn, 4096 on current Linux; the old server had 5).
BACKLOG = 4096


def parse_listen_address(address: str, flag: str = "--web.listen-address") -> tuple[str, int]:
    """``:9879``, ``127.0.0.1:9879``, ``[::1]:9879``; ValueError names `flag` and says what
    was expected."""
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit() or int(port) > 65535:
        raise ValueError(f"{flag}: expected [host]:port, got {address!r}")
    return host.strip("[]"), int(port)


def bind(host: str, port: int) -> socket.socket:
    """A listening socket; an empty host listens on every address (IPv4 and IPv6 where
    the system has both), as Go's ``:port`` does. Raises OSError."""
    if not host and socket.has_dualstack_ipv6():
        return socket.create_server(
            ("", port), family=socket.AF_INET6, backlog=BACKLOG, dualstack_ipv6=True
        )
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.create_server((host, port), family=family, backlog=BACKLOG)


def server_url(address: tuple[object, ...] | str, scheme: str = "http") -> str:
    """`http://host:port` of a socketserver's `server_address` (host text or bytes)."""
    if isinstance(address, str):
        raise ValueError(f"not an IP socket address: {address!r}")
    host, port = address[:2]
    if isinstance(host, bytes | bytearray):
        host = host.decode("ascii")
    return f"{scheme}://{host}:{port}"


def format_address(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
