"""A fast fake vendor for the benchmarks: the simulator's routes (same bodies, headers and
scenarios) behind an asyncio + httptools front end instead of a thread per connection,
so the fake is not what a 10,000-account bench measures. It also counts requests per
(path, simulated account), which the shard check reads.

Run: ``python -m saas_tools.scale.fast_vendor PORT [LATENCY_SECONDS]`` (each answer is sent that
long after its request, as from a vendor across the Internet); it prints ``ready`` once
it listens. Besides the simulator's vendor routes: ``GET /-/accounts`` (requests per
path and account id, JSON; POST also resets the counts).
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections import Counter
from urllib.parse import parse_qsl

import httptools

from saas_exporter.simulator.klaviyo_api import account_id_for
from saas_exporter.simulator.server import SimulatorServer

REASONS = {200: b"OK", 400: b"Bad Request", 401: b"Unauthorized", 404: b"Not Found"}


class _Request:
    def __init__(self) -> None:
        self.url = b""
        self.headers: dict[str, str] = {}


class FakeVendorProtocol(asyncio.Protocol):
    def __init__(self, sim: SimulatorServer, counts: Counter, latency: float):
        self.sim = sim
        self.counts = counts
        self.latency = latency
        self.parser = httptools.HttpRequestParser(self)
        self.request = _Request()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            assert self.transport is not None
            self.transport.close()

    def on_message_begin(self) -> None:
        self.request = _Request()

    def on_url(self, url: bytes) -> None:
        self.request.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self.request.headers[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_message_complete(self) -> None:
        assert self.transport is not None
        path, _, query = self.request.url.decode().partition("?")
        method = self.parser.get_method()
        if path == "/-/accounts":
            if method == b"POST":
                self.counts.clear()
            body = json.dumps([[p, a, n] for (p, a), n in self.counts.items()]).encode()
            self._send(200, body, {"content-type": "application/json"})
            return
        headers = self.request.headers
        response = self.sim.route(path, headers, dict(parse_qsl(query)))
        if response is None:
            self._send(404, b"{}", {"content-type": "application/json"})
            return
        key = headers.get("authorization", "").rpartition(" ")[2]
        self.counts[(path, account_id_for(key) if key else "")] += 1
        if self.latency:  # as a vendor across the Internet: connections stay busy
            loop = asyncio.get_running_loop()
            loop.call_later(
                self.latency, self._send, response.status, response.body, response.headers
            )
        else:
            self._send(response.status, response.body, response.headers)

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        assert self.transport is not None
        if self.transport.is_closing():
            return
        lines = [b"HTTP/1.1 %d %s" % (status, REASONS.get(status, b"Status"))]
        lines += [f"{k}: {v}".encode() for k, v in headers.items()]
        lines.append(b"content-length: %d" % len(body))
        self.transport.write(b"\r\n".join(lines) + b"\r\n\r\n" + body)


async def serve(port: int, latency: float) -> None:
    sim = SimulatorServer(("127.0.0.1", 0))  # routes and scenarios only; never served
    counts: Counter = Counter()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: FakeVendorProtocol(sim, counts, latency), "127.0.0.1", port, backlog=4096
    )
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(serve(int(sys.argv[1]), float(sys.argv[2]) if len(sys.argv) > 2 else 0.0))
