"""The probe path without the network, for the scale bench's breakdown of a probe's CPU.

The simulator's answers (the fast fake vendor's routes, bodies and headers), handed to
httpx through its ``MockTransport`` after the same latency: the probes, the scheduler,
the store and httpx's client layers all run as in the exporter, but no socket,
connection pool (the probes' HTTP/1.1 transport) or HTTP/1.1 parser (h11) does. The
exporter's CPU per probe minus this one is what the transport costs. A yardstick, not a
client.
"""

from __future__ import annotations

import asyncio

import httpx

from saas_exporter.probes import ProbeResult, ProbeTarget, prober_for
from saas_exporter.scheduler import RunProbe
from saas_exporter.simulator.server import SimulatorServer


class InProcessVendor:
    def __init__(self, latency: float):
        self.sim = SimulatorServer(("127.0.0.1", 0))  # routes only; never served
        self.latency = latency
        self.client = httpx.AsyncClient(transport=httpx.MockTransport(self.answer))

    async def answer(self, request: httpx.Request) -> httpx.Response:
        if self.latency:  # the answer arrives later, as from across the Internet
            await asyncio.sleep(self.latency)
        headers = {name.lower(): value for name, value in request.headers.items()}
        routed = self.sim.route(request.url.path, headers, dict(request.url.params))
        if routed is None:
            return httpx.Response(404, stream=httpx.ByteStream(b"{}"))
        return httpx.Response(
            routed.status, headers=routed.headers, stream=httpx.ByteStream(routed.body)
        )

    def run_probe(self) -> RunProbe:
        async def run(target: ProbeTarget) -> ProbeResult:
            return await prober_for(target)(target, self.client)

        return run

    def close(self) -> None:
        self.sim.server_close()
