"""An httpcore network backend on plain asyncio streams, for the httpcore pools a probe
client still has: httpx's proxy transports and its default transport (origins NO_PROXY
exempts from a proxy). Direct origins use ``http11_transport``.

Why: httpcore's default backend goes through anyio, and on every request the connection
pool asks each pooled connection whether it expired, which anyio answers by building a
dict of socket attributes; with its cancel scopes per read and write that was about a
third of a probe's CPU. asyncio's own streams answer the same questions directly, and
``asyncio.timeout`` (3.11) bounds each read and write without a task per call.

Only the transport under httpx changes: requests, responses, errors (httpcore's
exceptions, mapped by httpx as before), proxies and TLS stay httpx's and httpcore's.
"""

from __future__ import annotations

import asyncio
import contextlib
import select
import socket
import ssl
from collections.abc import Iterable, Iterator
from typing import Any

import httpcore
from httpcore import (
    AsyncNetworkBackend,
    AsyncNetworkStream,
    ConnectError,
    ConnectTimeout,
    ReadError,
    ReadTimeout,
    WriteError,
    WriteTimeout,
)

SocketOption = Any  # httpcore's SOCKET_OPTION tuple


@contextlib.contextmanager
def _mapped(timeout_error: type[Exception], other_error: type[Exception]) -> Iterator[None]:
    try:
        yield
    except TimeoutError as err:
        raise timeout_error(str(err) or type(err).__name__) from err
    except (OSError, EOFError, asyncio.IncompleteReadError) as err:
        raise other_error(str(err) or type(err).__name__) from err


def _is_readable(sock: socket.socket | None) -> bool:
    """An idle keep-alive socket is readable only when the server closed it (or sent
    junk): either way it must not be reused. As httpcore's own check."""
    if sock is None or sock.fileno() == -1:
        return True
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    return bool(poller.poll(0))


class AsyncioStream(AsyncNetworkStream):
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self._reader = reader
        self._writer = writer

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        with _mapped(ReadTimeout, ReadError):
            async with asyncio.timeout(timeout):
                return await self._reader.read(max_bytes)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        with _mapped(WriteTimeout, WriteError):
            async with asyncio.timeout(timeout):
                self._writer.write(buffer)
                await self._writer.drain()

    async def aclose(self) -> None:
        self._writer.close()
        with contextlib.suppress(OSError, ssl.SSLError):
            await self._writer.wait_closed()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> AsyncNetworkStream:
        try:
            with _mapped(ConnectTimeout, ConnectError):
                async with asyncio.timeout(timeout):
                    await self._writer.start_tls(ssl_context, server_hostname=server_hostname)
        except ConnectError:
            await self.aclose()
            raise
        return self

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":
            return self._reader.at_eof() or _is_readable(self._writer.get_extra_info("socket"))
        if info == "ssl_object":
            return self._writer.get_extra_info("ssl_object")
        if info == "client_addr":
            return self._writer.get_extra_info("sockname")
        if info == "server_addr":
            return self._writer.get_extra_info("peername")
        if info == "socket":
            return self._writer.get_extra_info("socket")
        return None


class AsyncioBackend(AsyncNetworkBackend):
    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> AsyncNetworkStream:
        with _mapped(ConnectTimeout, ConnectError):
            async with asyncio.timeout(timeout):
                reader, writer = await asyncio.open_connection(
                    host, port, local_addr=(local_address, 0) if local_address else None
                )
        sock = writer.get_extra_info("socket")
        for option in socket_options or ():
            sock.setsockopt(*option)
        return AsyncioStream(reader, writer)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> AsyncNetworkStream:
        with _mapped(ConnectTimeout, ConnectError):
            async with asyncio.timeout(timeout):
                reader, writer = await asyncio.open_unix_connection(path)
        return AsyncioStream(reader, writer)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


def use_asyncio_backend(pool: httpcore.AsyncConnectionPool) -> None:
    """Point an httpx transport's pool (direct or through a proxy) at this backend. The
    pool reads the attribute when it opens a connection; httpx builds the pool without
    a way to pass a backend, so it is set here, right after construction."""
    pool._network_backend = AsyncioBackend()
