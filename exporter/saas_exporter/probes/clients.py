"""The probes' HTTP clients: httpx, with connection pools per vendor origin sized to
the requests that origin gets, each pool small.

Why: httpcore's pool (still used through a proxy) scans its connections several times
over on every request (quadratic in the pool's size), so one shared pool of 32
connections cost about 2.6x the CPU per request of a pool of 8 (issue 15's profile).
So an origin gets the connections its work needs, by Little's law (requests per second
times ``EXPECTED_LATENCY_SECONDS``, doubled for bursts, between ``MIN_CONNECTIONS`` and
``global.max_concurrency``), split into pools of at most ``POOL_CONNECTIONS``; each
target always uses the same pool (a stable hash of its key), so its connection stays
warm. A request that finds its pool busy waits for a connection within its timeout; the
scheduler's semaphore caps requests in flight overall.

All clients share one TLS context (loading the CA bundle takes ~35 ms each) and honour
HTTPS_PROXY/NO_PROXY. A direct origin's requests go through the probes' own HTTP/1.1
transport (``http11_transport``); httpx's own transports, for a proxy or an origin
NO_PROXY exempts, speak through the asyncio network backend (``asyncio_backend``) and
hand requests to connections with the corrected pool pass (``pool_assignment``).
"""

from __future__ import annotations

import math
import zlib
from collections import defaultdict
from collections.abc import Iterable
from urllib.parse import urlsplit

import httpx

from . import pool_assignment
from .asyncio_backend import use_asyncio_backend
from .body import CLIENT_MAX_HEADER_BYTES
from .http11_transport import Http11Transport
from .target import ProbeTarget

# What a vendor API call takes, on the Internet: the pools' Little's-law latency.
EXPECTED_LATENCY_SECONDS = 0.5
BURST_FACTOR = 2.0
MIN_CONNECTIONS = 2
# Connections per httpx client: past this, httpcore's bookkeeping per request grows
# faster than the connections help.
POOL_CONNECTIONS = 4
# Kept-alive connections idle longer than this are closed (httpx's default is 5 s,
# shorter than most probe intervals, which made a quiet origin's probes reconnect).
KEEPALIVE_EXPIRY_SECONDS = 30.0


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def target_origin(target: ProbeTarget) -> str:
    vendor = target.vendor
    url = vendor.statuspage_url if target.probe == "statuspage" else vendor.api_url
    return origin(url or "")


def connections_needed(targets: Iterable[ProbeTarget], max_connections: int) -> dict[str, int]:
    """Connections per origin: its request rate times the expected latency, doubled."""
    rates: dict[str, float] = defaultdict(float)
    for target in targets:
        rates[target_origin(target)] += 1.0 / target.interval_seconds
    return {
        name: max(
            MIN_CONNECTIONS,
            min(max_connections, math.ceil(rate * EXPECTED_LATENCY_SECONDS * BURST_FACTOR)),
        )
        for name, rate in rates.items()
    }


class NoCookieStore(httpx.Cookies):
    """A probe is a fresh request: it neither keeps nor sends cookies (nor does one
    account's probe carry cookies another's got). Declined here, before httpx wraps every
    response and request in urllib objects for its jar: a tenth of a probe's CPU."""

    def extract_cookies(self, response: httpx.Response) -> None:
        return None

    def set_cookie_header(self, request: httpx.Request) -> None:
        return None


def make_client(connections: int, ssl_context=None) -> httpx.AsyncClient:
    limits = httpx.Limits(
        max_connections=connections,
        max_keepalive_connections=connections,
        keepalive_expiry=KEEPALIVE_EXPIRY_SECONDS,
    )
    if ssl_context is None:
        ssl_context = httpx.create_ssl_context(trust_env=True)
    direct = Http11Transport(
        connections, KEEPALIVE_EXPIRY_SECONDS, ssl_context, CLIENT_MAX_HEADER_BYTES
    )
    # trust_env: HTTPS_PROXY and NO_PROXY are honoured, as operators expect: httpx mounts
    # its own transport for each proxy from the environment, more specific than
    # "all://"; a host NO_PROXY exempts goes to httpx's default transport.
    client = httpx.AsyncClient(
        limits=limits, trust_env=True, verify=ssl_context, mounts={"all://": direct}
    )
    client._cookies = NoCookieStore()  # the public setter would copy it into a Cookies
    # httpx's own transports (default and proxies) are built from the environment, so
    # they are reached after construction.
    for transport in [client._transport, *client._mounts.values()]:
        pool = getattr(transport, "_pool", None)
        if pool is not None:
            use_asyncio_backend(pool)
            pool_assignment.install(pool)
    return client


class ProbeClients:
    """The pools of every origin the targets call; ``for_target`` picks a target's."""

    def __init__(self, targets: Iterable[ProbeTarget], max_connections: int):
        self.connections = connections_needed(list(targets), max_connections)
        self._ssl = httpx.create_ssl_context(trust_env=True)
        self._pools: dict[str, list[httpx.AsyncClient]] = {
            name: self._make_pools(count) for name, count in self.connections.items()
        }

    def _make_pools(self, connections: int) -> list[httpx.AsyncClient]:
        pools = math.ceil(connections / POOL_CONNECTIONS)
        size = math.ceil(connections / pools)
        return [make_client(size, self._ssl) for _ in range(pools)]

    def for_target(self, target: ProbeTarget) -> httpx.AsyncClient:
        name = target_origin(target)
        pools = self._pools.get(name)
        if pools is None:  # a target the sizing did not see (tests): a small pool
            pools = self._pools[name] = self._make_pools(MIN_CONNECTIONS)
        return pools[zlib.crc32("\0".join(target.key).encode()) % len(pools)]

    async def aclose(self) -> None:
        for pools in self._pools.values():
            for client in pools:
                await client.aclose()
