"""The HTTP server: uvicorn (ASGI, h11) on an asyncio loop in its own thread.

Why uvicorn: a well-kept server that takes a pre-bound socket, an SSLContext and a
protocol class, so every connection costs a small protocol object on one event loop, not
a thread. Its own loop keeps scrapes apart from the probes' loop: a slow render never
delays a probe, and a burst of probes never delays a scrape.

Every connection gets TCP_NODELAY: headers and body go out in two writes, and without it
Nagle and the client's delayed ACK add ~40 ms to every keep-alive scrape. (asyncio sets
it only on sockets created with proto IPPROTO_TCP, which a listening socket from
socket.create_server is not.)

uvicorn itself has no limit on idle connections, so ``GuardedProtocol`` adds Go-style
deadlines and a cap:
- read-header timeout: a connection that has not sent a complete request in time is
  closed (slowloris, idle sockets);
- write timeout: a response not written in time (a scraper that stopped reading) is cut;
- idle timeout between keep-alive requests;
- at most ``max_connections`` open; past it the oldest idle connection is closed to make
  room, so idle sockets can never lock a real scraper out.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import resource
import socket
import ssl
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from .listen import BACKLOG, bind, format_address
from .tls import peer_sans

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ConnectionLimits:
    max_connections: int = 1024
    read_header_timeout: float = 10.0
    write_timeout: float = 30.0
    idle_timeout: float = 90.0  # longer than Prometheus's default 1m scrape interval


def raise_open_files_limit() -> None:
    """Lift the soft limit on open files to the hard one, as Go's runtime does."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


class OnceASecondServer(uvicorn.Server):
    """uvicorn's server, its housekeeping tick once a second instead of ten times.

    Why: the tick only refreshes the Date header (once a second anyway) and looks at
    ``should_exit``, but on a small VM every wake-up from idle costs about 0.2 ms of
    CPU: ten a second were most of an idle exporter's CPU. ``request_exit`` wakes the
    loop at once, so stopping is no slower."""

    _loop: asyncio.AbstractEventLoop | None = None
    _exit: asyncio.Event | None = None

    async def main_loop(self) -> None:
        self._loop, self._exit = asyncio.get_running_loop(), asyncio.Event()
        counter = 0  # uvicorn refreshes its default headers when counter % 10 == 0
        while not await self.on_tick(counter):
            counter = (counter + 10) % 864000
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(1.0):
                    await self._exit.wait()

    def request_exit(self) -> None:
        """From any thread."""
        self.should_exit = True
        loop, event = self._loop, self._exit
        if loop is not None and event is not None:
            with contextlib.suppress(RuntimeError):  # the loop already closed
                loop.call_soon_threadsafe(event.set)


def guarded_protocol(
    limits: ConnectionLimits,
    allowed_sans: Callable[[], tuple[str, ...]],
    base: type[asyncio.Protocol] = HttpToolsProtocol,
) -> type[asyncio.Protocol]:
    """A protocol class for one server: its connections, oldest activity first.
    ``base`` is uvicorn's httptools protocol (C parser, ~2x h11's requests per second)
    or its h11 one; the guard hooks where either starts a request cycle."""
    open_connections: OrderedDict[GuardedProtocol, None] = OrderedDict()

    class GuardedProtocol(base):  # type: ignore[valid-type,misc]
        _deadline: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:
            super().connection_made(transport)
            sock = transport.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sans = allowed_sans()
            if sans and not peer_sans(transport.get_extra_info("peercert")) & set(sans):
                log.debug("client certificate SAN not allowed", extra={"fields": {}})
                transport.abort()
                return
            open_connections[self] = None
            self._set_deadline(limits.read_header_timeout)
            if len(open_connections) > limits.max_connections:
                self._make_room()

        def _make_room(self) -> None:
            for conn in open_connections:
                if conn is not self and conn._idle():
                    open_connections.pop(conn)
                    conn.transport.close()
                    return
            open_connections.pop(self)  # every other connection is busy: refuse this one
            self.transport.close()

        def _idle(self) -> bool:
            return self.cycle is None or self.cycle.response_complete

        def _set_deadline(self, seconds: float) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
            self._deadline = self.loop.call_later(seconds, self._deadline_passed)

        def _deadline_passed(self) -> None:
            self._deadline = None
            open_connections.pop(self, None)
            self.transport.abort()

        def _request_started(self, before) -> None:
            if self.cycle is not before and self.cycle is not None:
                # A request's headers are in: its response must be written in time.
                self._set_deadline(limits.write_timeout)
                if self in open_connections:
                    open_connections.move_to_end(self)

        def handle_events(self) -> None:  # h11: parses and starts cycles here
            before = self.cycle
            super().handle_events()
            self._request_started(before)

        def on_headers_complete(self) -> None:  # httptools: starts a cycle here
            before = self.cycle
            super().on_headers_complete()
            self._request_started(before)

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing():
                self._set_deadline(limits.idle_timeout)

        def connection_lost(self, exc: Exception | None) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None
            open_connections.pop(self, None)
            super().connection_lost(exc)

    return GuardedProtocol


class WebServer:
    """Binds at construction (OSError if it cannot), serves from ``start()`` on."""

    def __init__(
        self,
        listen: tuple[str, int],
        app,
        ssl_context: ssl.SSLContext | None = None,
        limits: ConnectionLimits | None = None,
        allowed_sans: Callable[[], tuple[str, ...]] = tuple,
    ):
        limits = limits or ConnectionLimits()
        self.sock = bind(*listen)
        self.address = format_address(self.sock)
        self.tls = ssl_context is not None
        logging.getLogger("uvicorn.error").setLevel(logging.WARNING)
        config = uvicorn.Config(
            app,
            http=guarded_protocol(limits, allowed_sans),
            ws="none",
            lifespan="off",
            access_log=False,
            log_config=None,
            proxy_headers=False,
            server_header=False,
            backlog=BACKLOG,
            timeout_keep_alive=int(limits.idle_timeout),
            timeout_graceful_shutdown=5,
        )
        config.load()
        config.ssl = ssl_context  # the web config's context (min/max version, client CAs)
        self.server = OnceASecondServer(config)
        self._thread = threading.Thread(target=self._run, name="http", daemon=True)

    def _run(self) -> None:
        asyncio.run(self.server.serve(sockets=[self.sock]))

    def start(self) -> None:
        # The socket already listens: connections wait in the backlog until the loop runs.
        self._thread.start()

    def stop(self) -> None:
        self.server.request_exit()
        if self._thread.is_alive():
            self._thread.join(15)
        self.sock.close()
