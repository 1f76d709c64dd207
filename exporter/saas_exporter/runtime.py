"""Wires config, store, scheduler and HTTP server into one running exporter."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable

from .config import ExporterConfig
from .health import compute_health
from .probes import ProbeTarget, targets_for
from .scheduler import RunProbe, Scheduler, make_http_client, make_run_probe
from .state import ResultStore
from .web.app import Endpoints, ExporterApp
from .web.metrics import MetricsRenderer
from .web.options import WebOptions
from .web.server import WebServer
from .web.tls import ssl_context

log = logging.getLogger(__name__)


class ExporterRuntime:
    """Probes run on an asyncio loop in one thread; HTTP is served from another loop."""

    def __init__(
        self,
        config: ExporterConfig,
        listen: tuple[str, int],
        clock: Callable[[], float] = time.time,
        run_probe: RunProbe | None = None,
        web: WebOptions | None = None,
        links: tuple[tuple[str, str], ...] = (),
    ):
        self.config = config
        self.targets: list[ProbeTarget] = targets_for(config)
        self.store = ResultStore(self.targets)
        self.clock = clock
        self._run_probe = run_probe
        self._loop = asyncio.new_event_loop()
        self._stop: asyncio.Event | None = None
        self._scheduler: Scheduler | None = None
        self._probe_thread = threading.Thread(target=self._run_loop, name="probes", daemon=True)
        self._started = threading.Event()
        self.web = web = web or WebOptions()
        self.renderer = MetricsRenderer(config, self.store)
        self.endpoints = Endpoints(
            store=self.store,
            renderer=self.renderer,
            health=lambda: compute_health(self.config, self.store.states(), self.clock()),
            alive=self.alive,
            web=web.config,
            telemetry_path=web.telemetry_path,
            links=links,
        )
        self.app = ExporterApp(self.endpoints)
        self.http = WebServer(
            listen,
            self.app,
            ssl_context(web.config.tls) if web.config.tls else None,
            web.limits,
            allowed_sans=lambda: (
                self.endpoints.web.tls.client_allowed_sans if self.endpoints.web.tls else ()
            ),
        )

    @property
    def address(self) -> str:
        return self.http.address

    @property
    def url(self) -> str:
        return f"{'https' if self.http.tls else 'http'}://{self.address}"

    def alive(self) -> bool:
        return self._probe_thread.is_alive()

    def _run_loop(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._main())

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        client = make_http_client(self.config.max_concurrency)
        run_probe = self._run_probe or make_run_probe(client)
        self._scheduler = Scheduler(
            self.targets,
            self.store,
            run_probe,
            self.config.max_concurrency,
            self.clock,
            startup_spread=self.config.startup_spread_seconds,
        )
        self._started.set()
        try:
            await self._scheduler.run_forever(self._stop)
        finally:
            await client.aclose()

    def start(self, probes: bool = True) -> None:
        self.http.start()
        if probes:
            self._probe_thread.start()
            self._started.wait(10)
        log.info(
            "saas-exporter started",
            extra={"fields": {"address": self.address, "targets": len(self.targets)}},
        )

    def probe_all_now(self, timeout: float = 60.0) -> None:
        """Explicit trigger: run every probe once, now, and wait for the results."""
        assert self._scheduler is not None, "start() first"
        future = asyncio.run_coroutine_threadsafe(self._scheduler.run_all_once(), self._loop)
        future.result(timeout)

    def stop(self) -> None:
        self.http.stop()
        self.app.close()
        if self._stop is not None and self._probe_thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop.set)
            self._probe_thread.join(15)
