"""The probes' HTTP clients: pools per origin sized to the work, small pools, a target
always on the same pool, the asyncio network backend in every pool (proxies too)."""

from __future__ import annotations

import asyncio

from saas_exporter.config import load_config_data
from saas_exporter.probes import targets_for
from saas_exporter.probes.asyncio_backend import AsyncioBackend
from saas_exporter.probes.clients import (
    POOL_CONNECTIONS,
    ProbeClients,
    connections_needed,
    make_client,
)


def fleet(accounts: int, profiles_interval: str = "30s"):
    env = {f"K{i}": f"pk_test_{i:032d}" for i in range(accounts)}
    data = {
        "vendors": [
            {
                "name": "klaviyo",
                "kind": "klaviyo",
                "api_url": "https://a.example.com",
                "statuspage_url": "https://status.example.com",
                "intervals": {"profiles": profiles_interval},
                "accounts": [{"name": f"a{i}", "api_key_env": f"K{i}"} for i in range(accounts)],
            }
        ]
    }
    return targets_for(load_config_data(data, env))


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


def test_every_pool_speaks_through_the_asyncio_backend_proxies_included(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:3128")

    async def go():
        client = make_client(2)
        try:
            transports = [client._transport, *client._mounts.values()]
            assert len(transports) >= 2  # the proxy mount exists
            for transport in transports:
                assert isinstance(transport._pool._network_backend, AsyncioBackend)
        finally:
            await client.aclose()

    asyncio.run(go())
