"""The probes' httpx transport: HTTP/1.1 keep-alive connections on asyncio's own
protocol callbacks, with h11 reading and writing the messages.

Why: under httpx, httpcore's pool and streams cost about 0.7 ms of CPU per probe at
1,000 accounts, more than the probe's own work (issue 15's breakdown). A probe is one
GET on a kept-alive connection, so this transport does only that: an idle connection
is taken or one is opened, the request is written, h11 parses what arrives in the
protocol's buffer. httpx stays the client (requests, responses, timeouts, errors, proxy
mounts); h11 stays the HTTP/1.1 parser; TLS is asyncio's.

What it leaves to httpx's own transport: proxies (httpx mounts its proxy transports for
HTTPS_PROXY/NO_PROXY around this one), HTTP/2 and request bodies, none of which a probe
uses. What it keeps of httpcore's behaviour: the connect, read and pool timeouts,
raised as httpx's timeout exceptions (a GET's head is written without waiting, so no
write timeout applies), an idle connection the server closed is never reused, a header
block past ``max_header_bytes`` is a protocol error ("too long"), and httpcore's trace
events for the steps a probe names its timeouts by.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import ssl
import time
from collections import deque
from collections.abc import AsyncIterator
from typing import Any

import h11
import httpx

# Read no further ahead than this while the body is not consumed (flow control).
READ_AHEAD_BYTES = 256 * 1024
# Request heads kept built (one per target; past this the least recently sent go).
REQUEST_HEADS_KEPT = 16384
_DEFAULT_PORTS = {b"http": 80, b"https": 443}

Origin = tuple[bytes, bytes, int]


@functools.lru_cache(maxsize=REQUEST_HEADS_KEPT)
def _request_head(method: str, target: bytes, headers: tuple[tuple[bytes, bytes], ...]) -> Any:
    """The h11 event for a request head. h11 validates every header as it builds one,
    over half its cost of writing a request; a target sends the same head each time."""
    return h11.Request(method=method, target=target, headers=list(headers))


class _Connection(asyncio.Protocol):
    """One HTTP/1.1 connection: bytes arrive through the protocol callbacks into a
    buffer; the request's task parses them with h11 when it needs the next event."""

    def __init__(self, origin: Origin, max_header_bytes: int) -> None:
        self.origin = origin
        self.h11 = h11.Connection(h11.CLIENT, max_incomplete_event_size=max_header_bytes)
        self.transport: asyncio.Transport | None = None
        self._chunks: deque[bytes] = deque()
        self._buffered = 0
        self._eof = False
        self._lost: Exception | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._paused = False
        self.idle_since = 0.0

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self._chunks.append(data)
        self._buffered += len(data)
        if self._buffered > READ_AHEAD_BYTES and not self._paused and self.transport:
            self._paused = True
            self.transport.pause_reading()
        self._wake()

    def eof_received(self) -> bool:
        self._eof = True
        self._wake()
        return False  # close our side too

    def connection_lost(self, exc: Exception | None) -> None:
        self._eof = True
        self._lost = exc
        self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    # state
    @property
    def reusable(self) -> bool:
        """Idle, open, and nothing unasked-for arrived (a server's close or junk)."""
        return (
            not self._eof
            and not self._chunks
            and self.transport is not None
            and not self.transport.is_closing()
            and self.h11.our_state is h11.IDLE
        )

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()
        self._eof = True

    # request side
    def send_request(self, request: httpx.Request) -> None:
        assert self.transport is not None
        head = _request_head(request.method, request.url.raw_path, tuple(request.headers.raw))
        data = self.h11.send(head) or b""
        self.transport.write(data + (self.h11.send(h11.EndOfMessage()) or b""))

    async def next_event(self, timeout: float | None) -> Any:
        """The next h11 event, reading (within ``timeout`` per read) as needed."""
        while True:
            try:
                event = self.h11.next_event()
            except h11.RemoteProtocolError as err:
                raise httpx.RemoteProtocolError(str(err)) from err
            if event is not h11.NEED_DATA:
                return event
            if not self._chunks and not self._eof:
                await self._wait(timeout)
            if self._chunks:
                chunk = self._chunks.popleft()
                self._buffered -= len(chunk)
                if self._paused and self._buffered <= READ_AHEAD_BYTES // 2 and self.transport:
                    self._paused = False
                    self.transport.resume_reading()
                self.h11.receive_data(chunk)
            elif self._eof:
                if self._lost is not None:
                    raise httpx.ReadError(str(self._lost) or type(self._lost).__name__)
                if self.h11.their_state is h11.SEND_RESPONSE:  # as httpcore words it
                    raise httpx.RemoteProtocolError(
                        "Server disconnected without sending a response."
                    )
                self.h11.receive_data(b"")  # h11 decides: a clean end, or cut short

    async def _wait(self, timeout: float | None) -> None:
        loop = asyncio.get_running_loop()
        waiter = self._waiter = loop.create_future()
        # A timer that fails the waiter: lighter than asyncio.timeout's task cancelling.
        expiry = None if timeout is None else loop.call_later(timeout, _expire, waiter, timeout)
        try:
            await waiter
        finally:
            self._waiter = None
            if expiry is not None:
                expiry.cancel()


def _expire(waiter: asyncio.Future[None], timeout: float) -> None:
    if not waiter.done():
        waiter.set_exception(httpx.ReadTimeout(f"no data within {timeout:g}s"))


class _ResponseBody(httpx.AsyncByteStream):
    """The body as h11 hands it over; closing it returns the connection to its pool
    when the exchange completed cleanly, and closes it otherwise."""

    def __init__(self, pool: Http11Transport, conn: _Connection, read_timeout: float | None):
        self._pool = pool
        self._conn = conn
        self._timeout = read_timeout
        self._done = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while not self._done:
            event = await self._conn.next_event(self._timeout)
            if isinstance(event, h11.Data):
                yield bytes(event.data)
            elif isinstance(event, h11.EndOfMessage):
                self._done = True
            else:  # h11 hands nothing else mid-body; never loop on it
                raise httpx.RemoteProtocolError(f"unexpected {type(event).__name__} mid-body")

    async def aclose(self) -> None:
        conn, self._conn = self._conn, None  # type: ignore[assignment]
        if conn is None:
            return
        reuse = False
        if self._done and conn.h11.our_state is h11.DONE and conn.h11.their_state is h11.DONE:
            conn.h11.start_next_cycle()
            reuse = conn.reusable
        self._pool.release(conn, reuse)


class Http11Transport(httpx.AsyncBaseTransport):
    """At most ``max_connections`` open connections per transport, kept alive for
    ``keepalive_expiry`` seconds idle."""

    def __init__(
        self,
        max_connections: int,
        keepalive_expiry: float,
        ssl_context: ssl.SSLContext,
        max_header_bytes: int,
    ) -> None:
        self.max_connections = max_connections
        self.keepalive_expiry = keepalive_expiry
        self._ssl = ssl_context
        self._max_header_bytes = max_header_bytes
        self._idle: dict[Origin, list[_Connection]] = {}
        self._open = 0
        self._waiters: deque[tuple[Origin, asyncio.Future[_Connection | None]]] = deque()
        self._closed = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        scheme = url.raw_scheme
        if scheme not in _DEFAULT_PORTS:
            raise httpx.UnsupportedProtocol(f"unsupported URL scheme {scheme.decode()!r}")
        origin = (scheme, url.raw_host, url.port or _DEFAULT_PORTS[scheme])
        timeouts = request.extensions.get("timeout", {})
        trace = request.extensions.get("trace")
        conn = await self._acquire(origin, timeouts, trace)
        read_timeout = timeouts.get("read")
        try:
            if trace is not None:
                await trace("http11.send_request_headers.started", {})
            conn.send_request(request)
            if trace is not None:
                await trace("http11.receive_response_headers.started", {})
            event = await conn.next_event(read_timeout)
            while isinstance(event, h11.InformationalResponse):
                event = await conn.next_event(read_timeout)
            if not isinstance(event, h11.Response):  # next_event raised for a server's close
                raise httpx.RemoteProtocolError(f"unexpected {type(event).__name__}")
            if trace is not None:
                await trace("http11.receive_response_headers.complete", {})
        except BaseException:
            self.release(conn, False)
            raise
        return httpx.Response(
            event.status_code,
            headers=event.headers.raw_items(),
            stream=_ResponseBody(self, conn, read_timeout),
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": event.reason},
        )

    async def _acquire(self, origin: Origin, timeouts: dict, trace: Any) -> _Connection:
        """A connection for ``origin``: an idle one, a new one while under the limit, or
        (first come, first served) one a finished request hands over."""
        if not self._waiters:
            conn = self._take_idle(origin)
            if conn is not None:
                return conn
            if self._open >= self.max_connections:
                self._close_idle_elsewhere()
            if self._open < self.max_connections:
                self._open += 1
                return await self._open_connection(origin, timeouts.get("connect"), trace)
        handed = await self._wait_turn(origin, timeouts.get("pool"))
        if handed is not None:
            return handed
        return await self._open_connection(origin, timeouts.get("connect"), trace)

    def _take_idle(self, origin: Origin) -> _Connection | None:
        idle = self._idle.get(origin)
        now = time.monotonic()
        while idle:
            conn = idle.pop()
            if conn.reusable and now - conn.idle_since < self.keepalive_expiry:
                return conn
            conn.close()
            self._open -= 1
        return None

    def _close_idle_elsewhere(self) -> None:
        """At the limit with connections idle to other origins: close one, so this origin
        can open its own (in the exporter a transport serves one origin)."""
        for idle in self._idle.values():
            if idle:
                idle.pop(0).close()
                self._open -= 1
                return

    async def _wait_turn(self, origin: Origin, timeout: float | None) -> _Connection | None:
        """Queue behind earlier requests: the result is a kept-alive connection handed
        over, or None for a slot reserved to open one."""
        turn: asyncio.Future[_Connection | None] = asyncio.get_running_loop().create_future()
        entry = (origin, turn)
        self._waiters.append(entry)
        try:
            async with asyncio.timeout(timeout):
                return await turn
        except BaseException as err:
            if turn.done() and not turn.cancelled():  # served, but leaving: pass it on
                handed = turn.result()
                if handed is None:
                    self._open -= 1
                    self._grant_slots()
                else:
                    self.release(handed, True)
            else:
                with contextlib.suppress(ValueError):
                    self._waiters.remove(entry)
            if isinstance(err, TimeoutError):
                raise httpx.PoolTimeout("no connection free within the pool timeout") from None
            raise

    async def _open_connection(
        self, origin: Origin, timeout: float | None, trace: Any
    ) -> _Connection:
        """Connect in a slot already counted in ``_open``; a failure frees the slot."""
        try:
            return await self._connect(origin, timeout, trace)
        except BaseException:
            self._open -= 1
            self._grant_slots()
            raise

    async def _connect(self, origin: Origin, timeout: float | None, trace: Any) -> _Connection:
        scheme, host, port = origin
        hostname = host.decode("ascii")  # httpx gives an IPv6 address without brackets
        if trace is not None:
            await trace("connection.connect_tcp.started", {})
        loop = asyncio.get_running_loop()
        tls = scheme == b"https"
        try:
            async with asyncio.timeout(timeout):
                _, conn = await loop.create_connection(
                    lambda: _Connection(origin, self._max_header_bytes),
                    hostname,
                    port,
                    ssl=self._ssl if tls else None,
                    server_hostname=hostname if tls else None,
                    ssl_handshake_timeout=timeout if tls else None,
                )
        except TimeoutError:
            raise httpx.ConnectTimeout(f"no connection within {timeout:g}s") from None
        except (OSError, ssl.SSLError) as err:
            raise httpx.ConnectError(str(err) or type(err).__name__) from err
        return conn

    def release(self, conn: _Connection, reuse: bool) -> None:
        """A request is done with ``conn``: handed to the first request waiting (for its
        origin), kept idle, or closed and its slot given to the next waiting."""
        if not reuse or self._closed:
            conn.close()
            self._open -= 1
            self._grant_slots()
            return
        conn.idle_since = time.monotonic()
        while self._waiters:
            origin, turn = self._waiters.popleft()
            if turn.done():
                continue
            if origin == conn.origin:
                turn.set_result(conn)
            else:  # a transport serving several origins: this slot opens theirs
                conn.close()
                turn.set_result(None)
            return
        self._idle.setdefault(conn.origin, []).append(conn)

    def _grant_slots(self) -> None:
        while self._waiters and self._open < self.max_connections:
            _, turn = self._waiters.popleft()
            if not turn.done():
                self._open += 1
                turn.set_result(None)

    async def aclose(self) -> None:
        self._closed = True
        for idle in self._idle.values():
            for conn in idle:
                conn.close()
                self._open -= 1
        self._idle.clear()
