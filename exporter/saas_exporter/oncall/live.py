"""Run the exporter's own probes once, now: each target exactly one request."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable

from ..probes import ProbeResult, ProbeTarget
from ..probes.clients import ProbeClients
from ..scheduler import Scheduler, make_run_probe
from ..state import Key, ResultStore


def probe_once(
    targets: Iterable[ProbeTarget], max_concurrency: int, clock: Callable[[], float] = time.time
) -> dict[Key, ProbeResult]:
    """Every target probed once, concurrently, with the scheduler's hard deadline."""
    targets = list(targets)
    store = ResultStore(targets)

    async def go() -> None:
        clients = ProbeClients(targets, max_concurrency)
        try:
            scheduler = Scheduler(targets, store, make_run_probe(clients), max_concurrency, clock)
            await scheduler.run_all_once()
        finally:
            await clients.aclose()

    asyncio.run(go())
    results: dict[Key, ProbeResult] = {}
    for key, state in store.states().items():
        assert state.last is not None
        results[key] = state.last
    return results
