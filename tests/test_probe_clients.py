"""The probes' HTTP clients: pools per origin sized to the work, small pools, a target
always on the same pool; direct origins on the HTTP/1.1 transport, and the asyncio network
backend and the corrected pool pass in every httpcore pool httpx builds (proxies, origins
NO_PROXY exempts)."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import httpcore
import httpx

from saas_exporter.probes import pool_assignment
from saas_exporter.probes.asyncio_backend import AsyncioBackend
from saas_exporter.probes.clients import (
    POOL_CONNECTIONS,
    ProbeClients,
    connections_needed,
    make_client,
)
from saas_exporter.probes.http11_transport import Http11Transport
from tests.conftest import klaviyo_fleet


def fleet(accounts: int):
    return klaviyo_fleet(
        accounts,
        "https://a.example.com",
        statuspage_url="https://status.example.com",
        intervals={"profiles": "30s"},
    )


def test_connections_follow_the_request_rate_per_origin():
    # 100 accounts: 100/30 + 100/600 = 3.5 requests/s x 0.5 s x 2 -> 4 connections.
    assert connections_needed(fleet(100), 32) == {
        "https://status.example.com": 2,  # one request a minute: the floor
        "https://a.example.com": 4,
    }
    # 1,000 accounts want 35 and get the global cap.
    assert connections_needed(fleet(1000), 32)["https://a.example.com"] == 32


def test_an_origin_is_split_into_small_pools_and_a_target_keeps_its_pool():
    targets = fleet(1000)

    async def go():
        clients = ProbeClients(targets, 32)
        try:
            api_pools = clients._pools["https://a.example.com"]
            assert len(api_pools) == 32 // POOL_CONNECTIONS
            first = [clients.for_target(t) for t in targets]
            again = [clients.for_target(t) for t in targets]
            assert first == again
            used = {id(c) for c in first if c in api_pools}
            assert used == {id(c) for c in api_pools}  # the hash spreads over all pools
        finally:
            await clients.aclose()

    asyncio.run(go())


def httpx_own_transports(monkeypatch):
    """The httpcore transports httpx builds for a probe client with HTTPS_PROXY set: its
    default transport (origins NO_PROXY exempts) and the proxy mount."""
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:3128")
    client = make_client(2)
    asyncio.run(client.aclose())  # only inspected
    return [t for t in [client._transport, *client._mounts.values()] if hasattr(t, "_pool")]


def test_direct_origins_use_the_http11_transport_and_proxies_stay_httpx_own(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:3128")
    monkeypatch.setenv("NO_PROXY", "internal.example")

    async def go():
        client = make_client(2)
        try:
            pick = client._transport_for_url
            assert isinstance(pick(httpx.URL("http://a.example.com/")), Http11Transport)
            proxied = pick(httpx.URL("https://a.example.com/"))
            assert proxied._pool._proxy_url.port == 3128
            assert pick(httpx.URL("https://internal.example/")) is client._transport
        finally:
            await client.aclose()

    asyncio.run(go())


def test_every_pool_speaks_through_the_asyncio_backend_proxies_included(monkeypatch):
    transports = httpx_own_transports(monkeypatch)
    assert len(transports) == 2  # the default and the proxy mount
    for transport in transports:
        assert isinstance(transport._pool._network_backend, AsyncioBackend)


def test_every_pool_hands_out_connections_with_the_corrected_pass(monkeypatch):
    transports = httpx_own_transports(monkeypatch)
    assert len(transports) == 2
    for transport in transports:
        pass_ = transport._pool._assign_requests_to_connections
        assert pass_.__func__ is pool_assignment.assign_requests_to_connections


class FakeConnection:
    """A pooled HTTP/1.1 connection as the pool pass sees it."""

    def __init__(self, name: str, idle: bool = True, expired: bool = False):
        self.name, self.idle, self.expired = name, idle, expired

    def is_closed(self) -> bool:
        return False

    def has_expired(self) -> bool:
        return self.expired

    def is_idle(self) -> bool:
        return self.idle

    def is_available(self) -> bool:
        return self.idle  # HTTP/1.1: available until its request starts

    def can_handle_request(self, origin) -> bool:
        return True

    def __repr__(self) -> str:
        return self.name


class FakeRequest:
    def __init__(self, connection=None):
        self.connection = connection
        self.request = SimpleNamespace(url=SimpleNamespace(origin="https://a.example.com"))

    def is_queued(self) -> bool:
        return self.connection is None

    def assign_to_connection(self, connection) -> None:
        self.connection = connection


def fake_pool(connections, requests, max_connections, max_keepalive):
    made = iter(f"new{i}" for i in range(10))
    return SimpleNamespace(
        _connections=list(connections),
        _requests=list(requests),
        _max_connections=max_connections,
        _max_keepalive_connections=max_keepalive,
        create_connection=lambda origin: FakeConnection(next(made), idle=False),
    )


def test_an_idle_connection_goes_to_one_waiting_request_only():
    idle = FakeConnection("idle")
    waiting = [FakeRequest() for _ in range(3)]
    pool = fake_pool([idle], waiting, max_connections=1, max_keepalive=1)
    assert pool_assignment.assign_requests_to_connections(pool) == []
    # httpcore 1.0.9 gives `idle` to all three; two then fail and go round again.
    assert [r.connection for r in waiting] == [idle, None, None]


def test_waiting_requests_get_new_connections_up_to_the_limit():
    idle = FakeConnection("idle")
    waiting = [FakeRequest() for _ in range(4)]
    pool = fake_pool([idle], waiting, max_connections=3, max_keepalive=3)
    pool_assignment.assign_requests_to_connections(pool)
    assert [repr(r.connection) for r in waiting] == ["idle", "new0", "new1", "None"]
    assert [repr(c) for c in pool._connections] == ["idle", "new0", "new1"]


def test_a_connection_given_to_a_request_is_never_closed_as_surplus():
    held, spare = FakeConnection("held"), FakeConnection("spare")
    holder = FakeRequest(connection=held)  # assigned; its request has not started yet
    pool = fake_pool([held, spare], [holder], max_connections=4, max_keepalive=0)
    assert pool_assignment.assign_requests_to_connections(pool) == [spare]
    assert pool._connections == [held]


def test_the_keepalive_limit_counts_idle_connections():
    busy = [FakeConnection(f"busy{i}", idle=False) for i in range(2)]
    idle = FakeConnection("idle")
    pool = fake_pool([*busy, idle], [], max_connections=4, max_keepalive=1)
    # httpcore 1.0.9 counts all three connections against the limit and closes `idle`.
    assert pool_assignment.assign_requests_to_connections(pool) == []
    assert pool._connections == [*busy, idle]


def test_expired_connections_are_closed_and_a_full_pool_replaces_an_idle_one():
    expired, idle = FakeConnection("expired", expired=True), FakeConnection("idle")
    busy = FakeConnection("busy", idle=False)
    holder = FakeRequest(connection=busy)
    waiting = FakeRequest()
    # `idle` cannot take the request (another origin): the full pool swaps it for a new one.
    idle.can_handle_request = lambda origin: False  # type: ignore[method-assign]
    pool = fake_pool([expired, busy, idle], [holder, waiting], max_connections=2, max_keepalive=2)
    assert pool_assignment.assign_requests_to_connections(pool) == [expired, idle]
    assert repr(waiting.connection) == "new0"
    assert [repr(c) for c in pool._connections] == ["busy", "new0"]


def test_requests_started_together_each_get_a_connection_once(monkeypatch):
    """On a real pool against a keep-alive server: ten requests started in one event-loop
    pass on two connections all succeed, two connections are opened, and no request is
    handed a connection twice (httpcore's own pass hands ~one per retry)."""
    assigned = []
    original = httpcore._async.connection_pool.AsyncPoolRequest.assign_to_connection

    def counting(self, connection):
        assigned.append(self)
        original(self, connection)

    monkeypatch.setattr(
        httpcore._async.connection_pool.AsyncPoolRequest, "assign_to_connection", counting
    )

    async def go():
        opened = 0

        async def serve(reader, writer):
            nonlocal opened
            opened += 1
            while await reader.readuntil(b"\r\n\r\n"):
                await asyncio.sleep(0.01)
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}")
                await writer.drain()

        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        # httpx's default transport of a probe client (an origin NO_PROXY exempts).
        client = httpx.AsyncClient(transport=make_client(2)._transport)
        try:
            responses = await asyncio.gather(
                *(client.get(f"http://127.0.0.1:{port}/{i}") for i in range(10))
            )
        finally:
            await client.aclose()
            server.close()
        return [r.status_code for r in responses], opened

    statuses, opened = asyncio.run(go())
    assert statuses == [200] * 10
    assert opened == 2
    assert len(assigned) == 10


def test_a_probe_client_neither_keeps_nor_sends_cookies():
    async def go():
        seen = []

        async def serve(reader, writer):
            while head := await reader.readuntil(b"\r\n\r\n"):
                seen.append(b"cookie:" in head.lower())
                writer.write(
                    b"HTTP/1.1 200 OK\r\nset-cookie: session=abc; Path=/\r\n"
                    b"content-length: 2\r\n\r\n{}"
                )
                await writer.drain()

        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        client = make_client(1)
        try:
            for _ in range(2):
                assert (await client.get(f"http://127.0.0.1:{port}/")).status_code == 200
            return seen, len(client.cookies.jar)
        finally:
            await client.aclose()
            server.close()

    assert asyncio.run(go()) == ([False, False], 0)
