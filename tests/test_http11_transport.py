"""The probes' HTTP/1.1 transport under httpx, against real asyncio servers on loopback:
connections kept alive and bounded, never reused once the server closed them or the
exchange did not complete, httpx's exceptions for each failure, flow control on a large
body, TLS with a verified certificate, and the trace events probes name timeouts by."""

from __future__ import annotations

import asyncio
import ssl

import httpx
import pytest

from saas_exporter.probes.http11_transport import READ_AHEAD_BYTES, Http11Transport
from tests.pki import CA

OK = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}"


def transport(connections: int = 2, ssl_context: ssl.SSLContext | None = None) -> Http11Transport:
    return Http11Transport(
        connections, 30.0, ssl_context or ssl.create_default_context(), max_header_bytes=1024
    )


class Server:
    """An asyncio server answering each request head with ``answer(head, writer)``;
    counts the connections it accepted."""

    def __init__(self, answer, tls: ssl.SSLContext | None = None):
        self.answer = answer
        self.tls = tls
        self.connections = 0

    async def __aenter__(self) -> Server:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=self.tls)
        port = self.server.sockets[0].getsockname()[1]
        self.url = f"{'https' if self.tls else 'http'}://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc) -> None:
        self.server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while head := await reader.readuntil(b"\r\n\r\n"):
                if await self.answer(head, writer) is False:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()


async def ok(head: bytes, writer: asyncio.StreamWriter) -> None:
    writer.write(OK)
    await writer.drain()


def run(coro):
    return asyncio.run(coro)


async def streamed(client: httpx.AsyncClient, url: str) -> httpx.Response:
    """A response whose body is not read yet: its connection stays taken."""
    return await client.send(client.build_request("GET", url), stream=True)


def test_requests_together_share_the_bounded_connections_and_keep_them_alive():
    async def go():
        async with Server(ok) as server:
            async with httpx.AsyncClient(transport=transport(2)) as client:
                first = await asyncio.gather(*(client.get(f"{server.url}/{i}") for i in range(10)))
                again = [await client.get(f"{server.url}/again") for _ in range(3)]
            statuses = [r.status_code for r in first + again]
            return statuses, [r.json() for r in again], server.connections

    statuses, bodies, connections = run(go())
    assert statuses == [200] * 13
    assert bodies == [{}, {}, {}]
    assert connections == 2


def test_the_request_on_the_wire_is_the_httpx_request():
    heads = []

    async def record(head, writer):
        heads.append(head)
        await ok(head, writer)

    async def go():
        async with Server(record) as server, httpx.AsyncClient(transport=transport()) as client:
            await client.get(f"{server.url}/api/accounts/?a=1", headers={"x-key": "v"})

    run(go())
    lines = heads[0].decode().split("\r\n")
    assert lines[0] == "GET /api/accounts/?a=1 HTTP/1.1"
    assert "x-key: v" in lines
    assert any(line.lower().startswith("host: 127.0.0.1:") for line in lines)


def test_a_connection_the_server_asked_to_close_is_not_reused():
    async def closing(head, writer):
        writer.write(b"HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 2\r\n\r\n{}")
        await writer.drain()
        return False

    async def go():
        async with Server(closing) as server:
            pool = transport(1)
            async with httpx.AsyncClient(transport=pool) as client:
                statuses = [(await client.get(server.url)).status_code for _ in range(3)]
                return statuses, server.connections, pool._open

    assert run(go()) == ([200, 200, 200], 3, 0)


def test_an_idle_connection_the_server_closed_is_not_reused():
    async def go():
        closed = asyncio.Event()

        async def once(head, writer):
            await ok(head, writer)
            closed.set()
            return False  # keep-alive was not refused: the server just hangs up later

        async with Server(once) as server:
            pool = transport(1)
            async with httpx.AsyncClient(transport=pool) as client:
                await client.get(server.url)
                await closed.wait()
                (idle,) = pool._idle[(b"http", b"127.0.0.1", int(server.url.rsplit(":", 1)[1]))]
                while idle.reusable:  # until the loop has delivered the server's FIN
                    await asyncio.sleep(0)
                second = await client.get(server.url)
                return second.status_code, server.connections

    assert run(go()) == (200, 2)


def test_no_answer_is_a_read_timeout_and_the_connection_is_dropped():
    async def silent(head, writer):
        await asyncio.Event().wait()

    async def go():
        async with Server(silent) as server:
            pool = transport()
            async with httpx.AsyncClient(transport=pool, timeout=0.05) as client:
                with pytest.raises(httpx.ReadTimeout):
                    await client.get(server.url)
                return pool._open

    assert run(go()) == 0


def test_a_busy_pool_is_a_pool_timeout():
    async def go():
        pool = transport(1)
        async with Server(ok) as server, httpx.AsyncClient(transport=pool) as client:
            held = await streamed(client, server.url)
            with pytest.raises(httpx.PoolTimeout):
                await client.get(server.url, timeout=httpx.Timeout(5.0, pool=0.05))
            await held.aread()
            await held.aclose()
            return (await client.get(server.url)).status_code, server.connections

    assert run(go()) == (200, 1)


def test_a_waiter_cancelled_as_it_is_woken_passes_the_connection_on():
    async def go():
        async with Server(ok) as server:
            pool = transport(1)
            async with httpx.AsyncClient(transport=pool) as client:
                held = await streamed(client, server.url)
                second = asyncio.create_task(client.get(server.url))
                third = asyncio.create_task(client.get(server.url))
                while len(pool._waiters) < 2:
                    await asyncio.sleep(0)
                await held.aread()
                await held.aclose()  # wakes the second ...
                second.cancel()  # ... which leaves before it runs
                answer = await asyncio.wait_for(third, 5)
                return second.cancelled(), answer.status_code, server.connections

    assert run(go()) == (True, 200, 1)


def test_waiting_requests_are_served_first_come_first_served():
    paths = []

    async def record(head, writer):
        paths.append(head.split(b" ")[1].decode())
        await ok(head, writer)

    async def go():
        pool = transport(1)
        async with Server(record) as server, httpx.AsyncClient(transport=pool) as client:
            held = await streamed(client, f"{server.url}/a")
            queued = [asyncio.create_task(client.get(f"{server.url}/{p}")) for p in "bc"]
            while len(pool._waiters) < 2:
                await asyncio.sleep(0)
            # /d starts after /a is done, but its first step runs before /b resumes.
            late = asyncio.create_task(client.get(f"{server.url}/d"))
            await held.aread()
            await held.aclose()  # hands the connection to /b
            answers = await asyncio.gather(*queued, late)
            return [a.status_code for a in answers], server.connections

    assert run(go()) == ([200, 200, 200], 1)
    assert paths == ["/a", "/b", "/c", "/d"]


def test_a_refused_connection_is_a_connect_error():
    async def go():
        server = await asyncio.start_server(ok, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        server.close()
        await server.wait_closed()
        async with httpx.AsyncClient(transport=transport()) as client:
            with pytest.raises(httpx.ConnectError):
                await client.get(f"http://127.0.0.1:{port}/")

    run(go())


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (b"", "Server disconnected without sending a response."),
        (b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n{}", "peer closed connection"),
        # A header block still incomplete past the ceiling (a complete one is measured
        # against global.limits.max_header_bytes by the probes).
        (b"HTTP/1.1 200 OK\r\nx-big: " + b"a" * 4096, "too long"),
        (b"NOT HTTP AT ALL\r\n\r\n", "illegal status line"),
    ],
)
def test_broken_answers_are_protocol_errors(answer, message):
    async def broken(head, writer):
        writer.write(answer)
        await writer.drain()
        return False

    async def go():
        async with Server(broken) as server:
            pool = transport()
            async with httpx.AsyncClient(transport=pool) as client:
                with pytest.raises(httpx.RemoteProtocolError) as raised:
                    await client.get(server.url)
                return str(raised.value), pool._open

    text, still_open = run(go())
    assert message in text
    assert still_open == 0


def test_a_large_body_is_read_ahead_only_so_far_until_consumed():
    size = 64 * READ_AHEAD_BYTES  # more than the kernel's socket buffers hold

    async def go():
        sent = asyncio.Event()

        async def large(head, writer):
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n" % size + b"x" * size)
            await writer.drain()
            sent.set()

        async with Server(large) as server:
            pool = transport()
            async with httpx.AsyncClient(transport=pool) as client:
                response = await streamed(client, server.url)
                conn = response.stream._stream._conn
                while not conn._paused:  # the kernel's buffers fill, then ours, then pause
                    await asyncio.sleep(0)
                buffered, all_sent = conn._buffered, sent.is_set()
                body = await response.aread()
                await sent.wait()
                return buffered, all_sent, len(body)

    buffered, all_sent, length = run(go())
    assert READ_AHEAD_BYTES < buffered <= 2 * READ_AHEAD_BYTES
    assert not all_sent
    assert length == size


def test_a_body_left_unread_closes_its_connection():
    async def go():
        async with Server(ok) as server:
            pool = transport()
            async with httpx.AsyncClient(transport=pool) as client:
                response = await streamed(client, server.url)
                await response.aclose()
                return pool._open, pool._idle

    assert run(go()) == (0, {})


def test_tls_with_a_verified_certificate(tmp_path):
    ca = CA(tmp_path, "probe-ca")
    pair = ca.server()
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(pair.cert, pair.key)
    trusting = ssl.create_default_context(cafile=str(ca.pair.cert))

    async def go():
        async with Server(ok, tls=server_tls) as server:
            async with httpx.AsyncClient(transport=transport(ssl_context=trusting)) as client:
                good = await client.get(server.url)
            async with httpx.AsyncClient(transport=transport()) as client:
                with pytest.raises(httpx.ConnectError) as refused:
                    await client.get(server.url)
            return good.status_code, refused.value.__cause__

    status, cause = run(go())
    assert status == 200
    assert isinstance(cause, ssl.SSLCertVerificationError)


def test_trace_events_name_each_step():
    events = []

    async def trace(name, info):
        events.append(name)

    async def go():
        async with Server(ok) as server, httpx.AsyncClient(transport=transport()) as client:
            for _ in range(2):
                await client.get(server.url, extensions={"trace": trace})

    run(go())
    step = [
        "http11.send_request_headers.started",
        "http11.receive_response_headers.started",
        "http11.receive_response_headers.complete",
    ]
    assert events == ["connection.connect_tcp.started", *step, *step]


def test_an_unsupported_scheme_is_refused():
    async def go():
        async with httpx.AsyncClient(transport=transport()) as client:
            with pytest.raises(httpx.UnsupportedProtocol):
                await client.get("ftp://127.0.0.1/")

    run(go())
